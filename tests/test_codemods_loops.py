"""loops.loop_fix: PAR102 loops and comprehensions become bounded, order-preserving forms."""

from __future__ import annotations

import libcst as cst
import pytest

from codemod_helpers import apply_spec, dedent
from parlint.codemods.loops import loop_fix
from parlint.types import Safety


def fixed(source: str, **options) -> str | None:
    """Fix the first loop (or comprehension statement) of the first function."""

    def build(module, function):
        options.setdefault("safety", Safety.UNSAFE)
        options.setdefault("asyncio_name", "asyncio")
        options.setdefault("max_concurrency", 3)
        for statement in function.body.body:
            if isinstance(statement, cst.For):
                return loop_fix(statement, scope=function, **options)
            if isinstance(statement, cst.SimpleStatementLine):
                value = getattr(statement.body[0], "value", None)
                if isinstance(value, (cst.ListComp, cst.SetComp, cst.DictComp)):
                    return loop_fix(value, statement_of=statement, scope=function, **options)
        raise LookupError("no loop")

    return apply_spec(source, build)


APPEND = """\
import asyncio
async def f(items):
    out = []
    for item in items:
        out.append(await fetch(item))
    return out
"""


@pytest.mark.parametrize(
    "style,target,after",
    [
        pytest.param(
            "semaphore",
            (3, 9),
            """\
            import asyncio
            async def f(items):
                out = []
                _semaphore = asyncio.Semaphore(3)
                async def _fetch_one(item):
                    async with _semaphore:
                        return await fetch(item)
                out.extend(await asyncio.gather(*(_fetch_one(item) for item in items)))
                return out
            """,
            id="semaphore",
        ),
        pytest.param(
            "batches",
            (3, 9),
            """\
            import asyncio
            async def f(items):
                out = []
                async def _fetch_one(item):
                    return await fetch(item)
                _items = list(items)
                for _start in range(0, len(_items), 3):  # noqa: PAR102
                    out.extend(await asyncio.gather(*(_fetch_one(item) for item in _items[_start:_start + 3])))
                return out
            """,
            id="batches-index-slices",
        ),
        pytest.param(
            "batches",
            (3, 12),
            """\
            import asyncio
            import itertools

            async def f(items):
                out = []
                async def _fetch_one(item):
                    return await fetch(item)
                for _batch in itertools.batched(items, 3):  # noqa: PAR102
                    out.extend(await asyncio.gather(*(_fetch_one(item) for item in _batch)))
                return out
            """,
            id="batches-itertools-batched",
        ),
        pytest.param(
            "taskgroup",
            (3, 11),
            """\
            import asyncio
            async def f(items):
                out = []
                _semaphore = asyncio.Semaphore(3)
                async def _fetch_one(item):
                    async with _semaphore:
                        return await fetch(item)
                async with asyncio.TaskGroup() as _task_group:
                    _tasks = [_task_group.create_task(_fetch_one(item)) for item in items]
                out.extend([_task.result() for _task in _tasks])
                return out
            """,
            id="taskgroup",
        ),
    ],
)
def test_append_in_every_style(style: str, target: tuple[int, int], after: str) -> None:
    assert fixed(APPEND, style=style, target_version=target) == dedent(after)


def test_taskgroup_below_311_falls_back_to_semaphore() -> None:
    assert fixed(APPEND, style="taskgroup", target_version=(3, 10)) == fixed(APPEND, style="semaphore")


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param(
            """\
            async def f(pairs):
                found = {}
                for key, value in pairs:
                    found[key] = await lookup(value)
                return found
            """,
            """\
            async def f(pairs):
                found = {}
                _semaphore = asyncio.Semaphore(3)
                async def _lookup_one(key, value):
                    async with _semaphore:
                        return await lookup(value)
                _items = list(pairs)
                _results = await asyncio.gather(*(_lookup_one(key, value) for (key, value) in _items))
                for (key, value), _value in zip(_items, _results):
                    found[key] = _value
                return found
            """,
            id="setitem-tuple-target",
        ),
        pytest.param(
            """\
            async def f(hosts):
                for host in hosts:
                    await ping(host)
            """,
            """\
            async def f(hosts):
                _semaphore = asyncio.Semaphore(3)
                async def _ping_one(host):
                    async with _semaphore:
                        await ping(host)
                await asyncio.gather(*(_ping_one(host) for host in hosts))
            """,
            id="bare-await",
        ),
        pytest.param(
            """\
            async def f(hosts):
                for host in hosts:
                    await ping(host)
                return host
            """,
            """\
            async def f(hosts):
                _semaphore = asyncio.Semaphore(3)
                async def _ping_one(host):
                    async with _semaphore:
                        await ping(host)
                _items = list(hosts)
                await asyncio.gather(*(_ping_one(host) for host in _items))
                if _items:
                    host = _items[-1]
                return host
            """,
            id="loop-variable-read-after-the-loop",
        ),
        pytest.param(
            """\
            async def f(ids):
                names = []
                for uid in ids:
                    url = f"/u/{uid}"
                    user = await fetch(url)
                    names.append(user.name)
                    log(url)
            """,
            """\
            async def f(ids):
                names = []
                _semaphore = asyncio.Semaphore(3)
                async def _fetch_one(uid):
                    async with _semaphore:
                        url = f"/u/{uid}"
                        user = await fetch(url)
                        return url, user
                _items = list(ids)
                _results = await asyncio.gather(*(_fetch_one(uid) for uid in _items))
                for uid, (url, user) in zip(_items, _results):
                    names.append(user.name)
                    log(url)
            """,
            id="assign-then-sync-work-in-order",
        ),
        pytest.param(
            """\
            async def f(ids, sink):
                for uid in ids:
                    sink.append(await fetch(uid))
                else:
                    sink.append(None)
            """,
            """\
            async def f(ids, sink):
                _semaphore = asyncio.Semaphore(3)
                async def _fetch_one(uid):
                    async with _semaphore:
                        return await fetch(uid)
                _items = list(ids)
                _results = await asyncio.gather(*(_fetch_one(uid) for uid in _items))
                for uid, _value in zip(_items, _results):
                    sink.append(_value)
                sink.append(None)
            """,
            id="append-to-unknown-sink-and-else",
        ),
        pytest.param(
            """\
            async def f(ids, _semaphore):
                return [await fetch(i) for i in ids if i]
            """,
            """\
            async def f(ids, _semaphore):
                _semaphore_2 = asyncio.Semaphore(3)
                async def _fetch_one(i):
                    async with _semaphore_2:
                        return await fetch(i)
                return await asyncio.gather(*(_fetch_one(i) for i in ids if i))
            """,
            id="list-comprehension-filter-fresh-names",
        ),
        pytest.param(
            """\
            async def f(ids):
                prices = {i: await price(i) for i in ids}
            """,
            """\
            async def f(ids):
                _semaphore = asyncio.Semaphore(3)
                async def _price_one(i):
                    async with _semaphore:
                        return i, await price(i)
                prices = dict(await asyncio.gather(*(_price_one(i) for i in ids)))
            """,
            id="dict-comprehension",
        ),
        pytest.param(
            """\
            async def f(ids):
                seen = {await owner(i) for i in ids}
            """,
            """\
            async def f(ids):
                _semaphore = asyncio.Semaphore(3)
                async def _owner_one(i):
                    async with _semaphore:
                        return await owner(i)
                seen = set(await asyncio.gather(*(_owner_one(i) for i in ids)))
            """,
            id="set-comprehension",
        ),
    ],
)
def test_loop_shapes(before: str, after: str) -> None:
    assert fixed(before, asyncio_name=None).replace("import asyncio\n\n", "", 1) == dedent(after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("async def f(xs):\n    for x in xs:\n        if await g(x):\n            break\n", id="break"),
        pytest.param("async def f(xs):\n    for x in xs:\n        await g(x)\n        continue\n", id="continue"),
        pytest.param("async def f(xs):\n    for x in xs:\n        return await g(x)\n", id="return"),
        pytest.param("async def f(xs):\n    async for x in xs:\n        await g(x)\n", id="async-for"),
        pytest.param("async def f(xs):\n    for x in xs:\n        try:\n            await g(x)\n        except E:\n            pass\n", id="try"),
        pytest.param("async def f(xs):\n    for x in xs:\n        log(x)\n        await g(x)\n", id="effect-before-await"),
        pytest.param("async def f(xs):\n    for self.x in xs:\n        await g(self.x)\n", id="attribute-target"),
        pytest.param("async def f(xs):\n    for x in xs:\n        total += await g(x)\n", id="augmented"),
        pytest.param("async def f(xs):\n    return [await g(x, y) for x in xs for y in x]\n", id="nested-comprehension"),
        pytest.param("async def f(xs):\n    return [x for x in xs if await g(x)]\n", id="await-in-filter"),
        pytest.param("async def f(xs):\n    return {x: await g(x) for x in xs}\n    dict = 1\n", id="dict-rebound"),
        pytest.param("async def f(self, xs):\n    for x in xs:\n        await super().g(x)\n", id="super-in-head"),
        pytest.param("async def f(self, xs):\n    return [await super().g(x) for x in xs]\n", id="super-in-comprehension"),
        pytest.param("async def f(xs):\n    global last\n    for x in xs:\n        last = await g(x)\n", id="global-name"),
    ],
)
def test_unhandled_shapes_give_none(source: str) -> None:
    assert fixed(source) is None


def test_a_comprehension_needs_its_statement() -> None:
    module = cst.parse_module("async def f(xs):\n    return [await g(x) for x in xs]\n")
    comp = module.body[0].body.body[0].body[0].value
    assert loop_fix(comp, safety=Safety.SAFE) is None


def test_bad_options_raise() -> None:
    loop = cst.parse_statement("for x in xs:\n    await g(x)\n")
    with pytest.raises(ValueError):
        loop_fix(loop, safety=Safety.SAFE, style="threads")
    with pytest.raises(ValueError):
        loop_fix(loop, safety=Safety.SAFE, max_concurrency=0)


def test_a_comprehension_inside_another_is_not_handled() -> None:
    module = cst.parse_module("async def f(xss):\n    return [[await g(x, xs) for x in xs] for xs in xss]\n")
    statement = module.body[0].body.body[0]
    inner = statement.body[0].value.elt
    assert isinstance(inner, cst.ListComp)
    assert loop_fix(inner, safety=Safety.SAFE, statement_of=statement) is None


def test_loop_suggestion_is_display_only_with_the_loops_names() -> None:
    from parlint.codemods.loops import loop_suggestion

    loop = cst.parse_statement("for user in users:\n    try:\n        await notify(user)\n    except E:\n        pass\n")
    spec = loop_suggestion(loop, message="Run them concurrently", max_concurrency=4)
    assert spec.safety is Safety.DISPLAY_ONLY and not spec.replacements
    assert "asyncio.Semaphore(4)" in spec.message
    assert "gather(*(one(user) for user in users))" in spec.message and "notify(user)" in spec.message


def test_taskgroup_style_is_never_safe() -> None:
    loop = cst.parse_statement("for x in xs:\n    await g(x)\n")
    spec = loop_fix(loop, safety=Safety.SAFE, style="taskgroup", target_version=(3, 11))
    assert spec is not None and spec.safety is Safety.UNSAFE
    spec = loop_fix(loop, safety=Safety.SAFE, style="semaphore")
    assert spec is not None and spec.safety is Safety.SAFE


# --- trio / anyio: a nursery or task group with a CapacityLimiter ------------------------


NURSERY_APPEND = """\
{header}
async def f(items):
    out = []
    _items = list(items)
    _results = [None] * len(_items)
    _limiter = {name}.CapacityLimiter(3)
    async def _fetch_one(_index, item):
        async with _limiter:
            _results[_index] = await fetch(item)
    async with {name}.{opener} as {group}:
        for _index, item in enumerate(_items):
            {group}.start_soon(_fetch_one, _index, item)
    out.extend(_results)
    return out
"""


@pytest.mark.parametrize(
    "framework,header,name,opener,group",
    [
        pytest.param("trio", "import trio", "trio", "open_nursery()", "_nursery", id="trio"),
        pytest.param(
            "anyio", "import anyio as aio_", "aio_", "create_task_group()", "_task_group", id="anyio-alias"
        ),
    ],
)
def test_trio_and_anyio_loops_start_workers_that_fill_their_slots(
    framework: str, header: str, name: str, opener: str, group: str
) -> None:
    source = header + "\n" + APPEND.split("\n", 1)[1]
    # `fix-style` is an asyncio choice: the nursery form is the same whatever it says
    for style in ("semaphore", "batches"):
        result = fixed(source, framework=framework, framework_name=name, style=style)
        assert result == NURSERY_APPEND.format(header=header, name=name, opener=opener, group=group)


def test_trio_loop_with_tail_keeps_the_order_through_the_slots() -> None:
    result = fixed(
        """\
        import trio
        async def f(users):
            names = []
            for user in users:
                profile = await fetch(user)
                names.append(profile.name)
            return names, user
        """,
        framework="trio",
        framework_name="trio",
    )
    assert result == dedent(
        """\
        import trio
        async def f(users):
            names = []
            _items = list(users)
            _results = [None] * len(_items)
            _limiter = trio.CapacityLimiter(3)
            async def _fetch_one(_index, user):
                async with _limiter:
                    _results[_index] = await fetch(user)
            async with trio.open_nursery() as _nursery:
                for _index, user in enumerate(_items):
                    _nursery.start_soon(_fetch_one, _index, user)
            for user, profile in zip(_items, _results):
                names.append(profile.name)
            return names, user
        """
    )


def test_trio_comprehension_runs_before_its_statement_without_leaking_its_variable() -> None:
    result = fixed(
        """\
        import trio
        async def f(pairs):
            return {a: await fetch(a, b) for a, b in pairs if b}
        """,
        framework="trio",
        framework_name=None,
    )
    assert result == dedent(
        """\
        import trio
        async def f(pairs):
            _items = [(a, b) for a, b in pairs if b]
            _results = [None] * len(_items)
            _limiter = trio.CapacityLimiter(3)
            async def _fetch_one(_index, _item):
                async with _limiter:
                    a, b = _item
                    _results[_index] = a, await fetch(a, b)
            async with trio.open_nursery() as _nursery:
                for _index, _item in enumerate(_items):
                    _nursery.start_soon(_fetch_one, _index, _item)
            return dict(_results)
        """
    )


def test_a_trio_comprehension_inside_a_larger_expression_is_not_rewritten() -> None:
    # No expression form exists: running it before the statement would reorder the statement.
    module = cst.parse_module("async def f(xs):\n    return len(xs), [await g(x) for x in xs]\n")
    statement = module.body[0].body.body[0]
    comp = statement.body[0].value.elements[1].value
    assert isinstance(comp, cst.ListComp)
    assert loop_fix(comp, safety=Safety.SAFE, statement_of=statement, framework="trio") is None
    assert loop_fix(comp, safety=Safety.SAFE, statement_of=statement) is not None  # asyncio can


def test_a_missing_trio_import_is_requested_and_asyncio_is_not() -> None:
    source = "async def f(xs):\n    for x in xs:\n        await g(x)\n"
    result = fixed(source, framework="trio", framework_name=None, asyncio_name=None)
    assert result is not None and "import trio" in result and "asyncio" not in result


def test_trio_and_anyio_fixes_are_never_safe_and_honour_max_concurrency() -> None:
    loop = cst.parse_statement("for x in xs:\n    await g(x)\n")
    for framework in ("trio", "anyio"):
        spec = loop_fix(loop, safety=Safety.SAFE, framework=framework, framework_name=framework, max_concurrency=7)
        assert spec is not None and spec.safety is Safety.UNSAFE
        assert f"{framework}.CapacityLimiter(7)" in cst.Module(body=spec.replacements[0].new).code
    with pytest.raises(ValueError):
        loop_fix(loop, safety=Safety.SAFE, framework="curio")
