"""`engine.positions_of` (the ranges of a few nodes, for findings' spans) gives exactly what
libcst's `PositionProvider` gives, and `engine.Wrapper` resolves providers as libcst does."""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from parlint.analysis.provider import AsyncFunctionProvider
from parlint.engine import Wrapper, positions_of

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("par[1-3]*.py"))
TRICKY = (
    "x = 1\r\ny = (\r\n  2)\r\n"  # CRLF
    "\n\n# comment\n\n"  # leading lines
    "@decorator\nasync def f(a,\n      b):\n    await g(); await h()\n    return [i async for i in a]\n"
    "class C:\n    def m(self): pass\n    # trailing comment in a block footer\n"
    'if x:\n    s = """multi\nline"""\nelse:\n    pass\n'
    "lambda: (yield)\n"
)


def _all_positions(module: cst.Module) -> dict:
    return dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


@pytest.mark.parametrize(
    "source",
    [pytest.param(TRICKY, id="tricky"), pytest.param(TRICKY.rstrip("\n"), id="no-final-newline")]
    + [pytest.param(p.read_text(), id=p.name) for p in FIXTURES[:6]],
)
def test_positions_of_some_nodes_equal_the_position_provider(source: str) -> None:
    module = cst.parse_module(source)
    full = _all_positions(module)
    rng = random.Random(8)
    nodes = list(full)
    for wanted in ([module], rng.sample(nodes, min(25, len(nodes))), nodes[-3:]):
        selected = positions_of(module, wanted)
        assert all(selected[node] == full[node] for node in wanted)
        assert all(full[node] == where for node, where in selected.items())


def test_the_wrapper_resolves_non_batchable_providers_like_libcst() -> None:
    source = "async def f(c):\n    a = await c.x()\n    b = await c.y()\n    return a, b\n"
    module = cst.parse_module(source)
    ours = Wrapper(module)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True)
    assert dict(ours.resolve(PositionProvider)) == dict(theirs.resolve(PositionProvider))
    assert set(ours.resolve(AsyncFunctionProvider)) == set(theirs.resolve(AsyncFunctionProvider))
    # a batchable provider still goes through libcst's batched traversal
    assert dict(ours.resolve(ParentNodeProvider)) == dict(theirs.resolve(ParentNodeProvider))
