"""README.md: its generated tables match the registry, its commands are the ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from parlint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_AND_CHECK = "pip install . && parlint check fixtures/"
INSTALL_AND_TEST = "pip install -e '.[test]' && python -m pytest"


def test_generated_tables_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_rule_table_matches_the_registry() -> None:
    table = README.split("<!-- rules-table:start -->", 1)[1].split("<!-- rules-table:end -->", 1)[0]
    rows = re.findall(r"^\| \[(PAR\d{3})\]\([^)]*\) \| `([^`]+)` \| (.*?) \| (yes|no) \| (on|off) \|$", table, re.MULTILINE)
    assert rows == [
        (code, rule.name, rule.summary, "yes" if rule.fixable else "no", "on" if rule.default_enabled else "off")
        for code, rule in all_rules().items()
    ]


def _block_after(marker: str, fence: str) -> str:
    rest = README.split(marker, 1)[1]
    return rest.split(f"```{fence}\n", 1)[1].split("```", 1)[0]


def test_before_and_after_example_is_what_parlint_really_does() -> None:
    from parlint.config import Config
    from parlint.engine import lint_source
    from parlint.fixer import fix_source
    from parlint.output import format_text

    before = _block_after("Before:", "python")
    console = _block_after("Before:", "console").splitlines()
    after = _block_after("After `parlint fix dashboard.py`:", "python")
    assert console[0] == "$ parlint check dashboard.py"
    findings = lint_source(before, "dashboard.py", Config()).findings
    assert format_text(findings, files_checked=1).splitlines() == console[1:]
    assert fix_source(before, "dashboard.py", Config()).fixed == after


def test_configuration_examples_are_valid(tmp_path: Path) -> None:
    from parlint.config import load_config

    toml = _block_after("## Configuration", "toml")
    yaml = _block_after("## Configuration", "yaml")
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    config = load_config([str(tmp_path)], cwd=tmp_path)
    assert config.max_concurrency == 10 and config.per_file_ignores == (("tests/*", ("PAR1",)),)
    (tmp_path / ".parlint.yaml").write_text(yaml, encoding="utf-8")
    assert load_config([str(tmp_path)], cwd=tmp_path).select == ("ALL",)


def test_readme_gives_the_two_setup_commands() -> None:
    assert f"```bash\n{INSTALL_AND_CHECK}\n```" in README
    assert f"```bash\n{INSTALL_AND_TEST}\n```" in README


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "python -m pip install --disable-pip-version-check -q -e '.[test]'" in script
    assert re.search(r"^python -m pytest \|\| status=\$\?$", script, re.MULTILINE)
