"""The output formats: exact schemas, escaping, colour, and snapshots of every fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_fixtures import FIXTURES, fixture_paths, lint_fixture

from parlint import __version__
from parlint.output import (
    format_github,
    format_json,
    format_sarif,
    format_statistics,
    format_text,
    rule_url,
)
from parlint.registry import all_rules
from parlint.types import Edit, Finding, Fix, Position, Safety, Span


def span(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span(Position(line, col), Position(end_line, end_col))


FIX = Fix(
    "Run them concurrently",
    Safety.UNSAFE,
    (Edit(span(2, 0, 4, 0), "    a, b = await asyncio.gather(x(), y())\n"),),
    (("asyncio", None, None),),
)
FINDINGS = [
    Finding("PAR101", "sequential-independent-awaits", "2 independent awaits", "src/b.py", span(3, 4, 3, 20), FIX),
    Finding("PAR000", "parse-error", "cannot parse: bad, very: bad", "src/a.py", span(7, 2, 7, 2)),
    Finding("PAR101", "sequential-independent-awaits", "100% sure\nreally", "src/a.py", span(1, 0, 2, 5)),
]


# --- text ----------------------------------------------------------------------------------


def test_text_lines_are_sorted_one_based_with_a_summary() -> None:
    assert format_text(FINDINGS, files_checked=5) == (
        "src/a.py:1:1: PAR101 100% sure\nreally\n"
        "src/a.py:7:3: PAR000 cannot parse: bad, very: bad\n"
        "src/b.py:3:5: PAR101 2 independent awaits\n"
        "Found 3 findings in 2 files (5 files checked). 1 fixable with `parlint fix`.\n"
    )


def test_text_without_findings() -> None:
    assert format_text([], files_checked=1) == "All checks passed! (1 file checked)\n"
    assert format_text([], summary=False) == ""


def test_text_colour_only_when_asked() -> None:
    plain = format_text(FINDINGS[:1], summary=False)
    coloured = format_text(FINDINGS[:1], summary=False, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert coloured.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[2m", "").replace(
        "\x1b[31m", ""
    ) == plain


def test_statistics_count_per_code() -> None:
    assert format_statistics(FINDINGS) == (
        "2  PAR101  [*] sequential-independent-awaits\n1  PAR000  parse-error\n"
    )


# --- json ----------------------------------------------------------------------------------


def test_json_schema_exactly() -> None:
    data = json.loads(format_json(FINDINGS))
    assert [d["filename"] for d in data] == ["src/a.py", "src/a.py", "src/b.py"]
    assert data[2] == {
        "code": "PAR101",
        "name": "sequential-independent-awaits",
        "message": "2 independent awaits",
        "filename": "src/b.py",
        "location": {"row": 3, "column": 5},
        "end_location": {"row": 3, "column": 21},
        "fix": {
            "applicability": "unsafe",
            "message": "Run them concurrently",
            "edits": [
                {
                    "content": "    a, b = await asyncio.gather(x(), y())\n",
                    "location": {"row": 2, "column": 1},
                    "end_location": {"row": 4, "column": 1},
                }
            ],
        },
        "url": "https://github.com/parlint/parlint/blob/main/docs/rules/PAR101.md",
    }
    assert data[1]["fix"] is None
    assert {tuple(d) for d in data} == {
        ("code", "name", "message", "filename", "location", "end_location", "fix", "url")
    }


@pytest.mark.parametrize("safety", list(Safety))
def test_json_applicability_values(safety: Safety) -> None:
    finding = Finding("PAR101", "n", "m", "a.py", span(1, 0, 1, 1), Fix("f", safety))
    assert json.loads(format_json([finding]))[0]["fix"]["applicability"] == safety.value


def test_json_empty_is_an_empty_array() -> None:
    assert json.loads(format_json([])) == []


# --- sarif ---------------------------------------------------------------------------------


def test_sarif_carries_what_github_code_scanning_requires(tmp_path: Path) -> None:
    document = json.loads(format_sarif(FINDINGS, root=str(tmp_path)))
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "parlint" and driver["version"] == __version__
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for descriptor in rules:
        rule = all_rules()[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] == rule.doc()
        assert descriptor["helpUri"] == rule_url(rule.code)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    results = run["results"]
    assert len(results) == 3
    first = results[0]
    assert first["ruleId"] == "PAR101"
    assert rules[first["ruleIndex"]]["id"] == "PAR101"
    assert first["level"] == "warning"
    assert first["message"]["text"] == "100% sure\nreally"
    (location,) = first["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/a.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 1, "startColumn": 1, "endLine": 2, "endColumn": 6}
    assert results[1]["level"] == "error"  # PAR000


def test_sarif_levels_and_regions_are_typed_as_the_schema_says() -> None:
    """The properties GitHub reads, typed as the SARIF 2.1.0 schema types them."""
    document = json.loads(format_sarif(FINDINGS))
    run = document["runs"][0]
    for result in run["results"]:
        assert isinstance(result["ruleIndex"], int) and result["ruleIndex"] >= 0
        assert result["level"] in {"none", "note", "warning", "error"}
        region = result["locations"][0]["physicalLocation"]["region"]
        assert all(isinstance(v, int) and v >= 1 for v in region.values())
        assert region["endLine"] >= region["startLine"]
    assert "originalUriBaseIds" not in run  # no root given: GitHub resolves against the checkout


# --- github --------------------------------------------------------------------------------


def test_github_workflow_commands_escape_data_and_properties() -> None:
    finding = Finding(
        "PAR101", "n", "50% done\r\nnext: a, b", "dir,x/a:b.py", span(1, 2, 3, 4)
    )
    assert format_github([finding]) == (
        "::warning title=parlint (PAR101),file=dir%2Cx/a%3Ab.py,line=1,col=3,endLine=3,"
        "endColumn=5::50%25 done%0D%0Anext: a, b\n"
    )


def test_github_errors_for_par000() -> None:
    lines = format_github(FINDINGS).splitlines()
    assert lines[0].startswith("::warning title=parlint (PAR101),file=src/a.py,line=1,col=1,")
    assert lines[1].startswith("::error title=parlint (PAR000),file=src/a.py,line=7,col=3,")
    assert lines[1].endswith("::cannot parse: bad, very: bad")


# --- snapshots of every fixture ------------------------------------------------------------


def _stable_sarif(text: str) -> str:
    """The SARIF with the parts that change with every rule doc or release made stable: the
    rule descriptors are reduced to their ids (the docs have their own test)."""
    document = json.loads(text)
    driver = document["runs"][0]["tool"]["driver"]
    driver["version"] = driver["semanticVersion"] = "<version>"
    driver["rules"] = [rule["id"] for rule in driver["rules"]]
    return json.dumps(document, indent=2) + "\n"


RENDERERS = {
    "text": lambda findings: format_text(findings, files_checked=1),
    "json": format_json,
    "sarif": lambda findings: _stable_sarif(format_sarif(findings)),
}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_rendering_snapshot(path: Path, fmt: str, snapshot) -> None:
    _, result = lint_fixture(path)
    assert RENDERERS[fmt](result.findings) == snapshot
