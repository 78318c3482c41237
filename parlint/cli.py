"""Command line interface (click). Thin: it only translates I/O around the engine."""

from __future__ import annotations

import sys

import click

from parlint import __version__
from parlint.config import Config
from parlint.engine import lint_source, read_source
from parlint.types import Finding


@click.group()
@click.version_option(__version__, prog_name="parlint")
def cli() -> None:
    """Find missed parallelism in async Python code, and rewrite it safely."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
def check(paths: tuple[str, ...]) -> None:
    config = Config()
    found = 0
    for path in paths:
        decoded = read_source(path)
        if isinstance(decoded, Finding):
            findings: tuple[Finding, ...] = (decoded,)
        else:
            findings = lint_source(decoded.source, path, config).findings
        for f in findings:
            click.echo(f"{f.path}:{f.line}:{f.column + 1}: {f.code} {f.message}")
            found += 1
    sys.exit(1 if found else 0)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="parlint", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
