"""The result cache: keyed by everything that changes a result, never stale, never a crash."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from parlint import cache as cache_module
from parlint.cache import CACHEDIR_TAG, MAGIC, Cache
from parlint.types import FileResult, Finding, Position, Span

SOURCE_HASH = "0123456789abcdef"
REAL_CODE_FINGERPRINT = cache_module.code_fingerprint


@pytest.fixture(autouse=True)
def stable_code_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other people edit parlint's sources while these tests run: pin the fingerprint so that
    two Cache values made a moment apart agree (its own test uses the real function)."""
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "pinned-for-tests")


def finding(path: str, line: int = 3) -> Finding:
    span = Span(Position(line, 4), Position(line, 20))
    return Finding("PAR101", "sequential-independent-awaits", "2 sequential awaits", path, span)


def result(path: str = "pkg/mod.py") -> FileResult:
    return FileResult(path, (finding(path),))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PARLINT_CACHE_DIR", raising=False)
    return tmp_path / ".parlint_cache"


def entry_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and p.parent.parent != p.parent
            and p.name not in (".gitignore", "CACHEDIR.TAG", "index")]


def test_a_stored_result_comes_back_equal(tmp_path: Path, cache_dir: Path) -> None:
    cache = Cache(tmp_path, ("config-a",))
    assert cache.get("pkg/mod.py", SOURCE_HASH) is None
    cache.put("pkg/mod.py", SOURCE_HASH, result())
    assert cache.get("pkg/mod.py", SOURCE_HASH) == result()
    # A new run with the same settings (a new Cache object) sees it too.
    assert Cache(tmp_path, ("config-a",)).get("pkg/mod.py", SOURCE_HASH) == result()


def test_the_directory_is_ignored_by_git_and_tagged_for_backup_tools(
    tmp_path: Path, cache_dir: Path
) -> None:
    Cache(tmp_path, ()).put("a.py", SOURCE_HASH, result("a.py"))
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache_dir / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert CACHEDIR_TAG.startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_parlint_cache_dir_overrides_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("PARLINT_CACHE_DIR", str(elsewhere))
    Cache(tmp_path / "project", ()).put("a.py", SOURCE_HASH, result("a.py"))
    assert (elsewhere / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / "project" / ".parlint_cache").exists()


@pytest.mark.parametrize(
    "path, content_hash, key_parts",
    [
        pytest.param("pkg/mod.py", "fedcba9876543210", ("config-a",), id="other-content"),
        pytest.param("pkg/other.py", SOURCE_HASH, ("config-a",), id="other-path"),
        pytest.param("pkg/mod.py", SOURCE_HASH, ("config-b",), id="other-configuration"),
    ],
)
def test_anything_that_changes_a_result_misses(
    tmp_path: Path, cache_dir: Path, path: str, content_hash: str, key_parts: tuple[str, ...]
) -> None:
    Cache(tmp_path, ("config-a",)).put("pkg/mod.py", SOURCE_HASH, result())
    assert Cache(tmp_path, key_parts).get(path, content_hash) is None


@pytest.mark.parametrize(
    "function, value",
    [
        pytest.param("_libcst_version", lambda: "0.0.1", id="libcst-version"),
        pytest.param("code_fingerprint", lambda: "edited-rule", id="parlint-sources"),
    ],
)
def test_other_versions_of_the_tools_miss(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, function: str, value
) -> None:
    Cache(tmp_path, ()).put("a.py", SOURCE_HASH, result("a.py"))
    monkeypatch.setattr(cache_module, function, value)
    assert Cache(tmp_path, ()).get("a.py", SOURCE_HASH) is None


def test_another_python_version_misses(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Cache(tmp_path, ()).put("a.py", SOURCE_HASH, result("a.py"))
    monkeypatch.setattr(cache_module.sys, "version_info", (3, 99, 0, "final", 0))
    assert Cache(tmp_path, ()).get("a.py", SOURCE_HASH) is None


def test_the_code_fingerprint_follows_parlints_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_package = tmp_path / "parlint"
    (fake_package / "rules").mkdir(parents=True)
    (fake_package / "cache.py").write_text("# cache\n")
    rule = fake_package / "rules" / "par101.py"
    rule.write_text("A = 1\n")
    monkeypatch.setattr(cache_module, "__file__", str(fake_package / "cache.py"))
    before = REAL_CODE_FINGERPRINT()
    assert REAL_CODE_FINGERPRINT() == before
    rule.write_text("A = 22\n")
    assert REAL_CODE_FINGERPRINT() != before


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a cache entry at all", id="garbage"),
        pytest.param(MAGIC + b"\x80\x05\x95truncated", id="truncated-pickle"),
        pytest.param(MAGIC + pickle.dumps(("another", "tool's", "entry")), id="foreign-tuple"),
        pytest.param(MAGIC + pickle.dumps({"result": 1}), id="foreign-value"),
    ],
)
def test_a_corrupt_or_foreign_entry_is_a_miss_and_is_rewritten(
    tmp_path: Path, cache_dir: Path, payload: bytes
) -> None:
    cache = Cache(tmp_path, ())
    cache.put("a.py", SOURCE_HASH, result("a.py"))
    [entry] = entry_files(cache_dir)
    entry.write_bytes(payload)
    assert cache.get("a.py", SOURCE_HASH) is None
    cache.put("a.py", SOURCE_HASH, result("a.py"))
    assert cache.get("a.py", SOURCE_HASH) == result("a.py")


def test_an_entry_for_another_file_is_not_served(tmp_path: Path, cache_dir: Path) -> None:
    """An entry copied over another one's name (a foreign entry of the same format)."""
    cache = Cache(tmp_path, ())
    cache.put("a.py", SOURCE_HASH, result("a.py"))
    cache.put("b.py", SOURCE_HASH, result("b.py"))
    a_entry = Path(cache._entry_path(cache._entry_key("a.py", SOURCE_HASH)))
    b_entry = Path(cache._entry_path(cache._entry_key("b.py", SOURCE_HASH)))
    a_entry.write_bytes(b_entry.read_bytes())
    assert cache.get("a.py", SOURCE_HASH) is None


def test_results_with_internal_errors_are_not_cached(tmp_path: Path, cache_dir: Path) -> None:
    crashed = FileResult("a.py", (finding("a.py"),), tracebacks=("Traceback ...",))
    cache = Cache(tmp_path, ())
    cache.put("a.py", SOURCE_HASH, crashed)
    assert cache.get("a.py", SOURCE_HASH) is None


def test_an_unwritable_cache_turns_itself_off_without_raising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file-not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("PARLINT_CACHE_DIR", str(blocker))
    cache = Cache(tmp_path, ())
    cache.put("a.py", SOURCE_HASH, result("a.py"))
    assert cache.get("a.py", SOURCE_HASH) is None
    assert cache.enabled is False


def test_the_cache_crosses_a_process_pool(tmp_path: Path, cache_dir: Path) -> None:
    cache = pickle.loads(pickle.dumps(Cache(tmp_path, ("config-a",))))
    cache.put("a.py", SOURCE_HASH, result("a.py"))
    assert Cache(tmp_path, ("config-a",)).get("a.py", SOURCE_HASH) == result("a.py")


def _hammer(args: tuple[Cache, int]) -> int:
    """Write and read the same few entries many times; count bad reads."""
    cache, seed = args
    bad = 0
    for i in range(150):
        name = f"m{(i + seed) % 3}.py"
        cache.put(name, SOURCE_HASH, result(name))
        got = cache.get(name, SOURCE_HASH)
        if got is not None and got != result(name):
            bad += 1
    return bad


def test_concurrent_runs_never_see_a_half_written_entry(tmp_path: Path, cache_dir: Path) -> None:
    # One Cache value handed to every process, as the runner hands it to its workers (a new
    # Cache per process could differ when parlint's sources are edited meanwhile).
    cache = Cache(tmp_path, ("concurrent",))
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(4) as pool:
        bad = pool.map(_hammer, [(cache, seed) for seed in range(4)])
    assert bad == [0, 0, 0, 0]
    for i in range(3):
        assert cache.get(f"m{i}.py", SOURCE_HASH) == result(f"m{i}.py")
    leftovers = [p for p in cache_dir.rglob(".tmp-*")]
    assert leftovers == []


# --- through the command line ---------------------------------------------------------------


ASYNC_SOURCE = "async def main():\n    await fetch_a()\n"


def _check(project: Path, *args: str, select: str = "PAR990"):
    from parlint.cli import cli

    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return runner.invoke(
            cli, ["check", "--isolated", "-j", "1", "--select", select, *args, "."]
        )
    finally:
        os.chdir(cwd)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_rules: None) -> Path:
    monkeypatch.delenv("PARLINT_CACHE_DIR", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(ASYNC_SOURCE)
    return root


def test_a_second_run_is_served_from_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _check(project)
    assert "PAR990" in first.output, first.output
    assert (project / ".parlint_cache" / "CACHEDIR.TAG").is_file()

    import parlint.runner

    def must_not_lint(*args: object, **kwargs: object) -> None:
        raise AssertionError("linted although cached")

    monkeypatch.setattr(parlint.runner, "lint_source", must_not_lint)
    second = _check(project)
    assert second.output == first.output
    assert second.exit_code == first.exit_code == 1


def test_an_edited_file_is_linted_again(project: Path) -> None:
    assert "PAR990" in _check(project).output
    (project / "app.py").write_text("async def main():\n    await other()\n")
    second = _check(project)
    assert "PAR990" not in second.output
    assert second.exit_code == 0


def test_no_cache_neither_reads_nor_writes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _check(project, "--no-cache")
    assert "PAR990" in result.output
    assert not (project / ".parlint_cache").exists()


def test_a_changed_selection_is_not_served_stale_results(project: Path) -> None:
    assert "PAR990" in _check(project).output
    from parlint.cli import cli

    cwd = os.getcwd()
    os.chdir(project)
    try:
        other = CliRunner().invoke(cli, ["check", "--isolated", "-j", "1", "--select", "PAR991",
                                         "."])
    finally:
        os.chdir(cwd)
    assert "PAR990" not in other.output


def test_a_file_without_async_or_await_never_enters_the_cache(project: Path) -> None:
    """Its result is a substring test away: hashing it and reading an entry would cost more."""
    (project / "plain.py").write_text("def f(items):\n    return sorted(items)\n")
    _check(project)
    assert len(entry_files(project / ".parlint_cache")) == 1  # app.py's only
