"""Every rule's VALID and INVALID examples are its tests (Fixit's model)."""

from __future__ import annotations

import textwrap

import pytest

from parlint.config import build_config
from parlint.engine import lint_source
from parlint.registry import all_rules
from parlint.rules.base import Invalid, Rule, Valid

CASES = [
    pytest.param(rule, example, id=f"{code}-{kind}-{i}")
    for code, rule in all_rules().items()
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for i, example in enumerate(examples)
]


def lint_example(rule: type[Rule], code: str):
    config = build_config({"select": (rule.code,)})
    return lint_source(textwrap.dedent(code), "example.py", config, respect_noqa=False)


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: type[Rule], example: Valid | Invalid) -> None:
    result = lint_example(rule, example.code)
    findings = result.findings
    crashes = [f for f in findings if f.code == "PAR999"]
    assert not crashes, "\n".join(result.tracebacks)
    if isinstance(example, Valid):
        assert not findings, f"VALID example reported: {[(f.code, f.line, f.column, f.message) for f in findings]}"
        return
    at = [f for f in findings if f.code == rule.code and (f.line, f.column) == (example.line, example.column)]
    assert at, (
        f"expected {rule.code} at {example.line}:{example.column}, got "
        f"{[(f.code, f.line, f.column, f.message) for f in findings]}"
    )
    finding = at[0]
    if example.message is not None:
        assert finding.message == example.message
    if example.safety is not None:
        assert finding.fix is not None and finding.fix.safety == example.safety
    if example.fixed is not None:
        fixer = pytest.importorskip("parlint.fixer")
        fixed = fixer.fix_source(
            textwrap.dedent(example.code),
            "example.py",
            build_config({"select": (rule.code,)}),
            unsafe=True,
        )
        assert fixed.fixed == textwrap.dedent(example.fixed)
