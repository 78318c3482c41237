"""Reduced sources for `check`: libcst parses only the code a rule can report on or reads.

libcst's parse costs ~40-80 us a line, Python's own parser ~4 us. So `check` first parses a file
with Python's parser (which also proves that the whole file is valid Python) and finds, from that
tree and the text, the functions that matter:

- *candidates*: an `async def` whose analysis may hold a group or a loop with independent
  iterations (`may_group_or_loop`: two sites of one suite that do not depend on each other,
  a site awaiting a method named as an effect being a barrier; or a comprehension that awaits,
  or a `for` whose body awaits and cannot leave early; PAR101, PAR102, which leave test code
  alone: the engine then leaves them out of `codes`), and any function holding a call named
  like a fan-out (`gather(`, `wait(`, `create_task(`...: PAR201, PAR202, PAR301, PAR302; a
  `gather`/`wait`/`as_completed`/`ensure_future` only when its dotted spelling may resolve
  through the module's imports to one of the fan-out analysis's APIs, `_may_resolve`);
- *context*, what the analysis reads of other code, to a fixpoint: the functions a kept one
  names (by a plain name a function, through `self.`/`cls.` a method: summaries of same-module
  calls, workers followed into; any name where results of `return_exceptions=True` may go to a
  checking helper); the enclosing functions of a kept one; whoever mentions a function that
  holds a fan-out, with the functions around the mention, but not what they call nor their own
  callers (PAR301 asks whether every caller handles errors, PAR201 what every caller passes:
  analysis.fanout reads the direct callers' own code only); whoever mentions a candidate of
  PAR101/PAR102, once one mention is in a function holding a fan-out (analysis.worth.fanned_out
  asks whether every mention is the per-item work of a fan-out); and every method of a class
  holding code that PAR101/PAR102 analyse or summarise (a candidate of theirs and what it
  calls: their analysis reads class-wide facts, attribute types and values from
  `self.x = X()`, the objects some method connects or logs in; the fan-out analysis reads none),
  of a method kept for nothing else only the statements those facts come from (assignments,
  `with ... as`, calls of connect-like methods, await sites, nested definitions:
  `_keep_class_facts`).

Words count wherever they occur (strings and comments too): that only keeps more. Module-level
code (imports, globals) is always kept; of class bodies, the methods and what is read (the
annotated attributes of a class whose facts are read, any statement naming a fan-out holder:
`_blank_class_statements`). The body of every other function is replaced by `pass` at the
body's own indentation followed by empty lines, its signature by its name and first parameter,
its decorators by empty lines (`_bare_header`, `_no_decorators`), so every kept line keeps its
number and its columns, and the findings, messages and fixes computed on the reduced module are
those of the whole file (bench/check_reduction.py proves it on a corpus; tests/test_reduce.py on
the fixtures and the CI corpus). Every condition here is a necessary one, from what the
analysis reads; when the analysis learns to read more, this module must keep more.

`reduce_source` returns None whenever it cannot be sure (Python's parser refuses the file): the
caller then parses the whole file, exactly as without reduction, and reports its own error. A
file without any candidate is `nothing`: no rule can report there, and it is not parsed at all.
`Reduced.reporting` names the modelled rules that have a candidate in the file; the engine runs
no other modelled rule on it.

Statements are judged without a walk where the text allows (`WordLines`: per line, whether a
keyword occurs): a statement whose lines hold none of the words of what a test looks for (a
`def`, an `await`, a `for`, a `return`...) cannot hold it.
"""
from __future__ import annotations

import ast
import functools
import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, islice
from typing import NamedTuple, TypeVar

# The analysis's vocabulary of call kinds (the engine imports these modules anyway, through
# analysis.provider).
from parlint.analysis.effects import CallKind, kind_of_name, name_words
from parlint.analysis.summaries import OFFLOAD_CALLS

T = TypeVar("T")

# The rules whose needs this module models; any other rule (a plugin, a test double) may read
# anything, and its file is parsed whole.
MODELLED_RULES = frozenset({"PAR101", "PAR102", "PAR201", "PAR202", "PAR301", "PAR302"})
# The rules that report on the awaits of one function (analysis.dependence): their candidates
# are functions that `may_group_or_loop`.
AWAITING_RULES = frozenset({"PAR101", "PAR102"})
# The rules that report on fan-out calls only (analysis.fanout's sites).
FAN_OUT_RULES = MODELLED_RULES - AWAITING_RULES

# The calls analysis.fanout collects as fan-out sites (its `_INTERESTING_CALLS`; a test keeps the
# two equal). Not imported: the engine imports this module, and the analysis only when it runs.
FAN_OUT_NAMES = ("as_completed", "create_task", "ensure_future", "gather", "start_soon", "wait")

# What follows the name of a call (analysis.fanout collects the Calls whose method name is one of
# FAN_OUT_NAMES): blanks, line continuations or comments, then its parenthesis. A comment runs to
# its line's end (the lookahead): were it allowed to stop anywhere, a run of `#` characters
# could be split into comments in exponentially many ways before the match fails (a banner
# line of 23 `#`s in pyrogram's session/auth.py took minutes).
_GAP = r"(?:\s|\\|#[^\r\n]*(?=[\r\n]))*"
_CALL_TAIL = re.compile(_GAP + r"\(")
_FOR = re.compile(r"\bfor\b")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
# Identifiers not right after a dot (`.x` is an attribute; `x`, `f(...)` are names).
_PLAIN_NAME = re.compile(r"(?<![.\w])[^\W\d]\w*")
# A plain name called (`name(`, blanks, continuations or comments between).
# A name after a dot (`x.name`, blanks or continuations around the dot).
_DOTTED_NAME = re.compile(r"\.(?:\s|\\)*([^\W\d]\w*)")
_PLAIN_CALL = re.compile(r"(?<![.\w])([^\W\d]\w*)" + _GAP + r"\(")
# Lines as Python's tokenizer and libcst count them (engine.split_lines).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_INDENT = re.compile(r"[ \t\f]*")
# A line this long, or a statement over this many lines, may hold an expression nested deeper
# than the analysis can follow or libcst can parse ("cannot analyse": from ~500 levels, two
# characters a level at least; thousands of implicitly concatenated strings): such a function is
# left whole, so that the file is reported as without reduction.
_LONG_LINE = 500
_LONG_STATEMENT = 100


@dataclass(frozen=True)
class Reduced:
    """What libcst should parse instead of the file."""

    source: str  # same lines; every kept line unchanged
    nothing: bool = False  # no candidate anywhere: no rule can report on this file
    kept_lines: int = 0  # lines kept (for measurements)
    total_lines: int = 0
    # The modelled rules that may report here: PAR101/PAR102 where some function is their
    # candidate, the fan-out rules where some call is a fan-out (every modelled rule: None).
    reporting: frozenset[str] | None = None


@dataclass(eq=False)
class _Def:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    parent: _Def | None  # the enclosing function
    owner: str | None  # the class whose attribute types its analysis may read
    method_of: str | None  # the class it is a direct method of (outside any function)
    first: int  # first line, decorators included
    body: int  # first line of the body; 0 when the body does not start a line of its own
    last: int
    text: str = ""
    long: bool = False  # holds a statement over _LONG_STATEMENT lines (maybe nested too deeply)


@dataclass
class _Scan:
    """A file's lines, functions, and where the words that matter occur (by line)."""

    source: str
    lines: list[str]
    starts: list[int]  # offset of every line
    tree: ast.Module | None = None
    defs: list[_Def] = field(default_factory=list)

    @functools.cached_property
    def bindings(self) -> dict[str, set[str]]:
        """What each name an import outside functions binds may mean (`import asyncio as aio`:
        aio -> {asyncio}); more than the fan-out analysis's module-level import table holds.
        Read only when a fan-out call's spelling needs it (`_may_resolve`)."""
        return _import_bindings(self.tree.body) if self.tree is not None else {}

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def mentions(self, name: str) -> list[int]:
        """The lines where the identifier `name` occurs (as a whole word), in order."""
        return [self.line_of(start) for start, _ in _words_at(self.source, name)]

    def fan_out_calls(self) -> list[int]:
        """The lines where a call named like a fan-out starts, in order: of the calls that
        count only as a module's function (`gather`, `wait`, `as_completed`,
        `ensure_future`), those whose spelling may resolve to one (`_may_resolve`)."""
        source = self.source
        found = [
            start
            for name in FAN_OUT_NAMES
            for start, end in _words_at(source, name)
            if _CALL_TAIL.match(source, end)
            and (name not in _RESOLVED_FAN_OUTS or _may_resolve(source, start, name, self))
        ]
        return sorted(map(self.line_of, found))


# The fan-out calls analysis.fanout counts only when their dotted name, resolved through the
# module's imports, is one of its APIs (`_api`: `asyncio.gather`, `asyncio.wait`...); a method
# of any object named `create_task` or `start_soon` counts as it is.
_RESOLVED_FAN_OUTS = frozenset(("as_completed", "ensure_future", "gather", "wait"))


def _may_resolve(source: str, start: int, name: str, scan: _Scan) -> bool:
    """Whether the call of `name` at `start` may be one of the fan-out analysis's APIs: its
    dotted spelling (`aio.wait`, read backwards over names and dots on its line) is one, or is
    one with its first name replaced by what an import binds it to. A call of something that
    has no dotted name (`events[k].wait()`, `make().wait()`) is none. Text this reading does
    not follow (a chain broken over lines) may be one."""
    parts = [name]
    index = start
    while True:
        at = index - 1
        while at >= 0 and source[at] in " \t":
            at -= 1
        if at < 0 or source[at] != ".":
            break
        at -= 1
        while at >= 0 and source[at] in " \t":
            at -= 1
        end = at + 1
        while at >= 0 and _is_word(source[at]):
            at -= 1
        word = source[at + 1 : end]
        if not word.isidentifier():
            # No name before the dot: a call's or an item's attribute has no dotted name.
            return not (end and source[end - 1] in ")]") or bool(word)
        parts.append(word)
        index = at + 1
    spelled = ".".join(reversed(parts))
    apis = _fan_out_apis()
    if spelled in apis:
        return True
    head, _, rest = spelled.partition(".")
    tail = "." + rest if rest else ""
    return any(bound + tail in apis for bound in scan.bindings.get(head, ()))


@functools.lru_cache(maxsize=1)
def _fan_out_apis() -> frozenset[str]:
    """The qualified names analysis.fanout resolves fan-out calls to (imported when needed)."""
    from parlint.analysis import fanout

    return frozenset(
        name for table in (fanout.GATHER_APIS, fanout.GROUP_GATHER_APIS,
                           fanout.COLLECTION_APIS, fanout.SPAWN_FUNCTIONS)
        for name in table
    )


def _import_bindings(body: list[ast.stmt]) -> dict[str, set[str]]:
    """What the imports outside functions and classes bind, every possible meaning per name."""
    bindings: dict[str, set[str]] = {}
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    bindings.setdefault(alias.asname, set()).add(alias.name)
                else:
                    head = alias.name.split(".", 1)[0]
                    bindings.setdefault(head, set()).add(head)
        elif isinstance(stmt, ast.ImportFrom):
            base = "." * stmt.level + (stmt.module or "")
            for alias in stmt.names:
                dot = "" if base.endswith(".") or not base else "."
                full = f"{base}{dot}{alias.name}"
                bindings.setdefault(alias.asname or alias.name, set()).add(full)
        elif not isinstance(stmt, _DEFINITIONS):
            stack.extend(inner for suite in _own_suites(stmt) for inner in suite)
    return bindings


def _words_at(source: str, word: str) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of `word` as a whole word (str.find: no regex scan)."""
    return list(_whole_words(source, word))


def occurs(word: str, source: str, times: int = 1) -> bool:
    """Whether `word` occurs as a whole word (`\\bword\\b`) at least `times` times."""
    return next(islice(_whole_words(source, word), times - 1, None), None) is not None


def _whole_words(source: str, word: str) -> Iterator[tuple[int, int]]:
    """str.find and a look at both neighbours (a regex starting with `\\b` would scan the text
    character by character)."""
    size, start, length = len(word), 0, len(source)
    while True:
        start = source.find(word, start)
        if start < 0:
            return
        end = start + size
        if not (start and _is_word(source[start - 1])) and not (
            end < length and _is_word(source[end])
        ):
            yield start, end
        start = end


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what a regex `\w` matches


def _count(lines: list[int], first: int, last: int) -> int:
    return bisect_right(lines, last) - bisect_left(lines, first)


def reduce_source(source: str, codes: Iterable[str] = MODELLED_RULES) -> Reduced | None:
    """The reduced source to parse for `check` with the rules `codes`, or None to parse the
    whole file."""
    codes = set(codes)
    if not MODELLED_RULES.issuperset(codes):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes: not this parse's business
            tree = compile(source, "<parlint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        return _reduce(source, tree, bool(codes & AWAITING_RULES))
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (NUL), RecursionError, MemoryError
        return None


def _reduce(source: str, tree: ast.Module, awaiting_rules: bool) -> Reduced | None:
    lines = _LINE.findall(source)
    if "".join(lines) != source:  # pragma: no cover - every character is on some line
        return None
    scan = _Scan(source, lines, [0, *accumulate(map(len, lines))][:-1] or [0], tree)
    words = WordLines(scan)
    _collect(tree.body, None, None, scan, words)
    kept = _kept(scan, words, awaiting_rules)
    if kept is None:
        return Reduced(source, nothing=True, total_lines=len(lines))
    keep, facts_only = kept.functions, kept.facts_only
    out = list(lines)
    kept_lines = len(lines)
    if not kept.outside_sites:
        kept_lines -= _blank_class_statements(tree.body, lines, out, kept)
    for d in scan.defs:
        if d in facts_only and d.body and not _too_long(d, lines):
            kept_lines -= _keep_class_facts(d, lines, out)
        if d in keep or d.body == 0 or (d.parent is not None and d.parent not in keep):
            continue  # kept, not blankable, or inside a function blanked already
        if _too_long(d, lines):
            keep.add(d)  # maybe an expression nested too deeply to analyse or parse: as whole
            continue
        kept_lines -= d.last - d.body + 1
        first = lines[d.body - 1]
        out[d.body - 1] = _INDENT.match(first).group() + "pass" + _ending(first)  # type: ignore[union-attr]
        for index in range(d.body, d.last):
            out[index] = _ending(lines[index])
        kept_lines -= _bare_header(d, lines, out) + _no_decorators(d, lines, out)
    reporting = AWAITING_RULES if kept.awaiting else frozenset()
    if kept.holders or kept.outside_sites:
        reporting |= FAN_OUT_RULES
    return Reduced(
        "".join(out), kept_lines=kept_lines, total_lines=len(lines), reporting=reporting
    )


def _blank_class_statements(
    body: list[ast.stmt], lines: list[str], out: list[str], kept: _Kept
) -> int:
    """Blank the simple statements of class bodies that nothing reads; the number of lines
    blanked. Of a class body the analysis reads its methods and, for a class whose facts
    PAR101/PAR102 read, its annotated attributes (summaries `_add_class`); module-level values,
    constants and imports come from the module's own statements, never from a class body
    (receivers `_module_values`, fanout `_module_constants`, names.import_table). The fan-out
    analysis also reads every reference to a function holding a fan-out (so a statement naming
    one stays) and every fan-out call (the caller skips this when one lies outside functions).
    A class body left without statements gets `pass`."""
    blanked = 0
    stack = [(stmt, None) for stmt in body]
    while stack:
        stmt, owner = stack.pop()
        if isinstance(stmt, ast.ClassDef):
            # Only a class directly at module level has facts (`build_module_context`).
            analysed = owner is None and stmt in body and stmt.name in kept.classes
            blanked += _blank_in_class(stmt, analysed, lines, out, kept.holders)
            stack.extend((inner, stmt) for inner in stmt.body if isinstance(inner, ast.ClassDef))
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend((inner, owner) for suite in _own_suites(stmt) for inner in suite)
    return blanked


def _blank_in_class(
    cls: ast.ClassDef, analysed: bool, lines: list[str], out: list[str], holders: set[str]
) -> int:
    suite = cls.body
    blank: list[ast.stmt] = []
    for index, stmt in enumerate(suite):
        after = suite[index + 1] if index + 1 < len(suite) else None
        last = stmt.end_lineno or stmt.lineno
        if isinstance(stmt, _COMPOUND_OR_DEFINITION) or (analysed and isinstance(stmt, ast.AnnAssign)):
            continue
        if _INDENT.match(lines[stmt.lineno - 1]).end() != stmt.col_offset or (  # type: ignore[union-attr]
            after is not None and after.lineno <= last
        ) or (index and (suite[index - 1].end_lineno or 0) >= stmt.lineno):
            continue  # shares a line
        statement = lines[stmt.lineno - 1 : last]
        if last - stmt.lineno > _LONG_STATEMENT or max(map(len, statement)) > _LONG_LINE:
            continue  # maybe nested too deeply for libcst: as in the whole file
        text = "".join(statement)
        if any(occurs(name, text) for name in holders):
            continue
        blank.append(stmt)
    if not blank:
        return 0
    count = 0
    for stmt in blank:
        for number in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
            out[number - 1] = _ending(lines[number - 1])
            count += 1
    if len(blank) == len(suite):
        line = lines[suite[0].lineno - 1]
        out[suite[0].lineno - 1] = _INDENT.match(line).group() + "pass" + _ending(line)  # type: ignore[union-attr]
        count -= 1
    return count


def _bare_header(d: _Def, lines: list[str], out: list[str], asynchronous: bool = True) -> int:
    """Rewrite the signature of a blanked function to its name and first parameter, on its
    `def` line (decorators stay); the number of lines blanked. Nothing reads more of it: its
    parameters' annotations type only plain names, of a body that is `pass` now
    (summaries.local_types); what reads parameters reads kept functions (analysed, summarised,
    followed into: `self_name` is the first parameter, kept)."""
    node = d.node
    header = lines[node.lineno - 1 : d.body - 1]
    if d.body - node.lineno > _LONG_STATEMENT or max(map(len, header)) > _LONG_LINE:
        return 0  # maybe nested too deeply for libcst: as in the whole file
    args = node.args
    if args.posonlyargs or args.args:
        first = (args.posonlyargs or args.args)[0].arg
    elif args.vararg is not None:
        first = "*" + args.vararg.arg
    elif args.kwonlyargs:
        first = "*, " + args.kwonlyargs[0].arg
    elif args.kwarg is not None:
        first = "**" + args.kwarg.arg
    else:
        first = ""
    keyword = "async def" if asynchronous and isinstance(node, ast.AsyncFunctionDef) else "def"
    line = lines[node.lineno - 1]
    indent = _INDENT.match(line).group()  # type: ignore[union-attr]
    out[node.lineno - 1] = f"{indent}{keyword} {node.name}({first}):{_ending(line)}"
    for index in range(node.lineno, d.body - 1):
        out[index] = _ending(lines[index])
    return d.body - 1 - node.lineno


def _no_decorators(d: _Def, lines: list[str], out: list[str]) -> int:
    """Blank the decorators of a blanked function; the number of lines blanked. They are read
    of methods whose facts or summaries are read (`staticmethod`, `abstractmethod`), kept
    ones; a decorator holding a fan-out call or naming a function that holds one makes its
    function a candidate or a caller, kept too."""
    decorators = lines[d.first - 1 : d.node.lineno - 1]
    if not decorators or len(decorators) > _LONG_STATEMENT or max(map(len, decorators)) > _LONG_LINE:
        return 0  # maybe nested too deeply for libcst: as in the whole file
    for index in range(d.first - 1, d.node.lineno - 1):
        out[index] = _ending(lines[index])
    return len(decorators)


def _too_long(d: _Def, lines: list[str]) -> bool:
    return d.long or max(map(len, lines[d.body - 1 : d.last])) > _LONG_LINE


def _ending(line: str) -> str:
    """The line's own line break (`\r\n`, `\r`, `\n` or none), without a scan of the line."""
    if line.endswith("\n"):
        return "\r\n" if line.endswith("\r\n") else "\n"
    return "\r" if line.endswith("\r") else ""


def _collect(
    body: list[ast.stmt], parent: _Def | None, owner: str | None, scan: _Scan, words: WordLines
) -> None:
    """Every function, in source order, with its enclosing function and class."""
    for stmt in body:
        first = getattr(stmt, "lineno", 0)  # (a `case` clause has no position)
        span = (getattr(stmt, "end_lineno", None) or first) - first
        if type(stmt) not in _HOLDERS:  # a simple statement
            if parent is not None and span > _LONG_STATEMENT:
                enclosing = parent
                while enclosing is not None and not enclosing.long:
                    enclosing.long = True
                    enclosing = enclosing.parent
            continue
        if not words.any_in(_DEF_WORDS, stmt) and (parent is None or span <= _LONG_STATEMENT):
            continue  # no function in it, and no statement that makes a function long
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno
            last = stmt.end_lineno or stmt.lineno
            d = _Def(
                stmt, parent, owner, owner if parent is None else None, first,
                _body_line(stmt, scan.lines), last,
            )
            scan.defs.append(d)
            body_first = getattr(stmt.body[0], "lineno", last)
            if span > _LONG_STATEMENT or words.any_between(_DEF_WORDS, body_first, last):
                _collect(stmt.body, d, owner, scan, words)  # a nested function, or long
        elif isinstance(stmt, ast.ClassDef):
            _collect(stmt.body, parent, owner if parent is not None else stmt.name, scan, words)
        else:
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(stmt, name, None)
                if inner:
                    _collect(inner, parent, owner, scan, words)


def _body_line(fn: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    """The body's first line when the body starts a line of its own (so that it can be replaced
    by whole lines), else 0."""
    first = fn.body[0]
    decorators = getattr(first, "decorator_list", None)
    line = decorators[0].lineno if decorators else first.lineno
    if line <= fn.lineno or line > len(lines):
        return 0
    text = lines[line - 1]
    indent = _INDENT.match(text).group()  # type: ignore[union-attr]
    if decorators:
        starts_line = text.startswith("@", len(indent))
    else:
        # A simple statement may share the header's line; it starts this line when only the
        # indentation comes before it (col_offset counts bytes; indentation is ASCII).
        starts_line = len(indent) == first.col_offset
    return line if starts_line else 0


def _text(scan: _Scan, d: _Def) -> str:
    if not d.text:
        d.text = "".join(scan.lines[d.first - 1 : d.last])
    return d.text


class _Kept(NamedTuple):
    functions: set[_Def]  # kept (whole, or for their class's facts)
    facts_only: set[_Def]  # kept only for their class's facts
    classes: set[str]  # the classes whose facts PAR101/PAR102 read
    holders: set[str]  # the names of the functions that hold a fan-out
    outside_sites: bool  # a fan-out outside every function
    awaiting: bool  # some function is a PAR101/PAR102 candidate


def _kept(scan: _Scan, words: WordLines, awaiting_rules: bool = True) -> _Kept | None:
    """The functions kept, and what else the reduction needs to know; None when nothing in the
    file is a candidate. Without `awaiting_rules` (PAR101 and PAR102 off), only fan-outs are
    candidates."""
    defs = scan.defs
    fan_out = scan.fan_out_calls()
    awaits = scan.mentions("await")
    inside = bytearray(len(scan.lines) + 2)
    for d in defs:
        if d.parent is None:
            inside[d.first : d.last + 1] = b"\x01" * (d.last - d.first + 1)
    outside_sites = any(not inside[line] for line in fan_out)

    def awaiting_candidate(d: _Def) -> bool:
        if not isinstance(d.node, ast.AsyncFunctionDef):
            return False
        low, high = bisect_left(awaits, d.first), bisect_right(awaits, d.last)
        # Two awaits (PAR101), or one and a `for` (PAR102), before the exact test.
        if high - low < 1:
            return False
        # Every loop and comprehension spells `for`.
        loops = _FOR.search(_text(scan, d)) is not None
        if high - low >= 2 or loops:
            return may_group_or_loop(d.node, loops, words)
        return False

    holders = [d for d in defs if _count(fan_out, d.first, d.last)]
    awaiting = [d for d in defs if awaiting_rules and awaiting_candidate(d)]
    if not holders and not awaiting and not outside_sites:
        return None
    by_name: dict[str, list[_Def]] = {}
    for d in defs:
        by_name.setdefault(d.node.name, []).append(d)
    receivers = {"self", "cls"} | {p for d in defs if (p := _first_param(d)) is not None}
    attribute_of = _attribute_pattern(frozenset(receivers))
    method_called = _method_call_pattern(frozenset(receivers))

    class_methods: dict[str, dict[str, list[_Def]]] = {}  # class -> method name -> methods
    for d in defs:
        if d.method_of is not None:
            class_methods.setdefault(d.method_of, {}).setdefault(d.node.name, []).append(d)
    method_names = {name for methods in class_methods.values() for name in methods}
    spans = {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in (scan.tree.body if scan.tree is not None else ())
        if isinstance(node, ast.ClassDef)
    }
    keep: set[_Def] = set()  # kept whole
    expanded: set[_Def] = set()  # kept, and what the fan-out analysis needs of it is kept too
    analysed: set[_Def] = set()  # the same for PAR101/PAR102; its class is read too
    followed: set[_Def] = set()  # holds a fan-out: whoever mentions it is kept too
    candidates, holder_set = set(awaiting), set(holders)
    followed_callers: set[_Def] = set()  # a candidate whose mentions were looked at
    classes: set[str] = set()  # the classes whose methods PAR101/PAR102 read facts of
    # (function, whether PAR101/PAR102 analyse it or summarise it for a function they analyse)
    pending: list[tuple[_Def, bool]] = [(d, False) for d in holders]
    pending.extend((d, True) for d in awaiting)
    if outside_sites:
        # A fan-out at module or class level: what it calls may be followed into.
        outside = "".join(line for i, line in enumerate(scan.lines, 1) if not inside[i])
        pending.extend(
            (d, False) for name in _IDENTIFIER.findall(outside) for d in by_name.get(name, ())
        )
    while pending:
        d, for_awaits = pending.pop()
        done = analysed if for_awaits else expanded
        if d in done:
            continue
        done.add(d)
        keep.add(d)
        text = _text(scan, d)
        # The enclosing functions (their facts and scopes hold the kept code).
        if d.parent is not None:
            pending.append((d.parent, for_awaits))
        # Same-module functions it may call, alias or hand on. PAR101/PAR102 summarise and
        # look into callees only: `f(...)` a module-level function (ModuleContext.functions
        # holds no nested one), `self.m(...)` or an alias `x = self.m` a method of the own
        # class (`Class.m`). The fan-out analysis follows more: by a plain name any function
        # (a method is never in scope by its name; it also asks whether a nested one has the
        # name), through `self`/`cls` a method or anything; result-checking helpers (PAR302)
        # by any name.
        if for_awaits:
            for name in set(_PLAIN_CALL.findall(text)):
                pending.extend(
                    (f, True) for f in by_name.get(name, ())
                    if f.method_of is None and f.parent is None
                )
            for name in {call or alias for call, alias in method_called.findall(text)}:
                pending.extend(
                    (f, True) for f in by_name.get(name, ()) if f.method_of == d.owner is not None
                )
            # A method of a class of the module through another receiver (or an alias of
            # one): a receiver of a project class is judged by its method's model
            # (analysis.instances), the class known by the receiver's type (the class named
            # in the function, or in its own class: annotations, constructors) or taken as
            # the one that defines two or more methods awaited on it.
            # (A method of the own instance is the own class's: followed above.)
            awaited = {r: names for r, names in (
                _awaited_methods(d.node) if method_names.intersection(
                    _DOTTED_NAME.findall(text)) else {}).items()
                if r not in receivers}
            called = set().union(*awaited.values()) if awaited else set()
            for cls, methods in class_methods.items():
                hit = called.intersection(methods)
                if hit and _names_class(scan, cls, text, spans.get(d.owner)):
                    pending.extend((f, True) for name in hit for f in methods[name])
            for receiver, names in awaited.items():
                if receiver is None or len(names) < 2:
                    continue
                owners = [cls for cls, methods in class_methods.items()
                          if names.issubset(methods)]
                if len(owners) == 1:
                    methods = class_methods[owners[0]]
                    pending.extend((f, True) for name in names for f in methods[name])
        elif "return_exceptions" in text:
            for name in set(_IDENTIFIER.findall(text)):
                pending.extend((f, False) for f in by_name.get(name, ()))
        else:
            for name in set(_PLAIN_NAME.findall(text)):
                pending.extend((f, False) for f in by_name.get(name, ()) if f.method_of is None)
            for name in set(attribute_of.findall(text)):
                pending.extend((f, False) for f in by_name.get(name, ()))
        if for_awaits and d.owner is not None:
            classes.add(d.owner)
        if d not in followed and _count(fan_out, d.first, d.last):
            # Whoever mentions a function that holds a fan-out, with its enclosing functions
            # (every function around the mention): PAR301 asks whether every caller handles
            # errors, PAR201 what every caller passes. Only there, in the caller's own code
            # (analysis.fanout reads the direct callers only, and nothing they call).
            followed.add(d)
            for line in scan.mentions(d.node.name):
                keep.update(other for other in defs if other.first <= line <= other.last)
        if for_awaits and d in candidates and d not in followed_callers:
            # Whoever mentions a candidate of PAR101/PAR102, once one mention is in a function
            # holding a fan-out: analysis.worth.fanned_out asks whether every mention in the
            # module is the per-item work of a fan-out (else no mention matters to it).
            followed_callers.add(d)
            around = [other for line in scan.mentions(d.node.name) for other in defs
                      if other.first <= line <= other.last]
            if any(other in holder_set and other is not d for other in around):
                keep.update(around)
    # The functions that construct one of those classes (`Sensor(Client(session))`): an
    # attribute `__init__` sets from a parameter holds what they pass (receivers
    # `_constructor_arguments` reads the call and the names its function binds).
    for name in sorted(classes):
        for line in scan.mentions(name):
            keep.update(other for other in defs if other.first <= line <= other.last)
    # Every method of their classes: PAR101/PAR102 read class-wide facts from all of them
    # (attribute types and values, the objects some method connects or logs in); of a method
    # kept for nothing else, only the statements those facts come from (`_keep_class_facts`).
    facts_only = {d for d in defs if d.method_of in classes and d not in keep}
    keep |= facts_only
    return _Kept(
        keep, facts_only, classes, {d.node.name for d in holders}, outside_sites, bool(awaiting)
    )


# --- methods kept for their class's facts ----------------------------------------------------

# Method names analysis.dependence.SESSION_CALL matches (a test keeps the two equal): a method
# that calls one on `self.x` makes `self.x` a session for the whole class.
SESSION_CALL = re.compile(r"log_?in|sign_?in|auth|connect|open|start_session|handshake",
                          re.IGNORECASE)
_WITH = (ast.With, ast.AsyncWith)
_COMPOUND_OR_DEFINITION = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
    ast.With, ast.AsyncWith, ast.Try, ast.Match, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
)
# What may hold statements: compound statements, definitions, `except` and `case` clauses.
_HOLDERS = frozenset((*_COMPOUND_OR_DEFINITION, ast.ExceptHandler, ast.match_case))
_ASYNC_DEF = re.compile(r"(?<![\w.])async\s+def(?!\w)")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _keep_class_facts(d: _Def, lines: list[str], out: list[str]) -> int:
    """Blank, in a method kept only for its class's facts, every statement those facts do not
    come from; the number of lines blanked. A necessary condition, from what is read of such a
    method (analysis.summaries `_add_class`, receivers `_class_values`, `class_sessions`; it is
    never called, named or followed into from analysed code, which would keep it whole, and
    no rule reports on it):

    - its local types (`local_types`: single-target assignments of a name or an attribute
      chain from a name or a call, annotated ones, `with ... as`) and its `self.x` values
      (`simple_assignments`: single-target assignments and annotated ones to a path rooted at
      its first parameter, `with ... as`), in order, through every compound statement but not
      into nested scopes; every other assignment types and values nothing;
    - the calls of `connect`/`login`-like methods anywhere in it (`class_sessions`): every
      statement whose text spells one is kept;
    - nested functions and classes are kept (their bodies are blanked as anywhere else);
    - a method without parameters has no `self`: none of it is read.

    A compound statement stays (with its headers) when anything in it stays; a suite left
    empty gets `pass`. Statements sharing a line with another (`a; b`, one-line suites) and
    `elif` clauses stay. An `async def` becomes a `def` (on its line; nothing reads that of a
    method no rule reports on, and so no rule analyses what is left of it)."""
    line = lines[d.node.lineno - 1]
    sync = _ASYNC_DEF.sub("def", line, count=1)
    if isinstance(d.node, ast.AsyncFunctionDef):
        if sync == line:
            return 0  # `async` and `def` on two lines: left whole
        out[d.node.lineno - 1] = sync
    args = d.node.args
    params = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    self_name = next((p.arg for p in params if p is not None), None)
    blanked: set[int] = set()

    def blank(first: int, last: int, keep_pass: bool) -> None:
        for number in range(first, last + 1):
            out[number - 1] = _ending(lines[number - 1])
            blanked.add(number)
        if keep_pass:
            line = lines[first - 1]
            out[first - 1] = _INDENT.match(line).group() + "pass" + _ending(line)  # type: ignore[union-attr]
            blanked.discard(first)

    needed = _typed_names(d.node.body, self_name) if self_name is not None else set()
    header = 0
    if not any(p is not None and p.arg in needed for p in params[1:]):
        # Only `self` of its signature is read (parameters type what they name).
        header = _bare_header(d, lines, out, asynchronous=False)

    def read(stmt: ast.stmt) -> bool:
        """Whether the class's facts read this simple statement."""
        target = _typed_target(stmt, self_name) if self_name is not None else None
        return target is not None and (
            _rooted_at(target, self_name) or _root(target) in needed
        )

    def stays(stmt: ast.stmt, after: ast.stmt | None, clause: bool) -> bool:
        """Whether `stmt` stays (its own suites reduced in place)."""
        if isinstance(stmt, _DEFINITIONS):
            return True
        alone = _INDENT.match(lines[stmt.lineno - 1]).end() == stmt.col_offset and (  # type: ignore[union-attr]
            after is None or after.lineno > (stmt.end_lineno or stmt.lineno)
        )
        suites = _own_suites(stmt)
        kept_inside = False
        for index, suite in enumerate(suites):
            # `elif`: the `If` alone in an `If`'s orelse, spelled so.
            elif_clause = (
                isinstance(stmt, ast.If) and index == 1 and len(suite) == 1
                and isinstance(suite[0], ast.If)
                and lines[suite[0].lineno - 1].lstrip().startswith("elif")
            )
            kept_inside = reduce_suite(suite, elif_clause) or kept_inside
        if clause or not alone or kept_inside or read(stmt):
            return True
        if self_name is None:
            return False
        if isinstance(stmt, _WITH) and any(
            var is not None and (_rooted_at(var, self_name) or _root(var) in needed)
            for var in (item.optional_vars for item in stmt.items)
        ):
            return True
        text = "".join(lines[stmt.lineno - 1 : stmt.end_lineno or stmt.lineno])
        return SESSION_CALL.search(text) is not None

    def reduce_suite(suite: list[ast.stmt], clause: bool = False) -> bool:
        decisions = [
            stays(stmt, suite[index + 1] if index + 1 < len(suite) else None, clause)
            for index, stmt in enumerate(suite)
        ]
        if not any(decisions):
            blank(suite[0].lineno, suite[-1].end_lineno or suite[-1].lineno, keep_pass=True)
            return False
        for stmt, stay in zip(suite, decisions):
            if not stay:
                blank(stmt.lineno, stmt.end_lineno or stmt.lineno, keep_pass=False)
        return True

    reduce_suite(d.node.body)
    return len(blanked) + header


def _typed_target(stmt: ast.stmt, self_name: str) -> ast.expr | None:
    """The target of an assignment `simple_assignments` or `local_types` may read: one target,
    a path from `self_name` (any value), or a dotted name from a name or a call (annotated
    ones: any)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
        if isinstance(value, ast.Await):
            value = value.value
        if _rooted_at(target, self_name) or (
            _dotted(target) and isinstance(value, (ast.Name, ast.Call))
        ):
            return target
        return None
    if isinstance(stmt, ast.AnnAssign):
        return stmt.target
    return None


def _typed_names(body: list[ast.stmt], self_name: str) -> set[str]:
    """The local names whose types the `self.x` assignments of a method read: those their
    values or a kept assignment's value mention, to a fixpoint (the types of the others reach
    no `self.x`: `_attribute_types` keeps `self.x` only, and `_class_values` reads a scope's
    types for the paths of `self.x` values)."""
    values: list[tuple[str | None, set[str]]] = []  # (local root or None for self, mentioned)
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, _DEFINITIONS):
            continue
        stack.extend(s for suite in _own_suites(stmt) for s in suite)
        bound: list[tuple[ast.expr, ast.AST | None]] = []
        target = _typed_target(stmt, self_name)
        if target is not None:
            bound.append((target, getattr(stmt, "value", None)))
        if isinstance(stmt, _WITH):
            bound.extend((item.optional_vars, item.context_expr) for item in stmt.items
                         if item.optional_vars is not None)
        for target, value in bound:
            mentioned = _mentions_in(value) | _mentions_in(target)
            root = None if _rooted_at(target, self_name) else _root(target)
            values.append((root, mentioned))
    needed: set[str] = set()
    pending = [mentioned for root, mentioned in values if root is None]
    while pending:
        fresh = pending.pop() - needed
        needed |= fresh
        pending.extend(mentioned for root, mentioned in values if root in fresh)
    return needed


def _mentions_in(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _root(target: ast.expr) -> str | None:
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _dotted(target: ast.expr) -> bool:
    """A name or an attribute chain of one (`names.dotted_name`)."""
    while isinstance(target, ast.Attribute):
        target = target.value
    return isinstance(target, ast.Name)


def _rooted_at(target: ast.expr, name: str) -> bool:
    """An attribute or item path from `name` (`self.x`, `self.x[k]`)."""
    if not isinstance(target, (ast.Attribute, ast.Subscript)):
        return False
    while isinstance(target, (ast.Attribute, ast.Subscript)):
        target = target.value
    return isinstance(target, ast.Name) and target.id == name


def _own_suites(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists of a compound statement (body first, then orelse), not of nested
    scopes."""
    if isinstance(stmt, _DEFINITIONS):
        return []
    suites = [getattr(stmt, name, None) for name in ("body", "orelse")]
    suites += [handler.body for handler in getattr(stmt, "handlers", ())]
    suites.append(getattr(stmt, "finalbody", None))
    suites += [case.body for case in getattr(stmt, "cases", ())]
    return [suite for suite in suites if suite and isinstance(suite, list)]


# --- PAR101/PAR102 candidates: what analysis.dependence can make a group or a loop of ----------

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, *_COMPREHENSIONS)
_STATEMENT_LOOPS = (ast.For, ast.AsyncFor, ast.While)
# What makes a statement a barrier wherever it lies in it (dependence.classify).
_LEAVES = (
    ast.Await, ast.AsyncWith, ast.AsyncFor, ast.Return, ast.Raise, ast.Assert, ast.Yield,
    ast.YieldFrom,
)
# What leaves a loop's body early wherever it lies in it (facts.exits; `break` is one only
# outside the body's own loops).
_EXITS = (ast.Return, ast.Raise, ast.Assert, ast.Yield, ast.YieldFrom)


def may_group_or_loop(
    fn: ast.AsyncFunctionDef, loops: bool = True, words: WordLines | None = None
) -> bool:
    """Whether the analysis of `fn` (analysis.dependence) may hold an `AwaitGroup` (PAR101) or a
    `LoopAnalysis` with independent iterations (PAR102): a necessary condition, from what the
    analysis builds them of.

    - A `LoopAnalysis` comes of a (synchronous) `for` statement whose body awaits anywhere
      outside nested scopes (`block()` -> `loop()`: the body's facts hold an await), or of a
      comprehension that awaits (`comprehension()`). A `for` statement whose body may leave
      early (`return`, `raise`, `assert`, `yield`, or a `break` of this loop: facts.exits,
      `_loop_exits`) always has a reason and is never independent. So: a comprehension that
      awaits, or a `for` whose body awaits and cannot leave early (`_awaiting_loop`).
    - An `AwaitGroup` holds two *sites* of one suite at the same stage: statements of one
      suite's own list that are `await ...`, `x = await ...`, `x: T = await ...` or
      `return await ...` (`_single_await`; Python's tree splits `a; b` and one-line suites
      into statements where libcst has one line, which only finds more sites). A site whose
      call is a method named as an effect (`await client.delete(k)`: `kind_of_name`, not an
      offloading call nor `run_process`, whose command may make it a read) or that awaits no
      call (`await task`) is a barrier of the analysis (`make_site` gives it one), never a
      member (`_barrier_site`). A later site that mentions a name an earlier site assigns (as
      a plain name target) reads or writes a path rooted at that name, which overlaps the
      earlier site's write: the analysis puts it at a later stage (`_levels`), so the two are
      never grouped. Mentions inside lambdas, comprehensions (their own scopes: the facts
      leave out what they bind) and annotations (the facts do not read them) are left out,
      which again only finds more pairs. Dependence is transitive (a stage is one more than
      the latest it depends on), so: two sites of one suite, the later one not depending on
      the earlier one directly or through the sites in between. And a group lies within one
      segment of its suite: a statement that surely is a barrier (`_barrier`) ends the
      segment.

    `loops=False`: the caller knows the function spells no `for` (so holds no loop). `words`:
    where the keywords lie in the file (`WordLines`), so that statements without them are
    passed over without a walk.
    """
    return any(_independent_pair(suite, words) for suite in _suites(fn.body)) or (
        loops and _awaits_in_a_loop(fn.body, words)
    )


class WordLines:
    """For a file's text, whether some statement's lines hold one of the keywords a candidate
    test looks for (as whole words, wherever they are: in strings and comments too, which only
    sends the statement to the exact test)."""

    def __init__(self, scan: _Scan) -> None:
        self._scan = scan
        self._counts: dict[tuple[str, ...], list[int]] = {}

    def any_in(self, words: tuple[str, ...], node: ast.AST) -> bool:
        first = getattr(node, "lineno", None)
        if first is None:
            return True  # a `case` clause: no position of its own
        return self.any_between(words, first, getattr(node, "end_lineno", None) or first)

    def any_between(self, words: tuple[str, ...], first: int, last: int) -> bool:
        """Whether one of `words` lies on lines `first` to `last`."""
        counts = self._counts.get(words)
        if counts is None:
            marks = bytearray(len(self._scan.lines) + 2)
            for word in words:
                for start, _ in _whole_words(self._scan.source, word):
                    marks[self._scan.line_of(start)] = 1
            counts = self._counts[words] = list(accumulate(marks))
        return counts[min(last, len(counts) - 1)] > counts[first - 1]


# The words of what makes a statement a barrier (`_LEAVES`, `break`, `continue`, `async for`,
# `async with`, `async` comprehensions), of awaits, and of loops.
_BARRIER_WORDS = ("await", "async", "return", "raise", "assert", "yield", "break", "continue")
_AWAIT_WORDS = ("await",)
_DEF_WORDS = ("def",)
_FOR_WORDS = ("for",)


def _awaits_in_a_loop(body: list[ast.stmt], words: WordLines | None = None) -> bool:
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue  # its awaits and loops are its own (awaiting decorators make no loop)
        if words is not None and isinstance(node, ast.stmt) and not (
            words.any_in(_AWAIT_WORDS, node) and words.any_in(_FOR_WORDS, node)
        ):
            continue  # no await, or no loop, in it
        if isinstance(node, _COMPREHENSIONS):
            if _awaits(node):
                return True
        elif isinstance(node, ast.For) and _awaiting_loop(node, words):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _awaiting_loop(loop: ast.For, words: WordLines | None) -> bool:
    """A `for` statement whose body awaits and cannot leave the loop early."""
    body = [stmt for stmt in loop.body if words is None or words.any_in(_AWAIT_WORDS, stmt)]
    if not any(_awaits(stmt) for stmt in body):
        return False
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in loop.body]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, _EXITS) or (isinstance(node, ast.Break) and not in_loop):
            return False
        inner = in_loop or isinstance(node, _STATEMENT_LOOPS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return True


def _awaits(node: ast.AST) -> bool:
    """An await in `node`, outside nested scopes."""
    stack = [] if isinstance(node, _NESTED_SCOPES) else [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Await):
            return True
        stack.extend(
            child for child in ast.iter_child_nodes(current)
            if not isinstance(child, _NESTED_SCOPES)
        )
    return False


def _suites(body: list[ast.stmt]) -> Iterable[list[ast.stmt]]:
    """Every statement list of the function, nested scopes left out."""
    stack = [body]
    while stack:
        suite = stack.pop()
        yield suite
        for stmt in suite:
            if isinstance(stmt, _NESTED_SCOPES):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if inner and isinstance(inner, list):
                    stack.append(inner)
            stack.extend(handler.body for handler in getattr(stmt, "handlers", ()))
            stack.extend(case.body for case in getattr(stmt, "cases", ()))


def _site(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Expr, ast.Assign, ast.Return, ast.AnnAssign)):
        return isinstance(stmt.value, ast.Await)
    return False


def _barrier_site(stmt: ast.stmt) -> bool:
    """A site (`_site`) the analysis surely makes a barrier: it awaits no call (`await task`),
    or a method whose name says it has effects (`make_site`: framework, ordered and pacing
    calls are barriers too, and so is any other call `call_kind` finds effectful; an offloading
    call is judged by what it offloads, `run_process` by its command), or a method whose name
    says neither that is not a service query (`classify`: its result not assigned, or a name of
    more than one word). A plain name called may be an alias of a method (`req =
    self.http.get`), judged by that method: not decided here."""
    awaited = stmt.value.value  # type: ignore[attr-defined]
    if not isinstance(awaited, ast.Call):
        return True
    if not isinstance(awaited.func, ast.Attribute):
        return False
    method = awaited.func.attr
    if method in OFFLOAD_CALLS or method == "run_process":
        return False
    kind = kind_of_name(method)
    if kind is CallKind.UNKNOWN:
        # Neither a read nor a write by its name: `classify` moves it only as a query of a
        # service (`_service_query`: its result assigned, a name of one word).
        return not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or len(name_words(method)) != 1
    return kind is CallKind.EFFECTFUL


def _independent_pair(suite: list[ast.stmt], words: WordLines | None = None) -> bool:
    def site(stmt: ast.stmt) -> bool:
        return _site(stmt) and not _barrier_site(stmt)

    def barrier(stmt: ast.stmt) -> bool:
        if _site(stmt):
            return True  # (a site, or a barrier site: `site` has judged it)
        if words is not None and not words.any_in(_BARRIER_WORDS, stmt):
            return False  # none of the words of what makes a barrier
        return _barrier(stmt)

    return any_segment(suite, site, barrier, _independent_in_segment)


def any_segment(
    statements: Sequence[T], is_site: Callable[[T], bool], is_barrier: Callable[[T], bool],
    test: Callable[[list[T]], bool],
) -> bool:
    """Whether `test` holds for the sites of some segment of a suite (barriers end one)."""
    segment: list[T] = []
    for stmt in statements:
        if is_site(stmt):
            segment.append(stmt)
        elif is_barrier(stmt):
            if test(segment):
                return True
            segment = []
    return test(segment)


def _barrier(stmt: ast.stmt) -> bool:
    """Whether a statement that is no site is surely a barrier of `classify`: it awaits or holds
    an `async for`/`async with` (multiple awaits, control flow), or may leave the function or
    its loop (`return`, `raise`, `assert`, `yield`, or `break`/`continue` outside its own
    loops: early exit). Nested scopes are their own."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, _LEAVES) or (isinstance(node, ast.comprehension) and node.is_async):
            return True
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return True
        inner = in_loop or isinstance(node, _STATEMENT_LOOPS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False


def _independent_in_segment(suite: list[ast.stmt]) -> bool:
    sites = suite
    if len(sites) < 2:
        return False
    assigned = [_assigned(stmt) for stmt in sites]
    mentioned = [_mentions(stmt) for stmt in sites]
    return some_site_independent(
        len(sites), lambda later, earlier: bool(assigned[earlier] & mentioned[later])
    )


def some_site_independent(count: int, reads_from: Callable[[int, int], bool]) -> bool:
    """Whether, of `count` sites in order, some site depends neither directly nor through the
    sites in between on some earlier one (then the two may share a stage). `reads_from(later,
    earlier)`: whether the later site reads or writes what the earlier one writes."""
    depends: list[set[int]] = []  # the earlier sites each one depends on, transitively
    for index in range(count):
        found: set[int] = set()
        for earlier in range(index - 1, -1, -1):
            if earlier not in found and reads_from(index, earlier):
                found.add(earlier)
                found |= depends[earlier]
        if len(found) < index:
            return True
        depends.append(found)
    return False


def _assigned(stmt: ast.stmt) -> set[str]:
    """The plain names an `Assign`/`AnnAssign` binds (through tuples, lists and stars)."""
    targets = list(stmt.targets) if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return names


def _mentions(stmt: ast.stmt) -> set[str]:
    """Every plain name in the statement, outside nested scopes, comprehensions and
    annotations."""
    names: set[str] = set()
    stack: list[ast.AST] = [stmt.target, stmt.value] if isinstance(stmt, ast.AnnAssign) else [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(node, (*_NESTED_SCOPES, *_COMPREHENSIONS)):
            stack.extend(ast.iter_child_nodes(node))
    return names


def _awaited_methods(fn: ast.AST) -> dict[str | None, set[str]]:
    """Receiver path (as analysis.names.access_path spells it, `x.y`, `d[]`) -> the methods
    awaited on it anywhere in `fn`; under None, the methods of aliases (`req = x.m`, awaited
    as `req()`: the analysis judges the method) and of receivers that are no path."""
    found: dict[str | None, set[str]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call) and isinstance(
            node.value.func, ast.Attribute
        ):
            func = node.value.func
            found.setdefault(_access_path(func.value), set()).add(func.attr)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
            found.setdefault(None, set()).add(node.value.attr)
    return found


def _access_path(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _access_path(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    if isinstance(node, ast.Subscript):
        inner = _access_path(node.value)
        return None if inner is None else f"{inner}[]"
    return None


def _names_class(scan: _Scan, cls: str, text: str, owner: tuple[int, int] | None) -> bool:
    """Whether a function's text, or its own class's (`owner`: its lines), names `cls`."""
    if re.search(rf"(?<![\w.]){re.escape(cls)}(?!\w)", text):
        return True
    return owner is not None and any(owner[0] <= line <= owner[1] for line in scan.mentions(cls))


@functools.lru_cache(maxsize=64)
def _method_call_pattern(receivers: frozenset[str]) -> re.Pattern[str]:
    """`self.<name>(` (a call) and `= self.<name>` (an alias the analysis resolves calls
    through), for every receiver name."""
    alternatives = "|".join(map(re.escape, sorted(receivers)))
    dot = r"(?:\s|\\)*\.(?:\s|\\)*"
    return re.compile(
        rf"\b(?:{alternatives}){dot}([^\W\d]\w*)(?={_GAP}\()"
        rf"|=(?:\s|\\)*(?:{alternatives}){dot}([^\W\d]\w*)"
    )


@functools.lru_cache(maxsize=64)
def _attribute_pattern(receivers: frozenset[str]) -> re.Pattern[str]:
    """`self.<name>` for every receiver name (almost always `self` and `cls`)."""
    alternatives = "|".join(map(re.escape, sorted(receivers)))
    return re.compile(rf"\b(?:{alternatives})[\s\\]*\.[\s\\]*([^\W\d]\w*)")


def _first_param(d: _Def) -> str | None:
    """The name a method calls its instance or class by (None for functions and staticmethods)."""
    if d.method_of is None:
        return None
    for decorator in d.node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return None
        if isinstance(decorator, ast.Attribute) and decorator.attr == "staticmethod":
            return None
    args = d.node.args
    params = [*args.posonlyargs, *args.args]
    return params[0].arg if params else None
