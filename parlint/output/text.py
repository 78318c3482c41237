"""`path:line:col: PAR101 message`, sorted, with a summary line; colour only when asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from parlint.types import Finding

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def format_text(
    findings: Sequence[Finding],
    *,
    files_checked: int | None = None,
    color: bool = False,
    summary: bool = True,
) -> str:
    lines = []
    for f in sorted(findings, key=Finding.sort_key):
        where = _paint(f.path, _BOLD, color) + _paint(f":{f.line}:{f.column + 1}:", _DIM, color)
        lines.append(f"{where} {_paint(f.code, _BOLD + _RED, color)} {f.message}")
    if summary:
        lines.append(summary_line(findings, files_checked))
    return "".join(line + "\n" for line in lines)


def summary_line(findings: Sequence[Finding], files_checked: int | None = None) -> str:
    checked = "" if files_checked is None else f" ({_plural(files_checked, 'file')} checked)"
    if not findings:
        return f"All checks passed!{checked}"
    files = len({f.path for f in findings})
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.applicable)
    line = f"Found {_plural(len(findings), 'finding')} in {_plural(files, 'file')}{checked}."
    if fixable:
        line += f" {fixable} fixable with `parlint fix`."
    return line


def format_statistics(findings: Sequence[Finding]) -> str:
    """One line per code: count, code, whether fixable, name; most frequent first."""
    counts = Counter((f.code, f.name) for f in findings)
    fixable = {f.code for f in findings if f.fix is not None and f.fix.applicable}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(str(count)) for _, count in rows), default=1)
    return "".join(
        f"{count:>{width}}  {code}  {'[*] ' if code in fixable else ''}{name}\n"
        for (code, name), count in rows
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
