"""`parlint check --add-noqa`: suppress every current finding in place, for legacy adoption.

`add_noqa(source, findings)` is a pure function: it returns the source with `# noqa: CODE` on the
line of every finding, merged into a noqa comment already on the line (`# noqa: E501` becomes
`# noqa: E501, PAR101`), after any other comment, and is idempotent: a line whose noqa already
covers the code is left alone (a bare `# noqa` covers everything). Line endings are kept.

A comment cannot go where the line ends inside a multi-line string or after a backslash
continuation: such findings are returned as `unplaced` and the source is left as it is there.
parlint reports a finding on the line where its statement (or its await) starts, so this is rare.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from parlint import noqa
from parlint.engine import split_lines
from parlint.types import Finding

_LINE_END = re.compile(r"(\r\n|\r|\n)?\Z")


@dataclass(frozen=True)
class NoqaOutcome:
    source: str
    added: int  # codes newly written
    unplaced: tuple[Finding, ...]  # findings on lines where no comment can go


def add_noqa(source: str, findings: Iterable[Finding]) -> str:
    """The source with a `# noqa: CODE` on the line of every finding."""
    return add_noqa_outcome(source, findings).source


def add_noqa_outcome(source: str, findings: Iterable[Finding]) -> NoqaOutcome:
    lines = split_lines(source, keepends=True)
    by_line: dict[int, list[Finding]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, []).append(finding)
    layout = _layout(source)
    if layout is None:  # cannot tokenize: touch nothing
        return NoqaOutcome(source, 0, tuple(f for fs in by_line.values() for f in fs))
    no_comment_lines, comments = layout
    added = 0
    unplaced: list[Finding] = []
    for number, line_findings in sorted(by_line.items()):
        index = number - 1
        if not 0 <= index < len(lines):
            unplaced.extend(line_findings)
            continue
        line = lines[index]
        codes = sorted({f.code for f in line_findings if not noqa.is_suppressed(f.code, line)})
        if not codes:
            continue
        if number in no_comment_lines:
            unplaced.extend(line_findings)
            continue
        lines[index] = _with_codes(line, codes, comments.get(number))
        added += len(codes)
    return NoqaOutcome("".join(lines), added, tuple(unplaced))


def _with_codes(line: str, codes: list[str], comment_column: int | None) -> str:
    ending = _LINE_END.search(line).group(0)  # type: ignore[union-attr]
    body = line[: len(line) - len(ending)]
    if comment_column is not None:
        comment = body[comment_column:]
        match = noqa.NOQA_INLINE.search(comment)
        if match is not None and match.group("codes"):
            existing = [c for c in re.split(r"[,\s]+", match.group("codes").strip()) if c]
            merged = existing + [c for c in codes if c not in {e.upper() for e in existing}]
            directive = "# noqa: " + ", ".join(merged)
            comment = comment[: match.start()] + directive + comment[match.end() :]
            return body[:comment_column] + comment + ending
    return body.rstrip(" \t") + "  # noqa: " + ", ".join(codes) + ending


def _layout(source: str) -> tuple[set[int], dict[int, int]] | None:
    """Lines that cannot take a trailing comment, and the column of each line's comment."""
    blocked: set[int] = set()
    comments: dict[int, int] = {}
    fstring_starts: list[int] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.start[1]
            continue
        name = tokenize.tok_name.get(tok.type, "")
        if name == "FSTRING_START":  # Python 3.12+: an f-string is several tokens
            fstring_starts.append(tok.start[0])
        elif name == "FSTRING_END" and fstring_starts:
            blocked.update(range(fstring_starts.pop(), tok.end[0]))
        elif tok.type not in (tokenize.NEWLINE, tokenize.NL) and tok.end[0] > tok.start[0]:
            blocked.update(range(tok.start[0], tok.end[0]))
    for number, line in enumerate(split_lines(source), start=1):
        if line.rstrip(" \t").endswith("\\") and number not in comments:
            blocked.add(number)
    return blocked, comments
