"""GitHub Actions workflow commands: `::warning title=…,file=…,line=…::message`."""

from __future__ import annotations

from collections.abc import Sequence

from parlint.types import Finding

ERROR_CODES = ("PAR000", "PAR999")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding]) -> str:
    lines = []
    for f in sorted(findings, key=Finding.sort_key):
        level = "error" if f.code in ERROR_CODES else "warning"
        props = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (
                ("title", f"parlint ({f.code})"),
                ("file", f.path),
                ("line", f.span.start.line),
                ("col", f.span.start.column + 1),
                ("endLine", f.span.end.line),
                ("endColumn", f.span.end.column + 1),
            )
        )
        lines.append(f"::{level} {props}::{escape_data(f.message)}\n")
    return "".join(lines)
