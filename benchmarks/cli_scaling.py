"""Does the command line scale linearly? `trackmap check` of big tables, `preview` of many docs.

Issue 11 measured `trackmap check` of a 20,000-row table at 4.0 s and 80,000 rows at 70.8 s
(quadratic duplicate-key checks), and a preview of 100,000 documents with 80% blocked ran for
over 10 minutes (a quadratic problem merge). This script times, in this process and in CPU
seconds (the machine is shared, so wall time says little), for each size N:

- ``check``: ``trackmap check SETTINGS --schema SCHEMA --host practice`` of a settings file
  whose table has N rows;
- ``preview``: ``trackmap preview ... --host jobs`` of N one-line documents, 80% of them blocked
  (an unknown branch under ``on_unmapped: error``), text output with the default limit;
- ``json.loads``: the same files parsed by the standard library alone, the baseline each run
  measures for itself (trackmap cannot read a file faster than it can parse it).

Each figure is the median of ``--repeats`` runs (sizes interleaved), with the spread (min-max);
a size under 100,000 is run several times per measurement (100,000 items in all) and divided,
so that its few milliseconds are not noise. Between two sizes, the growth exponent is
log(time ratio) / log(size ratio): 1.0 is linear, 2.0 quadratic. The verdict: linear when every
step's exponent is at most 1.2 (the same exponent of ``json.loads`` is printed beside it, as
the interpreter's own allocation costs grow a little with the heap). Run:
``python benchmarks/cli_scaling.py`` (``--sizes 10000 100000 300000 --repeats 3`` are the
defaults).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from trackmap._cli import main
from trackmap._config import dump_mapping, dump_schema
from trackmap.testing.hosts import sample_jobs, sample_practice

#: The largest growth exponent between two sizes that counts as linear (quadratic is 2.0).
LINEAR_LIMIT = 1.2
#: Sizes below this are run several times per measurement, up to this many items in all.
AMORTISE = 100_000


def table_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """A practice settings file whose Region table has ``rows`` rows, and its schema."""
    sample = sample_practice()
    data = dump_mapping(sample.mapping)
    option = next(v for v in data["bindings"][0]["values"]["table"].values() if v)
    data["bindings"][0]["values"]["table"] = {f"cost centre {n}": option for n in range(rows)}
    settings, schema = folder / f"table-{rows}.json", folder / "practice-schema.json"
    settings.write_text(json.dumps(data), encoding="utf-8")
    schema.write_text(json.dumps(dump_schema(sample.schema)), encoding="utf-8")
    return settings, schema


def document_files(folder: Path, count: int) -> tuple[Path, Path, Path]:
    """Jobs settings (unknown branch is an error), schema, and ``count`` documents, 80% blocked."""
    sample = sample_jobs()
    data = dump_mapping(sample.mapping)
    data["bindings"][0]["on_unmapped"] = "error"
    documents = [
        {
            "key": f"INV-{n}",
            "kind": "sales_invoice",
            "fields": {
                "branch": "Sydney" if n % 5 == 0 else "Atlantis",
                "job_number": f"J{n % 50}",
                "job_po_number": None,
            },
            "lines": [{"key": "1", "fields": {}}],
        }
        for n in range(count)
    ]
    settings, schema = folder / "jobs-settings.json", folder / "jobs-schema.json"
    docs = folder / f"documents-{count}.json"
    settings.write_text(json.dumps(data), encoding="utf-8")
    schema.write_text(json.dumps(dump_schema(sample.schema)), encoding="utf-8")
    docs.write_text(json.dumps({"version": 1, "documents": documents}), encoding="utf-8")
    return settings, schema, docs


def cpu_seconds(work: Callable[[], object], size: int) -> float:
    """CPU time of one run of ``work`` (averaged over several for small sizes), output discarded."""
    loops = max(1, AMORTISE // size)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        start = time.process_time()
        for _ in range(loops):
            work()
            sink.seek(0)
            sink.truncate()
        return (time.process_time() - start) / loops


def run_cli(argv: list[str], expected: int) -> Callable[[], object]:
    def work() -> None:
        code = main(argv)
        if code != expected:
            msg = f"trackmap {' '.join(argv)} exited {code}, expected {expected}"
            raise RuntimeError(msg)

    return work


def parse_only(*paths: Path) -> Callable[[], object]:
    return lambda: [json.loads(p.read_bytes()) for p in paths]


def measure(sizes: list[int], repeats: int, folder: Path) -> dict[tuple[str, int], list[float]]:
    work: dict[tuple[str, int], Callable[[], object]] = {}
    for size in sizes:
        settings, schema = table_files(folder, size)
        work["check", size] = run_cli(
            ["check", str(settings), "--schema", str(schema), "--host", "practice"], 0
        )
        work["check json.loads", size] = parse_only(settings, schema)
        jobs, jobs_schema, docs = document_files(folder, size)
        argv = ["preview", str(jobs), "--schema", str(jobs_schema), "--documents", str(docs)]
        work["preview", size] = run_cli([*argv, "--host", "jobs"], 1)
        work["preview json.loads", size] = parse_only(jobs, jobs_schema, docs)
    times: dict[tuple[str, int], list[float]] = {key: [] for key in work}
    for _ in range(repeats):
        for key, run in work.items():
            times[key].append(cpu_seconds(run, key[1]))
    return times


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float:
    """log(time ratio) / log(size ratio): 1.0 for linear growth, 2.0 for quadratic."""
    return math.log(large[1] / small[1]) / math.log(large[0] / small[0])


def report(sizes: list[int], times: dict[tuple[str, int], list[float]]) -> bool:
    linear = True
    for name, unit in (("check", "row"), ("preview", "document")):
        print(f"\n{name} ({unit}s; CPU seconds, median of {len(times[name, sizes[0]])} [min-max])")
        print(
            f"{'N':>9}  {'trackmap':>20}  {'json.loads':>19}  {'x json':>6}  "
            f"{'us/' + unit:>11}  {'exponent':>8}  {'json exp':>8}"
        )
        previous: tuple[tuple[int, float], tuple[int, float]] | None = None
        for size in sizes:
            ours, parse = times[name, size], times[f"{name} json.loads", size]
            median, base = statistics.median(ours), statistics.median(parse)
            growth = json_growth = ""
            if previous is not None:
                step = exponent(previous[0], (size, median))
                linear = linear and step <= LINEAR_LIMIT
                growth = f"{step:.2f}"
                json_growth = f"{exponent(previous[1], (size, base)):.2f}"
            print(
                f"{size:>9,}  {median:>8.3f} [{min(ours):.2f}-{max(ours):.2f}]  "
                f"{base:>7.3f} [{min(parse):.2f}-{max(parse):.2f}]  {median / base:>6.1f}  "
                f"{median / size * 1e6:>11.2f}  {growth:>8}  {json_growth:>8}"
            )
            previous = ((size, median), (size, base))
    return linear


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trackmap-cli-bench-") as folder:
        times = measure(sorted(args.sizes), args.repeats, Path(folder))
    linear = report(sorted(args.sizes), times)
    largest = max(args.sizes)
    verdict = "met" if linear else "MISSED"
    print(
        f"\nverdict: linear scaling up to {largest:,} (every growth exponent <= {LINEAR_LIMIT}; "
        f"quadratic is 2.0) {verdict}. Issue 11's reference, before: check of 20k rows 4.0 s, "
        "80k rows 70.8 s; preview of 100k documents, 80% blocked, over 10 minutes."
    )


if __name__ == "__main__":
    main_benchmark()
