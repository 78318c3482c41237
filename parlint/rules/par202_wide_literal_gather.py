"""PAR202: a gather of more literal awaitables than `max-concurrency` (off by default)."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.fanout import LiteralGather, module_fan_out
from parlint.analysis.names import method_name
from parlint.rules.base import FixSpec, Invalid, Rule, Valid
from parlint.types import Safety

# First words of operations that wait for another awaitable of the same gather.
_WAITING_WORDS = ("wait", "acquire", "join", "recv", "receive")


class WideLiteralGather(Rule):
    """
    ## What it does
    Finds a gather (or `asyncio.wait` of a literal list) of more literal awaitables than
    `max-concurrency`: `asyncio.gather(a(), b(), c(), d(), e(), f())` with the default bound
    of 5. Off by default; turn it on with `--extend-select PAR202` (or `extend-select =
    ["PAR202"]`).

    ## Why is this bad?
    Some teams follow the rule "never more than N requests at once": a long literal gather
    breaks it as surely as a loop would, and grows one line at a time in review. Unlike
    PAR201 the width is fixed and visible, so this is a policy, not a bug: hence off by
    default.

    ## Example
    ```python
    await asyncio.gather(
        fetch_users(), fetch_orders(), fetch_items(), fetch_prices(), fetch_stock(), fetch_tax()
    )
    ```

    ## Use instead
    ```python
    users, orders, items = await asyncio.gather(fetch_users(), fetch_orders(), fetch_items())
    prices, stock, tax = await asyncio.gather(fetch_prices(), fetch_stock(), fetch_tax())
    ```
    or bound the awaitables with a semaphore.

    ## Fix safety
    For an `asyncio.gather` whose every argument is a call, the fix bounds the awaitables with
    one `asyncio.Semaphore(max-concurrency)`: results, their order and the errors stay those
    of the gather. It is always **unsafe**: an awaitable that waits for another one of the
    same gather (a consumer waiting for a producer listed after it) would wait for ever
    once the semaphore is full, and timing-sensitive code (heartbeats, timeouts) runs later
    than before. No fix is offered when an argument is not a call (a task or future may be
    running already), creates a task, or names a waiting operation (`wait`, `acquire`,
    `join`, `recv`/`receive`, a queue's `get`). How to split the gather instead (which calls
    belong together) is a judgement the author makes.

    ## Options
    - `max-concurrency` (default 5): a gather of more literal awaitables than this is
      reported.

    ## Known problems
    Each literal argument counts as one awaitable, also an event wait or a sleep; one wrapped
    in a bounding helper (a function holding a semaphore, a name like `bounded`/`limited`, or
    `fan-out-bounding-helpers`) does not. Starred
    arguments over data are PAR201's business and are not counted here, except literal lists
    and tuples (`*[a(), b()]`), whose items are counted.
    """

    code = "PAR202"
    name = "wide-literal-gather"
    summary = "A gather of more literal awaitables than max-concurrency"
    default_enabled = False
    fixable = True
    VALID = (
        Valid(
            """
            import asyncio

            async def load():
                return await asyncio.gather(users(), orders(), items())
            """
        ),
        Valid(
            """
            import asyncio

            limit = asyncio.Semaphore(5)

            async def bounded(awaitable):
                async with limit:
                    return await awaitable

            async def load():
                return await asyncio.gather(
                    bounded(a()), bounded(b()), bounded(c()), bounded(d()), bounded(e()), bounded(f())
                )
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import asyncio

            async def load():
                return await asyncio.gather(a(), b(), c(), d(), e(), f())
            """,
            line=5,
            column=17,
            message=(
                "`asyncio.gather` of 6 literal awaitables at once exceeds max-concurrency=5: "
                "split it into smaller gathers or bound it with a semaphore"
            ),
            fixed="""
            import asyncio

            async def load():
                _semaphore = asyncio.Semaphore(5)
                async def _bounded(awaitable):
                    async with _semaphore:
                        return await awaitable
                return await asyncio.gather(
                    _bounded(a()),
                    _bounded(b()),
                    _bounded(c()),
                    _bounded(d()),
                    _bounded(e()),
                    _bounded(f()),
                )
            """,
            safety=Safety.UNSAFE,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        facts = module_fan_out(self.context)
        limit = self.context.config.max_concurrency
        for gather in facts.literal_gathers:
            if gather.count > limit:
                self.report(
                    gather.call,
                    f"`{gather.api}` of {gather.count} literal awaitables at once exceeds "
                    f"max-concurrency={limit}: split it into smaller gathers or bound it with a "
                    f"semaphore",
                    fix=self._fix(gather, limit),
                )

    def _fix(self, gather: LiteralGather, limit: int) -> FixSpec | None:
        if gather.api != "asyncio.gather" or not all(
            isinstance(arg.value, cst.Call) and arg.star == "" and not _waits(arg.value)
            for arg in gather.call.args
            if arg.keyword is None
        ):
            return None
        from parlint.codemods.bound import semaphore_fix, starts_tasks

        if starts_tasks(gather.call):
            return None
        return semaphore_fix(
            self.context.module,
            gather.call,
            message=f"Bound the gather with asyncio.Semaphore({limit})",
            max_concurrency=limit,
        )


def _waits(call: cst.Call) -> bool:
    """`event.wait()`, `lock.acquire()`, `queue.get()`...: may wait for a sibling."""
    func = call.func
    first = (method_name(call) or "").lstrip("_").split("_", 1)[0].lower()
    if first in _WAITING_WORDS:
        return True
    if first == "get" and isinstance(func, cst.Attribute):
        receiver = cst.Module([]).code_for_node(func.value).lower()
        return "queue" in receiver or receiver.rsplit(".", 1)[-1] in ("q", "_q")
    return False
