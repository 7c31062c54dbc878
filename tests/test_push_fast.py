"""The push's fast paths, each against its simple reference (STYLE: fast code has an oracle).

- body digests: the field-by-field form of a `DocumentBody` against the generic walk;
- request bodies: each document serialised once and sent as is, against the SDK's own
  serialisation of its wrapper model (same JSON, same sizes);
- one model per item: what `XeroTarget.as_sent` described is what `push` sends;
- the ledger's batched upsert against one call per outcome;
- no history row per unchanged document: the file does not grow with unchanged re-pushes.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import sqlite3
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xero_python import accounting
from xero_python.accounting import Invoice, LineItem
from xero_python.api_client.serializer import serialize

from delivery_kit import FIELDS, MAPPING, many, memory_target
from test_xero_target import Org
from trackmap._engine._document import DocumentKind
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody
from trackmap._sync import _keys as keys
from trackmap._sync._ledger import SendOutcome, SqliteLedger
from trackmap._sync._plan import content_digest, member_content
from trackmap._sync._push import Pusher
from trackmap._sync._target import DeliveryStatus, RemoteDocument, RemoteLine
from trackmap.xero import _bodies as bodies
from trackmap.xero import _target as xero_target

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def reference_digest(body: object) -> str:
    """The digest as the generic walk alone takes it (the reference of `body_digest`)."""
    text = json.dumps(keys._plain(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Colour(enum.Enum):
    RED = "red"


class Named(enum.StrEnum):
    ONE = "one"


odd = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.sampled_from([Colour.RED, Named.ONE]),
    st.lists(st.integers(), max_size=2),
)
texts = st.one_of(st.none(), st.text(max_size=12), odd)
lines = st.builds(
    BodyLine,
    description=texts,
    unit_amount=odd,
    quantity=odd,
    account_code=texts,
    tax_type=texts,
    item_code=texts,
)
contacts = st.one_of(
    st.none(), st.builds(ContactRef, name=texts, contact_id=texts, email=texts), odd
)
document_bodies = st.builds(
    DocumentBody,
    contact=contacts,
    date=st.one_of(st.dates(), odd),
    lines=st.lists(lines, max_size=4),
    due_date=texts,
    number=texts,
    reference=texts,
    currency_code=texts,
    status=texts,
    line_amount_types=texts,
    bank_account_code=texts,
    narration=texts,
)


class TestBodyDigest:
    @settings(max_examples=300, deadline=None)
    @given(body=document_bodies)
    def test_the_fast_form_gives_the_reference_digest(self, body):
        """Same digest as the generic walk: no stored fingerprint changes with the upgrade."""
        assert reference_digest(body) == keys.body_digest(body)
        assert keys._plain(body) == keys.plain_body(body)

    def test_the_fast_form_names_every_field_of_the_body_types(self):
        """A field added to a body type must reach the digest (or this fails)."""
        body = DocumentBody(
            contact=ContactRef(name="A"),
            date=dt.date(2026, 1, 1),
            lines=[BodyLine(description="x", unit_amount=Decimal(1))],
        )
        plain = keys.plain_body(body)
        assert [f.name for f in attrs.fields(DocumentBody)] == list(plain)
        assert [f.name for f in attrs.fields(ContactRef)] == list(plain["contact"])
        older = [f.name for f in attrs.fields(BodyLine) if "digest" not in f.metadata]
        assert older == list(plain["lines"][0])
        # The fields added later (left out while None, so old digests hold) reach it when set.
        full = attrs.evolve(
            body,
            lines=[attrs.evolve(body.lines[0], discount_rate=Decimal(5), tax_amount=Decimal(1))],
        )
        assert [f.name for f in attrs.fields(BodyLine)] == list(keys.plain_body(full)["lines"][0])
        assert keys.plain_body(full) == keys._plain(full)

    def test_a_known_body_keeps_its_digest(self):
        """Pinned: the digest trackmap stored before this change (fingerprints stay valid)."""
        body = DocumentBody(
            contact=ContactRef(name="Acme"),
            date=dt.date(2026, 11, 1),
            lines=[BodyLine(description="Work", unit_amount=Decimal("99.95"))],
            reference="R-1",
        )
        assert reference_digest(body) == keys.body_digest(body)
        assert "72dd5905" == keys.body_digest(body)[:8]


class TestSerialisedOnce:
    def models(self):
        line = LineItem(description="Work", quantity=Decimal(2), unit_amount=Decimal("1.25"))
        return [
            Invoice(
                type="ACCREC", reference=f"R-{n}", date=dt.date(2026, 11, n + 1), line_items=[line]
            )
            for n in range(3)
        ]

    def test_the_wire_body_is_the_sdks_own(self):
        spec = bodies.SPECS[DocumentKind.SALES_INVOICE]
        models = self.models()
        once = [bodies.serialised(m)[0] for m in models]
        assert serialize(bodies.wrap_models(spec, models)) == serialize(bodies.wrap(spec, once))
        assert serialize(bodies.wrap_models(spec, models)) == serialize(bodies.wrap(spec, models))

    def test_the_size_is_the_serialised_size(self):
        for model in self.models():
            data, size = bodies.serialised(model)
            assert len(json.dumps(serialize(model)).encode()) == size
            assert data == serialize(model)

    def test_the_pushed_requests_carry_what_the_sdk_would_have_sent(self, xero_fake, xero_clock):
        org = Org(xero_fake, xero_clock)
        items = [org.item(n, lines=2) for n in range(3)]
        org.target.push(items)
        (put,) = [r for r in xero_fake.requests if r.method == "PUT"]
        spec = bodies.SPECS[DocumentKind.SALES_INVOICE]
        models = [bodies.build_model(item) for item in items]
        assert json.loads(json.dumps(serialize(bodies.wrap_models(spec, models)))) == put.json


class TestOneModelPerItem:
    def test_push_sends_the_model_as_sent_described(self, xero_fake, xero_clock, monkeypatch):
        org = Org(xero_fake, xero_clock)
        item = org.item(1)
        built = []
        real = xero_target.build_model
        monkeypatch.setattr(xero_target, "build_model", lambda i: built.append(i) or real(i))
        org.target.as_sent(item)
        org.target.push([item])
        assert [item] == built  # built once, for as_sent; push took that very model
        twin = attrs.evolve(item)  # equal, but another item: built anew
        org.target.as_sent(twin)
        org.target.push([org.item(2)])
        assert 3 == len(built)

    def test_the_memo_is_bounded(self, xero_fake, xero_clock, monkeypatch):
        org = Org(xero_fake, xero_clock)
        monkeypatch.setattr(xero_target, "_MEMO_LIMIT", 3)
        for n in range(10):
            org.target.as_sent(org.item(n))
        assert len(org.target._built) <= 3


def outcomes(count):
    return [
        SendOutcome(
            kind=DocumentKind.SALES_INVOICE,
            key=f"K{n % 7}",
            status=list(DeliveryStatus)[n % len(DeliveryStatus)],
            messages=(f"m{n}",),
            xero_id=f"x{n}" if n % 3 else None,
            fingerprint=f"f{n}" if n % 2 else None,
            answered=bool(n % 4),
        )
        for n in range(count)
    ]


class TestBatchedLedgerWrites:
    def test_one_call_for_many_outcomes_is_one_call_each(self, tmp_path):
        """The batched upsert against the reference: each outcome recorded on its own."""
        with (
            SqliteLedger(tmp_path / "a.db") as batched,
            SqliteLedger(tmp_path / "b.db") as single,
        ):
            for ledger in (batched, single):
                ledger.open_batch("t", T0)
            batched.record_outcomes("t", 1, outcomes(40))
            for one in outcomes(40):
                single.record_outcomes("t", 1, [one])
            assert list(single.entries("t")) == list(batched.entries("t"))
            assert single.batch("t", 1).counts == batched.batch("t", 1).counts


def pusher(target, ledger):
    return Pusher(target=target, ledger=ledger, mapping=MAPPING, fields=FIELDS, clock=lambda: T0)


def pages(path):
    """The ledger's pages, the write-ahead log's included (another connection sees them)."""
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA page_count").fetchone()[0]
    finally:
        db.close()


class TestUnchangedHistory:
    def test_unchanged_re_pushes_write_no_history_rows(self, tmp_path):
        target = memory_target()
        path = tmp_path / "ledger.db"
        with SqliteLedger(path) as ledger:
            pusher(target, ledger).push(many(300))
            reports = [pusher(target, ledger).push(many(300)) for _ in range(3)]
            assert [300, 300, 300] == [r.counts.unchanged for r in reports]
            listed = list(ledger.batch_documents(target.tenant_id, reports[-1].batch.number))
            assert 300 == len(listed)
            assert {DeliveryStatus.UNCHANGED} == {d.status for d in listed}
            assert 300 == ledger.batch(target.tenant_id, 2).counts.unchanged
        db = sqlite3.connect(path)
        rows = db.execute("SELECT batch, COUNT(*) FROM batch_documents GROUP BY batch").fetchall()
        db.close()
        assert [(1, 300)] == rows

    def test_the_file_does_not_grow_with_unchanged_re_pushes(self, tmp_path):
        target = memory_target()
        path = tmp_path / "ledger.db"
        with SqliteLedger(path) as ledger:
            pusher(target, ledger).push(many(500))
            pusher(target, ledger).push(many(500))
            size = pages(path)
            for _ in range(4):
                pusher(target, ledger).push(many(500))
            assert pages(path) <= size + 2  # a batch row each, not 500 rows a push

    def test_a_document_sent_and_then_seen_unchanged_in_one_push_is_counted_once(self, tmp_path):
        target = memory_target()
        with SqliteLedger(tmp_path / "l.db") as ledger:
            docs = list(many(3))
            report = Pusher(
                target=target,
                ledger=ledger,
                mapping=MAPPING,
                fields=FIELDS,
                clock=lambda: T0,
                chunk_size=3,
            ).push([*docs, *docs])
            listed = list(ledger.batch_documents(target.tenant_id, report.batch.number))
            assert 3 == len(listed) == report.counts.total
            assert 3 == len(target.documents())


class TestMemberContent:
    def test_member_content_is_the_digests_of_its_parts(self):
        sent = RemoteDocument(
            kind=DocumentKind.SALES_INVOICE,
            xero_id="",
            status="",
            number="INV-1",
            reference="R-1",
            contact_name="Acme",
            lines=(RemoteLine(description="Work", line_amount=Decimal("2.50")),),
        )
        expected = " ".join(
            (
                content_digest(sent),
                content_digest(sent, ["number"]),
                content_digest(sent, ["reference"]),
            )
        )
        assert expected == member_content(sent)


def _sample(attr_type, depth):
    """A value of ``attr_type`` as a host might set it (None where none can be made)."""
    simple = {
        "str": "x",
        "float": Decimal("1.25"),
        "bool": True,
        "int": 3,
        "date": dt.date(2026, 1, 2),
        "datetime": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
        "date[ms-format]": dt.date(2026, 1, 2),
        "datetime[ms-format]": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    }
    if attr_type in simple:
        return simple[attr_type]
    if attr_type.startswith("list["):
        inner = _sample(attr_type[5:-1], depth)
        return None if inner is None else [inner, inner]
    model = getattr(accounting, attr_type, None)
    if model is None or depth > 3:
        return None
    if isinstance(model, type) and issubclass(model, enum.Enum):
        return next(iter(model))
    return _filled(model, depth + 1)


def _filled(model, depth=0):
    """An instance of an SDK model with every attribute its setters accept set."""
    try:
        instance = model()
    except ValueError:  # a required argument: past __init__, every attribute None
        instance = model.__new__(model)
        for attr in model.openapi_types:
            setattr(instance, f"_{attr}", None)
    for attr, attr_type in model.openapi_types.items():
        value = _sample(attr_type, depth)
        try:
            setattr(instance, attr, value)
        except (ValueError, TypeError):
            continue
    return instance


class TestPlainIsTheSdksSerialise:
    """`bodies.plain` (a plan per model class) against the SDK's ``serialize`` (the oracle)."""

    @pytest.mark.parametrize(
        "model", sorted({spec.model for spec in bodies.SPECS.values()}, key=lambda m: m.__name__)
    )
    def test_every_attribute_of_every_document_model(self, model):
        filled = _filled(model)
        assert serialize(filled) == bodies.plain(filled)
        assert json.dumps(serialize(filled)) == json.dumps(bodies.plain(filled))  # types too
        assert len(bodies.plain(filled)) > 10  # the sample really fills the model

    def test_the_built_models_of_every_kind(self):
        org_like = [
            bodies.build_model(item) for item in (_push_item(kind) for kind in DocumentKind)
        ]
        for model in org_like:
            assert json.dumps(serialize(model)) == json.dumps(bodies.plain(model))

    def test_a_value_of_another_type_is_refused_as_the_sdk_refuses_it(self):
        invoice = Invoice(type="ACCREC")
        invoice._contact = "not a contact"  # past the setter, as a careless host might
        with pytest.raises(ValueError, match="Can't serialize") as sdk:
            serialize(invoice)
        with pytest.raises(ValueError, match="Can't serialize") as ours:
            bodies.plain(invoice)
        assert str(sdk.value) == str(ours.value)

    def test_a_hosts_subclass_is_read_through_its_own_getters(self):
        """The SDK's classes are read from their ``_<attr>`` slots; a subclass through getattr."""

        class Shouting(Invoice):
            @property
            def reference(self):
                return str(self._reference).upper()

            @reference.setter
            def reference(self, value):
                self._reference = value

        model = Shouting(type="ACCREC", reference="quiet", line_items=[LineItem(description="a")])
        assert serialize(model) == bodies.plain(model)
        assert "QUIET" == bodies.plain(model)["Reference"]

    def test_not_a_model_goes_to_the_sdk(self):
        assert serialize([dt.date(2026, 1, 2)]) == bodies.plain([dt.date(2026, 1, 2)])


def _push_item(kind):
    from trackmap._sync._target import PushItem, TrackingEntry

    entry = TrackingEntry(category_id="c", category_name="Region", option_id="o", option_name="N")
    body = DocumentBody(
        contact=ContactRef(name="Acme", email="a@example.com"),
        date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 11, 30),
        number="N-1",
        reference="R-1",
        currency_code="NZD",
        bank_account_code="090",
        narration="n",
        lines=(
            BodyLine(description="a", unit_amount=Decimal("1.005"), account_code="200"),
            BodyLine(description="b", unit_amount=Decimal(-3), quantity=Decimal("2.5")),
        ),
    )
    return PushItem(
        key="K", kind=kind, body=body, tracking=((entry,), ()), idempotency_key="k", xero_id="x"
    )
