"""Prove that reduced sources change nothing: every file linted twice, whole and reduced.

    python bench/check_reduction.py [PATHS...] [-j N] [--select CODES] [--show N]

For every .py file under PATHS (default /work/corpus), `engine.analyse` runs once on the whole
file (`reduce=False`, what the fixer does) and once with `reduce=True` (what `check` does), with
every rule selected by default (`--select ALL`). The results must be equal: the same findings
(code, position, message, fix edits) and the same parse error. It prints each difference and a
summary with the lines libcst parsed and the CPU time of both ways; exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parlint.config import Config, build_config, validate
from parlint.engine import _reporting, analyse, may_have_findings, read_source, rules_for
from parlint.reduce import reduce_source
from parlint.types import FileResult, Finding


@dataclass(frozen=True)
class Outcome:
    path: str
    equal: bool
    difference: str
    whole_seconds: float
    reduced_seconds: float
    whole_lines: int  # lines libcst parses without reduction
    reduced_lines: int  # lines it parses with reduction (kept lines only)


def files_under(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs.sort()
            found.extend(os.path.join(root, name) for name in sorted(names) if name.endswith(".py"))
    return found


def describe(whole: FileResult, reduced: FileResult) -> str:
    lines = []
    if whole.error != reduced.error:
        lines.append(f"  error: whole {whole.error!r} / reduced {reduced.error!r}")
    only_whole = [f for f in whole.findings if f not in reduced.findings]
    only_reduced = [f for f in reduced.findings if f not in whole.findings]
    for tag, findings in (("whole only", only_whole), ("reduced only", only_reduced)):
        for f in findings:
            lines.append(f"  {tag}: {f.code} {f.line}:{f.column} {f.message[:120]}")
            if f.fix is not None:
                lines.append(f"    fix: {[(e.span, e.content[:60]) for e in f.fix.edits]}")
    return "\n".join(lines)


def compare(path: str, config: Config) -> Outcome:
    decoded = read_source(path)
    if isinstance(decoded, Finding):
        return Outcome(path, True, "", 0.0, 0.0, 0, 0)
    source = decoded.source
    parsed = may_have_findings(source, sorted(config.enabled_codes()))
    started = time.process_time()
    whole = analyse(source, path, config, reduce=False).result
    middle = time.process_time()
    reduced = analyse(source, path, config, reduce=True).result
    ended = time.process_time()
    lines = source.count("\n") if parsed else 0
    kept = 0
    if parsed:
        result = reduce_source(source, _reporting(rules_for(path, config), path))
        kept = lines if result is None else (0 if result.nothing else result.kept_lines)
    equal = whole == reduced and whole.tracebacks == reduced.tracebacks
    return Outcome(
        path, equal, "" if equal else describe(whole, reduced),
        middle - started, ended - middle, lines, kept,
    )


def _compare_all(args: tuple[str, Config]) -> Outcome:
    return compare(*args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["/work/corpus"])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--select", default="ALL", help="comma-separated codes (default ALL)")
    parser.add_argument("--show", type=int, default=50, help="differences to print")
    args = parser.parse_args(argv)
    config = build_config(validate({"select": args.select.split(",")}, "--select"))
    files = files_under(args.paths)
    started = time.perf_counter()
    work = [(path, config) for path in files]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(_compare_all, work, chunksize=16))
    else:
        outcomes = [_compare_all(item) for item in work]
    different = [o for o in outcomes if not o.equal]
    for outcome in different[: args.show]:
        print(f"DIFFERENT {outcome.path}\n{outcome.difference}")
    whole = sum(o.whole_seconds for o in outcomes)
    reduced = sum(o.reduced_seconds for o in outcomes)
    whole_lines = sum(o.whole_lines for o in outcomes)
    kept_lines = sum(o.reduced_lines for o in outcomes)
    print(
        f"{len(files)} files compared in {time.perf_counter() - started:.0f}s wall "
        f"(select={args.select}): {len(different)} with different results\n"
        f"lines libcst parses: whole {whole_lines:,}, reduced {kept_lines:,}\n"
        f"CPU in analyse: whole {whole:.1f}s, reduced {reduced:.1f}s"
    )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
