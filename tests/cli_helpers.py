"""Helpers for the CLI tests: a CliRunner that keeps stderr apart, and a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner, Result

from parlint.cli import cli


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:  # click >= 8.2 always keeps stderr apart
        return CliRunner()


CLEAN_ENV: dict[str, str | None] = {"PARLINT_OUTPUT_FORMAT": None, "NO_COLOR": None, "FORCE_COLOR": None}


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """The CLI in-process (so monkeypatched rules are seen); the environment's colour and
    format variables are cleared unless `env` sets them."""
    return runner().invoke(
        cli, list(args), input=input, env={**CLEAN_ENV, **(env or {})}, catch_exceptions=False
    )


def run_parlint(
    *args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m parlint ARGS` in a real process."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "parlint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root
