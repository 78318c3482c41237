"""Run a case module before and after `parlint fix` and compare what the two did."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import fakeio

_counter = itertools.count()


@dataclass
class Run:
    result: object
    calls: list  # fakeio.Call
    peak: int
    seconds: float


def import_file(path: Path):
    name = f"_equivalence_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def case_names(module) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if name.startswith(("case_", "dependent_", "bounded_")) and inspect.iscoroutinefunction(value)
    ]


def run_asyncio(function: Callable) -> object:
    return asyncio.run(function())


def run_case(module, name: str, runner: Callable = run_asyncio) -> Run:
    """Run the case under `runner`, which is given the coroutine function (`run_asyncio`,
    `trio.run`, ...)."""
    fakeio.RECORDER.reset()
    result = runner(getattr(module, name))
    calls = list(fakeio.RECORDER.calls)
    # The makespan of the I/O (first start to last end), without the event loop's set-up.
    seconds = max(c.end for c in calls) - min(c.start for c in calls) if calls else 0.0
    return Run(result, calls, fakeio.RECORDER.peak, seconds)


def call_set(run: Run) -> list:
    return sorted((c.name, repr(c.args)) for c in run.calls)


def dependency_violations(run: Run) -> list[str]:
    """Pairs where a call consumed another call's result but started before it ended."""
    bad = []
    for consumer in run.calls:
        text = repr(consumer.args)
        for producer in run.calls:
            if producer is not consumer and producer.result and producer.result in text:
                if producer.end > consumer.start + 1e-9:
                    bad.append(f"{producer.result} -> {consumer.name}{consumer.args}")
    return bad
