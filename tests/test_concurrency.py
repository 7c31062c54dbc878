"""Two processes pushing for the same organisation at once never both send a document."""

from __future__ import annotations

import json
import multiprocessing
import subprocess

import pytest

from delivery_kit import BUSY_EXIT, child_argv, fake_organisation, verdict
from trackmap import SqliteLedger
from trackmap.testing import FakeXero, Fault, Limits

COUNT = 120


@pytest.fixture
def fake():
    with FakeXero(limits=Limits(minute=1_000_000, day=1_000_000, concurrent=50)) as server:
        yield server


def start(fake, ids, path, *extra: str) -> subprocess.Popen[str]:
    argv = child_argv(fake, ids, path, "--count", str(COUNT), "--new-jobs", "0", *extra)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, object]]:
    out, err = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    assert lines, err
    return proc.returncode, json.loads(lines[-1])


class TestSameTenantAtOnce:
    """The ledger's per-tenant lease lets one push through; the other waits or is refused."""

    def test_a_second_push_is_refused_while_the_first_is_sending(self, fake, tmp_path):
        ids = fake_organisation(fake)
        fake.inject(Fault.slow(seconds=60), method="PUT", path="/Invoices", times=1)
        first = start(fake, ids, tmp_path / "l.db")
        try:
            # The schema read and the first (held) request have reached Xero.
            assert fake.wait_for_requests(2, timeout=60.0)
            second = start(fake, ids, tmp_path / "l.db")
            code, said = finish(second)
        finally:
            fake.release_held()
        assert BUSY_EXIT == code
        assert "Another push for organisation" in str(said["busy"])
        code, said = finish(first)
        assert (0, COUNT) == (code, said["created"])
        verdict(fake, tmp_path / "l.db", COUNT, new_jobs=0)

    def test_a_waiting_push_goes_after_the_first_and_sends_nothing_again(self, fake, tmp_path):
        ids = fake_organisation(fake)
        fake.inject(Fault.slow(seconds=60), method="PUT", path="/Invoices", times=1)
        first = start(fake, ids, tmp_path / "l.db")
        try:
            assert fake.wait_for_requests(2, timeout=60.0)
            second = start(fake, ids, tmp_path / "l.db", "--lease-wait", "60")
        finally:
            fake.release_held()
        results = [finish(first), finish(second)]
        assert [(0, COUNT, 0), (0, 0, COUNT)] == [
            (code, said["created"], said["unchanged"]) for code, said in results
        ]
        verdict(fake, tmp_path / "l.db", COUNT, new_jobs=0)

    def test_two_pushes_started_together_deliver_each_document_once(self, fake, tmp_path):
        ids = fake_organisation(fake)
        procs = [start(fake, ids, tmp_path / "l.db", "--lease-wait", "60") for _ in range(2)]
        results = [finish(p) for p in procs]
        assert [0, 0] == [code for code, _ in results]
        assert [0, COUNT] == sorted(int(said["created"]) for _, said in results)  # type: ignore[call-overload]
        verdict(fake, tmp_path / "l.db", COUNT, new_jobs=0)


def _open_together(path, barrier, answers):
    barrier.wait()
    try:
        SqliteLedger(path).close()
        answers.put("opened")
    except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
        answers.put(f"{type(exc).__name__}: {exc}")


class TestOpeningANewLedgerTogether:
    """Processes that open one new ledger file at the same moment all get it, none refused."""

    def test_six_processes_open_a_new_file_at_once(self, tmp_path):
        # SQLite refuses some of these lock upgrades at once, without its busy handler; before
        # the ledger waited them out, about one trial in eight failed here.
        context = multiprocessing.get_context("fork")
        answers = context.Queue()
        for trial in range(20):
            barrier = context.Barrier(6)
            path = tmp_path / f"ledger-{trial}.db"
            procs = [
                context.Process(target=_open_together, args=(path, barrier, answers))
                for _ in range(6)
            ]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join(60)
        said = [answers.get(timeout=10) for _ in range(20 * 6)]
        assert ["opened"] * 120 == said
