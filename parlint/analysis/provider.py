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
from typing import Any, Iterator

import libcst as cst
from libcst.metadata import BaseMetadataProvider
from libcst.metadata.base_provider import LazyValue

from parlint.analysis.dependence import FunctionAnalysis, analyse_function
from parlint.analysis.effects import EffectPatterns
from parlint.analysis.project import Project
from parlint.analysis.summaries import ModuleContext, build_module_context, compound_suites
from parlint.analysis.walk import walk


_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|_tests)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$"
)


def is_test_path(path: str) -> bool:
    """Test code sequences awaits on purpose (ordered steps, timing assertions): PAR101/PAR102
    leave it alone."""
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


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

        def module_context() -> ModuleContext:
            if not context:
                context.append(build_module_context(module, self.patterns))
                context[0].project = getattr(self, "project", None)
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


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def may_group_or_loop(fn: cst.FunctionDef) -> bool:
    """Whether the function awaits twice, or awaits and loops (a `for` or a comprehension),
    outside nested scopes: without, its analysis has no `AwaitGroup` (two awaiting
    statements) and no `LoopAnalysis` (a loop that awaits), and most async functions are
    skipped by this one cheap walk."""
    awaits = 0
    loops = False
    for node in walk(fn.body, skip=_SCOPES):
        if isinstance(node, cst.Await):
            awaits += 1
            if awaits >= 2:
                return True
        elif isinstance(node, (cst.For, cst.CompFor)):
            loops = True
    return awaits == 1 and loops


def analyse_module(
    module: cst.Module, config: Any = None, positions: dict | None = None,
    project: Project | None = None,
) -> list[FunctionAnalysis]:
    """Every async function's analysis, outside of a metadata wrapper (explain, tests)."""
    ctx = build_module_context(module, EffectPatterns.from_config(config))
    ctx.project = project
    return [analyse_function(fn, ctx, positions) for fn in async_functions(module)]
