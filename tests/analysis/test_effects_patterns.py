"""`effects._matches`: one compiled expression per pattern tuple, the answers of `fnmatchcase`."""

from __future__ import annotations

import fnmatch

from hypothesis import given, strategies as st

from parlint.analysis.effects import _matches
from parlint.analysis.options import (
    DEFAULT_CONCURRENT_SAFE_RECEIVERS,
    DEFAULT_ORDERED_CALLS,
    DEFAULT_SERIAL_RECEIVERS,
)


def _by_fnmatch(patterns, *candidates):
    for candidate in candidates:
        if candidate:
            for pattern in patterns:
                if fnmatch.fnmatchcase(candidate, pattern):
                    return pattern
    return None


PATTERN_SETS = (DEFAULT_ORDERED_CALLS, DEFAULT_SERIAL_RECEIVERS, DEFAULT_CONCURRENT_SAFE_RECEIVERS,
                ("*", "a*"), ("[ab]?*x", "*.[!c]*", "a*b*c"), ())
NAMES = st.text(alphabet="abcx._[]!*?\nSL", max_size=12)


def test_the_first_matching_pattern_in_order_is_returned():
    assert _matches(("*.sleep", "sleep", "*"), "asyncio.sleep") == "*.sleep"
    assert _matches(("sleep", "*"), None, "", "sleep") == "sleep"
    assert _matches(("Lock",), "lock") is None  # case-sensitive, as fnmatchcase


@given(st.sampled_from(PATTERN_SETS), NAMES, NAMES)
def test_same_answer_as_fnmatchcase(patterns, first, second):
    assert _matches(patterns, first, second) == _by_fnmatch(patterns, first, second)


def test_same_answer_on_the_default_patterns_own_words():
    for patterns in PATTERN_SETS[:3]:
        words = {w.strip("*.") for p in patterns for w in p.split("*")} | set(patterns)
        for word in sorted(words):
            for name in (word, f"self.{word}", f"{word}_x", f"a.{word}.b", word.upper()):
                assert _matches(patterns, name) == _by_fnmatch(patterns, name), name
