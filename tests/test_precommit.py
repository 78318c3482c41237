"""The pre-commit hooks, driven through the real `pre-commit try-repo` against a clone of this
repository at HEAD (what users get from `rev:`), in a fresh git repository.

pre-commit builds the hook's virtualenv from the clone and installs parlint's dependencies from
PyPI, so this is slow and needs the network: marked `slow`.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Two independent awaits of known (imported) coroutines: PAR101 does not group awaits of
# callables it knows nothing about.
SEQUENTIAL = """\
import asyncio

from app.api import fetch_orders, fetch_user


async def load(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b
"""
CLEAN = "async def load(uid):\n    user = await fetch_user(uid)\n    return user\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def test_hooks_file_declares_both_hooks() -> None:
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    assert set(hooks) == {"parlint", "parlint-fix"}
    assert hooks["parlint"]["entry"] == "parlint check --force-exclude"
    assert hooks["parlint-fix"]["entry"] == "parlint fix --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert hook["require_serial"] is True
        assert hook["minimum_pre_commit_version"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("precommit")
    clone = base / "parlint"
    # A clone holds HEAD only: commit before running this test.
    git(base, "clone", "--quiet", str(ROOT), str(clone))
    work = base / "work"
    work.mkdir()
    git(work, "init", "--quiet")
    return {"clone": clone, "work": work, "home": base / "pre-commit-home"}


def try_repo(sandbox: dict[str, Path], hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(sandbox["home"]),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(sandbox["clone"]),
            hook,
            "--files",
            *files,
        ],
        cwd=sandbox["work"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def write(sandbox: dict[str, Path], name: str, text: str) -> None:
    (sandbox["work"] / name).write_text(text)
    git(sandbox["work"], "add", name)


def test_parlint_hook_fails_on_a_finding_and_passes_on_a_clean_file(sandbox) -> None:
    write(sandbox, "service.py", SEQUENTIAL)
    write(sandbox, "clean.py", CLEAN)
    failed = try_repo(sandbox, "parlint", "service.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "service.py:7:5: PAR101 " in failed.stdout
    passed = try_repo(sandbox, "parlint", "clean.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_parlint_fix_hook_runs_and_leaves_parseable_code(sandbox) -> None:
    write(sandbox, "fixme.py", SEQUENTIAL)
    result = try_repo(sandbox, "parlint-fix", "fixme.py")
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    fixed = (sandbox["work"] / "fixme.py").read_text()
    ast.parse(fixed)
    # A hook that modified files fails the pre-commit run, so that the user reviews the change.
    assert result.returncode == 1, output
    assert "files were modified by this hook" in output
    assert "await asyncio.gather(fetch_user(uid), fetch_orders(uid))" in fixed
