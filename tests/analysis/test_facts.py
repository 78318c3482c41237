"""Reads and writes per statement: the hard cases."""

import textwrap

import libcst as cst
import pytest

from parlint.analysis.facts import overlaps, statement_facts


def facts(code: str):
    module = cst.parse_module(textwrap.dedent(code))
    assert len(module.body) == 1
    return statement_facts(module.body[0])


@pytest.mark.parametrize(
    "code, reads, writes",
    [
        ("x = y + 1", {"y"}, {"x"}),
        ("total += item.price", {"total", "item.price"}, {"total"}),
        ("if (n := len(items)) > 3: pass", {"len", "items"}, {"n"}),
        ("del cache[key]", {"key"}, {"cache[]", "cache"}),
        ("del self.token", set(), {"self.token"}),
        ("first, *rest = values", {"values"}, {"first", "rest"}),
        ("self.user = await get_user(uid)", {"get_user", "uid"}, {"self.user"}),
        ("d[k] = v", {"k", "v"}, {"d[]", "d"}),
        ("items.append(x)", {"x"}, {"items"}),
        ("value = mapping.get(key)", {"mapping", "key"}, {"value"}),
        ("setattr(self, name, value)", {"setattr", "self", "name", "value"}, {"self"}),
    ],
)
def test_reads_and_writes_of_simple_statements(code, reads, writes):
    f = facts(code)
    assert f.reads == reads
    assert f.writes == writes


def test_for_and_with_targets_are_writes():
    f = facts("for key, value in pairs:\n    seen.add(key)\n")
    assert {"key", "value", "seen"} <= f.writes
    assert "pairs" in f.reads
    g = facts("async with session.get(url) as response:\n    pass\n")
    assert "response" in g.writes
    assert {"session", "url"} <= g.reads
    assert g.async_constructs


def test_comprehension_targets_are_local_but_walrus_escapes():
    f = facts("names = [u.name for u in users if (last := u)]")
    assert "u" not in f.reads and "u.name" not in f.reads
    assert "users" in f.reads
    assert f.writes == {"names", "last"}


def test_comprehension_awaits_belong_to_the_enclosing_function():
    f = facts("pages = [await fetch(u) for u in urls]")
    assert len(f.awaits) == 1


def test_nested_def_and_lambda_are_scopes_of_their_own():
    f = facts(
        """
        def callback(event):
            local = event.data
            results.append(local)
            return await_later(local)
        """
    )
    assert f.writes == {"callback", "results"}
    assert "event" not in f.reads and "local" not in f.reads
    assert "await_later" in f.reads
    assert not f.exits  # the nested return is its own
    g = facts("key = lambda item: item.rank + offset")
    assert g.reads == {"offset"}
    assert g.writes == {"key"}


def test_global_and_nonlocal_assignments_in_nested_functions_are_writes():
    f = facts(
        """
        def bump():
            global counter
            nonlocal seen
            counter = 1
            seen = True
            other = 2
        """
    )
    assert f.writes == {"bump", "counter", "seen"}


def test_exits_with_loop_depth_and_handler():
    f = facts(
        """
        for x in xs:
            try:
                break
            except ValueError:
                raise
        """
    )
    kinds = {(e.kind, e.loop_depth, e.in_handler) for e in f.exits}
    assert kinds == {("break", 1, False), ("raise", 1, True)}


def test_accumulations_and_augmented_assignments_are_told_apart():
    f = facts("results[key] = value")
    assert f.accumulates == {"results"}
    g = facts("total += 1")
    assert g.augmented == {"total"}


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("self", "self.x", True),
        ("self.x", "self.x.y", True),
        ("self.x", "self.xy", False),
        ("d", "d[]", True),
        ("self.x", "self.y", False),
    ],
)
def test_overlapping_paths(a, b, expected):
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected
