"""`parlint rule CODE`, `parlint rule --all`, `--output-format json`."""

from __future__ import annotations

import json

import pytest
from cli_helpers import invoke

from parlint.registry import all_rules
from parlint.rules.base import DOC_SECTIONS


@pytest.mark.parametrize("code", list(all_rules()))
def test_rule_prints_its_doc_as_markdown(code: str) -> None:
    rule = all_rules()[code]
    result = invoke("rule", code.lower())
    assert result.exit_code == 0
    assert result.stdout.startswith(f"# {rule.name} ({code})\n\n{rule.summary}.\n")
    assert rule.doc() in result.stdout


def test_rule_markdown_has_the_sections() -> None:
    text = invoke("rule", "PAR000").stdout
    for section in DOC_SECTIONS:
        assert f"## {section}\n" in text


def test_rule_all_lists_every_rule() -> None:
    text = invoke("rule", "--all").stdout
    assert [line for line in text.splitlines() if line.startswith("# ")] == [
        f"# {rule.name} ({code})" for code, rule in all_rules().items()
    ]


def test_rule_json() -> None:
    one = json.loads(invoke("rule", "PAR000", "--output-format", "json").stdout)
    assert one["code"] == "PAR000" and one["name"] == "parse-error"
    assert one["url"] == "https://github.com/parlint/parlint/blob/main/docs/rules/PAR000.md"
    assert set(one) == {"code", "name", "summary", "default_enabled", "fixable", "options", "explanation", "url"}
    every = json.loads(invoke("rule", "--all", "--output-format", "json").stdout)
    assert [r["code"] for r in every] == list(all_rules())


def test_rule_options_are_listed(fake_rules: None) -> None:
    data = json.loads(invoke("rule", "PAR990", "--output-format", "json").stdout)
    assert data["options"] == [
        {"name": "fake-limit", "kind": "int", "default": 3, "help": "Test-only option.", "choices": []}
    ]
    assert "`fake-limit` (default `3`)" in invoke("rule", "PAR990").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["PAR00"], "parlint: error: unknown rule code or prefix 'PAR00' (did you mean PAR000?)"),
        ([], "parlint: error: give a rule code or --all (not both)"),
        (["PAR000", "--all"], "parlint: error: give a rule code or --all (not both)"),
    ],
)
def test_rule_errors_exit_2(args: list[str], message: str) -> None:
    result = invoke("rule", *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message
