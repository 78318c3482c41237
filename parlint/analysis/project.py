"""Facts about the other modules of the project an analysed file belongs to.

The analysis sees one module; some of its questions are about a name that module imports from
its own project (`from prefect.utilities.engine import collect_task_run_inputs`,
`from .engine import x`, `import pkg.mod as m; m.f`). A `Project` answers them from the source
files of the same project tree, found on disk and never executed:

- the package root: walk up from the analysed file through directories holding `__init__.py`;
  the root's parent is the import root. `pkg.mod` is `<import root>/pkg/mod.py` or
  `<import root>/pkg/mod/__init__.py`; `.mod` and `..mod` are found from the importing file's
  own directory. No site-packages, no `sys.path`, no namespace packages.
- a module is read and parsed with Python's `ast` only when a question needs it, and kept per
  process (`_MODULES`, bounded, re-read when its stat changes).
- a module-level name means its last binding, as when the module has run (`@overload` stubs
  give way to the implementation); a binding that may not run (in an `if`, a `try`, a loop)
  makes it unknown. A name a module only re-exports (`from .x import f` in an `__init__.py`,
  or `from .x import *` with or without `__all__`) is followed a few hops (`MAX_REEXPORTS`).

Every answer that cannot be given (an unreadable, undecodable, unparsable or huge file, a name
bound by an assignment or conditionally, a decorated function, a re-export cycle, a star import
of a module outside the tree, a module outside the tree) is "unknown": None, never an
exception.

Every file a `Project` consulted, found or not, is recorded with its content hash and stat
(`Project.dependencies`): a result computed with these facts is valid only while they are the
same (see `parlint.cache`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import re
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parlint.analysis.facts import MUTATING_METHODS
from parlint.analysis.facts import overlaps as _overlaps
from parlint.types import Dependency

if TYPE_CHECKING:
    from parlint.analysis.names import ImportTable

MAX_BYTES = 1_000_000  # a larger module is not read: unknown
MAX_MODULES = 256  # parsed modules kept per process
MAX_REEXPORTS = 4  # `from .x import f` hops followed from the module first asked
# A file changed this recently may change again without its stat changing (the file system's
# timestamp granularity): its content decides (as `runner.RACY_NS`).
RACY_NS = 2_000_000_000

UNREADABLE = "unreadable"  # the digest of a file that exists and cannot be read: never current
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def content_digest(data: bytes) -> str:
    """The content hash a `Dependency` records (of the file's bytes)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_of(path: str) -> tuple[int, int, int, int] | None:
    """size, mtime_ns, ctime_ns, inode (as the runner's stat index), None when absent."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def is_racy(stat: tuple[int, int, int, int]) -> bool:
    return time.time_ns() - max(stat[1], stat[2]) < RACY_NS


@dataclass(frozen=True)
class FunctionFacts:
    """What another module says about one of its top-level functions."""

    name: str
    is_async: bool
    decorated: bool
    suspends: bool  # await, async for, async with or an async comprehension in its own body


@dataclass(frozen=True)
class Definition:
    """A top-level `def`, `async def` or `class`, without its tree: parsed modules are kept
    for the whole run, and a run that keeps many syntax trees alive pays for them in every
    garbage collection (measured: 15% more CPU). A function's body is parsed again, from its
    lines, when a question needs it."""

    kind: str  # "def", "async def" or "class"
    decorated: bool
    first_line: int  # of the `def` (decorators excluded), 1-based
    last_line: int
    decorators: tuple[str | None, ...] = ()  # dotted names as spelled (None: not a name)


@dataclass(frozen=True)
class Instance:
    """A module-level name bound once, unconditionally, to a call of a dotted name
    (`CORE = EsphomeCore()`): an instance of that class, if the name denotes a class."""

    of: str  # the dotted name called, as spelled in the module


@dataclass
class ModuleFacts:
    """One parsed module: the binding of each top-level name when the module has run (the last
    one: `@overload` stubs give way to the implementation), the position of that binding, and
    its star imports `(position, level, module, conditional)`."""

    path: str
    text: str  # the source, newlines normalised (as the parser numbers lines)
    bindings: dict[str, Definition | Instance | tuple[int, str, str | None] | None]
    positions: dict[str, int]
    stars: list[tuple[int, int, str, bool]]
    exported: frozenset[str] | None  # `__all__` as a literal list of strings, if any
    functions: dict[str, FunctionFacts | None]  # filled as asked
    classes: dict[str, ClassFacts | None] = field(default_factory=dict)  # filled as asked
    codes: dict[str, CodeFacts | None] = field(default_factory=dict)  # filled as asked
    # (class or None, function) -> what its own body does to state: filled as asked.
    effects: dict[tuple[str | None, str], OwnEffects | None] = field(default_factory=dict)

    def _node(
        self, name: str, kind: type[ast.AST] | tuple[type[ast.AST], ...]
    ) -> ast.AST | None:
        """The top-level definition `name`, parsed again from its lines."""
        definition = self.bindings.get(name)
        if not isinstance(definition, Definition):
            return None
        lines = self.text.split("\n")[definition.first_line - 1 : definition.last_line]
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        node = tree.body[0] if len(tree.body) == 1 else None
        if not isinstance(node, kind) or getattr(node, "name", None) != name:
            return None
        return node

    def code(self, name: str) -> CodeFacts | None:
        """What the scheduler question needs of the top-level `def`/`async def` `name`."""
        if name not in self.codes:
            node = self._node(name, (ast.FunctionDef, ast.AsyncFunctionDef))
            definition = self.bindings.get(name)
            self.codes[name] = _code_facts(node, definition.decorators) if isinstance(  # type: ignore[arg-type]
                definition, Definition) and node is not None else None
        return self.codes[name]

    def class_facts(self, name: str) -> ClassFacts | None:
        if name not in self.classes:
            node = self._node(name, ast.ClassDef)
            self.classes[name] = _class_facts(node) if node is not None else None  # type: ignore[arg-type]
        return self.classes[name]

    def function(self, name: str) -> FunctionFacts | None:
        if name not in self.functions:
            self.functions[name] = self._function(name)
        return self.functions[name]

    def _function(self, name: str) -> FunctionFacts | None:
        definition = self.bindings.get(name)
        node = self._node(name, (ast.FunctionDef, ast.AsyncFunctionDef))
        if not isinstance(definition, Definition) or not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return None
        return FunctionFacts(name, definition.kind == "async def", definition.decorated,
                             _suspends(node))

    def own_effects(self, cls: str | None, name: str) -> OwnEffects | None:
        """The effects of the top-level function `name`, or of the method `name` of the
        top-level class `cls`, read from its own body (None: not such a definition, or a
        decorator other than `staticmethod`/`classmethod` that may change what runs)."""
        key = (cls, name)
        if key not in self.effects:
            self.effects[key] = None
            try:
                self._read_effects(cls, name)
            except RecursionError:  # an absurdly deep expression: unknown, as a parse failure
                self.effects[key] = None
        return self.effects[key]

    def _read_effects(self, cls: str | None, name: str) -> None:
        """Fill `effects` for `name` (of the class `cls`: for all its methods at once)."""
        key = (cls, name)
        if cls is None:
            # (`_node` parses from the `def` line: a decorator is only in the binding.)
            definition = self.bindings.get(name)
            node = self._node(name, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and isinstance(
                definition, Definition
            ) and not definition.decorated:
                self.effects[key] = _own_effects(node, in_class=False)
        else:
            # The class is parsed once for all its methods: the last `def` of each name,
            # unless the class body rebinds it otherwise (`ClassFacts.methods`).
            facts = self.class_facts(cls)
            owner = self._node(cls, ast.ClassDef) if facts is not None else None
            nodes = {stmt.name: stmt for stmt in (
                owner.body if isinstance(owner, ast.ClassDef) else ()
            ) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for method, stmt in nodes.items():
                if facts is not None and facts.methods.get(method) is not None:
                    self.effects[(cls, method)] = _own_effects(stmt, in_class=True)
                else:
                    self.effects[(cls, method)] = None

    def star_exports(self, name: str) -> bool:
        """Whether `from this import *` binds `name` (when the module binds it)."""
        if self.exported is not None:
            return name in self.exported
        return not name.startswith("_")


def _suspends(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body awaits (await, async for/with, async comprehension), outside nested
    scopes: the test of `dependence._awaits_anything` on libcst trees, except that an await in
    a nested def's decorators or defaults, which run in this body, counts."""
    return any(
        isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)) or (
            isinstance(node, ast.comprehension) and node.is_async)
        for node in _own_nodes(fn)
    )


def _module_facts(path: str, text: str, tree: ast.Module) -> ModuleFacts:
    facts = ModuleFacts(path, text, {}, {}, [], None, {})
    position = 0
    exported: list[str] | None = None

    def bind(name: str, value: Definition | tuple[int, str, str | None] | None,
             conditional: bool) -> None:
        # Python runs the module top to bottom: the last binding is the one left, and one
        # that may not run (in an `if`, a `try`, a loop) leaves the name unknown.
        facts.bindings[name] = None if conditional else value
        facts.positions[name] = position

    def visit(body: list[ast.stmt], conditional: bool) -> None:
        nonlocal position, exported
        for stmt in body:
            position += 1
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kind = ("async def" if isinstance(stmt, ast.AsyncFunctionDef) else
                        "def" if isinstance(stmt, ast.FunctionDef) else "class")
                definition = Definition(kind, bool(stmt.decorator_list), stmt.lineno,
                                        stmt.end_lineno or stmt.lineno,
                                        tuple(_dotted(d) for d in stmt.decorator_list))
                bind(stmt.name, definition, conditional)
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*":
                        facts.stars.append((position, stmt.level, stmt.module or "", conditional))
                    else:
                        bind(alias.asname or alias.name,
                             (stmt.level, stmt.module or "", alias.name), conditional)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    local = alias.asname or alias.name.split(".", 1)[0]
                    bind(local, (0, alias.name if alias.asname else local, None), conditional)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name
            ) and isinstance(stmt.value, ast.Call) and _dotted(stmt.value.func) is not None:
                bind(stmt.targets[0].id, Instance(_dotted(stmt.value.func) or ""), conditional)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete)):
                targets = stmt.targets if isinstance(stmt, (ast.Assign, ast.Delete)) else [
                    stmt.target]
                for target in targets:
                    for name in _target_names(target):
                        bind(name, None, conditional)
                        if name == "__all__":
                            value = getattr(stmt, "value", None)
                            exported = _literal_names(value) if (
                                isinstance(stmt, ast.Assign) and not conditional) else None
            elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.Match)) or (
                type(stmt).__name__ == "TryStar"
            ):
                if isinstance(stmt, ast.For):
                    for name in _target_names(stmt.target):
                        bind(name, None, True)
                elif isinstance(stmt, ast.With):
                    for item in stmt.items:
                        if item.optional_vars is not None:
                            for name in _target_names(item.optional_vars):
                                bind(name, None, True)
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(stmt, field, []) or [], True)
                for handler in getattr(stmt, "handlers", []):
                    visit(handler.body, True)
                for case in getattr(stmt, "cases", []):
                    visit(case.body, True)
            else:
                # Any other statement may bind through a walrus: those names are unknown.
                for node in ast.walk(stmt):
                    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                        bind(node.target.id, None, True)

    visit(tree.body, False)
    facts.exported = frozenset(exported) if exported is not None else None
    return facts


# --- what the scheduler question reads of a definition --------------------------------------

# An expression the scheduler question follows: a call of a dotted name with its arguments,
# `("call", "FakeAwaitable", (argument, ...), (("gen", argument), ...))`, or a dotted name,
# `("ref", "self._gen")`; None stands for any other expression.
Expr = tuple


@dataclass(frozen=True)
class CodeFacts:
    """One `def` or `async def` as the scheduler question reads it: its own body (a nested
    scope's body is its own; its decorators, defaults and bases run here)."""

    name: str
    is_async: bool
    decorators: tuple[str | None, ...]  # dotted names as spelled
    params: tuple[str, ...]  # positional parameters in order (`self` included)
    awaits: tuple[Expr | None, ...]
    streams: bool  # async for, async with or an async comprehension
    bare_yields: bool  # `yield` or `yield None`: hands None to whatever drives it
    value_yields: bool  # a yield of anything else
    yield_froms: tuple[Expr | None, ...]
    returns: tuple[Expr | None, ...]  # `return x` (a bare `return` is not listed)


@dataclass(frozen=True)
class ClassFacts:
    """A top-level class: its methods (the last definition of each name in the class body;
    a name bound otherwise there is None) and the attributes only `__init__` sets, each once,
    from one of its parameters (`self._gen = gen`)."""

    name: str
    methods: dict[str, CodeFacts | None]
    fed: dict[str, str]  # attribute -> the `__init__` parameter it holds
    init_calls: bool  # `__init__` may call something: making one may start work


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _expr(node: ast.AST | None) -> Expr | None:
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        if func is None or any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            return None
        return ("call", func, tuple(_expr(a) for a in node.args),
                tuple((k.arg, _expr(k.value)) for k in node.keywords))
    dotted = _dotted(node) if node is not None else None
    return ("ref", dotted) if dotted is not None else None


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """The nodes of `fn`'s body that run in its frame (`_frame_nodes`)."""
    return _frame_nodes(fn.body)


def _frame_nodes(statements: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of `statements` that run in their frame: a nested scope's body is its own;
    its decorators, defaults and bases run here."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, _SCOPES):
            stack.extend(getattr(node, "decorator_list", ()))
            args = getattr(node, "args", None)
            if isinstance(args, ast.arguments):
                stack.extend(d for d in (*args.defaults, *args.kw_defaults) if d is not None)
            stack.extend(getattr(node, "bases", ()))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _code_facts(fn: ast.FunctionDef | ast.AsyncFunctionDef,
                decorators: tuple[str | None, ...]) -> CodeFacts:
    awaits, yield_froms, returns = [], [], []
    streams = bare = value = False
    for node in _own_nodes(fn):
        if isinstance(node, ast.Await):
            awaits.append(_expr(node.value))
        elif isinstance(node, (ast.AsyncFor, ast.AsyncWith)) or (
            isinstance(node, ast.comprehension) and node.is_async
        ):
            streams = True
        elif isinstance(node, ast.Yield):
            if node.value is None or (
                isinstance(node.value, ast.Constant) and node.value.value is None
            ):
                bare = True
            else:
                value = True
        elif isinstance(node, ast.YieldFrom):
            yield_froms.append(_expr(node.value))
        elif isinstance(node, ast.Return) and node.value is not None:
            returns.append(_expr(node.value))
    params = tuple(a.arg for a in (*fn.args.posonlyargs, *fn.args.args))
    return CodeFacts(fn.name, isinstance(fn, ast.AsyncFunctionDef), decorators, params,
                     tuple(awaits), streams, bare, value, tuple(yield_froms), tuple(returns))


def _class_facts(cls: ast.ClassDef) -> ClassFacts:
    methods: dict[str, CodeFacts | None] = {}
    stores: Counter[str] = Counter()
    fed: dict[str, str] = {}
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods[stmt.name] = _code_facts(stmt, tuple(_dotted(d) for d in stmt.decorator_list))
            params = [a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args)]
            this = params[0] if params else None
            for node in ast.walk(stmt):
                targets = node.targets if isinstance(node, ast.Assign) else [
                    node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
                for target in targets:
                    for attr in ast.walk(target):
                        if isinstance(attr, ast.Attribute) and _dotted(attr.value) == this:
                            stores[attr.attr] += 1
            if stmt.name == "__init__" and this is not None:
                for top in stmt.body:  # unconditional: the top level of `__init__`
                    target = top.targets[0] if isinstance(top, ast.Assign) and len(
                        top.targets) == 1 else None
                    if isinstance(target, ast.Attribute) and _dotted(target.value) == this and (
                        isinstance(top.value, ast.Name) and top.value.id in params[1:]  # type: ignore[union-attr]
                    ):
                        fed[target.attr] = top.value.id  # type: ignore[union-attr]
        else:
            for node in ast.walk(stmt) if isinstance(
                stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.ClassDef)
            ) else ():
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    methods[node.id] = None
            if isinstance(stmt, ast.ClassDef):
                methods[stmt.name] = None
    init = next((m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and m.name == "__init__"), None)
    # (Without its own `__init__`, a class with a base may inherit one that calls anything.)
    init_calls = any(isinstance(n, ast.Call) for n in ast.walk(init)) if init is not None else (
        any(_dotted(b) != "object" for b in cls.bases) or bool(cls.keywords))
    fed = {attr: param for attr, param in fed.items() if stores[attr] == 1}
    return ClassFacts(cls.name, methods, fed, init_calls)


# --- what a call does to state that outlives it ----------------------------------------------

# A call a body makes: the dotted name called, the access path (in the body's own terms) of each
# positional argument (None: not a path, or after a `*args`), and of each keyword argument.
_Call = tuple  # (dotted, (path | None, ...), ((keyword, path | None), ...))


@dataclass(frozen=True)
class OwnEffects:
    """What one function's own body does to state that outlives the call, from its text alone
    (what a name denotes is resolved later, by the `Project`): the access paths it stores into
    or mutates (`client.message_cache[]`, `Sticker.cache[]`, `_REGISTRY`) and the free names
    it reads (`(name, ".attr")`), with its own names (parameters, locals) told apart, and the
    calls it makes."""

    params: tuple[str, ...]  # positional parameters, in order (`self`/`cls` included)
    keywords: frozenset[str]  # every parameter a keyword may name
    kind: str  # "function", "staticmethod", "classmethod" or "method"
    local: frozenset[str]  # names bound in the body (parameters excluded), not `global`
    declared_global: frozenset[str]
    aliases: tuple[tuple[str, str], ...]  # a local bound once to an access path: (name, path)
    writes: tuple[str, ...]  # access paths stored into, deleted or mutated
    # Of those, the paths only ever added to or discarded from (`seen.add(key)`): a set.
    set_updates: frozenset[str]
    is_async: bool
    reads: tuple[str, ...]  # free names read: `name` or `name.attr`
    calls: tuple[_Call, ...]


def _path(node: ast.AST) -> str | None:
    """An access path as `names.access_path` spells it (`a.b[].c`), else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        base = _path(node.value)
        if base is None:
            return None
        return base + (f".{node.attr}" if isinstance(node, ast.Attribute) else "[]")
    return None


def _root(path: str) -> tuple[str, str]:
    """`a.b[].c` -> (`a`, `.b[].c`)."""
    match = re.match(r"[^.\[]*", path)
    end = match.end() if match else len(path)
    return path[:end], path[end:]


def _own_effects(fn: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> OwnEffects:
    decorators = {(_dotted(d) or "").rsplit(".", 1)[-1] for d in fn.decorator_list}
    kind = "function"
    if in_class:
        kind = ("staticmethod" if "staticmethod" in decorators else
                "classmethod" if "classmethod" in decorators else "method")
    allowed = {"staticmethod", "classmethod"} if in_class else set()
    if decorators - allowed:
        kind = "decorated"  # the decorator may run something else: nothing is known
    args = fn.args
    params = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    keywords = frozenset(a.arg for a in (*args.args, *args.kwonlyargs))
    every_param = set(params) | keywords | {a.arg for a in (args.vararg, args.kwarg) if a}
    nodes = _own_nodes(fn)
    declared: set[str] = set()
    stored: Counter[str] = Counter()
    for node in nodes:
        if isinstance(node, ast.Global):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stored[node.id] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored[node.name] += 2
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                stored[(alias.asname or alias.name).split(".", 1)[0]] += 2
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stored[node.name] += 2
        elif isinstance(node, ast.arg):
            stored[node.arg] += 2  # a lambda's parameter (its body is its own)
    local = (set(stored) - every_param) - declared
    aliases = []
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
            node.targets[0], ast.Name
        ) and stored[node.targets[0].id] == 1 and node.targets[0].id in local:
            path = _path(node.value)
            if path is not None and _root(path)[0] not in local:
                aliases.append((node.targets[0].id, path))
    awaited = {id(node.value) for node in nodes if isinstance(node, ast.Await)}
    writes: list[str] = []
    set_updates: Counter[str] = Counter()
    reads: list[str] = []
    calls: list[_Call] = []
    attribute_heads: set[int] = set()
    for node in nodes:
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            path = _path(node)
            if path is not None:
                writes.append(path)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and (
            node.id in declared
        ):
            writes.append(node.id)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS and (
                id(node) not in awaited
            ):
                path = _path(func.value)
                if path is not None:
                    writes.append(path)  # `client.cache.pop(k)`, `self.items.append(x)`
                    if func.attr in ("add", "discard"):
                        set_updates[path] += 1
            elif isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
                path = _path(node.args[0])
                if path is not None:
                    writes.append(path)
            dotted = _dotted(func)
            if dotted is not None:
                positional: list[str | None] = []
                for arg in node.args:
                    if isinstance(arg, ast.Starred):
                        break  # the positions after it are unknown
                    positional.append(_path(arg))
                named = tuple((k.arg, _path(k.value)) for k in node.keywords if k.arg)
                calls.append((dotted, tuple(positional), named))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(
            node.value.ctx, ast.Load
        ):
            attribute_heads.add(id(node.value))
            if node.value.id not in local:
                reads.append(f"{node.value.id}.{node.attr}")
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
            id(node) not in attribute_heads and node.id not in local
        ):
            reads.append(node.id)
    # A path every write of which adds to or discards from it (no store, no other mutation).
    other_writes = Counter(writes)
    other_writes.subtract(set_updates)
    only_sets = frozenset(path for path in set_updates if not any(
        count > 0 and _overlaps(path, other) for other, count in other_writes.items()))
    return OwnEffects(params, keywords, kind, frozenset(local), frozenset(declared),
                      tuple(aliases), tuple(dict.fromkeys(writes)), only_sets,
                      isinstance(fn, ast.AsyncFunctionDef), tuple(dict.fromkeys(reads)),
                      tuple(dict.fromkeys(calls)))


def _literal_names(value: ast.expr | None) -> list[str] | None:
    if isinstance(value, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
    ):
        return [e.value for e in value.elts]  # type: ignore[attr-defined]
    return None


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


@dataclass
class _Entry:
    stat: tuple[int, int, int, int]
    racy: bool
    digest: str
    facts: ModuleFacts | None


# Parsed modules of this process, most recently used last: absolute path -> entry.
_MODULES: OrderedDict[str, _Entry] = OrderedDict()


def clear_module_cache() -> None:
    _MODULES.clear()


def _load(path: str) -> tuple[Dependency, ModuleFacts | None]:
    """The module at `path` and what a result using it depends on (never raises)."""
    stat = stat_of(path)
    if stat is None:
        _MODULES.pop(path, None)
        return Dependency(path), None
    entry = _MODULES.get(path)
    if entry is not None and entry.stat == stat and not entry.racy:
        _MODULES.move_to_end(path)
        return Dependency(path, entry.digest, stat, False), entry.facts
    racy = is_racy(stat)
    data = _read_bytes(path)
    if data is None:
        return Dependency(path, UNREADABLE, stat, True), None
    digest = content_digest(data)
    if entry is not None and entry.digest == digest:
        facts = entry.facts
    else:
        facts = _parse(path, data)
    _MODULES[path] = _Entry(stat, racy, digest, facts)
    _MODULES.move_to_end(path)
    while len(_MODULES) > MAX_MODULES:
        _MODULES.popitem(last=False)
    return Dependency(path, digest, stat, racy), facts


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)  # a larger module is unknown: its head will do
    except (OSError, ValueError):
        return None


def file_digest(path: str) -> str | None:
    """The content hash `Dependency.digest` records for `path` now (None: unreadable)."""
    data = _read_bytes(path)
    return None if data is None else content_digest(data)


def _parse(path: str, data: bytes) -> ModuleFacts | None:
    if len(data) > MAX_BYTES:
        return None
    try:
        # The declared encoding, and newlines as the parser counts lines (`\r\n`, `\r`).
        text = importlib.util.decode_source(data)
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError):
        return None
    return _module_facts(path, text, tree)


class Project:
    """The project tree of one analysed file, as the analysis of that file sees it.

    Cheap to make: nothing is read until a question needs it. `dependencies` holds every file
    consulted so far (absent ones too: their appearing would change an answer).
    """

    def __init__(self, path: str) -> None:
        self.file = os.path.abspath(path)
        self._root: str | None = None
        self.dependencies: dict[str, Dependency] = {}
        # Verdicts of project coroutines (module, class, name) -> see `_awaited`.
        self._verdicts: dict[tuple[str, str | None, str], str | None] = {}
        # Effects of project functions (module, class, name) -> see `call_effects`.
        self._effect_memo: dict[tuple[str, str | None, str], Effects | None] = {}
        self._states: dict[tuple[str, str], tuple[str, bool] | None] = {}
        self._callees: dict[tuple[str, bool, str | None], _Callee | None] = {}

    @property
    def import_root(self) -> str:
        """The directory the project's absolute imports start from."""
        if self._root is None:
            directory = os.path.dirname(self.file)
            while os.path.isfile(os.path.join(directory, "__init__.py")):
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
            self._root = directory
        return self._root

    def recorded(self) -> tuple[Dependency, ...]:
        return tuple(sorted(self.dependencies.values(), key=lambda d: d.path))

    # --- questions ---------------------------------------------------------------------------

    def function(self, qualified: str | None) -> FunctionFacts | None:
        """The project function an imported dotted name (`pkg.mod.f`, `.mod.f`) denotes."""
        if not qualified:
            return None
        level = len(qualified) - len(qualified.lstrip("."))
        parts = qualified[level:].split(".")
        if not parts or not all(parts) or (level == 0 and len(parts) < 2):
            return None
        module = self._module_file(self.file, level, parts[:-1])
        if module is None:
            return None
        return self._lookup(module, parts[-1], set())

    def suspends(self, qualified: str | None) -> bool | None:
        """Whether calling the imported coroutine function can suspend: False when it is an
        undecorated `async def` of the project that awaits nothing in its own body (no
        await, async for, async with or async comprehension); None when unknown."""
        facts = self.function(qualified)
        if facts is None or not facts.is_async or facts.decorated:
            return None
        return facts.suspends

    # --- resolution --------------------------------------------------------------------------

    def _module_file(self, importer: str, level: int, parts: list[str]) -> str | None:
        """The file of module `parts` imported with `level` leading dots from `importer`."""
        root = self.import_root
        base = root
        if level:
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            if not base.startswith(root + os.sep):
                return None  # beyond the top-level package
        if not parts:
            candidates = [os.path.join(base, "__init__.py")]
        else:
            stem = os.path.join(base, *parts)
            candidates = [stem + ".py", os.path.join(stem, "__init__.py")]
        for candidate in candidates:
            if self._read(candidate)[0]:
                return candidate
        return None

    def _read(self, path: str) -> tuple[bool, ModuleFacts | None]:
        """Whether `path` exists, and its facts (None: unknown); recorded as a dependency."""
        dependency, facts = _load(path)
        self.dependencies[path] = dependency
        return dependency.digest is not None, facts

    def _lookup(self, module: str, name: str, seen: set[tuple[str, str]]) -> FunctionFacts | None:
        bound = self._bound(module, name, seen)
        if bound is None or bound[0] == "module":
            return None
        return bound[2].function(bound[3])

    def _bound(self, module: str, name: str, seen: set[tuple[str, str]]) -> _Bound | None:
        """What the top-level `name` of `module` is bound to when the module has run, followed
        through imports: `("module", path)`, or `("name", path, facts, name, binding)` with the
        binding (a definition, an instance, None) in the module that makes it."""
        if (module, name) in seen or len(seen) > MAX_REEXPORTS:
            return None
        seen.add((module, name))
        facts = self._read(module)[1]
        if facts is None:
            return None
        bound_at = facts.positions.get(name)
        for position, level, source, conditional in reversed(facts.stars):
            if bound_at is not None and position < bound_at:
                break  # the binding comes after every star import left
            # `from .x import *` after the binding (or instead of one): the last star import
            # that binds the name decides.
            target = self._module_file(module, level, source.split(".") if source else [])
            target_facts = self._read(target)[1] if target is not None else None
            if conditional or target is None or target_facts is None:
                return None
            if name in target_facts.positions:
                if target_facts.star_exports(name):
                    return self._bound(target, name, seen)
            elif target_facts.stars:
                return None  # it may pass the name on from further star imports
        binding = facts.bindings.get(name)
        if isinstance(binding, tuple):
            level, source, imported = binding
            target = self._module_file(module, level, source.split(".") if source else [])
            if target is None:
                return None
            if imported is None:
                return ("module", target)
            target_facts = self._read(target)[1]
            if target == module and imported == name or (
                target_facts is not None and imported not in target_facts.positions
                and not target_facts.stars
            ):
                # `from pkg import mod`: a submodule the package does not bind itself (or
                # binds by this very import: `from . import mod` in its `__init__.py`).
                sub = self._submodule(target, imported)
                return ("module", sub) if sub is not None else None
            return self._bound(target, imported, seen)
        if name not in facts.positions:
            return None
        return ("name", module, facts, name, binding)

    def _submodule(self, package: str, name: str) -> str | None:
        if os.path.basename(package) != "__init__.py":
            return None
        return self._module_file(package, 1, [name])

    # --- what a call of a project function does to state that outlives it -------------------

    def call_effects(
        self, dotted: str | None, imported: bool, args: tuple[str | None, ...],
        keywords: tuple[tuple[str, str | None], ...], receiver: str | None = None,
    ) -> tuple[frozenset[str], frozenset[str]] | None:
        """What calling the project function, method or class/static method `dotted` with
        these arguments (their access paths in the caller's terms, None where an argument is
        no path) reads and writes that outlives the call: `(reads, writes)`, None when unknown.

        `dotted` is the called name qualified through the caller's imports (`imported`:
        `pkg.types.Message._parse`, `.mod.f`) or a module-level name of the analysed file
        itself (`Sticker._parse`), read from its text on disk; `receiver` is the caller's
        path of the object a method is called on (`CORE` for `CORE.add(x)`). A write through a parameter
        (`client.message_cache[key] = msg`, `client.cache.pop(k)`, `param.x += 1`, in the
        callee or in a project function it passes the parameter on to) is a write of the
        argument's path with the same suffix (`self.message_cache[]`); a store into class or
        module state (`cls.cache[k] =`, `Sticker.cache[k] =`, a `global`, a module-level
        container) writes that state by its qualified name
        (`pkg.types.sticker.Sticker.cache[]`), and the callee's reads of such state
        (`Sticker.cache`, a module variable) are reads. What the callee does to an object it
        made itself, or to one it cannot name, is left out: the answer holds only what the
        text shows the call may do, never a guess.
        """
        if not dotted:
            return None
        key = (dotted, imported, receiver)
        if key not in self._callees:  # (a file calls the same names again and again)
            self._callees[key] = self._called(dotted, imported, receiver)
        callee = self._callees[key]
        if callee is None:
            return None
        effects = self._effects(callee, 0)
        if effects is None:
            return None
        writes: set[str] = set(effects.state_writes)
        for param, rest in effects.writes:
            path = _argument_path(effects, callee, param, args, keywords)
            if path is not None:
                writes.add(path + rest)
        return _outermost(effects.state_reads), _outermost(writes)

    def answers_from_cache(self, dotted: str | None, imported: bool) -> bool:
        """Whether the project function, or method reached through its class, that `dotted`
        names (as `call_effects` takes it) returns a value held in memory before its first
        await (`try: return cls.by_id[key] except KeyError: ...`, `if key in self._cache:
        return self._cache[key]`). Its decorators do not matter: a lock or a registry
        wrapped around it leaves the lookup first. False when unknown."""
        if not dotted:
            return False
        start, parts = self._start(dotted, imported)
        if start is None:
            return False
        bound, rest = self._walk(start, parts)
        if bound is None or bound[0] != "name":
            return False
        _, _path, facts, name, binding = bound
        if not isinstance(binding, Definition):
            return False
        node: ast.AST | None = None
        if binding.kind == "class" and len(rest) == 1:
            owner = facts._node(name, ast.ClassDef)
            methods = [stmt for stmt in getattr(owner, "body", ())
                       if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and stmt.name == rest[0]]
            node = methods[-1] if methods else None
        elif binding.kind != "class" and not rest:
            node = facts._node(name, (ast.FunctionDef, ast.AsyncFunctionDef))
        return isinstance(node, ast.AsyncFunctionDef) and returns_held_value_first(node)

    def _called(self, dotted: str, imported: bool, receiver: str | None) -> _Callee | None:
        """The project function a call of the analysed file names (see `call_effects`)."""
        start, parts = self._start(dotted, imported)
        return self._callee_at(start, parts, receiver) if start is not None else None

    def _start(self, dotted: str, imported: bool) -> tuple[_Bound | None, list[str]]:
        """The binding a called dotted name starts from, and its parts after it: a name of
        the analysed module, or (`imported`) the module `.mod.f` names from the importing
        file's package or `pkg.mod.f` from the import root. None when there is none."""
        level = len(dotted) - len(dotted.lstrip(".")) if imported else 0
        parts = dotted[level:].split(".")
        start: _Bound | None
        if not imported:
            start = self._bound(self.file, parts[0], set())
        else:
            found = self._module_file(self.file, level, [] if level else parts[:1])
            start = ("module", found) if found is not None else None
        if level == 0:
            parts = parts[1:]
        if start is None or not all(parts):
            return None, parts
        return start, parts

    def _callee_at(self, bound: _Bound | None, rest: list[str],
                   receiver: str | None) -> _Callee | None:
        """The function a dotted name denotes, from the binding of its first part: a
        top-level function, a method of a top-level class reached through the class
        (`Message._parse`), or a method of a module-level instance (`CORE.add`)."""
        bound, rest = self._walk(bound, rest)
        if bound is None or bound[0] != "name":
            return None
        _, path, facts, name, binding = bound
        if isinstance(binding, Definition) and binding.kind == "class" and len(rest) == 1:
            own = facts.own_effects(name, rest[0])
            if own is None:
                return None
            bound_first = ("state", self._qualified(path, name)) if (
                own.kind == "classmethod") else None
            return _Callee(path, name, rest[0], own, bound_first)
        if isinstance(binding, Definition) and binding.kind != "class" and not rest:
            own = facts.own_effects(None, name)
            return _Callee(path, None, name, own, None) if own is not None else None
        if isinstance(binding, Instance) and len(rest) == 1 and receiver and not re.search(
            rf"^[ \t]*global\b[^\n]*\b{re.escape(name)}\b", facts.text, re.MULTILINE
        ):
            made = self._resolve(_Scope(path, None, None), binding.of)
            if made is None or made[0] != "class":
                return None
            made_facts = self._read(made[1])[1]
            own = made_facts.own_effects(made[2].name, rest[0]) if made_facts else None
            if own is None:
                return None
            first = (("state", self._qualified(made[1], made[2].name))
                     if own.kind == "classmethod" else
                     None if own.kind == "staticmethod" else ("path", receiver))
            return _Callee(made[1], made[2].name, rest[0], own, first)
        return None

    def _callee_in(self, caller: _Callee, own: OwnEffects, dotted: str) -> _Callee | None:
        """The project function a call in `caller`'s body denotes (`self.m`, `cls.m`,
        `Sticker._get_set_name`, `helper`, `types.User._parse`), None for a call of a local,
        of a parameter's method, or of anything outside the project."""
        head, _, rest = dotted.partition(".")
        this = own.params[0] if own.kind in ("method", "classmethod") and own.params else None
        if caller.cls is not None and this is not None and head == this:
            if "." in rest or not rest:
                return None
            facts = self._read(caller.module)[1]
            target = facts.own_effects(caller.cls, rest) if facts is not None else None
            if target is None:
                return None
            first: tuple[str, str] | None = None
            if target.kind == "classmethod":
                first = ("state", self._qualified(caller.module, caller.cls))
            elif target.kind == "method" and own.kind == "method":
                first = ("path", this)  # `self.m(...)`: the same object
            return _Callee(caller.module, caller.cls, rest, target, first)
        if head in own.local or head in own.params or head in own.keywords:
            return None
        bound = self._bound(caller.module, head, set())
        return self._callee_at(bound, rest.split(".") if rest else [],
                               dotted.rsplit(".", 1)[0] if rest else None)

    def _effects(self, callee: _Callee, depth: int) -> Effects | None:
        """The effects of `callee`'s body and of the project functions it calls, followed
        `MAX_EFFECT_DEPTH` calls deep (a cycle, or a call deeper than that, adds nothing)."""
        key = (callee.module, callee.cls, callee.name)
        if key in self._effect_memo:
            return self._effect_memo[key]
        own = callee.own
        if own.kind == "decorated" or depth > MAX_EFFECT_DEPTH or (
            len(self._effect_memo) >= MAX_EFFECT_FUNCTIONS
        ):
            return None
        self._effect_memo[key] = Effects(own.params, own.keywords, frozenset(), frozenset(),
                                         frozenset())  # while it is read: a cycle adds nothing
        this = own.params[0] if own.kind == "classmethod" and own.params else None
        params = set(own.params) | own.keywords
        aliases = dict(own.aliases)
        writes: set[tuple[str, str]] = set()
        state_writes: set[str] = set()
        state_reads: set[str] = set()

        def place(path: str, write: bool) -> None:
            root, rest = _root(path)
            if root in aliases:
                root, more = _root(aliases[root])
                rest = more + rest
            if this is not None and root == this:
                if callee.cls is not None:
                    state = self._qualified(callee.module, callee.cls)
                    (state_writes if write else state_reads).add(state + rest)
            elif root in params:
                if write:
                    writes.add((root, rest))
            elif root not in own.local:
                state = self._state(callee.module, root)
                if state is not None:
                    name, is_class = state
                    if write:
                        state_writes.add(name + rest)
                    elif not is_class:
                        state_reads.add(name)
                    else:
                        # A class's attribute (`Sticker.cache`); not the class itself (made
                        # or passed on) nor one of its methods (called).
                        attr = re.match(r"\.([A-Za-z_0-9]+)", rest)
                        if attr is not None and not self._method(root, callee.module,
                                                                 attr.group(1)):
                            state_reads.add(f"{name}.{attr.group(1)}")

        # A plain `def` runs without suspending: its reads and its set updates of one path
        # (`if key in _warned: return` ... `_warned.add(key)`) happen in one step, and such
        # steps leave the same set in any order. Two calls of it do not conflict over it.
        atomic = () if own.is_async else own.set_updates
        for path in own.writes:
            if path not in atomic:
                place(path, True)
        for path in own.reads:
            if not any(_overlaps(path, a) for a in atomic):
                place(path, False)
        for dotted, positional, named in own.calls:
            target = self._callee_in(callee, own, dotted)
            found = self._effects(target, depth + 1) if target is not None else None
            if found is None:
                continue
            state_writes |= found.state_writes
            state_reads |= found.state_reads
            for param, rest in found.writes:
                argument = _argument_path(found, target, param, positional, named)  # type: ignore[arg-type]
                if argument is not None:
                    place(argument + rest, True)
        effects = Effects(own.params, own.keywords, frozenset(writes), frozenset(state_writes),
                          frozenset(state_reads))
        self._effect_memo[key] = effects
        return effects

    def _state(self, module: str, name: str) -> tuple[str, bool] | None:
        """The qualified name of the module-level state a free name of `module` denotes
        (a variable, a class, an instance: `(qualified, is a class)`), None for a function,
        a module, a name not bound at module level (a builtin) or one bound outside the
        project."""
        key = (module, name)
        if key not in self._states:
            bound = self._bound(module, name, set())
            found = None
            if bound is not None and bound[0] == "name":
                _, path, _, bound_name, binding = bound
                is_class = isinstance(binding, Definition) and binding.kind == "class"
                if is_class or not isinstance(binding, Definition):
                    found = (self._qualified(path, bound_name), is_class)
            self._states[key] = found
        return self._states[key]

    def _method(self, name: str, module: str, attr: str) -> bool:
        """Whether the class a free `name` of `module` denotes defines the method `attr`."""
        bound = self._bound(module, name, set())
        if bound is None or bound[0] != "name":
            return False
        cls = bound[2].class_facts(bound[3])
        return cls is not None and cls.methods.get(attr) is not None

    def _qualified(self, path: str, name: str) -> str:
        """`<import root>/pkg/mod.py`, `Cls` -> `pkg.mod.Cls`."""
        relative = os.path.relpath(path, self.import_root)
        stem = relative.removesuffix(".py")
        parts = [p for p in stem.split(os.sep) if p]
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join((*parts, name))

    # --- the project's own scheduler ---------------------------------------------------------

    def own_scheduler(self, call: str | None) -> str | None:
        """Whether awaiting `call` (the source of a call expression of the analysed module,
        `cg.get_variable(x)`) only ever suspends at a bare yield, reached through the project's
        own code: its description (`` `FakeAwaitable.__await__` yields None ``), else None.

        A bare `yield` (or `yield None`) in an `__await__` generator, in the generator it
        returns or `yield from`s, or in a `@types.coroutine` generator, hands None to whatever
        drives the coroutine. Trio rejects it; asyncio reads it as "run the others once" (its
        `sleep(0)`); a code generator's own loop (ESPHome's FakeEventLoop) resumes it after
        the other coroutines have had a turn. Either way such an await starts no I/O and no
        timer: it waits for the program's other coroutines to do their own work (fill a
        registry, declare a variable). Awaiting several such waits one after another ends when
        the last is ready, as gathering them would; and a driver of its own may depend on the
        order. The call must resolve to a project coroutine (a function, a method of a
        module-level instance such as `CORE = EsphomeCore()`, of a class's own `self`, through
        imports and re-exports) or awaitable class whose every await reaches such a yield or
        never suspends (an `async def` that awaits nothing); anything else (async for/with,
        a decorated coroutine, a yield of a value, an await the question cannot follow, a
        delegating `return self._coro.__await__()`) makes the answer None.
        """
        if not call:
            return None
        try:
            node = ast.parse(call.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        verdict = self._awaited(_Scope(self.file, None, None), _expr(node), 0)
        return verdict or None

    def _awaited(self, scope: _Scope, expr: Expr | None, depth: int) -> str | None:
        """Awaiting `expr` evaluated in `scope`: a description of the bare yield it reaches,
        NEVER when it never suspends, None when unknown or when it may wait for anything
        else."""
        if expr is None or expr[0] != "call" or depth > MAX_DEPTH:
            return None
        target = self._resolve(scope, expr[1])
        if target is None:
            return None
        if target[0] == "class":
            path, cls = target[1], target[2]
            method = cls.methods.get("__await__")
            if method is None:
                return None
            return self._await_method(_Scope(path, cls.name, _first(method)), cls, method,
                                      scope, expr, depth + 1)
        path, cls_name, code = target[1], target[2], target[3]
        inner = _Scope(path, cls_name, _first(code) if cls_name else None)
        if code.is_async:
            return self._coroutine(inner, code, depth + 1)
        if len(code.decorators) == 1 and self._outside(path, code.decorators[0]) == (
            "types.coroutine"
        ):
            return self._generator(inner, code, depth + 1)
        return None

    def _coroutine(self, scope: _Scope, code: CodeFacts, depth: int) -> str | None:
        key = (scope.module, scope.cls, code.name)
        if key in self._verdicts:
            return self._verdicts[key]
        self._verdicts[key] = None  # a cycle is unknown
        verdict: str | None = NEVER
        if code.decorators or code.streams:
            verdict = None
        for expr in code.awaits if verdict is not None else ():
            found = self._awaited(scope, expr, depth)
            if found is None:
                verdict = None
                break
            verdict = verdict or found
        self._verdicts[key] = verdict
        return verdict

    def _generator(self, scope: _Scope, code: CodeFacts, depth: int) -> str | None:
        """A plain generator driven as an awaitable: its bare yields go to the driver."""
        if code.is_async or code.value_yields or code.awaits or depth > MAX_DEPTH or (
            code.bare_yields and self._concurrent(scope.module)
        ):
            return None
        verdict = f"`{code.name}` yields None" if code.bare_yields else NEVER
        for expr in code.yield_froms:
            found = self._generator_call(scope, expr, depth)
            if found is None:
                return None
            verdict = verdict or found
        return verdict or None  # no yield at all: not a generator

    def _generator_call(self, scope: _Scope, expr: Expr | None, depth: int) -> str | None:
        """A call of an undecorated generator function of the project, made in `scope`."""
        if expr is None or expr[0] != "call":
            return None
        target = self._resolve(scope, expr[1])
        if target is None or target[0] != "code" or target[3].decorators:
            return None
        code = target[3]
        return self._generator(_Scope(target[1], target[2], _first(code) if target[2] else None),
                               code, depth + 1)

    def _await_method(self, scope: _Scope, cls: ClassFacts, code: CodeFacts, caller: _Scope,
                      construction: Expr, depth: int) -> str | None:
        """`cls(...)` awaited: its `__await__` is a generator whose yields are bare or come
        from such generators (`yield from self._gen`, the generator `__init__` was given at
        this construction), or returns such a generator."""
        if code.decorators or code.is_async or code.awaits or code.value_yields or (
            cls.init_calls or (code.bare_yields and self._concurrent(scope.module))
        ):
            return None
        init = cls.methods.get("__init__")

        def source(expr: Expr | None) -> str | None:
            if expr is not None and expr[0] == "ref" and scope.self_name is not None:
                head, _, attr = expr[1].partition(".")
                param = cls.fed.get(attr) if head == scope.self_name else None
                if param is None or init is None:
                    return None
                return self._generator_call(caller, _argument(init, construction, param),
                                            depth)
            return self._generator_call(scope, expr, depth)

        sources = code.yield_froms if code.bare_yields or code.yield_froms else code.returns
        found: str | None = NEVER if sources else None
        for expr in sources:
            verdict = source(expr)
            if verdict is None:
                return None
            found = found or verdict
        if code.bare_yields or found:
            return f"`{cls.name}.__await__` yields None"
        return None

    def _concurrent(self, module: str) -> bool:
        """Whether the module imports (anywhere) a way to start work that runs alongside: an
        async framework, threads, processes. A bare yield there may poll a task it started
        (`while not task.done(): yield`), and a gather would start those together."""
        facts = self._read(module)[1]
        return facts is None or CONCURRENCY_IMPORT.search(facts.text) is not None

    def _resolve(self, scope: _Scope, dotted: str) -> _Target | None:
        """The definition a dotted name evaluated in `scope` denotes: `("code", path, class
        name or None, facts)` for a function or method, `("class", path, facts)`."""
        parts = dotted.split(".")
        if scope.cls is not None and parts[0] == scope.self_name:
            if len(parts) != 2:
                return None
            facts = self._read(scope.module)[1]
            cls = facts.class_facts(scope.cls) if facts is not None else None
            code = cls.methods.get(parts[1]) if cls is not None else None
            return ("code", scope.module, scope.cls, code) if code is not None else None
        bound, rest = self._walk(self._bound(scope.module, parts[0], set()), parts[1:])
        if bound is None or bound[0] != "name":
            return None
        _, path, facts, name, binding = bound
        if isinstance(binding, Definition):
            if binding.kind == "class":
                cls = facts.class_facts(name)
                return ("class", path, cls) if cls is not None and not rest else None
            code = facts.code(name)
            return ("code", path, None, code) if code is not None and not rest else None
        if isinstance(binding, Instance) and len(rest) == 1 and not re.search(
            rf"^[ \t]*global\b[^\n]*\b{re.escape(name)}\b", facts.text, re.MULTILINE
        ):
            # A method of a module-level instance of a project class (no `global` rebinds it).
            made = self._resolve(_Scope(path, None, None), binding.of)
            if made is None or made[0] != "class":
                return None
            code = made[2].methods.get(rest[0])
            return ("code", made[1], made[2].name, code) if code is not None else None
        return None

    def _walk(self, bound: _Bound | None, rest: list[str]) -> tuple[_Bound | None, list[str]]:
        """Follow the parts of a dotted name through modules (`types.Message._parse`: the
        package `types`, then the name `Message` it binds or re-exports): the first binding
        that is not a module, and the parts left after it."""
        while bound is not None and bound[0] == "module" and rest:
            name, rest = rest[0], rest[1:]
            sub = self._bound(bound[1], name, set())
            if sub is None:
                package = self._read(bound[1])[1]
                if package is None or name in package.positions or package.stars:
                    return None, rest
                path = self._submodule(bound[1], name)
                sub = ("module", path) if path is not None else None
            bound = sub
        return bound, rest

    def _outside(self, module: str, dotted: str | None) -> str | None:
        """`dotted` as the module imports it from outside the project (`types.coroutine`)."""
        if not dotted:
            return None
        facts = self._read(module)[1]
        head, _, rest = dotted.partition(".")
        binding = facts.bindings.get(head) if facts is not None else None
        if not isinstance(binding, tuple) or binding[0]:
            return None
        level, source, imported = binding
        if self._module_file(module, level, source.split(".")) is not None:
            return None  # the project's own module
        full = f"{source}.{imported}" if imported else source
        return f"{full}.{rest}" if rest else full


NEVER = ""  # the verdict of an await that never suspends
CONCURRENCY_IMPORT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(?:asyncio|trio|anyio|curio|concurrent|threading|_thread|"
    r"multiprocessing|subprocess|gevent|eventlet|twisted|tornado)\b", re.MULTILINE)


@dataclass(frozen=True)
class _Scope:
    """Where names of the code being read are evaluated: its module, and for a method its
    class and the name of its first parameter."""

    module: str
    cls: str | None
    self_name: str | None


_Bound = tuple  # ("module", path) | ("name", path, ModuleFacts, name, binding)
_Target = tuple  # ("code", path, class name | None, CodeFacts) | ("class", path, ClassFacts)
MAX_DEPTH = 12  # calls followed from the awaited one


MAX_EFFECT_DEPTH = 6  # project calls followed from the one asked about
MAX_EFFECT_FUNCTIONS = 400  # functions whose effects one analysed file reads


@dataclass(frozen=True)
class Effects:
    """What calling a project function does to state that outlives the call, its own body and
    the project functions it calls: writes through its parameters, and the class or module
    state it writes and reads (by qualified name)."""

    params: tuple[str, ...]
    keywords: frozenset[str]
    writes: frozenset[tuple[str, str]]  # (parameter, path below it: "", ".cache[]")
    state_writes: frozenset[str]
    state_reads: frozenset[str]


@dataclass(frozen=True)
class _Callee:
    """A project function as one call reaches it, and what its first parameter is bound to
    by that call (`("state", "pkg.mod.Cls")` for a classmethod's `cls`, `("path", "CORE")`
    for a method of an instance), None when the call passes it."""

    module: str
    cls: str | None
    name: str
    own: OwnEffects
    first: tuple[str, str] | None


def _outermost(paths: frozenset[str] | set[str]) -> frozenset[str]:
    """The paths no other of them contains (`Sticker.cache` covers `Sticker.cache[]`: what
    overlaps the one overlaps the other)."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(_overlaps(path, shorter) for shorter in kept):
            kept.append(path)
    return frozenset(kept)


def _argument_path(effects: Effects, callee: _Callee, param: str,
                   args: tuple[str | None, ...],
                   keywords: tuple[tuple[str, str | None], ...]) -> str | None:
    """The access path a call passes for `param` (None: not passed, or not a path). A first
    parameter bound by the call (`cls`, an instance's `self`) is what it is bound to; state
    bound so is written by its qualified name."""
    if param in effects.params:
        index = effects.params.index(param)
        if callee.first is not None:
            if index == 0:
                return callee.first[1]
            index -= 1
        if index < len(args):
            return args[index]
    for keyword, value in keywords:
        if keyword == param:
            return value
    return None


def _first(code: CodeFacts) -> str | None:
    return code.params[0] if code.params else None


def _argument(init: CodeFacts, construction: Expr, param: str) -> Expr | None:
    """The argument a construction `cls(...)` passes for `__init__`'s parameter `param`."""
    _, _, args, keywords = construction
    for keyword, value in keywords:
        if keyword == param:
            return value
    index = init.params.index(param) - 1  # after `self`
    return args[index] if 0 <= index < len(args) else None


def imported_name(dotted: str | None, imports: ImportTable) -> str | None:
    """`dotted` (`m.f`, `f`) resolved through the import table when its first part is bound
    by an import, else None (a local, a parameter, a same-module name)."""
    if not dotted:
        return None
    if dotted.split(".", 1)[0] not in imports.bindings:
        return None
    return imports.resolve(dotted)


def _held_lookup(expr: ast.expr | None, params: set[str], local: set[str]) -> bool:
    """`self._users[uid]`, `cls.by_id.get(key)`, `_CACHE[key]`: a lookup in a container that
    outlives the call (an attribute of the instance or class, or a module-level name), not in
    a parameter or a local."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and (
        expr.func.attr == "get"
    ):
        container: ast.expr = expr.func.value
    elif isinstance(expr, ast.Subscript):
        container = expr.value
    else:
        return False
    root = container
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    if isinstance(container, ast.Attribute):
        return True  # `self.x[k]`, `cls.x[k]`, `module_state.x[k]`
    return root.id not in params and root.id not in local


def returns_held_value_first(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function's body, before its first await, returns a lookup of held state
    (see `_held_lookup`): inside an `if` (`if key in self._cache: return self._cache[key]`)
    or in the body of a `try` whose handler catches the missing key. Such a coroutine
    answers from memory whenever the entry is there: most calls do no I/O."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    local: set[str] = set()
    for stmt in fn.body:
        own = _frame_nodes([stmt])
        if isinstance(stmt, ast.If) and any(
            isinstance(n, ast.Return) and (
                _held_lookup(n.value, params, local) or _tested_attribute(n.value, stmt.test))
            for n in stmt.body
        ):
            return True
        if isinstance(stmt, ast.Try) and any(
            isinstance(n, ast.Return) and _held_lookup(n.value, params, local)
            for n in stmt.body
        ) and any(_catches_missing(h.type) for h in stmt.handlers):
            return True
        if any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in own):
            return False
        for n in own:
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                local.add(n.id)
    return False


def _tested_attribute(value: ast.expr | None, test: ast.expr) -> bool:
    """`if self._service is not None: return self._service`: an attribute the test reads
    (a lazily made, memoised value)."""
    path = _path(value) if isinstance(value, ast.Attribute) else None
    return path is not None and "[" not in path and any(
        _path(node) == path for node in ast.walk(test) if isinstance(node, ast.Attribute)
    )


def _catches_missing(caught: ast.expr | None) -> bool:
    """Whether an `except` clause catches a missing entry (`worth.MISSING_ENTRY`; one of a
    tuple is enough): `worth`'s test on Python's tree."""
    from parlint.analysis.worth import MISSING_ENTRY

    types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught else []
    return any(MISSING_ENTRY.match(_path(t).rsplit(".", 1)[-1] if _path(t) else "")
               for t in types)
