"""Regenerate the vcrpy cassettes of XeroTarget against FakeXero. Run by hand, never by the suite.

    /work/venv/bin/python tests/cassettes/record.py

Each scenario starts with a schema read, so a replay can take the category and option ids it
needs from the cassette itself. The ``Authorization`` and ``xero-tenant-id`` headers and any
token field are filtered before a cassette is written; `test_xero_cassettes.py` checks it.
The scenario functions are shared with the replay tests, so what is replayed is what was
recorded.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import vcr

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from trackmap._engine._document import DocumentKind  # noqa: E402 - after the path fix
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody  # noqa: E402
from trackmap._sync._target import PushItem, TrackingEntry  # noqa: E402
from trackmap.xero import RetryPolicy, XeroTarget  # noqa: E402

SECRET_HEADERS = ("authorization", "xero-tenant-id")
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token", "client_secret")
START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
REPLAY_BASE_URL = "http://127.0.0.1:9/api.xro/2.0"


def cassette_vcr(record_mode: str) -> vcr.VCR:
    """The one vcrpy configuration: secrets filtered, host and port not matched."""
    return vcr.VCR(
        record_mode=record_mode,
        match_on=("method", "path", "query"),
        filter_headers=SECRET_HEADERS,
        filter_post_data_parameters=TOKEN_FIELDS,
        filter_query_parameters=TOKEN_FIELDS,
        decode_compressed_response=True,
    )


def _tracking(target: XeroTarget) -> TrackingEntry:
    schema = target.read_schema()
    (region,) = schema.categories_named("Region")
    (north,) = region.options_named("North")
    return TrackingEntry(
        category_id=region.id, category_name=region.name, option_id=north.id, option_name=north.name
    )


def invoice(
    n: int, entry: TrackingEntry, *, contact: bool = True, xero_id: str | None = None
) -> PushItem:
    """A one-line sales invoice numbered ``CAS-n``."""
    body = DocumentBody(
        contact=ContactRef(name="Cassette Co") if contact else None,
        date=dt.date(2026, 11, 1),
        lines=(
            BodyLine(description=f"Work {n}", unit_amount=Decimal("120.00"), account_code="200"),
        ),
        number=f"CAS-{n}",
    )
    return PushItem(
        key=f"CAS-{n}",
        kind=DocumentKind.SALES_INVOICE,
        body=body,
        tracking=((entry,),),
        idempotency_key=f"cassette-{n}-{xero_id or 'new'}",
        xero_id=xero_id,
    )


def schema_read(target: XeroTarget) -> Any:
    """Read the tracking categories, archived ones included."""
    return target.read_schema()


def option_create(target: XeroTarget) -> Any:
    """Create the option "Perth" in Region."""
    entry = _tracking(target)
    return target.create_option(entry.category_id, " Perth ")


def batch_with_failure(target: XeroTarget) -> Any:
    """Three invoices in one request; the second has no contact and fails alone."""
    entry = _tracking(target)
    return target.push([invoice(1, entry), invoice(2, entry, contact=False), invoice(3, entry)])


def update(target: XeroTarget) -> Any:
    """Create an invoice, then update it by id (POST)."""
    entry = _tracking(target)
    (created,) = target.push([invoice(4, entry)])
    return target.push([invoice(4, entry, xero_id=created.xero_id)])


def rate_limited(target: XeroTarget) -> Any:
    """A minute 429 on the PUT, waited out, then success."""
    entry = _tracking(target)
    return target.push([invoice(5, entry), invoice(6, entry)])


Scenario = Callable[[XeroTarget], Any]
SCENARIOS: dict[str, Scenario] = {
    "schema_read": schema_read,
    "option_create": option_create,
    "batch_with_failure": batch_with_failure,
    "update": update,
    "rate_limited": rate_limited,
}


def target_for(api: Any, tenant_id: str, clock: Any) -> XeroTarget:
    """The target the scenarios run with: virtual time, no jitter."""
    return XeroTarget(
        api, tenant_id, clock=clock.now, sleep=clock.sleep, policy=RetryPolicy(jitter=False)
    )


def record(name: str) -> Path:
    """Record one scenario against a fresh FakeXero; return the cassette path."""
    from trackmap.testing._fakexero import FakeXero, Fault, VirtualClock

    path = HERE / f"{name}.yaml"
    path.unlink(missing_ok=True)
    clock = VirtualClock(start=START)
    with FakeXero(clock=clock) as fake:
        region = fake.add_category("Region", options=["North", "South"])
        fake.add_option(region, "West", status="ARCHIVED")
        fake.add_category("Department", options=["Sales"])
        if name == "rate_limited":
            fake.inject(Fault.rate_limit("minute", retry_after=5), method="PUT", path="/Invoices")
        target = target_for(fake.sdk_client(), fake.tenant_id, clock)
        with cassette_vcr("all").use_cassette(str(path)):
            SCENARIOS[name](target)
    return path


def main() -> None:
    """Record every scenario."""
    for name in SCENARIOS:
        print(f"recorded {record(name).relative_to(HERE.parents[1])}")  # noqa: T201 - a script


if __name__ == "__main__":
    main()
