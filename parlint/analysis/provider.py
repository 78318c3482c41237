"""The analysis as a libcst metadata provider, computed lazily per async function.

A rule declares `METADATA_DEPENDENCIES = (AsyncFunctionProvider,)` and asks, in
`visit_FunctionDef`, `self.get_metadata(AsyncFunctionProvider, node, None)`: a
`FunctionAnalysis` for an `async def`, None otherwise (an empty one, without sites or blocks,
for a function that cannot hold a group or a loop: `may_group_or_loop`). Nothing is analysed
until a rule asks: the provider only finds the async functions (a walk over statements, not
over expressions) and the module facts (imports, summaries) are built once, on the first
request.

The engine hands the `Config` to every provider that sets `gen_cache` (see
`engine._ConfigForEveryProvider`); without one (a plain `MetadataWrapper`) the defaults apply.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Sequence

import libcst as cst
from libcst.metadata import BaseMetadataProvider
from libcst.metadata.base_provider import LazyValue

from parlint.analysis.dependence import FunctionAnalysis, analyse_function
from parlint.analysis.effects import CallKind, EffectPatterns, kind_of_name, name_words
from parlint.analysis.facts import overlaps, statement_facts
from parlint.analysis.project import Project
from parlint.analysis.summaries import (
    OFFLOAD_CALLS,
    ModuleContext,
    build_module_context,
    compound_suites,
)
from parlint.analysis.walk import COMPREHENSION_TYPES, SCOPE_TYPES, children, suite_statements
from parlint.reduce import any_segment, some_site_independent

_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|_tests)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$"
)


def is_test_path(path: str) -> bool:
    """Test code sequences awaits on purpose (ordered steps, timing assertions): PAR101/PAR102
    leave it alone."""
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


# The rules that ask `is_test_path` and report nothing there (a test keeps this true): in test
# code their candidates are no candidates (engine.analyse, parlint.reduce).
LEAVE_TESTS_ALONE = frozenset({"PAR101", "PAR102"})


def _no_cache(*_args: Any, **_kwargs: Any) -> dict:
    return {}


def async_functions(module: cst.Module) -> Iterator[cst.FunctionDef]:
    """Every `async def` of the module, nested ones included (a statement-level walk)."""
    stack: list[cst.CSTNode] = list(reversed(module.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.FunctionDef):
            if stmt.asynchronous is not None:
                yield stmt
            stack.extend(reversed(_body(stmt.body)))
        elif isinstance(stmt, cst.ClassDef):
            stack.extend(reversed(_body(stmt.body)))
        elif not isinstance(stmt, cst.SimpleStatementLine):
            for suite in reversed(compound_suites(stmt)):
                stack.extend(reversed(_body(suite)))


def _body(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


class AsyncFunctionProvider(BaseMetadataProvider[FunctionAnalysis]):
    """`FunctionDef` (async) -> `FunctionAnalysis`, lazily."""

    gen_cache = staticmethod(_no_cache)  # type: ignore[assignment]

    def __init__(self, cache: object = None) -> None:
        super().__init__(cache if cache is not None else {})
        config = cache if hasattr(cache, "option") else None
        self.patterns = EffectPatterns.from_config(config)

    def _gen(self, wrapper: Any) -> Any:
        # The engine's wrapper carries the file's project (`project.Project`), if any.
        self.project = getattr(wrapper, "project", None)
        return super()._gen(wrapper)

    def _gen_impl(self, module: cst.Module) -> None:
        context: list[ModuleContext] = []
        # (Not `self` in the closure: the provider holds the closures through its metadata,
        # and the cycle would leave every analysed tree to the cyclic garbage collector.)
        patterns, project = self.patterns, getattr(self, "project", None)

        def module_context() -> ModuleContext:
            if not context:
                context.append(build_module_context(module, patterns))
                context[0].project = project
            return context[0]

        for fn in async_functions(module):
            self.set_metadata(fn, LazyValue(_analyser(fn, module_context)))


def _analyser(fn: cst.FunctionDef, module_context: Any) -> Any:
    def analysis() -> FunctionAnalysis:
        ctx = module_context()
        if not may_group_or_loop(fn):
            # No group (two awaits) and no loop that awaits can come of it: rules read those.
            return FunctionAnalysis(fn, ctx.imports.framework, ctx.imports.asyncio_alias)
        return analyse_function(fn, ctx)

    return analysis


def may_group_or_loop(fn: cst.FunctionDef) -> bool:
    """Whether the analysis of `fn` may hold an `AwaitGroup` (PAR101) or a `LoopAnalysis` with
    independent iterations (PAR102), the only results rules read; without, it is not computed.
    A necessary condition (parlint.reduce.may_group_or_loop states the same on Python's tree,
    and says why):

    - a comprehension of `fn` itself that awaits, or a synchronous `for` statement whose body
      awaits and cannot leave the loop early (the analysis makes loops of nothing else, and
      gives an early exit a reason);
    - or two sites in one suite (`[x =] await ...`, `return await ...` alone on their line;
      one that awaits no call, or a method whose name makes it one of `classify`'s barriers,
      is a barrier: `_barrier_site`)
      where the later one does not depend on the earlier one, directly (it reads or writes a
      path that overlaps one the earlier one writes: `_levels` then puts it at a later stage)
      or through the sites in between: a group is two sites at one stage; with no sure
      barrier between them (`_barrier`): a group lies within one segment.
    """
    return any(_independent_pair(statements) for statements in _suites(fn)) or (
        _awaits_in_a_loop(fn)
    )


def _awaits_in_a_loop(fn: cst.FunctionDef) -> bool:
    stack: list[cst.CSTNode] = [fn.body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in SCOPE_TYPES:
            continue  # its awaits and loops are its own
        if kind in COMPREHENSION_TYPES:
            if _awaits(node):
                return True
        elif kind is cst.For and node.asynchronous is None and _awaiting_loop(node):  # type: ignore[attr-defined]
            return True
        stack.extend(children(node))
    return False


def _awaits(node: cst.CSTNode) -> bool:
    """An await in `node`, outside nested scopes."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Await:
            return True
        if kind not in SCOPE_TYPES or current is node:
            stack.extend(children(current))
    return False


# What leaves a loop's body early wherever it lies in it (facts.exits; `break` is one only
# outside the body's own loops).
_EXIT_TYPES = frozenset((cst.Return, cst.Raise, cst.Assert, cst.Yield))


def _awaiting_loop(loop: cst.For) -> bool:
    """A `for` statement whose body awaits and cannot leave the loop early (`_loop_exits`)."""
    if not _awaits(loop.body):
        return False
    stack: list[tuple[cst.CSTNode, bool]] = [(loop.body, False)]
    while stack:
        node, in_loop = stack.pop()
        kind = type(node)
        if kind in SCOPE_TYPES:
            continue
        if kind in _EXIT_TYPES or (kind is cst.Break and not in_loop):
            return False
        inner = in_loop or kind in _LOOP_TYPES
        stack.extend((child, inner) for child in children(node))
    return True


def _suites(fn: cst.FunctionDef) -> Iterator[Sequence[cst.CSTNode]]:
    """The statements of every suite of `fn` (the analysis's blocks), nested scopes left out."""
    stack = [suite_statements(fn.body)]
    while stack:
        statements = stack.pop()
        yield statements
        for stmt in statements:
            if not isinstance(stmt, (cst.SimpleStatementLine, cst.FunctionDef, cst.ClassDef)):
                stack.extend(suite_statements(suite) for suite in compound_suites(stmt))


def _is_site(stmt: cst.CSTNode) -> bool:
    """`await ...`, `x = await ...`, `x: T = await ...`, `return await ...` alone on a line
    (analysis.dependence `_single_await`)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)):
        return isinstance(small.value, cst.Await)
    return False


def _barrier_site(stmt: cst.CSTNode) -> bool:
    """A site the analysis surely makes a barrier (`make_site`, `classify`): it awaits no call,
    or a method whose name says it has effects (not an offloading call, nor `run_process`), or
    one whose name says neither that is no service query (its result not assigned, or a name
    of more than one word). A plain name called may be an alias of a method, judged by that
    method: not decided here.
    parlint.reduce `_barrier_site` says the same on Python's tree."""
    awaited = stmt.body[0].value.expression  # type: ignore[attr-defined]
    if type(awaited) is not cst.Call:
        return True
    if type(awaited.func) is not cst.Attribute:
        return False
    method = awaited.func.attr.value
    if method in OFFLOAD_CALLS or method == "run_process":
        return False
    kind = kind_of_name(method)
    if kind is CallKind.UNKNOWN:  # moved only as a service query (`_service_query`)
        small = stmt.body[0]  # type: ignore[attr-defined]
        return type(small) not in (cst.Assign, cst.AnnAssign) or len(name_words(method)) != 1
    return kind is CallKind.EFFECTFUL


def _member(stmt: cst.CSTNode) -> bool:
    return _is_site(stmt) and not _barrier_site(stmt)


def _independent_pair(statements: Sequence[cst.CSTNode]) -> bool:
    if sum(map(_member, statements)) < 2:
        return False
    return any_segment(statements, _member, _barrier, _independent_in_segment)


# What makes a statement a barrier of `classify` wherever it lies in it.
_LEAVES = frozenset((cst.Await, cst.Return, cst.Raise, cst.Assert, cst.Yield))
_ASYNC_CONSTRUCTS = frozenset((cst.For, cst.With, cst.CompFor))
_LOOP_TYPES = frozenset((cst.For, cst.While))


def _barrier(stmt: cst.CSTNode) -> bool:
    """Whether a statement that is no site is surely a barrier (`classify`): it awaits or holds
    an `async for`/`async with`/async comprehension, or may leave (`return`, `raise`, `assert`,
    `yield`, `break`/`continue` outside its own loops). parlint.reduce `_barrier` says the same
    on Python's tree."""
    stack: list[tuple[cst.CSTNode, bool]] = [(stmt, False)]
    while stack:
        node, in_loop = stack.pop()
        kind = type(node)
        if kind in SCOPE_TYPES:
            continue
        if kind in _LEAVES or (
            kind in _ASYNC_CONSTRUCTS and node.asynchronous is not None  # type: ignore[attr-defined]
        ):
            return True
        if (kind is cst.Break or kind is cst.Continue) and not in_loop:
            return True
        inner = in_loop or kind in _LOOP_TYPES
        stack.extend((child, inner) for child in children(node))
    return False


def _independent_in_segment(statements: Sequence[cst.CSTNode]) -> bool:
    sites = [statement_facts(stmt) for stmt in statements]
    if len(sites) < 2:
        return False
    touched = [facts.reads | facts.writes for facts in sites]
    return some_site_independent(
        len(sites),
        lambda later, earlier: any(
            overlaps(path, written) for path in touched[later] for written in sites[earlier].writes
        ),
    )


def analyse_module(
    module: cst.Module, config: Any = None, positions: dict | None = None,
    project: Project | None = None,
) -> list[FunctionAnalysis]:
    """Every async function's analysis, outside of a metadata wrapper (explain, tests)."""
    ctx = build_module_context(module, EffectPatterns.from_config(config))
    ctx.project = project
    return [analyse_function(fn, ctx, positions) for fn in async_functions(module)]
