"""PAR202: a gather of more literal awaitables than `max-concurrency` (off by default)."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.fanout import module_fan_out
from parlint.rules.base import Invalid, Rule, Valid


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
    There is no fix: how to split a literal gather (which calls belong together) is a
    judgement the author makes.

    ## Options
    - `max-concurrency` (default 5): a gather of more literal awaitables than this is
      reported.

    ## Known problems
    Each literal argument counts as one awaitable, also an event wait or a sleep. Starred
    arguments over data are PAR201's business and are not counted here, except literal lists
    and tuples (`*[a(), b()]`), whose items are counted.
    """

    code = "PAR202"
    name = "wide-literal-gather"
    summary = "A gather of more literal awaitables than max-concurrency"
    default_enabled = False
    VALID = (
        Valid(
            """
            import asyncio

            async def load():
                return await asyncio.gather(users(), orders(), items())
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
                )
