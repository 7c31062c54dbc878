"""Tests of the command line: check, preview and demo, run through main(argv)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from trackmap._cli import main
from trackmap._cli._demo import STEPS, DemoContext, rejected_mapping, run_demo
from trackmap._config import dump_documents, dump_mapping, dump_schema
from trackmap._engine._rules import check_mapping
from trackmap.testing.hosts import SAMPLES, guid, sample_jobs, sample_practice


def write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def files(tmp_path):
    """The practice sample as settings, schema and documents files."""
    sample = sample_practice()
    return {
        "settings": write(tmp_path / "settings.json", dump_mapping(sample.mapping)),
        "schema": write(tmp_path / "schema.json", dump_schema(sample.schema)),
        "documents": write(
            tmp_path / "documents.json",
            dump_documents(sample.documents(), fields=sample.fields),
        ),
        "dir": tmp_path,
    }


class TestCheck:
    """``trackmap check`` validates settings offline: 0 and OK, or 1 and every problem."""

    def test_valid_settings(self, files, capsys):
        code = main(["check", files["settings"], "--schema", files["schema"], "--host", "practice"])
        out = capsys.readouterr().out
        assert code == 0
        expected = [
            "OK: 2 bindings, valid against 2 active tracking categories.",
            "  Region <- cost_centre (table of 4 rows, 1 blank; unmapped: skip)",
            (
                "  Project lead <- stage_manager, then project_manager "
                "(table of 5 rows, 0 blank; unmapped: default)"
            ),
        ]
        assert expected == out.splitlines()

    def test_without_host_says_fields_were_not_checked(self, files, capsys):
        assert main(["check", files["settings"], "--schema", files["schema"]]) == 0
        assert "Source fields were not checked" in capsys.readouterr().out

    def test_every_problem_and_exit_one(self, files, capsys):
        data = dump_mapping(sample_practice().mapping)
        data["bindings"][0]["values"]["table"]["Perth office"] = guid("Region", "Perth CBD")
        data["bindings"][1]["sources"] = ["colour"]
        bad = write(files["dir"] / "bad.json", data)
        code = main(["check", bad, "--schema", files["schema"], "--host", "practice"])
        captured = capsys.readouterr()
        assert code == 1
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert lines[0] == f"trackmap check: The settings file {bad} has 2 problems:"
        assert lines[1].startswith('  $.bindings[0].values.table["Perth office"]: Binding 1')
        assert "archived in Xero" in lines[1]
        assert lines[2].startswith("  $.bindings[1].sources[0]: Binding 2")
        assert "Traceback" not in captured.err

    def test_shape_problems_of_the_settings_file(self, files, capsys):
        bad = write(files["dir"] / "bad.json", {"version": 2})
        assert main(["check", bad, "--schema", files["schema"]]) == 1
        assert "$.version: 2 is not a settings version" in capsys.readouterr().err

    def test_missing_file_is_a_sentence_and_exit_three(self, files, capsys):
        missing = str(files["dir"] / "nope.json")
        assert main(["check", files["settings"], "--schema", missing]) == 3
        err = capsys.readouterr().err
        assert err.startswith(f"trackmap check: The schema file {missing} cannot be read:")

    def test_bad_json_schema(self, files, capsys):
        bad = files["dir"] / "schema.json"
        bad.write_text("{", encoding="utf-8")
        assert main(["check", files["settings"], "--schema", str(bad)]) == 1
        assert "$: is not valid JSON" in capsys.readouterr().err


class TestUsage:
    """Usage mistakes exit with 2, as argparse does; --help and --version with 0."""

    def test_no_command(self, capsys):
        assert main([]) == 2
        assert "usage: trackmap" in capsys.readouterr().err

    def test_missing_schema_option(self, files, capsys):
        assert main(["check", files["settings"]]) == 2
        assert "--schema" in capsys.readouterr().err

    def test_unknown_host(self, files, capsys):
        assert main(["demo", "--host", "crm"]) == 2
        assert "invalid choice" in capsys.readouterr().err

    def test_help_and_version(self, capsys):
        assert main(["--help"]) == 0
        assert "preview" in capsys.readouterr().out
        assert main(["--version"]) == 0
        assert capsys.readouterr().out.startswith("trackmap ")


class TestPreview:
    """``trackmap preview`` prints a per-line table: document, line, category, option, why."""

    def test_practice_preview(self, files, capsys):
        argv = ["preview", files["settings"], "--schema", files["schema"]]
        code = main([*argv, "--documents", files["documents"]])
        out = capsys.readouterr().out.splitlines()
        assert code == 0
        assert out[0].split() == ["Document", "Line", "Category", "Option", "Why"]
        first = out[2].split("  ")
        assert [c.strip() for c in first if c.strip()] == [
            "Invoice INV-2001 (project P-101)",
            "1",
            "Region",
            "Perth",
            'cost_centre "Perth office" -> table row',
        ]
        assert out[-1] == "21 documents, 43 lines: 21 ready, 0 blocked; 0 options to create."

    def test_blank_row_line_shows_only_the_other_category(self, files, capsys):
        argv = ["preview", files["settings"], "--schema", files["schema"]]
        main([*argv, "--documents", files["documents"]])
        out = capsys.readouterr().out
        # INV-2011 line 2 bills a "Remote" stage: the blank row sends nothing for Region.
        expected = 'Project lead  Cara Diaz  project_manager "Cara Diaz" -> table row'
        assert expected in out

    def test_blocked_documents_exit_one_with_problems(self, files, capsys):
        data = dump_mapping(sample_practice().mapping)
        data["bindings"][1]["on_unmapped"] = "error"
        data["bindings"][1]["values"]["table"].pop("Dev Patel")
        settings = write(files["dir"] / "strict.json", data)
        argv = ["preview", settings, "--schema", files["schema"]]
        code = main([*argv, "--documents", files["documents"]])
        out = capsys.readouterr().out
        assert code == 1
        errors = [line for line in out.splitlines() if line.startswith("Error: ")]
        assert errors
        assert all("Dev Patel" in line for line in errors)

    def test_a_line_without_tracking_says_so(self, files, capsys):
        data = dump_mapping(sample_practice().mapping)
        data["bindings"] = data["bindings"][:1]
        settings = write(files["dir"] / "region.json", data)
        document = {
            "key": "INV-9",
            "kind": "sales_invoice",
            "lines": [{"key": "1", "fields": {"cost_centre": "Remote"}}],
        }
        fields = [{"name": "cost_centre", "level": "line"}]
        documents = write(
            files["dir"] / "one.json", {"version": 1, "fields": fields, "documents": [document]}
        )
        argv = ["preview", settings, "--schema", files["schema"], "--documents", documents]
        assert main(argv) == 0
        rows = capsys.readouterr().out.splitlines()
        assert rows[2].split() == ["INV-9", "1", "-", "-", "no", "tracking"]

    def test_options_to_create_are_listed(self, tmp_path, capsys):
        sample = sample_jobs()
        argv = [
            "preview",
            write(tmp_path / "s.json", dump_mapping(sample.mapping)),
            "--schema",
            write(tmp_path / "c.json", dump_schema(sample.schema)),
            "--documents",
            write(tmp_path / "d.json", dump_documents(sample.documents())),
            "--host",
            "jobs",
        ]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert 'To create first: Job "J1047" (for INV-1008, EXP-508, PO-308)' in out

    def test_documents_without_fields_need_a_host(self, files, capsys):
        documents = write(files["dir"] / "d.json", dump_documents(sample_practice().documents()))
        argv = ["preview", files["settings"], "--schema", files["schema"]]
        assert main([*argv, "--documents", documents]) == 1
        assert "declares no fields" in capsys.readouterr().err


class TestDemo:
    """``trackmap demo`` runs offline on a sample host and tells the story in steps."""

    @pytest.mark.parametrize("host", sorted(SAMPLES))
    def test_demo_runs(self, host, capsys):
        assert main(["demo", "--host", host]) == 0
        out = capsys.readouterr().out
        assert "OK: 2 bindings, valid against 2 active tracking categories." in out
        assert "Document" in out
        assert "Rejected, with 2 problems:" in out
        assert "two fields may never feed one tracking category" in out
        assert "archived in Xero" in out

    def test_default_host_is_jobs(self, capsys):
        assert main(["demo"]) == 0
        assert "the jobs sample host" in capsys.readouterr().out

    def test_sections_are_numbered_in_step_order(self, capsys):
        main(["demo"])
        headings = [line for line in capsys.readouterr().out.splitlines() if line[:2] == "4."]
        assert headings == [
            "4. A rejected mapping: two fields on one category, and an archived option"
        ]

    def test_steps_extend(self, capsys):
        def step_extra(ctx: DemoContext) -> None:
            ctx.section("Extra")
            ctx.say(f"{len(ctx.batch.resolutions)} resolved")

        out = io.StringIO()
        assert run_demo(out, steps=(*STEPS, step_extra)) == 0
        assert out.getvalue().endswith("5. Extra\n--------\n28 resolved\n")

    def test_rejected_mapping_breaks_two_rules(self):
        sample = sample_jobs()
        codes = sorted(
            v.code for v in check_mapping(rejected_mapping(sample), sample.schema, sample.fields)
        )
        assert codes == ["category_bound_twice", "option_archived"]


class TestEntryPoints:
    """``python -m trackmap`` runs the same command line."""

    def test_python_dash_m(self):
        result = subprocess.run(
            [sys.executable, "-m", "trackmap", "demo"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0
        assert "Rejected, with 2 problems:" in result.stdout
