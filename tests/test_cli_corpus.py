"""The command line over a corpus of broken files: no traceback, the documented exit code, a
message a person understands, and nothing from a file written raw to the terminal."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackmap._cli import main
from trackmap._cli._common import EXIT_CODES_HELP, ExitCode
from trackmap._config import dump_documents, dump_mapping, dump_schema
from trackmap.testing import strategies as kit
from trackmap.testing.hosts import sample_practice

# What output may never hold raw: controls (but newline and tab), surrogates, format characters.
_UNSAFE = {"Cc", "Cs", "Cf", "Zl", "Zp"}


def assert_printable(text):
    text.encode("utf-8")
    assert not [c for c in text if unicodedata.category(c) in _UNSAFE and c not in "\n\t"]


def write(path, data):
    text = data if isinstance(data, str | bytes) else json.dumps(data)
    # A lone surrogate in text is written as the bytes a careless encoder would write.
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return str(path)


@pytest.fixture
def good(tmp_path):
    sample = sample_practice()
    return {
        "settings": write(tmp_path / "settings.json", dump_mapping(sample.mapping)),
        "schema": write(tmp_path / "schema.json", dump_schema(sample.schema)),
        "documents": write(
            tmp_path / "documents.json", dump_documents(sample.documents(), fields=sample.fields)
        ),
    }


def settings_with(**changes):
    data = dump_mapping(sample_practice().mapping)
    data["bindings"][0].update(changes)
    return data


#: name -> (file content, exit code, words the message must hold)
BROKEN = {
    "empty": ("", ExitCode.PROBLEMS, "is empty: a trackmap file holds one JSON object"),
    "blank": (" \n\n ", ExitCode.PROBLEMS, "is empty"),
    "binary": (bytes(range(256)) * 4, ExitCode.PROBLEMS, "is not UTF-8 text"),
    "raw surrogate bytes": (
        b'{"version": 1, "bindings": [{"category_id": "\xed\xa0\x80"}]}',
        ExitCode.PROBLEMS,
        "is not UTF-8 text",
    ),
    "escaped surrogate": (
        '{"version": 1, "bindings": [{"category_id": "x", "category_name": "\\ud800"}]}',
        ExitCode.PROBLEMS,
        'must be Unicode text, not "\\ud800" (it holds a lone surrogate)',
    ),
    "surrogate in a name": (
        settings_with(category_name="Region \ud800"),
        ExitCode.PROBLEMS,
        '$.bindings[0].category_name: must be Unicode text, not "Region \\ud800"',
    ),
    "ansi in a value": (
        settings_with(on_unmapped="\x1b[2J\x1b[31mskip"),
        ExitCode.PROBLEMS,
        'not "\\x1b[2J\\x1b[31mskip"',
    ),
    "ansi in a key": (
        settings_with(**{"\x1b]0;pwned\x07": 1}),
        ExitCode.PROBLEMS,
        '["\\x1b]0;pwned\\x07"]: is not a key trackmap knows',
    ),
    "bidi override": (
        settings_with(on_unmapped="\u202eskip"),
        ExitCode.PROBLEMS,
        '"\\u202eskip"',
    ),
    "huge number": (
        '{"version": 1, "bindings": [{"category_id": ' + "9" * 10_000 + "}]}",
        ExitCode.PROBLEMS,
        "$.bindings[0].category_id: must be text, not a number of 10,000 digits",
    ),
    "huge file": (
        '"' + "x" * 10_000_000 + '"',
        ExitCode.PROBLEMS,
        'must be an object with "version": 1, not "xxxxxxxx',
    ),
    "deep nesting": ("[" * 200_000, ExitCode.PROBLEMS, "nests too deeply"),
    "wrong version": (
        {"version": 3, "bindings": []},
        ExitCode.PROBLEMS,
        "is not a settings version",
    ),
    "float version": (
        {"version": 1.0, "bindings": []},
        ExitCode.PROBLEMS,
        "must be the whole number 1",
    ),
    "not json": ("{'version': 1}", ExitCode.PROBLEMS, "is not valid JSON (Expecting property name"),
    "truncated": ('{"version": 1, "bindings": [', ExitCode.PROBLEMS, "is not valid JSON"),
    "a schema": (
        dump_schema(sample_practice().schema),
        ExitCode.PROBLEMS,
        "looks like a schema file (it has capabilities, categories)",
    ),
}


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert_printable(captured.out)
    assert_printable(captured.err)
    return code, captured.out, captured.err


def commands(good, settings):
    """Each command that reads a settings file, with the broken one in its place."""
    return {
        "check": ["check", settings, "--schema", good["schema"], "--host", "practice"],
        "preview": [
            "preview",
            settings,
            "--schema",
            good["schema"],
            "--documents",
            good["documents"],
        ],
        "reconcile": ["reconcile", settings, "--old", good["schema"], "--new", good["schema"]],
    }


class TestBrokenSettingsFiles:
    """Every broken settings file, under every command that reads one."""

    @pytest.mark.parametrize("command", ["check", "preview", "reconcile"])
    @pytest.mark.parametrize("name", sorted(BROKEN))
    def test_broken_file(self, name, command, good, tmp_path, capsys):
        content, expected_code, words = BROKEN[name]
        broken = write(tmp_path / "broken.json", content)
        code, out, err = run(commands(good, broken)[command], capsys)
        assert expected_code == code
        assert out == ""
        assert err.startswith(f"trackmap {command}: The settings file {broken} has ")
        assert words in err

    ESCAPES = "\x1b[31mRegion\x1b[0m \u202e"
    PRINTED = "\\x1b[31mRegion\\x1b[0m \\u202e"

    def test_escapes_in_valid_settings_are_printed_as_escapes(self, good, tmp_path, capsys):
        valid = write(tmp_path / "valid.json", settings_with(category_name=self.ESCAPES))
        code, out, _ = run(commands(good, valid)["check"], capsys)
        assert code == ExitCode.OK
        assert f"  {self.PRINTED} <- cost_centre" in out

    def test_escapes_in_valid_documents_are_printed_as_escapes(self, good, tmp_path, capsys):
        sample = sample_practice()
        data = dump_documents(sample.documents()[:1], fields=sample.fields)
        data["documents"][0]["label"] = self.ESCAPES
        documents = write(tmp_path / "d.json", data)
        argv = ["preview", good["settings"], "--schema", good["schema"], "--documents", documents]
        code, out, _ = run(argv, capsys)
        assert code == ExitCode.OK
        assert out.splitlines()[2].startswith(self.PRINTED)

    def test_escapes_in_a_renamed_option_are_printed_as_escapes(self, good, tmp_path, capsys):
        schema = dump_schema(sample_practice().schema)
        schema["categories"][0]["options"][0]["name"] = self.ESCAPES
        new = write(tmp_path / "new.json", schema)
        code, out, _ = run(
            ["reconcile", good["settings"], "--old", good["schema"], "--new", new], capsys
        )
        assert code == ExitCode.OK
        assert self.PRINTED in out

    @pytest.mark.parametrize("command", ["check", "preview", "reconcile"])
    def test_settings_given_as_the_schema(self, command, good, capsys):
        argv = commands(good, good["schema"])[command]
        argv[argv.index(good["schema"], 2)] = good["settings"]
        code, _, err = run(argv, capsys)
        assert code == ExitCode.PROBLEMS
        # reconcile reads the settings first; check and preview the schema.
        assert (
            "looks like a tracking settings (mapping) file (it has bindings)" in err
            or "looks like a schema file (it has capabilities, categories)" in err
        )

    def test_broken_documents_file(self, good, tmp_path, capsys):
        documents = write(tmp_path / "d.json", {"version": 1, "documents": [{"key": "\x1b[5m"}]})
        argv = ["preview", good["settings"], "--schema", good["schema"], "--documents", documents]
        code, _, err = run(argv, capsys)
        assert code == ExitCode.PROBLEMS
        assert f"The documents file {documents} has 1 problem:" in err
        assert "$.documents[0].kind: is required" in err


class TestFilesThatCannotBeRead:
    """Missing files, directories, impossible names, no permission: exit code 3."""

    @pytest.mark.parametrize("command", ["check", "preview", "reconcile"])
    def test_missing(self, command, good, tmp_path, capsys):
        missing = str(tmp_path / "nope.json")
        code, _, err = run(commands(good, missing)[command], capsys)
        assert code == ExitCode.UNREADABLE
        assert err == (
            f"trackmap {command}: The settings file {missing} cannot be read: "
            "there is no such file.\n"
        )

    def test_directory(self, good, tmp_path, capsys):
        code, _, err = run(commands(good, str(tmp_path))["check"], capsys)
        assert code == ExitCode.UNREADABLE
        assert err.endswith("cannot be read: it is a directory, not a file.\n")

    def test_nul_in_the_name(self, good, capsys):
        code, _, err = run(commands(good, "bad\x00name.json")["check"], capsys)
        assert code == ExitCode.UNREADABLE
        assert "bad\\x00name.json cannot be read: the name holds a character" in err

    def test_escape_in_the_name(self, good, tmp_path, capsys):
        code, _, err = run(commands(good, str(tmp_path / "\x1b[2Jx.json"))["check"], capsys)
        assert code == ExitCode.UNREADABLE
        assert "\\x1b[2Jx.json cannot be read" in err

    def test_permission_denied(self, good, monkeypatch, capsys):
        # The test suite runs as root in CI, where chmod cannot refuse a read: the OS error
        # is raised where the file is read instead.
        def refuse(self):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", refuse)
        code, _, err = run(commands(good, good["settings"])["check"], capsys)
        assert code == ExitCode.UNREADABLE
        assert err.endswith("cannot be read: permission denied.\n")


class TestInternalErrors:
    """A bug (any exception that is not trackmap's) is a sentence and exit code 5."""

    def test_an_unexpected_exception(self, good, monkeypatch, capsys):
        def broken(*_):
            msg = "\x1b[31mdivision by zero"
            raise ZeroDivisionError(msg)

        monkeypatch.setattr("trackmap._cli._check.ok_summary", broken)
        code, _, err = run(["check", good["settings"], "--schema", good["schema"]], capsys)
        assert code == ExitCode.INTERNAL
        assert err == (
            "trackmap check: internal error (ZeroDivisionError: \\x1b[31mdivision by zero). "
            "This is a bug in trackmap: please report it with the command you ran.\n"
        )

    def test_usage_mistakes_quote_arguments_safely(self, good, capsys):
        argv = ["check", good["settings"], "--schema", good["schema"], "\x1b[31mextra"]
        code, _, err = run(argv, capsys)
        assert code == ExitCode.USAGE
        assert err.endswith("error: unrecognized arguments: \\x1b[31mextra\n")

    def test_help_lists_every_exit_code(self, capsys):
        assert main(["--help"]) == 0
        out = capsys.readouterr().out
        assert EXIT_CODES_HELP in out
        for code in ExitCode:
            assert f"\n  {code.value}  " in out


def _subprocess(argv, **env):
    result = subprocess.run(
        [sys.executable, "-m", "trackmap", *argv],
        capture_output=True,
        check=False,
        timeout=60,
        env={**os.environ, **env},
    )
    return result.returncode, result.stdout, result.stderr


class TestRealProcess:
    """Through a real process and real streams, as a person runs it."""

    def test_ansi_and_surrogates_never_reach_the_terminal(self, good, tmp_path):
        broken = write(tmp_path / "b.json", settings_with(on_unmapped="\x1b[2J", category_name=5))
        code, _out, err = _subprocess(["check", broken, "--schema", good["schema"]])
        assert code == ExitCode.PROBLEMS
        assert b"\x1b" not in err
        assert b"Traceback" not in err
        assert b"\\x1b[2J" in err

    def test_an_ascii_terminal_gets_escapes_not_a_crash(self, good, tmp_path):
        data = dump_documents([*sample_practice().documents()[:1]], fields=sample_practice().fields)
        data["documents"][0]["label"] = "Facture é \u202e"
        documents = write(tmp_path / "d.json", data)
        argv = ["preview", good["settings"], "--schema", good["schema"], "--documents", documents]
        code, out, err = _subprocess(argv, PYTHONIOENCODING="ascii")
        assert code == ExitCode.OK, err
        assert b"Facture \\xe9 \\u202e" in out
        assert err == b""


class TestLongValuesInThePreview:
    """A preview's lines stay short whatever the documents hold."""

    def test_long_title_key_and_value(self, good, tmp_path, capsys):
        sample = sample_practice()
        data = dump_documents(sample.documents()[:2], fields=sample.fields)
        data["documents"][0]["label"] = "T" * 100_000
        data["documents"][0]["lines"][0]["key"] = "K" * 100_000
        data["documents"][0]["lines"][0]["fields"]["cost_centre"] = "\x1b[1m" + "V" * 100_000
        documents = write(tmp_path / "d.json", data)
        argv = ["preview", good["settings"], "--schema", good["schema"], "--documents", documents]
        code, out, _ = run(argv, capsys)
        assert code == ExitCode.OK
        assert max(len(line) for line in out.splitlines()) < 400


class TestStreams:
    """A closed pipe is not an error; output streams are wrapped once, safely."""

    def test_a_closed_pipe_ends_quietly(self, good, monkeypatch, capsys):
        def closed(*_, **__):
            raise BrokenPipeError

        monkeypatch.setattr("trackmap._cli._preview.write_preview", closed)
        argv = ["preview", good["settings"], "--schema", good["schema"]]
        code, _, err = run([*argv, "--documents", good["documents"]], capsys)
        assert code == ExitCode.OK
        assert err == ""

    def test_interrupted(self, good, monkeypatch, capsys):
        def interrupted(*_, **__):
            raise KeyboardInterrupt

        monkeypatch.setattr("trackmap._cli._check.ok_summary", interrupted)
        code, _, err = run(["check", good["settings"], "--schema", good["schema"]], capsys)
        assert code == 130
        assert err == "trackmap check: interrupted.\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("generated")


class TestGeneratedFiles:
    """Properties: for any file content, in any file position, no traceback, exit code 1 (or 0
    when the content happens to be valid), and printable output."""

    @settings(max_examples=60)
    @given(
        content=kit.hostile_settings_text(),
        position=st.sampled_from(["settings", "schema", "documents"]),
    )
    def test_any_content_anywhere(self, content, position, folder):
        sample = sample_practice()
        files = {
            "settings": write(folder / "settings.json", dump_mapping(sample.mapping)),
            "schema": write(folder / "schema.json", dump_schema(sample.schema)),
            "documents": write(
                folder / "documents.json",
                dump_documents(sample.documents()[:3], fields=sample.fields),
            ),
        }
        files[position] = write(folder / "generated.json", content)
        argv = ["preview", files["settings"], "--schema", files["schema"]]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--documents", files["documents"]])
        out, err = out.getvalue(), err.getvalue()
        assert "Traceback" not in err
        assert_printable(out)
        assert_printable(err)
        assert code in {ExitCode.OK, ExitCode.PROBLEMS}
        if code == ExitCode.PROBLEMS:
            assert err.startswith(f"trackmap preview: The {position} file ")
            assert out == ""
