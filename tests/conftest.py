"""Shared fixtures. `fake_rules` registers test-only rules (see rule_doubles.py) so that the
framework can be tested independently of the real rules."""

from __future__ import annotations

import pytest

from rule_doubles import install_fake_rules


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register PAR990 (reports every `await fetch_*()`, with an unsafe fix) and PAR991 (crashes
    in functions named `explode*`) for one test."""
    install_fake_rules(monkeypatch)


@pytest.fixture(autouse=True, scope="session")
def run_from_the_repository_root() -> None:
    """Fixtures are linted under their paths relative to the repository (stable output), and
    the analysis finds a file's project (the modules it imports) from its path: run from there
    wherever pytest was started."""
    import os
    from pathlib import Path

    os.chdir(Path(__file__).resolve().parent.parent)
