"""Executed equivalence of PAR102's trio and anyio rewrites (a nursery / task group plus a
CapacityLimiter, each worker writing its result to its own slot).

The loop cases (cases/loops.py and structured/loops.py) are copied with `import trio` or
`import anyio` on top, fixed by the real CLI (`parlint fix --unsafe-fixes --max-concurrency 3`),
and the original and rewritten modules run under trio, or under anyio on both of its backends,
through test_equivalence.compare: equal results (so the items' order is kept), the same calls,
dependencies in order, at most 3 calls in flight, every independent case at least 1.5x faster,
dependent cases untouched. The rewrites come from a driver rule that calls `loop_fix` on every
loop (so that every shape is exercised) and from the real PAR102.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fix_drivers import LoopDriver
from harness import case_names, import_file, run_case
from parlint import registry
from parlint.analysis.names import import_table
from parlint.cli import main
from parlint.codemods.common import module_alias
from parlint.codemods.loops import loop_fix
from parlint.types import Safety
from test_equivalence import BOUND, compare, function_source

trio = pytest.importorskip("trio")
anyio = pytest.importorskip("anyio")

HERE = Path(__file__).parent
MODULES = [HERE / "cases" / "loops.py", HERE / "structured" / "loops.py"]
# runner id -> (the framework the module imports, how a coroutine function is run)
RUNNERS = {
    "trio": ("trio", trio.run),
    "anyio-asyncio": ("anyio", lambda fn: anyio.run(fn, backend="asyncio")),
    "anyio-trio": ("anyio", lambda fn: anyio.run(fn, backend="trio")),
}


class StructuredLoopDriver(LoopDriver):
    """LoopDriver writing the form of the framework the module imports."""

    code = "PAR1021"  # a prefix of PAR102: `# noqa: PAR102` suppresses it too
    name = "structured-loop-driver"

    def _fix(self, node, statement_of=None):
        framework = import_table(self.context.module).framework or "asyncio"
        return loop_fix(
            node,
            safety=Safety.UNSAFE,
            max_concurrency=self.context.config.max_concurrency,
            statement_of=statement_of,
            scope=self.functions[-1],
            framework=framework,
            framework_name=module_alias(self.context.module, framework),
        )


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._load(), StructuredLoopDriver.code, StructuredLoopDriver)


def fixed_copy(tmp_path: Path, module: Path, framework: str, select: str, bound: int = BOUND):
    """(original, fixed): `module` importing `framework`, and its copy fixed by the CLI."""
    original = tmp_path / f"{module.parent.name}_{module.stem}_{framework}.py"
    original.write_text(f"import {framework}\n" + module.read_text())
    fixed = tmp_path / f"fixed_{original.name}"
    fixed.write_text(original.read_text())
    args = ["fix", "--isolated", "--no-cache", "--unsafe-fixes", "--max-concurrency", str(bound)]
    assert main([*args, "--select", select, str(fixed)]) in (0, 1)
    return original, fixed


def rewritten(original: Path, fixed: Path) -> list[str]:
    names = [*case_names(import_file(original)), "edge_no_items"]
    return [
        name for name in names
        if name in original.read_text() and function_source(fixed, name) != function_source(original, name)
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("runner", list(RUNNERS))
def test_every_loop_shape_rewritten_for_trio_and_anyio_is_equivalent_bounded_and_faster(
    tmp_path: Path, driver: None, module: Path, runner: str
) -> None:
    framework, run = RUNNERS[runner]
    original, fixed = fixed_copy(tmp_path, module, framework, StructuredLoopDriver.code)
    text = fixed.read_text()
    opener = "trio.open_nursery()" if framework == "trio" else "anyio.create_task_group()"
    assert f"{framework}.CapacityLimiter({BOUND})" in text and opener in text
    assert "asyncio" not in text  # nothing of another framework is brought in
    independent = [n for n in case_names(import_file(original)) if n.startswith("case_")]
    assert set(independent) <= set(rewritten(original, fixed))
    compare(original, fixed, runner=run)
    if module.parent.name == "structured":
        # The order is kept by the slots, not by luck: the rewritten calls end out of order
        # (slow items last) while the results come back in the items' order.
        after = run_case(import_file(fixed), "case_skewed_append", run)
        assert [c.args for c in after.calls] != [c.args for c in sorted(after.calls, key=lambda c: c.end)]
        assert after.peak == BOUND
        assert run_case(import_file(fixed), "edge_no_items", run).result == []


@pytest.mark.parametrize("framework", ["trio", "anyio"])
def test_real_par102_rewrites_trio_and_anyio_loops_equivalently(tmp_path: Path, framework: str) -> None:
    run = RUNNERS["trio" if framework == "trio" else "anyio-asyncio"][1]
    for module in MODULES:
        original, fixed = fixed_copy(tmp_path, module, framework, "PAR102")
        assert rewritten(original, fixed)
        compare(original, fixed, runner=run, expect_speedup=False)
        # A second fix changes nothing, and the rewrite is not reported again (PAR102: the
        # starting loop awaits nothing; PAR201: the workers hold a limiter).
        once = fixed.read_text()
        main(["fix", "--isolated", "--no-cache", "--unsafe-fixes", str(fixed)])
        assert fixed.read_text() == once
        assert main(["check", "--isolated", "--no-cache", "--select", "PAR102,PAR201", str(fixed)]) == 0


def test_a_long_skewed_loop_keeps_its_bound_and_gains_from_the_sliding_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 items, every fifth slow (0.12 s against 0.04 s), bound 5, under trio: the limiter is a
    sliding window (no batch waits for its slowest item)."""
    module = tmp_path / "long.py"
    module.write_text(
        "from fakeio import get_price\n"
        "async def case_prices():\n"
        "    out = []\n"
        "    for item in [f'slow-{i}' if i % 5 == 0 else i for i in range(40)]:\n"
        "        out.append(await get_price(item))\n"
        "    return out\n"
    )
    original, fixed = fixed_copy(tmp_path, module, "trio", "PAR102", bound=5)
    assert "trio.CapacityLimiter(5)" in fixed.read_text()
    before = run_case(import_file(original), "case_prices", trio.run)
    after = run_case(import_file(fixed), "case_prices", trio.run)
    assert after.result == before.result and after.peak == 5 and before.peak == 1
    # 8 slow + 32 fast = 2.24 s sequential; ideal bounded ~ 0.45 s; batches of 5 would be 0.96 s.
    assert before.seconds / after.seconds >= 3.0, (before.seconds, after.seconds)


def test_a_failing_item_still_raises_from_the_rewritten_trio_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix is unsafe because of how the error surfaces (possibly in an ExceptionGroup), but
    it must surface."""
    (tmp_path / "failing_api.py").write_text(
        "import trio\n"
        "async def get_item(i):\n"
        "    await trio.sleep(0.01)\n"
        "    if i == 3:\n"
        "        raise KeyError(i)\n"
        "    return i\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "failing.py"
    module.write_text(
        "from failing_api import get_item\n"
        "async def load(ids):\n"
        "    out = []\n"
        "    for i in ids:\n"
        "        out.append(await get_item(i))\n"
        "    return out\n"
    )
    _, fixed = fixed_copy(tmp_path, module, "trio", "PAR102")
    assert "open_nursery" in fixed.read_text()
    loaded = import_file(fixed)
    with pytest.raises(BaseException) as raised:
        trio.run(loaded.load, list(range(6)))
    leaves = list(getattr(raised.value, "exceptions", [raised.value]))
    assert any(isinstance(e, KeyError) for e in leaves)
    assert trio.run(loaded.load, [1, 2]) == [1, 2]
