"""Configuration keys of the codemods (registered in `config.CORE_OPTIONS`)."""

from __future__ import annotations

from parlint.types import Option

FIX_STYLES = ("semaphore", "batches", "taskgroup")

# The default is the benchmark's winner (bench/fix_styles.py, bench/README.md "Fix styles"):
# with skewed latencies a sliding window never waits for the slowest item of a batch.
FIX_STYLE = Option(
    "fix-style",
    "choice",
    "semaphore",
    "How PAR102/PAR201 fixes bound concurrency: `semaphore` (sliding window), `batches` "
    "(slices of max-concurrency items) or `taskgroup` (3.11+: TaskGroup plus semaphore).",
    choices=FIX_STYLES,
)

CODEMOD_OPTIONS: tuple[Option, ...] = (FIX_STYLE,)
