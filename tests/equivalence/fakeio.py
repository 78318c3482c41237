"""Fake, instrumented I/O for the executed-equivalence suite.

Every call sleeps a fixed latency (`anyio.sleep`, so that the same cases run under asyncio, trio
and anyio), is recorded with its start and end time, and
counts towards an in-flight counter whose peak is kept. A call's result is a token naming the
call (`"fetch_user(7)"`), so that a later call whose arguments contain the token is known to
depend on it: the producer must end before the consumer starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import anyio

LATENCY = 0.04
SLOW = 0.12  # for the skewed cases


@dataclass
class Call:
    name: str
    args: tuple
    start: float
    end: float = 0.0
    result: str = ""


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0

    def reset(self) -> None:
        self.calls.clear()
        self.in_flight = self.peak = 0


RECORDER = Recorder()


def _token(name: str, args: tuple) -> str:
    return f"{name}({', '.join(map(str, args))})"


async def _io(name: str, args: tuple, latency: float = LATENCY) -> str:
    call = Call(name, args, time.perf_counter())
    RECORDER.calls.append(call)
    RECORDER.in_flight += 1
    RECORDER.peak = max(RECORDER.peak, RECORDER.in_flight)
    try:
        await anyio.sleep(latency)
    finally:
        RECORDER.in_flight -= 1
        call.end = time.perf_counter()
    call.result = _token(name, args)
    return call.result


# The "API" the cases call: module-level coroutine functions with read-only names.
async def fetch_user(user_id):
    return await _io("fetch_user", (user_id,))


async def fetch_orders(user):
    return await _io("fetch_orders", (user,))


async def fetch_prefs(user_id):
    return await _io("fetch_prefs", (user_id,))


async def get_price(item):
    # Item "slow-*" takes longer: skewed latencies.
    latency = SLOW if str(item).startswith("slow") else LATENCY
    return await _io("get_price", (item,), latency)


async def load_page(url):
    return await _io("load_page", (url,))


async def ping(host):
    await _io("ping", (host,))


async def save_record(record):
    return await _io("save_record", (record,))


async def fetch_pair(key):
    token = await _io("fetch_pair", (key,))
    return token + ":left", token + ":right"
