"""Test-only driver rules that call the codemod builders through the real engine and fixer.

They stand in for PAR101/PAR102 where the suite must exercise every rewrite shape whatever the
real rules decide (the real rules are run too, see test_equivalence.py). Their analysis is
deliberately naive (names only) and they must only be run on the equivalence cases.
"""

from __future__ import annotations

import libcst as cst
import pytest

from parlint import registry
from parlint.codemods.common import bound_names, code, contains, module_alias, names_in
from parlint.codemods.gather import group_fix, member
from parlint.codemods.loops import loop_fix
from parlint.rules.base import Rule
from parlint.types import Safety

_DOC = """
    ## What it does
    Test driver of the codemods.

    ## Why is this bad?
    -

    ## Example
    -

    ## Use instead
    -

    ## Fix safety
    Unsafe.

    ## Options
    None.

    ## Known problems
    Naive on purpose.
"""


class _Driver(Rule):
    fixable = True

    def __init__(self, context) -> None:
        super().__init__(context)
        self.functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    @property
    def in_async(self) -> bool:
        return bool(self.functions) and self.functions[-1].asynchronous is not None

    @property
    def asyncio_name(self) -> str | None:
        return module_alias(self.context.module, "asyncio")


class GroupDriver(_Driver):
    __doc__ = _DOC
    code = "PAR1010"  # a prefix of PAR101: `# noqa: PAR101` suppresses it too
    name = "group-driver"
    summary = "test driver of gather.group_fix"

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if not self.in_async:
            return
        body = list(node.body)
        i = 0
        while i < len(body):
            run = _run_from(body, i)
            if run is None:
                i += 1
                continue
            statements, stage1 = run
            fix = group_fix(
                statements,
                stage1,
                safety=Safety.UNSAFE,
                asyncio_name=self.asyncio_name,
                scope=self.functions[-1],
                max_concurrency=self.context.config.max_concurrency,
            )
            self.report(statements[0], f"{len(stage1)} independent awaits", fix=fix)
            i += len(statements)


def _run_from(body: list, start: int):
    """Statements from `start` whose awaits read nothing an earlier one of the run binds."""
    if member(body[start]) is None:
        return None
    bound: set[str] = set()
    statements, stage1 = [], []
    for stmt in body[start:]:
        m = member(stmt)
        if m is not None:
            reads = names_in(m.awaited) | names_in(m.annotation) | _paths(m.awaited)
            if isinstance(m.target, cst.Subscript):
                reads |= set().union(*(names_in(s) for s in m.target.slice))
            if reads & bound:
                break
            statements.append(stmt)
            stage1.append(stmt)
            bound |= _binds(m.target)
        elif isinstance(stmt, cst.SimpleStatementLine) and not contains(stmt, cst.Await):
            statements.append(stmt)
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                    targets = small.targets if isinstance(small, cst.Assign) else [small]
                    for t in targets:
                        bound |= _binds(t.target)
                if isinstance(small, cst.Return):
                    bound.add("<return>")
            if any(isinstance(s, cst.Return) for s in stmt.body):
                break
        else:
            break
    if len(stage1) < 2:
        return None
    last = next(i for i, s in enumerate(statements) if s is stage1[-1])
    return statements[: last + 1], stage1


def _binds(target) -> set[str]:
    """Plain names, or the dotted path (`self.user`) of an attribute/subscript target."""
    if target is None:
        return set()
    names = bound_names(target)
    if names is not None:
        return set(names)
    if isinstance(target, cst.Subscript):
        return {code(target.value)}
    return {code(target)}


def _paths(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Attributes(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            found.add(code(attribute))

    node.visit(_Attributes())
    return found


class LoopDriver(_Driver):
    __doc__ = _DOC
    code = "PAR1020"  # a prefix of PAR102: `# noqa: PAR102` suppresses it too
    name = "loop-driver"
    summary = "test driver of loops.loop_fix"

    def _fix(self, node, statement_of=None):
        config = self.context.config
        return loop_fix(
            node,
            safety=Safety.UNSAFE,
            style=config.option("fix-style"),
            max_concurrency=config.max_concurrency,
            target_version=config.target_version,
            asyncio_name=self.asyncio_name,
            statement_of=statement_of,
            scope=self.functions[-1],
        )

    def visit_For(self, node: cst.For) -> None:
        if not self.in_async or not contains(node.body, cst.Await) or _carried(node):
            return
        self.report(node, "awaits in a loop", fix=self._fix(node))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if not self.in_async or len(node.body) != 1:
            return
        value = getattr(node.body[0], "value", None)
        if isinstance(value, (cst.ListComp, cst.SetComp, cst.DictComp)) and contains(value, cst.Await):
            self.report(value, "awaits in a comprehension", fix=self._fix(value, node))


def _carried(loop: cst.For) -> bool:
    """A name read by an await before this iteration binds it, that the body binds later."""
    bound_in_body: set[str] = set()
    for stmt in loop.body.body:  # type: ignore[attr-defined]
        for small in getattr(stmt, "body", ()):
            if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                for t in targets:
                    bound_in_body |= _binds(t.target)
    seen: set[str] = set()
    for stmt in loop.body.body:  # type: ignore[attr-defined]
        for small in getattr(stmt, "body", ()):
            value = getattr(small, "value", None)
            if value is not None and contains(value, cst.Await):
                if (names_in(value) & bound_in_body) - seen:
                    return True
            if isinstance(small, cst.AugAssign) and contains(small, cst.Await):
                return True
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                for t in targets:
                    seen |= _binds(t.target)
    return False


DRIVERS = (GroupDriver, LoopDriver)


def install_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = registry._load()
    for rule in DRIVERS:
        monkeypatch.setitem(rules, rule.code, rule)
