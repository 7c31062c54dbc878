"""Splits: one host line sent to several options by shares (issue 13, item 1).

The engine's rule 10 (`trackmap._engine._splits`), the split plan on resolved lines, the body
layer's split lines (`trackmap._sources._split`), the settings format, and delivery of split
documents through XeroTarget and FakeXero (the ``xero_fake`` fixture checks every body it
received against Xero's strict OpenAPI contract).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xero_python.accounting import Invoice, LineItem

from strategies import documents
from trackmap import (
    Binding,
    BodyLine,
    ByTable,
    Capabilities,
    ContactRef,
    DeliveryStatus,
    Document,
    DocumentBody,
    DocumentKind,
    FieldLevel,
    FieldSpec,
    Line,
    Outbound,
    Pusher,
    Share,
    Split,
    SqliteLedger,
    TableRow,
    TrackingCategory,
    TrackingMapping,
    TrackingOption,
    TrackingSchema,
    check_mapping,
    compile_mapping,
    dump_mapping,
    load_mapping,
    resolve,
    split_body,
    verify_tracking,
)
from trackmap._config.json_schema import json_schema
from trackmap._engine._results import LinePart
from trackmap._engine._rules import build_compiled
from trackmap._engine._schema import TrackingStatus
from trackmap._sources._split import allocate, line_amount, split_line, split_line_keys
from trackmap._sync._keys import tracking_of
from trackmap.errors import DocumentError, SettingsError
from trackmap.testing.strategies import valid_splits
from trackmap.xero import RetryPolicy, XeroTarget

D = Decimal
FIELDS = (
    FieldSpec(name="office", level=FieldLevel.LINE, label="Office"),
    FieldSpec(name="job", level=FieldLevel.DOCUMENT, label="Job"),
)
REGION = TrackingCategory(
    id="reg",
    name="Region",
    options=(
        TrackingOption(id="syd", name="Sydney"),
        TrackingOption(id="mel", name="Melbourne"),
        TrackingOption(id="per", name="Perth"),
        TrackingOption(id="old", name="Hobart", status=TrackingStatus.ARCHIVED),
        TrackingOption(id="gone", name="Darwin", status=TrackingStatus.DELETED),
    ),
)
JOB = TrackingCategory(
    id="job",
    name="Job",
    options=tuple(TrackingOption(id=f"j{n}", name=f"Job {n}") for n in range(1, 6)),
)
SCHEMA = TrackingSchema(categories=(REGION, JOB))


def split(*pairs: tuple[str, object], percent: bool = True) -> Split:
    return Split(shares=[Share(option_id=o, weight=D(str(w))) for o, w in pairs], percent=percent)


def region(*rows: TableRow) -> Binding:
    return Binding(category_id="reg", sources=["office"], values=ByTable(rows=rows))


def job(*rows: TableRow) -> Binding:
    return Binding(category_id="job", sources=["job"], values=ByTable(rows=rows))


def row(value: str, shares: Split | None = None, option_id: str | None = None) -> TableRow:
    return TableRow(value=value, option_id=option_id, split=shares)


SHARED = row("Shared", split(("syd", 60), ("mel", 40)))
MAPPING = TrackingMapping(
    bindings=[region(SHARED, row("Perth", option_id="per")), job(row("J1", option_id="j1"))]
)


def doc(*offices: str | None, job_value: str | None = "J1", kind=DocumentKind.BILL) -> Document:
    return Document(
        key="B-1",
        kind=kind,
        fields={"job": job_value},
        lines=[Line(key=str(n), fields={"office": o}) for n, o in enumerate(offices, 1)],
    )


def body(*lines: BodyLine, amount_types: str = "Exclusive") -> DocumentBody:
    return DocumentBody(
        contact=ContactRef(name="Landlord"),
        date=dt.date(2026, 11, 1),
        lines=lines,
        line_amount_types=amount_types,
    )


def lease(unit: str = "1000.00", **kw: object) -> BodyLine:
    return BodyLine(description="Office lease", unit_amount=D(unit), account_code="400", **kw)


class TestCompile:
    """Rule 10: every invalid split is a compile error naming its binding and row."""

    @pytest.mark.parametrize(
        ("table_row", "code"),
        [
            (row("Shared", split(("syd", 60), ("mel", 30))), "split_total"),
            (row("Shared", split(("syd", 60), ("mel", 50))), "split_total"),
            (row("Shared", split()), "split_empty"),
            (row("Shared", split(("syd", 100))), "split_empty"),
            (row("Shared", split(("syd", 0), ("mel", 100))), "share_weight"),
            (row("Shared", split(("syd", -10), ("mel", 110))), "share_weight"),
            (row("Shared", split(("syd", "NaN"), ("mel", 50))), "share_weight"),
            (row("Shared", split(("syd", 50), ("syd", 50))), "share_duplicate"),
            (row("Shared", split(("syd", 60), ("old", 40))), "option_archived"),
            (row("Shared", split(("syd", 60), ("gone", 40))), "option_deleted"),
            (row("Shared", split(("syd", 60), ("nope", 40))), "option_missing"),
            (row("Shared", split(("syd", 60), ("mel", 40)), option_id="per"), "split_with_option"),
        ],
    )
    def test_each_invalid_split_names_binding_and_row(self, table_row, code):
        mapping = TrackingMapping(bindings=[job(), region(table_row)])
        (violation,) = check_mapping(mapping, SCHEMA, FIELDS)
        assert (code, 1, "Shared") == (violation.code, violation.binding, violation.value)
        assert violation.message.startswith('Binding 2 ("Region"): ')
        assert '"Shared"' in violation.message

    def test_shares_that_do_not_add_up_say_by_how_much(self):
        mapping = TrackingMapping(bindings=[region(row("Shared", split(("syd", 60), ("mel", 30))))])
        (violation,) = check_mapping(mapping, SCHEMA, FIELDS)
        assert "add up to 90%, not 100%" in violation.message

    def test_ratio_parts_need_not_add_up_to_100(self):
        mapping = TrackingMapping(
            bindings=[region(row("Shared", split(("syd", 2), ("mel", 1), percent=False)))]
        )
        assert () == check_mapping(mapping, SCHEMA, FIELDS)

    def test_one_split_over_the_limit(self):
        shares = split(*((o.id, 20) for o in JOB.options))
        schema = attrs.evolve(SCHEMA, capabilities=Capabilities(split_lines=4))
        mapping = TrackingMapping(bindings=[job(row("J", shares))])
        (violation,) = check_mapping(mapping, schema, FIELDS)
        assert ("split_too_many_lines", "J") == (violation.code, violation.value)
        assert "more than the 4 trackmap allows" in violation.message

    def test_two_split_bindings_multiply_against_the_limit(self):
        """3 x 4 = 12 lines per host line is over the default limit of 10; 3 x 3 fits."""
        four = split(("j1", 25), ("j2", 25), ("j3", 25), ("j4", 25))
        three_regions = row("All", split(("syd", 50), ("mel", 25), ("per", 25)))
        mapping = TrackingMapping(bindings=[region(three_regions), job(row("Four", four))])
        (violation,) = check_mapping(mapping, SCHEMA, FIELDS)
        assert ("split_too_many_lines", 1, "Four") == (
            violation.code,
            violation.binding,
            violation.value,
        )
        assert 'binding 1 (row "All") into 3 and binding 2 (row "Four") into 4' in (
            violation.message
        )
        assert "12 lines" in violation.message
        three = split(("j1", 50), ("j2", 25), ("j3", 25))
        fits = TrackingMapping(bindings=[region(three_regions), job(row("Three", three))])
        assert () == check_mapping(fits, SCHEMA, FIELDS)

    def test_a_valid_split_compiles(self):
        assert MAPPING == compile_mapping(MAPPING, SCHEMA, FIELDS).mapping


class TestResolve:
    """A resolved line carries its split plan; explanations say "60% of line 3"."""

    def test_a_split_line_and_a_plain_one(self):
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Perth", "Shared"))
        plain, shared = resolution.lines
        assert () == plain.parts
        assert [
            (
                'Region = "Sydney" 60%, "Melbourne" 40% because office is "Shared" (split by the '
                "table)"
            ),
            'Job = "Job 1" because job is "J1" (mapped by the table)',
        ] == [a.describe() for a in shared.assignments]
        assert ["60% of line 2", "40% of line 2"] == [p.describe() for p in shared.parts]
        assert [(("reg", "syd"), ("job", "j1")), (("reg", "mel"), ("job", "j1"))] == [
            tuple((a.category_id, a.option_id) for a in p.assignments) for p in shared.parts
        ]
        assert 'Region = "Sydney" for 60% because office is "Shared" (split by the table)' == (
            shared.parts[0].assignments[0].describe()
        )

    def test_two_split_bindings_multiply_in_binding_order(self):
        mapping = TrackingMapping(
            bindings=[
                region(SHARED),
                job(row("Two", split(("j1", 1), ("j2", 3), percent=False))),
            ]
        )
        (line,) = resolve(
            compile_mapping(mapping, SCHEMA, FIELDS), doc("Shared", job_value="Two")
        ).lines
        assert [
            ("syd", "j1", Fraction(3, 20)),
            ("syd", "j2", Fraction(9, 20)),
            ("mel", "j1", Fraction(1, 10)),
            ("mel", "j2", Fraction(3, 10)),
        ] == [(p.assignments[0].option_id, p.assignments[1].option_id, p.share) for p in line.parts]
        assert "60% x 25% of line 1" == line.parts[0].describe()
        assert 1 == sum(p.share for p in line.parts)

    def test_the_fingerprint_covers_the_shares_and_nothing_else(self):
        def fingerprint(shares: Split) -> str:
            mapping = TrackingMapping(bindings=[region(row("Shared", shares))])
            return resolve(compile_mapping(mapping, SCHEMA, FIELDS), doc("Shared")).fingerprint

        sixty = fingerprint(split(("syd", 60), ("mel", 40)))
        assert sixty == fingerprint(split(("syd", 3), ("mel", 2), percent=False))
        assert sixty == fingerprint(split(("syd", "60.00"), ("mel", "40.0")))
        assert sixty != fingerprint(split(("syd", 50), ("mel", 50)))
        assert sixty != fingerprint(split(("mel", 40), ("syd", 60)))
        plain = TrackingMapping(bindings=[region(row("Shared", option_id="syd"))])
        assert sixty != resolve(compile_mapping(plain, SCHEMA, FIELDS), doc("Shared")).fingerprint

    def test_the_delivery_fingerprint_covers_the_split_lines_as_sent(self, monkeypatch):
        """A change in how a line is split (not in its shares or body) updates the document."""
        from trackmap._sources import _split
        from trackmap._sync._keys import delivery_fingerprint

        mapping = TrackingMapping(bindings=[region(row("Shared", split(("syd", 60), ("mel", 40))))])
        resolution = resolve(compile_mapping(mapping, SCHEMA, FIELDS), doc("Shared"))
        body = DocumentBody(
            contact=ContactRef(name="Landlord"),
            date=dt.date(2026, 11, 2),
            lines=[BodyLine(description="Lease", unit_amount=Decimal("1000.01"))],
        )
        before = delivery_fingerprint(resolution, body)
        plain = TrackingMapping(bindings=[region(row("Shared", option_id="syd"))])
        unsplit = resolve(compile_mapping(plain, SCHEMA, FIELDS), doc("Shared"))
        unsplit_before = delivery_fingerprint(unsplit, body)
        rules = _split.split_body

        def other_rules(body: DocumentBody, resolution: object) -> DocumentBody:
            sent = rules(body, resolution)
            lines = [attrs.evolve(line, description=f"{line.description}*") for line in sent.lines]
            return attrs.evolve(sent, lines=lines)

        monkeypatch.setattr(_split, "split_body", other_rules)
        assert before != delivery_fingerprint(resolution, body)
        assert unsplit_before == delivery_fingerprint(unsplit, body)  # no split: rules unused

    def test_a_share_archived_since_compiling_is_an_error_never_a_send(self):
        mapping = TrackingMapping(bindings=[region(row("Shared", split(("syd", 60), ("old", 40))))])
        resolution = resolve(build_compiled(mapping, SCHEMA, FIELDS), doc("Shared"))
        assert not resolution.ok
        assert ["option_archived"] == [p.code for p in resolution.problems]
        assert "Hobart" in resolution.problems[0].message
        assert () == resolution.lines[0].assignments

    def test_an_unchecked_split_with_bad_weights_is_an_error(self):
        mapping = TrackingMapping(bindings=[region(row("Shared", split(("syd", 0), ("mel", 0))))])
        resolution = resolve(build_compiled(mapping, SCHEMA, FIELDS), doc("Shared"))
        assert ["split_invalid"] == [p.code for p in resolution.problems]

    @given(data=st.data())
    def test_no_part_carries_two_options_of_a_category_or_too_many_entries(self, data):
        """For any valid splits on both bindings and any document, every line as sent carries
        at most one option per category and at most entries_per_line entries, and the parts
        of a line share it out exactly (their shares add up to 1)."""
        mapping = TrackingMapping(
            bindings=[
                region(*(row(v, data.draw(valid_splits(REGION))) for v in ("Shared", "Perth"))),
                job(row("J1", data.draw(valid_splits(JOB))), row("J2", option_id="j2")),
            ]
        )
        compiled = compile_mapping(mapping, SCHEMA, FIELDS)
        document = data.draw(documents(FIELDS, min_lines=1))
        resolution = resolve(compiled, document)
        for line in resolution.lines:
            assert not line.parts or 1 == sum(p.share for p in line.parts)
        for entries in tracking_of(resolution):
            categories = [e.category_id for e in entries]
            assert len(categories) == len(set(categories))
            assert len(entries) <= SCHEMA.capabilities.entries_per_line


class TestSplitBody:
    """One host line becomes one line per share, to the cent."""

    def shared(self, *lines: BodyLine, amount_types: str = "Exclusive", offices=("Shared",)):
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc(*offices))
        return split_body(body(*lines, amount_types=amount_types), resolution).lines

    def test_a_consultant_day_is_split_by_quantity(self):
        day = BodyLine(description="Consulting", unit_amount=D(800), quantity=D(1))
        first, second = self.shared(day)
        assert (D("0.6"), D(800), "Consulting (60%)") == (
            first.quantity,
            first.unit_amount,
            first.description,
        )
        assert (D("0.4"), D(800), "Consulting (40%)") == (
            second.quantity,
            second.unit_amount,
            second.description,
        )

    def test_cents_left_over_go_to_the_largest_remainders(self):
        """1000.01 at 60/40 is 600.006 and 400.004: the leftover cent goes to the first."""
        first, second = self.shared(lease("1000.01"))
        assert (D("600.01"), D("400.00")) == (line_amount(first), line_amount(second))
        assert (D("33.34"), D("33.33"), D("33.33")) == allocate(D(100), [Fraction(1, 3)] * 3)
        assert (D("-60.01"), D("-40.00")) == allocate(
            D("-100.01"), [Fraction(3, 5), Fraction(2, 5)]
        )

    def test_account_codes_tax_types_and_discounts_are_kept(self):
        line = lease("10.00", quantity=D(3), tax_type="INPUT", discount_rate=D(10))
        first, second = self.shared(line)
        assert {("400", "INPUT", D(10))} == {
            (p.account_code, p.tax_type, p.discount_rate) for p in (first, second)
        }
        assert D("27.00") == line_amount(first) + line_amount(second)

    def test_a_quantity_that_cannot_be_split_splits_the_unit_amount(self):
        thirds = TrackingMapping(
            bindings=[region(row("Shared", split(("syd", 1), ("mel", 2), percent=False)))]
        )
        resolution = resolve(compile_mapping(thirds, SCHEMA, FIELDS), doc("Shared"))
        three = split_body(body(lease("10.00", quantity=D(3))), resolution).lines
        assert [D(1), D(2)] == [one.quantity for one in three]  # thirds of 3 are whole
        one, two = split_body(body(lease("10.00")), resolution).lines  # thirds of 1 are not
        assert (D("3.33"), D("6.67")) == (line_amount(one), line_amount(two))
        assert (D(1), D(1)) == (one.quantity, two.quantity)

    def test_when_nothing_else_is_exact_the_part_amount_is_sent_as_is(self):
        line = lease("0.07", quantity=D(1), discount_rate=D("33"))  # 0.0469 -> 0.05
        first, second = self.shared(line)
        assert D("0.05") == line_amount(line) == line_amount(first) + line_amount(second)

    def test_tax_amounts_are_shared_exactly_exclusive_or_inclusive(self):
        for amount_types in ("Exclusive", "Inclusive"):
            first, second = self.shared(
                lease("99.99", tax_amount=D("9.09")), amount_types=amount_types
            )
            assert (D("5.45"), D("3.64")) == (first.tax_amount, second.tax_amount)

    def test_no_tax_drops_the_tax_amount(self):
        first, second = self.shared(lease(tax_amount=D("9.09")), amount_types="NoTax")
        assert (None, None) == (first.tax_amount, second.tax_amount)

    def test_a_manual_journal_line_splits_its_signed_amount(self):
        resolution = resolve(
            compile_mapping(MAPPING, SCHEMA, FIELDS),
            doc("Shared", kind=DocumentKind.MANUAL_JOURNAL),
        )
        line = BodyLine(description="Accrual", unit_amount=D("-100.01"), account_code="400")
        first, second = split_body(body(line), resolution).lines
        assert (D("-60.01"), D("-40.00")) == (first.unit_amount, second.unit_amount)

    def test_lines_and_their_keys_as_sent(self):
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Perth", "Shared"))
        assert ("1", "2 (60%)", "2 (40%)") == split_line_keys(resolution)
        sent = split_body(body(lease("5.00"), lease()), resolution)
        assert 3 == len(sent.lines) == len(tracking_of(resolution))

    def test_a_body_that_does_not_align_is_a_document_error(self):
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Perth", "Shared"))
        with pytest.raises(DocumentError, match="2 lines but its body has 1"):
            split_body(body(lease()), resolution)


money = st.decimals(min_value=-(10**7), max_value=10**7, places=2)
weights = st.lists(st.integers(1, 10_000), min_size=2, max_size=10)


class TestSplitProperties:
    """The amounts of the split lines add up exactly to the original line's."""

    @given(
        line=st.builds(
            BodyLine,
            description=st.just("x"),
            unit_amount=money,
            quantity=st.decimals(min_value=-1000, max_value=1000, places=4),
            discount_rate=st.one_of(st.none(), st.decimals(min_value=0, max_value=99, places=2)),
            tax_amount=st.one_of(st.none(), money),
        ),
        parts=weights,
        amount_types=st.sampled_from(("Exclusive", "Inclusive", "NoTax")),
        journal=st.booleans(),
    )
    def test_split_amounts_and_tax_add_up_exactly(self, line, parts, amount_types, journal):
        """For any line and any shares: the split lines' amounts, as Xero computes them, add
        up exactly to the original line's amount, each is its largest-remainder share, within
        a cent of its exact share; a tax amount is shared out exactly too (none under NoTax)."""
        total = sum(parts)
        shares = [Fraction(p, total) for p in parts]
        plan = [
            LinePart(line_key="1", number=n, share=s, shares=(s,), assignments=())
            for n, s in enumerate(shares, 1)
        ]
        sent = split_line(line, plan, journal=journal, amount_types=amount_types)
        original = line_amount(line, journal=journal)
        amounts = [line_amount(one, journal=journal) for one in sent]
        assert original == sum(amounts)
        assert list(allocate(original, shares)) == amounts
        assert all(
            abs(Fraction(a) - Fraction(original) * s) < Fraction(1, 100)
            for a, s in zip(amounts, shares, strict=True)
        )
        if amount_types == "NoTax" or line.tax_amount is None:
            assert all(one.tax_amount is None for one in sent)
        else:
            assert line.tax_amount == sum(one.tax_amount for one in sent)


class TestSettings:
    """Splits in the settings file: version 2, only when a row splits."""

    def test_a_split_round_trips_as_version_2(self):
        data = dump_mapping(MAPPING)
        assert 2 == data["version"]
        assert {"percent": {"syd": "60", "mel": "40"}} == data["bindings"][0]["values"]["table"][
            "Shared"
        ]
        assert MAPPING == load_mapping(data, schema=SCHEMA, fields=FIELDS)

    def test_ratio_parts_and_whole_numbers(self):
        data = dump_mapping(MAPPING)
        data["bindings"][0]["values"]["table"]["Shared"] = {"ratio": {"syd": 3, "mel": "2"}}
        loaded = load_mapping(data)
        assert (
            split(("syd", 3), ("mel", 2), percent=False) == loaded.bindings[0].values.rows[0].split
        )

    def test_a_mapping_without_splits_is_written_as_before(self):
        plain = TrackingMapping(bindings=[region(row("Perth", option_id="per"))])
        assert 1 == dump_mapping(plain)["version"]
        assert {"Perth": "per"} == dump_mapping(plain)["bindings"][0]["values"]["table"]

    def test_a_split_in_a_version_1_file_is_refused(self):
        data = {**dump_mapping(MAPPING), "version": 1}
        with pytest.raises(SettingsError, match="needs settings version 2"):
            load_mapping(data)

    def test_a_fractional_json_number_is_refused_at_its_path(self):
        data = dump_mapping(MAPPING)
        data["bindings"][0]["values"]["table"]["Shared"] = {"percent": {"syd": 60.5, "mel": 39.5}}
        with pytest.raises(SettingsError) as caught:
            load_mapping(data)
        paths = [p.path for p in caught.value.problems]
        assert '$.bindings[0].values.table["Shared"].percent["syd"]' in paths

    def test_a_bad_split_loaded_with_the_schema_is_located_at_its_row(self):
        data = dump_mapping(MAPPING)
        data["bindings"][0]["values"]["table"]["Shared"] = {"percent": {"syd": "60", "mel": "30"}}
        with pytest.raises(SettingsError) as caught:
            load_mapping(data, schema=SCHEMA, fields=FIELDS)
        (problem,) = caught.value.problems
        assert '$.bindings[0].values.table["Shared"]' == problem.path

    def test_the_json_schema_takes_splits_in_version_2_only(self):
        import jsonschema

        validator = jsonschema.Draft202012Validator(json_schema("mapping"))
        data = dump_mapping(MAPPING)
        assert validator.is_valid(data)
        assert not validator.is_valid({**data, "version": 1})


class TestDelivery:
    """Split documents through XeroTarget and FakeXero: strict contract, read-back checked."""

    def org(self, fake, clock):
        region_id = fake.add_category("Region", options=["Sydney", "Melbourne", "Perth"])
        target = XeroTarget(
            fake.sdk_client(),
            fake.tenant_id,
            clock=clock.now,
            sleep=clock.sleep,
            policy=RetryPolicy(jitter=False),
        )
        ids = {o.name: o.id for c in target.read_schema().categories for o in c.options}
        fields = (FieldSpec(name="office", level=FieldLevel.LINE),)

        def mapping(shares: Split) -> TrackingMapping:
            table = ByTable(rows=[row("Shared", shares), row("Perth", option_id=ids["Perth"])])
            return TrackingMapping(
                bindings=[Binding(category_id=region_id, sources=["office"], values=table)]
            )

        return target, ids, fields, mapping

    def outbound(self, lines_body=None):
        document = Document(
            key="B-1",
            kind=DocumentKind.BILL,
            lines=[
                Line(key="1", fields={"office": "Perth"}),
                Line(key="2", fields={"office": "Shared"}),
            ],
        )
        the_body = lines_body or body(
            lease("100.00"), lease("1000.01", tax_amount=D("100.00"), tax_type="INPUT")
        )
        return Outbound(document=document, body=the_body)

    def test_split_lines_arrive_with_their_tracking_and_amounts(
        self, xero_fake, xero_clock, tmp_path
    ):
        target, ids, fields, mapping = self.org(xero_fake, xero_clock)
        sixty = mapping(split((ids["Sydney"], 60), (ids["Melbourne"], 40)))
        with SqliteLedger(tmp_path / "l.db") as ledger:
            report = Pusher(target=target, ledger=ledger, mapping=sixty, fields=fields).push(
                [self.outbound()]
            )
            assert 1 == report.counts.created
            (stored,) = xero_fake.documents("Invoices")
            assert [
                ("Office lease", D("100.00"), None, ["Perth"]),
                ("Office lease (60%)", D("600.01"), D("60.00"), ["Sydney"]),
                ("Office lease (40%)", D("400.00"), D("40.00"), ["Melbourne"]),
            ] == [
                (
                    line["Description"],
                    D(str(line["LineAmount"])),
                    D(str(line["TaxAmount"])) if line["Description"] != "Office lease" else None,
                    [t["Option"] for t in line["Tracking"]],
                )
                for line in stored["LineItems"]
            ]
            again = Pusher(target=target, ledger=ledger, mapping=sixty, fields=fields).push(
                [self.outbound()]
            )
            assert 1 == again.counts.unchanged
            half = mapping(split((ids["Sydney"], 50), (ids["Melbourne"], 50)))
            changed = Pusher(target=target, ledger=ledger, mapping=half, fields=fields).push(
                [self.outbound()]
            )
            assert 1 == changed.counts.updated
            (stored,) = xero_fake.documents("Invoices")
            assert ["Office lease", "Office lease (50%)", "Office lease (50%)"] == [
                line["Description"] for line in stored["LineItems"]
            ]

    @pytest.mark.parametrize(
        ("kind", "amount_types"),
        [
            (DocumentKind.SALES_INVOICE, "Inclusive"),
            (DocumentKind.MANUAL_JOURNAL, "NoTax"),
            (DocumentKind.SPEND_MONEY, "Exclusive"),
        ],
    )
    def test_other_kinds_pass_the_contract_and_the_read_back(
        self, xero_fake, xero_clock, tmp_path, kind, amount_types
    ):
        target, ids, fields, mapping = self.org(xero_fake, xero_clock)
        thirds = mapping(split((ids["Sydney"], 1), (ids["Melbourne"], 2), percent=False))
        outbound = self.outbound()
        lines = [
            lease("100.00"),
            lease("99.99", quantity=D(1), discount_rate=D(10), tax_amount=D("8.18")),
        ]
        the_body = attrs.evolve(
            body(*lines, amount_types=amount_types), bank_account_code="090", narration="Lease"
        )
        document = attrs.evolve(outbound.document, kind=kind)
        with SqliteLedger(tmp_path / "l.db") as ledger:
            report = Pusher(target=target, ledger=ledger, mapping=thirds, fields=fields).push(
                [Outbound(document=document, body=the_body)]
            )
            (entry,) = ledger.entries(target.tenant_id)
            assert (1, DeliveryStatus.CREATED) == (report.counts.created, entry.status)
        (stored,) = xero_fake.documents(kind)
        lines_field = "JournalLines" if kind is DocumentKind.MANUAL_JOURNAL else "LineItems"
        amounts = [D(str(line["LineAmount"])) for line in stored[lines_field]]
        original = line_amount(lines[1], journal=kind is DocumentKind.MANUAL_JOURNAL)
        assert original == amounts[1] + amounts[2]
        assert [["Perth"], ["Sydney"], ["Melbourne"]] == [
            [t["Option"] for t in line["Tracking"]] for line in stored[lines_field]
        ]

    def test_a_xero_python_model_with_a_split_fails_alone(self, xero_fake, xero_clock, tmp_path):
        target, ids, fields, mapping = self.org(xero_fake, xero_clock)
        sixty = mapping(split((ids["Sydney"], 60), (ids["Melbourne"], 40)))
        model = Invoice(
            type="ACCPAY", line_items=[LineItem(description="a"), LineItem(description="b")]
        )
        with SqliteLedger(tmp_path / "l.db") as ledger:
            report = Pusher(target=target, ledger=ledger, mapping=sixty, fields=fields).push(
                [self.outbound(model)]
            )
            assert 1 == report.counts.failed
            (entry,) = ledger.entries(target.tenant_id)
            assert DeliveryStatus.FAILED == entry.status
            assert any("neutral DocumentBody" in m for m in entry.messages)
        assert [] == xero_fake.documents("Invoices")

    def test_a_share_archived_since_saving_fails_only_its_document(
        self, xero_fake, xero_clock, tmp_path
    ):
        """Xero drops archived tracking silently: a split whose second share was archived
        after the settings were saved must not be sent (the stale check covers every share)."""
        target, ids, fields, mapping = self.org(xero_fake, xero_clock)
        sixty = mapping(split((ids["Sydney"], 60), (ids["Melbourne"], 40)))
        region_id = sixty.bindings[0].category_id
        xero_fake.set_option_status(region_id, ids["Melbourne"], "ARCHIVED")
        perth_only = Outbound(
            document=Document(
                key="B-2", kind=DocumentKind.BILL, lines=[Line(key="1", fields={"office": "Perth"})]
            ),
            body=body(lease("10.00")),
        )
        with SqliteLedger(tmp_path / "l.db") as ledger:
            report = Pusher(target=target, ledger=ledger, mapping=sixty, fields=fields).push(
                [self.outbound(), perth_only]
            )
            assert (1, 1) == (report.counts.failed, report.counts.created)
            entries = {e.key: e for e in ledger.entries(target.tenant_id)}
            assert DeliveryStatus.FAILED == entries["B-1"].status
            assert any("Melbourne" in m and "archived" in m for m in entries["B-1"].messages)
        (stored,) = xero_fake.documents("Invoices")
        assert ["Office lease"] == [line["Description"] for line in stored["LineItems"]]

    def test_a_dropped_option_on_a_split_line_names_that_line(self):
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Perth", "Shared"))
        sent = tracking_of(resolution)
        echoed = (sent[0], sent[1], sent[2][1:])  # Xero kept Job, dropped Region on 2 (40%)
        (problem,) = verify_tracking(
            sent, echoed, document_key="B-1", line_keys=split_line_keys(resolution)
        )
        assert "2 (40%)" == problem.line_key
        assert "Melbourne" in problem.message


class TestExplainAndPreview:
    """Explanations and the preview say "60% of line 2"."""

    def test_explain_names_each_part(self):
        from trackmap import explain_text

        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Shared"))
        assert (
            (
                '60% of line 1: Region = "Sydney" for 60% because office is "Shared" (split by '
                "the table)"
            ),
            '60% of line 1: Job = "Job 1" because job is "J1" (mapped by the table)',
            (
                '40% of line 1: Region = "Melbourne" for 40% because office is "Shared" (split '
                "by the table)"
            ),
            '40% of line 1: Job = "Job 1" because job is "J1" (mapped by the table)',
        ) == explain_text(resolution)

    def test_the_preview_table_and_json(self):
        from trackmap._cli._output import _line_json, preview_rows
        from trackmap._engine._resolve import resolve_batch

        batch = resolve_batch(compile_mapping(MAPPING, SCHEMA, FIELDS), [doc("Shared")])
        rows = preview_rows(batch, {})
        assert ["60% of line 1", "", "40% of line 1", ""] == [r[1] for r in rows]
        assert 'office "Shared" -> split by the table' == rows[0][4]
        shown = _line_json(batch.resolutions[0].lines[0])
        assert ["60%", "40%"] == [p["share"] for p in shown["parts"]]
        assert [
            {"option_id": "syd", "option_name": "Sydney", "share": "60%"},
            {"option_id": "mel", "option_name": "Melbourne", "share": "40%"},
        ] == (shown["assignments"][0]["shares"])


class TestApprovals:
    """Approval routing sees every share of a split line (the lines as sent)."""

    def test_a_share_of_a_line_brings_its_approver(self):
        from trackmap.approvals import ApprovalMatrix, ApprovalRule, ApprovalStep, route_approvals

        matrix = ApprovalMatrix(
            steps=[
                ApprovalStep(
                    name="Managers",
                    rules=[
                        ApprovalRule(approvers=["Sam"], category_id="reg", options=["syd"]),
                        ApprovalRule(approvers=["Mia"], category_id="reg", options=["mel"]),
                    ],
                )
            ]
        )
        resolution = resolve(compile_mapping(MAPPING, SCHEMA, FIELDS), doc("Shared"))
        assert ("Sam", "Mia") == route_approvals(matrix, resolution).approvers


class TestReconcileAndPage:
    """Reconcile and the settings page understand shares."""

    def test_an_archived_share_needs_a_person(self):
        from trackmap.drift import DriftOutcome, DriftUsage, reconcile

        archived = TrackingCategory(
            id="reg",
            name="Region",
            options=(
                TrackingOption(id="syd", name="Sydney"),
                TrackingOption(id="mel", name="Melbourne", status=TrackingStatus.ARCHIVED),
                TrackingOption(id="per", name="Perth"),
            ),
        )
        plan = reconcile(MAPPING, SCHEMA, attrs.evolve(SCHEMA, categories=(archived, JOB)))
        (item,) = plan.needs_person
        assert (DriftUsage.SHARE, DriftOutcome.NEEDS_PERSON, "Shared") == (
            item.usage,
            item.outcome,
            item.value,
        )
        assert 'option "Melbourne" (a share of the table row for "Shared") was archived' in (
            item.message
        )

    def test_a_renamed_share_keeps_working(self):
        from trackmap.drift import reconcile

        renamed = attrs.evolve(
            REGION,
            options=(TrackingOption(id="syd", name="Sydney CBD"), *REGION.options[1:]),
        )
        plan = reconcile(MAPPING, SCHEMA, attrs.evolve(SCHEMA, categories=(renamed, JOB)))
        assert plan.ok

    def test_the_page_shows_and_takes_back_shares(self):
        from trackmap import apply_settings_page, build_settings_page

        page = build_settings_page(SCHEMA, FIELDS, MAPPING)
        shared = page.sections[0].rows[0]
        assert ("split",) == shared.option.selected
        assert ("option:syd=60", "option:mel=40") == shared.shares.selected
        assert ("percent",) == shared.split_by.selected
        form = page.form()
        applied = apply_settings_page(form, SCHEMA, FIELDS).mapping
        assert [b.values for b in MAPPING.bindings] == [b.values for b in applied.bindings]
        form[shared.shares.name] = ["option:syd=60", "option:mel=30"]
        result = apply_settings_page(form, SCHEMA, FIELDS)
        (problem,) = result.problems
        assert (shared.shares.name, "split_total") == (problem.control, problem.code)
        form[shared.shares.name] = ["option:syd=sixty"]
        problems = apply_settings_page(form, SCHEMA, FIELDS).problems
        assert [("not_a_choice", shared.shares.name), ("split_empty", shared.shares.name)] == [
            (p.code, p.control) for p in problems
        ]


class TestCheck:
    """``trackmap check`` counts split rows apart from blank ones."""

    def test_describe_binding(self):
        from trackmap._cli._check import describe_binding

        assert "Region <- office (table of 2 rows, 0 blank, 1 split; unmapped: skip)" == (
            describe_binding(attrs.evolve(MAPPING.bindings[0], category_name="Region"))
        )


class TestDemo:
    """``trackmap demo`` shows a line split 60/40, to the cent."""

    @pytest.mark.parametrize("host", ["jobs", "practice"])
    def test_the_demo_shows_a_split_line(self, host, capsys):
        from trackmap._cli._main import main

        assert 0 == main(["demo", "--host", host])
        out = capsys.readouterr().out
        assert "5. A shared cost: one line split 60/40 across two" in out
        assert 'of line 1: Region = "' in out
        assert "Office lease (60%): 0.6 x 1000.01 = 600.01" in out
        assert "Office lease (40%): 0.4 x 1000.01 = 400.00" in out
        assert "together 1000.01, exactly the host line's 1000.01." in out

    @pytest.mark.parametrize("host", ["jobs", "practice"])
    def test_the_demo_delivers_the_split_bill_and_reads_it_back(self, host, capsys):
        from trackmap._cli._main import main

        assert 0 == main(["demo", "--host", host])
        out = capsys.readouterr().out
        delivered = out[out.index("The shared cost delivered") :]
        assert "1 created" in delivered
        assert re.search(r"LEASE-1 +bill +created", delivered)
        assert "Read back from Xero, LEASE-1 has 2 lines:" in delivered
        assert re.search(r"Office lease \(60%\): 600\.01 \(Region: \w+\)", delivered)
        assert re.search(r"Office lease \(40%\): 400\.00 \(Region: \w+\)", delivered)
        assert "together 1000.01, the host line's 1000.01." in delivered

    def test_the_split_bill_in_fakexero_has_one_option_per_share(self):
        from trackmap._cli._demo import STEPS, DemoContext, run_demo
        from trackmap._cli._demo_delivery import DELIVERY_STEPS, delivery_of
        from trackmap._cli._demo_split import step_split

        seen: dict[str, object] = {}

        def look(ctx: DemoContext) -> None:
            d = delivery_of(ctx)
            seen["lines"] = [
                (line["LineAmount"], [t["Option"] for t in line.get("Tracking", [])])
                for doc in d.fake.documents(DocumentKind.BILL)
                for line in doc["LineItems"]
                if str(line.get("Description", "")).startswith("Office lease")
            ]

        steps = (*STEPS, step_split, *DELIVERY_STEPS[:-1], look, DELIVERY_STEPS[-1])
        assert 0 == run_demo(io.StringIO(), host="jobs", steps=steps)
        lines = seen["lines"]
        assert [Decimal(str(amount)) for amount, _ in lines] == [
            Decimal("600.01"),
            Decimal("400.00"),
        ]
        assert all(len(options) == 1 for _, options in lines)
        assert lines[0][1] != lines[1][1]
