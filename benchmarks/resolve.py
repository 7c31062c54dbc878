"""Benchmark the engine: resolution throughput against bare dict lookups, and compile time.

Run: ``python benchmarks/resolve.py [--lines 200000] [--repeat 5]``.

1. Resolution: 200,000 lines (20,000 invoices of 10 lines) against a two-binding mapping: a
   table binding (line ``stage_manager``, else document ``project_manager``) and a by-name
   binding (document ``job``). The baseline builds the same `ResolvedLine` and `Resolution`
   values from bare dict lookups of prepared assignments (no normalisation, no checks, no
   fingerprint): the floor any resolver pays. Target: resolve within 2x of the baseline.
2. Compile: a mapping whose by-name and table bindings point into a category of 50,000 options,
   49,900 of them archived. Target: median under 0.2 s.
3. For information: the memo's worst case, a job number never seen before on every document.

Every figure is the median of ``--repeat`` runs (at least 5) in CPU seconds, measured in the
same process; resolve and its baseline run in alternation. Resolution is timed twice: with the
garbage collector running, as in a host process, and with it switched off, as timeit does
(both contenders allocate a value per line, and the collector's share of the time differs).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable

import attrs

from trackmap._engine._document import Document, DocumentKind, Line
from trackmap._engine._mapping import Binding, ByName, ByTable, FieldSpec, Level, TrackingMapping
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._results import Assignment, Explanation, Resolution, ResolvedLine, Rule
from trackmap._engine._rules import compile_mapping
from trackmap._engine._schema import Status, TrackingCategory, TrackingOption, TrackingSchema

LINES_PER_DOCUMENT = 10
FIELDS = (
    FieldSpec(name="stage_manager", level=Level.LINE, label="Stage manager"),
    FieldSpec(name="project_manager", level=Level.DOCUMENT, label="Project manager"),
    FieldSpec(name="job", level=Level.DOCUMENT, label="Job number"),
)
STAFF = tuple(f"Staff {n}" for n in range(40))
JOBS = tuple(f"J{n:04d}" for n in range(100))


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
    table = {name: f"r{n % 20}" for n, name in enumerate(STAFF)}
    return TrackingMapping(
        bindings=(
            Binding(
                category_id="region",
                category_name="Region",
                sources=("stage_manager", "project_manager"),
                values=ByTable(rows=table),
            ),
            Binding(category_id="job", category_name="Job", sources=("job",), values=ByName()),
        )
    )


def documents(count: int, rng: random.Random) -> list[Document]:
    docs = []
    for n in range(count):
        lines = tuple(
            Line(key=str(k), fields={"stage_manager": rng.choice((*STAFF, "", None))})
            for k in range(LINES_PER_DOCUMENT)
        )
        fields = {"project_manager": rng.choice(STAFF), "job": rng.choice(JOBS)}
        docs.append(
            Document(key=f"INV-{n}", kind=DocumentKind.SALES_INVOICE, fields=fields, lines=lines)
        )
    return docs


def baseline(docs: list[Document]) -> Callable[[], object]:
    """Bare dict lookups of prepared assignments, building the same values."""
    regions = {o.id: o for o in schema().categories[0].options}
    table: dict[str | None, Assignment] = {}
    for field in ("stage_manager", "project_manager"):
        for n, name in enumerate(STAFF):
            option = regions[f"r{n % 20}"]
            table[field, name] = _assignment(
                category_id="region",
                category_name="Region",
                option=option,
                field=field,
                value=name,
                rule=Rule.TABLE,
            )
    jobs = {
        name: _assignment(
            category_id="job",
            category_name="Job",
            option=TrackingOption(id=f"j-{name}", name=name),
            field="job",
            value=name,
            rule=Rule.NAME,
        )
        for name in JOBS
    }

    def run() -> object:
        out = []
        for doc in docs:
            fields = doc.fields
            job = jobs[fields["job"]]
            lines = []
            for line in doc.lines:
                staff = line.fields.get("stage_manager")
                region = (
                    table["stage_manager", staff]
                    if staff
                    else table["project_manager", fields["project_manager"]]
                )
                lines.append(ResolvedLine(key=line.key, assignments=(region, job)))
            out.append(Resolution(document_key=doc.key, kind=doc.kind, lines=tuple(lines)))
        return out

    return run


def _assignment(
    *,
    category_id: str,
    category_name: str,
    option: TrackingOption,
    field: str,
    value: str,
    rule: Rule,
) -> Assignment:
    return Assignment(
        category_id=category_id,
        category_name=category_name,
        option_id=option.id,
        option_name=option.name,
        explanation=Explanation(rule=rule, field=field, value=value),
    )


def seconds(run: Callable[[], object], *, collector: bool = False) -> float:
    """CPU seconds of one run; the collector is off unless asked for, as timeit does.

    CPU time (not wall time) because the machine may be shared: time spent waiting for a core
    is nobody's cost. Garbage is collected first so that what one contender left behind does
    not land on the next.
    """
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    return statistics.median(seconds(run) for _ in range(repeat))


def paired_medians(
    one: Callable[[], object],
    other: Callable[[], object],
    repeat: int,
    *,
    collector: bool = False,
) -> tuple[float, float]:
    """Median seconds of two contenders, run in alternation so both see the same conditions."""
    pairs = [
        (seconds(one, collector=collector), seconds(other, collector=collector))
        for _ in range(repeat)
    ]
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def report(lines: int, engine: float, floor: float, repeat: int, label: str) -> None:
    print(f"{label}:")
    print(f"  resolve:  {lines / engine:>12,.0f} lines/s  (median of {repeat}: {engine:.3f} s)")
    print(f"  baseline: {lines / floor:>12,.0f} lines/s  (median of {repeat}: {floor:.3f} s)")
    print(f"  ratio:    {engine / floor:.2f}x the baseline's time (target: within 2x)")


def big_schema(options: int, active: int) -> TrackingSchema:
    opts = tuple(
        TrackingOption(
            id=f"o{n}",
            name=f"Job {n:06d}",
            status=Status.ACTIVE if n < active else Status.ARCHIVED,
        )
        for n in range(options)
    )
    other = TrackingCategory(
        id="region", name="Region", options=(TrackingOption(id="r", name="R"),)
    )
    return TrackingSchema(categories=(TrackingCategory(id="job", name="Job", options=opts), other))


def bench_compile(repeat: int) -> float:
    big = big_schema(50_000, 100)
    table = {f"Staff {n}": f"o{n}" for n in range(100)}
    by_name = TrackingMapping(
        bindings=(
            Binding(category_id="job", sources=("job",), values=ByName()),
            Binding(
                category_id="region", sources=("stage_manager",), values=ByTable(rows={"x": "r"})
            ),
        )
    )
    by_table = TrackingMapping(
        bindings=(
            Binding(category_id="job", sources=("stage_manager",), values=ByTable(rows=table)),
        )
    )
    compile_mapping(by_name, big, FIELDS)  # warm up

    def run() -> None:
        compile_mapping(by_name, big, FIELDS)
        compile_mapping(by_table, big, FIELDS)

    return median_seconds(run, repeat) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = max(5, args.repeat)
    docs = documents(args.lines // LINES_PER_DOCUMENT, random.Random(42))
    lines = len(docs) * LINES_PER_DOCUMENT
    compiled = compile_mapping(mapping(), schema(), FIELDS)

    def engine() -> object:
        return resolve_batch(compiled, docs)

    floor = baseline(docs)
    for collector in (True, False):
        timed = paired_medians(engine, floor, repeat, collector=collector)
        label = "collector on (as in a host)" if collector else "collector off (as timeit)"
        report(lines, *timed, repeat, label)
    # The memo's worst case: a job number never seen before on every document (unmapped).
    fresh = [attrs.evolve(d, fields={**d.fields, "job": f"NEW-{n}"}) for n, d in enumerate(docs)]
    cold = median_seconds(lambda: resolve_batch(compiled, fresh), repeat)
    print(f"resolve, a new job number on every document: {lines / cold:>12,.0f} lines/s")
    spent = bench_compile(repeat)
    print(
        f"compile against 50,000 options (49,900 archived): median {spent * 1000:.1f} ms "
        "(target: under 200 ms)"
    )


if __name__ == "__main__":
    main()
