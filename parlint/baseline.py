"""Baselines for legacy adoption: `--write-baseline FILE` records today's findings, and
`--baseline FILE` then reports only findings that are not in it, plus the stale entries.

A finding's fingerprint must survive edits elsewhere in the file, so it holds no line number:
it is the rule code, the qualified name of the enclosing function (`Service.load`,
`main.<locals>.worker`, `<module>`), the normalised text of the flagged logical line (tokens
joined by single spaces, comments dropped: re-indenting, re-wrapping or adding a `# noqa` does
not change it), and an occurrence index among identical fingerprints in the same file. Paths are
stored relative to the baseline file's directory, so the file works from any working directory.

Everything here is a pure function over sources and findings, except `read_baseline` and
`write_baseline`.
"""

from __future__ import annotations

import ast
import io
import json
import os
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from parlint.types import Finding

FORMAT_VERSION = 1
_SKIPPED_TOKENS = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


class BaselineError(Exception):
    """A baseline file that cannot be read or has the wrong shape."""


@dataclass(frozen=True, order=True)
class Entry:
    path: str  # posix, relative to the baseline file's directory
    code: str
    function: str
    statement: str
    occurrence: int
    line: int = 0  # where it was when recorded: for people reading the file, never matched
    message: str = ""  # likewise

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.path, self.code, self.function, self.statement, self.occurrence)


@dataclass(frozen=True)
class BaselineOutcome:
    new: tuple[Finding, ...]  # findings not in the baseline: report these
    matched: int  # findings the baseline accounts for
    stale: tuple[Entry, ...]  # entries of checked files that no finding matches any more


# --- fingerprints ------------------------------------------------------------------------


class _Locator:
    """Enclosing function and logical line of positions in one source."""

    def __init__(self, source: str) -> None:
        self.scopes = _scopes(source)
        self.logical = _logical_lines(source)

    def function(self, line: int) -> str:
        best: tuple[int, str] | None = None
        for start, end, name in self.scopes:
            if start <= line <= end and (best is None or start >= best[0]):
                best = (start, name)
        return best[1] if best else "<module>"

    def statement(self, line: int) -> str | None:
        for start, end, text in self.logical:
            if start <= line <= end:
                return text
        return None


def _scopes(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualname) of every function, as Python's __qualname__ names it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.append((first, child.end_lineno or child.lineno, name))
                walk(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _logical_lines(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, normalised text) of every logical line."""
    lines: list[tuple[int, int, str]] = []
    parts: list[str] = []
    first = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIPPED_TOKENS:
                if tok.type == tokenize.NEWLINE and parts:
                    lines.append((first, tok.start[0], " ".join(parts)))
                    parts = []
                continue
            if not parts:
                first = tok.start[0]
            parts.append(tok.string.strip() if tok.type == tokenize.STRING else tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def fingerprint(
    findings: Sequence[Finding], source: str | None, path: str
) -> list[tuple[Finding, Entry]]:
    """Each finding of one file with its baseline entry (`path` is the stored path)."""
    locator = _Locator(source) if source is not None else None
    seen: dict[tuple[str, str, str], int] = {}
    pairs: list[tuple[Finding, Entry]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        function, statement = "<module>", None
        if locator is not None:
            function = locator.function(finding.line)
            statement = locator.statement(finding.line)
        if statement is None:  # unparsable file (PAR000) or no code on that line
            statement = finding.message
        ident = (finding.code, function, statement)
        occurrence = seen.get(ident, 0)
        seen[ident] = occurrence + 1
        entry = Entry(
            path, finding.code, function, statement, occurrence, finding.line, finding.message
        )
        pairs.append((finding, entry))
    return pairs


def stored_path(path: str, baseline_dir: str) -> str:
    """`path` relative to the baseline's directory, posix style (absolute when elsewhere)."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(baseline_dir))
    except ValueError:  # another drive
        return Path(absolute).as_posix()
    if relative.startswith(".."):
        return Path(absolute).as_posix()
    return Path(relative).as_posix()


def entries_for(
    findings: Iterable[Finding],
    source_of: Callable[[str], str | None],
    baseline_dir: str,
) -> list[tuple[Finding, Entry]]:
    """Every finding with its entry; `source_of(path)` gives a file's text (None: unreadable)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    pairs: list[tuple[Finding, Entry]] = []
    for path in sorted(by_path):
        pairs.extend(fingerprint(by_path[path], source_of(path), stored_path(path, baseline_dir)))
    return pairs


def compare(
    pairs: Iterable[tuple[Finding, Entry]],
    baseline: Iterable[Entry],
    checked_paths: Iterable[str] | None = None,
) -> BaselineOutcome:
    """Split current findings into new and known; entries nothing matched are stale.

    `checked_paths` are the stored paths of the files this run looked at: an entry of a file
    that was not checked is not stale. None: every entry counts.
    """
    known = {entry.key: entry for entry in baseline}
    matched: set[tuple[str, str, str, str, int]] = set()
    new: list[Finding] = []
    for finding, entry in pairs:
        if entry.key in known:
            matched.add(entry.key)
        else:
            new.append(finding)
    checked = None if checked_paths is None else set(checked_paths)
    stale = sorted(
        entry
        for key, entry in known.items()
        if key not in matched and (checked is None or entry.path in checked)
    )
    return BaselineOutcome(tuple(new), len(matched), tuple(stale))


# --- the file ------------------------------------------------------------------------------


def dumps(entries: Iterable[Entry]) -> str:
    records = [asdict(entry) for entry in sorted(entries)]
    document = {"parlint-baseline": FORMAT_VERSION, "entries": records}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def loads(text: str, origin: str = "baseline") -> list[Entry]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{origin}: not valid JSON: {exc}") from None
    if not isinstance(document, Mapping) or document.get("parlint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{origin}: not a parlint baseline (version {FORMAT_VERSION})")
    records = document.get("entries")
    if not isinstance(records, list):
        raise BaselineError(f"{origin}: 'entries' must be a list")
    entries: list[Entry] = []
    for index, record in enumerate(records):
        try:
            entries.append(
                Entry(
                    path=_typed(record, "path", str),
                    code=_typed(record, "code", str),
                    function=_typed(record, "function", str),
                    statement=_typed(record, "statement", str),
                    occurrence=_typed(record, "occurrence", int),
                    line=record.get("line", 0) if isinstance(record.get("line", 0), int) else 0,
                    message=str(record.get("message", "")),
                )
            )
        except (TypeError, KeyError, AttributeError) as exc:
            raise BaselineError(f"{origin}: entry {index}: {exc}") from None
    return entries


def _typed(record: Mapping[str, object], key: str, kind: type) -> object:
    value = record[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{key!r} must be {kind.__name__}")
    return value


def write_baseline(path: str, entries: Iterable[Entry]) -> None:
    Path(path).write_text(dumps(entries), encoding="utf-8")


def read_baseline(path: str) -> list[Entry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    return loads(text, path)
