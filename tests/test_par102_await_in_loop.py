"""PAR102 through the engine: position, message, loops it must skip, fix safety."""

import textwrap

import pytest

from parlint.config import DEFAULT
from parlint.engine import lint_source
from parlint.types import Safety


def findings(code: str, **options):
    config = DEFAULT.with_values(**options) if options else DEFAULT
    config = config.__class__(**{**config.__dict__, "select": ("PAR102",)})
    result = lint_source(textwrap.dedent(code), "example.py", config)
    assert not result.tracebacks, result.tracebacks
    return [f for f in result.findings if f.code == "PAR102"]


def test_reported_at_the_for_statement_with_bound_and_awaits():
    (finding,) = findings(
        """
        import asyncio

        async def f(api, ids):
            out = []
            for i in ids:
                detail = await api.get_item(i)
                stock = await api.get_stock(i)
                out.append((detail, stock))
            return out
        """,
        **{"max-concurrency": 3},
    )
    assert (finding.line, finding.column) == (6, 4)
    assert "`api.get_item`, `api.get_stock`" in finding.message
    assert "2 awaits per iteration" in finding.message
    assert "bounded gather (max-concurrency=3)" in finding.message
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE


def test_comprehension_is_reported_at_the_comprehension():
    (finding,) = findings("async def f(api, ids):\n    return [await api.get(i) for i in ids]\n")
    assert (finding.line, finding.column) == (2, 11)


@pytest.mark.parametrize(
    "body",
    [
        # polling / pagination / retries: while loops are never reported
        "while True:\n        page = await api.list_page(i)\n        if not page:\n            break",
        # streaming
        "async for item in api.stream():\n        await api.get(item)",
        # early exit on first match
        "for i in ids:\n        if await api.get(i):\n            return i",
        # running total
        "for i in ids:\n        total += await api.count(i)",
        # rate limit
        "for i in ids:\n        await api.get(i)\n        await asyncio.sleep(0.1)",
        # the same connection
        "for i in ids:\n        await conn.fetch(i)",
        # ordered protocol
        "for i in ids:\n        await ws.send(i)",
        # side effects per item
        "for i in ids:\n        await api.delete_item(i)",
        # cursor carried from one iteration to the next
        "for i in ids:\n        cursor = await api.list_page(i, cursor)",
        # a retry loop repeats the same call
        "for _ in range(3):\n        await api.get_status()",
    ],
)
def test_loops_that_must_stay_sequential(body):
    code = f"import asyncio\n\nasync def f(api, conn, ws, ids, total=0, cursor=None, i=0):\n    {body}\n"
    assert findings(code) == []


def test_calls_of_unclear_effect_are_not_reported():
    assert findings(
        """
        from images import resize

        async def f(api, ids):
            for i in ids:
                await resize(api, i)
        """
    ) == []


def test_trio_suggests_a_nursery_and_fixes_with_one_unsafely():
    (finding,) = findings(
        """
        import trio as t
        async def f(api, ids):
            out = {}
            for i in ids:
                out[i] = await api.get(i)
        """
    )
    assert "a nursery" in finding.message
    # read-only calls, yet unsafe: the nursery raises an item's error in an ExceptionGroup
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    new_text = "".join(edit.content for edit in finding.fix.edits)
    assert "t.open_nursery()" in new_text and "t.CapacityLimiter(5)" in new_text
    assert "asyncio" not in new_text and not finding.fix.imports
