"""PAR301 and PAR302 through the engine: messages, positions, display-only suggestions."""

from __future__ import annotations

import textwrap

from parlint.config import build_config, validate
from parlint.engine import lint_source
from parlint.rules.par301_gather_without_error_handling import MESSAGE
from parlint.rules.par302_unchecked_return_exceptions import DISCARDED, UNCHECKED
from parlint.types import Finding, Safety


def findings(source: str) -> list[Finding]:
    config = build_config(validate({"select": ["PAR3"]}, "test"))
    return list(lint_source(textwrap.dedent(source), "mod.py", config).findings)


WRITES = """
    import asyncio

    async def sync_account(orders, invoices, account):
        await asyncio.gather(orders.push(account), invoices.update(account))
"""


def test_par301_reports_the_gather_call_with_the_taskgroup_suggestion() -> None:
    [finding] = findings(WRITES)
    assert (finding.code, finding.line, finding.column, finding.message) == (
        "PAR301",
        5,
        10,
        MESSAGE,
    )
    assert "asyncio.TaskGroup" in MESSAGE and "return_exceptions=True" in MESSAGE
    assert finding.fix is not None
    assert finding.fix.safety is Safety.DISPLAY_ONLY
    assert not finding.fix.applicable
    assert "TaskGroup" in finding.fix.message


def test_par301_not_reported_inside_a_handling_try_but_reported_under_a_bare_reraise() -> None:
    handled = WRITES.replace(
        "        await asyncio.gather(orders.push(account), invoices.update(account))",
        "        try:\n"
        "            await asyncio.gather(orders.push(account), invoices.update(account))\n"
        "        except OSError:\n"
        "            log.warning('sync failed')",
    )
    assert findings(handled) == []
    reraised = handled.replace("log.warning('sync failed')", "raise")
    assert [(f.code, f.line) for f in findings(reraised)] == [("PAR301", 6)]


def test_par301_ignores_return_exceptions_and_anyio_gather() -> None:
    source = """
        import anyio

        async def sync_account(orders, invoices, account):
            await anyio.gather(orders.push(account), invoices.update(account))
    """
    assert findings(source) == []


def test_par302_discarded_and_unchecked_messages() -> None:
    source = """
        import asyncio

        async def notify(a, b):
            await asyncio.gather(a.notify(), b.notify(), return_exceptions=True)

        async def receipts(a, b):
            x, y = await asyncio.gather(a.notify(), b.notify(), return_exceptions=True)
            return x.receipt, y.receipt
    """
    got = [(f.code, f.line, f.column, f.message) for f in findings(source)]
    assert got == [("PAR302", 5, 10, DISCARDED), ("PAR302", 8, 17, UNCHECKED)]
    for finding in findings(source):
        assert finding.fix is not None and finding.fix.safety is Safety.DISPLAY_ONLY
        assert "isinstance(result, BaseException)" in finding.fix.message


def test_par302_not_reported_when_each_result_is_checked() -> None:
    source = """
        import asyncio

        async def notify(a, b):
            results = await asyncio.gather(a.notify(), b.notify(), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
    """
    assert findings(source) == []


def test_suggestions_use_the_name_the_results_are_assigned_to() -> None:
    source = """
        import asyncio

        async def save_both(a, b):
            saved = await asyncio.gather(a.save(), b.delete())
            return saved

        async def counts(a, b):
            totals = await asyncio.gather(a.save(), b.delete(), return_exceptions=True)
            return totals[0].count
    """
    by_code = {f.code: f for f in findings(source)}
    assert by_code["PAR301"].fix is not None
    assert "then saved = [" in by_code["PAR301"].fix.message
    assert by_code["PAR302"].fix is not None
    assert "for result in totals:" in by_code["PAR302"].fix.message


def par301_lines(source: str) -> list[int]:
    return [f.line for f in findings(source) if f.code == "PAR301"]


def test_par301_registered_callables_count_as_work() -> None:
    source = """
        import asyncio

        class Signal:
            async def send(self, sender):
                await asyncio.gather(*[receiver(sender) for receiver in self.receivers])
    """
    assert par301_lines(source) == [6]


def test_par301_callables_the_function_lists_itself_are_judged_by_name() -> None:
    reads = """
        import asyncio

        async def status(client, order_id):
            lookups = [client.read_order, client.read_shipment]
            return await asyncio.gather(*[lookup(order_id) for lookup in lookups])
    """
    assert par301_lines(reads) == []
    own_steps = """
        import asyncio

        async def connect(alexa, google):
            async def enable_alexa():
                await alexa.connect()

            steps = []
            steps.append(enable_alexa)
            await asyncio.gather(*(step() for step in steps))
    """
    assert par301_lines(own_steps) == []


def test_par301_a_visible_coroutine_is_judged_by_its_awaits_not_its_name() -> None:
    source = """
        import asyncio

        async def update_config(device, config):
            config["name"] = await device.request_name()

        async def fill(devices, configs):
            await asyncio.gather(*[update_config(d, c) for d, c in zip(devices, configs)])
    """
    assert par301_lines(source) == []
    writes = source.replace("await device.request_name()", "await device.write_name(config)")
    assert par301_lines(writes) == [8]


def test_par301_self_removal_polls_and_self_set_up_are_not_writes() -> None:
    source = """
        import asyncio

        async def reload(component):
            await asyncio.gather(*[e.async_remove() for e in component.entities])

        async def poll(handlers):
            await asyncio.gather(*[h.async_update() for h in handlers])

        async def unload(services):
            await asyncio.gather(*[s.async_unregister_services() for s in services])

        async def start(registry, devices):
            await asyncio.gather(registry.async_initialize(), devices.initialize(from_cache=True))
    """
    assert par301_lines(source) == []
    with_arguments = """
        import asyncio

        async def push(store, records):
            await asyncio.gather(*[store.update(r) for r in records])

        async def leave(members):
            await asyncio.gather(*[m.async_remove_from_group() for m in members])

        async def set_up(hub, vehicles):
            await asyncio.gather(*[hub.initialise_vehicle(v) for v in vehicles])
    """
    assert par301_lines(with_arguments) == [5, 8, 11]


def test_par301_a_coroutine_catching_its_expected_error_handles_it() -> None:
    source = """
        import asyncio

        class Pusher:
            async def _one(self, item):
                try:
                    await self.api.update_item(item)
                except (TimeoutError, ApiError) as error:
                    self.failed[item] = error

            async def push(self, a, b):
                await asyncio.gather(self._one(a), self._one(b))
    """
    assert par301_lines(source) == []
    reraising = source.replace("self.failed[item] = error", "raise")
    assert par301_lines(reraising) == [12]


def test_par301_registered_callables_inside_a_nested_gather_count_as_work() -> None:
    source = """
        import asyncio

        class Signal:
            async def send(self, sender):
                return await asyncio.gather(
                    self.send_sync(sender),
                    asyncio.gather(*[receiver(sender) for receiver in self.receivers]),
                )
    """
    assert par301_lines(source) == [6]
