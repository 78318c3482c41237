"""The analysis's work grows linearly with the length of a function: counted, not timed.

Every Python function call and builtin call made while analysing a generated async method
is counted per function; twice the statements may cost twice the calls of each function (a
little more for rounding), never the square. A walk of the whole function per loop or per
group, or a scan of every earlier statement per await, fails this.
"""

from __future__ import annotations

import sys
from collections import Counter

import libcst as cst

from parlint.analysis.fanout import Settings
from parlint.analysis.fanout import analyse_module as fan_out
from parlint.analysis.provider import analyse_module


def generated_method(lines: int) -> str:
    """One async method of `lines` lines: sequential awaits on `self`, loops over a field,
    comments, try/except, branches, comprehensions that await, a gather."""
    body: list[str] = []
    i = 0
    while len(body) < lines:
        body += [
            f"        # step {i}: fetch the pieces",
            f"        a{i} = await self.client.get_user(user_id, {i})",
            f"        b{i} = await self.client.get_orders(user_id, {i})",
            f"        self.total += len(a{i}) + len(b{i})",
            "        for item in self.items:",
            f"            results[item] = await self.fetch_detail(item, a{i})",
            "        try:",
            f"            c{i} = await self.api.fetch_page(b{i})",
            "        except KeyError:",
            f"            c{i} = None",
            f"        if c{i}:",
            f"            d{i} = [await self.load(x) for x in c{i}]",
            f"            await asyncio.gather(*[self.notify(x) for x in d{i}])",
        ]
        i += 1
    return (
        "import asyncio\n\n\nclass Service:\n"
        "    async def fetch_detail(self, item, a):\n        return await self.api.get(item)\n\n"
        "    async def handler(self, user_id):\n        results = {}\n"
        + "\n".join(body[:lines]) + "\n        return results\n"
    )


def counted_calls(source: str) -> tuple[Counter, int]:
    module = cst.parse_module(source)
    calls: Counter = Counter()

    def count(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "call":
            calls[(frame.f_code.co_filename, frame.f_code.co_firstlineno, frame.f_code.co_name)] += 1
        elif event == "c_call":
            calls[("builtin", 0, getattr(arg, "__qualname__", repr(arg)))] += 1

    sys.setprofile(count)
    try:
        analyses = analyse_module(module)
        fan_out(module, Settings())
    finally:
        sys.setprofile(None)
    return calls, sum(len(a.sites) for a in analyses)


def test_twice_the_statements_cost_at_most_twice_the_work():
    short, short_sites = counted_calls(generated_method(260))  # 20 rounds of 13 lines
    long, long_sites = counted_calls(generated_method(520))
    assert long_sites - 1 == 2 * (short_sites - 1)  # (`fetch_detail` awaits once)
    grown = {
        key: (short[key], n) for key, n in long.items() if n > 2.2 * short[key] + 20
    }
    assert not grown, grown  # functions called super-linearly often
    assert sum(long.values()) <= 2.2 * sum(short.values())


def test_functions_that_cannot_hold_a_group_or_a_loop_are_not_analysed():
    from libcst.metadata import MetadataWrapper

    from parlint.analysis.provider import AsyncFunctionProvider, may_group_or_loop

    module = cst.parse_module(
        "async def one(api):\n    return await api.get()\n\n"
        "async def two(api):\n    a = await api.get_a()\n    b = await api.get_b()\n\n"
        "async def loop(api, ids):\n    for i in ids:\n        await api.get(i)\n\n"
        "async def comp(api, ids):\n    return [await api.get(i) for i in ids]\n\n"
        "async def nested(api):\n    await api.get()\n    async def inner():\n"
        "        await api.get_b()\n        await api.get_c()\n"
    )
    wanted = {fn.name.value: may_group_or_loop(fn) for fn in module.body}
    assert wanted == {"one": False, "two": True, "loop": True, "comp": True, "nested": False}
    analyses = {
        fn.name.value: value()
        for fn, value in MetadataWrapper(module, unsafe_skip_copy=True)
        .resolve(AsyncFunctionProvider).items()
    }
    assert analyses["one"].sites == [] and analyses["one"].blocks == []
    assert len(analyses["loop"].loops) == 1 and len(analyses["comp"].loops) == 1
    assert analyses["inner"].sites  # a nested function is judged on its own
