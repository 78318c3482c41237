"""PAR201's rewrite (bound an existing fan-out) and the display-only suggestions of PAR301/302.

    results = await asyncio.gather(*(fetch(u) for u in urls))
->
    _semaphore = asyncio.Semaphore(5)
    async def _bounded(awaitable):
        async with _semaphore:
            return await awaitable
    results = await asyncio.gather(*(_bounded(fetch(u)) for u in urls))

Each awaitable of the fan-out is wrapped in a coroutine that awaits it under one semaphore, so at
most `max_concurrency` of them run at once; order of results, exceptions and cancellation are
those of the original `gather` / `create_task`. The wrapper bounds coroutines; an awaitable that
is already running (a Task) is only waited for, so the rule should not offer this fix for one.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from parlint.analysis.names import method_name
from parlint.codemods.common import (
    bounding_wrapper,
    code,
    import_request,
    taken_names,
    with_leading,
    wrap_long_call,
)
from parlint.rules.base import FixSpec, Replacement
from parlint.types import Safety

SPAWNERS = ("create_task", "ensure_future", "start_soon")
TASK_FACTORIES = ("create_task", "ensure_future", "create_eager_task")


def starts_tasks(call: cst.Call) -> bool:
    """The gathered items are tasks created in the call's own arguments: they run already, so
    a semaphore around awaiting them would bound nothing."""
    pending: list[cst.CSTNode] = [arg.value for arg in call.args]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Call) and method_name(node) in TASK_FACTORIES:
            return True
        pending.extend(node.children)
    return False


def bound_fix(
    call: cst.Call,
    anchor: cst.SimpleStatementLine | cst.BaseCompoundStatement,
    *,
    safety: Safety,
    message: str = "Bound the fan-out with a semaphore",
    max_concurrency: int = 5,
    asyncio_name: str | None = None,
    scope: cst.CSTNode | None = None,
) -> FixSpec | None:
    """The fix that bounds the fan-out `call` to `max_concurrency` awaitables at a time.

    - `call`: `gather(*(f(x) for x in xs))`, `gather(*[f(x) for x in xs])`, `gather(a(), b(),
      ...)`, or `create_task(f(x))` / `ensure_future(f(x))` (also as `tg.create_task`) inside a
      comprehension or loop.
    - `anchor`: the statement (a sibling in a block) before which the semaphore is created: the
      statement containing `call`, or, when `call` sits in a loop body, the loop itself (one
      semaphore for the whole fan-out, not one per iteration).
    - `asyncio_name`: the module's name for asyncio (see `common.module_alias`); None adds
      `import asyncio`.

    Returns None for any other shape (e.g. `gather(*tasks)` over a list built elsewhere).
    """
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    module = asyncio_name or "asyncio"
    taken = taken_names(scope)
    new_call = _wrapped(call, "_probe")  # is the shape handled?
    if new_call is None:
        return None
    helpers, wrapper = bounding_wrapper(module, max_concurrency, taken)
    new_call = _wrapped(call, wrapper)
    assert new_call is not None
    new_anchor = wrap_long_call(anchor.deep_replace(call, new_call))  # type: ignore[arg-type]
    helpers[0] = with_leading(helpers[0], anchor.leading_lines)
    new_anchor = new_anchor.with_changes(leading_lines=())  # type: ignore[union-attr]
    return FixSpec(
        message,
        safety,
        (Replacement(anchor, [*helpers, new_anchor]),),
        import_request(asyncio_name, "asyncio"),
    )


def bound_fix_in(
    module: cst.Module,
    call: cst.Call,
    *,
    safety: Safety,
    message: str = "Bound the fan-out with a semaphore",
    max_concurrency: int = 5,
    asyncio_name: str | None = None,
) -> FixSpec | None:
    """`bound_fix` with the anchor and scope found in `module`: the outermost loop around
    `call` within its function (a spawn in a loop), else the statement containing it."""
    anchor, scope = anchor_of(module, call)
    if anchor is None:
        return None
    return bound_fix(
        call,
        anchor,
        safety=safety,
        message=message,
        max_concurrency=max_concurrency,
        asyncio_name=asyncio_name,
        scope=scope,
    )


def semaphore_fix(
    module: cst.Module, call: cst.Call, *, message: str, max_concurrency: int
) -> FixSpec | None:
    """`bound_fix_in` as PAR201 and PAR202 offer it: always unsafe (bounding delays work, and
    an awaitable that waits for a sibling held back by the semaphore would wait for ever),
    with the module's own name for asyncio."""
    from parlint.codemods.common import module_alias

    return bound_fix_in(
        module,
        call,
        safety=Safety.UNSAFE,
        message=message,
        max_concurrency=max_concurrency,
        asyncio_name=module_alias(module, "asyncio"),
    )


def anchor_of(
    module: cst.Module, node: cst.CSTNode
) -> tuple[cst.BaseStatement | None, cst.FunctionDef | None]:
    """Where helpers for `node` go: (anchor statement, enclosing function)."""
    path: list[cst.CSTNode] = []
    found: list[list[cst.CSTNode]] = []

    class _Path(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            path.append(n)  # on_leave runs for every visited node, even when we stop here
            if n is node and not found:
                found.append(list(path))
            return not found

        def on_leave(self, n: cst.CSTNode) -> None:
            path.pop()

    module.visit(_Path())
    if not found:
        return None, None
    chain = found[0]
    functions = [i for i, n in enumerate(chain) if isinstance(n, cst.FunctionDef)]
    if not functions:
        return None, None
    start = functions[-1]
    inner = chain[start + 1 :]
    loops = [n for n in inner if isinstance(n, (cst.For, cst.While))]
    if loops:
        return loops[0], chain[start]  # type: ignore[return-value]
    statements = [
        n for n in inner if isinstance(n, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    ]
    if not statements:
        return None, None
    return statements[-1] if isinstance(statements[-1], cst.SimpleStatementLine) else None, chain[start]  # type: ignore[return-value]


def _wrapped(call: cst.Call, wrapper: str) -> cst.Call | None:
    name = _func_name(call)
    wrap = lambda e: cst.Call(cst.Name(wrapper), [cst.Arg(e)])  # noqa: E731
    if name == "gather":
        args = list(call.args)
        positional = [a for a in args if a.keyword is None]
        if len(positional) == 1 and positional[0].star == "*":
            value = positional[0].value
            if isinstance(value, (cst.GeneratorExp, cst.ListComp)) and value.for_in.inner_for_in is None:
                new_value = value.with_changes(elt=wrap(value.elt))
            elif _is_map(value):
                # gather(*map(f, xs)) -> gather(*(_bounded(f(item)) for item in xs))
                function, items = value.args[0].value, value.args[1].value  # type: ignore[attr-defined]
                new_value = cst.parse_expression(
                    f"({wrapper}({code(function)}(_item)) for _item in {code(items)})"
                )
            else:
                return None
            return call.with_changes(
                args=[a.with_changes(value=new_value) if a is positional[0] else a for a in args]
            )
        if len(positional) < 2 or any(a.star for a in positional):
            return None
        return call.with_changes(
            args=[a.with_changes(value=wrap(a.value)) if a.keyword is None else a for a in args]
        )
    if name in ("create_task", "ensure_future"):
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return None
        first = call.args[0]
        return call.with_changes(args=[first.with_changes(value=wrap(first.value)), *call.args[1:]])
    return None


def _func_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


# --- display-only suggestions -------------------------------------------------------------


def taskgroup_suggestion(
    call: cst.Call, *, message: str, target: str | None = None, asyncio_name: str | None = None
) -> FixSpec:
    """PAR301: a display-only fix whose message shows the TaskGroup form of a bare `gather`
    (3.11+; one failure cancels the siblings and every error is raised in an ExceptionGroup)."""
    module = asyncio_name or "asyncio"
    awaitables = [code(a.value) for a in call.args if a.keyword is None and not a.star]
    if awaitables and len(awaitables) == len([a for a in call.args if a.keyword is None]):
        spawned = "; ".join(f"t{i} = tg.create_task({a})" for i, a in enumerate(awaitables, 1))
        results = ", ".join(f"t{i}.result()" for i in range(1, len(awaitables) + 1))
    else:
        spawned = "tasks = [tg.create_task(c) for c in coroutines]"
        results = "*(t.result() for t in tasks)"
    assigned = f"{target} = " if target else ""
    suggestion = (
        f"async with {module}.TaskGroup() as tg: {spawned}; then {assigned}[{results}]"
    )
    return FixSpec(f"{message}: `{suggestion}`", Safety.DISPLAY_ONLY)


def checked_results_suggestion(results: str, *, message: str) -> FixSpec:
    """PAR302: a display-only fix showing the check that re-raises the first error of
    `gather(..., return_exceptions=True)` results named `results`."""
    check = (
        f"for result in {results}: "
        f"if isinstance(result, BaseException): raise result"
    )
    return FixSpec(f"{message}: `{check}`", Safety.DISPLAY_ONLY)


def suggestion_lines(statements: Sequence[cst.CSTNode]) -> str:
    """The code of statements on one line each, for a display-only message."""
    return "; ".join(code(s).strip() for s in statements)


def _is_map(value: cst.BaseExpression) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "map"
        and len(value.args) == 2
        and all(a.keyword is None and not a.star for a in value.args)
        and isinstance(value.args[0].value, (cst.Name, cst.Attribute))
    )
