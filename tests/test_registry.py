"""Every rule is complete: code, name, summary, every doc section, a fixture and examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parlint.registry import (
    UnknownCode,
    all_rules,
    check_selector,
    declared_options,
    enabled_codes,
    get_rule,
)
from parlint.rules.base import DOC_SECTIONS, Rule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = list(all_rules().values())
# PAR999 cannot be triggered on purpose: no examples and no fixture.
UNTRIGGERABLE = {"PAR999"}


def module_name(rule: type[Rule]) -> str:
    return rule.__module__.rsplit(".", 1)[-1]


@pytest.fixture(params=RULES, ids=lambda rule: rule.code)
def rule(request: pytest.FixtureRequest) -> type[Rule]:
    return request.param


def test_code_name_and_summary(rule: type[Rule]) -> None:
    assert re.fullmatch(r"PAR\d{3}", rule.code)
    assert module_name(rule).startswith(rule.code.lower() + "_")
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name), rule.name
    assert rule.summary and "\n" not in rule.summary and not rule.summary.endswith(".")


def test_doc_has_every_section(rule: type[Rule]) -> None:
    sections = rule.doc_sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s, "").strip()]
    assert not missing, f"{rule.code} lacks doc sections {missing}"


def test_has_a_fixture_named_after_its_module(rule: type[Rule]) -> None:
    if rule.code in UNTRIGGERABLE:
        pytest.skip("cannot be triggered on purpose")
    name = module_name(rule)
    assert (FIXTURES / f"{name}.py").is_file(), f"missing fixtures/{name}.py"


def test_has_valid_and_invalid_examples(rule: type[Rule]) -> None:
    if rule.code in UNTRIGGERABLE:
        pytest.skip("cannot be triggered on purpose")
    assert rule.VALID, f"{rule.code} has no VALID example"
    assert rule.INVALID, f"{rule.code} has no INVALID example"
    for invalid in rule.INVALID:
        assert invalid.line >= 1 and invalid.column >= 0


def test_declared_options_are_kebab_case_and_owned(rule: type[Rule]) -> None:
    for option in rule.options:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", option.name), option.name
        assert option.help
        assert option.kind in {"int", "bool", "str", "str-list", "choice"}
        assert declared_options()[option.name] == option


def test_codes_are_unique_and_sorted() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(set(codes))


def test_error_codes_are_rules() -> None:
    assert get_rule("PAR000").name == "parse-error"
    assert get_rule("PAR999").name == "internal-error"


def test_unknown_selector_suggests_the_nearest_code() -> None:
    with pytest.raises(UnknownCode, match=r"did you mean PAR000\?"):
        check_selector("PAR00O")
    assert check_selector("par") == "PAR"
    assert check_selector("all") == "ALL"


def test_prefix_selection_and_most_specific_wins() -> None:
    assert enabled_codes(["PAR"], ignore=["PAR9"]) == {c for c in all_rules() if c[3] != "9"}
    assert enabled_codes(["PAR999"], ignore=["PAR9"]) == {"PAR999"}
    assert enabled_codes(["ALL"]) == set(all_rules())
    assert enabled_codes(None) == {code for code, r in all_rules().items() if r.default_enabled}
