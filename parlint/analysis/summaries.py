"""Module facts shared by every async function: imports, globals, receiver types, and
summaries of the functions and methods defined in the module (state behind calls).

A `Summary` says which `self.*` attributes and module globals a function reads and writes,
which serial resources it goes through, and whether it performs an effectful or ordered
operation, transitively over calls to other functions/methods of the same module (to a
fixpoint). A call on `self` to a method the module does not define touches all of `self`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

import libcst as cst

from parlint.analysis.effects import CallKind, EffectPatterns, kind_of_name, receiver_name
from parlint.analysis.facts import Facts, all_params, reads_besides, suite_facts
from parlint.analysis.names import (
    ImportTable,
    access_path,
    dotted_name,
    import_table,
    method_name,
    path_root,
    qualified_name,
)
from parlint.analysis.project import Project

FRAMEWORK_PREFIXES = ("asyncio.", "trio.", "anyio.")
# Calls that run their first callable argument elsewhere: classify by that argument.
OFFLOAD_CALLS = frozenset(
    """asyncio.to_thread trio.to_thread.run_sync anyio.to_thread.run_sync run_in_executor
    async_add_executor_job to_thread run_sync sync_to_async""".split()
)


@dataclass(frozen=True)
class Summary:
    reads: frozenset[str] = frozenset()  # paths rooted at "self" or at module globals
    writes: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()  # serial receivers used (self-rooted / global)
    effect: str | None = None  # what makes it effectful/ordered, e.g. "`self.ws.send`"
    touches_self: bool = False  # calls a method of self the module does not define
    # What its own body writes through a parameter other than `self`: (parameter, path below
    # it), `("client", ".cache[]")` for `client.cache[key] = value`.
    param_writes: frozenset[tuple[str, str]] = frozenset()


def type_name(node: cst.CSTNode | None, imports: ImportTable) -> str | None:
    """The qualified type an annotation or constructing expression names."""
    if node is None:
        return None
    if isinstance(node, cst.Annotation):
        node = node.annotation
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Call):
        # Only constructors we can name: an imported callable (`aiohttp.ClientSession(...)`,
        # `asyncpg.connect(...)`) or a class by its capitalised name; `self.pool.acquire()`
        # says nothing about a type.
        name = dotted_name(node.func)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        if head in imports.bindings or name.rsplit(".", 1)[-1][:1].isupper():
            return imports.resolve(name)
        return None
    if isinstance(node, cst.SimpleString):
        try:
            inner = cst.parse_expression(node.evaluated_value)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a string annotation that is not an expression
            return None
        return type_name(inner, imports)
    if isinstance(node, cst.Subscript):
        base = qualified_name(node.value, imports) or ""
        if base.rsplit(".", 1)[-1] in ("Optional", "Annotated") and node.slice:
            element = node.slice[0].slice
            if isinstance(element, cst.Index):
                return type_name(element.value, imports)
        return base or None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left = type_name(node.left, imports)
        if left and left != "None":
            return left
        return type_name(node.right, imports)
    return qualified_name(node, imports)


@dataclass
class FunctionInfo:
    key: str  # "name" or "Class.name"
    node: cst.FunctionDef
    class_name: str | None
    self_name: str | None  # first parameter of a method (not for staticmethods)


@dataclass
class ModuleContext:
    """Everything the per-function analysis needs to know about the module."""

    module: cst.Module
    imports: ImportTable
    patterns: EffectPatterns
    globals: set[str] = field(default_factory=set)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    class_types: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> attr -> type
    summaries: Mapping[str, Summary] = field(default_factory=dict)  # `Summaries`, lazy
    by_node: dict[int, FunctionInfo] = field(default_factory=dict)
    # Functions nested in a method -> that method (their free `self` is the method's).
    enclosing: dict[int, FunctionInfo] = field(default_factory=dict)
    # The project tree around the file (`project.Project`): facts of the modules it imports.
    project: Project | None = None

    @property
    def framework(self) -> str | None:
        return self.imports.framework

    def summary_for_call(
        self, call: cst.Call, self_name: str | None, class_name: str | None
    ) -> tuple[Summary | None, bool]:
        """The summary of a call to a same-module function/method, and whether the call is a
        call on `self` (so that a missing summary means "touches all of self")."""
        func = call.func
        if isinstance(func, cst.Name):
            info = self.functions.get(func.value)
            return (self.summaries.get(info.key) if info else None), False
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and self_name is not None
            and func.value.value == self_name
        ):
            key = f"{class_name}.{func.attr.value}"
            return self.summaries.get(key), True
        return None, False

    def project_effects(
        self, call: cst.Call, imports: ImportTable, self_name: str | None = None,
        class_name: str | None = None, other_modules: bool = True,
    ) -> tuple[frozenset[str], frozenset[str]]:
        """What a call of a project function reads and writes beyond its frame, in the
        caller's terms (`project.Project.call_effects`), read from the files on disk: writes
        through its arguments (`types.Message._parse(client, m)` storing into
        `client.message_cache`) and the class or module state it touches, for a function of
        another module or a class's method (`Sticker._parse`). For a function of this module
        or a method of `self`, what its summary says its own body writes through its
        parameters (its `self` and global paths are the summary's, applied by the caller).
        Empty when unknown: nothing is assumed of a call the project cannot show. Without
        `other_modules` only this module's summaries answer (for synchronous calls, which are
        many: `dt_util.utcnow()` would read the project's modules for little)."""
        dotted = dotted_name(call.func)
        if dotted is None:
            return NOTHING
        head = dotted.split(".", 1)[0]
        info = self.functions.get(dotted) if "." not in dotted else self.functions.get(
            f"{class_name}.{dotted[len(head) + 1:]}") if head == self_name else None
        if info is not None:
            # A function of this module, or a method of `self`: its summary's writes through
            # its parameters (`self` and globals are the summary's own paths).
            through = self.summaries[info.key].param_writes
            if not through:
                return NOTHING
            args, keywords = _argument_paths(call)
            params = [p.name.value for p in all_params(info.node.params)]
            if info.self_name is not None and head == self_name:
                params = params[1:]
            by_name = dict(zip(params, args)) | dict(keywords)
            return frozenset(), frozenset(
                by_name[p] + rest for p, rest in through if by_name.get(p))
        if self.project is None or not other_modules:
            return NOTHING
        if head in imports.bindings:
            qualified, imported = imports.resolve(dotted), True
        elif "." in dotted and head in self.class_types:
            qualified, imported = dotted, False  # `Cls.method(...)` of this module
        else:
            return NOTHING
        args, keywords = _argument_paths(call)
        receiver = access_path(call.func.value) if isinstance(call.func, cst.Attribute) else None
        found = self.project.call_effects(qualified, imported, args, keywords, receiver)
        return found if found is not None else NOTHING

    def receiver_type(
        self, path: str, local_types: dict[str, str], self_name: str | None,
        class_name: str | None,
    ) -> str | None:
        if path in local_types:
            return local_types[path]
        if self_name and class_name and path.startswith(self_name + "."):
            attr = path[len(self_name) + 1:]
            return self.class_types.get(class_name, {}).get(attr)
        return None

    def receiver_class(
        self, path: str | None, local_types: dict[str, str], self_name: str | None,
        class_name: str | None,
    ) -> str | None:
        """"serial", "safe" or None for the receiver at `path`."""
        if not path:
            return None
        type_ = self.receiver_type(path, local_types, self_name, class_name)
        name = receiver_name(path)
        if name == self_name or name == "self" or name == "cls":
            name = None
        return self.patterns.receiver_class(name, type_)


NOTHING: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


def _argument_paths(
    call: cst.Call,
) -> tuple[tuple[str | None, ...], tuple[tuple[str, str | None], ...]]:
    """The access paths a call passes (None: not a path), positionally up to a `*args`, and
    by keyword."""
    args: list[str | None] = []
    keywords: list[tuple[str, str | None]] = []
    starred = False
    for arg in call.args:
        if arg.keyword is not None:
            keywords.append((arg.keyword.value, access_path(arg.value)))
        elif arg.star or starred:
            starred = True  # the positions after `*args` are unknown
        else:
            args.append(access_path(arg.value))
    return tuple(args), tuple(keywords)


def call_kind(call: cst.Call, imports: ImportTable) -> tuple[CallKind, str | None]:
    """Kind of a call by name; offloading calls (`asyncio.to_thread(f, ...)`) by `f`."""
    qualified = qualified_name(call.func, imports)
    method = method_name(call)
    if (qualified in OFFLOAD_CALLS or method in OFFLOAD_CALLS) and call.args:
        for arg in call.args:
            inner = arg.value
            name = dotted_name(inner)
            if name is not None and name != "None":
                return kind_of_name(name.rsplit(".", 1)[-1]), qualified
        return CallKind.UNKNOWN, qualified
    return kind_of_name(method), qualified


def local_types(fn: cst.FunctionDef, facts: Facts, imports: ImportTable) -> dict[str, str]:
    """Types of local names visible from annotations, constructors and `with ... as`."""
    types: dict[str, str] = {}
    for param in all_params(fn.params):
        t = type_name(param.annotation, imports)
        if t:
            types[param.name.value] = t

    def visit(stmts: Iterable[cst.CSTNode]) -> None:
        for stmt in stmts:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = dotted_name(small.targets[0].target)
                        if isinstance(small.value, cst.Name):
                            t = types.get(small.value.value)  # `self.x = x` (typed param)
                        else:
                            t = type_name(small.value, imports) if _constructs(small.value) \
                                else None
                        if target and t:
                            types[target] = t
                    elif isinstance(small, cst.AnnAssign):
                        target = dotted_name(small.target)
                        t = type_name(small.annotation, imports)
                        if target and t:
                            types[target] = t
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    if item.asname is not None:
                        target = dotted_name(item.asname.name)
                        t = type_name(item.item, imports) if _constructs(item.item) else None
                        if target and t:
                            types[target] = t
                visit(_suite(stmt.body))
            else:
                for suite in _suites(stmt):
                    visit(_suite(suite))

    visit(_suite(fn.body))
    return types


def _constructs(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Await):
        node = node.expression
    return isinstance(node, cst.Call)


def _suite(suite: cst.BaseSuite | None) -> tuple[cst.CSTNode, ...]:
    if isinstance(suite, cst.IndentedBlock):
        return tuple(suite.body)
    return ()


def _suites(stmt: cst.CSTNode) -> list[cst.BaseSuite]:
    """The suites directly inside a compound statement (not nested defs/classes)."""
    out: list[cst.BaseSuite] = []
    if isinstance(stmt, cst.If):
        out.append(stmt.body)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            out.extend(_suites(orelse))
        elif orelse is not None:
            out.append(orelse.body)
    elif isinstance(stmt, (cst.For, cst.While)):
        out.append(stmt.body)
        if stmt.orelse is not None:
            out.append(stmt.orelse.body)
    elif isinstance(stmt, cst.With):
        out.append(stmt.body)
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        out.append(stmt.body)
        out.extend(h.body for h in stmt.handlers)
        if stmt.orelse is not None:
            out.append(stmt.orelse.body)
        if stmt.finalbody is not None:
            out.append(stmt.finalbody.body)
    elif isinstance(stmt, cst.Match):
        out.extend(case.body for case in stmt.cases)
    return out


def compound_suites(stmt: cst.CSTNode) -> list[cst.BaseSuite]:
    return _suites(stmt)


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(
        (dotted_name(d.decorator) or "").rsplit(".", 1)[-1] == "staticmethod"
        for d in fn.decorators
    )


def overridable_stub(fn: cst.FunctionDef) -> bool:
    """An `@abstractmethod`, or a method whose body only documents it (`...`, `pass`, a
    docstring, `raise NotImplementedError`): a hook a subclass implements. What a call to it
    does on `self` is the implementor's, not this body's (two hooks often share one session)."""
    if any((dotted_name(d.decorator) or "").endswith("abstractmethod") for d in fn.decorators):
        return True
    if isinstance(fn.body, cst.SimpleStatementSuite):
        smalls = list(fn.body.body)
    else:
        smalls = []
        for stmt in fn.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                return False
            smalls.extend(stmt.body)
    return all(map(_documents_only, smalls))


def _documents_only(small: cst.BaseSmallStatement) -> bool:
    """`pass`, `...`, a string, or `raise NotImplementedError[(...)]`."""
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString))
    if isinstance(small, cst.Raise) and small.exc is not None:
        exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
        return dotted_name(exc) == "NotImplementedError"
    return False


def build_module_context(module: cst.Module, patterns: EffectPatterns) -> ModuleContext:
    ctx = ModuleContext(module=module, imports=import_table(module), patterns=patterns)
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            info = FunctionInfo(stmt.name.value, stmt, None, None)
            ctx.functions[info.key] = info
            ctx.by_node[id(stmt)] = info
        elif isinstance(stmt, cst.ClassDef):
            _add_class(ctx, stmt)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        name = dotted_name(target.target)
                        if name and "." not in name:
                            ctx.globals.add(name)
                elif isinstance(small, cst.AnnAssign):
                    name = dotted_name(small.target)
                    if name and "." not in name:
                        ctx.globals.add(name)
    ctx.summaries = Summaries(ctx)
    return ctx


def _add_class(ctx: ModuleContext, cls: cst.ClassDef) -> None:
    name = cls.name.value
    types = ctx.class_types.setdefault(name, {})
    for stmt in _suite(cls.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign):
                    attr = dotted_name(small.target)
                    t = type_name(small.annotation, ctx.imports)
                    if attr and t and "." not in attr:
                        types[attr] = t
        elif isinstance(stmt, cst.FunctionDef):
            params = list(all_params(stmt.params))
            self_name = params[0].name.value if params and not _is_static(stmt) else None
            info = FunctionInfo(f"{name}.{stmt.name.value}", stmt, name, self_name)
            ctx.functions.setdefault(info.key, info)
            ctx.by_node[id(stmt)] = info
            if self_name:
                _attribute_types(stmt, self_name, types, ctx.imports)
                for nested in _nested_functions(stmt.body):
                    ctx.enclosing[id(nested)] = info


def _nested_functions(suite: cst.BaseSuite) -> Iterable[cst.FunctionDef]:
    for stmt in _suite(suite):
        if isinstance(stmt, cst.FunctionDef):
            yield stmt
            yield from _nested_functions(stmt.body)
        elif not isinstance(stmt, (cst.ClassDef, cst.SimpleStatementLine)):
            for inner in _suites(stmt):
                yield from _nested_functions(inner)


def _attribute_types(
    fn: cst.FunctionDef, self_name: str, types: dict[str, str], imports: ImportTable
) -> None:
    facts = Facts()
    for path, t in local_types(fn, facts, imports).items():
        if path.startswith(self_name + ".") and path.count(".") == 1:
            types.setdefault(path.split(".", 1)[1], t)


def _local_summary(ctx: ModuleContext, info: FunctionInfo) -> tuple[Summary, set[str], set[str]]:
    """The function's own summary, plus its self-callees and module-function callees."""
    fn = info.node
    if info.self_name is not None and overridable_stub(fn):
        # A subclass's hook: it may touch all of self.
        return Summary(touches_self=True), set(), set()
    facts = suite_facts(fn.body)
    self_name = info.self_name
    params = {p.name.value for p in all_params(fn.params)}
    local = (facts.binds | params) - facts.declared_global

    def keep(path: str) -> str | None:
        root = path_root(path)
        if self_name and root == self_name:
            return "self" + path[len(root):]
        if root in ctx.globals and (root not in local or root in facts.declared_global):
            return path
        return None

    reads = {k for k in map(keep, facts.reads) if k}
    writes = {k for k in map(keep, facts.writes) if k}
    if self_name and self_name in facts.reads and not reads_besides(
        fn.body, self_name, lambda call: _defined_self_call(ctx, info, call)
    ):
        # `self` read only as the receiver of its own methods: those read what their
        # summaries say (merged below), not all of `self`.
        reads.discard("self")
    resources: set[str] = set()
    effect: str | None = None
    touches_self = False
    self_callees: set[str] = set()
    fn_callees: set[str] = set()
    types = local_types(fn, facts, ctx.imports)
    for site in facts.calls:
        call = site.call
        func = call.func
        if isinstance(func, cst.Name) and func.value in ctx.functions:
            fn_callees.add(func.value)
        elif (
            self_name
            and isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self_name
        ):
            key = f"{info.class_name}.{func.attr.value}"
            if key in ctx.functions:
                self_callees.add(key)
            elif not _is_builtin_self_call(func.attr.value):
                touches_self = True
        if not site.awaited:
            continue
        kind, qualified = call_kind(call, ctx.imports)
        spelled = dotted_name(func) or method_name(call) or "call"
        receiver = site.receiver
        cls = ctx.receiver_class(receiver, types, self_name, info.class_name)
        if cls == "serial" and receiver is not None:
            kept = keep(receiver)
            if kept:
                resources.add(kept)
        if effect is None:
            ordered = ctx.patterns.ordered_pattern(method_name(call), qualified)
            if ordered or kind is CallKind.EFFECTFUL:
                effect = f"`{spelled}`"
    # Writes through a parameter the body never rebinds (a rebound one is its own copy).
    through = {
        (path_root(w), w[len(path_root(w)):]) for w in facts.writes
        if path_root(w) in params and path_root(w) != self_name and path_root(w) not in facts.binds
    }
    summary = Summary(
        frozenset(reads), frozenset(writes), frozenset(resources), effect, touches_self,
        frozenset(through),
    )
    return summary, self_callees, fn_callees


def _defined_self_call(ctx: ModuleContext, info: FunctionInfo, call: cst.Call) -> bool:
    """`self.m(...)` of a method `m` the module defines for the class of `info`."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == info.self_name
        and f"{info.class_name}.{func.attr.value}" in ctx.functions
    )


def _is_builtin_self_call(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class Summaries(Mapping[str, Summary]):
    """`Summary` per function key, computed when first asked for: the function's own facts and
    those of the functions it reaches through calls, then the fixpoint over just those. Most
    functions of a module are never called from an awaited call, and their facts cost a walk
    each. A function's summary depends only on the functions it reaches, and they are swept in
    the module's order with the module's bound: the values are those of the fixpoint over the
    whole module (`_fixpoint`), to the text of each `effect`."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.own: dict[str, tuple[Summary, set[str], set[str]]] = {}
        self.solved: dict[str, Summary] = {}

    def __getitem__(self, key: str) -> Summary:
        if key not in self.solved:
            if key not in self.ctx.functions:
                raise KeyError(key)
            self._solve(key)
        return self.solved[key]

    def __contains__(self, key: object) -> bool:
        return key in self.ctx.functions

    def __iter__(self) -> Iterator[str]:
        return iter(self.ctx.functions)

    def __len__(self) -> int:
        return len(self.ctx.functions)

    def self_callees(self, key: str) -> set[str]:
        """The methods of `self` the function `key` calls in its own body."""
        return self._own(key)[1]

    def _own(self, key: str) -> tuple[Summary, set[str], set[str]]:
        if key not in self.own:
            self.own[key] = _local_summary(self.ctx, self.ctx.functions[key])
        return self.own[key]

    def _solve(self, key: str) -> None:
        reached, pending = {key}, [key]
        while pending:
            _, self_callees, fn_callees = self._own(pending.pop())
            for callee in (*self_callees, *fn_callees):
                if callee not in reached:
                    reached.add(callee)
                    pending.append(callee)
        local = {k: self._own(k) for k in self.ctx.functions if k in reached}
        # Every function reached is solved too (its own reach is inside this one).
        self.solved.update(_fixpoint(local, len(self.ctx.functions) + 1))


def _fixpoint(
    local: dict[str, tuple[Summary, set[str], set[str]]], sweeps: int
) -> dict[str, Summary]:
    """Summaries merged over calls until nothing changes (at most `sweeps` sweeps, in the
    order of `local`), from each function's own summary and callees."""
    current = {key: value[0] for key, value in local.items()}
    for _ in range(sweeps):
        changed = False
        for key, (own, self_callees, fn_callees) in local.items():
            merged = current[key]
            reads, writes = set(merged.reads), set(merged.writes)
            resources = set(merged.resources)
            effect, touches = merged.effect, merged.touches_self
            for callee in self_callees:
                other = current[callee]
                reads |= other.reads
                writes |= other.writes
                resources |= other.resources
                effect = effect or other.effect
                touches = touches or other.touches_self
            for callee in fn_callees:
                other = current[callee]
                # A module function's `self` is not the caller's: only globals carry over.
                reads |= {p for p in other.reads if path_root(p) != "self"}
                writes |= {p for p in other.writes if path_root(p) != "self"}
                resources |= {p for p in other.resources if path_root(p) != "self"}
                effect = effect or other.effect
            new = Summary(frozenset(reads), frozenset(writes), frozenset(resources), effect,
                          touches, merged.param_writes)
            if new != current[key]:
                current[key] = new
                changed = True
        if not changed:
            break
    return current
