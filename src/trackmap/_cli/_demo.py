"""``trackmap demo``: the whole story on an embedded sample host, with no credentials.

The demo is a sequence of small steps, each a function of a `DemoContext` that writes to the
context's stream. Extending it is adding a step function to `STEPS` (later steps can read what
earlier ones left in the context: the sample, the compiled mapping, the batch resolution, and
``extras`` for anything else).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import attrs

from trackmap._cli._check import describe_binding, ok_summary
from trackmap._cli._common import write_preview
from trackmap._cli._demo_delivery import DELIVERY_STEPS
from trackmap._cli._demo_split import step_split
from trackmap._config import dump_mapping, dumps_mapping, load_mapping, loads_mapping
from trackmap._engine._mapping import TrackingMapping
from trackmap._engine._resolve import resolve_batch
from trackmap._engine._results import BatchResolution
from trackmap._engine._rules import CompiledMapping, compile_mapping
from trackmap._engine._schema import TrackingSchema, TrackingStatus
from trackmap.errors import SettingsError
from trackmap.testing.hosts import SAMPLES, HostSample

__all__ = [
    "STEPS",
    "DemoContext",
    "DemoStep",
    "register",
    "rejected_mapping",
    "run",
    "run_demo",
    "step_host",
    "step_preview",
    "step_rejected",
    "step_settings",
]

_PREVIEW_DOCUMENTS = 6


@attrs.define(kw_only=True)
class DemoContext:
    """What the demo's steps share; each step reads what earlier steps left here.

    Attributes:
        out: Where the demo writes.
        sample: The sample host (records, adapter, schema, saved mapping).
        compiled: The validated, compiled mapping (set by `step_settings`).
        batch: The resolution of every sample document (set by `step_preview`).
        extras: Anything later steps want to pass on.
    """

    out: TextIO
    sample: HostSample[Any]
    compiled: CompiledMapping | None = None
    batch: BatchResolution | None = None
    extras: dict[str, Any] = attrs.Factory(dict)
    step: int = 0

    def section(self, title: str) -> None:
        """Start the next numbered section."""
        self.step += 1
        heading = f"{self.step}. {title}"
        self.out.write(f"\n{heading}\n{'-' * len(heading)}\n")

    def say(self, text: str = "") -> None:
        """Write one or more lines."""
        self.out.write(text + "\n")

    def require_compiled(self) -> CompiledMapping:
        """The compiled mapping; compiles the sample's when no step did yet."""
        if self.compiled is None:
            self.compiled = compile_mapping(
                self.sample.mapping, self.sample.schema, self.sample.fields
            )
        return self.compiled


#: One step of the demo.
DemoStep = Callable[[DemoContext], None]


def step_host(ctx: DemoContext) -> None:
    """Introduce the host's documents and the organisation's tracking categories."""
    ctx.section(f"The sample host ({ctx.sample.name}) and its Xero organisation")
    kinds = Counter(d.kind.value.replace("_", " ") for d in ctx.sample.documents())
    listed = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    ctx.say(f"{sum(kinds.values())} documents: {listed}.")
    ctx.say("Fields the host offers: " + ", ".join(_field_words(ctx)) + ".")
    for line in _schema_lines(ctx.sample.schema):
        ctx.say(line)


def _field_words(ctx: DemoContext) -> list[str]:
    return [f"{f.title} ({f.name}, per {f.level.value})" for f in ctx.sample.fields]


def _schema_lines(schema: TrackingSchema) -> list[str]:
    lines = []
    for category in schema.categories:
        active = [o.name for o in category.options if o.status is TrackingStatus.ACTIVE]
        archived = [o.name for o in category.options if o.status is TrackingStatus.ARCHIVED]
        text = f'Category "{category.name}" ({category.status.value.lower()}): '
        text += ", ".join(active) or "no active options"
        if archived:
            text += f"; archived: {', '.join(archived)}"
        lines.append(text)
    return lines


def step_settings(ctx: DemoContext) -> None:
    """Save the host's settings as JSON, load them back and validate them against the schema."""
    ctx.section("Settings saved as JSON, loaded back and validated")
    text = dumps_mapping(ctx.sample.mapping)
    ctx.out.write(text)
    mapping = loads_mapping(text, schema=ctx.sample.schema, fields=ctx.sample.fields)
    ctx.say(ok_summary(mapping, ctx.sample.schema))
    for binding in mapping.bindings:
        ctx.say(f"  {describe_binding(binding)}")
    ctx.compiled = compile_mapping(mapping, ctx.sample.schema, ctx.sample.fields)


def step_preview(ctx: DemoContext) -> None:
    """Resolve every document and show what each line would carry, and why."""
    ctx.section("Preview: what every line would carry in Xero, and why")
    documents = ctx.sample.documents()
    ctx.batch = resolve_batch(ctx.require_compiled(), documents)
    titles = {d.key: d.title for d in documents}
    write_preview(ctx.out, ctx.batch, titles, limit=_PREVIEW_DOCUMENTS)


def rejected_mapping(sample: HostSample[Any]) -> TrackingMapping:
    """Break the sample's mapping twice: a second field on one category, with an archived default.

    The first binding is repeated with another of the host's fields as its source (two fields
    on one category), and the first archived option of that category as its default.
    """
    first = sample.mapping.bindings[0]
    other = next(f.name for f in sample.fields if f.name not in first.sources)
    category = sample.schema.category(first.category_id)
    archived = next(
        (
            o.id
            for o in (category.options if category else ())
            if o.status is TrackingStatus.ARCHIVED
        ),
        None,
    )
    twice = attrs.evolve(first, sources=(other,), default_option_id=archived)
    return TrackingMapping(bindings=(first, twice))


def step_rejected(ctx: DemoContext) -> None:
    """Show a mapping that breaks the rules, and every message it gets."""
    ctx.section("A rejected mapping: two fields on one category, and an archived option")
    mapping = rejected_mapping(ctx.sample)
    for binding in mapping.bindings:
        ctx.say(f"  {describe_binding(binding)}")
    try:
        load_mapping(dump_mapping(mapping), schema=ctx.sample.schema, fields=ctx.sample.fields)
    except SettingsError as exc:
        ctx.say(f"Rejected, with {len(exc.problems)} problems:")
        for problem in exc.problems:
            ctx.say(f"  {problem.path}: {problem.message}")
    else:  # pragma: no cover - the sample schema always has an archived option
        ctx.say("Unexpectedly accepted.")


#: The demo, in order; a later feature adds its steps here.
STEPS: tuple[DemoStep, ...] = (step_host, step_settings, step_preview, step_rejected)


def run_demo(out: TextIO, *, host: str = "jobs", steps: Sequence[DemoStep] = STEPS) -> int:
    """Run the demo's steps on a sample host, writing to ``out``; returns the exit code."""
    ctx = DemoContext(out=out, sample=SAMPLES[host]())
    out.write(f"trackmap demo: the {host} sample host, offline, no Xero account needed.\n")
    for step in steps:
        step(ctx)
    return 0


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``demo`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run the embedded sample, offline",
        description="Show trackmap on an embedded sample host, with no credentials.",
    )
    parser.add_argument(
        "--host", choices=sorted(SAMPLES), default="jobs", help="the sample host (default: jobs)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the demo on the chosen host: the settings and preview, then the delivery."""
    return run_demo(out, host=args.host, steps=(*STEPS, step_split, *DELIVERY_STEPS))
