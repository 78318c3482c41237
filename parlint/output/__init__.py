"""Output formatters: one small pure function per format, findings in, text out.

Findings carry 1-based lines and 0-based columns; every format here shows 1-based columns.
"""

from __future__ import annotations

from parlint.output.github import format_github
from parlint.output.json import format_json, format_json_statistics
from parlint.output.sarif import format_sarif
from parlint.output.text import format_statistics, format_text

FORMATS = ("text", "json", "sarif", "github")
RULE_DOC_URL = "https://github.com/parlint/parlint/blob/main/docs/rules/{code}.md"


def rule_url(code: str) -> str:
    return RULE_DOC_URL.format(code=code)


__all__ = [
    "FORMATS",
    "format_github",
    "format_json",
    "format_json_statistics",
    "format_sarif",
    "format_statistics",
    "format_text",
    "rule_url",
]
