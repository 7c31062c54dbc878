"""FakeXero answers with what Xero's own example answers carry (scripts/fakexero_examples.py).

Every key path of the OpenAPI document's example answers, for every kind FakeXero serves, is
either sent by FakeXero in a scenario that drives it the way trackmap does, or listed with
the reason it is left out. The derived defaults module is kept equal to what the script
generates from the document.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fakexero_examples.py"


@pytest.fixture(scope="module")
def examples():
    spec = importlib.util.spec_from_file_location("fakexero_examples", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fakexero_examples"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(examples, xero_contract):
    requests = examples.scenario_requests()
    # The scenario runs once for the module, outside the per-test exchange check: hold its
    # requests and answers to the contract here.
    exchanges = xero_contract.exchanges
    failures = [
        failure
        for record in requests
        for failure in (*exchanges.request_errors(record), *exchanges.answer_errors(record))
    ]
    assert [] == failures
    return examples.coverage(
        examples.example_paths(xero_contract.published.spec), examples.sent_paths(requests)
    )


class TestExampleKeyPaths:
    """Every example key path is sent, or left out with a reason; no reason is stale."""

    def test_every_left_out_path_has_a_reason(self, report, capsys):
        unexplained = [
            f"{kind}: {path}"
            for kind, (_sent, _total, missing) in report.items()
            for path, why in missing
            if why is None
        ]
        with capsys.disabled():
            shares = ", ".join(f"{k} {s}/{t}" for k, (s, t, _m) in report.items())
            print(f"\nFakeXero sends these example key paths: {shares}")  # noqa: T201
        assert [] == unexplained

    def test_no_reason_is_stale(self, examples, report):
        missing = {kind: [path for path, _why in left] for kind, (_s, _t, left) in report.items()}
        stale = [
            f"{kind}: {key}"
            for kind, reasons in examples.LEFT_OUT.items()
            for key in reasons
            if not any(
                examples.reason(k, path) == reasons[key]
                and (key in ("", path) or path.startswith((f"{key}.", f"{key}[]")))
                for k, paths in missing.items()
                if kind in {"*", k}
                for path in paths
            )
        ]
        assert [] == stale

    @pytest.mark.parametrize(
        ("kind", "path"),
        [
            ("Invoices", "DateString"),
            ("Invoices", "DueDateString"),
            ("Invoices", "CurrencyRate"),
            ("Invoices", "IsDiscounted"),
            ("Invoices", "SentToContact"),
            ("Invoices", "LineItems[].TaxType"),
            ("BankTransactions", "LineItems[].AccountID"),
            ("PurchaseOrders", "Type"),
            ("BankTransactions", "IsReconciled"),
            ("TrackingOptions", "IsActive"),
            ("TrackingOptions", "IsArchived"),
            ("TrackingOptions", "IsDeleted"),
            ("ManualJournals", "JournalLines[].TaxAmount"),
        ],
    )
    def test_the_fields_the_issue_names_are_sent(self, report, kind, path):
        _sent, _total, missing = report[kind]
        assert path not in [left for left, _why in missing]


class TestDerivedDefaults:
    """``_fakexero/_shapes.py`` is what the script derives from the OpenAPI document today."""

    def test_the_module_is_current(self, examples, xero_contract):
        expected = examples.render_shapes(xero_contract.published.spec)
        assert expected == examples.SHAPES.read_text(encoding="utf-8"), (
            "run: python scripts/fakexero_examples.py --write"
        )
