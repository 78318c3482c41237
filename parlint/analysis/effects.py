"""What an awaited call does: read-only or effectful, ordered, and which receivers it uses.

Everything here is a pure function of names (the call's method/qualified name, the receiver's
name and visible type) and of the patterns in the analysis options (`options.py`).
"""

from __future__ import annotations

import enum
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import libcst as cst

from parlint.analysis.names import dotted_name
from parlint.analysis.options import (
    DEFAULT_CONCURRENT_SAFE_RECEIVERS,
    DEFAULT_ORDERED_CALLS,
    DEFAULT_SERIAL_RECEIVERS,
)


class CallKind(str, enum.Enum):
    """How an awaited call affects the world, decided from its name (and summary)."""

    READ_ONLY = "read-only"  # GET-like: fetch, get, read, load, list, query...
    EFFECTFUL = "effectful"  # creates, updates, sends, deletes...: keeps its place
    UNKNOWN = "unknown"  # neither: may be grouped, but a fix is never safe


# First words of read-only (GET-like) operations.
READ_VERBS = frozenset(
    """get fetch read load list query select find lookup look head download describe search
    retrieve scan stat info status count exists exist is has view peek inspect
    obtain collect batch_get iter compute calculate measure estimate render format parse
    decode guess locate fetchval
    fetchrow fetch_all fetch_one fetch_val get_or_none all first one scalar scalars
    aggregate sum avg min max browse preview translate convert evaluate analyze analyse
    """.split()
)

# First words of operations with side effects.
EFFECT_VERBS = frozenset(
    """create update delete remove del set put post patch send write save insert upsert add
    publish emit notify dispatch enqueue push pop store commit rollback begin execute run
    submit apply register unregister subscribe unsubscribe kick ban unban mute unmute edit
    reply respond answer forward pin unpin approve reject mark clear reset flush close open
    start stop restart connect disconnect login logout auth authenticate authorize ack nack
    acknowledge lock unlock acquire release sleep wait join leave move rename copy upload sync
    refresh invalidate expire cancel kill terminate shutdown install uninstall enable disable
    turn toggle press trigger fire handle process setup init initialize prepare configure
    teardown cleanup clean purge drop truncate migrate replace append extend modify change
    assign grant revoke invite accept decline confirm deny block unblock follow unfollow
    like unlike react star unstar archive restore import export deploy schedule reschedule
    increment decrement incr decr touch persist flush_all drain signal raise log record track
    transfer pay charge refund book reserve claim release_lock queue call invoke async_call
    mkdir rmdir unlink chmod chown symlink link makedirs remove_tree rmtree new make build
    generate spawn launch fork exec do perform trigger_event async_fire set_state provision
    deprovision allocate deallocate attach detach mount unmount bind listen deliver activate
    deactivate emit wake reboot reload rebuild
    """.split()
)

# Words that mean an effect wherever they appear in a name.
STRONG_EFFECT_WORDS = frozenset(
    """execute exec command create update delete remove insert upsert save send write commit
    rollback publish post put patch set store drop truncate kill cancel register auth
    authenticate login logout connect disconnect subscribe unsubscribe refresh reload setup
    start stop close open""".split()
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    """`async_get_user` -> ["get", "user"]; `fetchUser` -> ["fetch", "user"]."""
    words = [w for w in _CAMEL.sub("_", name).lower().split("_") if w]
    while words and words[0] in ("async", "a", "do", "try", "maybe", "ensure"):
        if len(words) == 1:
            break
        words = words[1:]
    return words


def kind_of_name(name: str | None) -> CallKind:
    """Classify a called function/method by its name's first verb."""
    if not name:
        return CallKind.UNKNOWN
    words = name_words(name)
    if not words:
        return CallKind.UNKNOWN
    first = words[0]
    # `aread`, `aclose`, `asend` (httpx / anyio spellings).
    if first not in READ_VERBS and first not in EFFECT_VERBS and len(first) > 2:
        if first[0] == "a" and (first[1:] in READ_VERBS or first[1:] in EFFECT_VERBS):
            first = first[1:]
    if first in EFFECT_VERBS:
        return CallKind.EFFECTFUL
    if words == ["load"]:
        # `await collection.async_load()` fills its receiver; `load_user(id)` returns data.
        return CallKind.UNKNOWN
    if any(w in STRONG_EFFECT_WORDS for w in words[1:]):
        # `immediate_execute_command`, `bulk_delete`, `user_update`: an effect word anywhere.
        return CallKind.EFFECTFUL
    if first in READ_VERBS:
        # `get_or_create`, `fetch_and_update`: any effect word later wins.
        if any(w in STRONG_EFFECT_WORDS for w in words[1:]):
            return CallKind.EFFECTFUL
        return CallKind.READ_ONLY
    return CallKind.UNKNOWN


# Calls that run a program and wait for it (the command is their first argument).
SUBPROCESS_CALLS = frozenset(
    ("anyio.run_process", "trio.run_process")
)
# `git` subcommands that only read the repository (no lock taken, nothing written): two of
# them in one working copy may run at once.
READ_ONLY_GIT = frozenset(
    """rev-parse rev-list status log show diff describe ls-files ls-remote ls-tree cat-file
    merge-base show-ref for-each-ref blame""".split()
)


def read_only_command(call: cst.Call) -> str | None:
    """`run_process(["git", "rev-parse", "HEAD"], cwd=repo)`: the command, when it is a
    literal list whose program is git and whose subcommand only reads (options before the
    subcommand not allowed: `git -c k=v ...` may write config), else None."""
    if not call.args or call.args[0].keyword is not None:
        return None
    first = call.args[0].value
    if not isinstance(first, (cst.List, cst.Tuple)) or len(first.elements) < 2:
        return None
    words = []
    for element in first.elements[:2]:
        value = element.value
        if not isinstance(value, cst.SimpleString) or isinstance(element, cst.StarredElement):
            return None
        words.append(value.evaluated_value)
    if words[0] == "git" and words[1] in READ_ONLY_GIT:
        return " ".join(str(w) for w in words)
    return None


class _PatternSet:
    """A tuple of `fnmatch` patterns compiled into one regular expression: the first pattern
    (in order) that a name matches, remembered per name (the same receivers and calls come
    back in every function)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self.regex = re.compile(
            "|".join(f"(?P<p{i}>{fnmatch.translate(p)})" for i, p in enumerate(patterns))
        ) if patterns else None
        self.seen: dict[str, str | None] = {}

    def first_match(self, candidate: str) -> str | None:
        if candidate in self.seen:
            return self.seen[candidate]
        found = None
        match = self.regex.match(candidate) if self.regex is not None else None
        if match is not None:
            # Alternatives are tried in order and each is anchored at the end: the group that
            # matched is the first pattern that matches the whole name.
            found = next(p for i, p in enumerate(self.patterns) if match.group(f"p{i}") is not None)
        if len(self.seen) >= 100_000:
            self.seen.clear()
        self.seen[candidate] = found
        return found


@lru_cache(maxsize=64)
def _pattern_set(patterns: tuple[str, ...]) -> _PatternSet:
    return _PatternSet(patterns)


def _matches(patterns: tuple[str, ...], *candidates: str | None) -> str | None:
    """The first of `patterns` that the first matching candidate matches (`fnmatchcase`)."""
    pattern_set = _pattern_set(patterns)
    for candidate in candidates:
        if candidate:
            found = pattern_set.first_match(candidate)
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class EffectPatterns:
    """The analysis options resolved into pattern tuples."""

    serial: tuple[str, ...] = DEFAULT_SERIAL_RECEIVERS
    safe: tuple[str, ...] = DEFAULT_CONCURRENT_SAFE_RECEIVERS
    ordered: tuple[str, ...] = DEFAULT_ORDERED_CALLS

    @classmethod
    def from_config(cls, config: Any) -> EffectPatterns:
        if config is None:
            return cls()
        return _from_values(
            tuple(config.option("serial-receivers")),
            tuple(config.option("extend-serial-receivers")),
            tuple(config.option("concurrent-safe-receivers")),
            tuple(config.option("extend-concurrent-safe-receivers")),
            tuple(config.option("ordered-calls")),
            tuple(config.option("extend-ordered-calls")),
        )

    def ordered_pattern(self, method: str | None, qualified: str | None) -> str | None:
        """The `ordered-calls` pattern a call matches, else None."""
        return _matches(self.ordered, method, qualified)

    def receiver_class(self, name: str | None, type_name: str | None) -> str | None:
        """"serial", "safe" or None (unknown) for a receiver with this name and type."""
        if type_name:
            last = type_name.rsplit(".", 1)[-1]
            if _matches(self.safe, type_name, last):
                return "safe"
            if _matches(self.serial, type_name, last):
                return "serial"
        if name:
            if _matches(self.safe, name):
                return "safe"
            if _matches(self.serial, name):
                return "serial"
        return None


@lru_cache(maxsize=64)
def _from_values(
    serial: tuple[str, ...],
    extend_serial: tuple[str, ...],
    safe: tuple[str, ...],
    extend_safe: tuple[str, ...],
    ordered: tuple[str, ...],
    extend_ordered: tuple[str, ...],
) -> EffectPatterns:
    return EffectPatterns(serial + extend_serial, safe + extend_safe, ordered + extend_ordered)


def receiver_name(path: str | None) -> str | None:
    """The name a receiver pattern is matched with: `self._conn` -> `conn`, `d[]` -> `d`."""
    if not path:
        return None
    last = path.replace("[]", "").rsplit(".", 1)[-1]
    return last.lstrip("_") or last


# Clocks read to measure how long something took (`time.perf_counter()`, `loop.time()`).
CLOCK_CALLS = frozenset(
    """time.time time.time_ns time.perf_counter time.perf_counter_ns time.monotonic
    time.monotonic_ns time.process_time time.process_time_ns timeit.default_timer
    trio.current_time anyio.current_time""".split()
)
# Methods of an event loop that read its clock (`asyncio.get_running_loop().time()`).
_LOOP_CLOCK_RECEIVERS = frozenset(("loop", "_loop", "event_loop", "get_running_loop",
                                   "get_event_loop"))


def clock_read(call: cst.Call, qualified: str | None) -> str | None:
    """The clock a call reads to time something (`time.perf_counter`, `loop.time`), or None.

    Wall-clock timestamps (`datetime.now()`) are not included: they stamp a record more often
    than they measure a duration."""
    if qualified in CLOCK_CALLS:
        return qualified
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "time":
        receiver = func.value
        if isinstance(receiver, cst.Call):
            receiver = receiver.func
        name = (dotted_name(receiver) or "").rsplit(".", 1)[-1]
        if name in _LOOP_CLOCK_RECEIVERS:
            return f"{dotted_name(func.value) or name}.time"
    return None


# Keyword arguments by which a call is asked not to wait for what it starts.
_NO_WAIT_FALSE = frozenset(("wait", "block", "blocking", "wait_for_completion"))
_NO_WAIT_TRUE = frozenset(("nowait", "no_wait"))


def no_wait_argument(call: cst.Call) -> str | None:
    """`publish(msg, wait=False)`, `request(x, nowait=True)`: the keyword by which the call is
    asked only to start its operation (enqueue a message, schedule a job) and return; None
    for other calls."""
    for arg in call.args:
        if arg.keyword is None or not isinstance(arg.value, cst.Name):
            continue
        keyword, value = arg.keyword.value, arg.value.value
        if (keyword in _NO_WAIT_FALSE and value == "False") or (
            keyword in _NO_WAIT_TRUE and value == "True"
        ):
            return f"{keyword}={value}"
    return None


# First words of calls that compute locally: formatting, encoding, serialising. An async API
# names them so for uniformity (`aformat`, `aencode`); they do no I/O. (`parse` and `render`
# are left out: a document parser or a page renderer is often a remote service.)
LOCAL_WORK_VERBS = frozenset(
    "format decode encode serialize deserialize normalize tokenize escape unescape".split()
)


def local_work(name: str | None) -> str | None:
    """The verb of a call named for local work (`aformat_document` -> `format`), or None."""
    words = name_words((name or "").rsplit(".", 1)[-1])
    if not words:
        return None
    first = words[0]
    if first not in LOCAL_WORK_VERBS and first[:1] == "a" and first[1:] in LOCAL_WORK_VERBS:
        first = first[1:]
    return first if first in LOCAL_WORK_VERBS else None
