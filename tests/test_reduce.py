"""Reduced sources (parlint.reduce): `check` parses only what a rule reports on or reads, and the
findings are exactly those of the whole file (codes, positions, messages, fix edits)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from test_fixtures import fixture_config, fixture_paths

from parlint import engine
from parlint.analysis import provider
from parlint.analysis.fanout import _INTERESTING_CALLS, FAN_OUT_WORDS
from parlint.analysis.provider import LEAVE_TESTS_ALONE, analyse_module
from parlint.config import build_config, validate
from parlint.engine import analyse, lint_source, read_source
from parlint.reduce import FAN_OUT_NAMES, SESSION_CALL, may_group_or_loop, reduce_source
from parlint.registry import all_rules
from parlint.types import Finding

REPO = Path(__file__).resolve().parent.parent
ALL = build_config(validate({"select": ["ALL"]}, "test"))


def both(source: str, path: str = "pkg/service.py", config=ALL):
    whole = analyse(source, path, config, reduce=False).result
    reduced = analyse(source, path, config, reduce=True).result
    return whole, reduced


def reduce(source: str):
    result = reduce_source(textwrap.dedent(source))
    assert result is not None
    return result


SERVICE = '''\
import asyncio


class Service:
    def __init__(self, client: "httpx.AsyncClient") -> None:
        self.client = client
        self.name = "service"

    def describe(self) -> str:
        words = [self.name, "is", "a", "service"]
        return " ".join(words)

    async def load(self, user_id):
        profile = await self.fetch_profile(user_id)
        orders = await self.fetch_orders(user_id)
        return profile, orders

    async def fetch_profile(self, user_id):
        return await self.client.get(f"/users/{user_id}")

    async def fetch_orders(self, user_id):
        return await self.client.get(f"/users/{user_id}/orders")


def unrelated(rows):
    total = 0
    for row in rows:
        total += row
    return total


class Formatter:
    def render(self, rows):
        return "\\n".join(map(str, rows))
'''


def test_functions_nothing_needs_become_pass_and_every_kept_line_is_unchanged() -> None:
    result = reduce(SERVICE)
    lines = SERVICE.splitlines(keepends=True)
    reduced = result.source.splitlines(keepends=True)
    assert len(reduced) == len(lines)
    # unrelated() and Formatter.render() are neither candidates nor called by one: blanked.
    assert reduced[25:29] == ["    pass\n", "\n", "\n", "\n"]
    assert reduced[33] == "        pass\n"
    # Service.describe() is kept for the class's facts only: it has none.
    assert reduced[8:11] == ["    def describe(self):\n", "        pass\n", "\n"]
    # A blanked function keeps its name and first parameter only.
    assert reduced[32] == "    def render(self):\n"
    blanked = {8, 9, 10, 25, 26, 27, 28, 32, 33}
    for index, line in enumerate(lines):
        if index not in blanked:
            assert reduced[index] == line, index
    # The constructor stays: the analysis reads class-wide facts (the constructor types
    # `self.client`, which the candidates use).
    assert "        self.client = client\n" in reduced
    cst.parse_module(result.source)


HEADERS = '''\
import asyncio


async def load(users, orders):
    a = await users.fetch_a()
    b = await orders.fetch_b()
    return a, b


class Unrelated:
    @staticmethod
    async def build(
        name: "dict[str, list[int]]" = {"a": [1, 2]},
        *rest: int,
        flag: bool = False,
    ) -> "Unrelated":
        return Unrelated()

    def star(*args, **kwargs):
        return args

    def keyword_only(*, key: str = "k") -> None:
        print(key)


def nothing():
    return 1
'''


def test_a_blanked_function_keeps_only_its_name_and_first_parameter_and_no_decorator() -> None:
    lines = reduce(HEADERS).source.splitlines()
    original = HEADERS.splitlines()
    assert len(lines) == len(original)
    at = original.index("    async def build(")
    assert lines[at - 1] == ""  # its decorators too
    assert lines[at : at + 6] == ["    async def build(name):", "", "", "", "", "        pass"]
    assert lines[original.index("    def star(*args, **kwargs):")] == "    def star(*args):"
    assert lines[original.index('    def keyword_only(*, key: str = "k") -> None:')] == (
        "    def keyword_only(*, key):"
    )
    assert lines[original.index("def nothing():")] == "def nothing():"
    whole, reduced = both(HEADERS)
    assert whole == reduced
    assert [f.code for f in whole.findings] == ["PAR101"]


def test_reduced_findings_equal_the_whole_files() -> None:
    whole, reduced = both(SERVICE)
    assert [f.code for f in whole.findings] == ["PAR101"]
    assert reduced == whole
    assert reduced.findings[0].fix == whole.findings[0].fix


def test_a_file_without_candidates_is_not_parsed_at_all() -> None:
    source = textwrap.dedent(
        """\
        async def one(client):
            return await client.get("/")

        def sync(xs):
            return [x for x in xs]
        """
    )
    result = reduce_source(source)
    assert result is not None and result.nothing
    whole, reduced = both(source)
    assert whole == reduced and whole.findings == ()


def test_a_single_await_counts_only_inside_a_loop_or_a_comprehension() -> None:
    in_loop = "async def f(c, xs):\n    for x in xs:\n        await c.send(x)\n"
    outside = "async def f(c, xs):\n    for x in xs:\n        print(x)\n    await c.close()\n"
    comprehension = "async def f(c, xs):\n    return [await c.get(x) for x in xs]\n"
    assert not reduce(in_loop).nothing
    assert not reduce(comprehension).nothing
    assert reduce(outside).nothing


def candidate(source: str) -> bool:
    """Both forms of the PAR101/PAR102 candidate test, on the file's one async function: the
    reduction's (Python's tree) and the provider's (libcst's), which must agree here."""
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    fn = next(node for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef))
    module = cst.parse_module(source)
    (cst_fn,) = [f for f in provider.async_functions(module) if f.name.value == fn.name]
    assert provider.may_group_or_loop(cst_fn) == may_group_or_loop(fn)
    return may_group_or_loop(fn)


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        pytest.param(
            """\
            async def load(api, user_id):
                profile = await api.get_profile(user_id)
                orders = await api.get_orders(user_id)
                return profile, orders
            """,
            True, id="two-independent-awaits",
        ),
        pytest.param(
            """\
            async def load(api, user_id):
                token = await api.login(user_id)
                profile = await api.get_profile(token)
                return await api.get_orders(profile.id)
            """,
            False, id="each-await-reads-what-the-one-before-assigned",
        ),
        pytest.param(
            """\
            async def load(api, user_id):
                token = await api.login(user_id)
                status = await api.get_status()
                return await api.get_orders(token)
            """,
            True, id="a-later-await-independent-of-one-earlier",
        ),
        pytest.param(
            """\
            async def load(api):
                user, token = await api.login()
                rows: list = await api.rows(token)
                return await api.count(rows)
            """,
            False, id="tuple-and-annotated-targets-are-assignments",
        ),
        pytest.param(
            """\
            async def load(api, fast):
                if fast:
                    a = await api.get_a()
                else:
                    b = await api.get_b()
                return None
            """,
            False, id="awaits-in-different-suites",
        ),
        pytest.param(
            """\
            async def load(api, fast):
                if fast:
                    a = await api.get_a()
                    b = await api.get_b()
                    return a, b
            """,
            True, id="two-independent-awaits-in-a-nested-suite",
        ),
        pytest.param(
            """\
            async def load(api):
                total = await api.size() + await api.extra()
                await api.report(total)
            """,
            False, id="two-awaits-in-one-statement-are-no-site",
        ),
        pytest.param(
            """\
            async def load(api):
                rows = await api.rows()
                return await api.get_many([row for row in range(3)])
            """,
            True, id="names-in-comprehensions-do-not-count-as-mentions",
        ),
        pytest.param(
            """\
            async def load(users, orders, user_id):
                profile = await users.get_profile(user_id)
                if profile is None:
                    raise LookupError(user_id)
                history = await orders.get_history(user_id)
                return profile, history
            """,
            False, id="a-statement-that-may-raise-ends-the-segment",
        ),
        pytest.param(
            """\
            async def load(users, orders, user_id):
                profile = await users.get_profile(user_id)
                assert profile is not None
                history = await orders.get_history(user_id)
                return profile, history
            """,
            False, id="an-assert-ends-the-segment",
        ),
        pytest.param(
            """\
            async def load(users, orders, user_id, items):
                profile = await users.get_profile(user_id)
                for item in items:
                    if item is None:
                        break
                history = await orders.get_history(user_id)
                return profile, history
            """,
            True, id="a-break-inside-its-own-loop-ends-nothing",
        ),
        pytest.param(
            """\
            async def load(users, orders, user_id):
                profile = await users.get_profile(user_id)
                log(profile)
                history = await orders.get_history(user_id)
                return profile, history
            """,
            True, id="a-plain-statement-between-ends-nothing",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    await api.delete(i)
            """,
            True, id="await-in-a-for",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                return {i: await api.get(i) for i in ids}
            """,
            True, id="await-in-a-comprehension",
        ),
        pytest.param(
            """\
            async def load(api, stream):
                async for item in stream:
                    await api.store(item)
            """,
            False, id="await-in-an-async-for",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    async def one():
                        await api.put(i)
                    api.schedule(one)
            """,
            False, id="awaits-of-a-nested-function-are-its-own",
        ),
        pytest.param(
            """\
            async def load(api, report):
                await api.delete_cache()
                await report.send_summary()
            """,
            False, id="methods-named-as-effects-are-barriers-not-members",
        ),
        pytest.param(
            """\
            async def load(users, orders, audit):
                profile = await users.get_profile()
                await audit.write("profile read")
                history = await orders.get_history()
                return profile, history
            """,
            False, id="an-effect-between-two-reads-ends-the-segment",
        ),
        pytest.param(
            """\
            async def load(api):
                devices = await api.devices()
                weather = await api.weather()
                return devices, weather
            """,
            True, id="one-word-queries-assigned-may-be-service-queries",
        ),
        pytest.param(
            """\
            async def load(api):
                await api.ping()
                await api.pair_sensor()
            """,
            False, id="unclear-names-not-assigned-are-barriers",
        ),
        pytest.param(
            """\
            async def load(api):
                a = await api.pair_sensor()
                b = await api.request_call()
                return a, b
            """,
            False, id="unclear-names-of-several-words-are-barriers",
        ),
        pytest.param(
            """\
            async def load(first, second):
                a = await first
                b = await second
                return a, b
            """,
            False, id="awaiting-no-call-is-a-barrier",
        ),
        pytest.param(
            """\
            async def load(api):
                save = api.get
                a = await save(1)
                b = await save(2)
                return a, b
            """,
            True, id="a-name-called-may-alias-a-read-and-is-not-judged",
        ),
        pytest.param(
            """\
            async def load(loop, read_a, read_b):
                a = await loop.run_in_executor(None, read_a)
                b = await asyncio.to_thread(read_b)
                return a, b
            """,
            True, id="an-offloading-call-is-judged-by-what-it-offloads",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    if await api.exists(i):
                        return i
            """,
            False, id="a-loop-that-may-return-early-is-no-candidate",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    row = await api.get(i)
                    if row is None:
                        raise LookupError(i)
            """,
            False, id="a-loop-that-may-raise-is-no-candidate",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    if not await api.exists(i):
                        break
            """,
            False, id="a-loop-that-may-break-is-no-candidate",
        ),
        pytest.param(
            """\
            async def load(api, groups):
                for group in groups:
                    for item in group:
                        if item is None:
                            break
                    await api.get(group)
            """,
            True, id="a-break-of-an-inner-loop-leaves-only-that-loop",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in ids:
                    def check(row):
                        return row is not None
                    await api.get(i, check)
            """,
            True, id="a-return-of-a-nested-function-leaves-nothing",
        ),
        pytest.param(
            """\
            async def load(api, ids):
                for i in await api.list_ids():
                    print(i)
            """,
            False, id="an-await-in-the-iterable-is-no-iteration-await",
        ),
    ],
)
def test_par101_par102_candidates_are_what_the_analysis_can_group_or_loop(
    source: str, kept: bool
) -> None:
    assert candidate(source) is kept
    whole, reduced = both(textwrap.dedent(source))
    assert whole == reduced
    assert (reduce(source).kept_lines > 0) is kept


def test_every_fixture_group_or_loop_is_in_a_candidate() -> None:
    """The candidate test is a necessary condition of the analysis: every function of every
    fixture that has a group or a loop with independent iterations (what PAR101 and PAR102
    report) passes it (this fails when the analysis learns to group or loop something else)."""
    analysed = 0
    for path in fixture_paths():
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # the parse-error fixtures
        by_line = {
            node.lineno: node for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef)
        }
        module = cst.parse_module(source)
        wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
        lines = wrapper.resolve(cst.metadata.PositionProvider)
        for analysis in analyse_module(wrapper.module):
            if not (analysis.groups or any(loop.independent for loop in analysis.loops)):
                continue
            analysed += 1
            fn = analysis.function
            assert provider.may_group_or_loop(fn), (path.name, fn.name.value)
            line = lines[fn.name].start.line
            assert may_group_or_loop(by_line[line]), (path.name, fn.name.value)
    assert analysed > 50


@pytest.mark.parametrize("code", sorted(LEAVE_TESTS_ALONE))
def test_the_rules_that_leave_tests_alone_report_nothing_in_test_paths(code: str) -> None:
    rule = all_rules()[code]
    config = build_config(validate({"select": [code]}, "test"))
    for example in rule.INVALID:
        source = textwrap.dedent(example.code)
        assert lint_source(source, "pkg/service.py", config).findings
        for path in ("tests/test_service.py", "pkg/tests/service.py", "conftest.py"):
            assert not analyse(source, path, config, reduce=False).result.findings


def test_in_test_code_only_fan_outs_are_candidates() -> None:
    source = textwrap.dedent(SERVICE)
    assert not reduce_source(source, ["PAR101"]).nothing
    assert reduce_source(source, ["PAR201", "PAR301"]).nothing
    # SERVICE holds no fan-out: in a test path nothing is parsed (PAR101 skips tests).
    engine_codes = engine._reporting(engine.rules_for("tests/test_service.py", ALL), "tests/test_service.py")
    assert set(engine_codes) & LEAVE_TESTS_ALONE == set()
    whole, reduced = both(source, "tests/test_service.py")
    assert whole == reduced and whole.findings == ()
    fan_out = source + "\n\nasync def both(a, b):\n    return await asyncio.gather(a(), b())\n"
    assert not reduce_source(fan_out, engine_codes).nothing
    whole, reduced = both(fan_out, "tests/test_service.py")
    assert whole == reduced


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(:\n    pass\n", id="syntax-error"),
        pytest.param("x = 1\x00\n", id="nul-byte"),
        pytest.param("x = " + "(" * 300 + ")" * 300 + "\n", id="too-deep"),
    ],
)
def test_what_python_cannot_parse_is_left_to_the_whole_file_parse(source: str) -> None:
    assert reduce_source(source) is None
    whole, reduced = both(source)
    assert whole == reduced


def test_a_broken_file_keeps_its_parse_error_even_in_code_reduction_would_drop() -> None:
    source = SERVICE + "\n\ndef broken(:\n    return 1\n"
    whole, reduced = both(source)
    assert [f.code for f in whole.findings] == ["PAR000"]
    assert reduced == whole


CALLERS = '''\
import asyncio


async def refresh_all(clients):
    await asyncio.gather(*(c.refresh() for c in clients))


async def handler(clients):
    try:
        await refresh_all(clients)
    except Exception:
        log("refresh failed")


async def other(clients):
    try:
        await refresh_all(clients)
    except Exception:
        log("refresh failed again")


def log(message):
    print(message)


def helper_nobody_calls():
    return 42
'''


def test_the_callers_of_a_gathering_function_are_kept_for_par301() -> None:
    result = reduce(CALLERS)
    assert "log(\"refresh failed\")" in result.source
    assert "return 42" not in result.source
    whole, reduced = both(CALLERS)
    assert whole == reduced
    # Without the callers PAR301 would fire: "every caller handles errors" keeps it quiet.
    assert "PAR301" not in {f.code for f in whole.findings}


CALLERS_OF_CALLERS = '''\
import asyncio


class Sync:
    def __init__(self, client):
        self.client = client
        self.retries = 3

    def describe(self):
        return f"sync with {self.retries} retries"

    async def refresh_all(self, items):
        await asyncio.gather(*(self.client.refresh(i) for i in items))

    async def refresh_users(self):
        users = load_users()
        await self.refresh_all(users)


async def nightly(sync):
    await sync.refresh_users()


def load_users():
    return ["a", "b"]
'''


def test_only_the_direct_callers_of_a_fan_out_are_kept_and_not_what_they_call() -> None:
    result = reduce(CALLERS_OF_CALLERS)
    lines = result.source.splitlines()
    # The direct caller is kept (PAR201 reads the arguments it passes) ...
    assert "        await self.refresh_all(users)" in lines
    # ... but not what it calls, nor its own callers (analysis.fanout reads neither).
    assert '    return ["a", "b"]' not in lines
    assert "    await sync.refresh_users()" not in lines
    # Nothing PAR101/PAR102 analyse is in the class: its other methods are not read.
    assert '        return f"sync with {self.retries} retries"' not in lines
    assert "        self.client = client" not in lines
    whole, reduced = both(CALLERS_OF_CALLERS)
    assert whole == reduced


NESTED_NAMES = '''\
import asyncio


async def load(users, orders):
    a = await users.fetch_a()
    b = await orders.fetch_b(helper())
    return a, b


def helper():
    return 1


def unrelated(rows):
    def helper():
        return 2
    return [helper() for _ in rows]
'''


def test_par101_summarises_module_functions_only_so_a_nested_namesake_is_not_kept() -> None:
    lines = reduce(NESTED_NAMES).source.splitlines()
    assert "    return 1" in lines
    assert "        return 2" not in lines
    whole, reduced = both(NESTED_NAMES)
    assert whole == reduced and [f.code for f in whole.findings] == ["PAR101"]
    # The fan-out analysis asks whether a nested function has a name: there it is kept.
    fan_out = NESTED_NAMES.replace(
        "    b = await orders.fetch_b(helper())\n",
        "    b = await asyncio.gather(*(orders.fetch_b(helper()) for _ in range(3)))\n",
    )
    assert "        return 2" in reduce(fan_out).source.splitlines()
    whole, reduced = both(fan_out)
    assert whole == reduced


SAME_CLASS = '''\
class Users:
    async def both(self, orders):
        a = await self.load_profile()
        b = await orders.fetch_b()
        return a, b

    async def load_profile(self):
        return await self.api.get("profile")


class Cache:
    async def load_profile(self):
        return await self.store.read("profile")
'''


def test_par101_summarises_methods_of_the_own_class_only() -> None:
    lines = reduce(SAME_CLASS).source.splitlines()
    assert '        return await self.api.get("profile")' in lines
    assert '        return await self.store.read("profile")' not in lines
    whole, reduced = both(SAME_CLASS)
    assert whole == reduced


OTHER_CLASS = '''\
import aiohttp


class Catalogue:
    def __init__(self, session: aiohttp.ClientSession):
        self._session = session

    async def get_genres(self):
        async with self._session.get("/genres") as resp:
            return await resp.json()

    async def get_branches(self):
        return await self.get_genres()


class Desk:
    async def refresh(self):
        return await self.store.read("profile")


async def page(catalogue: Catalogue, orders):
    genres = await catalogue.get_genres()
    branches = await catalogue.get_branches()
    return genres, branches
'''


def test_par101_keeps_the_methods_called_through_another_receiver() -> None:
    lines = reduce(OTHER_CLASS).source.splitlines()
    # A receiver of a project class is judged by the model of its method (and what it calls).
    assert "            return await resp.json()" in lines
    assert "        return await self.get_genres()" in lines
    assert '        return await self.store.read("profile")' not in lines
    whole, reduced = both(OTHER_CLASS)
    assert whole == reduced and [f.code for f in whole.findings] == ["PAR101"]


CALLS_ONLY = '''\
class Users:
    async def both(self, orders):
        """Unlike helper, reads the profile through self.client."""
        fetch = self.load_profile
        a = await fetch(self.client)
        b = await orders.fetch_b(self.retries)
        return a, b

    async def load_profile(self, client):
        return await client.get("profile")

    def client(self):
        return make_client()


def helper():
    return 1


def make_client():
    return object()
'''


def test_par101_keeps_what_it_calls_or_aliases_not_what_it_mentions() -> None:
    lines = reduce(CALLS_ONLY).source.splitlines()
    assert '        return await client.get("profile")' in lines  # through the alias
    assert "    return 1" not in lines  # helper is named in the docstring only
    # self.client is not called: that method is kept for the class's facts only.
    assert lines[lines.index("    def client(self):") + 1] == "        pass"
    assert "    return object()" not in lines
    whole, reduced = both(CALLS_ONLY)
    assert whole == reduced


CLASS_BODIES = '''\
import asyncio


async def refresh_all(clients):
    await asyncio.gather(*(c.refresh() for c in clients))


class Settings:
    """Nothing reads this body."""

    retries = 3
    timeout: float = 1.0


class Jobs:
    handler = refresh_all
    names = ["a", "b"]


class Users:
    client: "httpx.AsyncClient"
    limit = 10

    async def both(self, orders):
        a = await self.client.get_a()
        b = await orders.fetch_b()
        return a, b
'''


def test_class_statements_nothing_reads_are_blanked() -> None:
    lines = reduce(CLASS_BODIES).source.splitlines()
    original = CLASS_BODIES.splitlines()
    assert len(lines) == len(original)
    at = original.index("class Settings:")
    assert lines[at + 1 : at + 5] == ["    pass", "", "", ""]
    # A reference to a function holding a fan-out stays (PAR301 reads every reference).
    assert "    handler = refresh_all" in lines
    assert '    names = ["a", "b"]' not in lines
    # A class whose facts PAR101 reads keeps its annotated attributes (their types).
    assert '    client: "httpx.AsyncClient"' in lines
    assert "    limit = 10" not in lines
    ast.parse("\n".join(lines))
    whole, reduced = both(CLASS_BODIES)
    assert whole == reduced


def test_a_class_with_code_par101_analyses_keeps_the_facts_of_every_method() -> None:
    source = CALLERS_OF_CALLERS.replace(
        "    def describe(self):\n",
        "    async def both(self):\n"
        "        a = await self.client.get_a()\n"
        "        b = await self.client.get_b()\n"
        "        return a, b\n\n"
        "    def describe(self):\n",
    )
    lines = reduce(source).source.splitlines()
    assert "        self.client = client" in lines
    assert "        self.retries = 3" in lines
    assert '        return f"sync with {self.retries} retries"' not in lines
    assert lines[lines.index("    def describe(self):") + 1] == "        pass"
    whole, reduced = both(source)
    assert whole == reduced


TRICKY = (
    "import asyncio\r\n"
    "\r\n"
    "def doc():\r\n"
    '    """A docstring with code in it:\r\n'
    "def fake():\r\n"
    "    await x\r\n"
    '"""\r\n'
    "    return 1\r\n"
    "\r\n"
    "def one_line(): return 2\r\n"
    "\r\n"
    "def header(a,\r\n"
    "           b): return a + \\\r\n"
    "    b\r\n"
    "\r\n"
    "class Other:\r\n"
    "\tdef m(self):\r\n"
    "\t\tx = 1\r\n"
    "\t\treturn x\r\n"
    "\r\n"
    "class Tabs:\r\n"
    "\tasync def run(self, xs):\r\n"
    "\t\tfor x in xs:\r\n"
    "\t\t\tawait self.fetch(x)\r\n"
    "\r\n"
    "\tasync def fetch(self, x):\r\n"
    "\t\treturn await fetch_one(x)\r\n"
)


def test_line_endings_tabs_strings_and_one_line_bodies_keep_every_position() -> None:
    result = reduce_source(TRICKY)
    assert result is not None and not result.nothing
    assert result.source.count("\r\n") == TRICKY.count("\r\n")
    assert "\r\n\r\n" in result.source and "\n" not in result.source.replace("\r\n", "")
    assert "def fake" not in result.source  # the docstring's function is blanked whole
    assert "def one_line(): return 2" in result.source
    assert "\t\tpass\r\n\t\t\r\n" not in result.source
    assert "\tdef m(self):\r\n\t\tpass\r\n\r\n" in result.source
    cst.parse_module(result.source)
    whole, reduced = both(TRICKY)
    assert whole == reduced and [f.code for f in whole.findings] == ["PAR102"]


def test_a_function_too_deep_for_the_analysis_is_left_whole() -> None:
    # Whole, the analysis of `ready` overflows ("cannot analyse: code nested too deeply"):
    # reduced, it must too, although `ready` is no candidate.
    deep = "async def ready(client):\n    return await client.get(" + " and ".join(["ok"] * 1000) + ")\n"
    source = SERVICE + "\n\n" + deep
    assert "ok and ok" in reduce(source).source
    whole, reduced = both(source)
    assert whole == reduced


def test_a_statement_over_many_lines_is_left_whole() -> None:
    strings = "".join(f"        'part {i}'\n" for i in range(300))
    source = SERVICE + "\n\ndef text():\n    return (\n" + strings + "    )\n"
    assert "'part 299'" in reduce(source).source


def test_noqa_comments_are_read_from_the_whole_file() -> None:
    source = SERVICE.replace(
        "profile = await self.fetch_profile(user_id)",
        "profile = await self.fetch_profile(user_id)  # noqa: PAR101",
    )
    whole, reduced = both(source)
    assert whole == reduced and whole.findings == ()


def test_the_fan_out_names_are_the_calls_the_analysis_collects() -> None:
    words = set(FAN_OUT_WORDS.pattern.split("(", 1)[1].split(")", 1)[0].split("|"))
    assert set(FAN_OUT_NAMES) == words == _INTERESTING_CALLS


def test_the_session_calls_are_the_analysis_s() -> None:
    from parlint.analysis.dependence import SESSION_CALL as ANALYSIS_SESSION_CALL

    assert SESSION_CALL.pattern == ANALYSIS_SESSION_CALL.pattern
    assert SESSION_CALL.flags == ANALYSIS_SESSION_CALL.flags


CLASS_FACTS = '''\
import asyncio

import aiohttp


class Station:
    def __init__(self, host: str, session: aiohttp.ClientSession) -> None:
        """Set up."""
        self.host = host
        self.session = session
        self.cache: dict = {}

    async def start(self, fast):
        """Connect, then keep a client."""
        if fast:
            log("fast start")
            await self.link.connect(fast=True)
        elif self.host:
            client = Client(self.session)
            self.client = client
        else:
            raise RuntimeError("no host")
        try:
            await self.refresh()
        except OSError:
            log("refresh failed")
        finally:
            log("done")
        try:
            self.token = await self.fetch_token()
        except ValueError:
            log("no token")
        with open("state") as handle:
            self.state = handle.read()
        unused = Helper()
        first = Factory()
        second = first
        self.made = second
        for attempt in range(3):
            log(attempt)
        async with self.lock:
            print("locked")
        def callback(event):
            return event
        self.callback = callback; log("set")
        return self.state

    async def both(self):
        a = await self.client.get_a()
        b = await self.client.get_b()
        return a, b


def log(message):
    print(message)
'''


def test_a_method_kept_for_its_class_keeps_only_what_the_class_facts_come_from() -> None:
    result = reduce(CLASS_FACTS)
    lines = result.source.splitlines()
    original = CLASS_FACTS.splitlines()
    assert len(lines) == len(original)
    kept = {line for line in lines if line.strip()}
    for statement in (
        "        self.host = host",  # attribute values and types
        "        self.cache: dict = {}",
        "            await self.link.connect(fast=True)",  # a session call
        "        elif self.host:",  # the `elif` clause stays
        "            client = Client(self.session)",  # a local type behind `self.client`
        "        with open(\"state\") as handle:",  # `as` binds
        "            self.state = handle.read()",
        "        def callback(event):",  # nested definitions stay (their bodies are blanked)
        "        self.callback = callback; log(\"set\")",  # shares a line
        "        first = Factory()",  # the type of `second`, which `self.made` is
        "        second = first",
        "        self.made = second",
    ):
        assert statement in kept, statement
    for gone in ('"""Set up."""', 'log("fast start")', 'raise RuntimeError("no host")',
                 'log("refresh failed")', 'log("done")', "for attempt in range(3):",
                 "async with self.lock:", "return event", "return self.state",
                 "await self.refresh()", "async def start", "unused = Helper()"):
        assert not any(gone in line for line in lines), gone
    # No rule reads or reports on it: it is no `async def` any more (nothing analyses it),
    # and of its parameters only `self` is read.
    assert "    def start(self):" in lines
    # The constructor's parameters type its attributes.
    assert "    def __init__(self, host: str, session: aiohttp.ClientSession) -> None:" in lines
    # Suites left empty get `pass` at their own indentation.
    assert lines[original.index("        else:") + 1] == "            pass"
    assert lines[original.index("        except ValueError:") + 1] == "            pass"
    assert "            self.token = await self.fetch_token()" in lines
    # A compound statement with nothing read in it goes as a whole.
    assert not any(line.strip() in ("except OSError:", "finally:") for line in lines)
    ast.parse(result.source)
    whole, reduced = both(CLASS_FACTS)
    assert whole == reduced
    assert [f.code for f in whole.findings] == ["PAR101"]


def _names(node: cst.CSTNode) -> set[str]:
    found, stack = set(), [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(current.children)
    return found


def _class_facts(module: cst.Module) -> dict[str, tuple]:
    """What the analysis reads of every method of a class, per class whose code it analyses."""
    from parlint.analysis.dependence import SESSION_CALL as ANALYSIS_SESSION_CALL
    from parlint.analysis.effects import EffectPatterns
    from parlint.analysis.receivers import _class_values, class_sessions
    from parlint.analysis.summaries import build_module_context

    ctx = build_module_context(module, EffectPatterns.from_config(None))
    facts = {}
    for name, types in ctx.class_types.items():
        # Of a value's scope, the types of what the value names (all that is looked up).
        values = {
            path: [
                (module.code_for_node(value),
                 sorted((k, t) for k, t in scope.items() if k.split(".")[0] in _names(value)))
                for value, scope in found
            ]
            for path, found in _class_values(ctx, name).items()
        }
        sessions = class_sessions(ctx, name, ANALYSIS_SESSION_CALL)
        facts[name] = (dict(types), values, sorted(sessions))
    return facts


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.name)
def test_the_class_facts_of_analysed_classes_are_those_of_the_whole_file(path: Path) -> None:
    """The facts `_keep_class_facts` keeps: the types, values and sessions read from every
    method of a class are the whole file's, for every class with a method kept whole."""
    source = path.read_text(encoding="utf-8")
    result = reduce_source(source)
    if result is None or result.nothing:
        return
    whole, reduced = cst.parse_module(source), cst.parse_module(result.source)
    whole_facts, reduced_facts = _class_facts(whole), _class_facts(reduced)
    # The classes with a PAR101/PAR102 candidate among their methods.
    analysed = {
        cls.name
        for cls in ast.parse(source).body if isinstance(cls, ast.ClassDef)
        for fn in cls.body if isinstance(fn, ast.AsyncFunctionDef) and may_group_or_loop(fn)
    }
    for name in analysed:
        assert reduced_facts[name] == whole_facts[name], name


CLASS_FACT_SNIPPETS = [CLASS_FACTS, SERVICE, CALLERS_OF_CALLERS]


@pytest.mark.parametrize("source", CLASS_FACT_SNIPPETS, ids=["station", "service", "callers"])
def test_the_class_facts_of_the_snippets_are_those_of_the_whole_file(source: str) -> None:
    result = reduce_source(source)
    assert result is not None and not result.nothing
    whole, reduced = cst.parse_module(source), cst.parse_module(result.source)
    analysed = {"Station", "Service"}
    whole_facts, reduced_facts = _class_facts(whole), _class_facts(reduced)
    for name in analysed & set(whole_facts):
        assert reduced_facts[name] == whole_facts[name]


def test_check_parses_reduced_sources() -> None:
    assert engine.REDUCE_SOURCES
    assert lint_source(SERVICE, "s.py", ALL) == both(SERVICE, "s.py")[0]


def test_a_rule_reduction_does_not_model_gets_the_whole_file() -> None:
    # A plugin or a test double may read anything (tests/test_cli_check.py's crashing rule).
    assert reduce_source(SERVICE, ["PAR101", "PAR990"]) is None
    assert reduce_source(SERVICE, ["PAR101"]) is not None


def test_the_fixer_gets_the_whole_module() -> None:
    whole = analyse(SERVICE, "s.py", ALL)
    assert whole.module is not None and whole.module.code == SERVICE


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.name)
def test_every_fixture_has_the_same_findings_reduced(path: Path) -> None:
    decoded = read_source(str(path))
    assert not isinstance(decoded, Finding)
    name = path.relative_to(REPO).as_posix()
    whole, reduced = both(decoded.source, name, fixture_config(decoded.source, name))
    assert whole == reduced


@pytest.mark.slow
def test_the_ci_corpus_has_the_same_findings_reduced() -> None:
    """bench/check_reduction.py over the CI corpus subset, which tests/test_corpus_sweep.py
    builds (the whole corpus: run the script by hand)."""
    from test_corpus_sweep import CORPUS, pins

    folders = [CORPUS / pin for pin in pins()]
    missing = [str(folder) for folder in folders if not folder.is_dir()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the CI corpus is not built: {missing}")
        pytest.skip(f"the CI corpus is not built (bench/build_corpus.py): {missing}")
    checked = subprocess.run(
        [sys.executable, str(REPO / "bench" / "check_reduction.py"), "-j", "2",
         *map(str, folders)],
        capture_output=True, text=True, timeout=1800, check=False,
    )
    assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-3000:]
    assert " 0 with different results" in checked.stdout


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_comment_banners_between_names_and_parentheses_are_read_in_linear_time(ending):
    # A comment may not stop before its line's end: a run of `#`s could otherwise be split
    # into comments in 2**n ways before a failed match gave up (pyrogram's session/auth.py:
    # minutes for a banner of 23). With 200 `#`s the old pattern would never return.
    banner = "        " + "#" * 200 + ending
    source = (
        "class Auth:" + ending
        + "    async def create(self):" + ending
        + "        await self.get_key()" + ending
        + banner + banner.replace("#" * 200, "# checks " + "#" * 191) + banner
        + "        check(self.key)  " + "#" * 200 + ending
        + "        await self.get_salt()" + ending
        + "    async def get_key(self):" + ending
        + "        await self.connection.open()  " + "#" * 200 + ending
    )
    reduced = reduce_source(source)
    assert reduced is not None and not reduced.nothing
    assert reduced.source == source  # `create` and the method it calls are kept whole


@pytest.mark.parametrize(
    ("call", "imports", "kept"),
    [
        pytest.param("asyncio.gather(*jobs)", "import asyncio", True, id="asyncio-gather"),
        pytest.param("aio.wait(jobs)", "import asyncio as aio", True, id="an-aliased-module"),
        pytest.param("wait(jobs)", "from asyncio import wait", True, id="an-imported-function"),
        pytest.param("asyncio.wait(jobs)", "", True, id="asyncio-spelled-without-import"),
        pytest.param(
            "aio.wait(jobs)",
            "try:\n    import uvloop as aio\nexcept ImportError:\n    import asyncio as aio",
            True, id="any-meaning-of-a-conditional-import",
        ),
        pytest.param("self._stopped.wait()", "import asyncio", False, id="an-event-of-self"),
        pytest.param("done.wait()", "import asyncio", False, id="a-local-event"),
        pytest.param("events[0].wait()", "import asyncio", False, id="an-item-s-method"),
        pytest.param("make().wait()", "import asyncio", False, id="a-call-s-method"),
        pytest.param("wait(jobs)", "import asyncio", False, id="a-plain-name-not-imported"),
        pytest.param("loop.create_task(job())", "", True, id="create-task-of-any-object"),
    ],
)
def test_only_fan_out_calls_that_may_resolve_to_a_fan_out_api_keep_their_function(
    call: str, imports: str, kept: bool
) -> None:
    source = f"{imports}\n\n\nasync def run(self, jobs, done, events, make):\n    await {call}\n"
    result = reduce_source(source)
    assert result is not None
    assert (not result.nothing) is kept
    whole, reduced = both(source)
    assert whole == reduced


def test_a_match_statement_s_cases_hold_functions_the_reduction_finds() -> None:
    source = textwrap.dedent(
        """\
        import asyncio


        def choose(kind):
            match kind:
                case "fast":
                    async def load(users, orders):
                        a = await users.fetch_a()
                        b = await orders.fetch_b()
                        return a, b
                case _:
                    load = None
            return load
        """
    )
    result = reduce_source(source)
    assert result is not None and not result.nothing
    whole, reduced = both(source)
    assert whole == reduced and [f.code for f in whole.findings] == ["PAR101"]


def test_text_python_parsed_is_read_by_libcst_without_node_checks_and_checks_come_back() -> None:
    source = HEADERS
    checked = engine.parse(source, "pkg/a.py")
    unchecked = engine.parse(source, "pkg/a.py", compiles=True)
    assert isinstance(checked, cst.Module) and isinstance(unchecked, cst.Module)
    assert unchecked.deep_equals(checked) and unchecked.code == source
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # the node checks are on again after the parse
    broken = engine.parse("async def f(:\n", "pkg/b.py", compiles=True)
    assert isinstance(broken, Finding) and broken.code == "PAR000"
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
