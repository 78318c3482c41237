"""PAR102 through the engine: position, message, loops it must skip, fix safety."""

import textwrap
from pathlib import Path

import pytest

from parlint.cli.explain import explain_source
from parlint.config import DEFAULT
from parlint.engine import lint_source
from parlint.types import Safety


def findings(code: str, **options):
    config = DEFAULT.with_values(**options) if options else DEFAULT
    config = config.__class__(**{**config.__dict__, "select": ("PAR102",)})
    result = lint_source(textwrap.dedent(code), "example.py", config)
    assert not result.tracebacks, result.tracebacks
    return [f for f in result.findings if f.code == "PAR102"]


def test_awaits_in_exclusive_branches_count_once_per_iteration():
    (finding,) = findings(
        """
        import asyncio

        async def f(client, items):
            for item in items:
                if item.flag:
                    await client.set_flag(item.id)
                else:
                    await client.set_text(item.id)
        """
    )
    assert "`client.set_flag`, `client.set_text`" in finding.message
    assert "1 await per iteration" in finding.message


def test_reported_at_the_for_statement_with_bound_and_awaits():
    (finding,) = findings(
        """
        import asyncio

        async def f(client, ids):
            out = []
            for i in ids:
                detail = await client.get_item(i)
                stock = await client.get_stock(i)
                out.append((detail, stock))
            return out
        """,
        **{"max-concurrency": 3},
    )
    assert (finding.line, finding.column) == (6, 4)
    assert "`client.get_item`, `client.get_stock`" in finding.message
    assert "2 awaits per iteration" in finding.message
    assert "bounded gather (max-concurrency=3)" in finding.message
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE


def test_comprehension_is_reported_at_the_comprehension():
    (finding,) = findings("async def f(client, ids):\n    return [await client.get(i) for i in ids]\n")
    assert (finding.line, finding.column) == (2, 11)


@pytest.mark.parametrize(
    "body",
    [
        # polling / pagination / retries: while loops are never reported
        "while True:\n        page = await client.list_page(i)\n        if not page:\n            break",
        # streaming
        "async for item in client.stream():\n        await client.get(item)",
        # early exit on first match
        "for i in ids:\n        if await client.get(i):\n            return i",
        # running total
        "for i in ids:\n        total += await client.count(i)",
        # rate limit
        "for i in ids:\n        await client.get(i)\n        await asyncio.sleep(0.1)",
        # the same connection
        "for i in ids:\n        await conn.fetch(i)",
        # ordered protocol
        "for i in ids:\n        await ws.send(i)",
        # side effects per item through one object of unknown type
        "for i in ids:\n        await store.delete_item(i)",
        # cursor carried from one iteration to the next
        "for i in ids:\n        cursor = await client.list_page(i, cursor)",
        # a retry loop repeats the same call
        "for _ in range(3):\n        await client.get_status()",
    ],
)
def test_loops_that_must_stay_sequential(body):
    code = f"import asyncio\n\nasync def f(client, store, conn, ws, ids, total=0, cursor=None, i=0):\n    {body}\n"
    assert findings(code) == []


def test_calls_of_unclear_effect_are_not_reported():
    assert findings(
        """
        from images import resize

        async def f(client, ids):
            for i in ids:
                await resize(client, i)
        """
    ) == []


def test_trio_suggests_a_nursery_and_fixes_with_one_unsafely():
    (finding,) = findings(
        """
        import trio as t
        async def f(client, ids):
            out = {}
            for i in ids:
                out[i] = await client.get(i)
        """
    )
    assert "a nursery" in finding.message
    # read-only calls, yet unsafe: the nursery raises an item's error in an ExceptionGroup
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    new_text = "".join(edit.content for edit in finding.fix.edits)
    assert "t.open_nursery()" in new_text and "t.CapacityLimiter(5)" in new_text
    assert "asyncio" not in new_text and not finding.fix.imports


SHARED = Path(__file__).resolve().parent.parent / "fixtures" / "par102_await_in_loop_shared.py"


@pytest.mark.parametrize(
    ("loop_line_of", "reason"),
    [
        ("for index in system.button_switches():", "the one object `system` of unknown type"),
        ("for slot in range(1, count + 1):", "the one object `avm`"),
        ("for task_type in TASK_TYPES:", "handles a rate limit (`TOO_MANY_REQUESTS`"),
        ("for username in self.users:", "`self._load_user_data` (a method of one shared object)"),
        ("for phonebook_id in self._phonebook_ids:", "`self._box.phonebook_info` via"),
        ("return [await command.get_translated_payload(", "is handed `self`"),
        ("for platform in self.platforms.values():", "is handed `self.hass`"),
        ("for listener in self._listeners:", "a method of an item held in memory"),
        ("for lease_id, holder in holders:", "only for the item equal to `run_id`"),
        ("for address in addresses:", "already starts tasks (`asyncio.create_task`"),
        ("return [await self._thumbnail(item, station)", "`station` via `self._thumbnail`"),
        ("for service in factory.all_services:", "parts of `factory`, built with `api`"),
        ("for value in values:", "`_read_upload` only awaits methods of the item"),
        ("return {zone_id: await get_zone_name(client, zone_id)", "answers from a cache"),
    ],
)
def test_explain_gives_the_reason_of_each_shared_loop(loop_line_of, reason):
    source = SHARED.read_text()
    line = next(n for n, text in enumerate(source.splitlines(), 1) if loop_line_of in text)
    text = explain_source(source, str(SHARED), line)
    (said,) = [row for row in text.splitlines()
               if row.strip().startswith(f"line {line}:") and "reported" in row]
    assert "not reported" in said and reason in said, said
    assert not [f for f in findings(source) if f.line == line]
