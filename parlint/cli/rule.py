"""`parlint rule CODE` / `parlint rule --all`: a rule's documentation."""

from __future__ import annotations

import json
from typing import Any

import click

from parlint.cli import common
from parlint.cli.common import UserError
from parlint.output import rule_url
from parlint.registry import UnknownCode, all_rules, get_rule
from parlint.rules.base import Rule


def rule_markdown(rule: type[Rule]) -> str:
    """The rule's doc as markdown: a title, its facts, then the docstring's sections."""
    facts = [
        f"Code `{rule.code}` · {'on' if rule.default_enabled else 'off'} by default · "
        + ("fix sometimes available" if rule.fixable else "no fix"),
    ]
    if rule.options:
        facts.append(
            "Options: " + ", ".join(f"`{option.name}` (default `{option.default!r}`)" for option in rule.options) + "."
        )
    return f"# {rule.name} ({rule.code})\n\n{rule.summary}.\n\n" + "\n\n".join(facts) + f"\n\n{rule.doc()}\n"


def rule_json(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "default_enabled": rule.default_enabled,
        "fixable": rule.fixable,
        "options": [
            {
                "name": option.name,
                "kind": option.kind,
                "default": list(option.default) if isinstance(option.default, tuple) else option.default,
                "help": option.help,
                "choices": list(option.choices),
            }
            for option in rule.options
        ],
        "explanation": rule.doc(),
        "url": rule_url(rule.code),
    }


@click.command(short_help="Show a rule's documentation.")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Every rule.")
@common.text_or_json_option("the documentation (text is markdown)")
def rule(code: str | None, show_all: bool, output_format: str) -> None:
    """Show the documentation of the rule CODE (or of every rule with --all)."""
    if show_all == (code is not None):
        raise UserError("give a rule code or --all (not both)")
    if show_all:
        rules = list(all_rules().values())
    else:
        assert code is not None
        try:
            rules = [get_rule(code.strip().upper())]
        except UnknownCode as exc:
            raise UserError(str(exc)) from None
    if output_format == "json":
        data: Any = [rule_json(r) for r in rules] if show_all else rule_json(rules[0])
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo("\n".join(rule_markdown(r) for r in rules), nl=False)
