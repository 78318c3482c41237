"""`walk.children`: libcst's children in libcst's order, minus whitespace and punctuation."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import libcst as cst
import pytest

from parlint.analysis import walk
from parlint.analysis.dependence import _comprehensions_with_awaits

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    p for p in sorted((ROOT / "fixtures").glob("*.py")) + sorted((ROOT / "parlint" / "analysis").glob("*.py"))
    if not p.name.startswith("par000")
]


def _expected(node: cst.CSTNode) -> list[cst.CSTNode]:
    """libcst's children of `node` held by the walked fields, minus punctuation."""
    held = set()
    for name in walk.child_fields(type(node)):
        value = getattr(node, name)
        held |= {id(v) for v in value} if isinstance(value, (tuple, list)) else {id(value)}
    return [
        c for c in node.children if id(c) in held and not isinstance(c, walk._PUNCTUATION)
    ]


def _nodes(module: cst.Module):
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_children_are_libcsts_syntactic_children_in_the_same_order(path):
    module = cst.parse_module(path.read_text())
    for node in _nodes(module):
        assert walk.children(node) == _expected(node), type(node).__name__


def _libcst_node_types():
    for name in dir(cst):
        kind = getattr(cst, name)
        if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not inspect.isabstract(kind):
            yield kind


def test_every_node_types_fields_are_walked_in_libcsts_visiting_order():
    checked = 0
    for kind in _libcst_node_types():
        try:
            source = inspect.getsource(kind._visit_and_replace_children)
        except (OSError, TypeError):
            continue
        visited = list(dict.fromkeys(re.findall(r'self,\s*"(\w+)"', source)))
        fields = walk.child_fields(kind)
        assert [f for f in visited if f in fields] == [f for f in fields if f in visited], kind
        checked += 1
    assert checked > 100


def test_walk_does_not_enter_the_skipped_types_below_the_root():
    lam = cst.parse_expression("lambda: f(await g())")
    names = [n.value for n in walk.walk(lam, skip=(cst.Lambda,)) if isinstance(n, cst.Name)]
    assert names == ["f", "g"]  # the root itself is entered
    call = cst.parse_expression("h(lambda: f(x), y)")
    names = [n.value for n in walk.walk(call, skip=(cst.Lambda,)) if isinstance(n, cst.Name)]
    assert names == ["h", "y"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = [await f(i) for i in xs]", ["[await f(i) for i in xs]"]),
        ("x = [i for i in xs]", []),
        ("x = [[await f(j) for j in i] for i in xs]", ["[await f(j) for j in i]"]),
        ("x = ([await f(i) for i in a], {await g(j) for j in b})",
         ["{await g(j) for j in b}", "[await f(i) for i in a]"]),
        ("x = [lambda: [await f(i) for i in a] for b in c]", []),
        ("x = [await f(i) for i in [await g(j) for j in ys]]", ["[await g(j) for j in ys]"]),
    ],
)
def test_innermost_awaiting_comprehensions(source, expected):
    stmt = cst.parse_statement(source)
    found = _comprehensions_with_awaits(stmt)
    assert [cst.Module([]).code_for_node(c) for c in found] == expected
