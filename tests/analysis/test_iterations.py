"""PAR102 loop facts of analysis/iterations.py: what every iteration shares beyond data."""

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module


def loops(code: str):
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(code)))
    positions = wrapper.resolve(PositionProvider)
    return analyse_module(wrapper.module, None, positions)[-1].loops


def loop_reasons(code: str) -> list[str]:
    """The reason kinds of the only loop of the last async function in `code`."""
    (loop,) = loops(code)
    return [r.kind for r in loop.reasons]


# --- one object of unknown type behind every iteration -----------------------------------


def test_per_item_reads_through_one_object_of_unknown_type_are_not_independent():
    assert loop_reasons("""
        async def f(system):
            names = []
            for index in system.button_switches():
                names.append(await system.get_switch_name(index))
            return names
    """) == ["one-object"]


def test_the_object_of_an_attribute_chain_is_its_first_attribute_of_self():
    (loop,) = loops("""
        class Sensor:
            async def update(self, kinds):
                for kind in kinds:
                    self.data[kind] = await self.api.tasks.get(kind)
    """)
    assert [(r.kind, r.detail) for r in loop.reasons] == [("one-object", "self.api")]


def test_a_local_api_client_given_the_item_serves_concurrent_requests():
    # (Addressed through one parent as well, `delete_schedule(deployment.id, schedule.id)`,
    # the writes are the parent's children: test_parent_writes.py.)
    assert loop_reasons("""
        async def f(client, deployment):
            for schedule in deployment.schedules:
                await client.delete_schedule(schedule.id)
    """) == []


def test_a_receiver_typed_concurrency_safe_is_not_one_object():
    assert loop_reasons("""
        import aiohttp
        async def f(session: aiohttp.ClientSession, urls):
            return [await session.get(url) for url in urls]
    """) == []


def test_an_object_picked_by_the_item_is_the_items_own():
    assert loop_reasons("""
        class Hub:
            async def refresh(self, device_ids):
                for device_id in device_ids:
                    await self.devices[device_id].api.get_state()
    """) == []


def test_a_helper_awaiting_through_a_parameter_given_one_object_goes_through_it():
    (loop,) = loops("""
        class Library:
            async def _thumbnail(self, item, station):
                return await station.photos.get_thumbnail_url(item)

            async def album(self, items, station):
                return [await self._thumbnail(item, station) for item in items]
    """)
    assert ("one-object", "station` via `self._thumbnail") in [
        (r.kind, r.detail) for r in loop.reasons
    ]


# --- code of one shared object in worker threads ------------------------------------------


def test_a_method_of_self_offloaded_per_item_runs_in_several_threads():
    assert loop_reasons("""
        class Coordinator:
            def _load_user(self, name):
                return self._network.get_user(name)

            async def refresh(self, names):
                out = {}
                for name in names:
                    out[name] = await self.hass.async_add_executor_job(self._load_user, name)
                return out
    """) == ["threads"]


def test_the_items_own_method_offloaded_is_per_item():
    assert loop_reasons("""
        async def f(hass, devices):
            for device in devices:
                await hass.async_add_executor_job(device.disconnect)
    """) == []


def test_a_module_function_offloaded_with_the_item_is_not_a_shared_object():
    assert loop_reasons("""
        import asyncio, os
        async def f(paths):
            return [await asyncio.to_thread(os.stat, path) for path in paths]
    """) == []


def test_a_same_module_method_that_offloads_a_method_of_self_is_followed():
    (loop,) = loops("""
        class Flow:
            async def _name(self, book_id):
                info = await self.hass.async_add_executor_job(self._box.info, book_id)
                return info["name"]

            async def names(self):
                out = []
                for book_id in self._book_ids:
                    out.append(await self._name(book_id))
                return out
    """)
    assert ("threads", "self._box.info` via `self._name") in [
        (r.kind, r.detail) for r in loop.reasons
    ]


# --- self or the application object handed on ---------------------------------------------


def test_handing_self_to_each_items_method_shares_all_of_self():
    assert "passes-self" in loop_reasons("""
        class Tree:
            async def payload(self, commands):
                return [await command.get_translated_payload(self) for command in commands]
    """)


def test_handing_the_application_object_shares_process_wide_state():
    (loop,) = loops("""
        async def root(hass, platforms, kind):
            children = []
            for platform in platforms:
                children.extend(await platform.get_media_root(hass, kind))
            return children
    """)
    assert ("passes-self", "platform.get_media_root` is handed `hass") in [
        (r.kind, r.detail) for r in loop.reasons
    ]


def test_a_shared_client_given_a_context_argument_is_not_handed_the_application():
    assert loop_reasons("""
        async def f(client, ctx, urls):
            return [await client.get_page(url, ctx) for url in urls]
    """) == []


# --- methods of the items themselves ------------------------------------------------------


def test_a_method_of_an_item_held_in_memory_is_its_behaviour():
    assert loop_reasons("""
        class Discovery:
            async def scan(self):
                for listener in self._listeners:
                    await listener.async_search()
    """) == ["item-behaviour"]


def test_items_fetched_from_a_service_make_one_request_each():
    assert loop_reasons("""
        async def f(client):
            out = []
            for account in await client.get_accounts():
                out.append(await account.get_vehicles())
            return out
    """) == []


def test_items_assigned_from_an_await_earlier_are_fetched():
    assert loop_reasons("""
        class Setup:
            async def start(self):
                self.systems = await self._api.get_systems()
                events = {}
                for system in self.systems.values():
                    events[system.id] = await system.get_latest_event()
                return events
    """) == []


def test_a_page_bound_by_a_walrus_on_an_await_is_fetched():
    assert loop_reasons("""
        async def f(client):
            while page := await client.read_items():
                out = []
                for item in page:
                    out.append(await item.get_detail())
    """) == []


def test_a_same_module_helper_awaiting_only_the_items_methods_is_item_behaviour():
    assert loop_reasons("""
        async def read_upload(upload):
            try:
                return await upload.read()
            finally:
                await upload.seek(0)

        async def f(values):
            return [await read_upload(value) for value in values]
    """) == ["item-helper"]


def test_items_of_an_object_built_around_a_shared_object_go_through_it():
    (loop,) = loops("""
        async def f(hass, site_id, api):
            factory = ServiceFactory(site_id, api)
            for service in factory.all_services:
                await service.coordinator.async_refresh()
            api.close_later()
    """)
    assert [(r.kind, r.detail) for r in loop.reasons] == [
        ("built-around", "`factory`, built with `api`")
    ]


def test_items_of_an_object_built_from_values_only_are_independent():
    assert loop_reasons("""
        async def f(client, site_id, kinds):
            plan = Plan(site_id, kinds)
            for step in plan.steps:
                await client.get_step(step.id)
    """) == []


def test_a_helper_with_a_caching_decorator_does_no_io_for_most_items():
    assert loop_reasons("""
        from async_lru import alru_cache

        @alru_cache
        async def get_zone_name(client, zone_id):
            return (await client.get_zone(zone_id)).name

        async def f(client, zone_ids):
            return [await get_zone_name(client, zone_id) for zone_id in zone_ids]
    """) == ["cached"]


def test_a_helper_returning_from_a_module_cache_before_awaiting_is_cached():
    assert "cached" in loop_reasons("""
        _CACHE = {}

        async def entity(client, key):
            if key in _CACHE:
                return _CACHE[key]
            return await client.get_entity(key)

        async def f(client, keys):
            return [await entity(client, key) for key in keys]
    """)


# --- one match, rate limits, tasks already started -----------------------------------------


def test_awaits_only_for_the_item_equal_to_a_fixed_value_are_a_search():
    assert "one-match" in loop_reasons("""
        async def f(client, holders, run_id):
            found = []
            for lease_id, holder in holders:
                if holder.id == run_id:
                    found.append(await client.read_lease(lease_id))
            return found
    """)


def test_a_filter_by_a_constant_category_is_not_one_match():
    assert loop_reasons("""
        async def f(client, items):
            found = []
            for item in items:
                if item.kind == "user":
                    found.append(await client.get_user(item.id))
            return found
    """) == []


def test_a_loop_that_handles_a_rate_limit_keeps_its_pace():
    assert "rate-limited" in loop_reasons("""
        async def f(client, kinds, out):
            for kind in kinds:
                try:
                    out[kind] = await client.get_tasks(kind)
                except client.Error as err:
                    if err.status == 429:
                        continue
    """)


def test_a_loop_that_starts_tasks_itself_kept_its_awaits_in_order():
    assert "spawns" in loop_reasons("""
        import asyncio
        async def f(client, addresses, see):
            tasks = []
            for address in addresses:
                name = await client.get_name(address)
                tasks.append(asyncio.create_task(see(address, name)))
            await asyncio.wait(tasks)
    """)


def test_every_new_reason_is_described():
    from parlint.analysis.dependence import Reason
    from parlint.analysis.iterations import ITERATION_TEMPLATES

    for kind in ITERATION_TEMPLATES:
        text = Reason(kind, "x", 3).describe()
        assert "x" in text and "line 3" in text and "{" not in text


def test_a_method_of_self_awaiting_through_one_object_of_unknown_type_is_one_object():
    (loop,) = loops("""
        class History:
            async def _read(self, node):
                return await self.storage.read_node_history(node)

            async def read(self, nodes):
                results = []
                for node in nodes:
                    results.append(await self._read(node))
                return results
    """)
    assert [(r.kind, r.detail) for r in loop.reasons] == [("one-object", "self.storage")]


def test_a_method_of_self_awaiting_through_a_safe_client_is_not_one_object():
    assert loop_reasons("""
        import aiohttp

        class Catalogue:
            def __init__(self, session: aiohttp.ClientSession):
                self.session = session

            async def _get_price(self, sku):
                return await self.session.get(f"/prices/{sku}")

            async def prices(self, skus):
                return [await self._get_price(sku) for sku in skus]
    """) == []
