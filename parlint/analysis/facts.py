"""Reads, writes, awaits, calls and exits of one statement (or expression), syntax only.

`statement_facts(stmt)` walks a statement of an async function without entering nested scopes
as code of its own: a nested `def`/`lambda`/`class` contributes the names it reads (it may run
later, so they count as reads) and the names it declares `global`/`nonlocal` (writes); its
awaits and exits are its own. Comprehensions are scopes too: their targets are local to them,
but an assignment expression inside binds in the enclosing scope, and their awaits belong to
the enclosing (async) function.

Paths are the strings of `names.access_path`: `x`, `self.x`, `d[]`. Two paths overlap when one
is the other or a prefix of it at a `.`/`[` boundary (`self` and `self.x`, `d` and `d[]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import libcst as cst

from parlint.analysis.names import access_path, path_root
from parlint.analysis.walk import COMPREHENSION_TYPES, children

# Methods that mutate their receiver (`items.append(x)` writes `items`).
MUTATING_METHODS = frozenset(
    """append extend insert add update setdefault pop popitem remove discard clear sort reverse
    appendleft extendleft popleft rotate put_nowait get_nowait add_done_callback write writelines
    set_result set_exception cancel send_nowait __setitem__ __delitem__ difference_update
    intersection_update symmetric_difference_update""".split()
)
# Methods that only read their receiver (no write recorded for them).
PURE_METHODS = frozenset(
    """get keys values items copy format startswith endswith split rsplit join strip lstrip
    rstrip lower upper encode decode replace count index find rfind isdigit isalpha isalnum
    splitlines partition rpartition casefold title capitalize zfill center ljust rjust
    hex isoformat strftime timestamp date time total_seconds to_dict dict model_dump json
    __contains__ __len__ __getitem__ is_set done result exception cancelled locked empty full
    qsize issubset issuperset union intersection difference symmetric_difference""".split()
)
# Accumulating mutations: the loop analysis allows them on a collector.
ACCUMULATING_METHODS = frozenset("append extend add update insert appendleft setdefault".split())


def overlaps(a: str, b: str) -> bool:
    """Whether two access paths may denote overlapping data."""
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short) and long[len(short)] in ".["


@dataclass
class Exit:
    kind: str  # "return", "raise", "break", "continue", "yield"
    node: cst.CSTNode
    loop_depth: int  # loops inside the walked statement enclosing it (break/continue)
    in_handler: bool  # inside an `except` handler of the walked statement


@dataclass
class CallSite:
    call: cst.Call
    awaited: bool
    receiver: str | None  # access path of the receiver of a method call


@dataclass
class Facts:
    """What one statement reads, writes, awaits, calls and how it may leave."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    # Writes that rebind a whole name (`x = ...`, `for x in`, `with ... as x`).
    binds: set[str] = field(default_factory=set)
    # Paths mutated only through accumulating methods / item stores (`out.append`, `d[k] = v`).
    accumulates: set[str] = field(default_factory=set)
    augmented: set[str] = field(default_factory=set)
    awaits: list[cst.Await] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    declared_global: set[str] = field(default_factory=set)
    async_constructs: list[cst.CSTNode] = field(default_factory=list)  # async with / async for

    def merge(self, other: Facts) -> None:
        self.reads |= other.reads
        self.writes |= other.writes
        self.binds |= other.binds
        self.accumulates |= other.accumulates
        self.augmented |= other.augmented
        self.awaits += other.awaits
        self.calls += other.calls
        self.exits += other.exits
        self.declared_global |= other.declared_global
        self.async_constructs += other.async_constructs


_LITERAL_TYPES = frozenset((cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis))


class _Walker:
    def __init__(self, facts: Facts) -> None:
        self.f = facts
        self.loop_depth = 0
        self.in_handler = 0

    # --- expressions ---------------------------------------------------------------------

    def expr(self, node: cst.CSTNode | None, awaited: bool = False) -> None:
        if node is None:
            return
        f = self.f
        # Exact types: libcst's node classes are ABCs, and an `isinstance` miss costs a
        # Python-level check; every class tested here is concrete and never subclassed.
        kind = type(node)
        if kind is cst.Name:
            f.reads.add(node.value)  # type: ignore[attr-defined]
        elif kind is cst.Attribute or kind is cst.Subscript:
            path = access_path(node)
            if path is not None:
                f.reads.add(path)
                self._subscript_indices(node)
            elif kind is cst.Attribute:
                self.expr(node.value)  # type: ignore[attr-defined]
            else:
                self.expr(node.value)  # type: ignore[attr-defined]
                self._slices(node)  # type: ignore[arg-type]
        elif kind is cst.Call:
            self.call(node, awaited)  # type: ignore[arg-type]
        elif kind is cst.Await:
            f.awaits.append(node)  # type: ignore[arg-type]
            self.expr(node.expression, awaited=True)  # type: ignore[attr-defined]
        elif kind is cst.NamedExpr:
            self.target(node.target)  # type: ignore[attr-defined]
            self.expr(node.value)  # type: ignore[attr-defined]
        elif kind is cst.Lambda:
            self.nested_scope(node)
        elif kind in COMPREHENSION_TYPES:
            self.comprehension(node)
        elif kind is cst.Yield:
            f.exits.append(Exit("yield", node, self.loop_depth, bool(self.in_handler)))
            if node.value is not None:  # type: ignore[attr-defined]
                self.expr(node.value)  # type: ignore[attr-defined]
        elif kind in _LITERAL_TYPES:
            return
        else:
            for child in children(node):
                self.expr(child)

    def _subscript_indices(self, node: cst.CSTNode) -> None:
        kind = type(node)
        while kind is cst.Attribute or kind is cst.Subscript:
            if kind is cst.Subscript:
                self._slices(node)  # type: ignore[arg-type]
            node = node.value  # type: ignore[attr-defined]
            kind = type(node)

    def _slices(self, node: cst.Subscript) -> None:
        for element in node.slice:
            self.expr(element.slice)

    def call(self, node: cst.Call, awaited: bool) -> None:
        f = self.f
        func = node.func
        receiver = None
        if isinstance(func, cst.Attribute):
            receiver = access_path(func.value)
            if receiver is not None:
                self._subscript_indices(func.value)
                method = func.attr.value
                if not awaited and method in MUTATING_METHODS:
                    # A read-modify-write; the write alone decides every conflict, and leaving
                    # out the read lets the loop analysis tell a pure collector (`out.append`).
                    f.writes.add(receiver)
                    if method in ACCUMULATING_METHODS:
                        f.accumulates.add(receiver)
                else:
                    f.reads.add(receiver)
            else:
                self.expr(func.value)
        else:
            self.expr(func)
            if isinstance(func, cst.Name) and func.value in ("setattr", "delattr") and node.args:
                target = access_path(node.args[0].value)
                if target is not None:
                    f.writes.add(target)  # `setattr(self, k, v)` may write any attribute
        f.calls.append(CallSite(node, awaited, receiver))
        for arg in node.args:
            self.expr(arg.value)

    def nested_scope(self, node: cst.CSTNode) -> None:
        """A lambda/def/class body: its reads count (conservatively, all of them); its own
        awaits, calls and exits do not; `global`/`nonlocal` names it assigns are writes."""
        inner = Facts()
        walker = _Walker(inner)
        if isinstance(node, cst.Lambda):
            walker.expr(node.body)
            params = _param_names(node.params)
        else:
            walker.suite(node.body)  # type: ignore[attr-defined]
            params = _param_names(node.params) if isinstance(node, cst.FunctionDef) else set()
        declared = inner.declared_global
        local = (inner.binds | params) - declared
        self.f.reads |= {p for p in inner.reads if path_root(p) not in local}
        # Assignments to declared names, and mutation of enclosing objects (`out.append(x)`
        # in a callback), are writes of the enclosing scope.
        self.f.writes |= {w for w in inner.writes if path_root(w) not in local}

    def comprehension(self, node: cst.CSTNode) -> None:
        inner = Facts()
        walker = _Walker(inner)
        walker.loop_depth = self.loop_depth
        local: set[str] = set()
        comp_for = node.for_in  # type: ignore[attr-defined]
        first = True
        while comp_for is not None:
            # The first iterable is evaluated in the enclosing scope.
            if first:
                self.expr(comp_for.iter)
                first = False
            else:
                walker.expr(comp_for.iter)
            if comp_for.asynchronous is not None:
                self.f.async_constructs.append(node)
            tmp = Facts()
            _Walker(tmp).target(comp_for.target)
            local |= tmp.binds | tmp.writes
            for cond in comp_for.ifs:
                walker.expr(cond.test)
            comp_for = comp_for.inner_for_in
        if isinstance(node, cst.DictComp):
            walker.expr(node.key)
            walker.expr(node.value)
        else:
            walker.expr(node.elt)  # type: ignore[attr-defined]
        keep = lambda p: path_root(p) not in local  # noqa: E731
        self.f.reads |= {p for p in inner.reads if keep(p)}
        # Only assignment expressions (and mutations of outer objects) escape.
        self.f.writes |= {p for p in inner.writes if keep(p)}
        self.f.binds |= {p for p in inner.binds if keep(p)}
        self.f.accumulates |= {p for p in inner.accumulates if keep(p)}
        self.f.awaits += inner.awaits
        self.f.calls += inner.calls
        self.f.exits += inner.exits

    # --- targets -------------------------------------------------------------------------

    def target(self, node: cst.CSTNode, accumulate: bool = False) -> None:
        f = self.f
        if isinstance(node, cst.Name):
            f.writes.add(node.value)
            f.binds.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self.target(element.value)
        elif isinstance(node, cst.StarredElement):
            self.target(node.value)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            path = access_path(node)
            if path is None:
                self.expr(node.value)
                if isinstance(node, cst.Subscript):
                    self._slices(node)
                return
            f.writes.add(path)
            if isinstance(node, cst.Subscript):
                # `d[k] = v` stores an item: an accumulation into `d`.
                base = access_path(node.value)
                if base is not None:
                    f.accumulates.add(base)
                    f.writes.add(base)
            # The object written into is read first (`a.b.c = 1` reads `a.b`), and indices are.
            self._subscript_indices(node)
        else:
            self.expr(node)

    # --- statements ----------------------------------------------------------------------

    def suite(self, suite: cst.BaseSuite | None) -> None:
        if suite is None:
            return
        if isinstance(suite, cst.IndentedBlock):
            for stmt in suite.body:
                self.statement(stmt)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small(small)

    def statement(self, stmt: cst.CSTNode) -> None:
        f = self.f
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
        elif isinstance(stmt, cst.If):
            self.expr(stmt.test)
            self.suite(stmt.body)
            if stmt.orelse is not None:
                if isinstance(stmt.orelse, cst.If):
                    self.statement(stmt.orelse)
                else:
                    self.suite(stmt.orelse.body)
        elif isinstance(stmt, (cst.For, cst.While)):
            if isinstance(stmt, cst.For):
                self.expr(stmt.iter)
                self.target(stmt.target)
                if stmt.asynchronous is not None:
                    f.async_constructs.append(stmt)
            else:
                self.expr(stmt.test)
            self.loop_depth += 1
            self.suite(stmt.body)
            self.loop_depth -= 1
            if stmt.orelse is not None:
                self.suite(stmt.orelse.body)
        elif isinstance(stmt, cst.With):
            if stmt.asynchronous is not None:
                f.async_constructs.append(stmt)
            for item in stmt.items:
                self.expr(item.item)
                if item.asname is not None:
                    self.target(item.asname.name)
            self.suite(stmt.body)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self.suite(stmt.body)
            for handler in stmt.handlers:
                self.expr(handler.type)
                if handler.name is not None:
                    self.target(handler.name.name)
                self.in_handler += 1
                self.suite(handler.body)
                self.in_handler -= 1
            if stmt.orelse is not None:
                self.suite(stmt.orelse.body)
            if stmt.finalbody is not None:
                self.suite(stmt.finalbody.body)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            for decorator in stmt.decorators:
                self.expr(decorator.decorator)
            if isinstance(stmt, cst.FunctionDef):
                for param in _all_params(stmt.params):
                    self.expr(param.default)
            else:
                for arg in stmt.bases:
                    self.expr(arg.value)
            f.writes.add(stmt.name.value)
            f.binds.add(stmt.name.value)
            self.nested_scope(stmt)
        elif isinstance(stmt, cst.Match):
            self.expr(stmt.subject)
            for case in stmt.cases:
                self.expr(case.pattern)
                self.expr(case.guard)
                self.suite(case.body)
        else:
            for child in children(stmt):
                self.expr(child)

    def small(self, small: cst.CSTNode) -> None:
        f = self.f
        if isinstance(small, cst.Assign):
            self.expr(small.value)
            for target in small.targets:
                self.target(target.target)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.expr(small.value)
                self.target(small.target)
        elif isinstance(small, cst.AugAssign):
            self.expr(small.value)
            path = access_path(small.target)
            if path is not None:
                f.reads.add(path)
                f.augmented.add(path)
            self.target(small.target)
            f.binds.discard(path or "")
        elif isinstance(small, cst.Expr):
            self.expr(small.value)
        elif isinstance(small, cst.Return):
            self.expr(small.value)
            f.exits.append(Exit("return", small, self.loop_depth, bool(self.in_handler)))
        elif isinstance(small, cst.Raise):
            self.expr(small.exc)
            self.expr(small.cause)
            f.exits.append(Exit("raise", small, self.loop_depth, bool(self.in_handler)))
        elif isinstance(small, (cst.Break, cst.Continue)):
            kind = "break" if isinstance(small, cst.Break) else "continue"
            f.exits.append(Exit(kind, small, self.loop_depth, bool(self.in_handler)))
        elif isinstance(small, cst.Del):
            self._delete(small.target)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            for item in small.names:
                f.declared_global.add(item.name.value)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                if alias.asname is not None:
                    self.target(alias.asname.name)
                else:
                    head = access_path(alias.name)
                    if head:
                        f.writes.add(path_root(head))
                        f.binds.add(path_root(head))
        elif isinstance(small, cst.ImportFrom):
            if not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    self.target(alias.asname.name if alias.asname else alias.name)
        elif isinstance(small, cst.Assert):
            self.expr(small.test)
            self.expr(small.msg)
            f.exits.append(Exit("raise", small, self.loop_depth, bool(self.in_handler)))
        elif isinstance(small, cst.Pass):
            return
        else:
            for child in children(small):
                self.expr(child)

    def _delete(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self._delete(element.value)
            return
        path = access_path(node)
        if path is None:
            self.expr(node)
            return
        self.f.writes.add(path)
        if isinstance(node, cst.Subscript):
            base = access_path(node.value)
            if base is not None:
                self.f.writes.add(base)
            self._subscript_indices(node)


def reads_besides(node: cst.CSTNode, path: str, skip: Callable[[cst.Call], bool]) -> bool:
    """Whether `node` reads `path` itself (as the walk records reads) anywhere but as the
    receiver of the calls `skip` accepts: as a value, an argument, or the receiver of another
    call (`self.a(self)`, `self.b()`); not as the start of a longer path (`self.x`), nor as an
    attribute's name."""
    stack: list[tuple[cst.CSTNode, bool]] = [(node, True)]
    while stack:
        current, counts = stack.pop()
        kind = type(current)
        if kind is cst.Name or kind is cst.Attribute or kind is cst.Subscript:
            if access_path(current) == path:
                if counts:
                    return True
                continue
        if kind is cst.Call:
            func = current.func  # type: ignore[attr-defined]
            for child in children(current):
                if child is func and type(func) is cst.Attribute:
                    # The receiver of a method call is read as a whole (unless skipped; its
                    # indices are read anyway).
                    stack.append((func.value, not skip(current)))  # type: ignore[arg-type]
                    continue
                stack.append((child, True))
        elif kind is cst.Attribute:
            # `a.b.c`: the walk reads the longest path, not `a.b` (unless there is none).
            stack.append((current.value, access_path(current) is None))  # type: ignore[attr-defined]
        elif kind is cst.Subscript:
            stack.append((current.value, access_path(current) is None))  # type: ignore[attr-defined]
            stack.extend((element, True) for element in current.slice)  # type: ignore[attr-defined]
        else:
            stack.extend((child, True) for child in children(current))
    return False


def _all_params(params: cst.Parameters) -> Iterable[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _param_names(params: cst.Parameters) -> set[str]:
    return {p.name.value for p in _all_params(params)}


def param_names(params: cst.Parameters) -> set[str]:
    return _param_names(params)


def all_params(params: cst.Parameters) -> Iterable[cst.Param]:
    return _all_params(params)


def statement_facts(stmt: cst.CSTNode) -> Facts:
    """Facts of one statement (simple or compound)."""
    facts = Facts()
    _Walker(facts).statement(stmt)
    return facts


def expression_facts(expr: cst.CSTNode) -> Facts:
    facts = Facts()
    _Walker(facts).expr(expr)
    return facts


def suite_facts(suite: cst.BaseSuite) -> Facts:
    facts = Facts()
    _Walker(facts).suite(suite)
    return facts


def body_statements(suite: cst.BaseSuite | None) -> tuple[cst.CSTNode, ...]:
    """The statements of a suite (a one-line suite gives one SimpleStatementLine)."""
    if suite is None:
        return ()
    if isinstance(suite, cst.IndentedBlock):
        return tuple(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return ()  # one-line suites (`if x: await f()`) are never grouped
    return ()
