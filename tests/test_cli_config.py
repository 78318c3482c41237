"""`parlint config [PATH]`: the resolved configuration and why each rule is on or off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import invoke, write_tree

from parlint.config import DEFAULT_EXCLUDES
from parlint.registry import all_rules, declared_options


def test_config_without_a_file_shows_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("config")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "# configuration: none found (defaults)"
    assert "max-concurrency = 5" in lines
    assert f"exclude = {json.dumps(list(DEFAULT_EXCLUDES))}" in lines
    for code, rule in all_rules().items():
        state = "on " if rule.default_enabled else "off"
        assert any(line.startswith(f"{code}  {state}  {rule.name}: ") for line in lines)


def test_config_names_the_file_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_rules: None
) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.parlint]\nselect = ["PAR9"]\nignore = ["PAR991"]\nmax-concurrency = 8\n'
                '[tool.parlint.per-file-ignores]\n"tests/*" = ["PAR990"]\n'
            ),
            "src/app.py": "",
        },
    )
    monkeypatch.chdir(tmp_path / "src")
    data = json.loads(invoke("config", ".", "--output-format", "json").stdout)
    assert data["source"] == str(tmp_path / "pyproject.toml")
    assert data["settings"]["max-concurrency"] == 8
    assert set(data["settings"]) >= {"select", "ignore", "per-file-ignores", *declared_options()}
    reasons = {r["code"]: (r["enabled"], r["reason"]) for r in data["rules"]}
    assert reasons["PAR990"] == (
        True,
        "selected by 'PAR9' in select; off in files matching tests/* (per-file-ignores)",
    )
    assert reasons["PAR991"] == (False, "ignored by 'PAR991' in ignore")
    assert reasons["PAR000"] == (False, "not matched by select")


def test_config_takes_the_command_line_into_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = invoke("config", "--select", "PAR000", "--max-concurrency", "2").stdout
    assert "max-concurrency = 2" in text
    assert "PAR999  off  internal-error: not matched by select" in text


def test_config_of_a_missing_path_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("config", "nowhere")
    assert (result.exit_code, result.stderr) == (2, "parlint: error: nowhere: no such file or directory\n")


def test_config_error_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".parlint.yaml").write_text("selec: [PAR0]\n")
    result = invoke("config")
    assert result.exit_code == 2
    assert result.stderr == (
        f"parlint: error: {tmp_path / '.parlint.yaml'}: unknown key 'selec' (did you mean 'select'?)\n"
    )
