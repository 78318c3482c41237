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
