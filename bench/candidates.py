"""The sampling frame of the labelled evaluation: a naive syntactic scan for candidate sites.

It uses only the stdlib `ast` and knows nothing about dependencies: most of what it finds is
intentional sequencing, which is the point (the labels say which candidates a careful engineer
would change). Candidate kinds, by the rule code whose label file they feed:

  PAR101  a run of >= 2 consecutive statements in one block that each await (not in a nested
          def/lambda/class); the site is the first to the last statement of the run
  PAR102  a `for` loop whose body awaits (its header line(s)), or a list/set/dict/generator
          comprehension whose element or conditions await (its line(s)); `async for` excluded
  PAR201  a gather/wait/as_completed call, or create_task/ensure_future/start_soon/start
          inside a loop or comprehension
  PAR202  a gather call with >= 2 positional arguments none of them starred
  PAR301  a gather call without `return_exceptions=True`
  PAR302  a gather call with `return_exceptions=True`

Usage:
  python bench/candidates.py --corpus /work/corpus --summary
  python bench/candidates.py --corpus DIR --packages homeassistant prefect --code PAR101 \\
      --sample 40 --seed 20261129
Output is one JSON object per line: {"file", "line", "end_line", "code", "kind"}, `file`
relative to the corpus root.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

CODES = ("PAR101", "PAR102", "PAR201", "PAR202", "PAR301", "PAR302")
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
SIMPLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)
FAN_OUT_WAITS = {"gather", "wait", "as_completed"}
TASK_SPAWNERS = {"create_task", "ensure_future", "start_soon"}


@dataclass(frozen=True, order=True)
class Candidate:
    file: str
    line: int
    end_line: int
    code: str
    kind: str
    # PAR101/PAR102 only, the oversampled strata of the labels: "independent" when there is no
    # syntactic reason to keep the order (`independent_run`, `independent_loop`), "fetch" for the
    # subset shaped like a fan-out: a run of `name = await ...` assignments (`run_stratum`), a
    # short loop whose await takes the loop target (`loop_stratum`); PAR201: a fan-out over a
    # starred/comprehension/map argument or a task spawned in a loop (`fan_out_stratum`)
    stratum: str = ""


def awaits_in(node: ast.AST) -> bool:
    """Whether `node` awaits in its own scope (nested defs, lambdas, classes excluded)."""
    if isinstance(node, ast.Await):
        return True
    for child in ast.iter_child_nodes(node):
        if isinstance(child, SCOPES):
            continue
        if awaits_in(child):
            return True
    return False


def awaits_in_body(statements: list[ast.stmt]) -> bool:
    return any(awaits_in(s) for s in statements)


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and its descendants in the same scope."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, SCOPES):
            yield from own_nodes(child)


def access_path(node: ast.AST) -> str | None:
    """`x`, `self.x`, `a.b.c` for a Name or a chain of attributes on a Name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = access_path(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def stores(statement: ast.stmt) -> set[str]:
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    paths = set()
    for target in targets:
        for node in own_nodes(target):
            if isinstance(getattr(node, "ctx", None), ast.Store):
                path = access_path(node)
                if path:
                    paths.add(path)
    for node in own_nodes(statement):
        if isinstance(node, ast.NamedExpr):
            paths.add(node.target.id)
    return paths


def loads(statement: ast.stmt) -> set[str]:
    paths = set()
    for node in own_nodes(statement):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            path = access_path(node)
            while path:
                paths.add(path)
                path = path.rpartition(".")[0]
    return paths


def sleeps(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and callee_name(n) in {"sleep", "checkpoint"}
        for n in own_nodes(node)
    )


def independent_run(run: list[ast.stmt]) -> bool:
    """No statement reads what an earlier one in the run stored, and none sleeps."""
    stored: set[str] = set()
    for statement in run:
        if loads(statement) & stored or sleeps(statement):
            return False
        stored |= stores(statement)
    return True


def run_stratum(run: list[ast.stmt]) -> str:
    if not independent_run(run):
        return ""
    fetches = all(
        isinstance(s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets) for s in run
    )
    return "fetch" if fetches else "independent"


def loop_stratum(loop: ast.For) -> str:
    """fetch: an independent loop of <= 4 statements whose awaited call takes the loop target."""
    if not independent_loop(loop):
        return ""
    names = {n.id for n in own_nodes(loop.target) if isinstance(n, ast.Name)}
    per_item = any(
        isinstance(node, ast.Await)
        and any(isinstance(n, ast.Name) and n.id in names for n in own_nodes(node))
        for statement in loop.body
        for node in own_nodes(statement)
    )
    return "fetch" if per_item and len(loop.body) <= 4 else "independent"


def independent_loop(loop: ast.For) -> bool:
    """No break/return/raise/sleep in the body (outside nested scopes and inner loops' breaks)."""
    for statement in loop.body:
        for node in own_nodes(statement):
            if isinstance(node, (ast.Return, ast.Raise)) or sleeps(node):
                return False
            if isinstance(node, ast.Break) and not inside_inner_loop(loop, node):
                return False
    return True


def inside_inner_loop(loop: ast.For, target: ast.AST) -> bool:
    for statement in loop.body:
        for node in own_nodes(statement):
            inner = isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node is not loop
            if inner and any(n is target for n in own_nodes(node)):
                return True
    return False


def callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_fan_out_wait(call: ast.Call) -> bool:
    name = callee_name(call)
    if name not in FAN_OUT_WAITS:
        return False
    if name == "wait":
        # `event.wait()`, `cond.wait()`: only asyncio.wait / a bare imported `wait(...)` with args
        func = call.func
        module_call = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id in {"asyncio", "aio"})
        )
        return bool(call.args) and (module_call or isinstance(func, ast.Name))
    return True


def fan_out_stratum(call: ast.Call) -> str:
    """fetch: the awaitables come from a starred or comprehension/map argument (data-shaped)."""
    for arg in call.args[:1] if callee_name(call) != "gather" else call.args:
        value = arg.value if isinstance(arg, ast.Starred) else arg
        shaped = isinstance(value, COMPREHENSIONS) or (
            isinstance(value, ast.Call) and callee_name(value) == "map"
        )
        if shaped or isinstance(arg, ast.Starred):
            return "fetch"
    return ""


def is_gather(call: ast.Call) -> bool:
    return callee_name(call) == "gather"


def returns_exceptions(call: ast.Call) -> bool:
    return any(
        kw.arg == "return_exceptions"
        and isinstance(kw.value, ast.Constant)
        and kw.value.value is True
        for kw in call.keywords
    )


class Scanner(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Candidate] = []
        self.loop_depth = 0

    def add(
        self,
        node: ast.AST,
        code: str,
        kind: str,
        end_line: int | None = None,
        stratum: str = "",
    ) -> None:
        end = end_line if end_line is not None else getattr(node, "end_lineno", node.lineno)
        self.found.append(Candidate(self.file, node.lineno, end, code, kind, stratum))

    # blocks: runs of consecutive awaiting statements (PAR101)
    def generic_visit(self, node: ast.AST) -> None:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                self.scan_block(block)
        super().generic_visit(node)

    def scan_block(self, block: list[ast.stmt]) -> None:
        run: list[ast.stmt] = []
        for statement in [*block, None]:
            if (
                statement is not None
                and isinstance(statement, SIMPLE_STATEMENTS)
                and awaits_in(statement)
            ):
                run.append(statement)
                continue
            if len(run) >= 2:
                self.add(
                    run[0],
                    "PAR101",
                    f"await-run-{len(run)}",
                    run[-1].end_lineno,
                    run_stratum(run),
                )
            run = []

    # loops (PAR102) and the loop context of task spawners (PAR201)
    def visit_For(self, node: ast.For) -> None:
        if awaits_in_body(node.body):
            self.add(node, "PAR102", "for-await", node.iter.end_lineno, loop_stratum(node))
        self.visit_loop(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit_loop(node)

    def visit_While(self, node: ast.While) -> None:
        self.visit_loop(node)

    def visit_loop(self, node: ast.AST) -> None:
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    def visit_comprehension_node(self, node: ast.AST) -> None:
        generators = node.generators  # type: ignore[attr-defined]
        is_async = any(g.is_async for g in generators)
        parts: list[ast.AST] = []
        if isinstance(node, ast.DictComp):
            parts += [node.key, node.value]
        else:
            parts.append(node.elt)  # type: ignore[attr-defined]
        for index, generator in enumerate(generators):
            parts += generator.ifs
            if index:
                parts.append(generator.iter)
        if not is_async and any(awaits_in(p) for p in parts):
            kind = f"{type(node).__name__.lower()}-await"
            self.add(node, "PAR102", kind, stratum="" if sleeps(node) else "independent")
        self.visit_loop(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_comprehension_node

    def visit_FunctionDef(self, node: ast.AST) -> None:
        depth, self.loop_depth = self.loop_depth, 0
        self.generic_visit(node)
        self.loop_depth = depth

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    # fan-out calls (PAR201/202/301/302)
    def visit_Call(self, node: ast.Call) -> None:
        name = callee_name(node)
        if is_fan_out_wait(node):
            self.add(node, "PAR201", f"{name}-call", stratum=fan_out_stratum(node))
        elif name in TASK_SPAWNERS and self.loop_depth:
            self.add(node, "PAR201", f"{name}-in-loop", stratum="fetch")
        if is_gather(node):
            literal = [a for a in node.args if not isinstance(a, ast.Starred)]
            if len(node.args) >= 2 and len(literal) == len(node.args):
                self.add(node, "PAR202", f"literal-gather-{len(node.args)}")
            if returns_exceptions(node):
                self.add(node, "PAR302", "gather-return-exceptions")
            else:
                self.add(node, "PAR301", "gather")
        self.generic_visit(node)


def scan_source(source: str, file: str) -> list[Candidate]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    scanner = Scanner(file)
    scanner.visit(tree)
    return drop_nested_spawners(sorted(set(scanner.found)))


def drop_nested_spawners(found: list[Candidate]) -> list[Candidate]:
    """A task spawned inside a gather/wait argument is the same fan-out as that call: keep one."""
    calls = [c for c in found if c.code == "PAR201" and not c.kind.endswith("-in-loop")]
    return [
        c
        for c in found
        if not (
            c.code == "PAR201"
            and c.kind.endswith("-in-loop")
            and any(o.line <= c.line and c.end_line <= o.end_line for o in calls)
        )
    ]


def package_dirs(corpus: Path, packages: list[str] | None) -> list[Path]:
    dirs = sorted(p for p in corpus.iterdir() if p.is_dir())
    if not packages:
        return dirs
    chosen = []
    for package in packages:
        hits = [d for d in dirs if d.name.rsplit("-", 1)[0] == package]
        if not hits:
            raise SystemExit(f"no package {package!r} under {corpus}")
        chosen += hits
    return chosen


def scan_corpus(corpus: Path, packages: list[str] | None = None) -> Iterator[Candidate]:
    for directory in package_dirs(corpus, packages):
        for path in sorted(directory.rglob("*.py")):
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "await" not in source:
                continue
            yield from scan_source(source, path.relative_to(corpus).as_posix())


def stratified_sample(
    candidates: list[Candidate], code: str, size: int, seed: int, per_package: bool = True
) -> list[Candidate]:
    """`size` candidates of `code`, split as evenly as possible over packages, fixed seed."""
    rng = random.Random(f"{seed}:{code}")
    pool = sorted(c for c in candidates if c.code == code)
    if not per_package:
        return sorted(rng.sample(pool, min(size, len(pool))))
    by_package: dict[str, list[Candidate]] = {}
    for c in pool:
        by_package.setdefault(c.file.split("/", 1)[0], []).append(c)
    for items in by_package.values():
        rng.shuffle(items)
    picked: list[Candidate] = []
    while len(picked) < size and any(by_package.values()):
        for package in sorted(by_package):
            if by_package[package] and len(picked) < size:
                picked.append(by_package[package].pop())
    return picked  # in draw order: label them in this order


def labelled_sites(directory: Path) -> set[tuple[str, int, str]]:
    import yaml

    sites = set()
    for path in directory.glob("PAR*.yaml"):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            sites.add((entry["file"], entry["line"], entry["code"]))
    return sites


def default_corpus() -> Path:
    env = os.environ.get("PARLINT_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parent / ".corpus"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--packages", nargs="*", help="package names (without version)")
    parser.add_argument("--code", choices=CODES, action="append")
    parser.add_argument("--sample", type=int, help="sample this many per code (stratified)")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--summary", action="store_true", help="counts per package and code")
    parser.add_argument(
        "--stratum",
        choices=("all", "independent", "fetch"),
        default="all",
        help="independent: only PAR101/PAR102 candidates with no syntactic ordering reason;"
        " fetch: only the fan-out-shaped subset of independent (see Candidate.stratum)",
    )
    parser.add_argument(
        "--exclude-labelled", type=Path, help="leave out sites already in this label directory"
    )
    parser.add_argument(
        "--exclude", nargs="*", default=[], help="leave out files whose path contains this"
    )
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    found = list(scan_corpus(corpus, args.packages))
    codes = args.code or list(CODES)
    found = [c for c in found if c.code in codes]
    found = [c for c in found if not any(part in c.file for part in args.exclude)]
    if args.stratum == "independent":
        found = [c for c in found if c.stratum in ("independent", "fetch")]
        # (for PAR201 the only stratum is fetch)
    elif args.stratum == "fetch":
        found = [c for c in found if c.stratum == "fetch"]
    if args.exclude_labelled:
        done = labelled_sites(args.exclude_labelled)
        found = [c for c in found if (c.file, c.line, c.code) not in done]
    if args.summary:
        counts = Counter((c.file.split("/", 1)[0], c.code) for c in found)
        for package in sorted({p for p, _ in counts}):
            row = " ".join(f"{code}={counts[(package, code)]}" for code in codes)
            print(f"{package:32} {row}")
        total = Counter(c.code for c in found)
        print(f"{'TOTAL':32} " + " ".join(f"{code}={total[code]}" for code in codes))
        return 0
    if args.sample:
        found = [
            s for code in codes for s in stratified_sample(found, code, args.sample, args.seed)
        ]
    for candidate in found:
        print(json.dumps(asdict(candidate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
