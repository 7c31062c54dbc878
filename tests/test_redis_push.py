"""Pushes through XeroTarget -> FakeXero with a RedisBudget: no 429 the budget could have
avoided, and a Redis that dies mid-push stops it cleanly; once back, the push resumes with no
duplicate."""

from __future__ import annotations

import collections

from delivery_kit import FIELDS, assert_exactly_once_in_fake, fake_organisation, many, mapping_for
from services import REDIS, redis_server, required
from trackmap._sync._ledger import SqliteLedger
from trackmap._sync._push import Pusher
from trackmap.redis import RedisBudget, XeroLimits
from trackmap.testing._fakexero import FakeXero, Limits
from trackmap.xero._target import XeroTarget

COUNT = 300


def pusher(fake, ids, ledger, budget, checkpoint=None) -> Pusher:
    target = XeroTarget(
        fake.sdk_client(),
        fake.tenant_id,
        clock=fake.clock.now,
        sleep=fake.clock.sleep,
        budget=budget,
    )
    return Pusher(
        target=target,
        ledger=ledger,
        mapping=mapping_for(ids["region"], ids["job"]),
        fields=FIELDS,
        chunk_size=100,
        checkpoint=checkpoint,
    )


def virtual_budget(url_or_client, fake, prefix, **limits) -> RedisBudget:
    return RedisBudget(
        url_or_client,
        prefix=prefix,
        limits=XeroLimits(**limits),
        clock=lambda: fake.clock.now().timestamp(),
        sleep=fake.clock.sleep,
    )


class TestNoAvoidable429:
    """Xero's tight limits, met by the budget: every document once, and not one 429."""

    def test_a_push_under_tight_limits_meets_no_429(self, tmp_path):
        with FakeXero(limits=Limits(minute=4, concurrent=2)) as fake:
            ids = fake_organisation(fake)
            budget = virtual_budget(required(REDIS), fake, "tight", minute=4, max_in_flight=2)
            with SqliteLedger(tmp_path / "l.db") as ledger:
                report = pusher(fake, ids, ledger, budget).push(many(COUNT))
                assert COUNT == report.counts.created
                assert_exactly_once_in_fake(fake, ledger, fake.tenant_id, list(many(COUNT)))
            statuses = collections.Counter(r.status for r in fake.requests)
            assert 0 == statuses[429], statuses
            assert 4 < len(fake.requests)  # more calls than one window holds: it paced


class TestRedisDiesMidPush:
    """Redis killed mid-push: the push stops cleanly, pending; once Redis is back, it resumes."""

    def test_stop_then_resume_without_duplicates(self, tmp_path):
        with FakeXero() as fake, redis_server(tmp_path) as server:
            ids = fake_organisation(fake)
            hits = collections.Counter()

            def kill_redis_after_the_second_answer(step: str) -> None:
                hits[step] += 1
                if step == "after_outcome" and hits[step] == 2:
                    server.kill()

            with SqliteLedger(tmp_path / "l.db") as ledger:
                budget = virtual_budget(server.url, fake, "dies")
                stopped = pusher(fake, ids, ledger, budget, kill_redis_after_the_second_answer)
                report = stopped.push(many(COUNT))
            assert report.stopped
            assert 0 < report.counts.pending
            assert "shared rate budget" in report.batch.note
            sent_before = len(fake.documents("Invoices")) + len(fake.documents("PurchaseOrders"))
            assert 0 < sent_before < COUNT
            server.start()
            with SqliteLedger(tmp_path / "l.db") as ledger:
                report = pusher(fake, ids, ledger, virtual_budget(server.url, fake, "dies")).push(
                    many(COUNT)
                )
                assert 0 == report.counts.pending + report.counts.failed
                assert_exactly_once_in_fake(fake, ledger, fake.tenant_id, list(many(COUNT)))
