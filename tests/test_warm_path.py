"""The warm path: the cache's stat index answers for unchanged files without reading them, any
change (or doubt) sends a file back through the content hash, and a run that the cache answers
imports neither libcst nor the rules (the rule index stands in for them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parlint import registry, runner
from parlint.cache import Cache
from parlint.config import build_config
from parlint.runner import LintSettings, lint_files

ROOT = Path(__file__).resolve().parent.parent
CONFIG = build_config({"select": ("ALL",)})
SEQUENTIAL = (
    "async def load(client: ShopClient):\n"
    "    user = await client.get_user()\n"
    "    orders = await client.get_orders()\n"
    "    return user, orders\n"
)


def test_the_rule_index_is_current() -> None:
    index = (ROOT / "parlint" / "rule_index.py").read_text(encoding="utf-8")
    assert index == registry.render_index(), "run: python scripts/generate_rule_index.py"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLINT_CACHE_DIR", str(tmp_path / "cache"))
    Path("a.py").write_text(SEQUENTIAL)
    Path("b.py").write_text("def plain():\n    return 1\n")
    Path("c.py").write_text("async def f(:\n")
    return ["a.py", "b.py", "c.py"]


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = runner.read_source

    def counted(path: str):  # type: ignore[no-untyped-def]
        reads.append(path)
        return real(path)

    monkeypatch.setattr(runner, "read_source", counted)
    return reads


def test_unchanged_files_are_answered_without_being_read(
    files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "RACY_NS", 0)  # the files were just written
    reads = _counting_reads(monkeypatch)
    settings = LintSettings(CONFIG, cache=Cache("."))
    cold = lint_files(files, settings, jobs=1)
    assert reads == files
    warm = lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1)
    assert reads == files  # nothing read again
    assert warm == cold
    assert lint_files(files, LintSettings(CONFIG), jobs=1) == cold  # as without a cache


def test_a_change_that_keeps_size_and_mtime_is_seen(
    files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "RACY_NS", 0)  # only the stat can tell
    before = os.stat("a.py")
    first = lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1)
    Path("a.py").write_text(SEQUENTIAL.replace("get_user", "get_uzer"))
    os.utime("a.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat("a.py").st_size == before.st_size
    second = lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1)
    assert [f.message for f in first[0].findings] != [f.message for f in second[0].findings]
    assert second == lint_files(files, LintSettings(CONFIG), jobs=1)


def test_a_recently_changed_file_is_checked_by_its_content(
    files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1)
    reads = _counting_reads(monkeypatch)
    again = lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1)
    assert reads == files  # written just now: the stat alone is not trusted
    assert again == lint_files(files, LintSettings(CONFIG), jobs=1)


def test_a_corrupt_index_is_a_miss_and_is_rewritten(
    files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "RACY_NS", 0)
    cache = Cache(".")
    expected = lint_files(files, LintSettings(CONFIG, cache=cache), jobs=1)
    index = Path(cache.stat_index().path)
    index.write_bytes(b"parlint-index 1\n\x80garbage")
    assert lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1) == expected
    reads = _counting_reads(monkeypatch)
    assert lint_files(files, LintSettings(CONFIG, cache=Cache(".")), jobs=1) == expected
    assert reads == []  # rewritten whole by the run before


WARM_RUN = """
import sys
from parlint.cli import main
code = main(["check", "--isolated", "."])
print("libcst" in sys.modules, "parlint.engine" in sys.modules, code)
"""


def test_a_run_answered_by_the_cache_imports_neither_libcst_nor_the_rules(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(SEQUENTIAL)
    (tmp_path / "b.py").write_text("def plain():\n    return 1\n")
    time.sleep(runner.RACY_NS / 1e9 + 0.1)  # old enough for the stat index to trust alone
    env = {**os.environ, "PARLINT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    env.pop("PARLINT_OUTPUT_FORMAT", None)

    def run() -> str:
        return subprocess.run([sys.executable, "-c", WARM_RUN], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=True).stdout

    cold = run().splitlines()
    assert cold[-1] == "True True 1"  # fills the cache
    warm = run().splitlines()
    assert warm[-1] == "False False 1"
    assert warm[:-1] == cold[:-1] and "PAR101" in warm[0]
