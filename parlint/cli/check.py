"""`parlint check [PATHS]...`: lint and report."""

from __future__ import annotations

import sys
import time

import click

from parlint.cli import adoption, common
from parlint.output import (
    format_github,
    format_json,
    format_json_statistics,
    format_sarif,
    format_statistics,
    format_text,
)
from parlint.runner import sorted_findings


@click.command(short_help="Lint files and report the findings.")
@common.lint_options
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to the line of every finding.")
@click.option("--write-baseline", metavar="FILE", help="Record the current findings in FILE.")
@click.option(
    "--baseline", "baseline_file", metavar="FILE", help="Report only findings not in FILE."
)
@click.pass_context
def check(
    ctx: click.Context,
    invocation: common.Invocation,
    exit_zero: bool,
    statistics: bool,
    add_noqa: bool = False,
    write_baseline: str | None = None,
    baseline_file: str | None = None,
) -> None:
    """Lint PATHS (default: the current directory) and report the findings.

    Exit code: 0 no findings, 1 findings, 2 usage, configuration or internal error.
    """
    adoption.check_flags(invocation, add_noqa, write_baseline, baseline_file)
    started = time.perf_counter()
    # Only the JSON listing shows a fix's edits; every other output only whether one exists.
    results, checked = invocation.lint(
        build_fixes=invocation.output_format == "json" and not statistics
    )
    findings = sorted_findings(results)
    if add_noqa:
        ctx.exit(adoption.run_add_noqa(findings))
    if write_baseline:
        ctx.exit(adoption.run_write_baseline(findings, write_baseline))
    if baseline_file:
        findings = adoption.filter_by_baseline(results, findings, baseline_file)
    common.print_tracebacks(invocation, results)
    invocation.log(f"{checked} file(s) checked in {time.perf_counter() - started:.2f}s")
    fmt = invocation.output_format
    color = False
    if statistics:
        if fmt == "json":
            text = format_json_statistics(findings)
        else:
            text = format_statistics(findings)
    elif fmt == "json":
        text = format_json(findings)
    elif fmt == "sarif":
        text = format_sarif(findings, root=invocation.cwd)
    elif fmt == "github":
        text = format_github(findings)
    else:
        color = invocation.use_color(sys.stdout)
        text = format_text(
            findings, files_checked=checked, color=color, summary=invocation.quiet == 0
        )
    invocation.write(text, color=color)
    ctx.exit(common.exit_code(len(findings), exit_zero))

