"""bound.bound_fix (PAR201) and the display-only suggestions of PAR301/PAR302."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import pytest

from codemod_helpers import apply_spec, dedent
from parlint.codemods.bound import bound_fix, checked_results_suggestion, taskgroup_suggestion
from parlint.types import Safety

SPAWN = m.Call(func=m.Attribute(attr=m.Name("gather") | m.Name("create_task")))


def bounded(source: str, anchor_index: int) -> str | None:
    def build(module, function):
        call = m.findall(function, SPAWN)[0]
        anchor = function.body.body[anchor_index]
        return bound_fix(call, anchor, safety=Safety.UNSAFE, max_concurrency=4,
                         asyncio_name="asyncio", scope=function)

    return apply_spec(source, build)


WRAPPER = """\
    _semaphore = asyncio.Semaphore(4)
    async def _bounded(awaitable):
        async with _semaphore:
            return await awaitable
"""


@pytest.mark.parametrize(
    "before,anchor,after",
    [
        pytest.param(
            "import asyncio\nasync def f(urls):\n    return await asyncio.gather(*(get(u) for u in urls), return_exceptions=True)\n",
            0,
            "import asyncio\nasync def f(urls):\n" + WRAPPER
            + "    return await asyncio.gather(\n"
            "        *(_bounded(get(u)) for u in urls),\n"
            "        return_exceptions=True,\n"
            "    )\n",
            id="gather-generator",
        ),
        pytest.param(
            "import asyncio\nasync def f(urls):\n    return await asyncio.gather(*[get(u) for u in urls])\n",
            0,
            "import asyncio\nasync def f(urls):\n" + WRAPPER
            + "    return await asyncio.gather(*[_bounded(get(u)) for u in urls])\n",
            id="gather-list",
        ),
        pytest.param(
            "import asyncio\nasync def f(urls):\n    tasks = []\n    for u in urls:\n        tasks.append(asyncio.create_task(get(u)))\n    return tasks\n",
            1,
            "import asyncio\nasync def f(urls):\n    tasks = []\n" + WRAPPER
            + "    for u in urls:\n        tasks.append(asyncio.create_task(_bounded(get(u))))\n    return tasks\n",
            id="create-task-in-loop-anchored-at-the-loop",
        ),
    ],
)
def test_bound_fan_out(before: str, anchor: int, after: str) -> None:
    assert bounded(before, anchor) == dedent(after)


def test_gather_over_tasks_built_elsewhere_is_not_handled() -> None:
    assert bounded("import asyncio\nasync def f(tasks):\n    await asyncio.gather(*tasks)\n", 0) is None


def test_suggestions_are_display_only_and_show_code() -> None:
    call = cst.parse_expression("asyncio.gather(a(), b())")
    spec = taskgroup_suggestion(call, message="Use a TaskGroup", target="x")
    assert spec.safety is Safety.DISPLAY_ONLY and not spec.replacements
    assert "tg.create_task(a())" in spec.message and "x = [t1.result(), t2.result()]" in spec.message
    spec = checked_results_suggestion("results", message="Check the results")
    assert spec.safety is Safety.DISPLAY_ONLY
    assert "isinstance(result, BaseException): raise result" in spec.message


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param(
            "import asyncio\nasync def f(urls):\n    await asyncio.gather(*map(get, urls))\n",
            "import asyncio\nasync def f(urls):\n" + WRAPPER
            + "    await asyncio.gather(*(_bounded(get(_item)) for _item in urls))\n",
            id="gather-map",
        ),
        pytest.param(
            "import asyncio\nasync def f(urls):\n    tasks = []\n    for u in urls:\n        if u:\n            tasks.append(asyncio.create_task(get(u)))\n",
            "import asyncio\nasync def f(urls):\n    tasks = []\n" + WRAPPER
            + "    for u in urls:\n        if u:\n            tasks.append(asyncio.create_task(_bounded(get(u))))\n",
            id="anchor-found-at-the-outermost-loop",
        ),
    ],
)
def test_bound_fix_in_finds_anchor_and_scope(before: str, after: str) -> None:
    from parlint.codemods.bound import bound_fix_in

    def build(module, function):
        call = m.findall(function, SPAWN)[0]
        return bound_fix_in(module, call, safety=Safety.UNSAFE, max_concurrency=4, asyncio_name="asyncio")

    assert apply_spec(before, build) == dedent(after)
