"""Where parlint's time goes: the slice linted in one process, by phase and by function.

    python bench/profile.py                 # the 8-package slice, all rules
    python bench/profile.py --top 40 --packages httpx anyio
    python bench/profile.py --output bench/results/profile.txt

Phases are timed (CPU time, one process, no cache) by wrapping the engine's steps:
read + decode, pre-filter, libcst parse, rules (analysis metadata and the batched traversal),
and the rest (positions, fixes, noqa). Then cProfile's top functions by own time and by
cumulative time, and own time grouped by where the code lives (libcst parser / nodes /
metadata / visitor machinery, parlint.analysis, parlint.rules, parlint.codemods, engine).
CPU time (`time.process_time`) is quoted, since wall time on a shared machine mostly measures
the neighbours.
"""

from __future__ import annotations

import os
import sys

# This script is named like the standard library's `profile`, which cProfile imports: keep its
# own folder off the front of sys.path while the standard modules load.
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != BENCH_DIR]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.append(BENCH_DIR)

from build_corpus import CORPUS, MANIFEST, SLICE, read_manifest  # noqa: E402


def slice_files(corpus: Path, packages: tuple[str, ...]) -> list[Path]:
    files = []
    for package, version in read_manifest(MANIFEST):
        if package in packages:
            root = corpus / f"{package}-{version}"
            if not root.is_dir():
                raise SystemExit(f"{root} is missing: run python bench/build_corpus.py first")
            files.extend(sorted(root.rglob("*.py")))
    return files


class Phases:
    """Accumulated CPU time per engine step, by wrapping the engine's functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, module: object, name: str, phase: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.process_time() - start
                self.calls[phase] += 1

        setattr(module, name, timed)


def group_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/libcst/" in path:
        for part, label in (
            ("/_parser/", "libcst parser (native parse + node construction)"),
            ("/_nodes/", "libcst nodes (__init__/validation/children/visit)"),
            ("/metadata/", "libcst metadata (wrapper, providers)"),
            ("/_batched_visitor", "libcst batched visitor dispatch"),
            ("/_visitors", "libcst visitor dispatch"),
        ):
            if part in path:
                return label
        return "libcst (other)"
    if "/parlint/" in path:
        for part in ("analysis", "rules", "codemods"):
            if f"/parlint/{part}/" in path:
                return f"parlint.{part}"
        return "parlint (engine, runner, noqa, ...)"
    if filename.startswith("<") or filename == "~":
        return "builtins / C functions"
    return "stdlib and others"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--packages", nargs="+", default=list(SLICE))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--output", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)

    from parlint import engine
    from parlint.config import Config

    config = Config(select=("ALL",))
    files = slice_files(args.corpus, tuple(args.packages))
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    engine.parse("async def _(): await _\n", "<warm-up>")  # import and warm the parser

    phases = Phases()
    phases.wrap(engine, "parse", "libcst parse")
    phases.wrap(engine, "run_rules", "rules (analysis + traversal + findings)")
    phases.wrap(engine, "may_have_findings", "pre-filter")
    phases.wrap(engine, "_compiles", "pre-filter (PAR000 syntax check)")

    findings = 0
    profiler = cProfile.Profile(time.process_time)  # CPU time: neighbours do not count
    read_time = 0.0
    start = time.process_time()
    for path in files:
        t0 = time.process_time()
        decoded = engine.read_source(str(path))
        read_time += time.process_time() - t0
        if isinstance(decoded, engine.Finding):
            continue
        profiler.enable()
        result = engine.lint_source(decoded.source, str(path), config)
        profiler.disable()
        findings += len(result.findings)
    total = time.process_time() - start
    phases.seconds["read + decode"] = read_time

    out = io.StringIO()
    out.write(f"{len(files)} files, {lines:,} lines, {findings} findings; "
              f"{total:.2f} s CPU in one process (profiler on: times are inflated alike)\n\n")
    out.write("| phase | CPU s | share | calls |\n|---|---|---|---|\n")
    accounted = 0.0
    for phase, seconds in sorted(phases.seconds.items(), key=lambda kv: -kv[1]):
        accounted += seconds
        out.write(f"| {phase} | {seconds:.2f} | {seconds / total:.0%} | "
                  f"{phases.calls.get(phase, len(files))} |\n")
    out.write(f"| rest (noqa, sorting, profiler) | {total - accounted:.2f} | "
              f"{(total - accounted) / total:.0%} | |\n\n")

    stats = pstats.Stats(profiler)
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        groups[group_of(filename)] += tottime
    grand = sum(groups.values()) or 1.0
    out.write("| own time by where the code lives | CPU s | share |\n|---|---|---|\n")
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        out.write(f"| {label} | {seconds:.2f} | {seconds / grand:.0%} |\n")
    out.write("\n")
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(args.top)
        text = buffer.getvalue()
        body = text[text.find("   ncalls"):] if "   ncalls" in text else text
        out.write(f"Top {args.top} functions by {title}:\n\n```\n{body.rstrip()}\n```\n\n")
    report = out.getvalue()
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
