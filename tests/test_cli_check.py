"""`parlint check` through click's CliRunner (with test-only rules) and a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import invoke, run_parlint, write_tree

from parlint import __version__
from parlint.cli import main

# PAR990 (test double) reports every `await fetch_*()`; PAR991 crashes in `explode*` functions.
TWO_FINDINGS = """\
async def load(uid):
    user = await fetch_user(uid)
    return user, await fetch_orders(uid)
"""
CLEAN = "async def load(uid):\n    return await other(uid)\n"
CRASHES = "async def explode():\n    await fetch_x()\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_rules: None) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_tree(tmp_path, {"pkg/a.py": TWO_FINDINGS, "pkg/clean.py": CLEAN})


# --- exit codes ----------------------------------------------------------------------------


def test_findings_exit_1_with_sorted_relative_lines_and_a_summary(project: Path) -> None:
    result = invoke("check", "--select", "PAR9", ".")
    assert result.exit_code == 1
    assert result.stdout == (
        "pkg/a.py:2:12: PAR990 await of fetch_user()\n"
        "pkg/a.py:3:18: PAR990 await of fetch_orders()\n"
        "Found 2 findings in 1 file (2 files checked). 2 fixable with `parlint fix`.\n"
    )


def test_no_findings_exit_0(project: Path) -> None:
    result = invoke("check", "--select", "PAR990", "pkg/clean.py")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed! (1 file checked)\n"


def test_default_path_is_the_current_directory(project: Path) -> None:
    assert invoke("check", "--select", "PAR990").exit_code == 1


def test_exit_zero_reports_but_exits_0(project: Path) -> None:
    result = invoke("check", "--select", "PAR990", "--exit-zero")
    assert result.exit_code == 0
    assert "PAR990" in result.stdout


def test_main_returns_the_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "PAR990", "pkg"]) == 1
    assert main(["check", "--select", "PAR990", "pkg/clean.py"]) == 0
    assert main(["check", "--select", "PAR9O0"]) == 2
    assert main(["check", "--bogus-flag"]) == 2
    err = capsys.readouterr().err
    assert "did you mean PAR990?" in err
    assert "No such option" in err and "--bogus-flag" in err


# --- selection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["--select", "PAR990"], {"PAR990"}),
        (["--select", "PAR9"], {"PAR990"}),
        (["--select", "ALL", "--ignore", "PAR0,PAR991,PAR999"], {"PAR990"}),
        (["--select", "PAR000", "--extend-select", "par99"], {"PAR990"}),
        (["--select", "PAR9", "--ignore", "PAR99"], set()),
        (["--select", "PAR9", "--ignore", "PAR99", "--extend-select", "PAR990"], {"PAR990"}),
    ],
)
def test_selection_with_prefixes_and_all(project: Path, args: list[str], codes: set[str]) -> None:
    result = invoke("check", "--output-format", "json", *args, "pkg/a.py")
    # (only the test doubles' codes: real rules may find something in the file too)
    assert {item["code"] for item in json.loads(result.stdout) if item["code"] >= "PAR9"} == codes


@pytest.mark.parametrize("flag", ["--select", "--extend-select", "--ignore"])
def test_unknown_code_exits_2_with_did_you_mean(project: Path, flag: str) -> None:
    result = invoke("check", flag, "PAR9900")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        (
            f"parlint: error: command line: {flag[2:]}: unknown rule code or prefix 'PAR9900' "
            "(did you mean PAR990?)"
        )
    ]


# --- output --------------------------------------------------------------------------------


def test_output_format_json_and_env_variable(project: Path) -> None:
    by_flag = invoke("check", "--select", "PAR990", "--output-format", "json")
    by_env = invoke("check", "--select", "PAR990", env={"PARLINT_OUTPUT_FORMAT": "json"})
    assert by_flag.stdout == by_env.stdout
    data = json.loads(by_flag.stdout)
    assert [(d["filename"], d["location"]) for d in data] == [
        ("pkg/a.py", {"row": 2, "column": 12}),
        ("pkg/a.py", {"row": 3, "column": 18}),
    ]


def test_bad_output_format_in_env_exits_2(project: Path) -> None:
    result = invoke("check", env={"PARLINT_OUTPUT_FORMAT": "xml"})
    assert result.exit_code == 2
    assert "Invalid value for '--output-format'" in result.stderr


def test_sarif_and_github_formats(project: Path) -> None:
    sarif = json.loads(invoke("check", "--select", "PAR990", "--output-format", "sarif").stdout)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert uris == ["pkg/a.py", "pkg/a.py"]
    github = invoke("check", "--select", "PAR990", "--output-format", "github").stdout
    assert github.splitlines()[0] == (
        "::warning title=parlint (PAR990),file=pkg/a.py,line=2,col=12,endLine=2,endColumn=33"
        "::await of fetch_user()"
    )


def test_output_file(project: Path) -> None:
    result = invoke("check", "--select", "PAR990", "--output-format", "json", "-o", "out/report.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(json.loads((project / "out" / "report.json").read_text())) == 2


def test_quiet_drops_the_summary(project: Path) -> None:
    result = invoke("check", "--select", "PAR990", "-q")
    assert result.stdout.splitlines() == [
        "pkg/a.py:2:12: PAR990 await of fetch_user()",
        "pkg/a.py:3:18: PAR990 await of fetch_orders()",
    ]


def test_verbose_tells_the_configuration_on_stderr(project: Path) -> None:
    (project / ".parlint.yaml").write_text("select: [PAR990]\n")
    result = invoke("check", "-v")
    assert f"parlint: configuration: {project / '.parlint.yaml'}" in result.stderr
    assert "checked in" in result.stderr
    assert "parlint:" not in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, False),  # not a terminal
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"NO_COLOR": "1"}, False),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_only_on_request(project: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    result = invoke("check", "--select", "PAR990", *args, env=env)
    assert ("\x1b[" in result.stdout) is coloured


def test_statistics(project: Path) -> None:
    text = invoke("check", "--select", "PAR990", "--statistics")
    assert text.stdout == "2  PAR990  [*] await-fetch\n"
    assert text.exit_code == 1
    data = json.loads(invoke("check", "--select", "PAR990", "--statistics", "--output-format", "json").stdout)
    assert data == [{"code": "PAR990", "name": "await-fetch", "count": 2, "fixable": True}]


# --- options -------------------------------------------------------------------------------


def test_target_version_and_max_concurrency_are_checked(project: Path) -> None:
    assert invoke("check", "--target-version", "py312", "--max-concurrency", "3").exit_code in (0, 1)
    bad = invoke("check", "--target-version", "py27")
    assert bad.exit_code == 2 and "--target-version" in bad.stderr
    assert invoke("check", "--max-concurrency", "0").exit_code == 2


@pytest.mark.parametrize("jobs", ["1", "2", "0"])
def test_jobs_do_not_change_the_output(project: Path, jobs: str) -> None:
    for i in range(20):
        write_tree(project, {f"many/m{i:02}.py": TWO_FINDINGS})
    result = invoke("check", "--select", "PAR990", "-j", jobs, "-q")
    assert len(result.stdout.splitlines()) == 42
    assert result.stdout == invoke("check", "--select", "PAR990", "-j", "1", "-q").stdout


def test_no_cache_is_accepted(project: Path) -> None:
    assert invoke("check", "--select", "PAR990", "--no-cache").exit_code == 1


def test_ignore_noqa(project: Path) -> None:
    (project / "pkg" / "a.py").write_text(TWO_FINDINGS.replace("fetch_user(uid)", "fetch_user(uid)  # noqa: PAR990"))
    assert len(invoke("check", "--select", "PAR990", "-q").stdout.splitlines()) == 1
    assert len(invoke("check", "--select", "PAR990", "-q", "--ignore-noqa").stdout.splitlines()) == 2


def test_per_file_ignores_from_the_configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.parlint]\nselect = ["PAR990"]\n[tool.parlint.per-file-ignores]\n"pkg/a.py" = ["PAR99"]\n'
    )
    assert invoke("check").exit_code == 0


def test_per_file_ignores_are_relative_to_the_configuration_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.parlint]\nselect = ["PAR990"]\n[tool.parlint.per-file-ignores]\n"pkg/a.py" = ["PAR990"]\n'
    )
    monkeypatch.chdir(project.parent)
    assert invoke("check", project.name).exit_code == 0
    monkeypatch.chdir(project / "pkg")
    assert invoke("check", ".").exit_code == 0


def test_exclude_flags(project: Path) -> None:
    assert invoke("check", "--select", "PAR990", "--extend-exclude", "a.py").exit_code == 0
    assert invoke("check", "--select", "PAR990", "--exclude", "pkg").exit_code == 0
    # a file named explicitly is linted unless --force-exclude
    assert invoke("check", "--select", "PAR990", "--exclude", "pkg", "pkg/a.py").exit_code == 1
    assert invoke("check", "--select", "PAR990", "--exclude", "pkg", "--force-exclude", "pkg/a.py").exit_code == 0


# --- stdin ---------------------------------------------------------------------------------


def test_stdin_with_stdin_filename(project: Path) -> None:
    result = invoke("check", "--select", "PAR990", "-", "--stdin-filename", "pkg/new.py", input=TWO_FINDINGS)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "pkg/new.py:2:12: PAR990 await of fetch_user()"
    plain = invoke("check", "--select", "PAR990", "-", input=CLEAN)
    assert plain.exit_code == 0
    implied = invoke("check", "--select", "PAR990", "--stdin-filename", "x.py", input=TWO_FINDINGS)
    assert implied.stdout.splitlines()[0] == "x.py:2:12: PAR990 await of fetch_user()"


def test_stdin_filename_honours_per_file_ignores_and_force_exclude(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.parlint]\nselect = ["PAR990"]\nextend-exclude = ["gen"]\n'
        '[tool.parlint.per-file-ignores]\n"tests/*" = ["PAR990"]\n'
    )
    ignored = invoke("check", "-", "--stdin-filename", "tests/t.py", input=TWO_FINDINGS)
    assert ignored.exit_code == 0
    excluded = invoke("check", "--force-exclude", "-", "--stdin-filename", "gen/g.py", input=TWO_FINDINGS)
    assert (excluded.exit_code, excluded.stdout) == (0, "All checks passed! (0 files checked)\n")


def test_stdin_cannot_be_mixed_with_paths(project: Path) -> None:
    result = invoke("check", "-", "pkg")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr


# --- errors --------------------------------------------------------------------------------


def test_no_python_files_is_a_warning_not_an_error(project: Path) -> None:
    (project / "empty").mkdir()
    result = invoke("check", "empty")
    assert (result.exit_code, result.stdout) == (0, "All checks passed! (0 files checked)\n")
    assert result.stderr == "parlint: warning: no Python files found\n"


def test_missing_path_exits_2_naming_it(project: Path) -> None:
    result = invoke("check", "pkg", "nowhere/x.py")
    assert result.exit_code == 2
    assert result.stderr == "parlint: error: nowhere/x.py: no such file or directory\n"


def test_crashing_rule_is_par999_and_traceback_only_with_debug(project: Path) -> None:
    (project / "pkg" / "boom.py").write_text(CRASHES)
    result = invoke("check", "--select", "PAR99", "pkg/boom.py")
    assert result.exit_code == 1
    assert "pkg/boom.py:1:1: PAR999 internal error in PAR991: ValueError: boom" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    debug = invoke("check", "--select", "PAR99", "--debug", "pkg/boom.py")
    assert "Traceback" in debug.stderr and "ValueError: boom" in debug.stderr
    # the other rules' findings for the file are kept
    both = invoke("check", "--select", "PAR99", "-q", "pkg/boom.py")
    assert "PAR990 await of fetch_x()" in both.stdout


def test_internal_error_is_one_line_and_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parlint.cli import common

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the runner broke")

    monkeypatch.setattr(common, "lint_files", broken)
    result = invoke("check")
    assert result.exit_code == 2
    assert result.stderr == (
        "parlint: error: internal error: RuntimeError: the runner broke "
        "(run with --debug for the traceback)\n"
    )
    debug = invoke("check", "--debug")
    assert debug.exit_code == 2 and "Traceback (most recent call last)" in debug.stderr


CONFIG_ERRORS = [
    ("unknown-key", "colour = true", "[tool.parlint]: unknown key 'colour'"),
    ("wrong-type", 'max-concurrency = "many"', "[tool.parlint]: max-concurrency: expected an integer"),
    ("bad-glob", 'exclude = ["src/[gen"]', "[tool.parlint]: exclude: bad glob 'src/[gen'"),
    ("unknown-code", 'ignore = ["PAR9999"]', "[tool.parlint]: ignore: unknown rule code or prefix 'PAR9999'"),
]


@pytest.mark.parametrize(("case", "line", "message"), CONFIG_ERRORS, ids=[c[0] for c in CONFIG_ERRORS])
def test_bad_configuration_exits_2_naming_file_and_key(project: Path, case: str, line: str, message: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.parlint]\n{line}\n")
    result = invoke("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"parlint: error: {project / 'pyproject.toml'} {message}" + result.stderr.split(message, 1)[1]
    assert result.stderr.count("\n") == 1


def test_config_and_isolated_flags(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.parlint]\ncolour = 1\n")
    assert invoke("check").exit_code == 2
    assert invoke("check", "--isolated", "--select", "PAR990").exit_code == 1
    (project / "ci.yaml").write_text("select: [PAR991]\n")
    assert invoke("check", "--config", "ci.yaml").exit_code == 0
    missing = invoke("check", "--config", "nope.yaml")
    assert missing.exit_code == 2 and "nope.yaml: configuration file not found" in missing.stderr


# --- a real process ------------------------------------------------------------------------


def test_version_in_a_real_process(tmp_path: Path) -> None:
    result = run_parlint("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"parlint, version {__version__}")


def test_parse_error_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": "async def f(:\n    await g()\n", "ok.py": CLEAN})
    result = run_parlint("check", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "bad.py:2:5: PAR000 cannot parse: expected one of ), *, **, NAME"
    assert "Traceback" not in result.stderr


def test_bad_configuration_in_a_real_process(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.parlint]\nselect = [\"PAR1O1\"]\n", "a.py": CLEAN})
    result = run_parlint("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"parlint: error: {tmp_path / 'pyproject.toml'} [tool.parlint]: select: unknown rule code "
        "or prefix 'PAR1O1' (did you mean PAR101?)\n"
    )


def test_stdin_in_a_real_process(tmp_path: Path) -> None:
    result = run_parlint(
        "check", "--select", "PAR000", "-", "--stdin-filename", "x.py", cwd=tmp_path,
        input="async def f(:\n    await g()\n",
    )
    assert result.returncode == 1
    assert result.stdout.startswith("x.py:2:5: PAR000 ")


# Two independent awaits of known coroutines (imported: parlint does not group awaits of
# arbitrary callables it knows nothing about).
PAR101_CASE = """\
from app.api import fetch_orders, fetch_user


async def load_dashboard(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b
"""


def test_acceptance_scenario_of_a_new_user(tmp_path: Path) -> None:
    """Issue 2's acceptance: an unparsable file, a finding, a clean file, a .venv file and a
    gitignored file; then the finding suppressed and the broken file excluded: exit 0."""
    write_tree(
        tmp_path,
        {
            "broken.py": "async def main(:\n    await run()\n",
            "app/dashboard.py": PAR101_CASE,
            "app/clean.py": CLEAN,
            ".venv/lib/site.py": PAR101_CASE,
            ".gitignore": "generated/\n",
            "generated/client.py": PAR101_CASE,
        },
    )
    first = run_parlint("check", "--no-cache", ".", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split(" ")[:2] for line in lines[:-1]] == [
        ["app/dashboard.py:5:5:", "PAR101"],
        ["broken.py:2:5:", "PAR000"],
    ]
    assert lines[-1].startswith("Found 2 findings in 2 files (3 files checked).")
    assert "Traceback" not in first.stderr

    (tmp_path / "app" / "dashboard.py").write_text(
        PAR101_CASE.replace("fetch_user(uid)\n", "fetch_user(uid)  # noqa: PAR101\n")
    )
    (tmp_path / "pyproject.toml").write_text('[tool.parlint]\nextend-exclude = ["broken.py"]\n')
    second = run_parlint("check", "--no-cache", ".", cwd=tmp_path)
    assert (second.returncode, second.stdout) == (0, "All checks passed! (2 files checked)\n")


def test_acceptance_scenario_with_a_test_rule(project: Path) -> None:
    """The same scenario, independent of the real rules."""
    write_tree(
        project,
        {
            "broken.py": "async def main(:\n    await run()\n",
            ".venv/lib/site.py": TWO_FINDINGS,
            ".gitignore": "generated/\n",
            "generated/client.py": TWO_FINDINGS,
        },
    )
    first = invoke("check", "--select", "PAR0,PAR990", "-q", ".")
    assert first.exit_code == 1
    assert [line.split(" ")[:2] for line in first.stdout.splitlines()] == [
        ["broken.py:2:5:", "PAR000"],
        ["pkg/a.py:2:12:", "PAR990"],
        ["pkg/a.py:3:18:", "PAR990"],
    ]
    (project / "pkg" / "a.py").write_text(TWO_FINDINGS.replace("(uid)\n", "(uid)  # noqa\n"))
    (project / "pyproject.toml").write_text('[tool.parlint]\nextend-exclude = ["broken.py"]\n')
    assert invoke("check", "--select", "PAR0,PAR990", ".").exit_code == 0


def test_configuration_keys_equal_the_long_flags() -> None:
    from parlint.cli.check import check
    from parlint.config import known_keys

    flags = {opt[2:] for param in check.params for opt in (*param.opts, *param.secondary_opts)}
    shared = {
        "select", "extend-select", "ignore", "exclude", "extend-exclude", "respect-gitignore",
        "force-exclude", "target-version", "max-concurrency",
    }
    assert shared <= flags
    assert shared <= set(known_keys())


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    """`parlint ... | head -1`: a broken pipe ends the run quietly."""
    import subprocess
    import sys

    program = (
        "import click\n"
        "from parlint.cli import cli, main\n"
        "@click.command()\n"
        "def big():\n"
        "    for _ in range(100000):\n"
        "        click.echo('x' * 100)\n"
        "cli.add_command(big)\n"
        "raise SystemExit(main(['big']))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert stderr == ""
