"""``trackmap reconcile SETTINGS --old OLD --new NEW``: what a schema change means for settings."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from trackmap._cli._common import read_mapping, read_schema
from trackmap._cli._output import MESSAGE_LIMIT
from trackmap._config._quote import safe_text
from trackmap._engine._reconcile import DriftChange, PlanItem, ReconcilePlan, reconcile

__all__ = ["register", "run", "write_plan"]


def register(subparsers: Any) -> None:  # noqa: ANN401 - argparse's subparsers type is private
    """Add the ``reconcile`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "reconcile",
        help="show what a change of tracking categories in Xero means for saved settings",
        description=(
            "Compare the schema the settings were saved against (--old) with the one the "
            "organisation has now (--new): every category and option the settings refer to is "
            "unchanged, renamed, archived, deleted, restored or new. Renames keep working, since "
            "settings hold ids; the rest is listed with suggested fixes. Exit code 0 when "
            "nothing needs a person, 1 otherwise."
        ),
    )
    parser.add_argument("settings", metavar="SETTINGS", help="the settings (mapping) JSON file")
    parser.add_argument("--old", required=True, metavar="OLD_SCHEMA", help="the schema before")
    parser.add_argument("--new", required=True, metavar="NEW_SCHEMA", help="the schema now")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the plan; return 0 when nothing needs a person, else 1."""
    mapping = read_mapping(args.settings)
    plan = reconcile(mapping, read_schema(args.old), read_schema(args.new))
    write_plan(out, plan)
    return 0 if plan.ok else 1


def write_plan(out: TextIO, plan: ReconcilePlan) -> None:
    """Print each non-empty section with its items, then a one-line summary."""
    sections: tuple[tuple[str, tuple[PlanItem, ...]], ...] = (
        ("Keeps working", plan.keeps_working),
        ("Review the host values", plan.review),
        ("Needs a person", plan.needs_person),
    )
    for title, items in sections:
        if items:
            out.write(f"{title} ({len(items)}):\n")
            out.writelines(f"  - {safe_text(item.message, MESSAGE_LIMIT)}\n" for item in items)
    out.write(_summary(plan) + "\n")


def _summary(plan: ReconcilePlan) -> str:
    total = len(plan.items)
    unchanged = sum(1 for i in plan.items if i.drift.change is DriftChange.UNCHANGED)
    people = len(plan.needs_person)
    verdict = "the settings work as they are." if plan.ok else "fix them before the next send."
    return (
        f"{total} references: {unchanged} unchanged, {total - unchanged} changed, "
        f"{people} {'needs' if people == 1 else 'need'} a person; {verdict}"
    )
