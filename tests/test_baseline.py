"""Baselines: fingerprints that survive line shifts; only new findings are reported."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_helpers import run_parlint

from parlint import baseline
from parlint.baseline import BaselineError, Entry, compare, entries_for, fingerprint
from parlint.types import Finding, Position, Span

SOURCE = """\
import asyncio


class Service:
    async def load(self, uid):
        a = await fetch_user(uid)
        b = await fetch_orders(uid)
        return a, b

    async def again(self, uid):
        a = await fetch_user(uid)
        return a


async def main(uids):
    async def worker(uid):
        for u in uids:
            await save(u)
    await worker(1)
"""


def at(line: int, column: int, code: str = "PAR101", path: str = "pkg/app.py") -> Finding:
    pos = Position(line, column)
    return Finding(code, "n", f"message at {line}", path, Span(pos, pos))


def entries(findings: list[Finding], source: str | None = SOURCE) -> list[Entry]:
    return [entry for _, entry in fingerprint(findings, source, "pkg/app.py")]


def test_fingerprint_names_the_function_and_the_statement() -> None:
    found = entries([at(6, 12), at(11, 12), at(17, 8, "PAR102"), at(1, 0, "PAR999")])
    assert [(e.code, e.function, e.statement, e.occurrence) for e in found] == [
        ("PAR999", "<module>", "import asyncio", 0),
        ("PAR101", "Service.load", "a = await fetch_user ( uid )", 0),
        ("PAR101", "Service.again", "a = await fetch_user ( uid )", 0),
        ("PAR102", "main.<locals>.worker", "for u in uids :", 0),
    ]


def test_fingerprint_survives_line_shifts_reformatting_and_noqa_comments() -> None:
    shifted = "# a new header comment\n\n\n" + SOURCE.replace(
        "        a = await fetch_user(uid)\n        b",
        "        a = await fetch_user(\n            uid\n        )  # noqa: E501\n        b",
        1,
    )
    before = entries([at(6, 12), at(17, 8, "PAR102")])
    after = entries([at(9, 12), at(22, 8, "PAR102")], shifted)
    assert [e.key for e in before] == [e.key for e in after]


def test_identical_statements_in_one_function_get_occurrence_indices() -> None:
    source = "async def f():\n    await ping()\n    await ping()\n    await ping()\n"
    found = entries([at(4, 4), at(2, 4), at(3, 4)], source)
    assert [(e.line, e.occurrence) for e in found] == [(2, 0), (3, 1), (4, 2)]


def test_unparsable_source_falls_back_to_the_message() -> None:
    found = entries([at(1, 3, "PAR000")], source=None)
    assert (found[0].function, found[0].statement) == ("<module>", "message at 1")


def test_compare_reports_new_findings_and_stale_entries() -> None:
    old = entries([at(6, 12), at(11, 12)])
    # Today: the one in `load` is still there (shifted by a line), the one in `again` was fixed,
    # and a new finding appeared in `worker`.
    shifted = "\n" + SOURCE
    today = fingerprint([at(7, 12), at(18, 8, "PAR102")], shifted, "pkg/app.py")
    outcome = compare(today, old, checked_paths={"pkg/app.py"})
    assert [(f.code, f.line) for f in outcome.new] == [("PAR102", 18)]
    assert outcome.matched == 1
    assert [e.function for e in outcome.stale] == ["Service.again"]


def test_entries_of_files_not_checked_are_not_stale() -> None:
    old = entries([at(6, 12)])
    outcome = compare([], old, checked_paths={"pkg/other.py"})
    assert outcome.stale == ()
    assert compare([], old, checked_paths=None).stale == tuple(old)


def test_a_second_identical_finding_is_new() -> None:
    source = "async def f():\n    await ping()\n"
    old = entries([at(2, 4)], source)
    grown = "async def f():\n    await ping()\n    await ping()\n"
    outcome = compare(fingerprint([at(2, 4), at(3, 4)], grown, "pkg/app.py"), old)
    assert [f.line for f in outcome.new] == [3]


def test_paths_are_stored_relative_to_the_baseline_directory(tmp_path, monkeypatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path / "pkg")
    pairs = entries_for([at(6, 12, path="app.py")], lambda p: Path(p).read_text(), str(tmp_path))
    assert pairs[0][1].path == "pkg/app.py"
    assert pairs[0][1].function == "Service.load"


def test_file_round_trip(tmp_path) -> None:
    found = entries([at(6, 12), at(17, 8, "PAR102")])
    target = tmp_path / "parlint-baseline.json"
    baseline.write_baseline(str(target), found)
    assert baseline.read_baseline(str(target)) == sorted(found)
    document = json.loads(target.read_text())
    assert document["parlint-baseline"] == 1
    assert document["entries"][0]["function"] == "Service.load"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        pytest.param("{", "not valid JSON", id="bad json"),
        pytest.param("[]", "not a parlint baseline", id="not an object"),
        pytest.param('{"parlint-baseline": 1, "entries": {}}', "must be a list", id="entries"),
        pytest.param(
            '{"parlint-baseline": 1, "entries": [{"path": "a.py"}]}', "entry 0", id="missing key"
        ),
        pytest.param(
            '{"parlint-baseline": 1, "entries": [{"path": "a.py", "code": "PAR101",'
            ' "function": "f", "statement": "s", "occurrence": "0"}]}',
            "'occurrence' must be int",
            id="wrong type",
        ),
    ],
)
def test_bad_baseline_files_are_errors_naming_the_file(tmp_path, text, complaint) -> None:
    target = tmp_path / "b.json"
    target.write_text(text)
    with pytest.raises(BaselineError, match=complaint) as info:
        baseline.read_baseline(str(target))
    assert str(target) in str(info.value)


def test_a_missing_baseline_file_is_an_error(tmp_path) -> None:
    with pytest.raises(BaselineError, match="cannot read baseline"):
        baseline.read_baseline(str(tmp_path / "absent.json"))


# --- `parlint check --write-baseline / --baseline`, end to end ----------------------------------

LEGACY = """\
from app.api import fetch_events, fetch_history, fetch_orders, fetch_profile, fetch_stats, fetch_user


async def load(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b


async def report(uid):
    x = await fetch_stats(uid)
    y = await fetch_events(uid)
    return x, y
"""
NEW_CODE = """\


async def audit(uid):
    p = await fetch_profile(uid)
    q = await fetch_history(uid)
    return p, q
"""


def parlint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_parlint("check", "--no-cache", *args, cwd=cwd, input="")


def test_cli_baseline_reports_only_new_findings_and_stale_entries(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    app = pkg / "app.py"
    app.write_text(LEGACY)
    written = parlint(tmp_path, "--write-baseline", "parlint-baseline.json", "pkg")
    assert written.returncode == 0, written.stderr
    assert "Wrote 2 finding(s)" in written.stderr
    recorded = baseline.read_baseline(str(tmp_path / "parlint-baseline.json"))
    assert [(e.path, e.code, e.function) for e in recorded] == [
        ("pkg/app.py", "PAR101", "load"),
        ("pkg/app.py", "PAR101", "report"),
    ]
    # Unchanged code: nothing to report.
    clean = parlint(tmp_path, "--baseline", "parlint-baseline.json", "pkg")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # Lines shift, `report` is fixed, and new code brings a new finding.
    app.write_text(
        "import asyncio\n\n\n"
        + LEGACY.replace(
            "    x = await fetch_stats(uid)\n    y = await fetch_events(uid)\n",
            "    x, y = await asyncio.gather(fetch_stats(uid), fetch_events(uid))\n",
        )
        + NEW_CODE
    )
    # Run from inside the package: baseline paths are relative to the baseline file.
    later = parlint(pkg, "--baseline", "../parlint-baseline.json", "app.py")
    assert later.returncode == 1
    reported = [line for line in later.stdout.splitlines() if " PAR101 " in line]
    assert [line.split(" PAR101 ")[0] for line in reported] == ["app.py:19:5:"]
    assert "stale baseline entry: pkg/app.py: PAR101 in report" in later.stderr
    assert "stale baseline entry: pkg/app.py: PAR101 in load" not in later.stderr


def test_cli_baseline_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(LEGACY)
    missing = parlint(tmp_path, "--baseline", "absent.json", "app.py")
    assert missing.returncode == 2
    assert "absent.json: cannot read baseline" in missing.stderr
    (tmp_path / "bad.json").write_text("[]")
    bad = parlint(tmp_path, "--baseline", "bad.json", "app.py")
    assert bad.returncode == 2
    assert "not a parlint baseline" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr
