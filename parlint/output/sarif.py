"""SARIF 2.1.0, as GitHub code scanning accepts it for upload."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parlint import __version__
from parlint.types import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ERROR_CODES = ("PAR000", "PAR999")


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    from parlint.output import rule_url

    sections = rule.doc_sections()
    full = sections.get("What it does", rule.summary).replace("\n", " ").strip()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": rule.doc(), "markdown": rule.doc()},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": _level(rule.code)},
        "properties": {"tags": ["parlint"], "fixable": rule.fixable},
    }


def _level(code: str) -> str:
    return "error" if code in ERROR_CODES else "warning"


def format_sarif(findings: Sequence[Finding], *, root: str | None = None) -> str:
    """`root`: the directory paths are relative to (becomes %SRCROOT%); None leaves it to the
    consumer (GitHub resolves against the checkout)."""
    from parlint.registry import all_rules

    rules = list(all_rules().values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for f in sorted(findings, key=Finding.sort_key):
        region = {
            "startLine": f.span.start.line,
            "startColumn": f.span.start.column + 1,
            "endLine": f.span.end.line,
            "endColumn": f.span.end.column + 1,
        }
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _level(f.code),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "parlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/parlint/parlint",
                "rules": [_rule_descriptor(rule) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if root is not None:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path(root).absolute().as_uri() + "/"}}
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"
