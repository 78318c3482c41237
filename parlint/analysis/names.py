"""Names: import/alias resolution, qualified names, receivers and access paths.

A cheap, syntax-only model (no libcst ScopeProvider/QualifiedNameProvider: they cost too much
for a linter that runs on every save). Stable API, used by several rules:

- `ImportTable` / `import_table(module)`: what each local name bound by an import means,
  e.g. `import asyncio as aio` -> `aio` = `asyncio`, `from asyncio import gather as g` ->
  `g` = `asyncio.gather`. `table.framework` says which async framework the module uses
  ("asyncio", "trio", "anyio" or None) and `table.asyncio_alias` how asyncio is imported.
- `dotted_name(expr)`: the source spelling of a Name/Attribute chain (`aio.gather`), else None.
- `qualified_name(expr, table)`: the dotted name with its first part resolved through the
  table (`aio.gather` -> `asyncio.gather`, `g` -> `asyncio.gather`); unimported names stay as
  written (`fetch` -> `fetch`, `self.client.get` -> `self.client.get`).
- `receiver_root(call)`: the object a method call goes through (`self.client.get(...)` ->
  `self.client`, `conn.fetch(...)` -> `conn`), None for a plain function call.
- `access_path(expr)`: a normalised path for reads/writes: `x`, `self.x`, `obj.attr`,
  `d[k]` -> `d[]`, `self.items[i].name` -> `self.items[].name`; None when not a path (a call,
  a literal...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import libcst as cst

FRAMEWORKS = ("asyncio", "trio", "anyio")


@dataclass
class ImportTable:
    """Local name -> fully qualified dotted name, for every name an import binds."""

    bindings: dict[str, str] = field(default_factory=dict)

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.bindings[alias.asname.name.value] = full
            else:
                # `import os.path` binds `os` (to the package `os`).
                head = full.split(".", 1)[0]
                self.bindings[head] = head

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module) if node.module is not None else ""
        if module is None:
            return
        dots = "." * len(node.relative)
        base = f"{dots}{module}" if module else dots
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            name = alias.name.value
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.bindings[local] = f"{base}.{name}" if not base.endswith(".") else f"{base}{name}"

    def add_statement(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    self.add_import(small)
                elif isinstance(small, cst.ImportFrom):
                    self.add_import_from(small)

    def resolve(self, dotted: str) -> str:
        """Resolve the first part of a dotted name through the imports."""
        head, sep, rest = dotted.partition(".")
        bound = self.bindings.get(head)
        if bound is None:
            return dotted
        return f"{bound}{sep}{rest}" if sep else bound

    def copy(self) -> ImportTable:
        return ImportTable(dict(self.bindings))

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The async frameworks imported anywhere in the table, in FRAMEWORKS order."""
        roots = {value.split(".", 1)[0] for value in self.bindings.values()}
        return tuple(f for f in FRAMEWORKS if f in roots)

    @property
    def framework(self) -> str | None:
        """The framework code should use: trio or anyio when imported (they need nurseries /
        task groups), else asyncio when imported, else None (plain `async def` code)."""
        found = self.frameworks
        for preferred in ("trio", "anyio", "asyncio"):
            if preferred in found:
                return preferred
        return None

    @property
    def asyncio_alias(self) -> str | None:
        """The local name bound to the asyncio module itself (`import asyncio as aio` -> "aio")."""
        for local, full in self.bindings.items():
            if full == "asyncio":
                return local
        return None

    def local_name_for(self, qualified: str) -> str | None:
        """A local spelling of `qualified` (`asyncio.gather` -> `aio.gather` or `gather`)."""
        for local, full in self.bindings.items():
            if full == qualified:
                return local
        module, _, attr = qualified.rpartition(".")
        for local, full in self.bindings.items():
            if full == module:
                return f"{local}.{attr}"
        return None


def iter_import_statements(body: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Statements at module level, including inside `if`/`try`/`with` blocks (TYPE_CHECKING,
    optional imports), but not inside functions or classes."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield stmt
        elif isinstance(stmt, cst.If):
            yield from iter_import_statements(_block(stmt.body))
            orelse = stmt.orelse
            while orelse is not None:
                yield from iter_import_statements(_block(orelse.body))
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
        elif isinstance(stmt, cst.Try):
            yield from iter_import_statements(_block(stmt.body))
            for handler in stmt.handlers:
                yield from iter_import_statements(_block(handler.body))
            if stmt.orelse is not None:
                yield from iter_import_statements(_block(stmt.orelse.body))
        elif isinstance(stmt, cst.With):
            yield from iter_import_statements(_block(stmt.body))


def _block(suite: cst.BaseSuite) -> Iterable[cst.CSTNode]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return (cst.SimpleStatementLine(body=suite.body),)
    return ()


def import_table(module: cst.Module) -> ImportTable:
    """The module-level import table (local imports inside functions are added by callers)."""
    table = ImportTable()
    for stmt in iter_import_statements(module.body):
        table.add_statement(stmt)
    return table


def dotted_name(expr: cst.CSTNode | None) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    node = expr
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def qualified_name(expr: cst.CSTNode | None, table: ImportTable | None = None) -> str | None:
    """The dotted name of `expr` resolved through `table` (see module doc)."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    name = dotted_name(expr)
    if name is None:
        return None
    return table.resolve(name) if table is not None else name


def access_path(expr: cst.CSTNode | None) -> str | None:
    """A normalised access path (`x`, `self.x`, `d[]`, `a.b[].c`), else None."""
    parts: list[str] = []
    node = expr
    while True:
        if isinstance(node, cst.Name):
            parts.append(node.value)
            break
        if isinstance(node, cst.Attribute):
            parts.append("." + node.attr.value)
            node = node.value
        elif isinstance(node, cst.Subscript):
            parts.append("[]")
            node = node.value
        else:
            return None
    return "".join(reversed(parts))


def path_root(path: str) -> str:
    """The variable a path starts from: `self.items[].x` -> `self`."""
    for i, ch in enumerate(path):
        if ch in ".[":
            return path[:i]
    return path


def receiver_root(call: cst.Call) -> str | None:
    """The access path of the object a method call goes through, None for plain calls."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return access_path(func.value)
    return None


def method_name(call: cst.Call) -> str | None:
    """The called function's or method's last name: `self.client.get(...)` -> `get`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None
