"""Whether a function's latency is worth a change at all (PAR101 and PAR102).

Overlapping awaits changes how code runs; a careful engineer makes that change where the time
matters and the code will live on. Two kinds of function say plainly that it does not:

- a diagnostics report (`async_get_config_entry_diagnostics`, `collect_diagnostics`): a dump
  a user asks for by hand, rarely, to attach to a bug report. It reads each device or account
  once through whatever client the integration holds, so the few seconds saved are worth
  nothing, and a burst of concurrent reads may trip the rate limit of that one client;
- a deprecated function that announces its own removal as its first act (a `DeprecationWarning`,
  `@deprecated`, a deprecation issue or log line as an unconditional statement of its body):
  the code is on its way out, and a rewrite would change behaviour users are being moved away
  from. A deprecation under an `if` (one deprecated parameter or mode) does not count: the
  function lives on;
- an error handler: a function handed the exception that ended the work (a required parameter
  typed as an exception, `async def afail(self, err: BaseException)`). It runs on the error
  path, where latency rarely matters, and its clean-up order (cancel, join, notify) is usually
  deliberate.

Code of the error path inside a function says the same: statements in an `except` handler
(`error_path_nodes(fn)`) are teardown, fallback or retry, seldom worth overlapping. A
`finally` block does not count: it runs on the normal path too; nor does a handler of a missing
entry (`KeyError`, `LookupError`, `FileNotFoundError`, `...NotFound`, `...DoesNotExist`): that is
ordinary control flow (EAFP), the handler is the normal path for a cache miss.

A function can also be concurrent already: when every mention of it in its module (outside its
own body) is the per-item work of a fan-out (`gather(*(describe(t) for t in tables))`, tasks
started in a loop), its callers overlap it across the items, and overlapping its own awaits as
well multiplies the concurrent requests (connections, rate limits) for little gain
(`fanned_out(fn, module, method)`; `check` keeps the mentioning functions in the reduced source).

`one_off(fn)` gives the `Reason` detail, or None.
"""

from __future__ import annotations

import re

import libcst as cst

from parlint.analysis.effects import name_words
from parlint.analysis.names import dotted_name
from parlint.analysis.walk import children, walk

DIAGNOSTIC_WORDS = frozenset(("diagnostic", "diagnostics", "diagnose"))
# Words of the calls that tell the user something: warnings, log lines, issues.
NOTICE_WORDS = ("warn", "issue", "debug", "info", "error", "critical", "log", "print")


def _mentions_deprecation(node: cst.CSTNode) -> bool:
    """A string, name or attribute in `node` that says "deprecat..."."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.SimpleString):
            value = current.evaluated_value
            if isinstance(value, str) and "deprecat" in value.lower():
                return True
        elif isinstance(current, cst.Name) and "deprecat" in current.value.lower():
            return True
        elif isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(children(current))
    return False


def _announces_deprecation(fn: cst.FunctionDef) -> bool:
    for decorator in fn.decorators:
        expr = decorator.decorator
        name = dotted_name(expr.func if isinstance(expr, cst.Call) else expr) or ""
        if "deprecat" in name.lower():
            return True
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        # Only simple statements of the body itself: a deprecation under `if` or `try`
        # concerns one parameter or mode, not the function.
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call) and _deprecation_notice(value):
                return True
    return False


def _deprecation_notice(call: cst.Call) -> bool:
    """`warnings.warn("... deprecated", DeprecationWarning)`, `logger.warning("... is
    deprecated")`, `create_issue(..., "service_deprecation")`, `warn_deprecated(...)`: a call
    that tells the user about a deprecation. (A helper that handles deprecated arguments,
    `params = drop_deprecated(params)`, tells nobody: the function lives on.)"""
    func = call.func.attr if isinstance(call.func, cst.Attribute) else call.func
    name = func.value.lower() if isinstance(func, cst.Name) else ""
    if "deprecat" in name and ("warn" in name or "issue" in name):
        return True
    notifies = any(word in name for word in NOTICE_WORDS)
    return notifies and any(_mentions_deprecation(arg.value) for arg in call.args)


def _is_exception_type(annotation: cst.BaseExpression) -> bool:
    """`BaseException`, `Exception`, `errors.ApiError`: one exception class (an optional one,
    `BaseException | None`, is not: the function also runs when nothing failed)."""
    name = dotted_name(annotation)
    last = name.rsplit(".", 1)[-1] if name else ""
    return last.endswith(("Exception", "Error")) and last[:1].isupper()


def exception_parameter(fn: cst.FunctionDef) -> str | None:
    """The required parameter of `fn` typed as an exception (`err: BaseException`), or None."""
    params = fn.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.default is None and param.annotation is not None and _is_exception_type(
            param.annotation.annotation
        ):
            return param.name.value
    return None


def error_path_nodes(fn: cst.FunctionDef) -> set[int]:
    """The ids of the nodes of `fn` that run only after an exception: those in its `except`
    handlers, at any depth (not of nested functions or classes, which run elsewhere)."""
    nested = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
    found: set[int] = set()
    for node in walk(fn.body, skip=nested):
        if (
            isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler))
            and id(node) not in found
            and not _catches_a_miss(node.type)
        ):
            found.update(id(inner) for inner in walk(node.body, skip=nested))
    return found


# Exceptions that report a missing entry: Python code handles them as ordinary control flow
# (EAFP: `try: return cache[key] except KeyError: <fetch it>`), not as a failure.
MISSING_ENTRY = re.compile(r"^(KeyError|LookupError|IndexError|AttributeError|StopAsyncIteration|"
                   r"StopIteration|FileNotFoundError|.*NotFound.*|.*DoesNotExist.*|.*Miss.*)$")


def _catches_a_miss(caught: cst.BaseExpression | None) -> bool:
    """Whether an `except` clause catches a missing entry (one of a tuple is enough)."""
    if caught is None:
        return False
    types = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return any(MISSING_ENTRY.match((dotted_name(t) or "").rsplit(".", 1)[-1]) for t in types)


def on_error_path(stmt: cst.CSTNode, nodes: set[int]) -> bool:
    """Whether the statement `stmt` is one of `error_path_nodes` (a one-line suite's
    statement is a fresh pseudo-line: its first small statement decides)."""
    if id(stmt) in nodes:
        return True
    body = getattr(stmt, "body", None)
    return isinstance(stmt, cst.SimpleStatementLine) and bool(body) and id(body[0]) in nodes


def one_off(fn: cst.FunctionDef) -> str | None:
    """Why overlapping the awaits of `fn` is not worth a change, or None."""
    if DIAGNOSTIC_WORDS & set(name_words(fn.name.value)):
        return "a diagnostics report (asked for by hand, rarely)"
    if _announces_deprecation(fn):
        return "a deprecated function (it announces its removal)"
    error = exception_parameter(fn)
    if error is not None:
        return (f"an error handler (handed the exception `{error}`): the error path, where "
                "latency rarely matters and the clean-up order is deliberate")
    return None


# Calls that run the awaitables of a collection at once, and calls that start one task.
_COLLECTING = frozenset(("gather", "wait", "as_completed"))
_SPAWNING = frozenset(("create_task", "ensure_future", "start_soon"))
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _last_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _fan_out_work(fn: cst.FunctionDef) -> set[int]:
    """The ids of the nodes of `fn` that are the per-item work of a fan-out: the element of a
    comprehension run at once (`gather(*(work(x) for x in xs))`, also through a local name
    the comprehension is bound to, or a list filled by `append` in a `for` loop), and what a
    task is started with inside a loop (`tg.create_task(work(x))` under `for x in xs`)."""
    nodes = list(walk(fn.body, skip=_SCOPES))
    bound: dict[str, list[cst.BaseExpression]] = {}  # name -> comprehensions / appended items
    loops_bodies: list[cst.CSTNode] = []
    for node in nodes:
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(
            node.targets[0].target, cst.Name
        ) and isinstance(node.value, _COMPREHENSIONS):
            bound.setdefault(node.targets[0].target.value, []).append(node.value.elt)
        elif isinstance(node, (cst.For, *_COMPREHENSIONS)):
            loops_bodies.append(node.body if isinstance(node, cst.For) else node.elt)
    per_item: set[int] = set()
    in_loops = {id(n) for body in loops_bodies for n in walk(body, skip=_SCOPES)}
    for node in nodes:
        if not isinstance(node, cst.Call) or id(node) not in in_loops:
            continue
        name = _last_name(node)
        if name == "append" and isinstance(node.func, cst.Attribute) and isinstance(
            node.func.value, cst.Name
        ) and node.args:
            bound.setdefault(node.func.value.value, []).append(node.args[0].value)
        elif name in _SPAWNING:
            per_item.update(id(n) for arg in node.args for n in walk(arg.value, skip=_SCOPES))
    for node in nodes:
        if not isinstance(node, cst.Call) or _last_name(node) not in _COLLECTING:
            continue
        for arg in node.args:
            value = arg.value
            if isinstance(value, _COMPREHENSIONS):
                elements = [value.elt]
            elif isinstance(value, cst.Name):
                elements = bound.get(value.value, [])
            else:
                elements = []
            for element in elements:
                per_item.update(id(n) for n in walk(element, skip=_SCOPES))
    return per_item


def fanned_out(fn: cst.FunctionDef, module: cst.Module, method: bool) -> str | None:
    """Why `fn` is concurrent already, or None: every reference to it in its module, outside
    its own body, is the per-item work of a fan-out (`gather(*(fn(x) for x in xs))`). Its
    callers overlap it across the items; overlapping its own awaits as well multiplies the
    concurrent requests by the number of items (connections, rate limits) for little gain.

    A module function is referred to by its name, a method by any attribute of that name;
    a function with no such reference in its module (called from elsewhere, or not at all)
    is not known to be fanned out."""
    name = fn.name.value
    found = 0

    def visit(node: cst.CSTNode, per_item: set[int] | None) -> bool:
        nonlocal found
        for child in children(node):
            if child is fn:
                continue
            if isinstance(child, cst.FunctionDef):
                if child.name.value == name and not method and per_item is None:
                    return False  # another definition of the name: not one function
                if not visit(child, _fan_out_work(child)):
                    return False
                continue
            refers = (
                isinstance(child, cst.Attribute) and child.attr.value == name
                if method else isinstance(child, cst.Name) and child.value == name
            )
            if refers:
                if per_item is None or id(child) not in per_item:
                    return False
                found += 1
                continue
            if not visit(child, per_item):
                return False
        return True

    if not visit(module, None) or not found:
        return None
    return ("concurrent already: every caller in its module runs it for many items at once "
            "(overlapping its own awaits too would multiply the concurrent requests)")
