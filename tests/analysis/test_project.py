"""The project's other modules (analysis/project.py): names resolved to files of the same tree,
read lazily with `ast`, every failure an "unknown" (None), every file consulted recorded."""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest

from parlint.analysis import project as project_module
from parlint.analysis.names import import_table
from parlint.analysis.project import Project, imported_name


@pytest.fixture(autouse=True)
def fresh_module_cache() -> None:
    project_module.clear_module_cache()


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


SHOP = {
    "shop/__init__.py": "from .formatting import render_line\n",
    "shop/formatting.py": (
        "import functools\n\n\n"
        "async def render_line(item):\n"
        "    def label(x):\n"
        "        async def later():\n"
        "            await x.load()\n"
        "        return later\n"
        "    return f'{item.name}: {label(item)}'\n\n\n"
        "async def fetch_price(client, sku):\n"
        "    return await client.get(f'/prices/{sku}')\n\n\n"
        "async def stream_lines(source):\n"
        "    return [line async for line in source]\n\n\n"
        "async def locked_total(lock, items):\n"
        "    async with lock:\n"
        "        return sum(items)\n\n\n"
        "@functools.lru_cache\n"
        "async def cached_line(item):\n"
        "    return str(item)\n\n\n"
        "def plain(item):\n"
        "    return item\n\n\n"
        "rebound = render_line\n\n\n"
        "if TYPE_CHECKING:\n"
        "    async def maybe(item):\n"
        "        return item\n\n\n"
        "async def maybe_later(item):\n"
        "    return item\n\n\n"
        "try:\n"
        "    from fastpath import maybe_later\n"
        "except ImportError:\n"
        "    pass\n\n\n"
        "async def twice(item):\n"
        "    return item\n\n\n"
        "async def twice(item):  # noqa: F811\n"
        "    return await item.load()\n"
    ),
    "shop/orders/__init__.py": "",
    "shop/orders/jobs.py": "async def main():\n    pass\n",
    "shop/orders/totals.py": "from ..formatting import fetch_price\n",
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    write_tree(tmp_path, SHOP)
    return tmp_path


def jobs(shop: Path) -> Project:
    return Project(str(shop / "shop" / "orders" / "jobs.py"))


def test_the_import_root_is_the_parent_of_the_top_level_package(shop: Path) -> None:
    assert jobs(shop).import_root == str(shop)
    # A module outside any package imports from its own directory.
    (shop / "script.py").write_text("")
    assert Project(str(shop / "script.py")).import_root == str(shop)


def test_nothing_is_read_until_a_question_needs_it(shop: Path) -> None:
    project = jobs(shop)
    assert project.recorded() == ()


@pytest.mark.parametrize(
    ("qualified", "suspends"),
    [
        pytest.param("shop.formatting.render_line", False, id="absolute"),
        pytest.param("..formatting.render_line", False, id="relative-parent"),
        pytest.param("shop.render_line", False, id="re-exported-by-the-package"),
        pytest.param("shop.orders.totals.fetch_price", True, id="re-exported-two-hops"),
        pytest.param("shop.formatting.fetch_price", True, id="awaits"),
        pytest.param("shop.formatting.stream_lines", True, id="async-comprehension"),
        pytest.param("shop.formatting.locked_total", True, id="async-with"),
        pytest.param("shop.formatting.twice", True, id="the-last-definition-wins"),
    ],
)
def test_an_imported_coroutine_suspends_when_its_own_body_awaits(
    shop: Path, qualified: str, suspends: bool
) -> None:
    assert jobs(shop).suspends(qualified) is suspends


@pytest.mark.parametrize(
    "qualified",
    [
        pytest.param("shop.formatting.cached_line", id="decorated"),
        pytest.param("shop.formatting.plain", id="not-a-coroutine-function"),
        pytest.param("shop.formatting.rebound", id="bound-by-an-assignment"),
        pytest.param("shop.formatting.maybe", id="bound-conditionally"),
        pytest.param("shop.formatting.maybe_later", id="rebound-conditionally"),
        pytest.param("shop.formatting.missing", id="not-defined"),
        pytest.param("shop.formatting.functools", id="a-module"),
        pytest.param("shop.nowhere.f", id="no-such-module"),
        pytest.param("asyncio.sleep", id="outside-the-project"),
        pytest.param("....too.far", id="beyond-the-top-level-package"),
        pytest.param("render_line", id="not-qualified"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
    ],
)
def test_what_cannot_be_known_is_unknown(shop: Path, qualified: str | None) -> None:
    assert jobs(shop).suspends(qualified) is None


@pytest.mark.parametrize(
    ("files", "qualified"),
    [
        pytest.param({"pkg/__init__.py": "", "pkg/bad.py": "async def f(:\n"}, "pkg.bad.f",
                     id="unparsable"),
        pytest.param({"pkg/__init__.py": "", "pkg/bad.py": b"\xff\xfe\x00async"}, "pkg.bad.f",
                     id="undecodable"),
        pytest.param({"pkg/__init__.py": "from .b import f\n", "pkg/b.py": "from . import f\n"},
                     "pkg.f", id="re-export-cycle"),
        pytest.param({"pkg/__init__.py": "", **{f"pkg/m{i}.py": f"from .m{i + 1} import f\n"
                                                for i in range(8)},
                      "pkg/m8.py": "async def f():\n    pass\n"}, "pkg.m0.f",
                     id="re-exports-too-deep"),
    ],
)
def test_broken_or_endless_modules_are_unknown(
    tmp_path: Path, files: dict[str, str | bytes], qualified: str
) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    (tmp_path / "pkg" / "main.py").write_text("")
    assert Project(str(tmp_path / "pkg" / "main.py")).suspends(qualified) is None


STARS = {
    "pkg/__init__.py": "from .api import *\nfrom .extra import *\n",
    "pkg/api.py": (
        "__all__ = ['render', 'fetch']\n\n\n"
        "async def render(x):\n    return str(x)\n\n\n"
        "async def fetch(client):\n    return await client.get()\n\n\n"
        "async def hidden(x):\n    return x\n"
    ),
    "pkg/extra.py": "async def _private(x):\n    return x\n\n\nasync def shown(x):\n    return x\n",
    "pkg/override.py": "async def render(x):\n    return await x.load()\n\n\nfrom .api import *\n",
    "pkg/chained.py": "from .both import *\n",
    "pkg/both.py": "from .api import *\n",
    "pkg/main.py": "",
}


@pytest.mark.parametrize(
    ("qualified", "suspends"),
    [
        pytest.param("pkg.render", False, id="through-a-star-import"),
        pytest.param("pkg.fetch", True, id="through-a-star-import-awaits"),
        pytest.param("pkg.shown", False, id="from-the-last-star-import-that-binds-it"),
        pytest.param("pkg.hidden", None, id="left-out-of-all"),
        pytest.param("pkg._private", None, id="private-without-all"),
        pytest.param("pkg.override.render", False, id="rebound-by-a-later-star-import"),
        pytest.param("pkg.chained.render", None, id="star-of-a-star"),
    ],
)
def test_star_imports_are_followed_where_they_decide(
    tmp_path: Path, qualified: str, suspends: bool | None
) -> None:
    write_tree(tmp_path, STARS)
    assert Project(str(tmp_path / "pkg" / "main.py")).suspends(qualified) is suspends


def test_line_endings_and_declared_encodings_do_not_shift_a_function(tmp_path: Path) -> None:
    source = (
        "# -*- coding: latin-1 -*-\r\n"
        "NAME = 'caf\xe9'\r\n\r\n\r\n"
        "async def fetch(client):\r\n    return await client.get(NAME)\r\n\r\n\r\n"
        "async def label(item):\r\n    return f'{NAME}: {item}'\r\n"
    )
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/main.py": ""})
    (tmp_path / "pkg" / "mod.py").write_bytes(source.encode("latin-1"))
    project = Project(str(tmp_path / "pkg" / "main.py"))
    assert project.suspends("pkg.mod.fetch") is True
    assert project.suspends("pkg.mod.label") is False


def test_a_kept_module_holds_no_syntax_tree(shop: Path) -> None:
    """Parsed modules live for the whole run: syntax trees kept alive would slow every garbage
    collection of the run."""
    import ast
    import gc

    jobs(shop).suspends("shop.formatting.render_line")
    (entry,) = [e for p, e in project_module._MODULES.items() if p.endswith("formatting.py")]
    seen, stack = set(), [entry]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        assert not isinstance(obj, ast.AST), obj
        if isinstance(obj, (dict, list, tuple, set, frozenset, project_module._Entry,
                            project_module.ModuleFacts, project_module.Definition)):
            stack.extend(gc.get_referents(obj))  # (not into classes and modules)


def test_a_huge_module_is_not_parsed(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_module, "MAX_BYTES", 100)
    assert jobs(shop).suspends("shop.formatting.render_line") is None


def test_an_unreadable_module_is_unknown(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_module, "_read_bytes", lambda path: None)  # EACCES, EISDIR...
    project = jobs(shop)
    assert project.suspends("shop.formatting.render_line") is None
    target = str(shop / "shop" / "formatting.py")
    assert project.dependencies[target].digest == project_module.UNREADABLE


def test_every_file_consulted_is_recorded_found_or_not(shop: Path) -> None:
    project = jobs(shop)
    project.suspends("shop.orders.totals.fetch_price")
    project.suspends("shop.nowhere.f")
    recorded = {Path(d.path).relative_to(shop).as_posix(): d for d in project.recorded()}
    assert {name for name, d in recorded.items() if d.digest is not None} == {
        "shop/orders/totals.py", "shop/formatting.py"}
    assert recorded["shop/nowhere.py"].digest is None
    assert recorded["shop/nowhere/__init__.py"].digest is None
    found = recorded["shop/formatting.py"]
    assert found.digest == project_module.content_digest((shop / "shop/formatting.py").read_bytes())
    assert found.stat == project_module.stat_of(str(shop / "shop/formatting.py"))


def test_an_edited_module_is_read_again(shop: Path) -> None:
    assert jobs(shop).suspends("shop.formatting.render_line") is False
    target = shop / "shop" / "formatting.py"
    target.write_text("async def render_line(item):\n    return await item.render()\n")
    assert jobs(shop).suspends("shop.formatting.render_line") is True


def test_parsed_modules_are_kept_per_process_and_bounded(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = project_module._parse

    def counting(path: str, data: bytes):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(path, data)

    monkeypatch.setattr(project_module, "_parse", counting)
    monkeypatch.setattr(project_module, "RACY_NS", 0)  # trust the stat of a fresh file
    jobs(shop).suspends("shop.formatting.render_line")
    jobs(shop).suspends("shop.formatting.fetch_price")
    assert parsed == [str(shop / "shop" / "formatting.py")]
    monkeypatch.setattr(project_module, "MAX_MODULES", 1)
    jobs(shop).suspends("shop.orders.totals.fetch_price")
    assert len(project_module._MODULES) == 1


def test_imported_names_resolve_through_the_import_table() -> None:
    module = cst.parse_module(
        "import shop.formatting as fmt\nimport shop.orders\n"
        "from .formatting import render_line as line\nfrom shop import render_line\n"
    )
    table = import_table(module)
    assert imported_name("fmt.render_line", table) == "shop.formatting.render_line"
    assert imported_name("shop.orders.totals.f", table) == "shop.orders.totals.f"
    assert imported_name("line", table) == ".formatting.render_line"
    assert imported_name("render_line", table) == "shop.render_line"
    assert imported_name("helper", table) is None  # a local or same-module name
    assert imported_name(None, table) is None


# --- what the analysis does with it ---------------------------------------------------------


def analysed(shop: Path, source: str, project: bool = True):  # type: ignore[no-untyped-def]
    from parlint.analysis.provider import analyse_module

    path = shop / "shop" / "orders" / "jobs.py"
    path.write_text(source)
    module = cst.parse_module(source)
    analyses = analyse_module(module, None, None, Project(str(path)) if project else None)
    return analyses[-1]  # the last async def


LOOP = (
    "from {module} import {name}\n\n\n"
    "async def lines(items):\n"
    "    return [await {name}(item) for item in items]\n"
)
PAIR = (
    "from {module} import {name}\n\n\n"
    "async def header(client, a, b):\n"
    "    first = await {name}(a)\n"
    "    second = await {name}(b)\n"
    "    return first, second\n"
)


@pytest.mark.parametrize("module", ["shop.formatting", "..formatting", "shop"])
def test_a_loop_over_an_imported_coroutine_that_awaits_nothing_has_no_io(
    shop: Path, module: str
) -> None:
    (loop,) = analysed(shop, LOOP.format(module=module, name="render_line")).loops
    assert [r.kind for r in loop.reasons] == ["no-io"]
    # Without the project (a file outside any tree) the same loop is reported.
    (loop,) = analysed(shop, LOOP.format(module=module, name="render_line"), False).loops
    assert loop.reasons == ()


def test_a_loop_over_an_imported_coroutine_that_awaits_is_reported(shop: Path) -> None:
    (loop,) = analysed(shop, LOOP.format(module="shop.formatting", name="fetch_price")).loops
    assert loop.reasons == ()


def test_awaits_of_a_coroutine_that_awaits_nothing_form_no_group(shop: Path) -> None:
    assert analysed(shop, PAIR.format(module="shop.formatting", name="render_line")).groups == []
    assert len(analysed(shop, PAIR.format(module="shop.formatting", name="fetch_price")).groups) == 1
    # The same for a coroutine of the module itself.
    same = "async def render_line(item):\n    return str(item)\n" + PAIR.split("\n", 1)[1]
    assert analysed(shop, same.format(name="render_line")).groups == []


# --- the project's own scheduler ------------------------------------------------------------

CODEGEN = {
    "gen/__init__.py": "",
    "gen/loop.py": (
        "import types\n\n\n"
        "class FakeAwaitable:\n"
        "    def __init__(self, gen):\n"
        "        self._gen = gen\n\n"
        "    def __await__(self):\n"
        "        ret = yield from self._gen\n"
        "        return ret\n\n\n"
        "class Delegating:\n"
        "    def __init__(self, coro):\n"
        "        self._coro = coro\n\n"
        "    def __await__(self):\n"
        "        return self._coro.__await__()\n\n\n"
        "class Idle:\n"
        "    def __await__(self):\n"
        "        yield\n\n\n"
        "class Ready:\n"
        "    def __await__(self):\n"
        "        yield self\n\n\n"
        "class Reset:\n"
        "    def __init__(self, gen):\n"
        "        self._gen = gen\n\n"
        "    def restart(self, gen):\n"
        "        self._gen = gen\n\n"
        "    def __await__(self):\n"
        "        return (yield from self._gen)\n\n\n"
        "@types.coroutine\n"
        "def turn():\n"
        "    yield None\n\n\n"
        "def polling():\n"
        "    yield\n"
    ),
    "gen/core.py": (
        "from gen.loop import FakeAwaitable as _Fake, Delegating, Reset, polling\n\n\n"
        "class Core:\n"
        "    def __init__(self):\n"
        "        self.variables = {}\n\n"
        "    def _waiting_for(self, key):\n"
        "        while key not in self.variables:\n"
        "            yield\n"
        "        return self.variables[key]\n\n"
        "    def _values(self):\n"
        "        yield 1\n\n"
        "    async def get(self, key):\n"
        "        if key in self.variables:\n"
        "            return self.variables[key]\n"
        "        return await _Fake(self._waiting_for(key))\n\n"
        "    async def get_by_keyword(self, key):\n"
        "        return await _Fake(gen=polling())\n\n"
        "    async def fetch(self, key):\n"
        "        return await Delegating(self.client.get(key))\n\n"
        "    async def get_then_fetch(self, key):\n"
        "        await self.get(key)\n"
        "        return await self.client.get(key)\n\n"
        "    async def values(self):\n"
        "        return await _Fake(self._values())\n\n"
        "    async def from_anything(self, source):\n"
        "        return await _Fake(iter(source))\n\n"
        "    async def reset(self, key):\n"
        "        return await Reset(self._waiting_for(key))\n\n"
        "    async def streamed(self, key):\n"
        "        async with self.lock:\n"
        "            return await self.get(key)\n\n\n"
        "CORE = Core()\n"
        "OTHER = Core()\n\n\n"
        "def swap():\n"
        "    global OTHER\n"
        "    OTHER = object()\n"
    ),
    "gen/cpp.py": (
        "from gen.core import CORE\n\n\n"
        "async def get_variable(key):\n"
        "    return await CORE.get(key)\n\n\n"
        "async def render(key):\n"
        "    return str(key)\n"
    ),
    "gen/api.py": "from gen.cpp import get_variable, render\nfrom gen.loop import turn, Idle, Ready\n",
    "gen/main.py": (
        "import asyncio\n"
        "import gen.api as cg\n"
        "from gen import api\n"
        "from gen.core import CORE, OTHER, Core\n"
        "from gen.loop import FakeAwaitable\n\n\n"
        "async def wait_for(key):\n"
        "    return await CORE.get(key)\n"
    ),
}
FAKE = "`FakeAwaitable.__await__` yields None"


@pytest.fixture
def codegen(tmp_path: Path) -> Project:
    write_tree(tmp_path, CODEGEN)
    return Project(str(tmp_path / "gen" / "main.py"))


@pytest.mark.parametrize(
    ("call", "described"),
    [
        pytest.param("cg.get_variable(k)", FAKE, id="re-exported-through-a-module-alias"),
        pytest.param("api.get_variable(k)", FAKE, id="a-submodule-imported-from-its-package"),
        pytest.param("CORE.get(k)", FAKE, id="a-method-of-a-module-level-instance"),
        pytest.param("CORE.get_by_keyword(k)", FAKE, id="the-generator-passed-by-keyword"),
        pytest.param("wait_for(k)", FAKE, id="a-coroutine-of-the-analysed-module"),
        pytest.param("FakeAwaitable(CORE._waiting_for(k))", FAKE, id="the-awaitable-itself"),
        pytest.param("cg.turn()", "`turn` yields None", id="a-types-coroutine-generator"),
        pytest.param("cg.Idle()", "`Idle.__await__` yields None", id="a-bare-yield-in-await"),
    ],
)
def test_an_await_that_only_yields_none_to_its_driver_is_the_projects_own_scheduler(
    codegen: Project, call: str, described: str
) -> None:
    assert codegen.own_scheduler(call) == described


@pytest.mark.parametrize(
    "call",
    [
        pytest.param("CORE.fetch(k)", id="await-delegates-to-a-real-coroutine"),
        pytest.param("CORE.get_then_fetch(k)", id="also-awaits-something-else"),
        pytest.param("CORE.streamed(k)", id="async-with"),
        pytest.param("CORE.values()", id="the-generator-yields-a-value"),
        pytest.param("CORE.from_anything(x)", id="not-a-project-generator"),
        pytest.param("CORE.reset(k)", id="the-attribute-is-set-again-elsewhere"),
        pytest.param("cg.Ready()", id="await-yields-a-value"),
        pytest.param("OTHER.get(k)", id="instance-rebound-through-global"),
        pytest.param("Core.get(k)", id="a-method-through-its-class"),
        pytest.param("cg.render(k)", id="awaits-nothing-is-another-question"),
        pytest.param("asyncio.sleep(0)", id="outside-the-project"),
        pytest.param("local(k)", id="not-a-module-name"),
        pytest.param("self.get(k)", id="self-outside-a-class"),
        pytest.param("handlers[k]()", id="not-a-dotted-call"),
        pytest.param("CORE.get(", id="unparsable"),
        pytest.param("", id="empty"),
    ],
)
def test_anything_else_is_not_the_projects_own_scheduler(codegen: Project, call: str) -> None:
    assert codegen.own_scheduler(call) is None


def test_the_scheduler_answer_records_every_module_it_read(codegen: Project) -> None:
    codegen.own_scheduler("cg.get_variable(k)")
    read = {os.path.relpath(d.path, os.path.dirname(os.path.dirname(codegen.file)))
            for d in codegen.recorded() if d.digest is not None}
    assert {"gen/main.py", "gen/api.py", "gen/cpp.py", "gen/core.py", "gen/loop.py"} <= read


def test_the_scheduler_answer_follows_the_files_as_they_change(codegen: Project) -> None:
    loop = Path(codegen.file).parent / "loop.py"
    assert codegen.own_scheduler("CORE.get(k)") == FAKE
    loop.write_text(loop.read_text().replace("ret = yield from self._gen",
                                             "ret = yield from asyncio.sleep(1)"))
    os.utime(loop, ns=(1, 1))  # a different stat: the module is read again
    assert Project(codegen.file).own_scheduler("CORE.get(k)") is None


@pytest.mark.parametrize(
    ("files", "call"),
    [
        pytest.param({"gen/poll.py": (
            "import asyncio\n\n\n"
            "def _until_done(task):\n"
            "    while not task.done():\n"
            "        yield\n\n\n"
            "async def fetched(coro):\n"
            "    task = asyncio.ensure_future(coro)\n"
            "    return await Waiting(_until_done(task))\n\n\n"
            "class Waiting:\n"
            "    def __init__(self, gen):\n"
            "        self._gen = gen\n\n"
            "    def __await__(self):\n"
            "        return (yield from self._gen)\n"
        )}, "fetched(c)", id="polls-a-task-its-module-may-start"),
        pytest.param({"gen/poll.py": (
            "from gen.jobs import start\n\n\n"
            "class Started:\n"
            "    def __init__(self, job):\n"
            "        self._handle = start(job)\n\n"
            "    def __await__(self):\n"
            "        while not self._handle.finished:\n"
            "            yield\n"
        )}, "Started(j)", id="its-constructor-calls-something"),
        pytest.param({"gen/poll.py": (
            "from gen.jobs import Base\n\n\n"
            "class Inherited(Base):\n"
            "    def __await__(self):\n"
            "        yield\n"
        )}, "Inherited(j)", id="its-constructor-is-inherited"),
    ],
)
def test_a_bare_yield_that_may_poll_started_work_is_unknown(
    codegen: Project, files: dict[str, str], call: str
) -> None:
    write_tree(Path(codegen.file).parent.parent, files)
    assert Project(str(Path(codegen.file).parent / "poll.py")).own_scheduler(call) is None
