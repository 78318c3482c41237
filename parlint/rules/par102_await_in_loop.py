"""PAR102: a `for` loop (or comprehension) that awaits independent iterations one at a time."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.dependence import FunctionAnalysis, LoopAnalysis
from parlint.analysis.provider import AsyncFunctionProvider, is_test_path
from parlint.rules.base import FixSpec, Invalid, Rule, Valid
from parlint.types import Safety


def awaits_per_iteration(loop: LoopAnalysis) -> int:
    """The most awaits one iteration runs: the branches of an `if` are exclusive, so an
    `if`/`else` with one await on each side runs one (a comprehension: all of its awaits)."""
    if not isinstance(loop.node, cst.For):
        return len(loop.sites)
    awaits = {id(site.node) for site in loop.sites}
    return _most_awaits(loop.node.body, awaits)


def _most_awaits(node: cst.CSTNode, awaits: set[int]) -> int:
    if isinstance(node, cst.If):
        inside = _count_awaits(node.test, awaits)
        other = _most_awaits(node.orelse, awaits) if node.orelse is not None else 0
        return inside + max(_most_awaits(node.body, awaits), other)
    if isinstance(node, cst.Else):
        return _most_awaits(node.body, awaits)
    if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return sum(_most_awaits(stmt, awaits) for stmt in node.body)
    return _count_awaits(node, awaits)


def _count_awaits(node: cst.CSTNode, awaits: set[int]) -> int:
    stack, count = [node], 0
    while stack:
        current = stack.pop()
        if id(current) in awaits:
            count += 1
        stack.extend(current.children)
    return count


def loop_message(loop: LoopAnalysis, max_concurrency: int) -> str:
    calls = ", ".join(dict.fromkeys(f"`{site.label}`" for site in loop.sites))
    what = "comprehension" if not isinstance(loop.node, cst.For) else "`for` loop"
    per = awaits_per_iteration(loop)
    awaits = "1 await" if per == 1 else f"{per} awaits"
    if loop.framework in ("trio", "anyio"):
        how = (
            "a nursery" if loop.framework == "trio" else "a task group"
        ) + f" with a capacity limiter of max-concurrency={max_concurrency}"
    else:
        how = f"a bounded gather (max-concurrency={max_concurrency})"
    return (
        f"{what} awaits {calls} one item at a time ({awaits} per iteration) although the "
        f"iterations are independent: up to {max_concurrency} iterations' awaits could overlap "
        f"with {how}"
    )


def loop_fix_spec(
    loop: LoopAnalysis,
    analysis: FunctionAnalysis,
    config: object,
    statement: cst.CSTNode | None,
    module: cst.Module | None = None,
) -> FixSpec | None:
    try:
        from parlint.codemods.common import module_alias
        from parlint.codemods.loops import loop_fix
    except ImportError:  # the codemod is optional: report without a fix
        return None
    if not isinstance(loop.node, (cst.For, cst.ListComp, cst.SetComp, cst.DictComp)):
        return None
    # Safe only for reads in a module that uses asyncio itself: code importing no framework may
    # run under trio through an abstraction layer, where asyncio primitives fail. trio/anyio
    # loops get a nursery / task group, unsafe whatever the calls (see the docstring).
    read_only = all(site.read_only for site in loop.sites) and loop.framework == "asyncio"
    framework = loop.framework if loop.framework in ("trio", "anyio") else "asyncio"
    framework_name = None
    if module is not None and framework != "asyncio":
        framework_name = module_alias(module, framework)
    option = getattr(config, "option", None)
    try:
        style = option("fix-style") if option else "semaphore"
    except KeyError:
        style = "semaphore"
    return loop_fix(
        loop.node,  # type: ignore[arg-type]
        # Even read-only, a failure now may happen after later items have started.
        safety=Safety.SAFE if read_only else Safety.UNSAFE,
        style=style,
        max_concurrency=getattr(config, "max_concurrency", 5),
        target_version=getattr(config, "target_version", (3, 9)),
        asyncio_name=loop.asyncio_alias,
        statement_of=statement if isinstance(statement, cst.SimpleStatementLine) else None,
        scope=analysis.function,
        framework=framework,
        framework_name=framework_name,
    )


class AwaitInLoop(Rule):
    """
    ## What it does
    Finds a `for` loop, or a list/set/dict/generator comprehension, in an `async def` that
    awaits once per item although the iterations do not depend on each other, and reports the
    loop (the `for` statement or the comprehension).

    Iterations are independent only when the analysis can see that: no value written in one
    iteration is read in a later one (collecting per-item results into a list or dict is
    fine; running totals are not), no `break`/`return`/`raise` ends the loop early, no
    pacing, ordered or serial-resource call is made (sleep, locks, queues, send/recv, a shared
    connection, session or cursor), every awaited call is GET-like by name or keyed by the
    item, the loop does not change its own iterable, and every awaited call depends on the
    item (a loop that repeats the same call is a retry or a poll; a call that takes nothing
    from the item belongs before the loop).

    Iterations apply the same operation to distinct items, so an effect keyed by the item is
    independent across iterations: a call through a client object the item owns
    (`await hap.home.activate_vacation(...)`, `await bot.session.close()`), the item's own
    method offloaded to a thread, or a local API client given the item
    (`await client.delete_schedule(schedule.id)`). Not per item: a method of the item itself
    (its behaviour may touch shared state), lifecycle and hook calls (`emit_startup`,
    callbacks, handlers), a database handle reached through the item, generic executors that
    take the operation from the item (`execute_command(*cmd.args)`), recursion over children,
    coroutines that await nothing (no I/O to overlap; also when imported from another module
    of the same project, found from the file's path), calls named for local work
    (`await aformat_document(doc, prompt)`, `aencode`, `serialize`: formatting, encoding and
    serialising do no I/O), and a loop whose results
    replace its own iterable field (`self.ids = resolved`: an in-place normalisation). `while` loops (polling, retries, pagination) and
    `async for` bodies (streaming) are never reported.

    What every iteration shares also keeps them in order: one object of unknown type behind
    every call, directly or through a method of `self` that awaits through it
    (`await system.get_switch_name(i)`, `await self.api.get(kind)`,
    `await self._read_history(node)` awaiting `self.storage.read(...)`: one device,
    account or connection may answer one request at a time, log in or cache on first use, or
    limit the rate), unless it is a known concurrency-safe client (an aiohttp/httpx session,
    a pool, a local `client`, an API client type or one built over an HTTP session); a method
    of one shared object offloaded to worker threads (`to_thread(self.load, name)`, also
    through a same-module helper); `self` or the application object (`hass`, `app`) handed
    to each item's method; a method of an item the program holds in memory, directly or
    through a same-module helper that only awaits the item's methods (listeners, platforms,
    hooks, uploads: items fetched by an awaited request are remote resources and stay
    reported); items that are parts of one object built here around a shared object
    (`factory = ServiceFactory(site_id, api)`); a helper that answers from a cache before
    any await (a caching decorator, `if key in self._cache: return ...`, `try: return
    cls.by_id[key] except KeyError: ...`, or `if self._service is not None: return
    self._service`; of this module, or of another module of the project reached by an
    imported name);
    a project function that writes into an object every iteration passes it or into class
    or module state (`client.message_cache[k] = m`, `Sticker.cache[k] = name`);
    awaits that run only for the item equal to one fixed value (a search); a loop that
    handles a rate limit (429, `TOO_MANY_REQUESTS`) or already starts tasks itself.
    Nor are writes to the children of one parent: the loop iterates a collection one
    loop-invariant object owns (`for schedule in deployment.schedules`), or a list read from
    the service for one object (`messages = await client.list_messages(channel.id)`), and a
    call with effects by its verb (delete, remove, update, set, add, create...) names that
    parent as well as the child (`await client.delete_schedule(deployment.id, schedule.id)`),
    or, when the list was read for that object, writes each child by its own id
    (`versions = await client.read_artifacts(key=key)`, then
    `await client.delete_artifact(version.id)`).
    A service commonly serialises or cascades per parent (a lock on the parent's row, rows
    every child shares rewritten by each write, a read-modify-write of the parent's list, a
    rate limit per parent), so concurrent sibling writes contend or race. Reads of the
    children stay reported, and so do writes, by their own id, of items that were not read
    for one object (a list of ids given, every board of the account).
    Nor are posts of each item into one destination that does not change from item to item
    (`files_upload(channel=channel_id, thread_ts=ts, content=item.data)`,
    `thread.post_text(line)`): a conversation, thread, chat or topic shows the posts in the
    order they arrive. Nor a loop that times each iteration (`time.perf_counter()` read in the
    body: a benchmark or a latency probe), a call asked not to wait for what it starts
    (`publish(event, wait=False)`, `nowait=True`: nothing to overlap), or a loop that only
    closes responses, streams or files (`await stream.response.aclose()`: a local release
    with no round trip), nor a loop over the parts of one serial object that calls each part
    (`for plug in self._device.children: await plug.erase_stats()`: the parts of a device
    or of a connection talk through their parent's one link). `parlint explain` names the
    reason.

    ## Why is this bad?
    The loop takes the sum of the items' latencies where a bounded concurrent form takes
    about the longest of each `max-concurrency` items.

    ## Example
    ```python
    async def profiles(client, user_ids):
        result = []
        for user_id in user_ids:
            result.append(await client.get_profile(user_id))
        return result
    ```

    ## Use instead
    ```python
    async def profiles(client, user_ids):
        semaphore = asyncio.Semaphore(5)

        async def one(user_id):
            async with semaphore:
                return await client.get_profile(user_id)

        return list(await asyncio.gather(*(one(u) for u in user_ids)))
    ```
    With trio or anyio, start one task per item in a nursery / task group with a
    `CapacityLimiter`.

    ## Fix safety
    Safe when the loop's calls are read-only (GET-like) and the module imports asyncio; a
    failure still propagates. Unsafe in a module that imports no async framework (it may run
    under trio through an abstraction layer, where asyncio primitives fail), and unsafe when
    the per-item calls have effects (they then overlap, and a failure may come after later
    items have already changed). trio/anyio loops become a nursery / task group with a
    `CapacityLimiter`, each item writing its result to its own slot (order kept); that fix is
    always unsafe, because a nursery or task group raises an item's error inside an
    `ExceptionGroup` where the loop raised it bare (as the `taskgroup` style does).

    ## Options
    `max-concurrency` bounds the rewrite; `fix-style` chooses its form (asyncio only). The
    analysis options (`serial-receivers`, `concurrent-safe-receivers`, `ordered-calls`) apply.

    ## Known problems
    Test code (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`) is skipped: tests sequence
    awaits on purpose. A comment or docstring that mentions the order, concurrency, a rate
    limit or gathering near the awaits also silences the finding (the author has decided).
    Nor is code whose latency is not worth a change: a diagnostics report (a function named
    for diagnostics, run by hand for a bug report), a deprecated function that announces
    its removal as its first act (a `DeprecationWarning`, `@deprecated`, a deprecation notice),
    and the error path: code in an `except` handler (not one for a missing entry, `KeyError`,
    `...NotFound`, `...DoesNotExist`: that is ordinary control flow), or a function handed the
    exception that ended the work (a required parameter typed `BaseException`, `Exception`,
    `...Error`), where latency rarely matters and clean-up runs in a deliberate order. Nor
    is a function that every caller in its module already runs for many items at once (the
    per-item work of a `gather`, or of tasks started in a loop): overlapping its own awaits
    too would multiply the concurrent requests for little gain. A caller in another module
    is not seen.
    Writes of one parent's children that name only the child (`await
    client.delete_artifact(a.id)` over every version read for one key) are still reported:
    nothing in the call says the items share a parent, and the same shape over items that
    merely share a name is independent. Conversely, a service built for concurrent writes
    under one parent (the parts of one multipart upload, iterated from the upload) is not
    reported.
    The loop may be sequential on purpose to be gentle with a server (a rate limit) without
    an explicit sleep; mark it with `# noqa: PAR102` or lower `max-concurrency`.
    Loops through one object of unknown type are not reported even when that object is an
    HTTP API client that serves concurrent requests well: annotate it with its client type,
    or add its name to `concurrent-safe-receivers`. Of a callee in another module of the
    project parlint reads only what it writes through its arguments or into class or module
    state (followed a few calls deep; what it does to its own copy of an argument is not a
    shared write), whether it awaits at all (an undecorated `async def`), and whether every
    await it makes only hands `None` to the project's own scheduler (a bare `yield` in an
    awaitable's `__await__` or in the generator it drives, as code generators
    with an event loop of their own do: not reported); a helper there that hits a cache, a
    library's helper, or items that share one upstream account through their own objects,
    can still be reported.
    """

    code = "PAR102"
    name = "await-in-loop"
    summary = "Loop awaits independent iterations one at a time"
    fixable = True
    METADATA_DEPENDENCIES = (AsyncFunctionProvider,)

    VALID = (
        Valid(
            "async def f(client, ids):\n"
            "    total = 0\n"
            "    for i in ids:\n"
            "        total += await client.get_count(i)\n"
            "    return total\n"
        ),
        Valid(
            "async def f(client):\n"
            "    cursor = None\n"
            "    while True:\n"
            "        page = await client.list_items(cursor)\n"
            "        cursor = page.next\n"
            "        if not cursor:\n"
            "            break\n"
        ),
        Valid(
            "import asyncio\n"
            "async def f(client, ids):\n"
            "    for i in ids:\n"
            "        await client.get_item(i)\n"
            "        await asyncio.sleep(1)\n"
        ),
    )
    INVALID = (
        Invalid(
            "async def f(client, ids):\n"
            "    out = []\n"
            "    for i in ids:\n"
            "        out.append(await client.get_item(i))\n"
            "    return out\n",
            line=3,
            column=4,
        ),
        Invalid(
            "async def f(client, ids):\n"
            "    return [await client.get_item(i) for i in ids]\n",
            line=2,
            column=11,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or is_test_path(self.context.path):
            return
        analysis = self.get_metadata(AsyncFunctionProvider, node, None)
        if analysis is None:
            return
        max_concurrency = getattr(self.context.config, "max_concurrency", 5)
        for loop in analysis.loops:
            if not loop.independent:
                continue
            statement = loop.sites[0].statement if loop.sites else None
            fix = loop_fix_spec(loop, analysis, self.context.config, statement, self.context.module)
            self.report(loop.node, loop_message(loop, max_concurrency), fix=fix)
