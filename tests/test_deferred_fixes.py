"""`check` without JSON output does not render fixes (`Fix.deferred`): same findings, same
"fixable" counts, and a result cached without edits never reaches a run that shows them."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import invoke
from parlint.config import build_config
from parlint.engine import lint_source
from parlint.output import format_statistics, format_text
from parlint.runner import LintSettings, lint_file
from parlint.types import FileResult

SOURCE = (
    "import asyncio\n\n\n"
    "async def load_dashboard(client: ShopClient):\n"
    "    user = await client.get_user()\n"
    "    orders = await client.get_orders()\n"
    "    return user, orders\n"
)
CONFIG = build_config({"select": ("ALL",)})


def test_deferred_fixes_give_the_same_findings_and_fixable_counts() -> None:
    built = lint_source(SOURCE, "m.py", CONFIG)
    deferred = lint_source(SOURCE, "m.py", CONFIG, build_fixes=False)
    assert [f.fix.edits != () for f in built.findings if f.fix] == [True]
    assert [f.fix.deferred for f in deferred.findings if f.fix] == [True]
    assert [f.fix.edits for f in deferred.findings if f.fix] == [()]
    strip = lambda r: [(f.code, f.span, f.message, f.fix.message, f.fix.safety, f.fix.applicable)  # noqa: E731
                       for f in r.findings if f.fix]
    assert strip(built) == strip(deferred)
    assert format_text(built.findings) == format_text(deferred.findings)
    assert format_statistics(built.findings) == format_statistics(deferred.findings)


class DictCache:
    def __init__(self) -> None:
        self.store: dict[tuple[str, str], FileResult] = {}

    def get(self, path: str, content_hash: str) -> FileResult | None:
        return self.store.get((path, content_hash))

    def put(self, path: str, content_hash: str, result: FileResult) -> None:
        self.store[(path, content_hash)] = result


def test_a_result_cached_without_edits_is_recomputed_for_a_run_that_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    cache = DictCache()
    text_run = LintSettings(CONFIG, cache=cache, build_fixes=False)
    json_run = LintSettings(CONFIG, cache=cache, build_fixes=True)
    first = lint_file(str(path), text_run)
    assert first.findings[0].fix.deferred
    with_edits = lint_file(str(path), json_run)
    assert with_edits == lint_source(SOURCE, str(path), CONFIG)  # recomputed, not the entry
    (stored,) = cache.store.values()
    assert stored == with_edits  # the full result replaces the entry...
    assert lint_file(str(path), text_run) is stored  # ...and serves the runs without edits


def test_check_json_shows_edits_after_a_text_run_filled_the_cache(
    tmp_path: Path, monkeypatch: object
) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    monkeypatch.setenv("PARLINT_CACHE_DIR", str(tmp_path / "cache"))  # type: ignore[attr-defined]
    cold_json = invoke("check", "--isolated", "--no-cache", "--output-format", "json", ".").stdout
    text = invoke("check", "--isolated", ".").stdout
    assert "1 fixable with `parlint fix`" in text
    assert invoke("check", "--isolated", ".").stdout == text  # warm
    warm_json = invoke("check", "--isolated", "--output-format", "json", ".").stdout
    assert warm_json == cold_json
    assert json.loads(warm_json)[0]["fix"]["edits"]
