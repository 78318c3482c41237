"""`parlint check --add-noqa`, `--write-baseline FILE` and `--baseline FILE`: the I/O around the
pure functions in `parlint.add_noqa` and `parlint.baseline`, for adopting parlint on legacy code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

from parlint import baseline
from parlint.cli.common import EXIT_CLEAN, EXIT_FINDINGS, Invocation, UserError
from parlint.runner import read_source  # the engine's, imported only when a file is read
from parlint.types import FileResult, Finding

# Errors are not legacy findings to silence: a noqa would hide a broken file or a parlint bug.
# (PARSE_ERROR and INTERNAL_ERROR of parlint.engine, which `check` imports only when needed.)
_NOT_SUPPRESSIBLE = frozenset({"PAR000", "PAR999"})


def check_flags(
    invocation: Invocation, add_noqa: bool, write_baseline: str | None, baseline_file: str | None
) -> None:
    if add_noqa and (write_baseline or baseline_file):
        raise UserError("--add-noqa cannot be combined with --write-baseline or --baseline")
    if (add_noqa or write_baseline) and invocation.reads_stdin:
        raise UserError("--add-noqa and --write-baseline need files, not stdin")


def run_add_noqa(findings: Sequence[Finding]) -> int:
    """Write the noqa directives; the exit code is 1 only when some finding could not be."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.code not in _NOT_SUPPRESSIBLE:
            by_path.setdefault(finding.path, []).append(finding)
    added = files = 0
    left: list[Finding] = []
    for path, file_findings in sorted(by_path.items()):
        decoded = read_source(path)
        if isinstance(decoded, Finding):
            left.extend(file_findings)
            continue
        from parlint.add_noqa import add_noqa_outcome

        outcome = add_noqa_outcome(decoded.source, file_findings)
        left.extend(outcome.unplaced)
        if outcome.source != decoded.source:
            # newline="" writes the line endings exactly as they are in the text.
            with open(path, "w", encoding=decoded.encoding, newline="") as handle:
                handle.write(outcome.source)
            added += outcome.added
            files += 1
    click.echo(f"Added {added} noqa directive(s) to {files} file(s).", err=True)
    for finding in left:
        click.echo(
            f"{finding.path}:{finding.line}:{finding.column + 1}: {finding.code} "
            "cannot take a noqa comment here (the line ends inside a string or a continuation)",
            err=True,
        )
    errors = [f for f in findings if f.code in _NOT_SUPPRESSIBLE]
    for finding in errors:
        click.echo(f"{finding.path}:{finding.line}: {finding.code} {finding.message}", err=True)
    return EXIT_FINDINGS if left or errors else EXIT_CLEAN


def _source_of(path: str) -> str | None:
    decoded = read_source(path)
    return None if isinstance(decoded, Finding) else decoded.source


def _baseline_dir(file: str) -> str:
    return os.path.dirname(os.path.abspath(file))


def run_write_baseline(findings: Sequence[Finding], file: str) -> int:
    pairs = baseline.entries_for(findings, _source_of, _baseline_dir(file))
    try:
        baseline.write_baseline(file, [entry for _, entry in pairs])
    except OSError as exc:
        raise UserError(f"{file}: cannot write baseline: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(pairs)} finding(s) to the baseline {file}.", err=True)
    return EXIT_CLEAN


def filter_by_baseline(
    results: Sequence[FileResult], findings: Sequence[Finding], file: str
) -> list[Finding]:
    """The findings that the baseline does not hold; stale entries are listed on stderr."""
    try:
        entries = baseline.read_baseline(file)
    except baseline.BaselineError as exc:
        raise UserError(str(exc)) from None
    directory = _baseline_dir(file)
    pairs = baseline.entries_for(findings, _source_of, directory)
    checked = {baseline.stored_path(result.path, directory) for result in results}
    outcome = baseline.compare(pairs, entries, checked)
    for entry in outcome.stale:
        click.echo(
            f"parlint: stale baseline entry: {entry.path}: {entry.code} in {entry.function}: "
            f"{entry.statement}",
            err=True,
        )
    if outcome.stale:
        click.echo(
            f"parlint: {len(outcome.stale)} baseline entr{'y is' if len(outcome.stale) == 1 else 'ies are'}"
            f" fixed; rewrite the baseline with --write-baseline {file}",
            err=True,
        )
    return list(outcome.new)
