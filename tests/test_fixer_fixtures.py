"""Fix invariants over every fixture (fixtures/*.py, linted as in test_fixtures.py):

- the fixed output (with --unsafe-fixes) is pinned by a syrupy snapshot;
- it parses and compiles, and a second fix changes nothing (convergence);
- fixing with safe fixes only never applies an unsafe or display-only fix;
- no fix run reports a reverted round (PAR999) or a new parse error.

After a deliberate change of a rewrite, refresh with `pytest tests/test_fixer_fixtures.py
--snapshot-update` and review the diff of tests/__snapshots__/test_fixer_fixtures.ambr.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from parlint.engine import read_source
from parlint.fixer import fix_source
from parlint.types import Finding, Safety
from test_fixtures import FIXTURES, fixture_config, fixture_paths

PATHS = fixture_paths()
IDS = [p.relative_to(FIXTURES).as_posix() for p in PATHS]


def _source(path: Path) -> str:
    decoded = read_source(str(path))
    assert not isinstance(decoded, Finding), decoded
    return decoded.source


def _fix(path: Path, source: str, unsafe: bool):
    name = path.relative_to(FIXTURES.parent).as_posix()
    return fix_source(source, name, fixture_config(source, name), unsafe=unsafe)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_fixed_fixture_snapshot(path: Path, snapshot) -> None:
    assert _fix(path, _source(path), unsafe=True).fixed == snapshot


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_fixed_fixture_parses_compiles_and_converges(path: Path) -> None:
    source = _source(path)
    result = _fix(path, source, unsafe=True)
    if not result.changed:
        return
    assert not [e for e in result.errors if e.code == "PAR999"], result.errors
    cst.parse_module(result.fixed)
    compile(result.fixed, str(path), "exec")
    again = _fix(path, result.fixed, unsafe=True)
    assert again.fixed == result.fixed
    assert again.applied == ()


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_safe_only_fixing_never_applies_an_unsafe_fix(path: Path) -> None:
    source = _source(path)
    result = _fix(path, source, unsafe=False)
    assert all(f.fix is not None and f.fix.safety is Safety.SAFE for f in result.applied)
    unsafe = [
        f for f in result.remaining if f.fix is not None and f.fix.safety is Safety.UNSAFE and f.fix.applicable
    ]
    # every unsafe fix that was available is still there, not applied
    before = _fix(path, source, unsafe=True)
    assert len(before.applied) >= len(result.applied)
    if unsafe:
        assert result.fixed != before.fixed
