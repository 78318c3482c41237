"""`add_noqa`: the pure function behind `parlint check --add-noqa`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_parlint

from parlint.add_noqa import add_noqa, add_noqa_outcome
from parlint.noqa import is_suppressed
from parlint.types import Finding, Position, Span


def finding(line: int, code: str = "PAR101", column: int = 4) -> Finding:
    pos = Position(line, column)
    return Finding(code, "name", "message", "x.py", Span(pos, pos))


@pytest.mark.parametrize(
    ("before", "findings", "after"),
    [
        pytest.param(
            "async def f():\n    a = await x()\n",
            [finding(2)],
            "async def f():\n    a = await x()  # noqa: PAR101\n",
            id="plain line",
        ),
        pytest.param(
            "a = await x()   \n",
            [finding(1)],
            "a = await x()  # noqa: PAR101\n",
            id="trailing whitespace replaced",
        ),
        pytest.param(
            "a = await x()  # noqa: E501\n",
            [finding(1)],
            "a = await x()  # noqa: E501, PAR101\n",
            id="merged into existing noqa codes",
        ),
        pytest.param(
            "a = await x()  # noqa:E501,F401 trailing words\n",
            [finding(1)],
            "a = await x()  # noqa: E501, F401, PAR101 trailing words\n",
            id="merged keeps text after the directive",
        ),
        pytest.param(
            "a = await x()  # the user fetch\n",
            [finding(1)],
            "a = await x()  # the user fetch  # noqa: PAR101\n",
            id="after another comment",
        ),
        pytest.param(
            "a = await x()  # noqa\n",
            [finding(1)],
            "a = await x()  # noqa\n",
            id="bare noqa already covers",
        ),
        pytest.param(
            "a = await x()  # noqa: PAR1\n",
            [finding(1)],
            "a = await x()  # noqa: PAR1\n",
            id="prefix already covers",
        ),
        pytest.param(
            "a = await x()\r\nb = await y()\r\n",
            [finding(1), finding(2, "PAR102"), finding(2, "PAR201", 8)],
            "a = await x()  # noqa: PAR101\r\nb = await y()  # noqa: PAR102, PAR201\r\n",
            id="crlf kept, several codes on one line sorted",
        ),
        pytest.param(
            "a = await x()",
            [finding(1)],
            "a = await x()  # noqa: PAR101",
            id="no final newline",
        ),
        pytest.param(
            "for u in users:\n    await save(u)\n",
            [finding(1, "PAR102", 0), finding(1, "PAR102", 0)],
            "for u in users:  # noqa: PAR102\n    await save(u)\n",
            id="same code twice written once",
        ),
    ],
)
def test_add_noqa(before: str, findings: list[Finding], after: str) -> None:
    assert add_noqa(before, findings) == after
    # Idempotent: a second pass with the same findings changes nothing.
    assert add_noqa(after, findings) == after
    # And the result suppresses every finding the way the engine and flake8 match noqa.
    lines = after.splitlines()
    assert all(is_suppressed(f.code, lines[f.line - 1]) for f in findings)


def test_never_writes_inside_a_multiline_string() -> None:
    source = 'a = await f("""\n    text\n""")\nb = await g()\n'
    outcome = add_noqa_outcome(source, [finding(1), finding(2), finding(4)])
    assert outcome.source == 'a = await f("""\n    text\n""")\nb = await g()  # noqa: PAR101\n'
    assert [f.line for f in outcome.unplaced] == [1, 2]
    assert outcome.added == 1


def test_never_writes_after_a_backslash_continuation() -> None:
    source = "a = await f() + \\\n    await g()\n"
    outcome = add_noqa_outcome(source, [finding(1), finding(2)])
    assert outcome.source == "a = await f() + \\\n    await g()  # noqa: PAR101\n"
    assert [f.line for f in outcome.unplaced] == [1]


def test_the_closing_line_of_a_multiline_string_takes_the_comment() -> None:
    source = 'x = """\ntext\n"""\n'
    assert add_noqa(source, [finding(3)]) == 'x = """\ntext\n"""  # noqa: PAR101\n'


def test_untokenizable_source_is_left_alone() -> None:
    source = 'a = await f("""\n'
    outcome = add_noqa_outcome(source, [finding(1)])
    assert outcome.source == source
    assert outcome.added == 0
    assert len(outcome.unplaced) == 1


def test_a_noqa_inside_a_string_is_not_rewritten() -> None:
    source = 'a = await log("# noqa: E501")\n'
    # The line already "contains" a noqa for E501 only (flake8 matches the raw line); the new
    # directive goes into a real comment, never into the string.
    assert add_noqa(source, [finding(1)]) == 'a = await log("# noqa: E501")  # noqa: PAR101\n'


# --- `parlint check --add-noqa`, end to end -----------------------------------------------------

# Two independent awaits of known (imported) coroutines: PAR101 does not group awaits of
# callables it knows nothing about.
SEQUENTIAL = """\
from app.api import fetch_orders, fetch_user


async def load(uid):
    a = await fetch_user(uid)  # noqa: E501
    b = await fetch_orders(uid)
    return a, b
"""


def parlint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_parlint(*args, cwd=cwd, input="")


def test_cli_add_noqa_suppresses_every_finding_once(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_bytes(SEQUENTIAL.replace("\n", "\r\n").encode())
    assert parlint(tmp_path, "check", "--no-cache", "app.py").returncode == 1
    added = parlint(tmp_path, "check", "--no-cache", "--add-noqa", "app.py")
    assert added.returncode == 0, added.stderr
    assert "Added 1 noqa directive(s) to 1 file(s)." in added.stderr
    fixed = app.read_bytes()
    assert b"    a = await fetch_user(uid)  # noqa: E501, PAR101\r\n" in fixed
    assert fixed.count(b"\r\n") == 7 and b"\n" not in fixed.replace(b"\r\n", b"")
    # Both front ends now agree that nothing is left, and a second pass changes nothing.
    assert parlint(tmp_path, "check", "--no-cache", "app.py").returncode == 0
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "PAR", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (flake8.returncode, flake8.stdout) == (0, "")
    again = parlint(tmp_path, "check", "--no-cache", "--add-noqa", "app.py")
    assert again.returncode == 0
    assert "Added 0 noqa directive(s)" in again.stderr
    assert app.read_bytes() == fixed


def test_cli_add_noqa_never_silences_a_parse_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("async def load(uid:\n    await fetch(uid)\n")
    result = parlint(tmp_path, "check", "--no-cache", "--add-noqa", "broken.py")
    assert result.returncode == 1
    assert "PAR000" in result.stderr
    assert broken.read_text() == "async def load(uid:\n    await fetch(uid)\n"


def test_cli_add_noqa_refuses_stdin_and_baselines(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SEQUENTIAL)
    both = parlint(tmp_path, "check", "--add-noqa", "--baseline", "b.json", "app.py")
    assert both.returncode == 2
    assert "cannot be combined" in both.stderr
    stdin = parlint(tmp_path, "check", "--add-noqa", "-")
    assert stdin.returncode == 2


# --- invariants: a noqa on every line never changes what the code means -------------------------


def every_line(source: str) -> list[Finding]:
    return [finding(number) for number in range(1, source.count("\n") + 2)]


def assert_meaning_kept(source: str) -> None:
    try:
        before = ast.dump(ast.parse(source))
    except (SyntaxError, ValueError):
        return
    outcome = add_noqa_outcome(source, every_line(source))
    assert ast.dump(ast.parse(outcome.source)) == before
    # Every line that got no comment is one where a comment cannot go.
    lines = outcome.source.splitlines()
    placed = {f.line for f in every_line(source)} - {f.line for f in outcome.unplaced}
    assert all(is_suppressed("PAR101", lines[n - 1]) for n in placed if n <= len(lines))
    assert add_noqa(outcome.source, every_line(source)) == outcome.source


TRICKY = [
    'x = f"""\n{a}\n"""\n',
    "s = '''a\n# noqa\nb'''\n",
    "x = (1 +\n     2)  # note\n",
    "if a:  \\\n  pass\n",
    "def f(\n    a,  # first\n    b,\n):\n    return a\n",
    "x = 1\r\ny = '''\r\n'''\r\n",
    "# comment \\\nx = 1\n",
    "x = [\n    '''\n    ''', 2,\n]\n",
    "class A:\n    '''doc\n    string'''\n",
]


@pytest.mark.parametrize("source", TRICKY)
def test_noqa_on_every_line_keeps_the_code_meaning(source: str) -> None:
    assert_meaning_kept(source)


CORPUS = Path("/work/corpus")


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs the benchmark corpus")
def test_noqa_on_every_line_of_real_files_keeps_their_meaning() -> None:
    files = sorted(CORPUS.glob("*/**/*.py"))[::97][:120]
    assert files
    for path in files:
        assert_meaning_kept(path.read_text(encoding="utf-8", errors="replace"))
