"""The flake8 plugin, through a real `flake8` subprocess and as a unit.

flake8 owns selection, noqa and per-file-ignores; the plugin must report exactly what the engine
finds, at the same positions, and never abort a flake8 run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from flake8.defaults import NOQA_INLINE_REGEXP

from parlint import flake8_plugin, noqa, registry
from parlint.config import Config
from parlint.engine import lint_source
from parlint.flake8_plugin import Plugin
from parlint.rules.base import Rule

# Two independent awaits of known (imported) coroutines: PAR101 does not group awaits of
# callables it knows nothing about.
SEQUENTIAL = """\
from app.api import fetch_orders, fetch_user


async def load(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b
"""
# An await per iteration whose results are collected in order: PAR102.
LOOP = """\
async def load_items(client, ids):
    out = []
    for i in ids:
        out.append(await client.get_item(i))
    return out
"""
# The second await needs the first one's result: nothing to report.
CLEAN = (
    "async def load(uid):\n    user = await fetch_user(uid)\n    return await fetch_orders(user)\n"
)


@pytest.fixture(autouse=True)
def fresh_config_cache() -> Iterator[None]:
    # The plugin caches one configuration per directory for the life of a flake8 run.
    flake8_plugin._CONFIG_CACHE.clear()
    yield
    flake8_plugin._CONFIG_CACHE.clear()


def flake8(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def par_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r": PAR\d{3} ", line)]


def expected(path: str, source: str) -> list[str]:
    """What flake8 must print for `source`: the engine's findings, columns made 1-based."""
    config = flake8_plugin._every_rule(Config())
    findings = lint_source(source, path, config, respect_noqa=False).findings
    return [f"{path}:{f.line}:{f.column + 1}: {f.code} {f.message}" for f in findings]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SEQUENTIAL)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_select_par_reports_what_the_engine_finds(project: Path) -> None:
    want = expected("./app.py", SEQUENTIAL)
    assert want[0].startswith("./app.py:5:5: PAR101 ")
    result = flake8(project, "--select", "PAR", ".")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == want
    assert result.stderr == ""


# The PAR101 case plus a finding of pyflakes: an unused name.
WITH_UNUSED = SEQUENTIAL + "\n\ndef helper():\n    unused = 1\n"


def test_default_run_mixes_with_other_plugins(project: Path) -> None:
    (project / "app.py").write_text(WITH_UNUSED)
    result = flake8(project, "app.py")
    assert result.returncode == 1
    assert par_lines(result.stdout) == expected("app.py", WITH_UNUSED)
    assert "F841 local variable 'unused' is assigned to but never used" in result.stdout


def test_clean_file_passes(project: Path) -> None:
    result = flake8(project, "--select", "PAR", "clean.py")
    assert (result.returncode, result.stdout) == (0, "")


def test_extend_ignore_in_the_flake8_config(project: Path) -> None:
    (project / "app.py").write_text(WITH_UNUSED)
    (project / ".flake8").write_text("[flake8]\nextend-ignore = PAR101\n")
    result = flake8(project, "app.py")
    assert par_lines(result.stdout) == []
    assert "F841" in result.stdout  # only PAR101 went away


def test_extend_ignore_par102_keeps_par101(project: Path) -> None:
    source = SEQUENTIAL + "\n\n" + LOOP
    (project / "app.py").write_text(source)
    both = expected("app.py", source)
    assert {line.split()[1] for line in both} == {"PAR101", "PAR102"}
    (project / ".flake8").write_text("[flake8]\nextend-ignore = PAR102\n")
    result = flake8(project, "--select", "PAR", "app.py")
    assert result.stdout.splitlines() == [line for line in both if " PAR101 " in line]


def test_per_file_ignores(project: Path) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(SEQUENTIAL)
    (project / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    legacy/*.py: PAR101\n")
    result = flake8(project, "--select", "PAR", ".")
    assert result.stdout.splitlines() == expected("./app.py", SEQUENTIAL)


def test_noqa_is_flake8s(project: Path) -> None:
    want = expected("app.py", SEQUENTIAL)
    line = int(want[0].split(":")[1])
    lines = SEQUENTIAL.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].rstrip("\n") + "  # noqa: PAR101\n"
    (project / "app.py").write_text("".join(lines))
    assert par_lines(flake8(project, "--select", "PAR", "app.py").stdout) == [
        w for w in want if not w.startswith(f"app.py:{line}:")
    ]


def test_stdin(project: Path) -> None:
    result = flake8(
        project,
        "--select",
        "PAR",
        "--stdin-display-name",
        "svc/app.py",
        "-",
        stdin=SEQUENTIAL,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == expected("svc/app.py", SEQUENTIAL)


def test_syntax_error_gives_e999_and_the_run_goes_on(project: Path) -> None:
    (project / "broken.py").write_text("async def load(uid:\n    await fetch(uid)\n")
    result = flake8(project, "--select", "PAR,E999", ".")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert next(line for line in lines if "E999" in line).startswith("./broken.py:1:")
    assert [line for line in lines if "E999" not in line] == expected("./app.py", SEQUENTIAL)


# --- the plugin as a unit ---------------------------------------------------------------------


def run_plugin(source: str, filename: str = "app.py") -> list[tuple[int, int, str]]:
    plugin = Plugin(None, source.splitlines(keepends=True), filename)
    return [(line, col, message) for line, col, message, kind in plugin.run()]


def test_libcst_parse_failure_yields_nothing() -> None:
    assert run_plugin("async def f(:\n    await x()\n") == []


def test_file_level_parlint_noqa_is_honoured() -> None:
    assert run_plugin(SEQUENTIAL)
    assert run_plugin("# parlint: noqa\n" + SEQUENTIAL) == []


def test_an_internal_error_is_one_par999_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(flake8_plugin, "lint_source", explode)
    assert run_plugin(SEQUENTIAL) == [
        (1, 0, "PAR999 internal error in parlint: RuntimeError: boom")
    ]


def test_a_broken_parlint_config_is_one_par999_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.parlint]\nmax-concurrency = 'many'\n")
    (tmp_path / "app.py").write_text(SEQUENTIAL)
    found = run_plugin(SEQUENTIAL, str(tmp_path / "app.py"))
    assert len(found) == 1
    line, col, message = found[0]
    assert (line, col) == (1, 0)
    assert message.startswith("PAR999 cannot load parlint configuration")
    assert "max-concurrency" in message


def test_parlint_config_options_reach_the_engine_with_every_rule_enabled(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.parlint]
            max-concurrency = 3
            ignore = ["PAR000"]
            per-file-ignores = {"app.py" = ["PAR9"]}
            """
        )
    )
    (tmp_path / "pkg").mkdir()
    config = flake8_plugin.config_for(str(tmp_path / "pkg" / "app.py"))
    assert isinstance(config, Config)
    assert config.max_concurrency == 3
    # flake8 owns selection: parlint's select/ignore/per-file-ignores do not apply here.
    assert config.enabled_codes() == frozenset(registry.all_codes())
    assert config.per_file_ignores == ()


def test_rules_off_by_default_join_flake8s_default_ignore(monkeypatch: pytest.MonkeyPatch) -> None:
    class OffRule(Rule):
        code = "PAR888"
        name = "off-rule"
        default_enabled = False

    monkeypatch.setitem(registry.all_rules(), "PAR888", OffRule)

    class Manager:
        def __init__(self) -> None:
            self.ignored: list[str] = []

        def extend_default_ignore(self, codes: list[str]) -> None:
            self.ignored.extend(codes)

    manager = Manager()
    Plugin.add_options(manager)
    assert "PAR888" in manager.ignored
    assert all(not registry.all_rules()[c].default_enabled for c in manager.ignored)


@pytest.mark.parametrize(
    "line",
    [
        "x  # noqa",
        "x  # noqa: PAR101",
        "x  # NOQA:PAR101,PAR102",
        "x  # noqa: PAR101 PAR102",
        "x  # noqa: E501, PAR1",
        "x  # noqa:bad",
        "x  # noqa : PAR101",
        "x  # noqa: PAR101 trailing words",
        "x  # not a noqa",
    ],
)
def test_noqa_matching_equals_flake8s(line: str) -> None:
    match = NOQA_INLINE_REGEXP.search(line)
    if match is None:
        want = None
    elif match.group("codes") is None:
        want = frozenset()
    else:
        want = frozenset(re.findall(r"[A-Z]+[0-9]+", match.group("codes").upper()))
    assert noqa.line_codes(line) == want


# --- every rule, through both front ends ------------------------------------------------------


def rule_examples() -> list[tuple[str, str]]:
    """(file name, source) of every rule's INVALID examples."""
    return [
        (f"{code.lower()}_{index}.py", textwrap.dedent(case.code))
        for code, rule in registry.all_rules().items()
        if rule.visits
        for index, case in enumerate(rule.INVALID)
    ]


def test_flake8_reports_what_parlint_reports_on_every_rule_example(tmp_path: Path) -> None:
    examples = rule_examples()
    want: list[str] = []
    for name, source in examples:
        (tmp_path / name).write_text(source)
        want += expected(name, source)
    assert {line.split()[1] for line in want} >= {"PAR101", "PAR102"}
    result = flake8(tmp_path, "--select", "PAR", *(name for name, _ in examples))
    assert "Traceback" not in result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(want)


def off_by_default() -> list[str]:
    return [code for code, rule in registry.all_rules().items() if not rule.default_enabled]


@pytest.mark.parametrize("code", off_by_default() or [pytest.param("none", marks=pytest.mark.skip)])
def test_rules_off_by_default_are_off_in_flake8_until_selected(tmp_path: Path, code: str) -> None:
    rule = registry.all_rules()[code]
    source = textwrap.dedent(rule.INVALID[0].code)
    (tmp_path / "app.py").write_text(source)
    assert any(f" {code} " in line for line in expected("app.py", source))
    default = flake8(tmp_path, "app.py")
    assert f" {code} " not in default.stdout
    selected = flake8(tmp_path, "--extend-select", code, "app.py")
    assert f" {code} " in selected.stdout
