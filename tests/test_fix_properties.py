"""Property: for generated blocks of awaits over random dependency graphs, `fix --unsafe-fixes`
keeps every result and every dependency's order, and holds the concurrency bound.

Each generated statement is `vK = await client.get_value("vK", <deps>)` (or a bare
`await client.get_value(...)`), where <deps> are earlier values: K must start after each of them ended.
The block is fixed by the real PAR101/PAR102 and by the test drivers of the builders, then both
versions are run over an instrumented client (PAR101 groups calls of known shape only: a
method of a parameter, not an unknown bare callable).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "equivalence"))

from fix_drivers import DRIVERS  # noqa: E402
from parlint.config import Config  # noqa: E402
from parlint.fixer import fix_source  # noqa: E402
from parlint.registry import all_rules  # noqa: E402

BOUND = 3


@st.composite
def blocks(draw) -> tuple[str, dict[str, list[str]]]:
    """Source of `async def block(client)` and its dependency graph (name -> its inputs)."""
    size = draw(st.integers(min_value=2, max_value=7))
    values: list[str] = []
    graph: dict[str, list[str]] = {}
    lines = ['async def block(client: "ValueClient"):']
    for index in range(size):
        name = f"v{index}"
        deps = draw(st.lists(st.sampled_from(values), unique=True, max_size=2)) if values else []
        args = ", ".join([repr(name), *deps])
        graph[name] = deps
        if draw(st.booleans()) or index == size - 1:
            lines.append(f"    {name} = await client.get_value({args})")
            values.append(name)
        else:
            lines.append(f"    await client.get_value({args})")
    lines.append(f"    return [{', '.join(values)}]")
    return "\n".join(lines) + "\n", graph


def run(source: str):
    namespace: dict = {}
    exec(compile(source, "<block>", "exec"), namespace)
    calls: dict[str, tuple[float, float]] = {}
    state = {"now": 0, "peak": 0}

    async def get_value(name, *inputs):
        loop = asyncio.get_running_loop()
        start = loop.time()
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.002)
        state["now"] -= 1
        calls[name] = (start, loop.time())
        return f"{name}<{','.join(inputs)}>"

    class Client:
        pass

    client = Client()
    client.get_value = get_value  # type: ignore[attr-defined]
    result = asyncio.run(namespace["block"](client))
    return result, calls, state["peak"]


def check(source: str, graph: dict[str, list[str]], fixed: str) -> None:
    compile(fixed, "<fixed>", "exec")
    before, before_calls, _ = run(source)
    after, after_calls, peak = run(fixed)
    assert after == before
    assert set(after_calls) == set(before_calls)
    for name, deps in graph.items():
        for dep in deps:
            assert after_calls[dep][1] <= after_calls[name][0] + 1e-9, (dep, name, fixed)
    assert peak <= BOUND, fixed


CONFIG = Config().with_values(max_concurrency=BOUND)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(blocks())
def test_driver_rewrites_keep_results_and_dependency_order(block) -> None:
    source, graph = block
    result = fix_source(source, "block.py", CONFIG, unsafe=True, rule_classes=list(DRIVERS))
    assert not result.errors
    check(source, graph, "import asyncio\n" + result.fixed)


@PROPERTY
@given(blocks())
def test_real_rule_rewrites_keep_results_and_dependency_order(block) -> None:
    rules = all_rules()
    if "PAR101" not in rules:
        pytest.skip("PAR101 not available")
    source, graph = block
    classes = [rules[c] for c in ("PAR101", "PAR102") if c in rules]
    result = fix_source(source, "block.py", CONFIG, unsafe=True, rule_classes=classes)
    assert not result.errors
    check(source, graph, "import asyncio\n" + result.fixed)


@pytest.mark.parametrize("which", ["drivers", "real"])
def test_the_generated_shape_is_one_the_rules_rewrite(which: str) -> None:
    """Guards the properties above against passing vacuously (nothing ever rewritten)."""
    rules = all_rules()
    if which == "real" and "PAR101" not in rules:
        pytest.skip("PAR101 not available")
    classes = list(DRIVERS) if which == "drivers" else [rules["PAR101"]]
    source = (
        "async def block(client: 'ValueClient'):\n"
        "    v0 = await client.get_value('v0')\n"
        "    await client.get_value('v1')\n"
        "    v2 = await client.get_value('v2', v0)\n"
        "    v3 = await client.get_value('v3')\n"
        "    return [v0, v2, v3]\n"
    )
    result = fix_source(source, "block.py", CONFIG, unsafe=True, rule_classes=classes)
    assert result.applied and "gather" in result.fixed
    check(source, {"v0": [], "v1": [], "v2": ["v0"], "v3": []}, "import asyncio\n" + result.fixed)
