"""Reduced sources (parlint.reduce): `check` parses only what a rule reports on or reads, and the
findings are exactly those of the whole file (codes, positions, messages, fix edits)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from test_fixtures import fixture_config, fixture_paths

from parlint import engine
from parlint.analysis.fanout import _INTERESTING_CALLS, FAN_OUT_WORDS
from parlint.config import build_config, validate
from parlint.engine import analyse, lint_source, read_source
from parlint.reduce import FAN_OUT_NAMES, reduce_source
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
    blanked = {25, 26, 27, 28, 33}
    for index, line in enumerate(lines):
        if index not in blanked:
            assert reduced[index] == line, index
    # Every method of Service is kept: the analysis reads class-wide facts (the constructor
    # types `self.client`, which the candidates use).
    assert "return \" \".join(words)" in result.source
    cst.parse_module(result.source)


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
    "\t\treturn await self.client.get(x)\r\n"
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
