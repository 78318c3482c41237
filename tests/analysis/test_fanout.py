"""The fan-out facts (parlint/analysis/fanout.py), each on a small snippet."""

from __future__ import annotations

import textwrap

import pytest

from parlint.analysis.fanout import ModuleFanOut, Settings, analyse_source, may_fan_out


def facts(source: str, **settings: object) -> ModuleFanOut:
    return analyse_source(textwrap.dedent(source), Settings(**settings))  # type: ignore[arg-type]


def unbounded(source: str, **settings: object) -> list[str]:
    return [f.iterable for f in facts(source, **settings).fan_outs if f.unbounded]


def bound_reasons(source: str) -> list[str]:
    return [f.bound or "" for f in facts(source).fan_outs if not f.unbounded]


def test_the_text_check_needs_a_fan_out_word_and_not_await_alone() -> None:
    assert not may_fan_out("async def f():\n    await g()\n")
    assert may_fan_out("await asyncio.gather(a(), b())")
    assert may_fan_out("tg.start_soon(f)")


@pytest.mark.parametrize(
    "body",
    [
        "await asyncio.gather(*[fetch(u) for u in urls])",
        "await asyncio.gather(*(fetch(u) for u in urls))",
        "await asyncio.gather(*map(fetch, urls))",
        "await asyncio.wait([asyncio.create_task(fetch(u)) for u in urls])",
        "tasks = [fetch(u) for u in urls]\n    await asyncio.gather(*tasks)",
        "tasks = []\n    for u in urls:\n        tasks.append(fetch(u))\n    await asyncio.gather(*tasks)",
        "for u in urls:\n        asyncio.create_task(fetch(u))",
    ],
    ids=["listcomp", "genexp", "map", "wait", "built-list", "appended", "spawn-loop"],
)
def test_a_fan_out_over_a_parameter_is_data_sized(body: str) -> None:
    source = f"import asyncio\nasync def f(urls):\n    {body}\n"
    assert unbounded(source) == ["urls"]


def test_import_aliases_resolve_and_local_names_shadow() -> None:
    aliased = "import asyncio as aio\nasync def f(urls):\n    await aio.gather(*[g(u) for u in urls])\n"
    assert unbounded(aliased) == ["urls"]
    imported = "from asyncio import gather\nasync def f(urls):\n    await gather(*[g(u) for u in urls])\n"
    assert unbounded(imported) == ["urls"]
    local = "async def f(urls, gather):\n    await gather(*[g(u) for u in urls])\n"
    assert unbounded(local) == []


@pytest.mark.parametrize(
    "iterable",
    ["('a', 'b', 'c')", "range(3)", "PLATFORMS", "Color", "self.nodes", "hosts", "platforms"],
)
def test_small_or_configuration_sized_iterables_are_not_reported(iterable: str) -> None:
    source = (
        "import asyncio\nPLATFORMS = ['light', 'switch']\n"
        f"async def f(self, hosts, platforms):\n    await asyncio.gather(*[g(x) for x in {iterable}])\n"
    )
    assert unbounded(source) == []


def test_a_constant_range_has_a_visible_width_and_a_computed_one_is_data() -> None:
    constant = "import asyncio\nasync def f():\n    await asyncio.gather(*[page(i) for i in range(500)])\n"
    assert unbounded(constant) == []
    computed = "import asyncio\nasync def f(n):\n    await asyncio.gather(*[page(i) for i in range(n)])\n"
    assert unbounded(computed) == ["range(n)"]


def test_user_declared_small_iterables() -> None:
    source = "import asyncio\nasync def f(customers):\n    await asyncio.gather(*[g(c) for c in customers])\n"
    assert unbounded(source) == ["customers"]
    assert unbounded(source, small_iterables=("customers",)) == []


def test_a_worker_holding_a_semaphore_bounds_the_fan_out() -> None:
    source = """
        import asyncio
        SEM = asyncio.Semaphore(4)

        async def fetch_one(url):
            async with SEM:
                return await get(url)

        async def fetch_all(urls):
            return await asyncio.gather(*[fetch_one(u) for u in urls])
    """
    assert unbounded(source) == []
    assert bound_reasons(source) == ["`fetch_one` holds a limiter"]


def test_a_function_creating_a_limiter_bounds_its_fan_outs() -> None:
    source = """
        import asyncio

        async def fetch_all(urls):
            sem = asyncio.Semaphore(4)
            return await asyncio.gather(*[limited(sem, u) for u in urls])
    """
    assert unbounded(source) == []


def test_bounding_helpers_by_name_and_by_configuration() -> None:
    named = "import asyncio\nasync def f(urls):\n    await asyncio.gather(*[bounded_fetch(u) for u in urls])\n"
    assert unbounded(named) == []
    plain = "import asyncio\nasync def f(urls):\n    await asyncio.gather(*[throttle.run(u) for u in urls])\n"
    assert unbounded(plain) == ["urls"]
    assert unbounded(plain, bounding_helpers=("throttle.*",)) == []


def test_worker_pools_and_batches_are_bounded() -> None:
    pool = "import asyncio\nasync def f(q, n):\n    await asyncio.gather(*[worker(q) for _ in range(n)])\n"
    assert unbounded(pool) == []
    batches = """
        import asyncio

        async def f(items):
            for start in range(0, len(items), 50):
                await asyncio.gather(*[put(x) for x in items[start:start + 50]])
    """
    assert unbounded(batches) == []


def test_existing_tasks_and_clean_ups_start_no_new_work() -> None:
    existing = "import asyncio\nasync def f(futures):\n    await asyncio.gather(*[fut for fut in futures])\n"
    assert unbounded(existing) == []
    closing = "import asyncio\nasync def f(conns):\n    await asyncio.gather(*[c.close() for c in conns])\n"
    assert unbounded(closing) == []


def test_a_spawn_in_a_loop_that_awaits_each_iteration_is_paced() -> None:
    source = """
        import asyncio

        async def f(urls):
            for url in urls:
                asyncio.create_task(fetch(url))
                await asyncio.sleep(0.1)
    """
    assert unbounded(source) == []


def test_tasks_gathered_later_are_reported_once_at_the_gather() -> None:
    source = """
        import asyncio

        async def f(urls):
            tasks = [asyncio.create_task(fetch(u)) for u in urls]
            await asyncio.gather(*tasks)
    """
    found = facts(source).fan_outs
    assert [(f.api, f.spawn) for f in found] == [("asyncio.gather", False)]


def test_trio_and_anyio_start_soon_in_a_loop() -> None:
    source = """
        async def f(nursery, users):
            for user in users:
                nursery.start_soon(mail, user)
    """
    assert [f.api for f in facts(source).fan_outs if f.unbounded] == ["nursery.start_soon"]


def test_literal_gathers_are_counted() -> None:
    found = facts("import asyncio\nasync def f():\n    await asyncio.gather(a(), b(), *[c(), d()])\n")
    assert [g.count for g in found.literal_gathers] == [4]


def handled(source: str) -> list[str | None]:
    return [g.handled for g in facts(source).gathers if not g.return_exceptions]


WRITES = "asyncio.gather(store.save(a), store.delete(b))"


@pytest.mark.parametrize(
    ("wrapper", "expected"),
    [
        ("    await {g}\n", None),
        ("    try:\n        await {g}\n    except OSError:\n        log()\n", "inside a try/except"),
        ("    try:\n        await {g}\n    except OSError:\n        raise\n", None),
        ("    with contextlib.suppress(OSError):\n        await {g}\n", "inside contextlib.suppress"),
        ("    try:\n        await {g}\n    finally:\n        t.cancel()\n", "a finally that cancels the tasks"),
    ],
    ids=["bare", "handled", "reraise-only", "suppress", "finally-cancel"],
)
def test_error_handling_around_a_gather(wrapper: str, expected: str | None) -> None:
    source = "import asyncio\nasync def f(store, a, b, t):\n" + wrapper.format(g=WRITES)
    assert handled(source) == [expected]


def test_reads_and_drains_are_not_error_handling_problems() -> None:
    reads = "import asyncio\nasync def f(api):\n    await asyncio.gather(api.get_a(), api.get_b())\n"
    assert handled(reads)[0] is not None
    drain = (
        "import asyncio\nasync def f(tasks):\n    for t in tasks:\n        t.cancel()\n"
        "    await asyncio.gather(*tasks)\n"
    )
    assert handled(drain) == ["a cancel-then-drain"]


def test_coroutines_that_catch_their_own_errors() -> None:
    source = """
        import asyncio

        async def save(item):
            try:
                await item.save()
            except Exception:
                log.exception("save failed")

        async def save_both(a, b):
            await asyncio.gather(save(a), save(b))
    """
    assert handled(source) == ["the gathered coroutines catch their own errors"]


def test_every_caller_handling_errors_covers_the_gather() -> None:
    source = """
        import asyncio

        async def save_both(a, b):
            await asyncio.gather(a.save(), b.save())

        async def main(a, b):
            try:
                await save_both(a, b)
            except OSError:
                log.exception("failed")
    """
    assert handled(source) == ["every caller handles errors"]
    another = textwrap.dedent(source) + "\nasync def other(a, b):\n    await save_both(a, b)\n"
    assert handled(another) == [None]


def results(source: str) -> list[str | None]:
    return [g.results for g in facts(source).gathers if g.return_exceptions]


RE = "await asyncio.gather(a.save(), b.save(), return_exceptions=True)"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"    {RE}\n", "discarded"),
        (f"    rs = {RE}\n    return [r.id for r in rs]\n", "unchecked"),
        (f"    rs = {RE}\n    for r in rs:\n        if isinstance(r, Exception):\n            log(r)\n", None),
        (f"    rs = {RE}\n    return rs\n", None),
        (f"    for r in {RE}:\n        if isinstance(r, BaseException):\n            raise r\n", None),
        (f"    x, y = {RE}\n    return x.id\n", "unchecked"),
        (f"    rs = {RE}\n    self.check_results(rs)\n", None),
        (f"    rs = {RE}\n    if any(isinstance(r, Exception) for r in rs):\n        raise Failed\n", None),
        (f"    for i, r in enumerate({RE}):\n        total += r.size\n", "unchecked"),
        (f"    for i, r in enumerate({RE}):\n        if isinstance(r, Exception):\n            log(i)\n", None),
        (
            f"    rs = {RE}\n    exc = next((r for r in rs if isinstance(r, BaseException)), None)\n",
            None,
        ),
    ],
    ids=[
        "discarded", "used", "isinstance", "returned", "loop-raise", "unpacked", "helper", "any",
        "enumerate-used", "enumerate-checked", "next-isinstance",
    ],
)
def test_result_checks_for_return_exceptions(body: str, expected: str | None) -> None:
    source = "import asyncio\nasync def f(self, a, b):\n" + body
    assert results(source) == [expected]


def test_a_cancel_then_drain_may_discard_its_results() -> None:
    source = (
        "import asyncio\nasync def f(tasks):\n    for t in tasks:\n        t.cancel()\n"
        "    await asyncio.gather(*tasks, return_exceptions=True)\n"
    )
    assert results(source) == [None]


def test_a_best_effort_close_may_discard_its_results() -> None:
    source = "import asyncio\nasync def f(a, b):\n    await asyncio.gather(a.close(), b.close(), return_exceptions=True)\n"
    assert results(source) == [None]


def test_a_five_hundred_line_function_is_analysed_quickly() -> None:
    import time

    lines = ["import asyncio", "async def big(items, store):"]
    for i in range(250):
        lines.append(f"    r{i} = await asyncio.gather(*[store.put(x) for x in items])")
        lines.append(f"    log(r{i})")
    start = time.perf_counter()
    found = facts("\n".join(lines) + "\n")
    assert len(found.fan_outs) == 250
    assert time.perf_counter() - start < 5.0


def test_generic_helpers_leave_the_width_to_their_callers() -> None:
    caller_supplied = """
        async def run_each(tg, func, items):
            for item in items:
                tg.start_soon(func, item)
    """
    assert unbounded(caller_supplied) == []
    star_args = """
        import asyncio

        async def race(*events):
            async def jockey(event):
                await event.wait()

            await asyncio.gather(*[jockey(e) for e in events])
    """
    assert unbounded(star_args) == []
    specific = "import asyncio\nasync def delete(client, *keys):\n    await asyncio.gather(*[client.delete(k) for k in keys])\n"
    assert unbounded(specific) == ["keys"]


def test_configuration_sized_sources_are_followed_through_locals_and_loops() -> None:
    via_local = """
        import asyncio

        async def f(cluster):
            brokers = cluster.list_brokers()
            await asyncio.gather(*[b.describe() for b in brokers])
    """
    assert unbounded(via_local) == []
    via_loop = """
        import asyncio

        async def f(self):
            for kind, queries in self._queries.items():
                tasks = [q.run() for q in queries]
                await asyncio.gather(*tasks)
    """
    assert unbounded(via_loop) == []
    grouped = """
        import asyncio
        from collections import defaultdict

        async def f(changes):
            by_kind = defaultdict(list)
            for c in changes:
                by_kind[c.kind].append(c)
            await asyncio.gather(*[apply(kind, cs) for kind, cs in by_kind.items()])
    """
    assert unbounded(grouped) == []


@pytest.mark.parametrize(
    ("calls", "reported"),
    [
        ("api.get_user(a), api.list_orders(a)", False),
        ("api.delete_user(a), api.remove_orders(a)", True),
        ("api.request(EnableRequest.create(a)), api.request(DisableRequest.create(b))", True),
        ("redis.execute_command('DEL', a), redis.execute_command('DEL', b)", True),
        ("loop.run_in_executor(None, read_file, a), loop.run_in_executor(None, read_file, b)", False),
        ("create_platform_type(a), create_platform_type(b)", False),
    ],
    ids=["reads", "deletes", "nested-create", "command-string", "executor-read", "wiring"],
)
def test_par301_needs_calls_that_change_state(calls: str, reported: bool) -> None:
    source = f"import asyncio\nasync def f(api, redis, loop, a, b):\n    await asyncio.gather({calls})\n"
    assert (handled(source) == [None]) is reported
