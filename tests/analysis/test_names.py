"""Import/alias resolution, qualified names, receivers and access paths."""

import libcst as cst
import pytest

from parlint.analysis.names import (
    access_path,
    import_table,
    method_name,
    qualified_name,
    receiver_root,
)

SOURCE = """
import asyncio as aio
import trio
import os.path
from asyncio import gather as g, sleep
from anyio import create_task_group
from .client import Client
try:
    import ujson as json
except ImportError:
    import json
"""


def _expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("aio.gather", "asyncio.gather"),
        ("g", "asyncio.gather"),
        ("sleep", "asyncio.sleep"),
        ("trio.sleep", "trio.sleep"),
        ("create_task_group", "anyio.create_task_group"),
        ("os.path.join", "os.path.join"),
        ("Client", ".client.Client"),
        ("fetch", "fetch"),
        ("self.client.get", "self.client.get"),
        ("aio.gather(a(), b())", "asyncio.gather"),
        ("get_client().get", None),
        ("json.loads", "json.loads"),
    ],
)
def test_qualified_name_resolves_imports_and_aliases(code, expected):
    table = import_table(cst.parse_module(SOURCE))
    assert qualified_name(_expr(code), table) == expected


def test_framework_prefers_trio_and_anyio_over_asyncio():
    assert import_table(cst.parse_module(SOURCE)).framework == "trio"
    assert import_table(cst.parse_module("import asyncio\n")).framework == "asyncio"
    assert import_table(cst.parse_module("import anyio\nimport asyncio\n")).framework == "anyio"
    assert import_table(cst.parse_module("import os\n")).framework is None


def test_asyncio_alias_is_the_local_module_name():
    assert import_table(cst.parse_module(SOURCE)).asyncio_alias == "aio"
    assert import_table(cst.parse_module("from asyncio import gather\n")).asyncio_alias is None


def test_local_name_for_finds_an_alias_spelling():
    table = import_table(cst.parse_module(SOURCE))
    assert table.local_name_for("asyncio.gather") == "g"
    assert table.local_name_for("asyncio.wait_for") == "aio.wait_for"


@pytest.mark.parametrize(
    "code, expected",
    [
        ("self.client.get(url)", "self.client"),
        ("conn.fetch(q)", "conn"),
        ("self.get()", "self"),
        ("fetch()", None),
        ("self.clients[i].get()", "self.clients[]"),
        ("make().get()", None),
    ],
)
def test_receiver_root(code, expected):
    call = _expr(code)
    assert isinstance(call, cst.Call)
    assert receiver_root(call) == expected


@pytest.mark.parametrize(
    "code, expected",
    [
        ("x", "x"),
        ("self.x", "self.x"),
        ("obj.attr", "obj.attr"),
        ("d[k]", "d[]"),
        ("self.items[i].name", "self.items[].name"),
        ("f().x", None),
        ("1", None),
    ],
)
def test_access_path(code, expected):
    assert access_path(_expr(code)) == expected


def test_method_name():
    assert method_name(_expr("self.client.get(u)")) == "get"
    assert method_name(_expr("fetch(u)")) == "fetch"
