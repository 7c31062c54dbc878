"""An adversarial delivery run: hostile records, bodies and answers through the real SDK.

Each round starts a FakeXero (virtual time), and pushes, through `XeroTarget` and the real
xero-python SDK, a shuffled mix of GOOD documents, HOSTILE documents (records and bodies no
host should send: keys that are not text, lone surrogates, impossible amounts, bodies of the
wrong type, duplicate lines, unmapped values...) and documents whose ANSWERS are made hostile
on the way back (numbers with lone surrogates, tracking that cannot be read, an answer that
leaves the document out), with transport faults (500s, answers dropped after Xero processed
the request). Then a clean push of everything good. It counts:

- ``foreign``: exceptions other than a trackmap error that left a push (target: 0);
- ``good_failed``: good documents not created by the first push (target: 0);
- ``blocked``: rounds after which the clean push left something in doubt or held, or a good
  or answer-mangled document not exactly once in Xero with the ledger agreeing (target: 0);
- ``duplicates``: documents Xero holds twice (target: 0).

`tests/test_adversarial.py` runs a bounded number of rounds in the suite;
``scripts/adversarial_delivery.py`` runs many more and prints the counts.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from delivery_kit import (
    FIELDS,
    KINDS,
    REGIONS,
    WrappedTarget,
    fake_documents,
    fake_organisation,
    mapping_for,
    outbound,
)
from trackmap._engine._document import DocumentKind, Line
from trackmap._sources._body import ContactRef, Outbound
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap._sync._target import DeliveryStatus
from trackmap.errors import TrackmapError
from trackmap.testing._fakexero import FakeXero, Fault, Limits
from trackmap.xero._target import XeroTarget

_SURROGATE = "\ud800"
_NUMBERS: tuple[object, ...] = (
    Decimal("sNaN"),
    Decimal("NaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e400"),
    Decimal("-1e30"),
    "abc",
    "",
    None,
    float("nan"),
    object(),
    [1],
)


@attrs.define
class Counts:
    """What a run found."""

    rounds: int = 0
    pushes: int = 0
    hostile_documents: int = 0
    hostile_answers: int = 0
    good_documents: int = 0
    foreign: int = 0
    trackmap_errors: int = 0
    good_failed: int = 0
    blocked: int = 0
    duplicates: int = 0
    hostile_failed: int = 0
    answers_unsettled: int = 0
    notes: list[str] = attrs.Factory(list)

    @property
    def cases(self) -> int:
        """Hostile records, bodies and answers tried."""
        return self.hostile_documents + self.hostile_answers

    def add(self, other: Counts) -> None:
        """Add another run's counts to these."""
        for field in attrs.fields(Counts):
            if field.name != "notes":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        self.notes.extend(other.notes[:3])


def _with_body(item: Outbound, **changes: object) -> Outbound:
    return attrs.evolve(item, body=attrs.evolve(item.body, **changes))  # type: ignore[misc]


def _with_line(item: Outbound, **changes: object) -> Outbound:
    lines = item.body.lines  # type: ignore[attr-defined]
    return _with_body(item, lines=(attrs.evolve(lines[0], **changes), *lines[1:]))


def _with_document(item: Outbound, **changes: object) -> Outbound:
    return attrs.evolve(item, document=attrs.evolve(item.document, **changes))


class _Exploding:
    """A body whose every look raises."""

    def to_dict(self) -> dict[str, object]:
        msg = "boom"
        raise RuntimeError(msg)

    def __repr__(self) -> str:
        msg = "no repr either"
        raise RuntimeError(msg)


def _hostile(rng: random.Random, key: str) -> object:
    """One hostile record or body, by a random recipe."""
    base = outbound(key, kind=rng.choice(KINDS))
    recipes: list[Callable[[], object]] = [
        lambda: _with_document(base, key=rng.choice([42, None, b"k", (1, 2), 3.5])),
        lambda: _with_document(base, key=key + _SURROGATE),
        lambda: _with_document(base, key="   "),
        lambda: _with_document(base, kind="sales_invoice"),
        lambda: _with_document(base, lines=(base.document.lines[0], base.document.lines[0])),
        lambda: _with_document(base, lines=(Line(key="1", fields={"job": 7}),)),  # type: ignore[dict-item]
        lambda: _with_document(base, fields={"region": "Atlantis"}),
        lambda: _with_line(base, quantity=rng.choice(_NUMBERS)),
        lambda: _with_line(base, unit_amount=rng.choice(_NUMBERS)),
        lambda: _with_line(
            base, description=rng.choice(["x" + _SURROGATE, "\x00\x07", "y" * 5000])
        ),
        lambda: _with_body(base, contact=ContactRef(name="Acme" + _SURROGATE)),
        lambda: _with_body(base, reference="r" * 10_000),
        lambda: _with_body(base, lines=base.body.lines[:1]),  # type: ignore[attr-defined]
        lambda: attrs.evolve(base, body=rng.choice([None, {"Invoices": []}, "text"])),
        lambda: attrs.evolve(base, body=_Exploding()),
        lambda: rng.choice(["not an outbound", None, 17]),
    ]
    return rng.choice(recipes)()


class _Hostile(WrappedTarget):
    """XeroTarget whose answers are mangled for the documents marked in ``mangle``."""

    def __init__(self, inner: Any, mangle: dict[str, str]) -> None:
        super().__init__(inner)
        self.mangle = mangle

    def push(self, items: Any) -> Any:
        results = []
        for result in self.inner.push(items):
            how = self.mangle.get(result.key)
            if how == "leave out":
                continue
            if how == "number":
                result = attrs.evolve(result, number="INV-" + _SURROGATE)  # noqa: PLW2901
            elif how == "messages":
                result = attrs.evolve(result, messages=("bad " + _SURROGATE, "\x00"))  # noqa: PLW2901
            elif how == "echo":
                result = attrs.evolve(result, echoed=((object(),),))  # noqa: PLW2901
            elif how == "no echo":
                result = attrs.evolve(result, echoed=None)  # noqa: PLW2901
            results.append(result)
        return tuple(results)


_MANGLES = ("leave out", "number", "messages", "echo", "no echo")


def one_round(
    seed: int, tmp: Any, *, good: int = 10, hostile: int = 20, answers: int = 5
) -> Counts:
    """One FakeXero, one hostile push, one clean push; the counts of what went wrong."""
    rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
    counts = Counts(
        rounds=1, good_documents=good, hostile_documents=hostile, hostile_answers=answers
    )
    fine = [
        outbound(
            f"G{seed}-{n}",
            kind=rng.choice(KINDS),
            region=rng.choice(REGIONS),
            jobs=tuple(f"J{rng.randint(1, 5)}" for _ in range(rng.randint(1, 3))),
            amount=Decimal(rng.randint(1, 99_999)) / 100,
        )
        for n in range(good)
    ]
    mangled = [outbound(f"A{seed}-{n}", kind=rng.choice(KINDS)) for n in range(answers)]
    mangle = {m.document.key: rng.choice(_MANGLES) for m in mangled}
    mix: list[object] = [*fine, *mangled, *(_hostile(rng, f"H{seed}-{n}") for n in range(hostile))]
    rng.shuffle(mix)
    with FakeXero(limits=Limits(minute=10**6, day=10**6, concurrent=50)) as fake:
        ids = fake_organisation(fake)
        if rng.random() < 0.5:
            fault = rng.choice([Fault.status(500), Fault.drop_after()])
            fake.inject(fault, method="PUT", times=rng.randint(1, 2))
        path = tmp / f"l{seed}.db"

        def pusher(target: Any, ledger: SqliteLedger) -> Pusher:
            return Pusher(
                target=target,
                ledger=ledger,
                mapping=mapping_for(ids["region"], ids["job"]),
                fields=FIELDS,
                chunk_size=rng.choice([7, 50]),
                clock=fake.clock.now,
            )

        xero = XeroTarget(
            fake.sdk_client(), fake.tenant_id, clock=fake.clock.now, sleep=fake.clock.sleep
        )
        counts.pushes += 1
        with SqliteLedger(path) as ledger:
            try:
                report = pusher(_Hostile(xero, mangle), ledger).push(mix)  # type: ignore[arg-type]
            except TrackmapError as exc:
                counts.trackmap_errors += 1
                counts.notes.append(f"round {seed}: {exc}")
                report = None
            except Exception as exc:  # noqa: BLE001 - exactly what the run counts
                counts.foreign += 1
                counts.notes.append(f"round {seed}: {type(exc).__name__}: {exc}")
                report = None
            if report is not None and not report.stopped:
                docs = {
                    (d.kind, d.key): d
                    for d in ledger.batch_documents(fake.tenant_id, report.batch.number)
                }
                ours = {(i.document.kind, i.document.key) for i in [*fine, *mangled]}
                counts.hostile_failed += sum(
                    1
                    for ident, d in docs.items()
                    if ident not in ours and d.status is DeliveryStatus.FAILED
                )
                counts.answers_unsettled += sum(
                    1
                    for m in mangled
                    if docs[(m.document.kind, m.document.key)].status is not DeliveryStatus.CREATED
                )
                for item in fine:
                    got = docs.get((item.document.kind, item.document.key))
                    if got is None or got.status is not DeliveryStatus.CREATED:
                        counts.good_failed += 1
                        counts.notes.append(f"round {seed}: good {item.document.key}: {got}")
        counts.pushes += 1
        with SqliteLedger(path) as ledger:
            clean = pusher(xero, ledger).push([*fine, *mangled])
            _verdict(counts, seed, fake, ledger, clean, [*fine, *mangled])
    return counts


def _verdict(  # noqa: PLR0917 - a private helper of one caller
    counts: Counts, seed: int, fake: Any, ledger: SqliteLedger, clean: Any, wanted: list[Outbound]
) -> None:
    stored = collections.Counter((kind, doc.get("Reference")) for kind, doc in fake_documents(fake))
    # The host documents with a reference of their own (good and answer-mangled ones: the
    # reference is the key); hostile ones may share a reference and are not counted.
    mine = {(item.document.kind, item.document.key) for item in wanted}
    twice = {ident: n for ident, n in stored.items() if n > 1 and ident in mine}
    counts.duplicates += sum(n - 1 for n in twice.values())
    if twice:
        counts.notes.append(f"round {seed}: twice in Xero: {sorted(map(str, twice))[:3]}")
    entries = {(e.kind, e.key): e for e in ledger.entries(fake.tenant_id)}
    ids = {(kind, doc.get("Reference")): doc["_id"] for kind, doc in fake_documents(fake)}
    wrong = [
        item.document.key
        for item in wanted
        if stored[(item.document.kind, item.document.key)] != 1
        or not entries[(item.document.kind, item.document.key)].in_sync
        or entries[(item.document.kind, item.document.key)].xero_id
        != ids.get((item.document.kind, item.document.key))
    ]
    if clean.in_doubt or clean.counts.held or clean.stopped or wrong:
        counts.blocked += 1
        counts.notes.append(f"round {seed}: clean push {clean.sentence()} wrong={wrong[:3]}")


def run(rounds: int, tmp: Any, *, seed: int = 0, **sizes: int) -> Counts:
    """``rounds`` rounds from ``seed``; the summed counts."""
    total = Counts()
    for n in range(seed, seed + rounds):
        total.add(one_round(n, tmp, **sizes))
    return total


__all__ = ["Counts", "DocumentKind", "one_round", "run"]
