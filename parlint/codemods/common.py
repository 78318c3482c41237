"""Small helpers shared by the builders: names, rendering, statement templates."""

from __future__ import annotations

from typing import Collection, Iterable, Sequence

import libcst as cst

_RENDER = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    """The source text of a node (without its leading blank lines and comments)."""
    if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        node = node.with_changes(leading_lines=())
    return _RENDER.code_for_node(node)


def names_in(node: cst.CSTNode | None) -> set[str]:
    """Every identifier written anywhere in `node` (an over-approximation of its scope's names)."""
    found: set[str] = set()
    if node is None:
        return found

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(_Names())
    return found


def fresh_name(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... : the first one not in `taken` (which it joins)."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def statement(source: str) -> cst.BaseStatement:
    return cst.parse_statement(source)


def expression(source: str) -> cst.BaseExpression:
    return cst.parse_expression(source)


def comment_lines(statement: cst.CSTNode) -> list[cst.EmptyLine]:
    """A statement's leading comments plus its trailing comment, as standalone comment lines.

    Used when a statement is folded into another so that no comment is lost.
    """
    lines = [line for line in getattr(statement, "leading_lines", ()) if line.comment is not None]
    trailing = getattr(statement, "trailing_whitespace", None)
    if trailing is None:
        body = getattr(statement, "body", None)
        trailing = getattr(body, "header", None)
    if trailing is not None and trailing.comment is not None:
        lines.append(cst.EmptyLine(comment=trailing.comment))
    return lines


def with_leading(node: cst.BaseStatement, lines: Sequence[cst.EmptyLine]) -> cst.BaseStatement:
    return node.with_changes(leading_lines=(*lines, *node.leading_lines))


def module_alias(module: cst.Module, name: str) -> str | None:
    """The name under which `module` imports the top-level module `name`, if it does.

    `import asyncio` -> "asyncio"; `import asyncio as aio` -> "aio"; None when not imported so
    (the fix then asks for `import asyncio` through FixSpec.imports).
    """
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.Import):
                continue
            for alias in small.names:
                if code(alias.name) == name:
                    if alias.asname is None:
                        return name
                    target = alias.asname.name
                    if isinstance(target, cst.Name):
                        return target.value
    return None


def import_request(name: str | None, module: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """FixSpec.imports for using `module` when it is not imported yet (`name` is None)."""
    return () if name is not None else ((module, None, None),)


def contains(node: cst.CSTNode, kinds: type | tuple[type, ...]) -> bool:
    """Whether `node` contains a node of `kinds`, not looking into nested functions/lambdas."""
    found = False

    class _Find(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            nonlocal found
            if found:
                return False
            if isinstance(n, kinds):
                found = True
                return False
            return not isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef))

    for child in node.children:
        child.visit(_Find())
    if isinstance(node, kinds):
        return True
    return found


def bound_names(target: cst.CSTNode) -> list[str] | None:
    """The names an assignment target binds, in order; None when it is not made of plain names."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: list[str] = []
        for element in target.elements:
            inner = element.value
            names = bound_names(inner)
            if names is None:
                return None
            out.extend(names)
        return out
    if isinstance(target, cst.StarredElement):
        return bound_names(target.value)
    return None


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# The last scope asked about and its names: a function's groups ask in a row, and walking the
# whole function once per group made fixing a long function quadratic.
_last_scope: list = [None, frozenset()]


def taken_names(scope: cst.CSTNode | None, extra: Collection[str] = ()) -> set[str]:
    if scope is None:
        return set(extra)
    if _last_scope[0] is not scope:  # nodes are immutable: the same node has the same names
        _last_scope[:] = [scope, frozenset(names_in(scope))]
    return set(_last_scope[1]) | set(extra)


def bounding_wrapper(asyncio: str, limit: int, taken: set[str]) -> tuple[list[cst.BaseStatement], str]:
    """`_semaphore = asyncio.Semaphore(limit)` and `async def _bounded(awaitable)` that awaits
    under it: wrapping each awaitable of a gather/create_task bounds how many run at once."""
    semaphore = fresh_name("_semaphore", taken)
    wrapper = fresh_name("_bounded", taken)
    return [
        statement(f"{semaphore} = {asyncio}.Semaphore({limit})\n"),
        statement(
            f"async def {wrapper}(awaitable):\n"
            f"    async with {semaphore}:\n"
            f"        return await awaitable\n"
        ),
    ], wrapper


# Generated statements longer than this (counted without their indentation, which the builders
# cannot see) get their gather's arguments one per line, black-style.
LINE_LIMIT = 80


def _newline_indent(last: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=True,
        last_line=cst.SimpleWhitespace(last),
    )


def wrap_long_call(stmt: cst.BaseStatement, func_names: Collection[str] = ("gather",)) -> cst.BaseStatement:
    """`stmt` with the arguments of its first `gather(...)` call one per line when the
    statement is long; the continuation lines follow the statement's own indentation."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(code(stmt).rstrip("\n")) <= LINE_LIMIT:
        return stmt
    found: list[cst.Call] = []

    class _Find(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> bool:
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if not found and name in func_names and len(call.args) > 1:
                found.append(call)
                return False
            return True

    stmt.visit(_Find())
    if not found:
        return stmt
    call = found[0]
    args = []
    for arg in call.args:
        args.append(arg.with_changes(comma=cst.Comma(whitespace_after=_newline_indent("    "))))
    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=_newline_indent("")))
    wrapped = call.with_changes(whitespace_before_args=_newline_indent("    "), args=args)
    return stmt.deep_replace(call, wrapped)  # type: ignore[return-value]


def first_await(node: cst.CSTNode) -> cst.Await | None:
    """The first `await` in `node`, in source order."""
    found: list[cst.Await] = []

    class _Find(cst.CSTVisitor):
        def visit_Await(self, await_: cst.Await) -> bool:
            if not found:
                found.append(await_)
            return False

    node.visit(_Find())
    return found[0] if found else None
