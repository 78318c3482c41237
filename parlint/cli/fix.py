"""`parlint fix [PATHS]...`: apply the fixes, or show them as a diff.

Ends with `Fixed N findings in M files (K remaining; U more with --unsafe-fixes)`.
Exit code (like ruff): 0 when nothing remains, 1 when findings remain (or, with --diff, when
something would change), 2 on errors (unparsable files, reverted fixes, failed writes).
"""

from __future__ import annotations

import difflib
import sys

import click

from parlint.cli import common
from parlint.codemods.options import FIX_STYLES
from parlint.fixer import FileFix, FixSettings, fix_files, fix_source
from parlint.output import format_text
from parlint.types import Finding, Safety

# Below this many files a run is quick enough that a progress bar is only noise.
PROGRESS_MIN_FILES = 50


@click.command()
@common.lint_options
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (review the diff).")
@click.option("--diff", is_flag=True, help="Print a unified diff of the fixes; write nothing.")
@click.option("--show-fixes", is_flag=True, help="List every applied fix.")
@click.option(
    "--fix-style",
    type=click.Choice(FIX_STYLES),
    default=None,
    help="How loop fixes bound concurrency (default: the configured `fix-style`, semaphore).",
)
@click.option("--include-generated", is_flag=True, help="Fix files marked @generated too.")
@click.pass_context
def fix(
    ctx: click.Context,
    invocation: common.Invocation,
    unsafe_fixes: bool,
    diff: bool,
    show_fixes: bool,
    fix_style: str | None,
    include_generated: bool,
) -> None:
    """Fix the findings in PATHS (default: the current directory) in place.

    Safe fixes only, unless --unsafe-fixes. Exit code: 0 nothing remains, 1 findings remain
    (with --diff: something would change), 2 errors.
    """
    config = invocation.config
    if fix_style is not None:
        config = config.with_values(fix_style=fix_style)
    if invocation.reads_stdin:
        ctx.exit(_fix_stdin(invocation, config, unsafe_fixes, diff))
    files = invocation.files()
    settings = FixSettings(
        config,
        unsafe=unsafe_fixes,
        write=not diff,
        include_generated=include_generated,
        roots=tuple(invocation.paths),
        respect_noqa=not invocation.ignore_noqa,
    )
    outcomes = _run(invocation, files, settings)
    ctx.exit(_report(invocation, outcomes, unsafe=unsafe_fixes, diff=diff, show_fixes=show_fixes))


def _run(invocation: common.Invocation, files: list[str], settings: FixSettings) -> list[FileFix]:
    stream = click.get_text_stream("stderr")
    interactive = hasattr(stream, "isatty") and stream.isatty()
    if not interactive or invocation.quiet or len(files) < PROGRESS_MIN_FILES:
        return fix_files(files, settings, jobs=invocation.jobs)
    with click.progressbar(length=len(files), label="Fixing", file=stream) as bar:
        return fix_files(files, settings, jobs=invocation.jobs, on_done=lambda: bar.update(1))


def _report(
    invocation: common.Invocation,
    outcomes: list[FileFix],
    *,
    unsafe: bool,
    diff: bool,
    show_fixes: bool,
) -> int:
    remaining: list[Finding] = []
    errors: list[Finding] = []
    fixed = changed = 0
    out: list[str] = []
    for outcome in outcomes:
        errors.extend(outcome.all_errors)
        result = outcome.result
        if result is None:
            continue
        remaining.extend(result.remaining)
        if result.changed:
            changed += 1
            fixed += len(result.applied)
            if diff:
                out.append(unified_diff(result.path, result.original, result.fixed))
            if show_fixes:
                out.extend(
                    f"{f.path}:{f.line}:{f.column + 1}: {f.code} [{f.fix.safety.value}] "  # type: ignore[union-attr]
                    f"{f.fix.message if f.fix else f.message}\n"
                    for f in result.applied
                )
    more = sum(1 for f in remaining if _unsafe_applicable(f)) if not unsafe else 0
    listing = [] if diff else remaining
    text = "".join(out)
    fmt = invocation.output_format
    machine = fmt != "text" and not diff
    if machine:
        text += _formatted(fmt, [*listing, *errors], invocation.cwd)
    elif listing or errors:
        text += format_text([*listing, *errors], summary=False)
    files = "file" if changed == 1 else "files"
    findings = "finding" if fixed == 1 else "findings"
    if diff:
        summary = f"Would fix {fixed} {findings} in {changed} {files}"
    else:
        summary = f"Fixed {fixed} {findings} in {changed} {files}"
    summary += f" ({len(remaining)} remaining"
    summary += f"; {more} more with --unsafe-fixes)" if more else ")"
    invocation.write(text)
    if not invocation.quiet:
        click.echo(summary, err=diff or machine)  # machine-readable output stays clean
    common.print_tracebacks(invocation, [])
    if errors:
        return common.EXIT_ERROR
    if diff:
        return common.EXIT_FINDINGS if changed else common.EXIT_CLEAN
    return common.EXIT_FINDINGS if remaining else common.EXIT_CLEAN


def _formatted(fmt: str, findings: list[Finding], cwd: str) -> str:
    """The remaining findings in a machine format (json, sarif, github)."""
    from parlint.output import format_github, format_json, format_sarif

    findings = sorted(findings, key=Finding.sort_key)
    if fmt == "json":
        return format_json(findings)
    if fmt == "sarif":
        return format_sarif(findings, root=cwd)
    return format_github(findings)


def _unsafe_applicable(finding: Finding) -> bool:
    return finding.fix is not None and finding.fix.applicable and finding.fix.safety is Safety.UNSAFE


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text


def _fix_stdin(invocation: common.Invocation, config, unsafe: bool, diff: bool) -> int:
    """`parlint fix -`: the fixed source (or its diff) on stdout, findings on stderr."""
    filename = invocation.stdin_filename or "-"
    source = click.get_text_stream("stdin").read()
    result = fix_source(source, filename, config, unsafe=unsafe, respect_noqa=not invocation.ignore_noqa)
    if diff:
        sys.stdout.write(unified_diff(filename, result.original, result.fixed))
    else:
        sys.stdout.write(result.fixed)
    if result.remaining or result.errors:
        click.echo(format_text([*result.remaining, *result.errors], summary=False), err=True, nl=False)
    if result.errors:
        return common.EXIT_ERROR
    if diff:
        return common.EXIT_FINDINGS if result.changed else common.EXIT_CLEAN
    return common.EXIT_FINDINGS if result.remaining else common.EXIT_CLEAN
