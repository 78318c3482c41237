"""PAR102 loop facts: effects keyed by the item are per item; what still orders iterations."""

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module


def loop_reasons(code: str) -> list[str]:
    """The reason kinds of the only loop of the last async function in `code`."""
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(code)))
    positions = wrapper.resolve(PositionProvider)
    analysis = analyse_module(wrapper.module, None, positions)[-1]
    (loop,) = analysis.loops
    return [r.kind for r in loop.reasons]


def test_effect_through_a_client_the_item_owns_is_per_item():
    assert loop_reasons("""
        async def f(homes, until):
            for hap in homes:
                await hap.home.activate_vacation(until)
    """) == []


def test_closing_each_items_own_session_is_per_item():
    assert loop_reasons("""
        async def f(bots):
            for bot in bots:
                await bot.session.close()
    """) == []


def test_offloading_the_items_own_method_is_per_item():
    assert loop_reasons("""
        async def f(hass, devices):
            for device in devices:
                await hass.async_add_executor_job(device.connect_and_wait)
    """) == []


def test_a_method_of_the_item_itself_is_its_behaviour_and_keeps_order():
    assert "effectful" in loop_reasons("""
        async def f(players):
            for player in players:
                await player.force_update_status()
    """)


def test_lifecycle_and_hook_calls_on_the_item_keep_order():
    assert loop_reasons("""
        async def f(routers):
            for router in routers:
                await router.app.emit_startup()
    """)
    assert loop_reasons("""
        async def f(plugins, event):
            for plugin in plugins:
                await plugin.hooks.on_event_callback(event)
    """)


def test_a_database_handle_reached_through_the_item_is_shared():
    assert "serial-resource" in loop_reasons("""
        async def f(models):
            for model in models:
                await model.meta.db.execute_script(model.sql)
    """)


def test_a_lambda_argument_is_not_judged_per_item():
    assert loop_reasons("""
        async def f(conns):
            for conn in conns:
                await conn.retry.call_with_retry(lambda: conn.send_command("AUTH"))
    """)


def test_a_local_client_given_the_item_is_per_item():
    assert loop_reasons("""
        async def f(client, schedules):
            for schedule in schedules:
                await client.delete_deployment_schedule(schedule.id)
    """) == []


def test_a_generic_executor_takes_the_operation_from_the_item():
    assert loop_reasons("""
        async def f(client, commands):
            for cmd in commands:
                await client.execute_command(*cmd.args)
    """)


def test_a_serial_receiver_given_the_item_keeps_order():
    assert loop_reasons("""
        async def f(conn, rows):
            for row in rows:
                await conn.insert_row(row)
    """)


def test_recursion_over_children_is_not_independent():
    assert "callable" in loop_reasons("""
        class Node:
            async def payload(self, translator):
                return [await child.payload(translator) for child in self.children]
    """)


def test_same_module_coroutine_that_awaits_nothing_has_no_io():
    assert "no-io" in loop_reasons("""
        class Player:
            async def browse(self, list_id):
                return {"id": list_id}

            async def browse_all(self):
                return [await self.browse(list_id) for list_id in self.lists]
    """)


def test_names_bound_inside_an_if_or_except_are_not_loop_carried():
    assert loop_reasons("""
        import logging
        async def f(client, urls, out):
            for url in urls:
                try:
                    out.append(await client.get_file(url))
                except OSError as err:
                    logging.warning("%s", err)
                body = url.encode()
                if body is not None:
                    name = url.rsplit("/", 1)[-1]
                    out.append((name, body))
    """) == []


def test_a_name_bound_in_a_branch_and_read_next_iteration_is_carried():
    assert "loop-carried" in loop_reasons("""
        async def f(client, ids):
            last = None
            pages = []
            for i in ids:
                page = await client.get_page(i, after=last)
                if page.items:
                    last = page.items[-1]
                pages.append(page)
    """)


def test_a_loop_whose_results_replace_its_own_iterable_field_is_carried():
    assert "iterable-fed" in loop_reasons("""
        class Request:
            async def resolve(self, client):
                tmp = []
                for x in self.ids:
                    tmp.append(await client.get_peer(x))
                self.ids = tmp
    """)


def test_an_await_that_takes_nothing_from_the_item_belongs_before_the_loop():
    assert "invariant" in loop_reasons("""
        async def f(client, skus, out):
            for sku in skus:
                out[sku] = (await client.get_price(sku), await client.get_currency())
    """)
