"""PAR201: a fan-out whose width is the size of the data, with nothing bounding it."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.fanout import FanOut, module_fan_out
from parlint.rules.base import FixSpec, Invalid, Rule, Valid
from parlint.types import Option


def short(text: str, limit: int = 40) -> str:
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 3] + "..."


def fan_out_message(fan_out: FanOut, max_concurrency: int) -> str:
    if fan_out.spawn:
        what = f"`{fan_out.api}` in a loop starts one task per item of `{short(fan_out.iterable)}`"
    else:
        what = f"`{fan_out.api}` runs one awaitable per item of `{short(fan_out.iterable)}`"
    return (
        f"unbounded fan-out: {what}, all at once; bound it with a semaphore or batches of "
        f"max-concurrency={max_concurrency}"
    )


class UnboundedFanOut(Rule):
    """
    ## What it does
    Finds a concurrent fan-out whose width is the size of the data, with nothing bounding it:
    `asyncio.gather(*[f(x) for x in xs])`, `gather(*map(f, xs))`, `gather(*tasks)` where
    `tasks` was built by a loop or comprehension, `asyncio.wait(...)` and
    `asyncio.as_completed(...)` likewise, and `create_task` / `ensure_future` /
    `TaskGroup.create_task` / trio and anyio `start_soon` called in a `for` loop over data.

    The width counts as data when parlint can see where it comes from: a collection the
    caller hands in (a parameter, also through locals, filters and appending loops), a count
    computed at run time (`range(first_page, last_page + 1)`), or a recursion (the work fans
    out again over what it finds: graph-sized). When the function's callers are in the same
    module, their arguments decide: a parameter that every caller fills with a short literal,
    or with a collection it fetched or holds, is not data. Collections the function fetches
    (`await api.list_issues()`, the N+1 pattern included) or an object holds (`self.nodes`,
    `group.app_ids`) are sized by that service or object, which parlint cannot see: they are
    reported only with `fan-out-report-fetched = true` (see Known problems). It is reported at the gather/wait call, or at the
    task-creating call in the loop.

    ## Why is this bad?
    The number of tasks in flight grows with the input. With ten items it works; with ten
    thousand it opens ten thousand connections, exhausts file descriptors or the server's rate
    limit, and fails in production while every test passes.

    ## Example
    ```python
    async def download_all(urls):
        return await asyncio.gather(*[download(url) for url in urls])
    ```

    ## Use instead
    ```python
    async def download_all(urls):
        semaphore = asyncio.Semaphore(10)

        async def bounded_download(url):
            async with semaphore:
                return await download(url)

        return await asyncio.gather(*[bounded_download(url) for url in urls])
    ```
    With trio or anyio, start the tasks in a nursery and hold a `CapacityLimiter` in the
    worker; or process the input in batches of `max-concurrency`.

    ## Fix safety
    The fix wraps each awaitable of the fan-out in a coroutine that awaits it under one
    `asyncio.Semaphore(max-concurrency)`. It is unsafe: results, exceptions and cancellation
    stay the same, but work that relied on running all at once (a barrier, items that wait
    for each other) would deadlock or slow down. It is offered only for a gather over a
    comprehension or `map` and for `create_task` in a comprehension, and never for a
    recursion: a semaphore made in each call bounds one level, not the walk, and one shared
    semaphore held while a call waits for its children can deadlock.

    ## Options
    - `max-concurrency` (default 5): the bound the message and the fix suggest.
    - `fan-out-small-width` (default 10): a constant `range(N)` with at most this many items
      is small, not data.
    - `fan-out-small-iterables` (list of patterns, default none): iterables known to be small
      in your code base, by their spelling (`"hosts"`, `"self.*_platforms"`).
    - `fan-out-bounding-helpers` (list of patterns): calls that bound their work themselves
      (`"gather_with_concurrency"`, `"*.limited_fetch"`).
    - `fan-out-report-fetched` (default false): also report fan-outs over collections the
      function fetches or an object holds (awaited and plain call results, fields and entries
      of a fetched document, attributes, entries of a mapping), as in a web service whose
      listings are routinely large. Off by default: in the labelled corpus such collections
      were nearly always small (devices, add-ons, open issues, one account's vehicles).

    ## Known problems
    Not flagged, by design: a literal list or tuple of calls (see PAR202); `range(N)` with a
    small constant; module constants (literal displays, UPPER_CASE names) and enum classes;
    collections an object holds (`self.nodes`, `cls.registry`: its configuration or
    registrations); collections named for things a deployment, a catalogue or a calendar has
    a few of (brokers, nodes, hosts, shards, platforms, config entries, devices, entities,
    accounts, listeners, callbacks, days...), also when reached through a local variable or a
    loop over them; one item per group of a `defaultdict`; items that are themselves called
    (dispatch to registered callables); generic helpers (the caller supplies the work
    function, or the items come in as `*args` to a closure worker): their callers choose the
    width;
    in-memory work (`build_*`, `parse_*`, `render_*`, a same-module coroutine that never
    awaits), in-process dispatch (also through same-module helpers), awaitables the caller
    made and a helper only wraps in futures, async file I/O (it runs in the
    thread pool's limiter); loops that acquire a slot before each task; workers that hold a
    semaphore, limiter, lock or pool slot when the worker is visible in the same module (up to
    two calls deep) or is a wrapper named like one (`bounded_*`, `*_with_limit`); a function
    that creates a `Semaphore`/`CapacityLimiter`; N-worker pools over a queue; loops that
    slice the input into batches; thread-pool offloads; waits and clean-ups (`event.wait()`,
    `close()`); gathering tasks or futures that already exist; loops whose iterations await;
    spawns in `async for` or `while` loops (servers and stream consumers spawn per arrival by
    design; their rate is the peer's).

    A fan-out whose only caller passes a short list is provably small only when that caller
    is in the same module (then parlint reads its argument and stays silent; it reads the
    direct callers only: a caller that hands on its own parameter counts as passing data). When the
    callers live in other modules parlint sees only a parameter and reports it: add the
    parameter's spelling to `fan-out-small-iterables` (`fan-out-small-iterables = ["hosts"]`
    in `[tool.parlint]`), or suppress the line with `# noqa: PAR201` and say why in the
    comment (`# noqa: PAR201 - callers pass at most the three regions`).

    The N+1 pattern is not reported by default: a listing the function fetches itself and
    then requests item by item, all at once (`items = await client.list_items()` followed by
    `gather(*[client.get(i.id) for i in items])`). parlint cannot see how long a remote
    listing is, and in the labelled corpus reporting such listings by default added only
    false positives: reporting the value of an awaited call (`await client.list_items()`)
    added one site, one account's pet trackers; reporting fields of a fetched document too
    (`data["issues"]`, `(await api.products())["response"]`) added three more, a handful of
    add-on messages, open issues and vehicles. What is reported by default: a collection a
    caller hands in, a count computed at run time, a recursion. What needs
    `fan-out-report-fetched = true`: the value of any call (awaited or not), a field or entry
    of a fetched document, an attribute (`self.pending`, `group.members`), an entry of a
    mapping or message, and a parameter whose every same-module caller passes one of those.
    With the option, an awaited listing is judged by the call's name and arguments, not by
    its receiver (`await client.list_invoices()` is reported; `await api.list_devices()` is
    still configuration-sized). Turn it on with `fan-out-report-fetched = true` in
    `[tool.parlint]`; or keep the default for CI and run the wider check now and then with
    `parlint check --config <file that sets it>`.

    A bound applied by an imported wrapper with an ordinary name, or by a limiter held by the
    caller, is not visible: configure `fan-out-bounding-helpers` or suppress. The
    configuration-sized names are a heuristic: a collection of "devices" that really holds
    thousands is missed (name it in review, or bound it anyway).
    """

    code = "PAR201"
    name = "unbounded-fan-out"
    summary = "Concurrent fan-out as wide as the data, with nothing bounding it"
    fixable = True
    options = (
        Option(
            "fan-out-small-width",
            "int",
            10,
            "A constant range(N) with at most this many items is small, not data-sized.",
            owner="PAR201",
            minimum=1,
        ),
        Option(
            "fan-out-small-iterables",
            "str-list",
            (),
            "Iterables (fnmatch patterns on their spelling) known to be small.",
            owner="PAR201",
        ),
        Option(
            "fan-out-bounding-helpers",
            "str-list",
            (),
            "Calls (fnmatch patterns) whose work is bounded by the callee itself.",
            owner="PAR201",
        ),
        Option(
            "fan-out-report-fetched",
            "bool",
            False,
            "Also report fan-outs over collections a function fetches or an object holds.",
            owner="PAR201",
        ),
    )
    VALID = (
        Valid(
            """
            import asyncio

            async def refresh(device_a, device_b):
                await asyncio.gather(device_a.update(), device_b.update())
            """
        ),
        Valid(
            """
            import asyncio

            async def refresh(devices):
                semaphore = asyncio.Semaphore(10)

                async def update(device):
                    async with semaphore:
                        await device.update()

                await asyncio.gather(*[update(device) for device in devices])
            """
        ),
        Valid(
            """
            import asyncio

            async def crawl(queue, workers):
                await asyncio.gather(*[consume(queue) for _ in range(workers)])
            """
        ),
        Valid(
            """
            import asyncio

            async def ping_all(client, hosts):
                await asyncio.gather(*[client.ping(host) for host in hosts])

            async def health_check(client):
                await ping_all(client, ["primary", "replica"])
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import asyncio

            async def download_all(urls):
                return await asyncio.gather(*[download(url) for url in urls])
            """,
            line=5,
            column=17,
            message=(
                "unbounded fan-out: `asyncio.gather` runs one awaitable per item of `urls`, "
                "all at once; bound it with a semaphore or batches of max-concurrency=5"
            ),
        ),
        Invalid(
            """
            import asyncio

            async def all_pages(api):
                first = await api.page(1)
                rest = range(2, first.last_page + 1)
                return [first, *await asyncio.gather(*[api.page(n) for n in rest])]
            """,
            line=7,
            column=26,
            message=(
                "unbounded fan-out: `asyncio.gather` runs one awaitable per item of `rest`, "
                "all at once; bound it with a semaphore or batches of max-concurrency=5"
            ),
        ),
        Invalid(
            """
            import trio

            async def notify_all(nursery, users):
                for user in users:
                    nursery.start_soon(send_mail, user)
            """,
            line=6,
            column=8,
            message=(
                "unbounded fan-out: `nursery.start_soon` in a loop starts one task per item of "
                "`users`, all at once; bound it with a semaphore or batches of "
                "max-concurrency=5"
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        facts = module_fan_out(self.context)
        if not facts.fan_outs:
            return
        max_concurrency = self.context.config.max_concurrency
        for fan_out in facts.fan_outs:
            if fan_out.unbounded:
                self.report(
                    fan_out.call,
                    fan_out_message(fan_out, max_concurrency),
                    fix=self._fix(fan_out, max_concurrency),
                )

    def _fix(self, fan_out: FanOut, max_concurrency: int) -> FixSpec | None:
        """Bound with an asyncio semaphore (the codemod decides which shapes it can rewrite):
        asyncio only, and only over coroutines: a task that is already running would only be
        waited for under the semaphore, not bounded."""
        if not fan_out.api.startswith("asyncio.") or fan_out.recursive:
            return None
        from parlint.codemods.bound import semaphore_fix, starts_tasks

        if not fan_out.spawn and starts_tasks(fan_out.call):
            return None
        return semaphore_fix(
            self.context.module,
            fan_out.call,
            message=f"Bound the fan-out with asyncio.Semaphore({max_concurrency})",
            max_concurrency=max_concurrency,
        )
