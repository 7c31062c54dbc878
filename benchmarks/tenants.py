"""Many organisations, many workers: how much of Xero's app-wide ceiling the shared budget uses.

Run beside the real servers: ``scripts/services .venv/bin/python benchmarks/tenants.py``
(``--orgs 1000 --docs 100`` is the issue's full size; the default is smaller, so that a run
takes minutes on a 2-core machine).

What it does: ``--orgs`` organisations x ``--docs`` documents in one FakeXero (in this process),
pushed by Celery workers (``--nodes`` worker nodes running ``--concurrency`` pushes each, on
Celery's thread pool by default: a push mostly waits for its organisation's next minute, so
pushes in flight, not cores, decide the throughput; tests/celery_kit.py)
through XeroTarget with a PostgresLedger and a RedisBudget.

- Run 1, the machine's CAPACITY: the budget's limits out of the way; how many documents a second
  this machine pushes at all (the baseline, measured in the same run).
- Runs 2.., the LIMITED runs: Xero's limits, TIME-SCALED so that the ceiling is within this
  machine's reach: windows of ``--window`` seconds instead of 60, with the per-organisation
  minute limit scaled to the window (60 a minute -> 6 per 6 s) and the app-wide limit set by
  ``--app-calls`` per window (Xero: 10,000 per 60 s). FakeXero enforces 5 calls in flight per
  organisation for real (its minute windows run on a virtual clock that nobody advances here,
  so the budget alone paces the minutes).

Printed, medians over the limited runs (with min-max): documents per minute, calls a second as a
share of the app-wide ceiling, documents per minute as a share of the app-wide document ceiling
(50 per call) and of the per-organisation floor (every organisation at its own limit), 429s and
duplicates. Verdict against the issue's target: within 10% of the ceiling, zero duplicates.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import pathlib
import statistics
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import psycopg  # noqa: E402 - the tests' kit is on the path first

import celery_kit  # noqa: E402
from test_celery import broker_url, held_by_xero, organisations, queue_pushes, workers  # noqa: E402
from trackmap.testing._fakexero import FakeXero, Limits  # noqa: E402

DOCS_PER_CALL = 50


def run_once(args, limits: dict[str, float], label: str) -> dict[str, float]:
    postgres = os.environ["TRACKMAP_TEST_POSTGRES"]
    redis_url = os.environ["TRACKMAP_TEST_REDIS"]
    run = uuid.uuid4().hex[:10]
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeXero(limits=Limits(minute=10**9, day=10**9, concurrent=5, app_minute=10**9)) as fake,
    ):
        orgs = organisations(fake, args.orgs, args.docs)
        orgs_file = pathlib.Path(folder) / "orgs.json"
        orgs_file.write_text(json.dumps(orgs))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
            "TRACKMAP_CELERY_BROKER": broker_url(redis_url),
            "TRACKMAP_CELERY_QUEUE": f"bench-{run}",
            "TRACKMAP_CELERY_SCHEMA": f"bench_{run}",
            "TRACKMAP_CELERY_PREFIX": f"bench-{run}",
            "TRACKMAP_CELERY_ORGS": str(orgs_file),
            "TRACKMAP_CELERY_XERO": (
                f"{fake.base_url} {fake.access_token} {fake.clock.now().isoformat()}"
            ),
            "TRACKMAP_CELERY_LIMITS": json.dumps(limits),
        }
        env["TRACKMAP_CELERY_PG_POOL"] = str(2 * args.concurrency + 2)
        with workers(env, nodes=args.nodes, concurrency=args.concurrency, pool=args.pool):
            _warm_up(env, args)
            start = time.perf_counter()
            results = queue_pushes(env, list(orgs))
            results.get(timeout=3600, propagate=True)
            elapsed = time.perf_counter() - start
        statuses = collections.Counter(r.status for r in fake.requests)
        handled = sum(1 for r in fake.requests if r.handled)
        duplicates = missing = 0
        for tenant in orgs:
            held = held_by_xero(fake, tenant)
            duplicates += sum(n - 1 for n in held.values() if n > 1)
            missing += args.docs - len(held)
        calls_per_org = collections.Counter(
            r.headers.get("xero-tenant-id") for r in fake.requests if r.handled
        )
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "bench_{run}" CASCADE')
    documents = args.orgs * args.docs
    figures = {
        "seconds": elapsed,
        "docs_per_minute": documents / elapsed * 60,
        "calls_per_second": handled / elapsed,
        "calls": handled,
        "max_calls_per_org": max(calls_per_org.values()),
        "429s": statuses[429],
        "duplicates": duplicates,
        "missing": missing,
    }
    print(
        f"  {label}: {elapsed:7.1f} s  {figures['docs_per_minute']:9.0f} docs/min  "
        f"{figures['calls_per_second']:6.1f} calls/s  429s {statuses[429]}  "
        f"duplicates {duplicates}  missing {missing}",
        flush=True,
    )
    return figures


def _warm_up(env: dict[str, str], args) -> None:
    """Wait until every worker node answers, so that start-up is not timed."""
    celery_kit.app.conf.update(broker_url=env["TRACKMAP_CELERY_BROKER"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = celery_kit.app.control.ping(timeout=1.0) or []
        if len(replies) >= args.nodes:
            return
    msg = "the Celery workers did not start"
    raise SystemExit(msg)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="pushes at once per node")
    parser.add_argument("--pool", default="threads", help="Celery pool: threads or prefork")
    parser.add_argument("--window", type=float, default=6.0, help="seconds a 'minute' lasts")
    parser.add_argument("--app-calls", type=int, default=60, help="app-wide calls per window")
    parser.add_argument("--runs", type=int, default=3, help="limited runs (medians)")
    args = parser.parse_args()
    scale = 60.0 / args.window
    limited = {
        "minute_window": args.window,
        "minute": max(1, round(60 / scale)),
        "app_minute": args.app_calls,
        "margin": 1.0 / scale,  # Xero-scale margin of 1 s
        "day": 10**9,
    }
    shape = f"{args.orgs} organisations x {args.docs} documents"
    workers_said = f"{args.nodes} worker nodes x {args.concurrency} pushes ({args.pool} pool)"
    limits_said = (
        f"windows of {args.window:g} s, {limited['minute']} calls per organisation and "
        f"{args.app_calls} per app per window "
        f"(= Xero's {args.app_calls * scale:,.0f} calls a minute app-wide)"
    )
    print(f"{shape}, {workers_said}; limited runs: {limits_said}", flush=True)
    capacity = run_once(args, {"minute": 10**9, "app_minute": 10**9, "day": 10**9}, "capacity")
    runs = [run_once(args, limited, f"limited {n + 1}") for n in range(args.runs)]

    report(args, limited, capacity, runs)


def report(args, limited: dict[str, float], capacity: dict[str, float], runs: list[dict]) -> None:
    """Shares of the ceiling, as TIME FLOORS: with fixed windows a run of ``c`` calls under a
    limit of ``a`` a window cannot end before ``(ceil(c / a) - 1)`` windows have passed (the
    last window's calls go at its start); the share is that floor over the time taken."""
    window = args.window + limited["margin"]
    app_rate = args.app_calls / window
    org_limit = int(limited["minute"])
    in_flight = min(args.orgs, args.nodes * args.concurrency)
    app_floor = [(math.ceil(r["calls"] / args.app_calls) - 1) * window for r in runs]
    # Organisations pushed in waves of `in_flight`, each needing its own windows.
    org_floor = [
        math.ceil(args.orgs / in_flight)
        * (math.ceil(r["max_calls_per_org"] / org_limit) - 1)
        * window
        for r in runs
    ]
    app_share = [f / r["seconds"] for f, r in zip(app_floor, runs, strict=True)]
    org_share = [f / r["seconds"] for f, r in zip(org_floor, runs, strict=True)]
    best = [max(a, o) / r["seconds"] for a, o, r in zip(app_floor, org_floor, runs, strict=True)]
    docs_ceiling = app_rate * DOCS_PER_CALL * 60
    docs_share = [r["docs_per_minute"] / docs_ceiling for r in runs]
    docs_per_call = statistics.median(args.orgs * args.docs / r["calls"] for r in runs)
    print()
    print(f"app-wide ceiling: {args.app_calls} calls per {window:g} s ({app_rate:.2f} calls/s)")
    print(f"machine capacity (run 1, no limits): {capacity['calls_per_second']:.2f} calls/s")
    print(f"documents per minute, limited runs: {spread([r['docs_per_minute'] for r in runs])}")
    print(f"share of the app-wide ceiling (its time floor / time taken): {spread(app_share)}")
    print(f"share of the per-organisation floor (its time floor / time taken): {spread(org_share)}")
    print(f"share of the binding floor (the larger of the two): {spread(best)}")
    print(f"docs/min as a share of the app-wide document ceiling (50 a call): {spread(docs_share)}")
    print(f"  (documents per call here: {docs_per_call:.1f}: three kinds per organisation, the")
    print("   schema read and the option creations make calls that carry fewer than 50)")
    print(
        f"429s (median): {statistics.median(r['429s'] for r in runs)}; "
        f"duplicates (all runs): {sum(r['duplicates'] for r in runs)}; "
        f"missing (all runs): {sum(r['missing'] for r in runs)}"
    )
    if capacity["calls_per_second"] < app_rate:
        print("verdict: NOT MEASURABLE here: this machine's capacity is below the ceiling set.")
        return
    met = statistics.median(best) >= 0.9 and all(r["duplicates"] == r["missing"] == 0 for r in runs)
    word = "MET" if met else "MISSED"
    print(f"verdict: target (within 10% of the binding ceiling, zero duplicates) {word}")


if __name__ == "__main__":
    main()
