"""One engine behind every front end: decode, parse once, run every selected rule in one batched
traversal over shared analysis facts, and return plain values.

`lint_source(source, path, config)` is what the CLI, the flake8 plugin, pre-commit and the fixer
all call. Nothing here raises for bad input: an unreadable, undecodable or unparsable file is a
PAR000 finding, a crashing rule a PAR999 finding, and the other rules' findings are kept.
"""

from __future__ import annotations

import ast
import codecs
import difflib
import fnmatch
import io
import os
import re
import tokenize
import traceback
from contextlib import ExitStack, contextmanager, nullcontext
from itertools import accumulate
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import BatchableMetadataProvider, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from parlint import nesting, noqa
from parlint.analysis.provider import LEAVE_TESTS_ALONE, is_test_path
from parlint.analysis.project import Project
from parlint.config import Config
from parlint.registry import all_rules, matches
from parlint.reduce import MODELLED_RULES, occurs, reduce_source
from parlint.rules.base import FixSpec, Replacement, Report, Rule, RuleContext
from parlint.types import Edit, FileResult, Finding, Fix, Position, Span

PARSE_ERROR = ("PAR000", "parse-error")
# `lint_source` (check, the flake8 plugin) parses reduced sources; the fixer parses whole files.
REDUCE_SOURCES = True  # bench/check_reduction.py: 0 differences on the 10,889 corpus files
INTERNAL_ERROR = ("PAR999", "internal-error")


@dataclass(frozen=True)
class Decoded:
    source: str
    encoding: str  # the codec to write the file back with ("utf-8-sig" keeps a BOM)


def error_finding(
    kind: tuple[str, str], path: str, message: str, line: int = 1, column: int = 0
) -> Finding:
    code, name = kind
    pos = Position(max(line, 1), max(column, 0))
    return Finding(code, name, message, path, Span(pos, pos))


def decode(data: bytes) -> Decoded:
    """Decode source bytes as Python does (PEP 263 cookie, BOM); raises ValueError with why."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # bad or unknown coding cookie
        raise ValueError(str(exc.msg if hasattr(exc, "msg") else exc)) from None
    try:
        codecs.lookup(encoding)
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot decode as {encoding}: {exc}") from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text, encoding)


def read_source(path: str) -> Decoded | Finding:
    """Read and decode a file; a PAR000 finding says why when that is impossible."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        return error_finding(PARSE_ERROR, path, "cannot read file: is a directory")
    except OSError as exc:
        return error_finding(PARSE_ERROR, path, f"cannot read file: {exc.strerror or exc}")
    try:
        return decode(data)
    except ValueError as exc:
        return error_finding(PARSE_ERROR, path, f"cannot decode file: {exc}")


# --- the pre-filter: parse only what some rule could report on ----------------------------------
#
# libcst's parse is most of parlint's cost (about 50 us a line), so a file is parsed only when
# its text meets a necessary condition of at least one enabled rule. Each condition is textual
# and conservative: words in strings and comments only make it pass more often. A rule without
# an entry in CANDIDATE_SCANS gets the general condition (the file mentions async or await).

_FAN_OUT = ("gather", "wait", "as_completed", "create_task", "ensure_future", "start_soon")


def _has(word: str, source: str) -> bool:
    return occurs(word, source)


def _at_least_two(word: str, source: str) -> bool:
    return occurs(word, source, 2)


def _fans_out(source: str) -> bool:
    return any(occurs(word, source) for word in _FAN_OUT)


CANDIDATE_SCANS: dict[str, Callable[[str], bool]] = {
    # >= 2 await expressions in one block of an `async def` (analysis.dependence groups
    # `cst.Await` sites only).
    "PAR101": lambda src: _has("async", src) and _at_least_two("await", src),
    # a `for` loop or comprehension whose body awaits, inside an `async def`.
    "PAR102": lambda src: _has("async", src) and _has("await", src) and _has("for", src),
    # a gather/wait/as_completed call or a task spawn (analysis.fanout.FAN_OUT_WORDS).
    "PAR201": _fans_out,
    "PAR202": _fans_out,
    "PAR301": lambda src: "gather" in src,
    "PAR302": lambda src: "return_exceptions" in src,
}


def may_have_findings(source: str, codes: Iterable[str] | None = None) -> bool:
    """Cheap pre-filter: whether any of the rules `codes` (None: any rule) could report here.

    Code without `async` or `await` has nothing for any rule.
    """
    if "async" not in source and "await" not in source:
        return False
    if codes is None:
        return True
    for code in codes:
        scan = CANDIDATE_SCANS.get(code)
        if scan is None or scan(source):
            return True
    return False


def _compiles(source: str) -> bool:
    """Python's own parser (C, ~8x faster than libcst's): a file that no rule needs parsed still
    gets its PAR000 when it is broken (it is then parsed by libcst for the exact message)."""
    try:
        compile(source, "<parlint>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (NUL bytes), RecursionError...
        return False
    return True


_PARSER_PREFIX = re.compile(r"^(parser error: |tokenizer error: )?(error at \d+:\d+: )?")
_ERROR_AT = re.compile(r"error at (\d+):(\d+):")


# libcst's native parser overflows its stack (a segfault that ends the whole run, pool and all)
# or takes minutes on code nested deeper than Python itself accepts (200 brackets; long operator
# chains): such code is first put to Python's own parser, which refuses it cleanly.
_BRACKET = re.compile(r"[\[\](){}]")
_STEP = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_DEEP_BRACKETS = 100
_LONG_LINE = 10_000


def _too_deep_for_python(source: str, path: str) -> Finding | None:
    """A PAR000 for code that Python's own parser refuses as too deeply nested (or for any
    syntax error in code deep enough to be dangerous for libcst); None otherwise."""
    # Brackets in strings and comments may inflate the depth: Python's parser decides below.
    deepest = max(accumulate(map(_STEP.__getitem__, _BRACKET.findall(source))), default=0)
    if deepest <= _DEEP_BRACKETS and max(map(len, source.splitlines()), default=0) <= _LONG_LINE:
        return _too_long_a_chain(source, path)
    try:
        compile(source, "<parlint>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError):
        return error_finding(PARSE_ERROR, path, "cannot parse: code nested too deeply")
    except SyntaxError as exc:
        message = f"cannot parse: {exc.msg}" if exc.msg else "cannot parse: code nested too deeply"
        return error_finding(PARSE_ERROR, path, message, exc.lineno or 1, (exc.offset or 1) - 1)
    except ValueError:  # NUL bytes: libcst reports them with a position
        return None
    return _too_long_a_chain(source, path)


def _too_long_a_chain(source: str, path: str) -> Finding | None:
    """A PAR000 for an expression that chains more operands than libcst's parser survives
    (Python may accept it: `a and b and ...`; see parlint.nesting)."""
    chain = nesting.longest_chain(source)
    if chain.operands < nesting.CHAIN_LIMIT:
        return None
    if chain.python_refuses:
        return error_finding(PARSE_ERROR, path, "cannot parse: code nested too deeply", chain.line)
    message = (
        f"cannot analyse: code nested too deeply: one expression nests {chain.operands:,} "
        f"levels (`a and b and ...`: parlint's parser reads up to {nesting.CHAIN_LIMIT:,})"
    )
    return error_finding(PARSE_ERROR, path, message, chain.line)


def parse(source: str, path: str, *, compiles: bool = False) -> cst.Module | Finding:
    """The module, or the PAR000 finding. `compiles`: Python's own parser has accepted the text
    (a reduced source), so libcst's per-node checks are skipped (`_unchecked_nodes`)."""
    too_deep = _too_deep_for_python(source, path)
    if too_deep is not None:
        return too_deep
    try:
        if compiles:
            with _unchecked_nodes():
                return cst.parse_module(source)
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        text = exc.message.strip()
        message = text.splitlines()[0] if text else "syntax error"
        message = _PARSER_PREFIX.sub("", message) or "syntax error"
        line, column = _error_position(exc, source)
        if _compiles(source):  # e.g. ~5,000 implicitly concatenated strings: libcst's limit
            message = f"valid Python that parlint's parser (libcst) cannot read: {message}"
            return error_finding(PARSE_ERROR, path, f"cannot analyse: {message}", line, column)
        return error_finding(PARSE_ERROR, path, f"cannot parse: {message}", line, column)
    except RecursionError:
        return error_finding(PARSE_ERROR, path, "cannot parse: code nested too deeply")
    except Exception as exc:  # noqa: BLE001 - libcst's native parser raises assorted errors
        return error_finding(PARSE_ERROR, path, f"cannot parse: {type(exc).__name__}: {exc}")


@contextmanager
def _unchecked_nodes() -> Iterator[None]:
    """libcst checks every node as it is built (`CSTNode.__post_init__` calls `_validate`), the
    nodes its own parser builds too; its source says the check could move out of parsing (a
    PERF note there). For text Python has parsed already the checks find nothing, and skipping
    them saves ~10% of the parse. Only while this process parses (workers are processes)."""
    base = cst.CSTNode
    checked = base.__dict__["__post_init__"]
    base.__post_init__ = _no_check  # type: ignore[method-assign]
    try:
        yield
    finally:
        base.__post_init__ = checked  # type: ignore[method-assign]


def _no_check(self: cst.CSTNode) -> None:
    return None


def _error_position(exc: cst.ParserSyntaxError, source: str) -> tuple[int, int]:
    """Where the parse failed. libcst's raw_line/raw_column are off for its native parser (a
    line too far, or 1:0 for tokenizer errors): its message's "error at L:C" (1-based line,
    0-based column) is right; for tokenizer errors Python's own compiler says where."""
    match = _ERROR_AT.search(exc.message)
    if match:
        return int(match.group(1)), int(match.group(2))
    try:
        compile(source, "<parlint>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        if error.lineno:
            return error.lineno, max((error.offset or 1) - 1, 0)
    except (ValueError, RecursionError, MemoryError):
        pass
    return exc.raw_line, exc.raw_column


def rules_for(path: str, config: Config) -> list[type[Rule]]:
    """The rule classes enabled for `path`: selection minus its per-file ignores."""
    codes = config.enabled_codes()
    ignored = per_file_ignored(path, config)
    return [
        rule
        for code, rule in all_rules().items()
        if code in codes and rule.visits and not matches(code, ignored)
    ]


def per_file_ignored(path: str, config: Config) -> tuple[str, ...]:
    """The codes `per-file-ignores` turns off for `path`. A glob matches the path as given, the
    path relative to the configuration's directory, or the file name."""
    if not config.per_file_ignores:
        return ()
    posix = PurePosixPath(path.replace("\\", "/")).as_posix()
    name = posix.rsplit("/", 1)[-1]
    candidates = {posix, name}
    try:
        candidates.add(Path(os.path.relpath(os.path.abspath(path), config.root)).as_posix())
    except ValueError:  # another drive
        pass
    ignored: list[str] = []
    for pattern, codes in config.per_file_ignores:
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            ignored.extend(codes)
    return tuple(ignored)


def code_enabled(kind: tuple[str, str], path: str, config: Config) -> bool:
    code = kind[0]
    return code in config.enabled_codes() and not matches(code, per_file_ignored(path, config))


def lint_source(
    source: str, path: str, config: Config, *, respect_noqa: bool = True, build_fixes: bool = True
) -> FileResult:
    """Every finding for one file's source text (already decoded). `build_fixes=False`: fixes
    carry no edits (`Fix.deferred`), for front ends that only show that a fix exists."""
    return analyse(
        source, path, config, respect_noqa=respect_noqa, build_fixes=build_fixes,
        reduce=REDUCE_SOURCES,
    ).result


@dataclass
class Analysis:
    """What one engine pass produced: the parsed module (when it parsed) and the result."""

    module: cst.Module | None
    result: FileResult


def analyse(
    source: str,
    path: str,
    config: Config,
    *,
    respect_noqa: bool = True,
    rule_classes: Sequence[type[Rule]] | None = None,
    build_fixes: bool = True,
    reduce: bool = False,
) -> Analysis:
    """`reduce`: libcst parses only the code a rule can report on or reads (parlint.reduce), for
    front ends that need the findings and not the module."""
    if respect_noqa and noqa.file_is_suppressed(source):
        return Analysis(None, FileResult(path))
    if not may_have_findings(source):
        return Analysis(None, FileResult(path))
    classes = list(rules_for(path, config) if rule_classes is None else rule_classes)
    if not may_have_findings(source, [cls.code for cls in classes]) and (
        not code_enabled(PARSE_ERROR, path, config) or _compiles(source)
    ):
        return Analysis(None, FileResult(path))
    text = source
    reduced = reduce_source(source, _reporting(classes, path)) if reduce else None
    if reduced is not None:
        if reduced.nothing:
            return Analysis(None, FileResult(path))
        text = reduced.source
    parsed = parse(text, path, compiles=reduced is not None)
    if isinstance(parsed, Finding) and text is not source:
        text, parsed = source, parse(source, path)  # the whole file's own error, or its module
    elif reduced is not None and reduced.reporting is not None:
        # The modelled rules with nothing to report on are not run (no fan-out call: no
        # fan-out analysis; no candidate of PAR101/PAR102: no function analysis).
        classes = [c for c in classes
                   if c.code in reduced.reporting or c.code not in MODELLED_RULES]
    if isinstance(parsed, Finding):
        findings = (parsed,) if code_enabled(PARSE_ERROR, path, config) else ()
        return Analysis(None, FileResult(path, findings, error=parsed.message))
    module = parsed
    project = Project(path)
    findings, tracebacks = run_rules(module, text, path, config, classes, build_fixes, project)
    if respect_noqa:
        lines = split_lines(source)
        findings = [f for f in findings if not _suppressed(f, lines)]
    findings.sort(key=Finding.sort_key)
    return Analysis(module, FileResult(path, tuple(findings), tracebacks=tuple(tracebacks),
                                       dependencies=project.recorded()))


def _reporting(classes: Iterable[type[Rule]], path: str) -> list[str]:
    """The codes of the rules that may report on `path` (PAR101 and PAR102 leave test code
    alone: their candidates there need not be parsed)."""
    codes = [cls.code for cls in classes]
    if is_test_path(path):
        return [code for code in codes if code not in LEAVE_TESTS_ALONE]
    return codes


def _suppressed(finding: Finding, lines: list[str]) -> bool:
    index = finding.line - 1
    return 0 <= index < len(lines) and noqa.is_suppressed(finding.code, lines[index])


def run_rules(
    module: cst.Module,
    source: str,
    path: str,
    config: Config,
    classes: Iterable[type[Rule]],
    build_fixes: bool = True,
    project: Project | None = None,
) -> tuple[list[Finding], list[str]]:
    """One batched traversal of every rule; crashes become PAR999 findings. Without
    `build_fixes`, fixes are not turned into edits (see `Fix.deferred`). `project`: the file's
    project tree, for the analysis's questions about imported names (it records what it read)."""
    classes = list(classes)
    if not classes:
        return [], []
    wrapper = Wrapper(module, cache=_ConfigForEveryProvider(config))
    wrapper.project = project  # read by the analysis provider
    context = RuleContext(path=path, source=source, module=module, wrapper=wrapper, config=config)
    rules = [cls(context) for cls in classes]
    findings: list[Finding] = []
    tracebacks: list[str] = []
    try:
        visit_rules(wrapper, rules)
    except RecursionError as exc:
        for rule in rules:
            if rule.crash is None:
                rule.crash, rule.crash_traceback = exc, "RecursionError: code nested too deeply"
    except Exception as exc:  # noqa: BLE001 - a metadata provider failed: every rule is lost
        tb = traceback.format_exc()
        for rule in rules:
            if rule.crash is None:
                rule.crash, rule.crash_traceback = exc, tb
    reports = [(rule, report) for rule in rules if rule.crash is None for report in rule.reports]
    if not reports:
        positions: Mapping = {}
    elif build_fixes and any(r.fix is not None and r.fix.replacements for _, r in reports):
        positions = _positions(wrapper)  # the fix builder uses every node's extent
    else:
        positions = positions_of(module, [report.node for _, report in reports])
    if reports and not positions:  # too deep to compute positions: the findings cannot be placed
        for rule, _ in reports:
            rule.crash, rule.crash_traceback = RecursionError(), "RecursionError: positions"
        reports = []
    for rule, report in reports:
        try:
            findings.append(
                to_finding(rule, report, path, module, positions, source, build_fixes)
            )
        except Exception as exc:  # noqa: BLE001 - building the fix failed: report, keep going
            rule.crash, rule.crash_traceback = exc, traceback.format_exc()
    too_deep = [rule.code for rule in rules if isinstance(rule.crash, RecursionError)]
    for rule in rules:
        if isinstance(rule.crash, RecursionError):
            # Valid code nested deeper than the analysis recurses: not a bug, one clear line.
            findings = [f for f in findings if f.code != rule.code]
            tracebacks.append(f"{rule.code} on {path}:\n{rule.crash_traceback}")
        elif rule.crash is not None and code_enabled(INTERNAL_ERROR, path, config):
            findings = [f for f in findings if f.code != rule.code]
            findings.append(
                error_finding(
                    INTERNAL_ERROR,
                    path,
                    f"internal error in {rule.code}: {type(rule.crash).__name__}: {rule.crash}",
                )
            )
            tracebacks.append(f"{rule.code} on {path}:\n{rule.crash_traceback}")
    if too_deep and code_enabled(PARSE_ERROR, path, config):
        message = f"cannot analyse: code nested too deeply ({', '.join(too_deep)} skipped in this file)"
        findings.append(error_finding(PARSE_ERROR, path, message))
    return findings, tracebacks


# Node types that only ever occur as statements (or the module): when every rule visits only
# these, a walk over statements finds them all, and the expressions, whitespace and tokens that
# make up most of a tree (and most of libcst's generic traversal cost) are never touched.
STATEMENT_LEVEL_VISITS = frozenset({"Module", "FunctionDef", "ClassDef"})
# The suites of a compound statement, in source order (try: body, handlers, else, finally).
_SUITE_FIELDS = ("body", "handlers", "cases", "orelse", "finalbody")


def visit_rules(wrapper: MetadataWrapper, rules: Sequence[Rule]) -> None:
    """`wrapper.visit_batched(rules)`, with the same calls in the same order, but without the
    generic full-tree traversal when every rule visits only statement-level nodes (libcst's
    traversal also rebuilds every node it passes, as for a transformer)."""
    methods: dict[str, list[Callable[[cst.CSTNode], object]]] = {}
    for rule in rules:
        for name, method in rule.get_visitors().items():
            methods.setdefault(name, []).append(method)
    names = {name.split("_", 1)[1] for name in methods}
    if not names <= STATEMENT_LEVEL_VISITS:  # expressions, or visit_<Type>_<attribute> hooks
        wrapper.visit_batched(rules)
        return
    with ExitStack() as stack:
        for rule in rules:
            stack.enter_context(rule.resolve(wrapper))
        _walk_statements(wrapper.module, methods)


def _walk_statements(
    node: cst.CSTNode, methods: Mapping[str, list[Callable[[cst.CSTNode], object]]]
) -> None:
    type_name = type(node).__name__
    for method in methods.get(f"visit_{type_name}", ()):
        method(node)
    for field in _SUITE_FIELDS:
        value = getattr(node, field, None)
        if value is None:
            continue
        if isinstance(value, cst.BaseSuite):  # IndentedBlock, or `if x: y` on one line
            value = value.body
        if isinstance(value, cst.CSTNode):  # orelse: Else, or an elif's If
            _walk_statements(value, methods)
            continue
        if isinstance(value, (tuple, list)):
            for child in value:
                if isinstance(child, cst.BaseCompoundStatement) or isinstance(
                    child, (cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)
                ):
                    _walk_statements(child, methods)
    for method in methods.get(f"leave_{type_name}", ()):
        method(node)


class Wrapper(MetadataWrapper):
    """libcst's `MetadataWrapper` (without the deep copy: the tree comes from the parser), minus
    one cost: libcst resolves providers in rounds and ends every round with a batched traversal
    of the whole tree for the round's batchable providers, even when there are none (a full
    rebuild of every node). parlint's providers (its analysis, `PositionProvider`) are not
    batchable: they are computed here directly, in dependency order, with the same values."""

    def __init__(self, module: cst.Module, cache: Mapping = {}) -> None:  # noqa: B006 - as libcst
        super().__init__(module, unsafe_skip_copy=True, cache=cache)

    def resolve_many(self, providers):  # type: ignore[no-untyped-def]
        needed: set = set()
        pending = list(providers)
        while pending:
            provider = pending.pop()
            if provider not in needed and provider not in self._metadata:
                needed.add(provider)
                pending.extend(provider.METADATA_DEPENDENCIES)
        if any(issubclass(p, BatchableMetadataProvider) for p in needed):
            return super().resolve_many(providers)
        while needed:
            ready = [p for p in needed if all(d in self._metadata for d in p.METADATA_DEPENDENCIES)]
            if not ready:  # a dependency cycle: libcst says so
                return super().resolve_many(providers)
            for provider in ready:
                instance = provider(self._cache.get(provider)) if provider.gen_cache else provider()
                self._metadata[provider] = instance._gen(self)
                needed.discard(provider)
        return {p: self._metadata[p] for p in providers}


class _ConfigForEveryProvider(Mapping):
    """libcst hands `cache[P]` to every provider P that sets `gen_cache`: ours take the config."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def __getitem__(self, key: object) -> Config:
        return self.config

    def __iter__(self) -> Iterator[object]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _positions(wrapper: MetadataWrapper) -> dict:
    try:
        return dict(wrapper.resolve(PositionProvider))
    except RecursionError:
        return {}


_NO_RECORDING = nullcontext()


class _SelectivePositions(PositionProvidingCodegenState):
    """libcst's `PositionProvider` codegen, recording only inside the subtrees of `wanted`
    nodes. The line and column are tracked through the whole module exactly as libcst does, so
    a recorded range is the one `PositionProvider` gives; what is saved is a `CodeRange`, a
    context manager and a dict entry for every other node (~8x the cost of rendering)."""

    def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=_Recorded(),
        )
        self.wanted = set(map(id, wanted))
        self.depth = 0  # > 0 inside a wanted node's subtree

    def _update_position(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            super()._update_position(value)
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.depth or id(node) in self.wanted:
            self.depth += 1
            super().before_codegen(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if self.depth:
            super().after_codegen(node)
            self.depth -= 1

    def record_syntactic_position(self, node: cst.CSTNode, **kwargs: Any) -> Any:
        if self.depth:
            return super().record_syntactic_position(node, **kwargs)
        return _NO_RECORDING


class _Recorded:
    def __init__(self) -> None:
        self._computed: dict = {}


def positions_of(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> Mapping:
    """`PositionProvider`'s ranges of `nodes` (and of the nodes inside them) without computing
    those of the whole tree: what `check` needs for its findings' spans."""
    state = _SelectivePositions(module, nodes)
    try:
        module._codegen(state)
    except RecursionError:
        return {}
    return state.provider._computed


def to_finding(
    rule: Rule,
    report: Report,
    path: str,
    module: cst.Module,
    positions: dict,
    source: str | None = None,
    build_fixes: bool = True,
) -> Finding:
    code_range = positions.get(report.node)
    if code_range is None:
        span = Span(Position(1, 0), Position(1, 0))
    else:
        span = Span(
            Position(code_range.start.line, code_range.start.column),
            Position(code_range.end.line, code_range.end.column),
        )
    spec = report.fix
    if spec is None:
        fix = None
    elif build_fixes or not spec.replacements:
        fix = spec_to_fix(module, spec, positions, source)
    else:
        fix = Fix(spec.message, spec.safety, (), tuple(spec.imports), deferred=True)
    return Finding(rule.code, rule.name, report.message, path, span, fix)


# --- fixes as data -----------------------------------------------------------------------


class _Replacer(cst.CSTTransformer):
    """Apply `Replacement`s by node identity, including runs of sibling statements.

    With the module's positions, subtrees whose code lies wholly outside every replaced node
    are not entered: a transformer rebuilds every node it visits, and a fix touches a few
    statements of a file that may hold thousands (the result is the same module).
    """

    def __init__(
        self, replacements: Sequence[Replacement], positions: Mapping | None = None
    ) -> None:
        super().__init__()
        self.single = {id(r.old): r for r in replacements if r.last is None}
        self.runs = {id(r.old): r for r in replacements if r.last is not None}
        self.done: set[int] = set()
        self.positions = positions
        self.targets: list[tuple[tuple[int, int], tuple[int, int]]] | None = None
        if positions:
            targets = []
            for r in replacements:
                for node in (r.old, r.last):
                    if node is None:
                        continue
                    where = positions.get(node)
                    if where is None:  # unknown extent: visit everything
                        return
                    targets.append(((where.start.line, where.start.column),
                                    (where.end.line, where.end.column)))
            self.targets = targets

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.targets is None or self.positions is None:
            return True
        where = self.positions.get(node)
        if where is None:
            return True
        start = (where.start.line, where.start.column)
        end = (where.end.line, where.end.column)
        # Enter unless disjoint from every target (touching counts as overlapping).
        return any(not (end < t_start or start > t_end) for t_start, t_end in self.targets)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        if self.runs:
            updated = self._replace_runs(original, updated)
        replacement = self.single.get(id(original))
        if replacement is None:
            return updated
        self.done.add(id(original))
        new = replacement.new
        if isinstance(new, cst.CSTNode):
            return new
        if not new:
            return cst.RemovalSentinel.REMOVE
        return cst.FlattenSentinel(list(new))

    def _replace_runs(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        body = getattr(original, "body", None)
        if not isinstance(body, (tuple, list)):
            return updated
        index = {id(child): i for i, child in enumerate(body)}
        new_body = list(getattr(updated, "body"))
        changed = False
        # Replace from the end so that earlier indices stay valid.
        for key in sorted((k for k in self.runs if k in index), key=lambda k: -index[k]):
            run = self.runs[key]
            assert run.last is not None
            start, end = index[key], index.get(id(run.last))
            if end is None or end < start:
                raise ValueError("a statement run's last node is not a later sibling")
            new = [run.new] if isinstance(run.new, cst.CSTNode) else list(run.new)
            new_body[start : end + 1] = new
            self.done.add(key)
            changed = True
        return updated.with_changes(body=new_body) if changed else updated


def replaced_module(
    module: cst.Module, replacements: Sequence[Replacement], positions: Mapping | None = None
) -> cst.Module:
    replacer = _Replacer(replacements, positions)
    new_module = module.visit(replacer)
    missing = len(replacements) - len(replacer.done)
    if missing:
        raise ValueError(f"{missing} replacement(s) did not find their node")
    assert isinstance(new_module, cst.Module)
    return new_module


# Above this many lines, a fix's edits are computed on the one top-level statement it changes
# rather than on two renderings of the whole module (libcst's codegen costs ~40 us a line).
LOCAL_EDITS_MIN_LINES = 2000


def _same_nodes(old: Sequence[cst.CSTNode], new: Sequence[cst.CSTNode]) -> bool:
    return len(old) == len(new) and all(a is b or a.deep_equals(b) for a, b in zip(old, new))


def _local_edits(
    module: cst.Module, new_module: cst.Module, source: str
) -> tuple[Edit, ...] | None:
    """The edits of a fix that changes one top-level statement, computed on that statement's
    text alone; None when that does not apply (the caller then diffs whole modules)."""
    if not (
        _same_nodes(module.header, new_module.header)
        and _same_nodes(module.footer, new_module.footer)
        and len(module.body) == len(new_module.body)
    ):
        return None
    changed = [
        (old, new)
        for old, new in zip(module.body, new_module.body)
        if old is not new and not old.deep_equals(new)
    ]
    if len(changed) != 1:
        return None
    old_text = module.code_for_node(changed[0][0])
    new_text = module.code_for_node(changed[0][1])
    start = source.find(old_text)
    if start < 0 or source.find(old_text, start + 1) >= 0:
        return None  # not found, or not unique: its place in the file is not certain
    if start and source[start - 1] not in "\r\n":
        return None
    shift = len(split_lines(source[:start], keepends=True))
    return tuple(
        Edit(
            Span(
                Position(edit.span.start.line + shift, 0), Position(edit.span.end.line + shift, 0)
            ),
            edit.content,
        )
        for edit in text_edits(old_text, new_text)
    )


def text_edits(old: str, new: str) -> tuple[Edit, ...]:
    """The smallest whole-line edits that turn `old` into `new`."""
    old_lines = split_lines(old, keepends=True)
    new_lines = split_lines(new, keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            Edit(Span(Position(i1 + 1, 0), Position(i2 + 1, 0)), "".join(new_lines[j1:j2]))
        )
    return tuple(edits)


def spec_to_fix(
    module: cst.Module,
    spec: FixSpec,
    positions: Mapping | None = None,
    source: str | None = None,
) -> Fix:
    """The fix as text edits. `positions` (the module's PositionProvider map) and `source` (the
    text `module` was parsed from, so equal to `module.code`) only make it faster."""
    edits: tuple[Edit, ...] | None = None
    if spec.replacements:
        new_module = replaced_module(module, spec.replacements, positions)
        if source is not None and "\x0c" in source:
            # (fixer owner) libcst drops a form feed that starts a statement line, so the source
            # is not `module.code` then; diff the code libcst renders (same line numbers).
            source = None
        if source is not None and source.count("\n") >= LOCAL_EDITS_MIN_LINES:
            edits = _local_edits(module, new_module, source)
        if edits is None:
            old = source if source is not None else module.code
            edits = text_edits(old, new_module.code)
    else:
        edits = ()
    return Fix(spec.message, spec.safety, edits, tuple(spec.imports))


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (positions in `source`); raises ValueError on overlap."""
    starts = _line_starts(source)

    def offset(pos: Position) -> int:
        if pos.line - 1 >= len(starts):
            return len(source)
        return min(starts[pos.line - 1] + pos.column, len(source))

    ordered = sorted(((offset(e.span.start), offset(e.span.end), e.content) for e in edits))
    out: list[str] = []
    cursor = 0
    for start, end, content in ordered:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(source[cursor:start])
        out.append(content)
        cursor = end
    out.append(source[cursor:])
    return "".join(out)


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for i, line in enumerate(split_lines(source, keepends=True)):
        starts.append(starts[i] + len(line))
    return starts


_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(source: str, keepends: bool = False) -> list[str]:
    """Lines as Python's tokenizer (and libcst) count them: only \\n, \\r\\n and \\r end one.

    (`str.splitlines` also splits at form feeds and other separators, which would shift every
    position after them.)
    """
    if not keepends:
        return _NEWLINE.split(source) if source else []
    lines: list[str] = []
    cursor = 0
    for match in _NEWLINE.finditer(source):
        lines.append(source[cursor : match.end()])
        cursor = match.end()
    if cursor < len(source):
        lines.append(source[cursor:])
    return lines
