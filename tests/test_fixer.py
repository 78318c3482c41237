"""The fixer: rounds of non-overlapping fixes, verification and revert, safety levels, imports,
file writes (encoding, BOM, newlines, mode, symlinks, generated files) and `parlint fix`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import libcst as cst
import pytest

from parlint import registry
from parlint.cli import main
from parlint.config import Config
from parlint.fixer import fix_file, fix_source, non_overlapping
from parlint.rules.base import FixSpec, Replacement, Rule
from parlint.types import Safety

DOC = """
    ## What it does
    Test double.
"""


def _call_name(node: cst.Await) -> str | None:
    call = node.expression
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name):
        return call.func.value
    return None


def _renaming(code: str, old: str, new: str, safety: Safety, imports=()) -> type[Rule]:
    """A rule that renames `await <old>()` to `await <new>()` with the given safety."""

    class Renaming(Rule):
        __doc__ = DOC

        def visit_Await(self, node: cst.Await) -> None:
            if _call_name(node) == old:
                call = node.expression.with_changes(func=cst.Name(new))
                fix = FixSpec(f"rename {old}", safety, (Replacement(node.expression, call),), imports)
                self.report(node, f"{old} should be {new}", fix=fix)

    Renaming.code, Renaming.name = code, f"rename-{old}"
    return Renaming


SAFE = _renaming("PAR971", "a", "b", Safety.SAFE)
SAFE_NEXT = _renaming("PAR972", "b", "c", Safety.SAFE)  # applies to what SAFE produced
UNSAFE = _renaming("PAR973", "u", "v", Safety.UNSAFE)
DISPLAY = _renaming("PAR974", "d", "e", Safety.DISPLAY_ONLY)
IMPORTING = _renaming("PAR975", "i", "j", Safety.SAFE, imports=(("asyncio", None, None),))
CYCLE_1 = _renaming("PAR976", "x", "y", Safety.SAFE)
CYCLE_2 = _renaming("PAR977", "y", "x", Safety.SAFE)


class Breaking(Rule):
    """Its fix puts a `return` at module level: parses, does not compile."""

    __doc__ = DOC
    code, name = "PAR978", "breaking"

    def visit_Module(self, node: cst.Module) -> None:
        for statement in node.body:
            if isinstance(statement, cst.SimpleStatementLine) and "breakme" in node.code_for_node(statement):
                fix = FixSpec("break it", Safety.SAFE, (Replacement(statement, cst.parse_statement("return 1\n")),))
                self.report(statement, "breakme", fix=fix)


def run(source: str, *rules: type[Rule], unsafe: bool = False, **kw):
    return fix_source(source, "m.py", Config(), unsafe=unsafe, rule_classes=list(rules), **kw)


def test_safe_fixes_only_by_default_and_never_display_only() -> None:
    source = "async def f():\n    await a()\n    await u()\n    await d()\n"
    result = run(source, SAFE, UNSAFE, DISPLAY)
    assert result.fixed == "async def f():\n    await b()\n    await u()\n    await d()\n"
    assert [f.code for f in result.applied] == ["PAR971"]
    assert sorted(f.code for f in result.remaining) == ["PAR973", "PAR974"]
    result = run(source, SAFE, UNSAFE, DISPLAY, unsafe=True)
    assert result.fixed == "async def f():\n    await b()\n    await v()\n    await d()\n"
    assert [f.code for f in result.remaining] == ["PAR974"]


def test_rounds_repeat_until_nothing_changes() -> None:
    result = run("async def f():\n    await a()\n", SAFE, SAFE_NEXT)
    assert result.fixed == "async def f():\n    await c()\n"
    assert [f.code for f in result.applied] == ["PAR971", "PAR972"]
    assert result.remaining == ()


def test_rounds_are_capped() -> None:
    result = run("async def f():\n    await x()\n", CYCLE_1, CYCLE_2, max_rounds=5)
    assert len(result.applied) == 5


def test_overlapping_fixes_wait_for_the_next_round() -> None:
    source = "async def f():\n    await a(1)\n    await a(2)\n"
    from parlint.engine import analyse

    found = analyse(source, "m.py", Config(), rule_classes=[SAFE, _renaming("PAR979", "a", "z", Safety.SAFE)])
    chosen = non_overlapping(found.result.findings)
    assert [(f.code, f.line) for f in chosen] == [("PAR971", 2), ("PAR971", 3)]
    # the same two rules through the fixer: PAR971 wins both places in round one
    result = run(source, SAFE, _renaming("PAR979", "a", "z", Safety.SAFE))
    assert result.fixed == "async def f():\n    await b(1)\n    await b(2)\n"


def test_imports_are_added_once() -> None:
    result = run("async def f():\n    await i()\n    await i()\n", IMPORTING)
    assert result.fixed == "import asyncio\n\nasync def f():\n    await j()\n    await j()\n"


def test_a_round_that_breaks_the_code_is_reverted_and_reported() -> None:
    source = "breakme = 1\nasync def f():\n    await a()\n"
    result = run(source, SAFE, Breaking)
    assert result.fixed == "breakme = 1\nasync def f():\n    await b()\n"  # the good fix stays
    assert [f.code for f in result.errors] == ["PAR999"]
    error = result.errors[0]
    assert "PAR978" in error.message and "m.py" in error.message and "compile" in error.message
    compile(result.fixed, "m.py", "exec")


def test_unparsable_source_is_returned_unchanged_with_par000() -> None:
    result = fix_source("async def f(:\n", "m.py", Config(), rule_classes=[SAFE])
    assert result.fixed == result.original and [f.code for f in result.errors] == ["PAR000"]


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def fake_fix_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = registry._load()
    for rule in (SAFE, UNSAFE, DISPLAY, IMPORTING):
        monkeypatch.setitem(rules, rule.code, rule)


SELECT = Config(select=("PAR971", "PAR973", "PAR974", "PAR975"))


def test_file_keeps_crlf_bom_and_mode(tmp_path: Path, fake_fix_rules) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbfasync def f():\r\n    await a()\r\n    await i()\r\n")
    path.chmod(0o751)
    outcome = fix_file(str(path), SELECT, roots=[str(tmp_path)])
    assert outcome.written
    assert path.read_bytes() == (
        b"\xef\xbb\xbfimport asyncio\r\n\r\nasync def f():\r\n    await b()\r\n    await j()\r\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert sorted(os.listdir(tmp_path)) == ["m.py"]  # no temporary file left


def test_file_keeps_a_declared_encoding(tmp_path: Path, fake_fix_rules) -> None:
    path = tmp_path / "m.py"
    path.write_bytes("# -*- coding: latin-1 -*-\nasync def f():\n    s = 'caf\xe9'\n    await a()\n".encode("latin-1"))
    assert fix_file(str(path), SELECT).written
    assert path.read_bytes().decode("latin-1").endswith("s = 'caf\xe9'\n    await b()\n")


def test_unchanged_file_is_not_touched(tmp_path: Path, fake_fix_rules) -> None:
    path = tmp_path / "m.py"
    path.write_text("async def f():\n    await u()\n")
    os.utime(path, (1_000_000, 1_000_000))
    outcome = fix_file(str(path), SELECT)
    assert not outcome.written and path.stat().st_mtime == 1_000_000


def test_generated_files_are_skipped_unless_asked(tmp_path: Path, fake_fix_rules) -> None:
    path = tmp_path / "m.py"
    path.write_text("# @generated by a tool\nasync def f():\n    await a()\n")
    assert fix_file(str(path), SELECT).skipped == "generated"
    assert "await a()" in path.read_text()
    assert fix_file(str(path), SELECT, include_generated=True).written


def test_symlink_outside_the_given_paths_is_not_written(tmp_path: Path, fake_fix_rules) -> None:
    outside, inside = tmp_path / "outside", tmp_path / "inside"
    outside.mkdir()
    inside.mkdir()
    target = outside / "real.py"
    target.write_text("async def f():\n    await a()\n")
    link = inside / "link.py"
    link.symlink_to(target)
    outcome = fix_file(str(link), SELECT, roots=[str(inside)])
    assert not outcome.written and "symlink" in outcome.errors[0].message
    assert "await a()" in target.read_text() and link.is_symlink()
    outcome = fix_file(str(link), SELECT, roots=[str(tmp_path)])
    assert outcome.written and "await b()" in target.read_text() and link.is_symlink()


# --- the command ----------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> int:
    return main(["fix", "--isolated", "--no-cache", "--select", "PAR971,PAR973,PAR974", *args, str(tmp_path)])


def test_fix_command_summary_and_exit_codes(tmp_path: Path, fake_fix_rules, capsys) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    await a()\n    await u()\n")
    (tmp_path / "n.py").write_text("async def g():\n    await a()\n")
    assert _cli(tmp_path) == 1
    out = capsys.readouterr().out
    assert out.endswith("Fixed 2 findings in 2 files (1 remaining; 1 more with --unsafe-fixes)\n")
    assert _cli(tmp_path, "--unsafe-fixes") == 0
    assert capsys.readouterr().out.endswith("Fixed 1 finding in 1 file (0 remaining)\n")


def test_diff_writes_nothing(tmp_path: Path, fake_fix_rules, capsys) -> None:
    path = tmp_path / "m.py"
    path.write_text("async def f():\n    await a()\n")
    assert _cli(tmp_path, "--diff") == 1
    out = capsys.readouterr().out
    assert "-    await a()\n+    await b()\n" in out
    assert path.read_text() == "async def f():\n    await a()\n"
    assert _cli(tmp_path) == 0
    assert _cli(tmp_path, "--diff") == 0


def test_show_fixes_lists_applied_fixes(tmp_path: Path, fake_fix_rules, capsys) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    await a()\n")
    assert _cli(tmp_path, "--show-fixes") == 0
    assert "m.py:2:5: PAR971 [safe] rename a" in capsys.readouterr().out


def test_fix_command_exits_2_on_unparsable_files(tmp_path: Path, fake_fix_rules, capsys) -> None:
    (tmp_path / "bad.py").write_text("async def f(:\n")
    assert main(["fix", "--isolated", "--no-cache", str(tmp_path)]) == 2


def test_json_output_lists_remaining_findings_and_keeps_stdout_clean(
    tmp_path: Path, fake_fix_rules, capsys
) -> None:
    import json

    (tmp_path / "m.py").write_text("async def f():\n    await a()\n    await u()\n")
    assert _cli(tmp_path, "--output-format", "json") == 1
    captured = capsys.readouterr()
    assert [f["code"] for f in json.loads(captured.out)] == ["PAR973"]
    assert "Fixed 1 finding in 1 file (1 remaining; 1 more with --unsafe-fixes)" in captured.err
