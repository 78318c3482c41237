"""The README's integrations block: its snippets parse and do what the text says."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cli_helpers import run_parlint

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: parlint depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Two independent awaits of known (imported) coroutines: PAR101 does not group awaits of
# callables it knows nothing about.
SEQUENTIAL = """\
from app.api import fetch_orders, fetch_user


async def load(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b
"""


def block() -> str:
    match = re.search(
        r"<!-- integrations:start -->\n(.*?)<!-- integrations:end -->", README, flags=re.DOTALL
    )
    assert match, "README.md lacks the integrations block"
    return match.group(1)


def snippets(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", block(), flags=re.DOTALL)


def test_precommit_snippet_names_the_hooks_this_repository_defines() -> None:
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    configs = [yaml.safe_load(s) for s in snippets("yaml") if "repos:" in s]
    assert len(configs) == 1
    (repo,) = configs[0]["repos"]
    assert repo["repo"] == "https://github.com/parlint/parlint"
    assert {hook["id"] for hook in repo["hooks"]} == hooks


def test_ruff_snippet_marks_par_codes_external() -> None:
    (toml,) = [s for s in snippets("toml") if "tool.ruff" in s]
    assert tomllib.loads(toml)["tool"]["ruff"]["lint"]["external"] == ["PAR"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="needs ruff")
def test_ruff_keeps_par_codes_only_when_they_are_external(tmp_path: Path) -> None:
    source = "import os  # noqa: F401, E501, PAR101\n"

    def fixed(*config: str) -> str:
        target = tmp_path / "app.py"
        target.write_text(source)
        args = ["ruff", "check", "--isolated", "--select", "F,E,RUF100", "--fix", "-q"]
        for option in config:
            args += ["--config", option]
        subprocess.run([*args, str(target)], check=False, capture_output=True)
        return target.read_text()

    assert "PAR101" not in fixed()  # the README's warning is real...
    assert (
        fixed('lint.external = ["PAR"]') == "import os  # noqa: F401, PAR101\n"
    )  # ...and the cure


def workflow() -> dict:
    (text,) = [s for s in snippets("yaml") if "jobs:" in s]
    return yaml.safe_load(text)


def test_github_workflow_uploads_sarif_with_the_right_permission() -> None:
    job = workflow()["jobs"]["parlint"]
    assert job["permissions"]["security-events"] == "write"
    uploads = [
        s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    ]
    assert uploads and uploads[0]["with"]["sarif_file"] == "parlint.sarif"


def test_github_workflow_parlint_commands_work(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SEQUENTIAL)
    commands = [
        shlex.split(step["run"])
        for step in workflow()["jobs"]["parlint"]["steps"]
        if step.get("run", "").startswith("parlint ")
    ]
    assert len(commands) == 2
    annotate, sarif = commands
    result = run_parlint(*annotate[1:], "--no-cache", cwd=tmp_path, input="")
    assert result.returncode == 1  # findings fail the job...
    assert result.stdout.startswith("::warning title=parlint (PAR101),file=app.py,line=5,")
    result = run_parlint(*sarif[1:], "--no-cache", cwd=tmp_path, input="")
    assert result.returncode == 0, result.stderr  # ...while the upload step always succeeds
    document = json.loads((tmp_path / "parlint.sarif").read_text())
    assert document["version"] == "2.1.0"
    assert document["runs"][0]["results"][0]["ruleId"] == "PAR101"


def test_flake8_snippet_is_a_valid_flake8_config(tmp_path: Path) -> None:
    (ini,) = snippets("ini")
    (tmp_path / ".flake8").write_text(ini)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(SEQUENTIAL)
    (tmp_path / "app.py").write_text(SEQUENTIAL)
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "PAR", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr == ""
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == ["./app.py:5:5:"]
