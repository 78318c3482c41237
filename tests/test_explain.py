"""`parlint explain FILE:LINE`: groups and the reason for every pair of awaits not grouped."""

import textwrap

import pytest

from parlint.cli import main
from parlint.cli.common import UserError
from parlint.cli.explain import explain_source, parse_location

SOURCE = textwrap.dedent(
    """
    import asyncio

    async def handler(api: ApiClient, conn, user_id):
        user = await api.get_user(user_id)
        posts = await api.list_posts(user.id)
        a = await conn.fetch("a")
        b = await conn.fetch("b")
        await asyncio.sleep(1)
        x = await api.get_x()
        y = await api.get_y()
        if not x:
            return None
        return y
    """
)


def test_groups_and_reasons_for_every_pair_on_the_line():
    text = explain_source(SOURCE, "handler.py", 5)
    assert "async def handler" in text
    assert "lines 10, 11 can start together" in text
    assert "line 5 `api.get_user` / line 6 `api.list_posts`: data dependence on `user`" in text
    assert "pacing call `asyncio.sleep` at line 9" in text


def test_serial_resource_reason():
    text = explain_source(SOURCE, "handler.py", 7)
    assert "line 7 `conn.fetch` / line 8 `conn.fetch`: shared serial resource `conn`" in text


def test_outside_async_def():
    assert "not inside an `async def`" in explain_source(SOURCE, "handler.py", 1)


def test_loop_reasons_are_listed():
    code = "async def f(api, ids):\n    total = 0\n    for i in ids:\n        total += await api.count(i)\n"
    text = explain_source(code, "f.py", 3)
    assert "loop-carried dependence on `total`" in text


@pytest.mark.parametrize("bad", ["file.py", "file.py:x", "file.py:0", ":3"])
def test_bad_locations_are_usage_errors(bad):
    with pytest.raises(UserError):
        parse_location(bad)


def test_command_prints_the_explanation(tmp_path, capsys):
    path = tmp_path / "handler.py"
    path.write_text(SOURCE)
    assert main(["explain", "--isolated", f"{path}:10"]) == 0
    out = capsys.readouterr().out
    assert "groups (PAR101):" in out
    assert main(["explain", f"{tmp_path / 'missing.py'}:1"]) == 2
