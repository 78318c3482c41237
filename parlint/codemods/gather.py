"""PAR101's rewrite: a group of independent awaits becomes one concurrent await.

    a = await f()                    a, b = await asyncio.gather(f(), g())
    b = await g()           ->       use(a, b)
    use(a, b)

`group_fix` takes the run of sibling statements from the first grouped statement to the last
statement that must move, and which of them are grouped (stage 1). The grouped statements become
one `gather` at the place of the first one; every other statement of the run follows it in its
original order. The rule decides that this is correct (no statement of the run feeds a grouped
one) and how safe it is; this module only writes the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Sequence

import libcst as cst

from parlint.codemods.common import (
    first_await,
    bounding_wrapper,
    code,
    comment_lines,
    fresh_name,
    import_request,
    statement,
    taken_names,
    with_leading,
    wrap_long_call,
)
from parlint.rules.base import FixSpec, Replacement
from parlint.types import Safety

FRAMEWORKS = ("asyncio", "trio", "anyio")


@dataclass(frozen=True)
class Member:
    """One grouped statement: `[target [: annotation]] = await awaited`, or a bare `await`."""

    statement: cst.SimpleStatementLine
    awaited: cst.BaseExpression
    target: cst.BaseExpression | None = None
    annotation: cst.Annotation | None = None


def member(stmt: cst.CSTNode) -> Member | None:
    """The grouped shape of a statement, or None when it is not one the rewrite handles."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Await):
        return Member(stmt, small.value.expression)
    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Await):
        if len(small.targets) != 1:  # `a = b = await f()`: rare, leave to the reader
            return None
        return Member(stmt, small.value.expression, small.targets[0].target)
    if isinstance(small, cst.AnnAssign) and isinstance(small.value, cst.Await):
        return Member(stmt, small.value.expression, small.target, small.annotation)
    return None


def group_fix(
    statements: Sequence[cst.BaseStatement],
    stage1: Collection[cst.BaseStatement],
    *,
    safety: Safety,
    message: str = "Await the independent calls concurrently",
    framework: str = "asyncio",
    asyncio_name: str | None = None,
    framework_name: str | None = None,
    scope: cst.CSTNode | None = None,
    max_concurrency: int | None = None,
) -> FixSpec | None:
    """The fix that runs the grouped statements of `statements` concurrently.

    - `statements`: consecutive siblings of one block, from the first grouped statement to the
      last statement that has to move (the last grouped one, usually).
    - `stage1`: the grouped statements (at least two, all in `statements`, the first of
      `statements` among them), each `x = await e`, `x: T = await e`, `obj.x = await e`,
      `d[k] = await e`, `a, b = await e` or a bare `await e`.
    - `framework`: "asyncio" (a `gather`), "trio" or "anyio" (a nursery / task group; only when
      every grouped statement is a bare `await f(args)`; other trio/anyio groups get a
      display-only fix showing the suggested code).
    - `asyncio_name`: the module's name for asyncio (`import asyncio as aio` -> "aio", see
      `common.module_alias`); None adds `import asyncio`. `framework_name` likewise for
      trio/anyio.
    - `scope`: the enclosing function, used to choose names that do not collide (`_`).
    - `max_concurrency`: when the group is larger, each call is wrapped in a small coroutine
      awaiting it under an `asyncio.Semaphore(max_concurrency)`, so that the bound holds.

    Returns None when a statement has a shape that is not handled.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}")
    statements = list(statements)
    grouped = [s for s in statements if any(s is g for g in stage1)]
    if len(grouped) < 2 or len(grouped) != len(stage1) or statements[0] is not grouped[0]:
        return None
    members = [member(s) for s in grouped]
    if any(m is None for m in members):
        return None
    later = [s for s in statements if not any(s is g for g in grouped)]
    # Comments of the grouped statements move onto the new statement; none is lost.
    comments = list(statements[0].leading_lines)
    comments.extend(comment_lines(members[0].statement.with_changes(leading_lines=())))  # type: ignore[union-attr]
    for m in members[1:]:
        comments.extend(comment_lines(m.statement))  # type: ignore[union-attr]
    if max_concurrency is not None and max_concurrency < 2:
        return None  # one call at a time is what the code already does

    if framework == "asyncio":
        bound = max_concurrency if max_concurrency and len(members) > max_concurrency else None
        new, imports = _gather(members, asyncio_name, scope, bound)  # type: ignore[arg-type]
    else:
        built = _nursery(members, framework, framework_name, scope)  # type: ignore[arg-type]
        if built is None:
            return FixSpec(
                f"{message}; {framework} has no gather: start each call in a "
                f"{'nursery' if framework == 'trio' else 'task group'} through a small function "
                f"that stores its result, e.g. `{_storing_suggestion(members, framework, framework_name)}`",  # type: ignore[arg-type]
                Safety.DISPLAY_ONLY,
            )
        new, imports = built
        # A nursery / task group raises a child's error inside an ExceptionGroup, where the
        # sequential code raised it bare: callers' `except` clauses may no longer match.
        safety = Safety.UNSAFE if safety is Safety.SAFE else safety
    new[0] = with_leading(new[0].with_changes(leading_lines=()), comments)
    return FixSpec(
        message,
        safety,
        (Replacement(statements[0], [*new, *later], last=statements[-1]),),
        imports,
    )


def _gather(
    members: list[Member],
    asyncio_name: str | None,
    scope: cst.CSTNode | None,
    bound: int | None = None,
) -> tuple[list[cst.BaseStatement], tuple]:
    module = asyncio_name or "asyncio"
    taken = taken_names(scope)
    awaitables = [code(m.awaited) for m in members]
    declarations: list[cst.BaseStatement] = []
    if bound is not None:
        declarations, wrapper = bounding_wrapper(module, bound, taken)
        awaitables = [f"{wrapper}({a})" for a in awaitables]
    call = f"await {module}.gather({', '.join(awaitables)})"
    if all(m.target is None for m in members):
        gathered = wrap_long_call(statement(call + "\n"))
        return [*declarations, gathered], import_request(asyncio_name, "asyncio")
    unused = "_" if "_" not in taken else fresh_name("_unused", taken)
    targets = []
    for m in members:
        if m.target is None:
            targets.append(unused)
            continue
        target = code(m.target)
        if isinstance(m.target, (cst.Tuple, cst.List)) and not m.target.lpar:
            target = f"({target})"
        targets.append(target)
        if m.annotation is not None:
            # `x: int = await f()` -> `x: int` declared before the gather, `x` in its targets.
            declarations.append(statement(f"{target}: {code(m.annotation.annotation)}\n"))
    new = [*declarations, wrap_long_call(statement(f"{', '.join(targets)} = {call}\n"))]
    return new, import_request(asyncio_name, "asyncio")


def _nursery(
    members: list[Member], framework: str, framework_name: str | None, scope: cst.CSTNode | None
) -> tuple[list[cst.BaseStatement], tuple] | None:
    """`async with trio.open_nursery() as n: n.start_soon(f, *args)`, for bare awaits only."""
    starts = []
    for m in members:
        call = m.awaited
        if m.target is not None or not isinstance(call, cst.Call):
            return None
        if any(arg.keyword is not None or arg.star for arg in call.args):
            return None  # start_soon takes positional arguments only
        starts.append([code(call.func), *(code(arg.value) for arg in call.args)])
    module = framework_name or framework
    opener = "open_nursery()" if framework == "trio" else "create_task_group()"
    taken = taken_names(scope)
    group = fresh_name("nursery" if framework == "trio" else "task_group", taken)
    lines = [f"async with {module}.{opener} as {group}:\n"]
    lines += [f"    {group}.start_soon({', '.join(parts)})\n" for parts in starts]
    return [statement("".join(lines))], import_request(framework_name, framework)


def group_suggestion(
    stage1: Sequence[cst.BaseStatement], *, message: str, asyncio_name: str | None = None
) -> FixSpec:
    """A display-only fix for a group `group_fix` does not rewrite: the message shows the
    gather of the grouped statements' awaited calls."""
    module = asyncio_name or "asyncio"
    calls = []
    for stmt in stage1:
        awaited = first_await(stmt)
        calls.append(code(awaited.expression) if awaited is not None else "...")
    suggestion = f"await {module}.gather({', '.join(calls)})"
    return FixSpec(f"{message}; for example: `{suggestion}`", Safety.DISPLAY_ONLY)


def _storing_suggestion(members: list[Member], framework: str, framework_name: str | None) -> str:
    module = framework_name or framework
    opener = "open_nursery()" if framework == "trio" else "create_task_group()"
    starts, reads = [], []
    for index, m in enumerate(members):
        key = code(m.target) if m.target is not None else f"_{index}"
        call = m.awaited
        if isinstance(call, cst.Call) and not any(a.keyword or a.star for a in call.args):
            parts = [code(call.func), *(code(a.value) for a in call.args)]
        else:
            parts = [f"lambda: {code(call)}"]
        starts.append(f"group.start_soon(store, {key!r}, {', '.join(parts)})")
        if m.target is not None:
            reads.append(f"{key} = results[{key!r}]")
    return (
        "results = {}; async def store(key, fn, *args): results[key] = await fn(*args); "
        f"async with {module}.{opener} as group: {'; '.join(starts)}; then {'; '.join(reads)}"
    )
