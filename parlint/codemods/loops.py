"""PAR102's rewrite: a loop (or comprehension) of independent awaits becomes a bounded,
order-preserving concurrent form.

    for user in users:                         _semaphore = asyncio.Semaphore(5)
        profile = await fetch(user)            async def _fetch_one(user):
        names.append(profile.name)     ->          async with _semaphore:
                                                       return await fetch(user)
                                               _items = list(users)
                                               _results = await asyncio.gather(*(_fetch_one(user) for user in _items))
                                               for user, profile in zip(_items, _results):
                                                   names.append(profile.name)

The loop body is split at its last await: the *head* (simple assignments and awaits, up to and
including the last await) becomes an inner coroutine run for every item with at most
`max_concurrency` in flight; the *tail* (synchronous work) runs afterwards, item by item, in the
original order, with the head's values. Results are therefore in the original order and
synchronous side effects happen in the original order; only the awaited calls overlap.

Styles (`fix-style`):
- `semaphore`: one `gather` over all items, an `asyncio.Semaphore` in the inner coroutine (a
  sliding window: a slow item never holds back the others);
- `batches`: slices of `max_concurrency` items, each gathered before the next
  (`itertools.batched` when the target is 3.12+, index slices below);
- `taskgroup` (target 3.11+, else `semaphore`): an `asyncio.TaskGroup` plus the semaphore; a
  failing item cancels its siblings.

trio and anyio code (`framework`) has no gather: whatever the style, the iterations start in a
nursery (`trio.open_nursery()`) or task group (`anyio.create_task_group()`), each worker holds a
`CapacityLimiter(max_concurrency)` and writes its values to its own slot of a preallocated
results list, so the tail still sees them in the original order:

    _items = list(users)
    _results = [None] * len(_items)
    _limiter = trio.CapacityLimiter(5)
    async def _fetch_one(_index, user):
        async with _limiter:
            _results[_index] = await fetch(user)
    async with trio.open_nursery() as _nursery:
        for _index, user in enumerate(_items):
            _nursery.start_soon(_fetch_one, _index, user)
    for user, profile in zip(_items, _results):
        names.append(profile.name)

The rule decides that the iterations are independent and how safe the fix is. Note for the
safety decision: when an item fails, the original loop has already done the work of the items
before it and none after it; the rewrite may have started any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union

import libcst as cst

from parlint.codemods.common import (
    first_await,
    bound_names,
    code,
    comment_lines,
    contains,
    fresh_name,
    names_in,
    statement,
    taken_names,
    unique,
    with_leading,
)
from parlint.codemods.options import FIX_STYLES
from parlint.rules.base import FixSpec, Replacement
from parlint.types import Safety

Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp]

# framework -> (how a nursery / task group is opened, the name of the group's variable)
_OPENERS = {"trio": ("open_nursery()", "_nursery"), "anyio": ("create_task_group()", "_task_group")}

_FORBIDDEN = (
    cst.Break,
    cst.Continue,
    cst.Return,
    cst.Yield,
    cst.Nonlocal,
    cst.Global,
)


def loop_fix(
    node: cst.For | Comprehension,
    *,
    safety: Safety,
    message: str = "Run the loop's independent awaits concurrently, bounded",
    style: str = "semaphore",
    max_concurrency: int = 5,
    target_version: tuple[int, int] = (3, 9),
    asyncio_name: str | None = None,
    statement_of: cst.SimpleStatementLine | None = None,
    scope: cst.CSTNode | None = None,
    framework: str = "asyncio",
    framework_name: str | None = None,
) -> FixSpec | None:
    """The fix that runs the iterations of `node` concurrently, at most `max_concurrency` at once.

    - `node`: a `for` statement, or a list/set/dict comprehension whose element awaits.
    - `statement_of`: for a comprehension, the statement line that contains it (the helper
      coroutine is defined before it).
    - `style`: "semaphore", "batches" or "taskgroup" (see the module doc); `target_version`
      decides `itertools.batched` (3.12+) and TaskGroup (3.11+, else semaphore).
    - `asyncio_name`: the module's name for asyncio (see `common.module_alias`); None adds
      `import asyncio`.
    - `scope`: the enclosing function; generated names avoid every name in it, and loop
      variables used outside the loop stay bound as the loop left them.
    - `framework`: "asyncio", or "trio"/"anyio" for the nursery / task group form (`style`
      does not apply; a comprehension must then be its statement's whole value);
      `framework_name` is the module's name for it (None adds the import).

    Handled loop bodies: `results.append(await f(x))`, `results[k] = await f(x)`, a bare
    `await f(x)`, `y = await f(x)` (also several such statements) followed by synchronous work;
    without `break`/`continue`/`return`/`yield`, `async for`, or a `try`/`with` around the
    awaits. Returns None for any other shape.
    """
    if style not in FIX_STYLES:
        raise ValueError(f"unknown fix style {style!r}")
    if framework not in _OPENERS and framework != "asyncio":
        raise ValueError(f"unknown framework {framework!r}")
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    if style == "taskgroup" and target_version < (3, 11):
        style = "semaphore"  # TaskGroup is 3.11+: the closest bounded form that runs everywhere
    if style == "taskgroup" and safety is Safety.SAFE:
        # A TaskGroup raises an item's error inside an ExceptionGroup, where the loop raised it
        # bare: callers' `except` clauses may no longer match.
        safety = Safety.UNSAFE
    if framework in _OPENERS and safety is Safety.SAFE:
        # Likewise a nursery (trio >= 0.25 by default, or strict) and an anyio task group.
        safety = Safety.UNSAFE
    builder = _Builder(style, max_concurrency, target_version, asyncio_name, taken_names(scope))
    if framework in _OPENERS:
        builder.framework, builder.framework_name = framework, framework_name
    if isinstance(node, cst.For):
        new = builder.for_loop(node, scope)
        if new is None:
            return None
        return FixSpec(message, safety, (Replacement(node, new),), builder.imports())
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp)):
        if statement_of is None:
            return None
        new = builder.comprehension(node, statement_of)
        if new is None:
            return None
        return FixSpec(message, safety, (Replacement(statement_of, new),), builder.imports())
    return None


@dataclass
class _Head:
    """How the last awaiting statement of a loop body hands its value on."""

    kind: str  # "assign" / "await" (kept in the coroutine), "append" / "setitem" (value moves)
    value: cst.BaseExpression | None = None  # for append / setitem: the awaited expression
    sink: cst.BaseExpression | None = None  # `results` of results.append / results[k]
    key: cst.BaseSlice | None = None  # for setitem: the subscript slice


@dataclass
class _Loop:
    """A `for` loop split for the rewrite: the head runs per item in a worker, the tail after."""

    head: list[cst.BaseStatement]
    params: list[str]  # the names the loop target binds, the worker's parameters
    outs: list[str]  # the head's values the tail (or later code) needs
    shape: _Head
    value: str | None  # the name for the awaited value of an append/setitem
    body: cst.CSTNode
    items: str  # the loop target's source (parenthesised when a bare tuple)
    source_iter: str
    tail: list[cst.BaseStatement]
    keep_target: bool  # code after the loop reads the loop variables
    scope: cst.CSTNode | None

    @property
    def only_appends_to_a_list(self) -> bool:
        """The body only appends the awaited value to a local list: `extend` does the same."""
        sink = self.shape.sink
        return (
            self.shape.kind == "append"
            and not self.tail
            and self.outs == [self.value]
            and isinstance(sink, cst.Name)
            and _is_list(self.scope, sink.value)
        )


@dataclass
class _Builder:
    style: str
    limit: int
    target_version: tuple[int, int]
    asyncio_name: str | None
    taken: set[str]
    framework: str = "asyncio"
    framework_name: str | None = None
    _imports: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def nursery(self) -> bool:
        """Whether the iterations start in a trio nursery / anyio task group."""
        return self.framework in _OPENERS

    @property
    def fw(self) -> str:
        """The module's name for trio/anyio (asking for the import when it has none)."""
        request = (self.framework, None, None)
        if self.framework_name is None and request not in self._imports:
            self._imports.append(request)
        return self.framework_name or self.framework

    @property
    def aio(self) -> str:
        if self.asyncio_name is None and ("asyncio", None, None) not in self._imports:
            self._imports.append(("asyncio", None, None))
        return self.asyncio_name or "asyncio"

    def imports(self) -> tuple[tuple[str, str | None, str | None], ...]:
        return tuple(self._imports)

    # --- for loops ---------------------------------------------------------------------

    def for_loop(self, loop: cst.For, scope: cst.CSTNode | None) -> list[cst.BaseStatement] | None:
        if loop.asynchronous is not None or not isinstance(loop.body, cst.IndentedBlock):
            return None
        params = bound_names(loop.target)
        if not params:
            return None
        body = list(loop.body.body)
        awaiting = [i for i, stmt in enumerate(body) if contains(stmt, cst.Await)]
        if not awaiting or any(contains(stmt, _FORBIDDEN) for stmt in body):
            return None
        last = awaiting[-1]
        head, tail = body[: last + 1], body[last + 1 :]
        if any(_head_statement(stmt) is None for stmt in head[:-1]):
            return None
        shape = _last_head(head[-1])
        if shape is None:
            return None
        if shape.kind in ("append", "setitem"):
            head = head[:-1]
        if any(_frame_sensitive(stmt) for stmt in head) or (shape.value is not None and _frame_sensitive(shape.value)):
            return None  # `super()` / `locals()` mean something else inside the inner coroutine
        declared = _declared_global(scope)
        if any(n in declared for stmt in head for n in _head_statement(stmt) or ()):
            return None  # `global x` / `nonlocal x`: the inner coroutine would bind its own x
        # Names the head binds that someone reads later: the tail, or code after the loop (the
        # original leaves them bound to the last item's values).
        outside = _read_after(scope, loop) if scope is not None else None
        head_bound = unique(n for stmt in head for n in _head_statement(stmt) or ())
        tail_names = set().union(*(names_in(s) for s in tail)) if tail else set()
        if shape.kind in ("append", "setitem"):
            tail_names |= names_in(shape.sink) | names_in(shape.key)
        if loop.orelse is not None:
            tail_names |= names_in(loop.orelse)
        outs = [
            n for n in head_bound if n in tail_names or outside is None or n in outside
        ]
        keep_target = outside is None or any(p in outside for p in params)
        value = None
        if shape.kind in ("append", "setitem"):
            value = fresh_name("_value", self.taken)
            outs.append(value)
        items = code(loop.target)
        if isinstance(loop.target, (cst.Tuple, cst.List)) and not loop.target.lpar:
            items = f"({items})"
        source_iter = code(loop.iter)
        parts = _Loop(head, params, outs, shape, value, loop.body, items, source_iter, tail, keep_target, scope)
        new = self._nursery_loop(parts) if self.nursery else self._gathered_loop(parts)
        if loop.orelse is not None:
            # No `break` in the body: the `else` block always ran after the loop.
            new.extend(loop.orelse.body.body)  # type: ignore[attr-defined]
        comments = [*loop.leading_lines, *comment_lines(loop.with_changes(leading_lines=()))]
        new[0] = with_leading(new[0], comments)
        return new

    def _nursery_loop(self, loop: _Loop) -> list[cst.BaseStatement]:
        """trio/anyio: every item starts in a nursery / task group; the worker writes its values
        to the item's slot. The starting `for` binds the loop variables as the loop did (the
        last item), and the tail runs afterwards in the original order."""
        new: list[cst.BaseStatement] = []
        materialised = loop.source_iter
        if loop.outs or loop.tail:
            materialised = fresh_name("_items", self.taken)
            new.append(statement(f"{materialised} = list({loop.source_iter})\n"))
        slot = None
        if loop.outs:
            results = fresh_name("_results", self.taken)
            slot = (results, fresh_name("_index", self.taken))
            new.append(statement(f"{results} = [None] * len({materialised})\n"))
        one = self._one(loop.head, loop.params, loop.outs, loop.shape, loop.value, loop.body, slot=slot)
        new.extend(one.defs)
        new.append(self._start_all(one.name, loop.params, loop.items, materialised, slot))
        if slot is None and not loop.tail:
            return new
        if loop.only_appends_to_a_list:
            new.append(statement(f"{code(loop.shape.sink)}.extend({slot[0]})\n"))  # type: ignore[index]
            return new
        new.append(self._tail_loop(loop, materialised, slot[0] if slot else None))
        return new

    def _start_all(
        self, worker: str, params: list[str], items: str, iterable: str, slot: tuple[str, str] | None
    ) -> cst.BaseStatement:
        """`async with trio.open_nursery() as _nursery:` starting `worker` once per item."""
        opener, group_base = _OPENERS[self.framework]
        group = fresh_name(group_base, self.taken)
        args = ", ".join([worker, *([slot[1]] if slot else []), *params])
        loop = f"for {slot[1]}, {items} in enumerate({iterable}):\n" if slot else f"for {items} in {iterable}:\n"
        return statement(
            f"async with {self.fw}.{opener} as {group}:\n"
            f"    {loop}"
            f"        {group}.start_soon({args})\n"
        )

    def _tail_loop(self, loop: _Loop, materialised: str, results: str | None) -> cst.BaseStatement:
        """The synchronous rest of each iteration, item by item with its values, in order."""
        tail_target = loop.items
        zipped = materialised
        if loop.outs:
            unpack = loop.outs[0] if len(loop.outs) == 1 else "(" + ", ".join(loop.outs) + ")"
            tail_target = f"{loop.items}, {unpack}"
            zipped = f"zip({materialised}, {results})"
        sinks: list[cst.BaseStatement] = []
        shape = loop.shape
        if shape.kind == "append":
            sinks.append(statement(f"{code(shape.sink)}.append({loop.value})\n"))
        elif shape.kind == "setitem":
            sinks.append(statement(f"{code(shape.sink)}[{code(shape.key)}] = {loop.value}\n"))
        tail_body = [*sinks, *loop.tail] or [statement("pass\n")]
        header = statement(f"for {tail_target} in {zipped}:\n    pass\n")
        assert isinstance(header, cst.For)
        return header.with_changes(body=header.body.with_changes(body=tail_body))

    def _gathered_loop(self, loop: _Loop) -> list[cst.BaseStatement]:
        """asyncio: one gather (or one per batch) over an inner coroutine per item."""
        head, params, outs, shape, value = loop.head, loop.params, loop.outs, loop.shape, loop.value
        items, source_iter, tail, keep_target = loop.items, loop.source_iter, loop.tail, loop.keep_target
        one = self._one(head, params, outs, shape, value, loop.body)
        new: list[cst.BaseStatement] = []
        new.extend(one.defs)
        call = f"{one.name}({', '.join(params)})"
        plain_list_append = loop.only_appends_to_a_list and not keep_target
        if not outs and not tail:
            materialised = source_iter
            if keep_target:
                materialised = fresh_name("_items", self.taken)
                new.append(statement(f"{materialised} = list({source_iter})\n"))
            new.extend(self._run(call, items, materialised, sink=None))
            if keep_target:
                # The loop variables stay bound to the last item, as the loop left them.
                new.append(statement(f"if {materialised}:\n    {items} = {materialised}[-1]\n"))
        elif plain_list_append:
            assert shape.sink is not None
            new.extend(self._run(call, items, source_iter, sink=("extend", code(shape.sink))))
        else:
            materialised = fresh_name("_items", self.taken)
            results = fresh_name("_results", self.taken)
            new.append(statement(f"{materialised} = list({source_iter})\n"))
            new.extend(self._run(call, items, materialised, sink=("bind", results)))
            new.append(self._tail_loop(loop, materialised, results))
        return new

    # --- comprehensions ----------------------------------------------------------------

    def comprehension(
        self, comp: Comprehension, stmt: cst.SimpleStatementLine
    ) -> list[cst.BaseStatement] | None:
        for_in = comp.for_in
        if for_in.inner_for_in is not None or for_in.asynchronous is not None:
            return None
        if _nested_in_scope(stmt, comp):
            # Inside another comprehension or lambda, the element may read that one's
            # variables, which a coroutine defined before the statement cannot see.
            return None
        if any(contains(cond, cst.Await) for cond in for_in.ifs):
            return None
        params = bound_names(for_in.target)
        if not params:
            return None
        if _frame_sensitive(comp.key if isinstance(comp, cst.DictComp) else comp.elt) or (
            isinstance(comp, cst.DictComp) and _frame_sensitive(comp.value)
        ):
            return None
        if isinstance(comp, cst.DictComp):
            value = f"{code(comp.key)}, {code(comp.value)}"
            wrap = "dict"
        else:
            value = code(comp.elt)
            wrap = "set" if isinstance(comp, cst.SetComp) else ""
        if wrap and wrap in self.taken:
            return None  # `set`/`dict` rebound in this function
        filters = "".join(f" if {code(cond.test)}" for cond in for_in.ifs)
        items, source_iter = code(for_in.target), code(for_in.iter)
        element = items  # the target as an element of a list display
        if isinstance(for_in.target, (cst.Tuple, cst.List)) and not for_in.target.lpar:
            element = f"({items})"
        if self.nursery:
            return self._nursery_comprehension(comp, stmt, value, wrap, items, element, source_iter, filters)
        one = self._one([], params, [], None, None, comp, returns=value)
        call = f"{one.name}({', '.join(params)})"
        style = self.style
        if style != "semaphore" and not _is_whole_value(stmt, comp):
            # Evaluating the comprehension before its statement would reorder the statement's
            # other parts; the sliding window keeps it in place.
            style = "semaphore"
        pre: list[cst.BaseStatement] = list(one.defs)
        if style == "semaphore":
            gathered = f"await {self.aio}.gather(*({call} for {items} in {source_iter}{filters}))"
            result = f"{wrap}({gathered})" if wrap else gathered
        else:
            results = fresh_name("_results", self.taken)
            iterable = source_iter
            if filters:
                iterable = f"[{element} for {items} in {source_iter}{filters}]"
            pre.extend(self._run(call, items, iterable, sink=("bind", results), style=style))
            result = f"{wrap}({results})" if wrap else results
        new_stmt = stmt.deep_replace(comp, cst.parse_expression(result))
        assert isinstance(new_stmt, cst.SimpleStatementLine)
        pre[0] = with_leading(pre[0], stmt.leading_lines)
        return [*pre, new_stmt.with_changes(leading_lines=())]

    def _nursery_comprehension(
        self,
        comp: Comprehension,
        stmt: cst.SimpleStatementLine,
        value: str,
        wrap: str,
        items: str,
        element: str,
        source_iter: str,
        filters: str,
    ) -> list[cst.BaseStatement] | None:
        """trio/anyio: the comprehension's items start in a nursery / task group before its
        statement, which then reads the results in order."""
        if not _is_whole_value(stmt, comp):
            return None  # no expression form: running it first would reorder the statement
        materialised = fresh_name("_items", self.taken)
        results = fresh_name("_results", self.taken)
        slot = (results, fresh_name("_index", self.taken))
        # The comprehension's variables are its own: the starting loop must not bind them in
        # the function, so it passes each item whole and the worker unpacks it.
        item = fresh_name("_item", self.taken)
        target = comp.for_in.target
        if isinstance(target, cst.Name):
            head, params = [], [target.value]
        else:
            head, params = [statement(f"{items} = {item}\n")], [item]
        one = self._one(head, params, [], None, None, comp, returns=value, slot=slot)
        iterable = f"[{element} for {items} in {source_iter}{filters}]" if filters else f"list({source_iter})"
        pre: list[cst.BaseStatement] = [
            statement(f"{materialised} = {iterable}\n"),
            statement(f"{results} = [None] * len({materialised})\n"),
            *one.defs,
            self._start_all(one.name, [item], item, materialised, slot),
        ]
        result = f"{wrap}({results})" if wrap else results
        new_stmt = stmt.deep_replace(comp, cst.parse_expression(result))
        assert isinstance(new_stmt, cst.SimpleStatementLine)
        pre[0] = with_leading(pre[0], stmt.leading_lines)
        return [*pre, new_stmt.with_changes(leading_lines=())]

    # --- shared pieces -----------------------------------------------------------------

    @dataclass
    class _One:
        name: str
        defs: list[cst.BaseStatement]

    def _one(
        self,
        head: Sequence[cst.BaseStatement],
        params: list[str],
        outs: list[str],
        shape: _Head | None,
        value: str | None,
        callee_source: cst.CSTNode,
        returns: str | None = None,
        slot: tuple[str, str] | None = None,
    ) -> _Builder._One:
        """The inner coroutine: the head of one iteration, under the semaphore (or limiter) when
        the style has one, returning the values the tail needs; with `slot` (results list,
        index parameter) it stores them at `results[index]` instead."""
        name = fresh_name(f"_{_callee(callee_source) or 'run'}_one", self.taken)
        body = list(head)

        def hand_on(expression: str) -> cst.BaseStatement:
            if slot is None:
                return statement(f"return {expression}\n")
            return statement(f"{slot[0]}[{slot[1]}] = {expression}\n")

        if returns is not None:
            body.append(hand_on(returns))
        elif shape is not None and shape.kind in ("append", "setitem"):
            assert shape.value is not None
            others = [o for o in outs if o != value]
            if others:
                body.append(statement(f"{value} = {code(shape.value)}\n"))
                body.append(hand_on(", ".join(outs)))
            else:
                body.append(hand_on(code(shape.value)))
        elif outs:
            last = body[-1] if body else None
            small = last.body[0] if isinstance(last, cst.SimpleStatementLine) else None
            if (
                outs == [_assigned_name(small)]
                and isinstance(small, cst.Assign)
                and not last.leading_lines  # type: ignore[union-attr]
            ):
                # `y = await f(x)` then `return y` -> `return await f(x)`
                body[-1] = hand_on(code(small.value))
            else:
                body.append(hand_on(", ".join(outs)))
        defs: list[cst.BaseStatement] = []
        if self.nursery:
            limiter = fresh_name("_limiter", self.taken)
            defs.append(statement(f"{limiter} = {self.fw}.CapacityLimiter({self.limit})\n"))
            guard = statement(f"async with {limiter}:\n    pass\n")
            assert isinstance(guard, cst.With)
            body = [guard.with_changes(body=guard.body.with_changes(body=body))]
        elif self.style in ("semaphore", "taskgroup"):
            semaphore = fresh_name("_semaphore", self.taken)
            defs.append(statement(f"{semaphore} = {self.aio}.Semaphore({self.limit})\n"))
            guard = statement(f"async with {semaphore}:\n    pass\n")
            assert isinstance(guard, cst.With)
            body = [guard.with_changes(body=guard.body.with_changes(body=body))]
        template = statement(f"async def {name}({', '.join([*(slot[1:] if slot else ()), *params])}):\n    pass\n")
        assert isinstance(template, cst.FunctionDef)
        defs.append(template.with_changes(body=template.body.with_changes(body=body)))
        return _Builder._One(name, defs)

    def _run(
        self,
        call: str,
        target: str,
        iterable: str,
        *,
        sink: tuple[str, str] | None,
        style: str | None = None,
    ) -> list[cst.BaseStatement]:
        """Statements that run `call for target in iterable`, bounded, in order, and hand the
        results to `sink`: None (discard), ("extend", list) or ("bind", name)."""
        style = style or self.style
        aio = self.aio
        out: list[str] = []
        if style == "semaphore":
            gathered = f"await {aio}.gather(*({call} for {target} in {iterable}))"
            out.append(_consume(gathered, sink))
        elif style == "taskgroup":
            group = fresh_name("_task_group", self.taken)
            tasks = fresh_name("_tasks", self.taken)
            task = fresh_name("_task", self.taken)
            out.append(
                f"async with {aio}.TaskGroup() as {group}:\n"
                f"    {tasks} = [{group}.create_task({call}) for {target} in {iterable}]\n"
            )
            if sink is not None:
                out.append(_consume(f"[{task}.result() for {task} in {tasks}]", sink))
        else:
            if sink is not None and sink[0] == "bind":
                out.append(f"{sink[1]} = []\n")
                sink = ("extend", sink[1])
            if self.target_version >= (3, 12):
                batch = fresh_name("_batch", self.taken)
                loop = f"for {batch} in itertools.batched({iterable}, {self.limit}):\n"
                self._imports.append(("itertools", None, None))
                chunk = batch
            else:
                if iterable.startswith("[") and iterable.endswith("]"):
                    items = fresh_name("_items", self.taken)
                    out.append(f"{items} = {iterable}\n")
                    iterable = items
                elif not _is_name(iterable) or not iterable.startswith("_items"):
                    items = fresh_name("_items", self.taken)
                    out.append(f"{items} = list({iterable})\n")
                    iterable = items
                start = fresh_name("_start", self.taken)
                loop = f"for {start} in range(0, len({iterable}), {self.limit}):\n"
                chunk = f"{iterable}[{start}:{start} + {self.limit}]"
            gathered = f"await {aio}.gather(*({call} for {target} in {chunk}))"
            # The batches run one after the other on purpose: PAR102 must not flag them again.
            loop = loop.replace(":\n", ":  # noqa: PAR102\n", 1)
            out.append(loop + "    " + _consume(gathered, sink))
        return [statement(line) for line in out]


def _consume(expression: str, sink: tuple[str, str] | None) -> str:
    if sink is None:
        return f"{expression}\n"
    kind, name = sink
    if kind == "extend":
        return f"{name}.extend({expression})\n"
    return f"{name} = {expression}\n"


def _is_name(text: str) -> bool:
    return text.isidentifier()


def _head_statement(stmt: cst.BaseStatement) -> list[str] | None:
    """Names bound by a head statement before the last await, or None when it is not one of
    `x = ...`, `x: T = ...`, `a, b = ...` or a bare `await ...` (what may run in the inner
    coroutine without reordering effects that others see)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Await):
        return []
    if isinstance(small, cst.Assign):
        names: list[str] = []
        for target in small.targets:
            bound = bound_names(target.target)
            if bound is None:
                return None
            names.extend(bound)
        return names
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return bound_names(small.target)
    return None


def _last_head(stmt: cst.BaseStatement) -> _Head | None:
    if _head_statement(stmt) is not None:
        small = stmt.body[0]  # type: ignore[attr-defined]
        return _Head("await" if isinstance(small, cst.Expr) else "assign")
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "append"
            and len(call.args) == 1
            and call.args[0].keyword is None
            and not call.args[0].star
            and not contains(func.value, cst.Await)
        ):
            return _Head("append", call.args[0].value, func.value)
        return None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if (
            isinstance(target, cst.Subscript)
            and not contains(target, cst.Await)
            and len(target.slice) == 1
        ):
            return _Head("setitem", small.value, target.value, target.slice[0].slice)
    return None


def _callee(node: cst.CSTNode) -> str | None:
    """The name of the first awaited call in `node` (`fetch` in `await self.fetch(x)`)."""
    found: list[str] = []

    class _Find(cst.CSTVisitor):
        def visit_Await(self, await_: cst.Await) -> bool:
            if found:
                return False
            call = await_.expression
            if isinstance(call, cst.Call):
                func = call.func
                if isinstance(func, cst.Name):
                    found.append(func.value)
                elif isinstance(func, cst.Attribute):
                    found.append(func.attr.value)
            return True

    node.visit(_Find())
    if not found:
        return None
    return found[0].strip("_") or None


def _assigned_name(small: cst.CSTNode | None) -> str | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name):
            return target.value
    return None


def _read_after(scope: cst.CSTNode, loop: cst.CSTNode) -> set[str]:
    """Names that code after `loop` may read before rebinding them: every name of `scope` when
    the loop sits inside another loop; else the names whose first occurrence after the loop (in
    evaluation order, roughly) is not a plain store (`for x in ...`, `x = ...`)."""
    events: list[tuple[str, bool]] = []  # (name, is_store), after the loop, in order
    state = {"after": False, "nested": False, "depth": 0}
    every: set[str] = set()

    def store(target: cst.CSTNode) -> bool:
        names = bound_names(target)
        if names is None:
            return False
        if state["after"]:
            events.extend((n, True) for n in names)
        every.update(names)
        return True

    class _Walk(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            if n is loop:
                state["nested"] = state["depth"] > 0
                state["after"] = True
                return False
            if isinstance(n, cst.Name):
                every.add(n.value)
                if state["after"]:
                    events.append((n.value, False))
            if isinstance(n, (cst.For, cst.While)):
                state["depth"] += 1
            if isinstance(n, cst.For):
                n.iter.visit(self)
                if not store(n.target):
                    n.target.visit(self)
                n.body.visit(self)
                if n.orelse is not None:
                    n.orelse.visit(self)
                state["depth"] -= 1
                return False
            if isinstance(n, cst.Assign):
                n.value.visit(self)
                for target in n.targets:
                    if not store(target.target):
                        target.target.visit(self)
                return False
            return True

        def on_leave(self, n: cst.CSTNode) -> None:
            if isinstance(n, cst.While):
                state["depth"] -= 1

    scope.visit(_Walk())
    if state["nested"]:
        return every
    first: dict[str, bool] = {}
    for name, is_store in events:
        first.setdefault(name, is_store)
    return {name for name, is_store in first.items() if not is_store}


def _is_list(scope: cst.CSTNode | None, name: str) -> bool:
    """Whether every assignment to `name` in `scope` is a list display or `list(...)`, so that
    `name.extend(...)` means the same as appending one by one."""
    if scope is None:
        return False
    values: list[cst.BaseExpression | None] = []

    class _Assignments(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if name in (bound_names(target.target) or ()):
                    values.append(node.value if isinstance(target.target, cst.Name) else None)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name) and node.target.value == name:
                values.append(node.value)

        def visit_Param(self, node: cst.Param) -> None:
            if node.name.value == name:
                values.append(None)

    scope.visit(_Assignments())

    def is_list(value: cst.BaseExpression | None) -> bool:
        if isinstance(value, (cst.List, cst.ListComp)):
            return True
        return (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value == "list"
        )

    return bool(values) and all(is_list(v) for v in values)


def _is_whole_value(stmt: cst.SimpleStatementLine, comp: cst.CSTNode) -> bool:
    """Whether `comp` is the whole value of its statement (`x = [...]`, `return [...]`)."""
    if len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)):
        return small.value is comp
    return False


def _declared_global(scope: cst.CSTNode | None) -> set[str]:
    names: set[str] = set()
    if scope is None:
        return names

    class _Declarations(cst.CSTVisitor):
        def visit_Global(self, node: cst.Global) -> None:
            names.update(item.name.value for item in node.names)

        def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
            names.update(item.name.value for item in node.names)

    scope.visit(_Declarations())
    return names


_SCOPES = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)


def _nested_in_scope(stmt: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Whether `target` lies inside a comprehension or lambda within `stmt`."""
    depth = 0
    nested = False

    class _Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nonlocal depth, nested
            if node is target:
                nested = depth > 0
                return False
            if isinstance(node, _SCOPES):
                depth += 1
            return True

        def on_leave(self, node: cst.CSTNode) -> None:
            nonlocal depth
            if isinstance(node, _SCOPES):
                depth -= 1

    stmt.visit(_Walk())
    return nested


def loop_suggestion(
    node: cst.For | Comprehension,
    *,
    message: str,
    max_concurrency: int = 5,
    asyncio_name: str | None = None,
) -> FixSpec:
    """A display-only fix for a loop shape `loop_fix` does not rewrite: the message shows the
    bounded form with this loop's own names."""
    module = asyncio_name or "asyncio"
    for_in = node if isinstance(node, cst.For) else node.for_in
    target, items = code(for_in.target), code(for_in.iter)
    awaited = first_await(node)
    call = code(awaited.expression) if awaited is not None else "..."
    suggestion = (
        f"semaphore = {module}.Semaphore({max_concurrency}); "
        f"async def one({target}): async with semaphore: return await {call}; "
        f"results = await {module}.gather(*(one({target}) for {target} in {items}))"
    )
    return FixSpec(f"{message}; for example: `{suggestion}`", Safety.DISPLAY_ONLY)


_FRAME_BUILTINS = ("super", "locals", "vars", "dir")


def _frame_sensitive(node: cst.CSTNode) -> bool:
    """Whether `node` calls `super()`, `locals()`, `vars()` or `dir()` without arguments:
    moved into another function, they see that function's frame."""
    found = False

    class _Find(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            if isinstance(call.func, cst.Name) and call.func.value in _FRAME_BUILTINS and not call.args:
                found = True

    node.visit(_Find())
    return found
