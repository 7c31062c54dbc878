"""Apply scripts/renames.tsv to a tree: imports, identifiers, ``__all__`` entries, doc spans.

Usage: ``python scripts/apply_renames.py [--check] [ROOT ...]`` (default: the repository's
``src tests docs examples benchmarks scripts README.md``). Then run ``ruff check --fix`` and
``ruff format`` (a rewritten import may need sorting again).

Each line of renames.tsv is ``old module TAB new module TAB old name TAB new name``: the name
``old name`` importable from ``old module`` is now ``new name`` in ``new module``. What is
rewritten, and nothing else (strings and prose outside backticks are left alone, so Xero's own
``"Status"`` keys survive):

- ``from OLD import a, Old as o, b`` becomes imports from each new module;
- in a file that imported a renamed name without ``as``, or that defines it (the old module
  itself), every bare NAME token of it, its entry in ``__all__``, and backticked mentions in
  comments and docstrings;
- dotted uses ``old.module.Old`` anywhere;
- in Markdown, the same inside ```python blocks, and backticked spans in prose that are the
  name or a dotted path ending in it (printed, to be reviewed).

``--check`` changes nothing and exits 1 if something would change. A file containing the words
"apply_renames: skip this file" is left alone (tests/test_renames.py quotes old names).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import re
import sys
import tokenize
from collections.abc import Iterable
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
TABLE = Path(__file__).resolve().parent / "renames.tsv"
DEFAULT_PATHS = ("src", "tests", "docs", "examples", "benchmarks", "scripts", "README.md")
_FENCE = re.compile(r"(^```([^\n]*)\n)(.*?)(^```$)", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")  # a span may wrap once
_LINE = 100  # ruff's line length
_SKIP = "apply_renames: " + "skip this file"  # a file that quotes old names on purpose


@attrs.frozen(kw_only=True)
class Rename:
    """One line of renames.tsv."""

    old_module: str
    new_module: str
    old_name: str
    new_name: str


def load(path: Path = TABLE) -> tuple[Rename, ...]:
    """Read renames.tsv (``#`` starts a comment line)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            old_module, new_module, old_name, new_name = line.split("\t")
            rows.append(Rename(old_module=old_module, new_module=new_module,
                               old_name=old_name, new_name=new_name))  # fmt: skip
    return tuple(rows)


def _module_of(path: Path) -> str:
    parts = path.with_suffix("").parts
    if "src" not in parts:
        return ""
    dotted = list(parts[parts.index("src") + 1 :])
    if dotted[-1] == "__init__":
        dotted.pop()
    return ".".join(dotted)


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _render_import(module: str, aliases: list[str], indent: str) -> str:
    one = f"{indent}from {module} import {', '.join(aliases)}"
    if len(one) < _LINE:
        return one
    inner = "".join(f"{indent}    {a},\n" for a in aliases)
    return f"{indent}from {module} import (\n{inner}{indent})"


def _alias_text(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def _rewrite_imports(
    source: str, tree: ast.Module, table: dict[tuple[str, str], Rename]
) -> tuple[str, dict[str, str]]:
    """Rewrite the from-imports of renamed names; return the text and the local renames."""
    local: dict[str, str] = {}
    lines = source.splitlines(keepends=True)
    bound = {  # a rename onto a name the file already imports (a merge) adds no second import
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if (n.module, a.name) not in table
    }
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
            continue
        hits = [table.get((node.module, a.name)) for a in node.names]
        if not any(hits):
            continue
        groups: dict[str, list[str]] = {node.module: []}
        for alias, hit in zip(node.names, hits, strict=True):
            module, name = (hit.new_module, hit.new_name) if hit else (node.module, alias.name)
            asname = name if hit and alias.asname == alias.name else alias.asname  # x as x
            groups.setdefault(module, [])
            if not (hit and (asname or name) in bound):
                groups[module].append(_alias_text(name, asname))
            if hit and asname in {None, name} and hit.new_name != hit.old_name:
                local[hit.old_name] = hit.new_name
        first = lines[node.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        text = "\n".join(
            _render_import(m, list(dict.fromkeys(a)), indent) for m, a in groups.items() if a
        )
        edits.append((node.lineno, node.end_lineno or node.lineno, text + "\n" if text else ""))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1 : end] = [text]
    return "".join(lines), local


def _in_backticks(text: str, local: dict[str, str]) -> str:
    def span(match: re.Match[str]) -> str:
        inner = match.group(1)
        for old, new in local.items():
            inner = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, inner)
        return f"`{inner}`"

    return _SPAN.sub(span, text)


def _dotted(rows: Iterable[Rename]) -> dict[str, str]:
    return {
        f"{r.old_module}.{r.old_name}": f"{r.new_module}.{r.new_name}"
        for r in rows
        if (r.old_module, r.old_name) != (r.new_module, r.new_name)
    }


def _rewrite_dotted(text: str, dotted: dict[str, str]) -> str:
    for old in sorted(dotted, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.]){re.escape(old)}\b", dotted[old], text)
    return text


def rewrite_python(
    source: str, rows: tuple[Rename, ...], module: str = "", imported: dict[str, str] | None = None
) -> str:
    """Apply the renames to one Python source; a source that does not parse is returned as is.

    ``imported``: local renames from imports made elsewhere (earlier blocks of a Markdown page).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    table = {(r.old_module, r.old_name): r for r in rows}
    source, local = _rewrite_imports(source, tree, table)
    local = {**(imported or {}), **local}
    defined = _defined(tree)
    for r in rows:
        if r.old_module == module and r.old_name in defined and r.old_name != r.new_name:
            local[r.old_name] = r.new_name
    exported = _exported(tree)
    out: list[str] = []
    previous = ""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for tok in tokens:
        text = tok.string
        if tok.type == tokenize.NAME and previous != "." and text in local:
            text = local[text]
        elif tok.type == tokenize.STRING and text[1:-1] in local and text[1:-1] in exported:
            text = text[0] + local[text[1:-1]] + text[-1]
        elif tok.type in {tokenize.STRING, tokenize.COMMENT} and "`" in text:
            text = _in_backticks(text, local)
        out.append(text)
        if tok.type not in {tokenize.NL, tokenize.COMMENT}:
            previous = tok.string
    changed = _untokenize(source, tokens, out)
    return _rewrite_dotted(changed, _dotted(rows))


def _exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.List | ast.Tuple):
                return {e.value for e in value.elts if isinstance(e, ast.Constant)}  # type: ignore[misc]
    return set()


def _untokenize(source: str, tokens: list[tokenize.TokenInfo], out: list[str]) -> str:
    """Put the changed token texts back at their places, keeping every other character."""
    lines = source.splitlines(keepends=True)
    edits = [(t.start, t.end, new) for t, new in zip(tokens, out, strict=True) if new != t.string]
    for (srow, scol), (erow, ecol), new in sorted(edits, reverse=True):
        head, tail = lines[srow - 1][:scol], lines[erow - 1][ecol:]
        lines[srow - 1 : erow] = [head + new + tail]
    return "".join(lines)


def rewrite_markdown(text: str, rows: tuple[Rename, ...], path: str = "") -> str:
    """Apply the renames to the python blocks and to backticked spans of prose."""
    local = {r.old_name: r.new_name for r in rows if r.old_name != r.new_name}
    dotted = _dotted(rows)
    pieces = []
    last = 0
    table = {(r.old_module, r.old_name): r for r in rows}
    imported: dict[str, str] = {}
    fences = list(_FENCE.finditer(text))
    for match in fences:  # the python blocks of a page run as one script
        if match.group(2) == "python":
            with contextlib.suppress(SyntaxError):
                tree = ast.parse(match.group(3))
                imported.update(_rewrite_imports(match.group(3), tree, table)[1])
    for match in fences:
        pieces.append(_prose(text[last : match.start()], local, dotted, path))
        block = match.group(3)
        if match.group(2) == "python":
            block = rewrite_python(block, rows, imported=imported)
        pieces.append(match.group(1) + block + match.group(4))
        last = match.end()
    pieces.append(_prose(text[last:], local, dotted, path))
    return "".join(pieces)


def _prose(text: str, local: dict[str, str], dotted: dict[str, str], path: str) -> str:
    pattern = re.compile(rf"(?<![\w.])((?:trackmap(?:\.\w+)*\.)?)({'|'.join(local)})\b")

    def span(match: re.Match[str]) -> str:
        inner = match.group(1)
        new = _rewrite_dotted(inner, dotted)
        if local:
            new = pattern.sub(lambda m: m.group(1) + local[m.group(2)], new)
        if new != inner:
            sys.stdout.write(f"{path}: `{inner}` -> `{new}`\n")
        return f"`{new}`"

    return _SPAN.sub(span, text)


def rewrite_file(path: Path, rows: tuple[Rename, ...]) -> str | None:
    """The new text of ``path``, or None if it does not change."""
    text = path.read_text(encoding="utf-8")
    if _SKIP in text:
        return None
    if path.suffix == ".py":
        new = rewrite_python(text, rows, _module_of(path))
    elif path.suffix == ".md":
        new = rewrite_markdown(text, rows, str(path))
    else:
        return None
    return new if new != text else None


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from (
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in {".py", ".md"} and ".venv" not in p.parts and p.is_file()
            )
        elif path.is_file():
            yield path


def main(argv: list[str] | None = None) -> int:
    """Rewrite the files; with --check, only say which would change."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    rows = load(args.table)
    paths = args.paths or [ROOT / p for p in DEFAULT_PATHS]
    changed = 0
    for path in _files(paths):
        if path.resolve() == Path(__file__).resolve():
            continue
        new = rewrite_file(path, rows)
        if new is None:
            continue
        changed += 1
        sys.stdout.write(f"{'would change' if args.check else 'changed'}: {path}\n")
        if not args.check:
            path.write_text(new, encoding="utf-8")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
