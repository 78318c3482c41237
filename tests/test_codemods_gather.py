"""gather.group_fix: a PAR101 group becomes one gather (before/after tables)."""

from __future__ import annotations

import pytest

from codemod_helpers import apply_spec, dedent
from parlint.codemods.gather import group_fix
from parlint.types import Safety


def grouped(source: str, count: int | None = None, stage1=None, **options) -> str | None:
    """Group the first `count` statements of the first function (all grouped unless `stage1`
    gives the indices of the grouped ones)."""

    def build(module, function):
        body = list(function.body.body)
        run = body[: count or len(body)]
        members = run if stage1 is None else [run[i] for i in stage1]
        options.setdefault("safety", Safety.UNSAFE)
        return group_fix(run, members, scope=function, **options)

    return apply_spec(source, build)


@pytest.mark.parametrize(
    "before,after,options",
    [
        pytest.param(
            """\
            async def f():
                a = await fa()
                b = await fb(1, key=2)
            """,
            """\
            import asyncio

            async def f():
                a, b = await asyncio.gather(fa(), fb(1, key=2))
            """,
            {},
            id="two-names-adds-import",
        ),
        pytest.param(
            """\
            import asyncio as aio
            async def f():
                a = await fa()
                b = await fb()
            """,
            """\
            import asyncio as aio
            async def f():
                a, b = await aio.gather(fa(), fb())
            """,
            {"asyncio_name": "aio"},
            id="reuses-alias",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                await ping()
                b = await fb()
            """,
            """\
            import asyncio
            async def f():
                _, b = await asyncio.gather(ping(), fb())
            """,
            {"asyncio_name": "asyncio"},
            id="bare-await-takes-underscore",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                await ping()
                b = await fb(_("label"))
            """,
            """\
            import asyncio
            async def f():
                _unused, b = await asyncio.gather(ping(), fb(_("label")))
            """,
            {"asyncio_name": "asyncio"},
            id="underscore-in-use-gettext",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                await ping()
                await pong()
            """,
            """\
            import asyncio
            async def f():
                await asyncio.gather(ping(), pong())
            """,
            {"asyncio_name": "asyncio"},
            id="all-bare",
        ),
        pytest.param(
            """\
            import asyncio
            async def f(self, d):
                self.a = await fa()
                d["b"] = await fb()
            """,
            """\
            import asyncio
            async def f(self, d):
                self.a, d["b"] = await asyncio.gather(fa(), fb())
            """,
            {"asyncio_name": "asyncio"},
            id="attribute-and-subscript-targets",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                a: int = await fa()
                b = await fb()
            """,
            """\
            import asyncio
            async def f():
                a: int
                a, b = await asyncio.gather(fa(), fb())
            """,
            {"asyncio_name": "asyncio"},
            id="annotation-declared-separately",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                left, right = await pair()
                b = await fb()
            """,
            """\
            import asyncio
            async def f():
                (left, right), b = await asyncio.gather(pair(), fb())
            """,
            {"asyncio_name": "asyncio"},
            id="tuple-target-parenthesised",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                # load both
                a = await fa()  # the user
                # then
                b = await fb()  # the prefs
            """,
            """\
            import asyncio
            async def f():
                # load both
                # the user
                # then
                # the prefs
                a, b = await asyncio.gather(fa(), fb())
            """,
            {"asyncio_name": "asyncio"},
            id="comments-kept",
        ),
        pytest.param(
            """\
            import asyncio
            async def f():
                a = await fa()
                b = await fb()
                c = await fc()
            """,
            """\
            import asyncio
            async def f():
                _semaphore = asyncio.Semaphore(2)
                async def _bounded(awaitable):
                    async with _semaphore:
                        return await awaitable
                a, b, c = await asyncio.gather(_bounded(fa()), _bounded(fb()), _bounded(fc()))
            """,
            {"asyncio_name": "asyncio", "max_concurrency": 2},
            id="bound-above-max-concurrency",
        ),
        pytest.param(
            """\
            async def f():
                await fa(1)
                await fb(x, y)
            """,
            """\
            import trio

            async def f():
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(fa, 1)
                    nursery.start_soon(fb, x, y)
            """,
            {"framework": "trio"},
            id="trio-nursery",
        ),
        pytest.param(
            """\
            import anyio
            async def f():
                await fa()
                await fb()
            """,
            """\
            import anyio
            async def f():
                async with anyio.create_task_group() as task_group:
                    task_group.start_soon(fa)
                    task_group.start_soon(fb)
            """,
            {"framework": "anyio", "framework_name": "anyio"},
            id="anyio-task-group",
        ),
    ],
)
def test_group_rewrites(before: str, after: str, options: dict) -> None:
    assert grouped(before, **options) == dedent(after)


def test_later_stage_statements_follow_in_original_order() -> None:
    before = """\
    import asyncio
    async def f():
        a = await fa()
        note = "for " + a
        log(note)
        b = await fb()
        return a, b
    """
    after = """\
    import asyncio
    async def f():
        a, b = await asyncio.gather(fa(), fb())
        note = "for " + a
        log(note)
        return a, b
    """
    assert grouped(before, count=4, stage1=[0, 3], asyncio_name="asyncio") == dedent(after)


@pytest.mark.parametrize(
    "source,count,stage1",
    [
        pytest.param("async def f():\n    a = await fa() + 1\n    b = await fb()\n", None, None, id="await-inside-expression"),
        pytest.param("async def f():\n    a = c = await fa()\n    b = await fb()\n", None, None, id="two-targets"),
        pytest.param("async def f():\n    a += await fa()\n    b = await fb()\n", None, None, id="augmented"),
        pytest.param("async def f():\n    a = await fa(); x = 1\n    b = await fb()\n", None, None, id="semicolons"),
        pytest.param("async def f():\n    a = await fa()\n    b = await fb()\n", 2, [0], id="one-member"),
        pytest.param("async def f():\n    x = 1\n    a = await fa()\n    b = await fb()\n", 3, [1, 2], id="run-starts-ungrouped"),
    ],
)
def test_unhandled_shapes_give_none(source: str, count, stage1) -> None:
    assert grouped(source, count=count, stage1=stage1) is None


def test_trio_with_results_is_display_only_with_a_suggestion() -> None:
    source = "async def f():\n    a = await fa()\n    b = await fb()\n"
    spec = {}

    def build(module, function):
        body = list(function.body.body)
        spec["value"] = group_fix(body, body, safety=Safety.SAFE, framework="trio")
        return None

    apply_spec(source, build)
    fix = spec["value"]
    assert fix.safety is Safety.DISPLAY_ONLY and not fix.replacements
    assert "group.start_soon(store, 'a', fa)" in fix.message and "b = results['b']" in fix.message
    assert "asyncio" not in fix.message


def test_safety_and_message_are_the_rules() -> None:
    def build(module, function):
        body = list(function.body.body)
        spec = group_fix(body, body, safety=Safety.SAFE, message="run them together")
        assert spec.safety is Safety.SAFE and spec.message == "run them together"
        return spec

    assert apply_spec("async def f():\n    a = await fa()\n    b = await fb()\n", build)


def test_group_suggestion_is_display_only_with_the_calls() -> None:
    import libcst as cst

    from parlint.codemods.gather import group_suggestion

    statements = [cst.parse_statement("a = (await fa()).json()\n"), cst.parse_statement("b = await fb(1)\n")]
    spec = group_suggestion(statements, message="Await them together", asyncio_name="aio")
    assert spec.safety is Safety.DISPLAY_ONLY and not spec.replacements
    assert spec.message.endswith("`await aio.gather(fa(), fb(1))`")


def test_nursery_form_is_never_safe() -> None:
    """trio/anyio raise a child's error inside an ExceptionGroup: callers' excepts change."""

    def build(module, function):
        body = list(function.body.body)
        spec = group_fix(body, body, safety=Safety.SAFE, framework="trio")
        assert spec.safety is Safety.UNSAFE
        return spec

    assert apply_spec("async def f():\n    await fa()\n    await fb()\n", build)
