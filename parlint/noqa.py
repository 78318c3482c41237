"""`# noqa` suppression comments, matched exactly as flake8 matches them.

flake8's pattern (flake8/defaults.py): `# noqa`, `# noqa:CODE`, `# noqa: CODE1,CODE2` (any case,
codes separated by commas or white space). A bare `# noqa` suppresses everything on its line; a
`# noqa:` followed by something that is not a code list is treated as a bare `# noqa`, as flake8
does. A code suppresses a finding whose code starts with it. A line `# parlint: noqa` anywhere
in a file turns the whole file off.
"""

from __future__ import annotations

import re

NOQA_INLINE = re.compile(
    r"# noqa"
    r"(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"^\s*#\s*parlint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)
_SEPARATOR = re.compile(r"[,\s]+")


def file_is_suppressed(source: str) -> bool:
    return "parlint" in source and NOQA_FILE.search(source) is not None


def line_codes(line: str) -> frozenset[str] | None:
    """None: no noqa on the line; empty set: a bare noqa (everything); else the codes listed."""
    if "#" not in line:
        return None
    match = NOQA_INLINE.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(c.upper() for c in _SEPARATOR.split(codes.strip()) if c)


def is_suppressed(code: str, line: str) -> bool:
    codes = line_codes(line)
    if codes is None:
        return False
    if not codes:
        return True
    return any(code.startswith(c) for c in codes)
