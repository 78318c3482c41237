"""What code says about its own order beyond data: timing, no-wait calls, posts into one
destination, local releases (analysis/effects.py, dependence.py, iterations.py)."""

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.effects import clock_read, no_wait_argument
from parlint.analysis.iterations import _names_destination
from parlint.analysis.provider import analyse_module


def analyse(code: str):
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(code)))
    positions = wrapper.resolve(PositionProvider)
    return analyse_module(wrapper.module, None, positions)[-1], positions


def group_lines(code: str) -> list[list[int]]:
    analysis, positions = analyse(code)
    return [[positions[g.block.statements[i]].start.line for i in g.stage1]
            for g in analysis.groups]


def loop_reasons(code: str) -> list[str]:
    analysis, _ = analyse(code)
    (loop,) = analysis.loops
    return [r.kind for r in loop.reasons]


def call(source: str) -> cst.Call:
    node = cst.parse_expression(source)
    assert isinstance(node, cst.Call)
    return node


# --- the facts -------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "qualified", "expected"), [
    ("time.perf_counter()", "time.perf_counter", "time.perf_counter"),
    ("monotonic()", "time.monotonic", "time.monotonic"),
    ("loop.time()", "loop.time", "loop.time"),
    ("asyncio.get_running_loop().time()", "asyncio.get_running_loop.time",
     "get_running_loop.time"),
    ("datetime.now()", "datetime.datetime.now", None),  # a timestamp, not a measurement
    ("record.time()", "record.time", None),
    ("time.sleep(1)", "time.sleep", None),
])
def test_clock_reads_are_the_clocks_that_measure_durations(source, qualified, expected):
    assert clock_read(call(source), qualified) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("producer.publish(msg, wait=False)", "wait=False"),
    ("channel.basic_publish(body, nowait=True)", "nowait=True"),
    ("queue.put(item, block=False)", "block=False"),
    ("producer.publish(msg, wait=True)", None),
    ("producer.publish(msg, wait=should_wait)", None),  # unknown: may wait
    ("producer.publish(msg)", None),
])
def test_no_wait_argument_is_a_literal_request_not_to_wait(source, expected):
    assert no_wait_argument(call(source)) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("channel_id", True), ("thread_ts", True), ("self._chat", True), ("ctx.channel.id", True),
    ("topic", True), ("conversation", True),
    ("thread_url", True), ("topic_arn", True),
    ("thread_pool", False), ("channel_layer", False),  # named for something else
    ("user_id", False), ("url", False), ("message.text", False), ("worker_thread", False),
])
def test_a_destination_is_named_by_its_first_word(name, expected):
    assert _names_destination(name) is expected


# --- PAR101: a clock read between two awaits -------------------------------------------


def test_a_clock_read_between_two_awaits_keeps_them_apart():
    assert group_lines("""
        import time
        import aiohttp
        async def f(session: aiohttp.ClientSession):
            started = time.perf_counter()
            a = await session.get("/a")
            took = time.perf_counter() - started
            b = await session.get("/b")
            return a, b, took
    """) == []


def test_a_clock_read_around_both_awaits_measures_them_together():
    assert group_lines("""
        import time
        import aiohttp
        async def f(session: aiohttp.ClientSession):
            started = time.perf_counter()
            a = await session.get("/a")
            b = await session.get("/b")
            return a, b, time.perf_counter() - started
    """) == [[6, 7]]


def test_a_timestamp_between_two_awaits_does_not_keep_them_apart():
    assert group_lines("""
        from datetime import datetime
        import aiohttp
        async def f(session: aiohttp.ClientSession):
            a = await session.get("/a")
            stamp = datetime.now()
            b = await session.get("/b")
            return a, b, stamp
    """) == [[5, 7]]


# --- PAR102 ----------------------------------------------------------------------------


def test_a_loop_that_times_each_iteration_is_not_independent():
    assert loop_reasons("""
        import time
        import aiohttp
        async def f(session: aiohttp.ClientSession, urls, record):
            for url in urls:
                started = time.monotonic()
                await session.head(url)
                record(url, time.monotonic() - started)
    """) == ["timing"]


def test_a_call_asked_not_to_wait_has_nothing_to_overlap():
    assert loop_reasons("""
        async def f(changes):
            for change in changes:
                await change.topic.producer.publish(change.payload, wait=False)
    """) == ["no-wait"]


def test_a_read_asked_not_to_wait_still_makes_its_request():
    assert loop_reasons("""
        import aiohttp
        async def f(session: aiohttp.ClientSession, ids):
            return [await session.get(f"/jobs/{i}", wait=False) for i in ids]
    """) == []


def test_posts_of_each_item_into_one_thread_keep_their_order():
    assert loop_reasons("""
        async def f(client, channel_id, thread_ts, files):
            for item in files:
                await client.files_upload(channel=channel_id, content=item.data,
                                          thread_ts=thread_ts)
    """) == ["one-destination"]


def test_posts_into_one_destination_named_by_the_receiver_keep_their_order():
    assert "one-destination" in loop_reasons("""
        async def f(thread, lines):
            for line in lines:
                await thread.post_text(line.render())
    """)


def test_posts_each_into_its_items_own_destination_are_independent():
    assert loop_reasons("""
        async def f(client, members, report):
            for member in members:
                await client.upload_file(channel=member.channel_id, content=report)
    """) == []


def test_reads_of_one_channel_are_not_posts():
    assert loop_reasons("""
        async def f(client, channel_id, stamps):
            return [await client.get_replies(channel=channel_id, ts=ts) for ts in stamps]
    """) == []


def test_closing_responses_or_streams_is_a_local_release():
    assert loop_reasons("""
        async def f(streams):
            for stream in streams:
                await stream.response.aclose()
    """) == ["local-release"]


def test_closing_clients_or_sessions_is_not_a_local_release():
    assert loop_reasons("""
        async def f(bots):
            for bot in bots:
                await bot.session.close()
    """) == []


def test_calls_of_the_parts_of_one_serial_device_queue_on_its_link():
    assert loop_reasons("""
        class Strip:
            async def erase_stats(self):
                for plug in self._device.children:
                    await plug.energy.erase_stats()
    """) == ["serial-parent"]


def test_parts_of_an_object_of_unknown_kind_are_judged_as_items():
    assert "serial-parent" not in loop_reasons("""
        class Board:
            async def refresh(self):
                for sensor in self._catalogue.sensors:
                    await sensor.refresh()
    """)


@pytest.mark.parametrize(("name", "expected"), [
    ("aformat_document", "format"), ("format", "format"), ("encode_batch", "encode"),
    ("async_serialize", "serialize"), ("parse_document", None), ("render", None),
    ("fetch_format", None), ("aggregate", None),
])
def test_local_work_is_named_by_its_first_word(name, expected):
    from parlint.analysis.effects import local_work

    assert local_work(name) == expected


def test_awaits_of_local_work_in_a_loop_have_no_io_to_overlap():
    assert loop_reasons("""
        from prompts import aformat_document
        async def f(docs, prompt):
            return [await aformat_document(doc, prompt) for doc in docs]
    """) == ["local-work"]


def test_local_work_does_not_count_towards_a_group():
    assert group_lines("""
        import aiohttp
        from prompts import aformat_document
        async def f(session: aiohttp.ClientSession, doc, prompt):
            text = await aformat_document(doc, prompt)
            page = await session.get("/page")
            return text, page
    """) == []


# --- helpers that answer from memory before any I/O ------------------------------------


def test_a_same_module_helper_returning_a_held_entry_first_is_cached():
    assert loop_reasons("""
        _USERS = {}

        async def get_user(uid):
            try:
                return _USERS[uid]
            except KeyError:
                pass
            user = await fetch_user(uid)
            _USERS[uid] = user
            return user

        async def f(ids):
            return [await get_user(uid) for uid in ids]
    """) == ["cached"]


def test_a_lookup_in_a_parameter_or_local_is_not_held_state():
    import ast

    from parlint.analysis.project import returns_held_value_first

    def first(code: str) -> bool:
        (fn,) = ast.parse(textwrap.dedent(code)).body
        return returns_held_value_first(fn)

    assert first("""
        async def get(self, key):
            if key in self._users:
                return self._users[key]
            return await self.api.get_user(key)
    """)
    assert first("""
        async def get(key):
            try:
                return _CACHE[key]
            except KeyError:
                return await fetch(key)
    """)
    assert not first("""
        async def get(mapping, key):
            if key in mapping:
                return mapping[key]
            return await fetch(key)
    """)
    assert not first("""
        async def get(self, key):
            found = await self.api.get_user(key)
            if found:
                return self._users[key]
    """)
    assert not first("""
        async def get(self, key):
            try:
                return self._users[key]
            except ValueError:
                return await self.api.get_user(key)
    """)


def test_a_project_coroutine_of_another_module_answering_from_memory_is_cached(tmp_path):
    from parlint.analysis.project import Project

    package = tmp_path / "bridge"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "puppet.py").write_text(textwrap.dedent("""
        class Puppet:
            by_tgid = {}

            @classmethod
            @async_getter_lock
            async def get_by_tgid(cls, tgid, *, create=True):
                try:
                    return cls.by_tgid[tgid]
                except KeyError:
                    pass
                return await cls.db.fetch(tgid)

            @classmethod
            async def get_fresh(cls, tgid):
                return await cls.db.fetch(tgid)
    """))
    user = package / "user.py"
    user.write_text("from . import puppet as pu\\n")
    project = Project(str(user))
    assert project.answers_from_cache(".puppet.Puppet.get_by_tgid", True)
    assert not project.answers_from_cache(".puppet.Puppet.get_fresh", True)
    assert not project.answers_from_cache(".puppet.Missing.get", True)


def test_a_lazily_made_attribute_returned_first_is_cached():
    import ast

    from parlint.analysis.project import returns_held_value_first

    code = """
        async def get_service(self, name):
            if self._service is not None:
                return self._service
            self._service = await self.factory.create(name)
            return self._service
    """
    (fn,) = ast.parse(textwrap.dedent(code)).body
    assert returns_held_value_first(fn)
    assert loop_reasons("""
        class Store:
            async def _get_service(self, name):
                if self._service is not None:
                    return self._service
                self._service = await open_service(name)
                return self._service

            async def services(self, names):
                return [await self._get_service(name) for name in names]
    """)[-1:] == ["cached"]


def test_returning_an_attribute_the_test_does_not_read_is_not_cached():
    import ast

    from parlint.analysis.project import returns_held_value_first

    (fn,) = ast.parse(textwrap.dedent("""
        async def get_status(self, device):
            if not self._connected:
                return self._last_status
            return await self.api.status(device)
    """)).body
    assert not returns_held_value_first(fn)
