"""Await sites, stages per block, barriers with reasons, loops, cost."""

import textwrap
import time

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.dependence import pair_reason
from parlint.analysis.effects import CallKind
from parlint.analysis.provider import AsyncFunctionProvider, analyse_module


def analyse(code: str):
    module = cst.parse_module(textwrap.dedent(code))
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    (analysis,) = [a for a in analyse_module(module, None, positions)]
    return analysis, positions


def group_lines(code: str):
    analysis, positions = analyse(code)
    return [
        [positions[g.block.statements[i]].start.line for i in g.stage1] for g in analysis.groups
    ]


def loop_reasons(code: str):
    analysis, _ = analyse(code)
    return [[r.kind for r in loop.reasons] for loop in analysis.loops]


def test_await_sites_record_resolved_name_receiver_targets_and_kind():
    analysis, _ = analyse(
        """
        import asyncio as aio
        async def f(self):
            user = await self.client.get_user(1)
            await aio.sleep(1)
        """
    )
    first, second = analysis.sites
    assert (first.name, first.receiver, first.targets) == (
        "self.client.get_user", "self.client", ("user",)
    )
    assert first.kind is CallKind.READ_ONLY and first.read_only
    assert second.name == "asyncio.sleep"
    assert second.barrier.kind == "pacing"


def test_independent_then_dependent_gives_two_stages():
    code = """
    async def f(api: ApiClient):
        a = await api.get_a()
        b = await api.get_b()
        c = await api.get_c()
        d = await api.get_d(a)
    """
    analysis, _ = analyse(code)
    (group,) = analysis.groups
    assert (group.awaits_in_segment, group.stages_in_segment) == (4, 2)
    assert group_lines(code) == [[3, 4, 5]]
    assert group.read_only


def test_sync_statement_feeding_a_later_await_stays_before_the_group():
    analysis, _ = analyse(
        """
        async def f(api: ApiClient, x):
            key = x.upper()
            a = await api.get_a(key)
            b = await api.get_b()
        """
    )
    (group,) = analysis.groups
    assert group.stage1 == (1, 2) and group.before == () and group.after == ()


def test_walrus_creates_a_dependence():
    assert group_lines(
        """
        async def f(api):
            if (user := await api.get_user()):
                pass
            posts = await api.get_posts(user)
        """
    ) == []


def test_global_written_by_one_call_and_read_by_the_next():
    module = cst.parse_module(
        textwrap.dedent(
            """
            STATE = {}
            async def load_state():
                STATE["x"] = await fetch_x()
            async def get_value():
                return await lookup(STATE["x"])
            async def f():
                await load_state()
                await get_value()
            """
        )
    )
    analyses = {a.function.name.value: a for a in analyse_module(module)}
    assert analyses["f"].groups == []
    reason = pair_reason(analyses["f"], *[s.node for s in analyses["f"].sites])
    assert reason.describe() == "data dependence on `STATE`"


def test_summaries_two_calls_deep_block_grouping():
    module = cst.parse_module(
        textwrap.dedent(
            """
            class C:
                async def _store(self):
                    self.token = await self.api.fetch_token()
                async def ensure(self):
                    await self._store()
                async def read(self):
                    return await self.api.get_data(self.token)
                async def f(self):
                    await self.ensure()
                    data = await self.read()
            """
        )
    )
    analyses = {a.function.name.value: a for a in analyse_module(module)}
    assert analyses["f"].groups == []


def test_barriers_carry_reasons():
    analysis, positions = analyse(
        """
        import asyncio
        async def f(api, conn, ws):
            a = await conn.fetch("a")
            b = await conn.fetch("b")
            await ws.send("x")
            r = await ws.recv()
            user = await api.get_user()
            if not user.ok:
                return None
            other = await api.get_other()
        """
    )
    sites = analysis.sites
    reasons = [pair_reason(analysis, sites[i].node, sites[i + 1].node) for i in range(5)]
    kinds = [r.kind if r else None for r in reasons]
    assert kinds == ["serial-resource", "ordered", "ordered", "ordered", "early-exit"]
    assert reasons[0].describe() == "shared serial resource `conn`"


def test_branches_and_try_blocks_are_not_grouped_across():
    assert group_lines(
        """
        async def f(api, flag):
            if flag:
                a = await api.get_a()
            b = await api.get_b()
            try:
                c = await api.get_c()
            except KeyError:
                c = None
            d = await api.get_d()
        """
    ) == []


def test_effectful_calls_are_never_grouped():
    assert group_lines(
        """
        async def f(api, email):
            user = await api.create_user(email)
            await api.send_welcome(email)
        """
    ) == []


def test_same_stateful_receiver_is_not_grouped():
    assert group_lines(
        """
        async def f(page, url):
            await page.goto(url)
            title = await page.title()
        """
    ) == []


def test_lock_section_keeps_order():
    assert group_lines(
        """
        async def f(api, lock):
            async with lock:
                a = await api.get_a()
                b = await api.get_b()
        """
    ) == []


def test_for_loop_with_collector_is_independent_and_running_total_is_not():
    assert loop_reasons(
        """
        async def f(client, ids):
            out = []
            for i in ids:
                out.append(await client.get(i))
            total = 0
            for i in ids:
                total += await client.count(i)
        """
    ) == [[], ["loop-carried", "shared-state"]]


def test_loop_exits_pacing_serial_and_repeats():
    reasons = loop_reasons(
        """
        import asyncio
        async def f(client, conn, ids):
            for i in ids:
                r = await client.get(i)
                if r:
                    return r
            for i in ids:
                await client.get(i)
                await asyncio.sleep(1)
            for i in ids:
                await conn.fetch(i)
            for _ in range(3):
                await client.get_status()
        """
    )
    assert reasons == [["early-exit"], ["pacing"], ["serial-resource"], ["repeats"]]


def test_loop_that_feeds_its_own_iterable():
    assert "iterable-fed" in loop_reasons(
        """
        async def f(client, start):
            queue = [start]
            for url in queue:
                page = await client.get(url)
                queue.extend(page.links)
        """
    )[0]


def test_comprehension_is_a_loop():
    assert loop_reasons(
        """
        async def f(client, ids):
            return [await client.get(i) for i in ids]
        """
    ) == [[]]


def test_nested_async_def_is_analysed_on_its_own():
    module = cst.parse_module(
        textwrap.dedent(
            """
            async def outer(users, orders):
                async def inner():
                    a = await users.get_a()
                    b = await orders.get_b()
                    return a, b
                return await inner()
            """
        )
    )
    analyses = {a.function.name.value: a for a in analyse_module(module)}
    assert len(analyses["inner"].groups) == 1
    assert analyses["outer"].groups == []
    assert len(analyses["outer"].sites) == 1


def test_a_500_line_function_is_analysed_in_near_linear_time():
    lines = ["async def big(api, conn):"]
    for i in range(250):
        lines.append(f"    v{i} = await api.get_item({i})")
        lines.append(f"    w{i} = v{i} + 1" if i % 2 else f"    await conn.fetch(v{i})")
    module = cst.parse_module("\n".join(lines) + "\n")
    start = time.perf_counter()
    (analysis,) = analyse_module(module)
    elapsed = time.perf_counter() - start
    assert len(analysis.sites) == 375
    assert elapsed < 5.0  # a quadratic pass over 500 statements would be far slower


def test_provider_is_lazy_and_per_async_function():
    module = cst.parse_module("def sync():\n    pass\nasync def f(api):\n    await api.get()\n")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    mapping = wrapper.resolve(AsyncFunctionProvider)
    assert [fn.name.value for fn in mapping] == ["f"]


def test_lookups_of_application_state_are_not_grouped():
    analysis, _ = analyse(
        """
        from system import get_info, get_id
        async def f(app):
            a = await get_id(app)
            b = await get_info(app)
        """
    )
    assert analysis.groups == []
    assert analysis.blocks[0].section.kind == "context-lookups"


def test_intent_comment_silences_a_group():
    analysis, _ = analyse(
        """
        async def f(api: ApiClient):
            # The device handles one request at a time.
            a = await api.get_a()
            b = await api.get_b()
        """
    )
    assert analysis.groups == []
    assert analysis.blocks[0].section.kind == "intent"


def test_group_run_splits_into_before_stage1_and_after():
    analysis, _ = analyse(
        """
        async def f(api: ApiClient):
            a = await api.get_a()
            b = await api.get_b(a)
            key = a.key
            c = await api.get_c(a)
            log = b.name
            d = await api.get_d(key)
        """
    )
    (group,) = analysis.groups
    # a is stage 1 alone; b, c and d (via key) form stage 2.
    assert group.stage1 == (1, 3, 5)
    assert group.before == (2,)  # `key = a.key` feeds d: it runs before the gather
    assert group.after == (4,)  # `log = b.name` needs b: it runs after
    assert (group.awaits_in_segment, group.stages_in_segment) == (4, 2)


def test_a_receiver_logged_in_through_is_a_session():
    assert group_lines(
        """
        async def f(api):
            await api.login()
            try:
                a = await api.get_devices()
                b = await api.get_sensors()
            finally:
                await api.logout()
        """
    ) == []


def test_under_a_specific_handler_only_a_shared_plain_argument_orders_two_reads():
    code = """
        async def f(api: StationApi, entry, http_client, name):
            try:
                a = await api.read_station(entry.data[FROM])
                b = await api.read_station(entry.data[TO])
                c = await api.read_pool(http_client, name)
                d = await api.read_workers(http_client, name)
            except NotFound:
                return None
            return a, b, c, d
        """
    assert group_lines(code) == [[4, 5, 6]]
    analysis, _ = analyse(code)
    sites = analysis.sites
    reason = pair_reason(analysis, sites[2].node, sites[3].node)
    assert reason.kind == "stage" and "checks `name` and may raise `NotFound`" in reason.detail


def test_two_read_only_git_queries_run_as_subprocesses_may_start_together():
    import textwrap

    import libcst as cst

    from parlint.analysis.provider import analyse_module

    module = cst.parse_module(textwrap.dedent("""
        from anyio import run_process

        async def revisions(repo):
            head = await run_process(["git", "rev-parse", "HEAD"], cwd=repo)
            target = await run_process(["git", "rev-parse", "--verify", "v1^{commit}"], cwd=repo)
            return head, target

        async def pull(repo):
            await run_process(["git", "pull"], cwd=repo)
            head = await run_process(["git", "rev-parse", "HEAD"], cwd=repo)
            return head
    """))
    revisions, pull = analyse_module(module)
    assert [len(g.sites) for g in revisions.groups] == [2]
    assert all(site.read_only for site in revisions.groups[0].sites)
    assert pull.groups == []
