"""Benchmark of the PAR102 fix styles (semaphore, batches, taskgroup) under skewed latencies.

Each style's rewrite of one loop is produced by the real codemod (parlint.codemods.loops), run
over a fake fetch with given per-item latencies, and timed (makespan); the in-flight peak is
checked against the bound. Usage: python bench/fix_styles.py [--repeat N] [--markdown]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time

import libcst as cst

from parlint.codemods.loops import loop_fix
from parlint.engine import apply_edits, spec_to_fix
from parlint.types import Safety

LOOP = """\
import asyncio

async def work(items, fetch):
    out = []
    for item in items:
        out.append(await fetch(item))
    return out
"""

BOUND = 5
STYLES = (("semaphore", (3, 9)), ("batches", (3, 9)), ("taskgroup", (3, 11)))


def rewritten(style: str, target: tuple[int, int]) -> str:
    module = cst.parse_module(LOOP)
    function = module.body[1]
    loop = function.body.body[1]  # type: ignore[attr-defined]
    spec = loop_fix(
        loop,
        safety=Safety.UNSAFE,
        style=style,
        max_concurrency=BOUND,
        target_version=target,
        asyncio_name="asyncio",
        scope=function,
    )
    assert spec is not None
    return apply_edits(LOOP, spec_to_fix(module, spec).edits)


def scenarios(n: int = 40) -> dict[str, list[float]]:
    rng = random.Random(7)
    uniform = [0.010] * n
    skewed = [0.010] * n
    for index in (3, 11, 19, 27, 35):  # a few slow items among fast ones
        skewed[index] = 0.100
    heavy_tail = [min(0.2, rng.lognormvariate(-4.6, 0.9)) for _ in range(n)]
    return {"uniform": uniform, "skewed": skewed, "heavy-tail": heavy_tail}


def run(source: str, latencies: list[float]) -> tuple[float, int]:
    namespace: dict = {}
    exec(compile(source, "<rewritten>", "exec"), namespace)
    state = {"now": 0, "peak": 0}

    async def fetch(index: int) -> int:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(latencies[index])
        state["now"] -= 1
        return index

    started = time.perf_counter()
    result = asyncio.run(namespace["work"](range(len(latencies)), fetch))
    elapsed = time.perf_counter() - started
    assert result == list(range(len(latencies)))
    return elapsed, state["peak"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sources = {style: rewritten(style, target) for style, target in STYLES}
    sequential = LOOP
    print(f"| scenario | ideal | sequential | " + " | ".join(s for s, _ in STYLES) + " |")
    print("|---|---|---|" + "---|" * len(STYLES))
    for name, latencies in scenarios().items():
        row = [name, f"{_ideal(latencies):.3f}s"]
        seq = statistics.median(run(sequential, latencies)[0] for _ in range(args.repeat))
        row.append(f"{seq:.3f}s")
        for style, _ in STYLES:
            times, peaks = [], []
            for _ in range(args.repeat):
                elapsed, peak = run(sources[style], latencies)
                times.append(elapsed)
                peaks.append(peak)
            assert max(peaks) <= BOUND, (style, peaks)
            median = statistics.median(times)
            row.append(f"{median:.3f}s ({seq / median:.1f}x)")
        print("| " + " | ".join(row) + " |")
    return 0


def _ideal(latencies: list[float]) -> float:
    """The makespan of a perfect sliding window of BOUND workers (greedy, in order)."""
    workers = [0.0] * BOUND
    for latency in latencies:
        workers.sort()
        workers[0] += latency
    return max(workers)


if __name__ == "__main__":
    sys.exit(main())
