"""PAR101 through the engine: position, message, framework suggestion, options, fix safety."""

import textwrap

from parlint.config import DEFAULT
from parlint.engine import lint_source
from parlint.types import Safety


def findings(code: str, **options):
    config = DEFAULT.with_values(**options) if options else DEFAULT
    config = config.__class__(**{**config.__dict__, "select": ("PAR101",)})
    result = lint_source(textwrap.dedent(code), "example.py", config)
    assert not result.tracebacks, result.tracebacks
    return [f for f in result.findings if f.code == "PAR101"]


INDEPENDENT = """
import asyncio

async def overview(api, user_id):
    profile = await api.get_profile(user_id)
    orders = await api.list_orders(user_id)
    invoices = await api.list_invoices(user_id)
    return profile, orders, invoices
"""


def test_reported_at_the_first_await_statement_with_the_saving():
    (finding,) = findings(INDEPENDENT)
    assert (finding.line, finding.column) == (5, 4)
    assert finding.message.startswith("3 sequential awaits → 1 concurrent stage: ")
    assert "`api.get_profile`, `api.list_orders`, `api.list_invoices`" in finding.message
    assert finding.message.endswith("asyncio.gather")


def test_read_only_group_gets_a_safe_gather_fix():
    (finding,) = findings(INDEPENDENT)
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE
    assert "asyncio.gather(" in "".join(edit.content for edit in finding.fix.edits)


def test_calls_of_unclear_effect_are_not_grouped():
    assert findings(
        """
        from reports import summarize_a, summarize_b

        async def f(api):
            a = await summarize_a(api)
            b = await summarize_b(api)
        """
    ) == []


def test_trio_and_anyio_suggest_a_nursery_or_task_group():
    code = """
    import {lib}

    async def f(api):
        await api.fetch_a()
        await api.fetch_b()
    """
    (trio_finding,) = findings(code.format(lib="trio"))
    assert trio_finding.message.endswith("start them in a nursery")
    (anyio_finding,) = findings(code.format(lib="anyio"))
    assert anyio_finding.message.endswith("start them in a task group")


def test_extend_serial_receivers_turns_a_receiver_serial():
    code = """
    async def f(stub):
        a = await stub.get_a()
        b = await stub.get_b()
    """
    assert len(findings(code)) == 1
    assert findings(code, **{"extend-serial-receivers": ["stub"]}) == []


def test_concurrent_safe_receivers_win_over_serial_names():
    code = """
    async def f(session):
        a = await session.get_a()
        b = await session.get_b()
    """
    assert findings(code) == []
    assert len(findings(code, **{"extend-concurrent-safe-receivers": ["session"]})) == 1


def test_extend_ordered_calls_makes_a_barrier():
    code = """
    async def f(api):
        a = await api.get_a()
        await api.get_heartbeat()
        b = await api.get_b()
    """
    assert len(findings(code)) == 1
    assert findings(code, **{"extend-ordered-calls": ["get_heartbeat"]}) == []


def test_not_reported_outside_async_def_or_for_a_single_await():
    assert findings("def f(api):\n    return api.get()\n") == []
    assert findings("async def f(api):\n    return await api.get()\n") == []


def test_noqa_suppresses():
    code = INDEPENDENT.replace(
        "profile = await api.get_profile(user_id)",
        "profile = await api.get_profile(user_id)  # noqa: PAR101",
    )
    assert findings(code) == []
