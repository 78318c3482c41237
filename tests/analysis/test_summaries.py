"""Summaries of same-module functions and methods, to a fixpoint."""

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from parlint.analysis.effects import EffectPatterns
from parlint.analysis.summaries import _fixpoint, _local_summary, build_module_context

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


# --- lazy summaries -------------------------------------------------------------------------

LAZY_SOURCES = sorted(
    (Path(__file__).resolve().parents[2] / "fixtures").glob("par10*.py")
) + sorted((Path(__file__).resolve().parents[2] / "parlint" / "analysis").glob("*.py"))


@pytest.mark.parametrize("path", LAZY_SOURCES, ids=lambda p: p.name)
def test_summaries_asked_for_in_any_order_equal_the_whole_module_fixpoint(path):
    module = cst.parse_module(path.read_text())
    eager_ctx = build_module_context(module, EffectPatterns())
    everything = {k: _local_summary(eager_ctx, i) for k, i in eager_ctx.functions.items()}
    eager = _fixpoint(everything, len(everything) + 1)
    for order in (list, lambda keys: list(reversed(keys))):
        lazy = build_module_context(module, EffectPatterns()).summaries
        assert {key: lazy[key] for key in order(list(eager))} == eager


def test_summaries_are_computed_only_for_the_functions_reached():
    module = cst.parse_module(
        "def a():\n    b()\n\ndef b():\n    pass\n\ndef c():\n    pass\n"
    )
    summaries = build_module_context(module, EffectPatterns()).summaries
    assert summaries.get("a") is not None and summaries.get("missing") is None
    assert set(summaries.own) == {"a", "b"}


HOOKS = '''
import abc


class Paginator(abc.ABC):
    @abc.abstractmethod
    async def get_total(self):
        """How many rows."""

    async def get_items(self):
        raise NotImplementedError("subclasses query a page")

    async def describe(self):
        ...

    async def cached_total(self):
        return self._total

    async def page(self):
        return await self.get_total(), await self.get_items()
'''


@pytest.mark.parametrize("hook", ["get_total", "get_items", "describe"])
def test_hooks_a_subclass_implements_may_touch_all_of_self(hook):
    ctx = build_module_context(cst.parse_module(textwrap.dedent(HOOKS)), EffectPatterns())
    assert ctx.summaries[f"Paginator.{hook}"].touches_self
    assert not ctx.summaries["Paginator.cached_total"].touches_self


def test_abstract_hooks_awaited_in_turn_are_not_grouped():
    from parlint.analysis.provider import analyse_module

    source = HOOKS + '''
    async def both(self):
        total = await self.get_total()
        items = await self.get_items()
        return total, items
'''
    (both,) = [
        a for a in analyse_module(cst.parse_module(textwrap.dedent(source)))
        if a.function.name.value == "both"
    ]
    assert both.groups == []


def test_a_method_calling_methods_of_self_reads_what_they_read_not_all_of_self():
    ctx = build_module_context(cst.parse_module(textwrap.dedent("""
        class Shelf:
            async def get_books(self):
                return await self.load("books")

            async def load(self, what):
                return self.cache.get(what)

            async def export(self):
                return await dump(self)

            async def reload(self):
                return await self.refresh_from_parent()
    """)), EffectPatterns())
    summaries = ctx.summaries
    assert "self" not in summaries["Shelf.get_books"].reads
    assert "self.cache" in summaries["Shelf.get_books"].reads
    assert "self" in summaries["Shelf.export"].reads  # handed on whole
    assert "self" in summaries["Shelf.reload"].reads  # a method the module does not define
    assert summaries["Shelf.reload"].touches_self
