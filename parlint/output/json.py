"""A JSON array of findings (ruff's schema); rows and columns 1-based."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from parlint.types import Finding, Position


def _location(pos: Position) -> dict[str, int]:
    return {"row": pos.line, "column": pos.column + 1}


def finding_to_json(f: Finding) -> dict[str, Any]:
    from parlint.output import rule_url

    fix = None
    if f.fix is not None:
        fix = {
            "applicability": f.fix.safety.value,
            "message": f.fix.message,
            "edits": [
                {
                    "content": edit.content,
                    "location": _location(edit.span.start),
                    "end_location": _location(edit.span.end),
                }
                for edit in f.fix.edits
            ],
        }
    return {
        "code": f.code,
        "name": f.name,
        "message": f.message,
        "filename": f.path,
        "location": _location(f.span.start),
        "end_location": _location(f.span.end),
        "fix": fix,
        "url": rule_url(f.code),
    }


def format_json(findings: Sequence[Finding]) -> str:
    items = [finding_to_json(f) for f in sorted(findings, key=Finding.sort_key)]
    return json.dumps(items, indent=2) + "\n"


def format_json_statistics(findings: Sequence[Finding]) -> str:
    """`--statistics` as JSON: `[{code, name, count, fixable}]`, most frequent first."""
    counts = Counter((f.code, f.name) for f in findings)
    fixable = {f.code for f in findings if f.fix is not None and f.fix.applicable}
    rows = [
        {"code": code, "name": name, "count": count, "fixable": code in fixable}
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    ]
    return json.dumps(rows, indent=2) + "\n"
