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
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


@dataclass
class ModuleFacts:
    """One parsed module: the binding of each top-level name when the module has run (the last
    one: `@overload` stubs give way to the implementation), the position of that binding, and
    its star imports `(position, level, module, conditional)`."""

    path: str
    text: str  # the source, newlines normalised (as the parser numbers lines)
    bindings: dict[str, Definition | tuple[int, str, str | None] | None]
    positions: dict[str, int]
    stars: list[tuple[int, int, str, bool]]
    exported: frozenset[str] | None  # `__all__` as a literal list of strings, if any
    functions: dict[str, FunctionFacts | None]  # filled as asked

    def function(self, name: str) -> FunctionFacts | None:
        if name not in self.functions:
            self.functions[name] = self._function(name)
        return self.functions[name]

    def _function(self, name: str) -> FunctionFacts | None:
        definition = self.bindings.get(name)
        if not isinstance(definition, Definition) or definition.kind == "class":
            return None
        lines = self.text.split("\n")[definition.first_line - 1 : definition.last_line]
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        node = tree.body[0] if len(tree.body) == 1 else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != name:
            return None
        return FunctionFacts(name, definition.kind == "async def", definition.decorated,
                             _suspends(node))

    def star_exports(self, name: str) -> bool:
        """Whether `from this import *` binds `name` (when the module binds it)."""
        if self.exported is not None:
            return name in self.exported
        return not name.startswith("_")


def _suspends(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body awaits (await, async for/with, async comprehension), outside nested
    scopes: the test of `dependence._awaits_anything` on libcst trees, except that an await in
    a nested def's decorators or defaults, which run in this body, counts."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)) or (
            isinstance(node, ast.comprehension) and node.is_async
        ):
            return True
        if isinstance(node, _SCOPES):
            # A nested scope's body is its own; its decorators and defaults run here.
            stack.extend(getattr(node, "decorator_list", ()))
            args = getattr(node, "args", None)
            if isinstance(args, ast.arguments):
                stack.extend(d for d in (*args.defaults, *args.kw_defaults) if d is not None)
            stack.extend(getattr(node, "bases", ()))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


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
                                        stmt.end_lineno or stmt.lineno)
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
                    return self._lookup(target, name, seen)
            elif target_facts.stars:
                return None  # it may pass the name on from further star imports
        binding = facts.bindings.get(name)
        if isinstance(binding, tuple):
            level, source, imported = binding
            if imported is None:
                return None  # a module
            target = self._module_file(module, level, source.split(".") if source else [])
            if target is None:
                return None
            return self._lookup(target, imported, seen)
        return facts.function(name)


def imported_name(dotted: str | None, imports: ImportTable) -> str | None:
    """`dotted` (`m.f`, `f`) resolved through the import table when its first part is bound
    by an import, else None (a local, a parameter, a same-module name)."""
    if not dotted:
        return None
    if dotted.split(".", 1)[0] not in imports.bindings:
        return None
    return imports.resolve(dotted)
