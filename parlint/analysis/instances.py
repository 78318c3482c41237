"""Calls of methods of the project's own classes: what they touch of their instance, and which
objects they await through.

A call of a method the module summarises (`summaries.Summary`) reads and writes what its
summary says of its instance, not the whole instance: `await self.get_projects()` reads and
writes `self._projects` and `self.api`, `await self.get_labels()` `self._labels` and
`self.api`; the two touch disjoint state. What a summary does not say is which objects the
method awaits through: two awaits through one object of unknown type are not grouped
(receivers.py), and two methods that await through the same `self._client` of unknown type
are no more independent than the two awaits. So each method's `MethodModel` also holds the
objects of unknown type it awaits through (as `_FunctionAnalyser._objects` judges them in
that method: known concurrency-safe receivers and service clients left out), over the methods
of `self` it calls. A method that awaits through a local alias or a parameter of unknown
type (`client = self._pick()`; `await client.get()`), or a callable held in one
(`fn = getattr(self._db, name)`; `await fn()`), has no model: what it goes through is the
caller's or unknown, and the call keeps today's answer (it reads all of `self`).

The same holds for a receiver whose class the project defines, when the function awaits two or
more calls through it: `coordinator: Coordinator = ...`, `self._repo = UserRepo(...)`, or a
receiver of unknown type on which the function awaits two or more distinct methods that exactly
one class defines (all of them), among the classes of the module and those it imports from its
own package (its directory). The class's methods are judged by the module that defines it:
this one (its `ModuleContext`), or another module of the package, parsed with libcst (its other
classes left out) once per content and reduced at once to the models of its class's methods.
A method the class does not define goes through all of the instance.
"""

from __future__ import annotations

import ast
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import libcst as cst

from parlint.analysis.effects import EffectPatterns
from parlint.analysis.facts import Facts, all_params, suite_facts
from parlint.analysis.names import access_path, dotted_name, path_root, qualified_name
from parlint.analysis.project import Definition
from parlint.analysis.receivers import object_of
from parlint.analysis.summaries import (
    OFFLOAD_CALLS,
    ModuleContext,
    Summary,
    build_module_context,
)
from parlint.analysis.walk import SCOPE_TYPES, children

if TYPE_CHECKING:
    from parlint.analysis.dependence import _FunctionAnalyser
    from parlint.analysis.project import ModuleFacts

# Another module of the project this long or longer (in lines other than its other classes')
# is not parsed for its classes (libcst's parse costs ~50 us a line): its classes have no models.
MAX_IMPORTED_LINES = 3000
# Models of imported classes kept per process.
MAX_IMPORTED_CLASSES = 128


@dataclass(frozen=True)
class MethodModel:
    """What a call of a method does to its instance, in the method's own terms (`self.x`):
    its summary (reads, writes, serial resources, effects), and the objects of unknown type
    it awaits through (`self._client`; module globals by their names)."""

    summary: Summary
    objects: frozenset[str]


@dataclass(frozen=True)
class ModelledCall:
    """A call of a modelled method, in the caller's terms: `prefix` is the receiver
    (`self`, `coordinator`, `self._repo`) the model's `self` stands for."""

    model: MethodModel
    prefix: str
    method: str
    on_self: bool  # a method of the caller's own `self`
    # The defining module's globals, for a class of another module: `<tag>:NAME` (they are not
    # the caller's names); None for this module.
    module_tag: str | None = None

    def rename(self, path: str) -> str:
        """A model path in the caller's terms: `self.x` -> `<prefix>.x`; a global of the
        defining module by its name (tagged by its module when that is another)."""
        if path_root(path) == "self":
            return self.prefix + path[4:]
        return path if self.module_tag is None else f"{self.module_tag}:{path}"

    @property
    def objects(self) -> frozenset[str]:
        """The objects the call goes through, in the caller's terms. An instance other than
        `self` also stands for itself, by the method called (`coordinator.get_projects`):
        another call through that instance whose method has no model goes through all of it
        (`coordinator`) and overlaps it, while two modelled methods do not. (A method of
        `self` without a summary is taken to write all of `self` instead.)"""
        renamed = set(map(self.rename, self.model.objects))
        if not self.on_self:
            renamed.add(f"{self.prefix}.{self.method}")
        return frozenset(renamed)


def module_tag(path: str) -> str:
    """A name for another module's globals that no path of the caller's can overlap."""
    return "<" + path.replace(".", "_").replace("[", "_") + ">"


# --- models of one module's methods ------------------------------------------------------


def method_model(
    ctx: ModuleContext, key: str, analyser: Callable[[cst.FunctionDef], _FunctionAnalyser]
) -> MethodModel | None:
    """The model of the method `key` (`Class.name`) of `ctx`'s module, None when it has none
    (no summary; it touches all of `self`; it awaits through a local alias or a parameter of
    unknown type, itself or through the methods of `self` it calls). `analyser` makes the
    per-function analyser that judges objects in a method (dependence._FunctionAnalyser)."""
    cache: dict[str, MethodModel | None] = vars(ctx).setdefault("_parlint_method_models", {})
    if key in cache:
        return cache[key]
    cache[key] = None
    info = ctx.functions.get(key)
    if info is None or info.self_name is None or key not in ctx.summaries:
        return None
    summary = ctx.summaries[key]
    if summary.touches_self:
        return None
    objects: set[str] = set()
    for reached in _reached_methods(ctx, key):
        own = _own_objects(ctx, reached, analyser)
        if own is None:
            return None
        objects |= own
    cache[key] = MethodModel(summary, frozenset(objects))
    return cache[key]


def _reached_methods(ctx: ModuleContext, key: str) -> list[str]:
    """`key` and the methods of `self` it reaches through calls on `self`."""
    reached, pending = [key], [key]
    while pending:
        for callee in sorted(ctx.summaries.self_callees(pending.pop())):  # type: ignore[attr-defined]
            if callee not in reached:
                reached.append(callee)
                pending.append(callee)
    return reached


def _own_objects(
    ctx: ModuleContext, key: str, analyser: Callable[[cst.FunctionDef], _FunctionAnalyser]
) -> set[str] | None:
    """The objects of unknown type a method's (or a module function's) own body awaits
    through, and through the module functions it awaits: `self`-rooted as `self.x`, module
    globals by their names (None: through a local alias, or a method's parameter, which the
    model cannot name; a module function's parameters are its callers' arguments)."""
    cache: dict[str, set[str] | None] = vars(ctx).setdefault("_parlint_own_objects", {})
    if key not in cache:
        cache[key] = None  # (a cycle of module functions: unknown)
        cache[key] = _judge_own_objects(ctx, key, analyser)
    return cache[key]


def _judge_own_objects(
    ctx: ModuleContext, key: str, analyser: Callable[[cst.FunctionDef], _FunctionAnalyser]
) -> set[str] | None:
    info = ctx.functions[key]
    self_name = info.self_name
    judge = analyser(info.node)
    facts = suite_facts(info.node.body)
    fresh = _fresh_locals(info.node, facts, judge)
    params = {p.name.value for p in all_params(info.node.params)}
    shared = (ctx.globals - facts.binds) | ({self_name} if self_name else set())
    found: set[str] = set()
    for call, receiver in _awaited_calls(info.node, judge):
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        qualified = qualified_name(call.func, judge.imports)
        offload = qualified in OFFLOAD_CALLS or method in OFFLOAD_CALLS
        callee = call.args[0].value if offload and call.args else call.func
        objects = set(judge._objects(call, receiver, offload))  # noqa: SLF001 - one judgement
        if isinstance(callee, cst.Name):
            name = callee.value
            if name not in ctx.functions and name not in judge.imports.bindings and (
                name in facts.binds | params
            ):
                # A callable held in a local or a parameter (`fn = getattr(self._db, name)`;
                # `await fn(...)`): what it goes through is not visible.
                return None
            if name in ctx.functions and ctx.functions[name].class_name is None:
                # A module function: the globals it goes through (its parameters are the
                # arguments, below).
                through = _own_objects(ctx, name, analyser)
                if through is None:
                    return None
                objects |= through
            # A function handed an object of the instance or a global (`await fetch(
            # self._conn, q)`): through that object, unless it is known concurrency-safe.
            for arg in call.args[1:] if offload else call.args:
                obj = object_of(access_path(arg.value), self_name)
                if obj is not None and path_root(obj) in shared and (
                    not judge._concurrency_safe(obj)  # noqa: SLF001
                ):
                    objects.add(obj)
        for obj in objects:
            root = path_root(obj)
            if root == self_name:
                found.add("self" + obj[len(root):])
            elif root in fresh or (self_name is None and root in params):
                continue  # made by this call (a response, a fresh client); or the caller's
            elif root in shared:
                found.add(obj)
            else:
                return None  # a method's parameter or a local alias: not nameable here
    return found


def _awaited_calls(
    fn: cst.FunctionDef, judge: _FunctionAnalyser
) -> list[tuple[cst.Call, str | None]]:
    """The calls a body awaits, and those of its `async with` items and `async for`
    iterables (they await too), each with its receiver path (None for a module's function);
    `async with self._lock:` counts as a call through `self._lock`."""
    out: list[tuple[cst.Call, str | None]] = []

    def add(expr: cst.BaseExpression) -> None:
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call):
            receiver = None
            if isinstance(expr.func, cst.Attribute):
                receiver = access_path(expr.func.value)
                if receiver is not None and path_root(receiver) in judge.imports.bindings:
                    receiver = None
            out.append((expr, receiver))
        else:
            path = access_path(expr)
            if path is not None and path_root(path) not in judge.imports.bindings:
                # A path entered as a context (`async with self._lock:`): through itself.
                out.append((cst.Call(func=cst.Attribute(value=expr, attr=cst.Name("_"))),
                            path))

    for node in _own_nodes(fn):
        kind = type(node)
        if kind is cst.Await:
            add(node.expression)  # type: ignore[attr-defined]
        elif kind is cst.With and node.asynchronous is not None:  # type: ignore[attr-defined]
            for item in node.items:  # type: ignore[attr-defined]
                add(item.item)
        elif kind is cst.For and node.asynchronous is not None:  # type: ignore[attr-defined]
            add(node.iter)  # type: ignore[attr-defined]
        elif kind is cst.CompFor and node.asynchronous is not None:  # type: ignore[attr-defined]
            add(node.iter)  # type: ignore[attr-defined]
    return out


def _own_nodes(fn: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    """The nodes of a function's body, not of the scopes nested in it."""
    stack: list[cst.CSTNode] = [fn.body]
    while stack:
        node = stack.pop()
        if type(node) not in SCOPE_TYPES:
            yield node
            stack.extend(children(node))


def _fresh_locals(fn: cst.FunctionDef, facts: Facts, judge: _FunctionAnalyser) -> set[str]:
    """Local names every binding of which makes a new object for this call: the result of an
    awaited call (`resp = await session.get(url)`), a `with ... as` target, or a constructor
    of an imported or capitalised name (`client = aiohttp.ClientSession()`). A name bound
    from anything else (`client = self._client`, `c = self._pick()`, a loop target) may be an
    object the instance keeps."""
    params = {p.name.value for p in all_params(fn.params)}
    fresh: dict[str, bool] = {}
    for node in _own_nodes(fn):
        kind = type(node)
        if kind is cst.Assign or kind is cst.AnnAssign:
            targets = [t.target for t in node.targets] if kind is cst.Assign else [  # type: ignore[attr-defined]
                node.target]  # type: ignore[attr-defined]
            value = node.value  # type: ignore[attr-defined]
            made = value is not None and _constructs(value, judge)
            for target in targets:
                if isinstance(target, cst.Name):
                    fresh[target.value] = fresh.get(target.value, True) and made
        elif kind is cst.WithItem and node.asname is not None:  # type: ignore[attr-defined]
            target = node.asname.name  # type: ignore[attr-defined]
            if isinstance(target, cst.Name):
                fresh.setdefault(target.value, True)
    # Bound any other way too (a loop target, a walrus, augmented): not fresh.
    return {name for name, made in fresh.items() if made and name not in params
            and name in facts.binds}


def _constructs(value: cst.BaseExpression, judge: _FunctionAnalyser) -> bool:
    if isinstance(value, cst.Await):
        return isinstance(value.expression, cst.Call)
    if not isinstance(value, cst.Call):
        return False
    name = dotted_name(value.func)
    if name is None:
        return False
    return path_root(name) in judge.imports.bindings or name.rsplit(".", 1)[-1][:1].isupper()


# --- classes of other modules of the project ---------------------------------------------

# (path, digest, class, the analysis options) -> method -> model.
_IMPORTED: OrderedDict[
    tuple[str, str, str, EffectPatterns], dict[str, MethodModel | None] | None
] = OrderedDict()


def clear_imported_models() -> None:
    _IMPORTED.clear()


def own_package_name(ctx: ModuleContext, qualified: str) -> bool:
    """Whether an imported name may come from the analysed module's own package (its
    directory): `.coordinator.Coordinator`, `pkg.integration.coordinator.Coordinator`."""
    project = ctx.project
    if project is None:
        return False
    if qualified.startswith("."):
        return not qualified.startswith("..")
    directory = os.path.dirname(project.file)
    relative = os.path.relpath(directory, project.import_root)
    if relative.startswith(".."):
        return False
    package = relative.replace(os.sep, ".")
    return package != "." and qualified.startswith(package + ".")


def imported_class(ctx: ModuleContext, qualified: str) -> tuple[str, str, ModuleFacts] | None:
    """The file, class name and module facts of a class the analysed module's own package (its
    directory) defines in another module, by the name this module imports it as
    (`.coordinator.Coordinator`), None when unknown or elsewhere (every module read is
    recorded as a dependency)."""
    project = ctx.project
    if project is None or not qualified or not own_package_name(ctx, qualified):
        return None
    level = len(qualified) - len(qualified.lstrip("."))
    parts = qualified[level:].split(".")
    if not parts or not all(parts) or (level == 0 and len(parts) < 2):
        return None
    module = project._module_file(project.file, level, parts[:-1])  # noqa: SLF001
    if module is None:
        return None
    bound = project._bound(module, parts[-1], set())  # noqa: SLF001
    if bound is None or bound[0] != "name":
        return None
    _, path, facts, name, binding = bound
    if not isinstance(binding, Definition) or binding.kind != "class" or path == project.file:
        return None
    if not path.startswith(os.path.dirname(project.file) + os.sep):
        return None  # re-exported from elsewhere
    return path, name, facts


def imported_models(
    ctx: ModuleContext, path: str, class_name: str, facts: ModuleFacts,
    analyser: Callable[[cst.FunctionDef, ModuleContext], _FunctionAnalyser],
) -> dict[str, MethodModel | None] | None:
    """Method -> model for the class `class_name` of the project module at `path` (judged in
    that module, without facts of further modules: its objects are then only more often of
    unknown type), None when the module is not parsed."""
    digest = ctx.project.dependencies.get(path) if ctx.project is not None else None
    key = (path, getattr(digest, "digest", None) or "", class_name, ctx.patterns)
    if key in _IMPORTED:
        _IMPORTED.move_to_end(key)
        return _IMPORTED[key]
    models: dict[str, MethodModel | None] | None = None
    text = _without_other_classes(facts.text, class_name)
    if text is not None and text.count("\n") - text.count("\n\n") < MAX_IMPORTED_LINES:
        try:
            module = cst.parse_module(text)
        except Exception:  # noqa: BLE001 - a module libcst cannot parse: no models
            module = None
        if module is not None:
            other = build_module_context(module, ctx.patterns)
            models = {
                info.node.name.value: method_model(
                    other, info.key, lambda fn: analyser(fn, other))
                for info in other.functions.values() if info.class_name == class_name
            }
    _IMPORTED[key] = models
    while len(_IMPORTED) > MAX_IMPORTED_CLASSES:
        _IMPORTED.popitem(last=False)
    return models


def _without_other_classes(text: str, class_name: str) -> str | None:
    """The module with the lines of its other top-level classes blanked (what the class's
    methods are judged by: imports, globals, module functions, the class itself; libcst's
    parse costs by the line), None when Python cannot parse it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = text.split("\n")
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name != class_name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            for number in range(first - 1, node.end_lineno or node.lineno):
                lines[number] = ""
    return "\n".join(lines)

