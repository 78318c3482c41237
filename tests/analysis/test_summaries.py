"""Summaries of same-module functions and methods, to a fixpoint."""

import textwrap

import libcst as cst

from parlint.analysis.effects import EffectPatterns
from parlint.analysis.summaries import build_module_context

SOURCE = '''
import asyncpg

CACHE = {}


class Client:
    conn: asyncpg.Connection

    async def refresh(self):
        self.token = await self.api.fetch_token()

    async def ensure(self):
        await self.refresh()

    async def outer(self):
        await self.ensure()

    async def read_token(self):
        return self.token

    async def query(self):
        return await self.conn.fetch("select 1")

    async def unknown(self):
        await self.inherited_helper()

    async def shout(self):
        await self.ws.send("hi")


async def remember(key, value):
    CACHE[key] = value


async def remember_twice(key, value):
    await remember(key, value)
'''


def context():
    return build_module_context(cst.parse_module(textwrap.dedent(SOURCE)), EffectPatterns())


def test_self_writes_reach_callers_two_calls_deep():
    summaries = context().summaries
    assert "self.token" in summaries["Client.refresh"].writes
    assert "self.token" in summaries["Client.ensure"].writes
    assert "self.token" in summaries["Client.outer"].writes
    assert "self.token" in summaries["Client.read_token"].reads


def test_serial_resources_by_annotated_type():
    assert "self.conn" in context().summaries["Client.query"].resources


def test_unknown_self_methods_touch_all_of_self():
    summaries = context().summaries
    assert summaries["Client.unknown"].touches_self
    assert not summaries["Client.refresh"].touches_self


def test_ordered_operations_are_effects():
    assert context().summaries["Client.shout"].effect == "`self.ws.send`"


def test_globals_written_through_items_and_calls():
    summaries = context().summaries
    assert "CACHE" in summaries["remember"].writes
    assert "CACHE" in summaries["remember_twice"].writes
