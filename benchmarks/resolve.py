"""Benchmark the engine against the bare-dict floor, and schema build + compile.

Run: ``python benchmarks/resolve.py [--lines 200000] [--repeat 7] [--big 1000000]``.

1. Resolution: 200,000 lines (20,000 invoices of 10 lines) against a two-binding mapping: a
   table binding (line ``stage_manager``, else document ``project_manager``) and a by-name
   binding (document ``job``). The FLOOR computes the same answers with bare dict lookups,
   producing plain ``(category_id, option_id)`` tuples per line (no normalisation, no checks,
   no result values, no fingerprint); the engine's answers are checked equal to it. Timed with
   the garbage collector on and off, batch (`resolve_batch`) and per document (`resolve`),
   all four contenders in alternation, on a warm compiled mapping (its memos live with it), and
   once cold (a fresh compile) for information.
   Targets: batch within 3x of the floor, collector on and off; per document within 1.5x of
   batch.
2. Memory and linearity: documents streamed one by one through `resolve` (results dropped, as
   a push in chunks does; each document is built as it is streamed, and that cost is in the
   times), a new job number on every document versus repeating ones. Targets:
   time per line at ``--big`` lines within 1.25x of that at a tenth of them (linear); peak
   traced memory with new values within 2x of repeating values (each in a fresh interpreter).
3. Schema and compile: a `TrackingSchema` of 200,000 options (all active) built from its
   option values, and a by-name binding compiled against it. Target: under 100 ms in total.
   For information: a table binding into the same category (it builds no name index).

Every figure is a median of ``--repeat`` runs (at least 5) in CPU seconds, with its spread
(lowest to highest), measured in this process unless said otherwise. The machine may be
shared: CPU time is used so that waiting for a core is nobody's cost, but contention still
shows in the spreads.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import (
    Binding,
    ByName,
    ByTable,
    FieldLevel,
    FieldSpec,
    TrackingMapping,
)
from trackmap._engine._resolve import resolve, resolve_batch
from trackmap._engine._rules import CompiledMapping, build_compiled, compile_mapping
from trackmap._engine._schema import TrackingCategory, TrackingOption, TrackingSchema

LINES_PER_DOCUMENT = 10
FIELDS = (
    FieldSpec(name="stage_manager", level=FieldLevel.LINE, label="Stage manager"),
    FieldSpec(name="project_manager", level=FieldLevel.DOCUMENT, label="Project manager"),
    FieldSpec(name="job", level=FieldLevel.DOCUMENT, label="Job number"),
)
STAFF = tuple(f"Staff {n}" for n in range(40))
JOBS = tuple(f"J{n:04d}" for n in range(100))
TABLE = {name: f"r{n % 20}" for n, name in enumerate(STAFF)}

Answers = list[list[tuple[tuple[str, str | None], ...]]]


def schema() -> TrackingSchema:
    regions = tuple(TrackingOption(id=f"r{n}", name=f"Region {n}") for n in range(20))
    jobs = tuple(TrackingOption(id=f"j-{name}", name=name) for name in JOBS)
    return TrackingSchema(
        categories=(
            TrackingCategory(id="region", name="Region", options=regions),
            TrackingCategory(id="job", name="Job", options=jobs),
        )
    )


def mapping() -> TrackingMapping:
    return TrackingMapping(
        bindings=(
            Binding(
                category_id="region",
                category_name="Region",
                sources=("stage_manager", "project_manager"),
                values=ByTable(rows=TABLE),
            ),
            Binding(category_id="job", category_name="Job", sources=("job",), values=ByName()),
        )
    )


def document(n: int, rng: random.Random, job: str) -> Document:
    lines = tuple(
        Line(key=str(k), fields={"stage_manager": rng.choice((*STAFF, "", None))})
        for k in range(LINES_PER_DOCUMENT)
    )
    fields = {"project_manager": rng.choice(STAFF), "job": job}
    return Document(key=f"INV-{n}", kind=DocumentKind.SALES_INVOICE, fields=fields, lines=lines)


def documents(count: int, rng: random.Random) -> list[Document]:
    return [document(n, rng, rng.choice(JOBS)) for n in range(count)]


def floor(docs: list[Document]) -> Callable[[], Answers]:
    """Bare dict lookups giving (category_id, option_id) tuples per line: the floor."""
    jobs = {name: f"j-{name}" for name in JOBS}

    def run() -> Answers:
        out = []
        for doc in docs:
            fields = doc.fields
            job = ("job", jobs[fields["job"]])
            fallback = ("region", TABLE[fields["project_manager"]])
            lines = []
            for line in doc.lines:
                staff = line.fields.get("stage_manager")
                lines.append((("region", TABLE[staff]) if staff else fallback, job))
            out.append(lines)
        return out

    return run


def answers_of(resolutions: object) -> Answers:
    return [
        [tuple((a.category_id, a.option_id) for a in line.assignments) for line in r.lines]
        for r in resolutions  # type: ignore[attr-defined]
    ]


def seconds(run: Callable[[], object], *, collector: bool) -> float:
    """CPU seconds of one run (garbage collected first, so no contender pays for another)."""
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (spread {min(values):.3f}-{max(values):.3f})"


def ratio_summary(ratios: list[float]) -> tuple[float, str]:
    median = statistics.median(ratios)
    return median, f"{median:.2f}x (spread {min(ratios):.2f}-{max(ratios):.2f}x)"


def verdict(met: bool) -> str:  # noqa: FBT001 - a plain yes or no
    return "MET" if met else "MISSED"


def bench_resolution(lines: int, repeat: int) -> None:
    docs = documents(lines // LINES_PER_DOCUMENT, random.Random(42))
    count = len(docs) * LINES_PER_DOCUMENT
    compiled = compile_mapping(mapping(), schema(), FIELDS)
    run_floor = floor(docs)
    contenders: dict[str, Callable[[], object]] = {
        "floor": run_floor,
        "batch": lambda: resolve_batch(compiled, docs).resolutions,
        "per document": lambda: [resolve(compiled, d) for d in docs],
    }
    expected = run_floor()
    for name in ("batch", "per document"):
        if expected != answers_of(contenders[name]()):
            msg = f"{name} gives other answers than the floor"
            raise SystemExit(msg)
    cold = [
        seconds(lambda: resolve_batch(fresh(compiled), docs), collector=True)
        for _ in range(max(3, repeat // 2))
    ]
    print(f"1. Resolution, {count:,} lines ({len(docs):,} documents); answers equal the floor's")
    for collector in (True, False):
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeat):
            for name, run in contenders.items():
                times[name].append(seconds(run, collector=collector))
        label = "collector on (as in a host)" if collector else "collector off (as timeit)"
        print(f"  {label}:")
        for name, values in times.items():
            rate = count / statistics.median(values)
            print(f"    {name:<13} {summary(values)}  {rate:>10,.0f} lines/s")
        batch, text = ratio_summary(
            [b / f for b, f in zip(times["batch"], times["floor"], strict=True)]
        )
        print(f"    batch / floor:         {text}  target <= 3x: {verdict(batch <= 3)}")
        per, text = ratio_summary(
            [p / b for p, b in zip(times["per document"], times["batch"], strict=True)]
        )
        print(f"    per document / batch:  {text}  target <= 1.5x: {verdict(per <= 1.5)}")
    print(f"  for information, batch on a cold compiled mapping (collector on): {summary(cold)}")


def fresh(compiled: CompiledMapping) -> CompiledMapping:
    return build_compiled(compiled.mapping, compiled.schema, compiled.fields)


# --- 2. memory and linearity ------------------------------------------------------------------


def stream(count: int, *, new_values: bool) -> Iterator[Document]:
    rng = random.Random(7)
    for n in range(count):
        yield document(n, rng, f"NEW-{n}" if new_values else rng.choice(JOBS))


def streamed_seconds(lines: int, *, new_values: bool) -> float:
    """CPU seconds to resolve ``lines`` lines streamed one document at a time (collector on)."""
    compiled = compile_mapping(mapping(), schema(), FIELDS)
    docs = stream(lines // LINES_PER_DOCUMENT, new_values=new_values)
    start = time.process_time()
    for doc in docs:
        resolve(compiled, doc)
    return time.process_time() - start


_MEMORY_PROBE = """
import json, sys, tracemalloc
sys.path.insert(0, {here!r})
import resolve as bench
compiled = bench.compile_mapping(bench.mapping(), bench.schema(), bench.FIELDS)
tracemalloc.start()
for doc in bench.stream({count}, new_values={new}):
    bench.resolve(compiled, doc)
print(json.dumps(tracemalloc.get_traced_memory()[1]))
"""


def peak_bytes(lines: int, *, new_values: bool) -> int:
    """Peak traced memory of a streamed run, in a fresh interpreter."""
    code = _MEMORY_PROBE.format(
        here=str(Path(__file__).parent), count=lines // LINES_PER_DOCUMENT, new=new_values
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600
    )
    return int(json.loads(done.stdout))


def bench_memory(big: int, repeat: int) -> None:
    small = big // 10
    print("2. Streamed per document, a new job number on every document vs repeating ones")
    runs = max(3, repeat // 2)
    per_line: dict[int, list[float]] = {}
    for lines in (small, big):
        per_line[lines] = [streamed_seconds(lines, new_values=True) / lines for _ in range(runs)]
        us = [value * 1e6 for value in per_line[lines]]
        print(
            f"  new values, {lines:>9,} lines: median {statistics.median(us):.2f} us/line "
            f"(spread {min(us):.2f}-{max(us):.2f})"
        )
    repeating = [streamed_seconds(big, new_values=False) / big for _ in range(runs)]
    print(f"  repeating,  {big:>9,} lines: median {statistics.median(repeating) * 1e6:.2f} us/line")
    linear = statistics.median(per_line[big]) / statistics.median(per_line[small])
    print(
        f"  time per line, {big:,} vs {small:,}: {linear:.2f}x  target <= 1.25x (linear): "
        f"{verdict(linear <= 1.25)}"
    )
    new_peak = [peak_bytes(big, new_values=True) for _ in range(3)]
    old_peak = [peak_bytes(big, new_values=False) for _ in range(3)]
    mib = 1024 * 1024
    print(
        f"  peak memory, new values: median {statistics.median(new_peak) / mib:.1f} MiB "
        f"(spread {min(new_peak) / mib:.1f}-{max(new_peak) / mib:.1f}; 3 fresh interpreters)"
    )
    print(
        f"  peak memory, repeating:  median {statistics.median(old_peak) / mib:.1f} MiB "
        f"(spread {min(old_peak) / mib:.1f}-{max(old_peak) / mib:.1f})"
    )
    growth = statistics.median(new_peak) / statistics.median(old_peak)
    print(f"  new / repeating: {growth:.2f}x  target <= 2x: {verdict(growth <= 2)}")


# --- 3. schema and compile --------------------------------------------------------------------


def bench_compile(repeat: int) -> None:
    options = tuple(TrackingOption(id=f"o{n}", name=f"Job {n:06d}") for n in range(200_000))
    fields = (FieldSpec(name="job", level=FieldLevel.DOCUMENT), *FIELDS[:1])
    by_name = TrackingMapping(bindings=(Binding(category_id="job", sources=("job",)),))
    table = {f"Staff {n}": f"o{n}" for n in range(100)}
    by_table = TrackingMapping(
        bindings=(
            Binding(category_id="job", sources=("stage_manager",), values=ByTable(rows=table)),
        )
    )

    def build() -> TrackingSchema:
        return TrackingSchema(categories=(TrackingCategory(id="job", name="Job", options=options),))

    def both() -> None:
        compile_mapping(by_name, build(), fields)

    totals = [seconds(both, collector=True) for _ in range(repeat)]
    tables = [
        seconds(lambda: compile_mapping(by_table, build(), fields), collector=True)
        for _ in range(repeat)
    ]
    median = statistics.median(totals)
    print("3. Schema of 200,000 active options (from its option values) built + compiled by name:")
    print(f"  {summary(totals)}  target < 0.100 s: {verdict(median < 0.1)}")
    print(f"  for information, a table binding into the same category: {summary(tables)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    repeat = max(5, args.repeat)
    bench_resolution(args.lines, repeat)
    if not args.skip_memory:
        bench_memory(args.big, repeat)
    bench_compile(repeat)


if __name__ == "__main__":
    main()
