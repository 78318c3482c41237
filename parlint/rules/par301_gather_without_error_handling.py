"""PAR301: `await asyncio.gather(...)` whose failure nothing visible handles."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.fanout import GatherSite, module_fan_out
from parlint.rules.base import FixSpec, Invalid, Rule, Valid

MESSAGE = (
    "`asyncio.gather` without error handling: when one awaitable fails, the others keep "
    "running and their errors are lost; use `asyncio.TaskGroup` (3.11+) or "
    "`return_exceptions=True` and check the results"
)


class GatherWithoutErrorHandling(Rule):
    """
    ## What it does
    Finds `await asyncio.gather(a, b, ...)` without `return_exceptions=True` whose failure
    nothing visible handles: it is not inside a `try` with an `except` in the same function
    (an `except` that only re-raises does not count), and the awaitables do real work that
    changes state: writes, deletes, updates, notifications, set-up of lasting work (judged by
    the verbs of the calls, `remove_item`, `update_state`, `async_initialise_vehicle`, of the
    calls in their arguments, of command strings such as `"DEL"`, and one call deep into
    same-module coroutines; an executor offload takes its function's verb). Calls of
    registered callables (`listener(sender, instance) for listener in listeners`) count as
    real work too (also inside a gather nested as an item): hooks and signal listeners are
    user code that commonly writes.

    ## Why is this bad?
    When one awaitable fails, `gather` raises at once, but the others keep running,
    un-awaited: their results are thrown away and their own errors end up as "Task exception
    was never retrieved" in the log, long after the request that started them failed.
    Half-done writes stay half done, with nobody told.

    ## Example
    ```python
    async def sync_account(account):
        await asyncio.gather(push_orders(account), push_invoices(account))
    ```

    ## Use instead
    On Python 3.11+, a `TaskGroup` cancels the siblings and raises every error in an
    `ExceptionGroup`:
    ```python
    async def sync_account(account):
        async with asyncio.TaskGroup() as tg:
            tg.create_task(push_orders(account))
            tg.create_task(push_invoices(account))
    ```
    Or collect every outcome and re-raise the first error:
    ```python
    async def sync_account(account):
        results = await asyncio.gather(
            push_orders(account), push_invoices(account), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
    ```

    ## Fix safety
    Display-only: the suggestion shows the `TaskGroup` form. Switching changes what the
    caller sees (an `ExceptionGroup` instead of the first error; the siblings cancelled), so
    parlint never applies it.

    ## Options
    None.

    ## Known problems
    Not flagged: reads (`get_*`, `fetch_*`, `read_*`, `count_*`...): the first error simply
    propagates and nothing is left half done; creating or registering platforms, types or
    handlers (in-process wiring); calls whose verb says nothing (`handle_*`, `process_*`,
    callbacks): without evidence of a side effect parlint stays quiet; a same-module
    coroutine whose awaits are all reads, whatever its name says (`update_device_config`
    that only requests a name and fills a dict); callables the function lists itself when
    all are reads (`[client.read_flow, client.read_flow_status]`); clean-ups (every
    awaitable closes, stops, disconnects, or undoes its own item: `entity.async_remove()`,
    `service.async_unregister_services()` in a reload's or an unload's tear-down; not
    `member.remove_from_group()`, which changes the group); an object told to update or refresh itself with no arguments
    (`handler.async_update()`: a poll, a read), or to set itself up with nothing handed in
    (`registry.async_initialize()`, `dev.initialize(from_cache=True)`: its owner drops it
    when that fails; `initialise_vehicle(link)` is still a change); a gather of one
    awaitable; gathers inside a `try` whose `except` does more
    than re-raise, or inside `contextlib.suppress`, or in a `try` whose `finally` cancels the
    tasks (a library's own TaskGroup-like helper); shutdown drains (tasks cancelled earlier
    in the function, then gathered); gathers of event waits and sleeps; gathers whose
    awaitables are same-module coroutines that catch their own errors (every await inside a
    `try` with a handler that does not re-raise, also a specific one such as
    `except ApiError: log; return`: the expected failures are dealt with); functions whose every
    caller in the module calls them inside such a `try`; `anyio.gather` (it runs in a task
    group); a gather that is returned or passed on instead of awaited (its caller handles it).

    Handling further up the call stack, in another module, is not visible: suppress with
    `# noqa: PAR301` where the caller's handling is deliberate.
    """

    code = "PAR301"
    name = "gather-without-error-handling"
    summary = "asyncio.gather whose failure leaves its siblings running, unobserved"
    fixable = True
    VALID = (
        Valid(
            """
            import asyncio

            async def sync_account(account):
                try:
                    await asyncio.gather(push_orders(account), push_invoices(account))
                except PushError:
                    log.exception("sync failed")
            """
        ),
        Valid(
            """
            import asyncio

            async def stop(tasks):
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks)
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import asyncio

            async def sync_account(account):
                await asyncio.gather(push_orders(account), push_invoices(account))
            """,
            line=5,
            column=10,
            message=MESSAGE,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        facts = module_fan_out(self.context)
        for site in facts.gathers:
            if not site.return_exceptions and site.awaited and site.handled is None:
                self.report(site.call, MESSAGE, fix=self._fix(site))

    def _fix(self, site: GatherSite) -> FixSpec | None:
        try:
            from parlint.codemods.bound import taskgroup_suggestion
        except ImportError:  # the codemods are optional: report without a suggestion
            return None
        return taskgroup_suggestion(
            site.call, message="Use a TaskGroup (3.11+)", target=site.target
        )
