"""Tests of the command line: check, preview and demo, run through main(argv)."""

from __future__ import annotations

import io
import itertools
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
        bad = write(files["dir"] / "bad.json", {"version": 3})
        assert main(["check", bad, "--schema", files["schema"]]) == 1
        assert "$.version: 3 is not a settings version" in capsys.readouterr().err

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


ADAPTER_MODULE = """
from trackmap import Document, DocumentKind, FieldLevel, FieldSpec, SourceAdapter
from trackmap.testing.hosts import sample_jobs

adapter = sample_jobs().adapter
JobsAdapter = type(adapter)


def make():
    return sample_jobs().adapter


class Broken(JobsAdapter):
    def fields(self):
        raise RuntimeError("the \\x1b[31mdatabase is down")


class Names(JobsAdapter):
    def fields(self):
        return ("branch",)


class NeedsArguments(JobsAdapter):
    def __init__(self, session):
        self.session = session


class DuckNames:  # not a SourceAdapter: only its fields() are read by check

    def fields(self):
        return ("branch",)


class DuckBroken:
    def fields(self):
        raise RuntimeError("no fields today")


number = 7
"""


_MODULES = itertools.count()


@pytest.fixture
def host_module(tmp_path, monkeypatch):
    """A host's own adapter module, importable from the current directory, as a host runs it."""
    name = f"host_adapter_{next(_MODULES)}"
    (tmp_path / f"{name}.py").write_text(ADAPTER_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return name


@pytest.fixture
def jobs_files(tmp_path):
    sample = sample_jobs()
    typo = dump_mapping(sample.mapping)
    typo["bindings"][0]["sources"] = ["branch_name"]
    return {
        "settings": write(tmp_path / "settings.json", dump_mapping(sample.mapping)),
        "typo": write(tmp_path / "typo.json", typo),
        "schema": write(tmp_path / "schema.json", dump_schema(sample.schema)),
        "documents": write(tmp_path / "documents.json", dump_documents(sample.documents())),
    }


class TestHostAdapter:
    """``--adapter MODULE:ATTR`` checks source fields against the host's own adapter."""

    def test_a_typo_in_a_field_name_is_caught(self, jobs_files, host_module, capsys):
        argv = ["check", jobs_files["typo"], "--schema", jobs_files["schema"]]
        assert main(argv) == 0  # without the adapter, the fields cannot be checked
        assert "Source fields were not checked" in capsys.readouterr().out
        assert main([*argv, "--adapter", f"{host_module}:adapter"]) == 1
        err = capsys.readouterr().err
        assert "$.bindings[0].sources[0]" in err
        assert "branch_name" in err

    @pytest.mark.parametrize("attribute", ["adapter", "make", "JobsAdapter"])
    def test_instance_factory_or_class(self, attribute, jobs_files, host_module, capsys):
        argv = ["check", jobs_files["settings"], "--schema", jobs_files["schema"]]
        assert main([*argv, "--adapter", f"{host_module}:{attribute}"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("OK: 2 bindings")
        assert "not checked" not in out

    def test_preview_takes_the_fields_from_the_adapter(self, jobs_files, host_module, capsys):
        argv = ["preview", jobs_files["settings"], "--schema", jobs_files["schema"]]
        argv += ["--documents", jobs_files["documents"], "--adapter", f"{host_module}:adapter"]
        assert main(argv) == 0
        assert capsys.readouterr().out.splitlines()[-1].startswith("28 documents")

    @pytest.mark.parametrize(
        ("spec", "words"),
        [
            (
                "no_colon",
                '--adapter takes MODULE:ATTR (such as myapp.tracking:adapter), not "no_colon"',
            ),
            ("not_a_module_anywhere:x", "cannot be imported (ModuleNotFoundError: No module named"),
            ("{module}:missing", 'cannot be found: "missing" is missing'),
            (
                "{module}:Broken",
                (
                    "cannot be used: Broken could not list its fields (fields): RuntimeError: "
                    "the \\x1b[31mdatabase"
                ),
            ),
            ("{module}:Names", 'must return FieldSpec values, but one is the str "branch"'),
            ("{module}:NeedsArguments", "cannot be built with no arguments (TypeError:"),
            ("{module}:DuckNames", "declares fields that are not FieldSpec values (item 1 of 1)"),
            ("{module}:DuckBroken", "failed to declare its fields (RuntimeError: no fields today)"),
            ("{module}:number", "is neither an adapter nor a class or factory of one"),
        ],
    )
    def test_an_adapter_that_cannot_be_used(self, spec, words, jobs_files, host_module, capsys):
        argv = ["check", jobs_files["settings"], "--schema", jobs_files["schema"]]
        assert main([*argv, "--adapter", spec.format(module=host_module)]) == 4
        captured = capsys.readouterr()
        assert words in captured.err
        assert "\x1b" not in captured.err
        assert "Traceback" not in captured.err

    def test_adapter_and_host_exclude_each_other(self, jobs_files, capsys):
        argv = ["check", jobs_files["settings"], "--schema", jobs_files["schema"]]
        assert main([*argv, "--adapter", "x:y", "--host", "jobs"]) == 2
        assert "not allowed with argument" in capsys.readouterr().err


def many_documents(count, *, blocked_every=0):
    """``count`` one-line documents for the jobs sample; every n-th has an unknown branch."""
    documents = []
    for n in range(count):
        branch = "Atlantis" if blocked_every and n % blocked_every == 0 else "Sydney"
        documents.append(
            {
                "key": f"INV-{n}",
                "kind": "sales_invoice",
                "fields": {"branch": branch, "job_number": f"J{n % 7}", "job_po_number": None},
                "lines": [{"key": "1", "fields": {}}],
            }
        )
    return {"version": 1, "documents": documents}


@pytest.fixture
def strict_jobs(tmp_path):
    """The jobs sample with an unknown branch an error, and 250 documents, 1 in 5 blocked."""
    sample = sample_jobs()
    data = dump_mapping(sample.mapping)
    data["bindings"][0]["on_unmapped"] = "error"
    return [
        "preview",
        write(tmp_path / "s.json", data),
        "--schema",
        write(tmp_path / "c.json", dump_schema(sample.schema)),
        "--documents",
        write(tmp_path / "d.json", many_documents(250, blocked_every=5)),
        "--host",
        "jobs",
    ]


class TestPreviewAtScale:
    """preview bounds its output for any number of documents, with --limit and --format json."""

    def test_default_limit_shows_100_documents_and_counts_the_rest(self, strict_jobs, capsys):
        assert main(strict_jobs) == 1
        out = capsys.readouterr().out.splitlines()
        assert "... and 150 more documents." in out
        errors = [line for line in out if line.startswith("Error: ")]
        assert len(errors) == 20  # the blocked ones among the 100 shown
        assert out[-2] == (
            "... and 30 more problems on the documents not shown "
            "(--limit 0 shows every document; --format json lists everything)."
        )
        assert out[-1] == "250 documents, 250 lines: 200 ready, 50 blocked; 7 options to create."

    def test_limit_zero_shows_everything(self, strict_jobs, capsys):
        main([*strict_jobs, "--limit", "0"])
        out = capsys.readouterr().out.splitlines()
        assert sum(line.startswith("Error: ") for line in out) == 50
        assert not [line for line in out if line.startswith("...")]

    def test_to_create_first_names_three_documents_and_counts_the_rest(self, strict_jobs, capsys):
        main([*strict_jobs, "--limit", "1"])
        out = capsys.readouterr().out.splitlines()
        creates = [line for line in out if line.startswith("To create")]
        assert creates[0] == (
            'To create first: Job "J0" (for INV-0, INV-7, INV-14 and 33 more documents)'
        )
        assert max(len(line) for line in creates) < 100

    def test_bad_limit_is_a_usage_mistake(self, strict_jobs, capsys):
        assert main([*strict_jobs, "--limit", "-1"]) == 2
        assert "must be a whole number, 0 or more" in capsys.readouterr().err

    def test_json_lists_every_document(self, strict_jobs, capsys):
        assert main([*strict_jobs, "--format", "json"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert data["version"] == 1
        assert data["summary"] == {
            "documents": 250,
            "lines": 250,
            "ready": 200,
            "blocked": 50,
            "options_to_create": 7,
            "documents_omitted": 0,
            "text": "250 documents, 250 lines: 200 ready, 50 blocked; 7 options to create.",
        }
        assert len(data["documents"]) == 250
        blocked = data["documents"][0]
        assert blocked["key"] == "INV-0"
        assert blocked["ok"] is False
        assert blocked["problems"][0]["severity"] == "error"
        assert blocked["problems"][0]["value"] == "Atlantis"
        ready = data["documents"][1]
        assert ready["lines"][0]["assignments"][0]["category_name"] == "Region"
        assert ready["lines"][0]["assignments"][0]["rule"] == "name"
        job = data["options_to_create"][0]
        assert (job["name"], len(job["document_keys"])) == ("J0", 36)

    def test_json_with_a_limit(self, strict_jobs, capsys):
        main([*strict_jobs, "--format", "json", "--limit", "3"])
        data = json.loads(capsys.readouterr().out)
        assert [d["key"] for d in data["documents"]] == ["INV-0", "INV-1", "INV-2"]
        assert data["summary"]["documents_omitted"] == 247

    def test_progress_on_stderr(self, tmp_path, strict_jobs, capsys):
        documents = write(tmp_path / "many.json", many_documents(25_000))
        argv = [*strict_jobs[:5], documents, *strict_jobs[6:]]
        assert main([*argv, "--progress", "--limit", "1"]) == 0
        err = capsys.readouterr().err.splitlines()
        assert err == [
            f"trackmap preview: read 25,000 documents from {documents}",
            "trackmap preview: resolved 10,000 of 25,000 documents",
            "trackmap preview: resolved 20,000 of 25,000 documents",
            "trackmap preview: resolved 25,000 of 25,000 documents",
        ]

    def test_no_progress_when_stderr_is_not_a_terminal(self, strict_jobs, capsys):
        main(strict_jobs)
        assert capsys.readouterr().err == ""


class TestCheckJson:
    """``trackmap check --format json``: one JSON object, valid or not, with the same exit code."""

    def test_valid(self, jobs_files, host_module, capsys):
        argv = ["check", jobs_files["settings"], "--schema", jobs_files["schema"]]
        assert main([*argv, "--format", "json", "--adapter", f"{host_module}:adapter"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] is True
        assert data["fields_checked"] is True
        assert data["summary"] == "OK: 2 bindings, valid against 2 active tracking categories."
        assert len(data["bindings"]) == 2

    def test_problems_with_their_paths(self, jobs_files, host_module, capsys):
        argv = ["check", jobs_files["typo"], "--schema", jobs_files["schema"], "--format", "json"]
        assert main([*argv, "--adapter", f"{host_module}:adapter"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] is False
        assert data["file"] == "settings"
        assert data["error"] == f"The settings file {jobs_files['typo']} has 1 problem:"
        [problem] = data["problems"]
        assert problem["path"] == "$.bindings[0].sources[0]"
        assert "branch_name" in problem["message"]

    def test_an_unreadable_schema(self, jobs_files, tmp_path, capsys):
        missing = str(tmp_path / "none.json")
        argv = ["check", jobs_files["settings"], "--schema", missing, "--format", "json"]
        assert main(argv) == 3
        data = json.loads(capsys.readouterr().out)
        assert (data["file"], data["problems"]) == ("schema", [])
        assert data["error"].endswith("cannot be read: there is no such file.")
