"""The syntactic children of a libcst node by a plain walk over its dataclass fields.

libcst's own `node.children` and `node.visit(...)` run its visitor machinery, which rebuilds
every node it passes (`_visit_and_replace_children` -> `__post_init__` -> `_validate`) with an
ABC `isinstance` check at every step: several times the cost of reading the fields, and most of
the analysis's CPU on real code. Every walker of the analysis goes through `children` instead.

Children come in source order (libcst's visiting order), without whitespace, comments and
punctuation (commas, parentheses, colons, operators' tokens, `async` keywords), which no fact
depends on.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Callable, Iterator

import libcst as cst

# Fields that only ever hold whitespace, comments or tokens.
_SKIPPED_FIELDS = frozenset(
    (
        "lpar", "rpar", "comma", "semicolon", "colon", "equal", "dot", "operator",
        "leading_lines", "lines_after_decorators", "header", "footer", "asynchronous",
        "newline", "lbrace", "rbrace", "lbracket", "rbracket", "star", "quote",
        "prefix", "indent", "default_indent", "default_newline", "encoding",
        "has_trailing_newline", "leading_whitespace", "trailing_whitespace",
    )
)
# Node types that are whitespace or punctuation wherever they occur.
_PUNCTUATION = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Comma,
    cst.Semicolon,
    cst.LeftParen,
    cst.RightParen,
)
# Types whose dataclass field order is not their source order (libcst visits, and prints,
# these fields in this order).
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.Arg: ("keyword", "value"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.ImportFrom: ("relative", "module", "names"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: (
        "posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"
    ),
    cst.Slice: ("lower", "upper", "step"),
    cst.TypeAlias: ("name", "type_parameters", "value"),
}
if hasattr(cst, "LazyImportFrom"):  # libcst >= 1.9
    _SOURCE_ORDER[cst.LazyImportFrom] = _SOURCE_ORDER[cst.ImportFrom]

_FIELDS: dict[type, tuple[str, ...]] = {}
_GETTERS: dict[type, Callable[[cst.CSTNode], tuple[Any, ...]]] = {}
_IS_CHILD: dict[type, bool] = {}
# The nodes that open a scope of their own, as exact types for `type(node) in SCOPE_TYPES`
# (libcst's node classes are ABCs: an `isinstance` miss costs a Python-level check).
SCOPE_TYPES = frozenset((cst.FunctionDef, cst.ClassDef, cst.Lambda))
COMPREHENSION_TYPES = frozenset((cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))  # a syntactic node (not punctuation) -> True


def child_fields(kind: type) -> tuple[str, ...]:
    """The names of the fields of `kind` that may hold syntactic children, in source order."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _SOURCE_ORDER.get(kind) or tuple(
            f.name
            for f in dataclasses.fields(kind)
            if not f.name.startswith("whitespace") and f.name not in _SKIPPED_FIELDS
        )
        _FIELDS[kind] = names
    return names


def _getter(kind: type) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    """The values of the child fields of a `kind` node, as one tuple (one C call)."""
    names = child_fields(kind)
    if len(names) > 1:
        getter = operator.attrgetter(*names)
    elif names:
        single = operator.attrgetter(names[0])
        getter = lambda node: (single(node),)  # noqa: E731
    else:
        getter = lambda node: ()  # noqa: E731
    _GETTERS[kind] = getter
    return getter


def _is_child(kind: type) -> bool:
    known = _IS_CHILD.get(kind)
    if known is None:
        known = issubclass(kind, cst.CSTNode) and not issubclass(kind, _PUNCTUATION)
        _IS_CHILD[kind] = known
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The syntactic children of `node`, in source order (see the module doc)."""
    getter = _GETTERS.get(type(node)) or _getter(type(node))
    is_child = _IS_CHILD
    out: list[cst.CSTNode] = []
    for value in getter(node):
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                known = is_child.get(type(item))
                if known or (known is None and _is_child(type(item))):
                    out.append(item)
        else:
            known = is_child.get(kind)
            if known or (known is None and _is_child(kind)):
                out.append(value)
    return out


def walk(node: cst.CSTNode, skip: tuple[type, ...] = ()) -> Iterator[cst.CSTNode]:
    """`node` and every node under it, in pre-order (source order), not entering the nodes of
    the `skip` types below `node` (they are yielded, their insides are not)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and skip and isinstance(current, skip):
            continue
        stack.extend(reversed(children(current)))


def suite_statements(suite: cst.BaseSuite | None) -> tuple[cst.CSTNode, ...]:
    """The statements of a suite; a one-line suite (`if x: y = 1`) is one pseudo-line."""
    if isinstance(suite, cst.IndentedBlock):
        return tuple(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return (cst.SimpleStatementLine(body=suite.body),) if suite.body else ()
    return ()
