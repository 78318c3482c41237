"""The engine's pre-filter skips parsing only where no rule could report: it never loses a finding.
(Its statement-level walk, which replaces libcst's full traversal when the rules only visit
statements, is checked here too: the same visits, the same findings.)

Checked three ways: every rule's own INVALID examples pass its candidate scan; every fixture and
a sample of the public corpus give the same findings with and without the pre-filter; and the
filter does skip what it should (a file without async/await, a file without candidate shapes),
while a broken file it skips still gets its PAR000.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from parlint import engine
from parlint.config import Config
from parlint.engine import CANDIDATE_SCANS, lint_source, may_have_findings, read_source
from parlint.registry import all_rules
from parlint.types import Finding
from test_fixtures import fixture_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("*.py"))
ALL = Config(select=("ALL",))


def without_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "may_have_findings", lambda source, codes=None: True)


def _findings_both_ways(
    source: str, path: str, config: Config, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    filtered = lint_source(source, path, config).findings
    with monkeypatch.context() as patch:
        without_prefilter(patch)
        everything = lint_source(source, path, config).findings
    return filtered, everything


def test_every_scan_belongs_to_a_registered_rule() -> None:
    assert set(CANDIDATE_SCANS) <= set(all_rules())


@pytest.mark.parametrize(
    "code, example",
    [
        pytest.param(code, invalid, id=f"{code}-{i}")
        for code, rule in sorted(all_rules().items())
        if code in CANDIDATE_SCANS
        for i, invalid in enumerate(rule.INVALID)
    ],
)
def test_every_invalid_example_passes_its_rules_scan(code: str, example) -> None:
    source = textwrap.dedent(example.code)
    assert may_have_findings(source, [code])
    assert CANDIDATE_SCANS[code](source)


def _fixture(path: Path) -> tuple[str, str, Config]:
    decoded = read_source(str(path))
    assert not isinstance(decoded, Finding)
    name = path.relative_to(ROOT).as_posix()
    return decoded.source, name, fixture_config(decoded.source, name)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_a_fixture_gives_the_same_findings_with_and_without_the_prefilter(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, name, config = _fixture(path)
    filtered, everything = _findings_both_ways(source, name, config, monkeypatch)
    assert filtered == everything
    for finding in everything:
        assert may_have_findings(source, [finding.code]), finding


def _corpus_root() -> Path | None:
    for candidate in (
        os.environ.get("PARLINT_CORPUS"),
        ROOT / "bench" / ".corpus",
        Path("/work/corpus"),
    ):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).iterdir()):
            return Path(candidate)
    return None


def _corpus_sample(limit: int = 100, max_bytes: int = 20_000) -> list[Path]:
    """A deterministic spread of smallish corpus files that mention async or await: a quarter
    that the pre-filter skips, the rest await-heavy ones (where the rules do report)."""
    root = _corpus_root()
    if root is None:
        return []
    codes = [code for code, rule in all_rules().items() if rule.visits]
    skipped, parsed = [], []
    for path in sorted(root.rglob("*.py")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) > max_bytes or (b"async" not in data and b"await" not in data):
            continue
        text = data.decode("utf-8", "replace")
        if not may_have_findings(text, codes):
            skipped.append(path)
        elif text.count("await") >= 6:
            parsed.append(path)
    pick = limit // 4
    return skipped[:: max(1, len(skipped) // pick)][:pick] + parsed[
        :: max(1, len(parsed) // (limit - pick))
    ][: limit - pick]


CORPUS_SAMPLE = _corpus_sample()


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_SAMPLE, reason="no corpus: run python bench/build_corpus.py")
def test_a_corpus_sample_gives_the_same_findings_with_and_without_the_prefilter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    differences = []
    for path in CORPUS_SAMPLE:
        decoded = read_source(str(path))
        if isinstance(decoded, Finding):
            continue
        filtered, everything = _findings_both_ways(decoded.source, path.name, ALL, monkeypatch)
        if filtered != everything:
            differences.append(f"{path}: {everything} != {filtered}")
        with monkeypatch.context() as patch:  # libcst's full traversal instead of the walk
            patch.setattr(engine, "STATEMENT_LEVEL_VISITS", frozenset())
            full_traversal = lint_source(decoded.source, path.name, ALL).findings
        if full_traversal != filtered:
            differences.append(f"{path}: traversal: {full_traversal} != {filtered}")
        # Each rule's own scan must pass where that rule reports (another rule's scan passing
        # on the same file must not hide a scan that is too strict).
        for finding in everything:
            if not may_have_findings(decoded.source, [finding.code]):
                differences.append(f"{path}: the {finding.code} scan would skip {finding}")
    assert differences == []


# --- what it skips ------------------------------------------------------------------------------


def _parse_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(source: str, path: str):
        raise AssertionError("parsed although no rule could report")

    monkeypatch.setattr(engine, "parse", parse)


def test_a_file_without_async_or_await_is_never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    _parse_must_not_run(monkeypatch)
    source = "def f(items):\n    for item in items:\n        print(item)\n"
    assert lint_source(source, "plain.py", ALL).findings == ()


def test_a_file_without_a_candidate_shape_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """One await and no loop: nothing for PAR101 (needs two) or PAR102 (needs a loop)."""
    _parse_must_not_run(monkeypatch)
    source = "async def close(conn):\n    await conn.close()\n"
    result = lint_source(source, "one_await.py", Config(select=("PAR101", "PAR102")))
    assert result.findings == ()


def test_a_broken_file_that_no_rule_needs_still_gets_its_parse_error() -> None:
    source = "async def close(conn:\n    await conn.close()\n"
    result = lint_source(source, "broken.py", Config(select=("PAR000", "PAR101", "PAR102")))
    assert [f.code for f in result.findings] == ["PAR000"]


def test_a_rule_without_a_scan_gets_every_file_that_mentions_async(fake_rules: None) -> None:
    """Rules the pre-filter knows nothing about (plugins, test doubles) are never starved."""
    source = "async def f():\n    await fetch_a()\n"
    assert "PAR990" not in CANDIDATE_SCANS
    assert may_have_findings(source, ["PAR990"])
    assert [f.code for f in lint_source(source, "f.py", Config(select=("PAR990",))).findings] == [
        "PAR990"
    ]


@pytest.mark.parametrize(
    "source, codes, expected",
    [
        pytest.param("x = 'asynchronous'\n", None, True, id="substring-is-enough-for-general"),
        pytest.param("async def f():\n    await a()\n", ["PAR101"], False, id="one-await"),
        pytest.param("async def f():\n    await a()\n    await b()\n", ["PAR101"], True,
                     id="two-awaits"),
        pytest.param("async def f():\n    return [await g(x) for x in xs]\n", ["PAR102"], True,
                     id="await-in-comprehension"),
        pytest.param("async def f():\n    await a()\n", ["PAR102"], False, id="no-loop"),
        pytest.param("async def f():\n    _await = awaited = 1\n", ["PAR101", "PAR102"], False,
                     id="words-not-keywords"),
    ],
)
def test_candidate_scans(source: str, codes, expected: bool) -> None:
    assert may_have_findings(source, codes) is expected


# --- the statement-level walk: the same visits as libcst's full traversal -----------------------

NESTED = '''
import asyncio

async def top():
    async def inner():
        await asyncio.sleep(0)
    if a:
        def in_if(): pass
    elif b:
        async def in_elif(): await x()
    else:
        class InElse:
            async def method(self): await y()
    try:
        def in_try(): ...
    except ValueError:
        def in_except(): ...
    else:
        def in_try_else(): ...
    finally:
        def in_finally(): ...
    for i in xs:
        def in_for(): ...
    else:
        def in_for_else(): ...
    while c:
        def in_while(): ...
    async with lock:
        async def in_with(): await z()
    match v:
        case 1:
            def in_case(): ...
        case _:
            class InCase: pass
    lam = lambda: 1
    if d: pass


@decorator(lambda f: f)
class Outer:
    def sync(self): return [lambda: 1]
'''


class _Recorder(cst.BatchableCSTVisitor):
    def __init__(self, log: list) -> None:
        super().__init__()
        self.log = log

    def visit_Module(self, node: cst.Module) -> None:
        self.log.append(("visit", "Module"))

    def leave_Module(self, node: cst.Module) -> None:
        self.log.append(("leave", "Module"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.log.append(("visit", node.name.value))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.log.append(("leave", node.name.value))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.log.append(("visit", node.name.value))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.log.append(("leave", node.name.value))


def test_the_statement_walk_makes_the_same_calls_in_the_same_order_as_libcst() -> None:
    module = cst.parse_module(NESTED)
    expected: list = []
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(
        [_Recorder(expected), _Recorder(expected)]
    )
    got: list = []
    engine.visit_rules(
        MetadataWrapper(module, unsafe_skip_copy=True), [_Recorder(got), _Recorder(got)]
    )
    assert got == expected
    assert ("visit", "in_case") in got and ("leave", "InElse") in got


def test_a_rule_visiting_expressions_gets_libcsts_full_traversal() -> None:
    class Calls(cst.BatchableCSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def visit_Call(self, node: cst.Call) -> None:
            self.calls += 1

    rule = Calls()
    engine.visit_rules(MetadataWrapper(cst.parse_module("f(g(1))\n")), [rule])
    assert rule.calls == 2


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_a_fixture_gives_the_same_findings_with_the_statement_walk_and_libcsts(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, name, config = _fixture(path)
    fast = lint_source(source, name, config).findings
    monkeypatch.setattr(engine, "STATEMENT_LEVEL_VISITS", frozenset())
    assert lint_source(source, name, config).findings == fast


# --- fixes in big files: the same edits without rendering the whole module twice --------------


def _big_module() -> str:
    """Over LOCAL_EDITS_MIN_LINES lines: many classes, fixable awaits in a few of them, one of
    them in a statement whose text appears twice (then the whole-module diff must be used)."""
    parts = ["import asyncio\n\n# a header comment\n\n"]
    for i in range(400):
        parts.append(
            f"class Handler{i}:\n"
            f"    async def run(self, x):\n"
            f"        y = x + {i}\n"
            f"        return await other(y)\n\n\n"
        )
        if i % 97 == 0:
            parts.append(f"async def job{i}():\n    await fetch_a()\n    return {i}\n\n\n")
    parts.append("async def twin():\n    await fetch_b()\n\n\nasync def twin():\n"
                 "    await fetch_b()\n")
    return "".join(parts)


def test_fix_edits_in_a_big_file_equal_the_whole_module_diff(
    fake_rules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _big_module()
    assert source.count("\n") > engine.LOCAL_EDITS_MIN_LINES
    config = Config(select=("PAR990",))
    fast = lint_source(source, "big.py", config).findings
    assert len(fast) == 7 and all(f.fix is not None and f.fix.edits for f in fast)
    monkeypatch.setattr(engine, "LOCAL_EDITS_MIN_LINES", 10**9)
    monkeypatch.setattr(engine._Replacer, "on_visit", lambda self, node: True)
    assert lint_source(source, "big.py", config).findings == fast
