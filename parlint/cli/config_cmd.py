"""`parlint config [PATH]`: the resolved configuration and why each rule is on or off."""

from __future__ import annotations

import json
import os

import click

from parlint.cli import common
from parlint.config import resolved_values, rule_states
from parlint.registry import all_rules


@click.command(short_help="Show the resolved configuration and why each rule is on or off.")
@click.argument("path", required=False)
@common.selection_options
@common.config_options
@common.text_or_json_option("the configuration")
def config(path: str | None, output_format: str, **params: object) -> None:
    """Show the configuration that applies to PATH (default: the current directory)."""
    if path is not None and not os.path.exists(path):
        raise common.UserError(f"{path}: no such file or directory")
    invocation = common.build_invocation({**params, "paths": (path,) if path else ()})
    resolved = invocation.config
    values = resolved_values(resolved)
    states = rule_states(resolved)
    rules = all_rules()
    if output_format == "json":
        data = {
            "source": resolved.source,
            "root": resolved.root,
            "settings": values,
            "rules": [
                {"code": s.code, "name": rules[s.code].name, "enabled": s.enabled, "reason": s.reason}
                for s in states
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    lines = [f"# configuration: {resolved.source or 'none found (defaults)'}"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines.append("")
    lines.append("# rules")
    for s in states:
        lines.append(f"{s.code}  {'on ' if s.enabled else 'off'}  {rules[s.code].name}: {s.reason}")
    click.echo("\n".join(lines))
