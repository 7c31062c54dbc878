"""The adversarial delivery run, bounded for the suite (`adversarial_kit`; a bigger run is
``scripts/adversarial_delivery.py``)."""

from __future__ import annotations

from adversarial_kit import run

ROUNDS = 32  # 32 x (20 hostile documents + 5 hostile answers) = 800 cases, ~15 s


class TestAdversarialRun:
    """Hostile records, bodies and answers through the real SDK against FakeXero."""

    def test_no_foreign_exception_no_good_document_failed_no_tenant_blocked(self, tmp_path):
        """Invariant: whatever the hostile documents and answers, only trackmap errors leave a
        push, every good document is created, and a clean push afterwards leaves nothing in
        doubt or held, each document once in Xero and the ledger agreeing."""
        counts = run(ROUNDS, tmp_path, seed=0)
        assert (ROUNDS, 800) == (counts.rounds, counts.cases)
        assert (0, 0, 0, 0, 0) == (
            counts.foreign,
            counts.trackmap_errors,
            counts.good_failed,
            counts.blocked,
            counts.duplicates,
        ), counts.notes
        # The run bites: most hostile documents fail, and mangled answers leave marks.
        assert counts.hostile_failed > counts.hostile_documents // 2
        assert counts.answers_unsettled > 0
