"""Results that used facts of other files of the project (an imported coroutine that awaits
nothing) record them, and the cache serves such a result only while those files are unchanged;
every front end (check, flake8, fix, explain) gets the same facts from the one engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cache import _check

from parlint import cache as cache_module
from parlint import runner as runner_module
from parlint.analysis import project as project_module
from parlint.cache import Cache, current_dependencies
from parlint.types import Dependency, FileResult

JOBS = (
    "from app.helpers import describe\n\n\n"
    "async def summaries(items):\n"
    "    return [await describe(item) for item in items]\n"
)
IN_MEMORY = "async def describe(item):\n    return {'name': item.name}\n"
FETCHING = "async def describe(item):\n    return await item.fetch_details()\n"


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other people edit parlint's sources while these tests run (see test_cache.py).
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "pinned-for-tests")
    monkeypatch.delenv("PARLINT_CACHE_DIR", raising=False)
    project_module.clear_module_cache()


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "helpers.py").write_text(IN_MEMORY)
    (root / "app" / "jobs.py").write_text(JOBS)
    return root


def check(root: Path) -> str:
    result = _check(root, select="PAR102")
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.mark.parametrize("trust_stats", [False, True], ids=["fresh-files", "settled-files"])
def test_editing_the_imported_module_changes_the_cached_result(
    app: Path, monkeypatch: pytest.MonkeyPatch, trust_stats: bool
) -> None:
    if trust_stats:
        # Files written a moment ago are "racy" (their content decides); settled ones are
        # judged by their stat alone, through the stat index.
        monkeypatch.setattr(runner_module, "RACY_NS", 0)
        monkeypatch.setattr(project_module, "RACY_NS", 0)
    helpers = app / "app" / "helpers.py"
    assert "PAR102" not in check(app)  # describe awaits nothing
    helpers.write_text(FETCHING)
    assert "app/jobs.py:5:12: PAR102" in check(app)
    helpers.write_text(IN_MEMORY)
    assert "PAR102" not in check(app)
    helpers.unlink()  # vanished: unknown, as any unresolved name
    assert "app/jobs.py:5:12: PAR102" in check(app)
    helpers.write_text(IN_MEMORY)  # appeared again
    assert "PAR102" not in check(app)


def test_an_unchanged_project_is_served_without_linting(
    app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "RACY_NS", 0)
    monkeypatch.setattr(project_module, "RACY_NS", 0)
    first = check(app)

    def must_not_lint(*args: object, **kwargs: object) -> None:
        raise AssertionError("linted although nothing changed")

    monkeypatch.setattr(runner_module, "lint_source", must_not_lint)
    assert check(app) == first


def test_a_module_that_appears_invalidates_the_result(tmp_path: Path) -> None:
    missing = tmp_path / "later.py"
    result = FileResult("jobs.py", dependencies=(Dependency(str(missing)),))
    assert current_dependencies(result, by_content=False) is result
    missing.write_text("")
    assert current_dependencies(result, by_content=True) is None


def test_a_recent_dependency_is_checked_by_content_and_then_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "helpers.py"
    module.write_text(IN_MEMORY)
    stat = project_module.stat_of(str(module))
    digest = project_module.content_digest(module.read_bytes())
    racy = FileResult("jobs.py", dependencies=(Dependency(str(module), digest, stat, True),))
    assert current_dependencies(racy, by_content=False) is None  # the stat index cannot tell
    monkeypatch.setattr(project_module, "RACY_NS", 0)
    served = current_dependencies(racy, by_content=True)
    assert served is not None and served.dependencies == (
        Dependency(str(module), digest, stat, False),)
    module.write_text(FETCHING)
    assert current_dependencies(served, by_content=True) is None


def test_the_content_addressed_entry_checks_dependencies(tmp_path: Path) -> None:
    module = tmp_path / "helpers.py"
    module.write_text(IN_MEMORY)
    stat = project_module.stat_of(str(module))
    digest = project_module.content_digest(module.read_bytes())
    result = FileResult("jobs.py", dependencies=(Dependency(str(module), digest, stat),))
    cache = Cache(tmp_path, ("deps",))
    cache.put("jobs.py", "0123", result)
    assert cache.get("jobs.py", "0123") == result
    module.write_text(FETCHING)
    assert cache.get("jobs.py", "0123") is None


# --- one engine, the same facts for every front end -----------------------------------------


def test_flake8_fix_and_explain_see_the_imported_module(app: Path) -> None:
    from parlint.cli.explain import explain_source
    from parlint.config import Config
    from parlint.engine import lint_source
    from parlint.fixer import fix_source
    from parlint.flake8_plugin import Plugin

    jobs = str(app / "app" / "jobs.py")
    config = Config(select=("ALL",))
    lines = JOBS.splitlines(keepends=True)
    assert list(Plugin(None, lines, jobs).run()) == []
    assert fix_source(JOBS, jobs, config, unsafe=True).fixed == JOBS
    assert "`describe` awaits nothing" in explain_source(JOBS, jobs, 5, config)
    assert lint_source(JOBS, jobs, config).dependencies  # recorded for the cache

    (app / "app" / "helpers.py").write_text(FETCHING)
    assert [r[2][:6] for r in Plugin(None, lines, jobs).run()] == ["PAR102"]
    assert fix_source(JOBS, jobs, config, unsafe=True).fixed != JOBS
    assert "awaits nothing" not in explain_source(JOBS, jobs, 5, config)
