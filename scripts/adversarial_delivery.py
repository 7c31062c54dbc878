"""The adversarial delivery run at scale: ``python scripts/adversarial_delivery.py [--rounds N]``.

Each round pushes 10 good documents, 20 hostile ones and 5 whose answers are mangled, through
`XeroTarget` and the real SDK against FakeXero, then a clean push (see tests/adversarial_kit.py,
which the suite runs for 40 rounds). Prints the counts and a verdict against the issue's target:
zero non-trackmap exceptions, zero good documents failed, zero blocked tenants, zero duplicates.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

from adversarial_kit import run


def main() -> int:
    """Run the rounds; print the counts; exit 1 if any target is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        counts = run(args.rounds, pathlib.Path(tmp), seed=args.seed)
    seconds = time.perf_counter() - started
    rows = [
        ("rounds", counts.rounds),
        ("pushes", counts.pushes),
        ("hostile documents", counts.hostile_documents),
        ("hostile answers", counts.hostile_answers),
        ("cases (hostile documents + answers)", counts.cases),
        ("good documents", counts.good_documents),
        ("hostile documents failed (as they should)", counts.hostile_failed),
        ("mangled answers not recorded as created", counts.answers_unsettled),
        ("non-trackmap exceptions", counts.foreign),
        ("trackmap errors out of a push", counts.trackmap_errors),
        ("good documents failed", counts.good_failed),
        ("blocked tenants", counts.blocked),
        ("duplicates in Xero", counts.duplicates),
    ]
    for name, value in rows:
        print(f"{name:45} {value:>8}")  # noqa: T201 - a script's report
    print(f"{'seconds':45} {seconds:>8.1f}")  # noqa: T201
    bad = counts.foreign + counts.good_failed + counts.blocked + counts.duplicates
    for note in counts.notes[:10]:
        print("  ", note[:300])  # noqa: T201
    print("verdict:", "target met" if bad == 0 else "TARGET MISSED")  # noqa: T201
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
