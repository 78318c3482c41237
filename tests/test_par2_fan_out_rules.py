"""PAR201 and PAR202 through the engine: messages, positions, options from the configuration."""

from __future__ import annotations

import textwrap

import pytest

from parlint.config import ConfigError, build_config, validate
from parlint.engine import lint_source


def lint(source: str, **options: object) -> list[tuple[str, int, int, str]]:
    values = validate({"select": ["ALL"], **options}, "test")
    result = lint_source(textwrap.dedent(source), "mod.py", build_config(values))
    return [(f.code, f.line, f.column, f.message) for f in result.findings]


def codes(source: str, **options: object) -> list[tuple[str, int, int]]:
    return [(code, line, col) for code, line, col, _ in lint(source, **options)]


DOWNLOADS = """
    import asyncio

    async def download_all(client, urls):
        return await asyncio.gather(*[client.download(u) for u in urls])
"""


def test_par201_message_names_the_api_the_iterable_and_the_bound() -> None:
    assert lint(DOWNLOADS) == [
        (
            "PAR201",
            5,
            17,
            "unbounded fan-out: `asyncio.gather` runs one awaitable per item of `urls`, all at "
            "once; bound it with a semaphore or batches of max-concurrency=5",
        )
    ]


def test_par201_message_follows_max_concurrency() -> None:
    [(_, _, _, message)] = lint(DOWNLOADS, **{"max-concurrency": 12})
    assert message.endswith("max-concurrency=12")


def test_par201_small_iterables_option_silences_a_known_short_list() -> None:
    assert codes(DOWNLOADS, **{"fan-out-small-iterables": ["urls"]}) == []
    assert codes(DOWNLOADS, **{"fan-out-small-iterables": ["other_*"]}) == [("PAR201", 5, 17)]


def test_par201_bounding_helpers_option() -> None:
    assert codes(DOWNLOADS, **{"fan-out-bounding-helpers": ["client.download"]}) == []


def test_par201_small_width_option_decides_what_a_constant_range_is() -> None:
    source = """
        import asyncio

        async def warm(cache, n):
            await asyncio.gather(*[cache.warm(i) for i in range(n)])
    """
    assert codes(source) == [("PAR201", 5, 10)]


def test_par201_noqa_suppresses_the_fan_out_whose_caller_passes_a_short_list() -> None:
    source = """
        import asyncio

        async def lookup_all(client, names):
            await asyncio.gather(*[client.lookup(n) for n in names])  # noqa: PAR201
    """
    assert codes(source) == []


def test_par201_bad_option_values_are_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        validate({"fan-out-small-width": 0}, "test")
    with pytest.raises(ConfigError):
        validate({"fan-out-small-iterables": "urls"}, "test")


WIDE = """
    import asyncio

    async def load():
        return await asyncio.gather(a(), b(), c(), d(), e(), f())
"""


def test_par202_is_off_by_default_and_on_with_extend_select() -> None:
    values = validate({}, "test")
    result = lint_source(textwrap.dedent(WIDE), "mod.py", build_config(values))
    assert [f.code for f in result.findings] == []
    values = validate({"extend-select": ["PAR202"]}, "test")
    result = lint_source(textwrap.dedent(WIDE), "mod.py", build_config(values))
    assert [(f.code, f.line, f.column) for f in result.findings] == [("PAR202", 5, 17)]


def test_par202_counts_against_max_concurrency() -> None:
    assert codes(WIDE, **{"max-concurrency": 6}) == []
    assert codes(WIDE, **{"max-concurrency": 3}) == [("PAR202", 5, 17)]
    [(_, _, _, message)] = lint(WIDE, **{"max-concurrency": 3})
    assert "6 literal awaitables" in message and "max-concurrency=3" in message


def test_par202_fix_is_offered_for_calls_of_any_callee_shape_and_held_back_for_waits() -> None:
    # `handlers[0]()` has no name: it neither waits nor starts a task (it crashed the
    # waiting check once, as an internal error).
    source = """
        import asyncio

        async def load(handlers, ready):
            await asyncio.gather(handlers[0](), b(), c(), d(), e(), f())
            await asyncio.gather(ready.wait(), b(), c(), d(), e(), f())
    """
    result = lint_source(
        textwrap.dedent(source), "mod.py", build_config(validate({"select": ["ALL"]}, "test"))
    )
    assert [(f.code, f.line, f.fix is not None) for f in result.findings] == [
        ("PAR202", 5, True),
        ("PAR202", 6, False),
    ]


def test_par202_leaves_data_sized_gathers_to_par201() -> None:
    assert [c for c, _, _ in codes(DOWNLOADS)] == ["PAR201"]


# --- where the width comes from: only widths visible as data are reported --------------------


def test_par201_a_parameter_with_no_caller_in_the_module_is_the_callers_data() -> None:
    assert codes(DOWNLOADS) == [("PAR201", 5, 17)]


def test_par201_the_only_caller_in_the_module_decides_what_a_parameter_holds() -> None:
    literal_caller = DOWNLOADS + """
    async def two(client):
        return await download_all(client, ["a", "b"])
    """
    assert codes(literal_caller) == []
    held_caller = DOWNLOADS + """
    async def on_message(client, message):
        return await download_all(client, message["urls"])
    """
    assert codes(held_caller) == []
    data_caller = DOWNLOADS + """
    async def mirror(client, urls):
        return await download_all(client, urls)
    """
    assert codes(data_caller) == [("PAR201", 5, 17)]


def test_par201_a_callback_reference_leaves_the_parameter_data() -> None:
    # Handed on, not called: the real callers are unknown.
    source = DOWNLOADS + """
    HANDLERS = {"download": download_all}
    """
    assert codes(source) == [("PAR201", 5, 17)]


def test_par201_a_method_of_the_same_name_elsewhere_is_not_a_caller() -> None:
    source = """
        import asyncio

        async def delete(client, *keys):
            await asyncio.gather(*[client.delete(k) for k in keys])
    """
    assert ("PAR201", 5, 10) in codes(source)


def test_par201_star_parameter_filled_with_literal_arguments_is_small() -> None:
    source = """
        import asyncio

        async def purge(client, *keys):
            await asyncio.gather(*[client.purge(k) for k in keys])

        async def purge_defaults(client):
            await purge(client, "a", "b", "c")
    """
    assert codes(source) == []


def test_par201_fetched_and_held_collections_need_the_option() -> None:
    source = """
        import asyncio

        async def refresh(api):
            ids = await api.list_ids()
            await asyncio.gather(*[api.refresh(i) for i in ids])

        class Feed:
            async def flush(self):
                await asyncio.gather(*[self.api.send(m) for m in self.outbox])
    """
    assert codes(source) == []
    assert codes(source, **{"fan-out-report-fetched": True}) == [
        ("PAR201", 6, 10),
        ("PAR201", 10, 14),
    ]


def test_par201_the_n_plus_one_listing_is_reported_only_with_the_option() -> None:
    # A listing fetched over I/O in the same function, then one request per item: the default
    # stays silent (on the labels, reporting it added only false positives), the option
    # reports it, also when the service asked is named `client`: the receiver is who answers,
    # not what is listed. A listing named for hardware stays configuration-sized.
    source = """
        import asyncio

        async def sync_invoices(client):
            invoices = await client.list_invoices(status="open")
            await asyncio.gather(*[client.get_invoice(i.id) for i in invoices])

        async def sync_lines(session):
            order = await session.get_json("/orders/1")
            await asyncio.gather(*[session.get_json(x["href"]) for x in order["lines"]])

        async def refresh_devices(client):
            devices = await client.list_devices()
            await asyncio.gather(*[device.update() for device in devices])
    """
    assert codes(source) == []
    assert codes(source, **{"fan-out-report-fetched": True}) == [
        ("PAR201", 6, 10),
        ("PAR201", 10, 10),
    ]


def test_par201_computed_counts_and_recursions_are_data() -> None:
    pages = """
        import asyncio

        async def all_pages(api):
            first = await api.page(1)
            return await asyncio.gather(*[api.page(n) for n in range(2, first.last + 1)])
    """
    assert codes(pages) == [("PAR201", 6, 17)]
    recursion = """
        import asyncio

        async def copy_tree(storage, folder):
            children = await storage.children(folder)
            await asyncio.gather(*[copy_tree(storage, child) for child in children])
    """
    assert codes(recursion) == [("PAR201", 6, 10)]


def test_par201_work_that_does_no_io_is_not_bounded() -> None:
    never_awaits = """
        import asyncio

        async def to_row(item):
            return {"id": item.id}

        async def export(items):
            return await asyncio.gather(*[to_row(item) for item in items])
    """
    assert codes(never_awaits) == []
    wraps_futures = """
        import asyncio

        def as_future(value):
            if asyncio.iscoroutine(value):
                return asyncio.ensure_future(value)
            future = asyncio.get_running_loop().create_future()
            future.set_result(value)
            return future

        async def settle(results):
            await asyncio.wait([as_future(r) for r in results])
    """
    assert codes(wraps_futures) == []
    in_process = """
        import asyncio

        async def reproduce(hass, state):
            async def call(service):
                await hass.services.async_call("light", service, {"entity_id": state.entity_id})

            await call("turn_on")

        async def reproduce_all(hass, states):
            await asyncio.gather(*(reproduce(hass, state) for state in states))
    """
    assert [c for c in codes(in_process) if c[0] == "PAR201"] == []


def test_par201_offers_no_semaphore_fix_for_a_recursion() -> None:
    source = """
        import asyncio

        async def copy_tree(storage, folder):
            children = await storage.children(folder)
            await asyncio.gather(*[copy_tree(storage, child) for child in children])
    """
    values = validate({"select": ["PAR201"]}, "test")
    [finding] = lint_source(textwrap.dedent(source), "mod.py", build_config(values)).findings
    assert finding.fix is None
    flat = source.replace("copy_tree(storage, child)", "storage.copy(child)")
    flat = flat.replace("children = await storage.children(folder)", "children = folder")
    flat = flat.replace("def copy_tree(storage, folder)", "def copy_all(storage, folder)")
    [finding] = lint_source(textwrap.dedent(flat), "mod.py", build_config(values)).findings
    assert finding.fix is not None


def test_par201_another_objects_method_of_the_same_name_is_no_recursion() -> None:
    # `self._store.remove_credentials` inside `remove_credentials` is the store's method.
    source = """
        import asyncio

        class Auth:
            async def remove_credentials(self, credentials):
                await self._store.remove_credentials(credentials)

            async def remove_user(self, user):
                await asyncio.gather(*[self.remove_credentials(c) for c in user.credentials])
    """
    assert [c for c in codes(source) if c[0] == "PAR201"] == []


def test_par201_reads_only_the_direct_callers() -> None:
    # `relay` hands on its own parameter: data, whatever relay's own caller passes.
    source = DOWNLOADS + """
    async def relay(client, urls):
        return await download_all(client, urls)

    async def on_message(client, message):
        return await relay(client, message["urls"])
    """
    assert codes(source) == [("PAR201", 5, 17)]


def test_par201_a_function_spawning_itself_is_a_recursion() -> None:
    source = """
        import trio

        async def forward(mailbox, thread_id):
            replies = await mailbox.replies(thread_id)
            async with trio.open_nursery() as nursery:
                for reply in replies:
                    nursery.start_soon(forward, mailbox, reply.id)
    """
    assert codes(source) == [("PAR201", 8, 12)]
    assert codes(source.replace("start_soon(forward,", "start_soon(archive,")) == []
