"""Which object an awaited call goes through, and what the module shows about that object.

Two reads through one object are only independent when the object can serve them at once. An
object whose type the analysis cannot see may hold one connection, talk to one small device
that answers one request at a time, log in or fetch a token on its first call, or cache what
the first call loads: the second call relies on the first in ways the call site does not show.
So two awaits through the same object of unknown type are not grouped, unless the module shows
the object is a client of a service over a concurrency-safe HTTP session:

- its type or name is a known concurrency-safe receiver (`concurrent-safe-receivers`), or
- the module constructs it (in the function, in a method of its class as `self.x = ...`, or at
  module level) from a concurrency-safe HTTP session (`aiohttp.ClientSession`,
  `async_get_clientsession(...)`, `httpx.AsyncClient`, or a name typed as one) and with no
  argument that names one network endpoint (host, ip, address, port, url...): a client built
  for one host is a device or a small server.

The object of `self.api.system.get_config()` is `self.api`; of `api.get_x()` it is `api`; an
argument counts as a use of an object when the function calls methods on it elsewhere
(`get_hosts(fbx)` and `fbx.system.get_config()` both use `fbx`). Calls on `self` itself are left
to the module's summaries; calls on modules have no object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

import libcst as cst

from parlint.analysis.effects import name_words
from parlint.analysis.facts import Facts, all_params
from parlint.analysis.names import ImportTable, access_path, dotted_name
from parlint.analysis.project import (
    Definition,
    ModuleFacts,
    Project,
    _read_bytes,
    content_digest,
    is_racy,
    stat_of,
)
from parlint.analysis.summaries import FunctionInfo, ModuleContext, compound_suites, local_types
from parlint.analysis.walk import SCOPE_TYPES, children, suite_statements
from parlint.types import Dependency

# Words of an argument (keyword or the names in its expression) that name one endpoint.
ENDPOINT_WORDS = frozenset("host hostname ip ipaddr address addr port url uri".split())
# Last words of the types (and factories) of API clients.
API_CLIENT_WORDS = frozenset(("client", "api"))
ASYNC_WORDS = frozenset(("async", "aio", "asyncio"))
_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
# Factories and types whose result serves concurrent HTTP requests.
HTTP_SESSION_WORDS = ("clientsession", "client_session", "asyncclient", "async_client")


def object_of(path: str | None, self_name: str | None) -> str | None:
    """The object a receiver path goes through: `self.api.system` -> `self.api`,
    `api.system` -> `api`; None for `self` itself and for no receiver."""
    if not path:
        return None
    parts = path.replace("[]", "").split(".")
    if parts[0] == self_name or parts[0] in ("self", "cls"):
        return f"{parts[0]}.{parts[1]}" if len(parts) > 1 else None
    return parts[0]


def _identifier_words(node: cst.CSTNode) -> set[str]:
    """The lower-case words of every name, attribute and keyword in an expression."""
    words: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            words.update(name_words(current.value))
        elif isinstance(current, cst.SimpleString):  # `entry.data["host"]`
            value = current.evaluated_value
            if isinstance(value, str) and value.isidentifier():
                words.update(name_words(value))
        elif isinstance(current, cst.Arg) and current.keyword is not None:
            words.update(name_words(current.keyword.value))
        stack.extend(children(current))
    return words


def endpoint_word(word: str) -> bool:
    """`host`, `hosts`, `ipaddr`, `ipv4`, `urls`: a word naming a network endpoint."""
    return (
        word in ENDPOINT_WORDS
        or (word.endswith("s") and word[:-1] in ENDPOINT_WORDS)
        or word.startswith(("ipaddr", "ipv4", "ipv6", "hostname"))
    )


def names_endpoint(call: cst.Call) -> bool:
    """Whether a constructor call is given one network endpoint (`Hole(host, session)`,
    `Device(url=f"http://{ip}")`, `Client(entry.data[CONF_HOST])`)."""
    return any(endpoint_word(w) for arg in call.args for w in _identifier_words(arg))


def http_session_factory(expr: cst.BaseExpression) -> bool:
    """`aiohttp.ClientSession()`, `async_get_clientsession(hass)`, `httpx.AsyncClient()`."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not isinstance(expr, cst.Call):
        return False
    name = (dotted_name(expr.func) or "").rsplit(".", 1)[-1].lower()
    return any(word in name for word in HTTP_SESSION_WORDS)


Value = tuple[cst.BaseExpression, dict[str, str]]  # an assigned expression, its scope's types


class ValueLayer(Protocol):
    """Assigned values by access path: a dict, or a layer read only when asked."""

    def get(self, path: str, default: Sequence[Value] = ..., /) -> Sequence[Value]: ...


def api_client_type(type_name: str) -> bool:
    """`XboxLiveClient`, `MyUplinkAPI`, `get_client` (a factory): a type or factory named
    as the client of an API."""
    last = _ACRONYM.sub("_", type_name.rsplit(".", 1)[-1])  # `TodoistAPIAsync`: API_Async
    words = [w for w in name_words(last) if w not in ASYNC_WORDS]
    return bool(words) and words[-1] in API_CLIENT_WORDS


class ObjectEvidence:
    """What the module shows about the objects one function calls through.

    `values` maps an access path (`client`, `self._api`, a module global) to the expressions
    assigned to it in the function, in the methods of its class (as `self.<attr>`) and at
    module level, each with the local types of its scope (annotations, constructors).
    `is_safe(path, types)` answers whether a path is typed or named as a concurrency-safe
    receiver (the analysis options decide)."""

    def __init__(
        self,
        values: dict[str, list[Value]] | Sequence[ValueLayer],
        is_safe: Callable[[str, dict[str, str]], bool],
    ) -> None:
        # One mapping, or layers (function, class, module) read together without copying.
        self.layers: list[ValueLayer] = [values] if isinstance(values, dict) else list(values)
        self.is_safe = is_safe

    def values_of(self, path: str) -> list[Value]:
        return [value for layer in self.layers for value in layer.get(path, ())]

    def _http_session(self, expr: cst.BaseExpression, types: dict[str, str],
                      depth: int = 0) -> bool:
        if http_session_factory(expr):
            return True
        path = access_path(expr)
        if path is None:
            return False
        if self.is_safe(path, types):
            return True
        return depth < 2 and any(
            self._http_session(value, scope, depth + 1)
            for value, scope in self.values_of(path)
        )

    def made_for_endpoint(self, obj: str) -> bool:
        """Whether the module or its package constructs `obj` for one network endpoint
        (`Bulb(host, session)`): a device or a small server (for `explain`)."""
        for value, _types in self.values_of(obj):
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call) and names_endpoint(value):
                return True
        return False

    def service_client(self, obj: str, type_name: str | None = None, depth: int = 0) -> bool:
        """Whether `obj` is built here as a client of a service over a concurrency-safe
        HTTP session, or declared as an API client (`type_name`), and never for one
        endpoint."""
        seen_service = bool(type_name) and api_client_type(type_name)
        for value, types in self.values_of(obj):
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call):
                if names_endpoint(value):
                    return False
                if any(self._http_session(arg.value, types) for arg in value.args):
                    seen_service = True
            else:
                path = access_path(value)
                if path is not None and depth < 2 and path != obj:
                    if self.service_client(path, None, depth + 1):
                        seen_service = True
        return seen_service


def simple_assignments(
    suite: cst.BaseSuite | None,
) -> Iterator[tuple[str, cst.BaseExpression]]:
    """`(target path, value)` of the single-target assignments and `with ... as` bindings in a
    suite, nested blocks included, nested functions and classes not."""
    for stmt in suite_statements(suite):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = access_path(small.targets[0].target)
                    if target:
                        yield target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target = access_path(small.target)
                    if target:
                        yield target, small.value
            continue
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                if item.asname is not None:
                    target = access_path(item.asname.name)
                    if target:
                        yield target, item.item
        for inner in compound_suites(stmt):
            yield from simple_assignments(inner)


def collect_values(
    pairs: Iterable[tuple[str, cst.BaseExpression]],
    types: dict[str, str],
    into: dict[str, list[Value]],
    rename: tuple[str, str] | None = None,
) -> None:
    """Add assignment pairs (with their scope's `types`) to `into`; `rename=(old, new)` maps
    `old.x` to `new.x`."""
    for target, value in pairs:
        if rename is not None and (target == rename[0] or target.startswith(rename[0] + ".")):
            target = rename[1] + target[len(rename[0]):]
        into.setdefault(target, []).append((value, types))


def _module_values(ctx: ModuleContext) -> dict[str, list[Value]]:
    cached = getattr(ctx, "_parlint_module_values", None)
    if cached is None:
        cached = {}
        collect_values(simple_assignments(cst.IndentedBlock(body=ctx.module.body)), {}, cached)
        setattr(ctx, "_parlint_module_values", cached)  # noqa: B010 - a per-module cache
    return cached


def _class_values(ctx: ModuleContext, class_name: str) -> dict[str, list[Value]]:
    """`self.<attr>` assignments of every method of the class, keyed `self.<attr>`."""
    caches = getattr(ctx, "_parlint_class_values", None)
    if caches is None:
        caches = {}
        setattr(ctx, "_parlint_class_values", caches)  # noqa: B010 - a per-module cache
    if class_name not in caches:
        values: dict[str, list[Value]] = {}
        for info in ctx.functions.values():
            if info.class_name == class_name and info.self_name:
                pairs = [
                    (target, value)
                    for target, value in simple_assignments(info.node.body)
                    if target.startswith(info.self_name + ".")
                ]
                if pairs:
                    types = local_types(info.node, Facts(), ctx.imports)
                    collect_values(pairs, types, values, rename=(info.self_name, "self"))
                if info.node.name.value == "__init__":
                    _constructor_arguments(ctx, class_name, info, pairs, values)
        caches[class_name] = values
    return caches[class_name]


def _fed_attributes(
    init: FunctionInfo, pairs: Sequence[tuple[str, cst.BaseExpression]]
) -> tuple[list[str], dict[str, str]]:
    """The parameters of `__init__` after `self`, and which of them it stores as which
    attribute (`self.line = line`: `{"line": "self.line"}`)."""
    params = [p.name.value for p in all_params(init.node.params)][1:]
    wanted = {
        value.value: "self" + target[len(init.self_name or "self"):]
        for target, value in pairs
        if isinstance(value, cst.Name) and value.value in params
    }
    return params, wanted


def _constructor_arguments(
    ctx: ModuleContext, class_name: str, init: FunctionInfo,
    pairs: Sequence[tuple[str, cst.BaseExpression]], into: dict[str, list[Value]],
) -> None:
    """`self.line = line` in `__init__(self, line)`: the attribute holds what the module passes
    for `line` where it constructs the class (`Sensor(Passages(stop, key, session))`), each
    with the constructing function's local types; a name that function binds once is replaced
    by its value, one level deep (`session = async_get_clientsession(hass)`)."""
    params, wanted = _fed_attributes(init, pairs)
    if not wanted:
        return
    for caller, calls in _plain_name_calls(ctx).get(class_name, ()):
        _passed_arguments(caller, class_name, params, wanted, ctx.imports, into, calls)


def _plain_name_calls(
    ctx: ModuleContext,
) -> dict[str, list[tuple[cst.FunctionDef, list[cst.Call]]]]:
    """Called name -> (function, its calls of that name), for every plain name called in the
    module's functions. Built once per module context (kept in its `__dict__`): a class's
    constructions are looked up for every class whose facts are read, and each lookup walked
    every function of the module."""
    index = vars(ctx).get("_plain_name_calls")
    if index is None:
        index = {}
        for caller in ctx.functions.values():
            by_name: dict[str, list[cst.Call]] = {}
            for call in _calls(caller.node.body):
                if type(call.func) is cst.Name:
                    by_name.setdefault(call.func.value, []).append(call)  # type: ignore[attr-defined]
            for name, calls in by_name.items():
                index.setdefault(name, []).append((caller.node, calls))
        vars(ctx)["_plain_name_calls"] = index
    return index


def _passed_arguments(
    caller: cst.FunctionDef, class_name: str, params: Sequence[str], wanted: dict[str, str],
    imports: ImportTable, into: dict[str, list[Value]],
    calls: Iterable[cst.Call] | None = None,
) -> None:
    """What `caller` passes for the `wanted` parameters where it calls `class_name(...)`
    (`calls`: its calls, when known already)."""
    bound: dict[str, list[cst.BaseExpression]] = {}
    for call in _calls(caller.body) if calls is None else calls:
        if not (isinstance(call.func, cst.Name) and call.func.value == class_name):
            continue
        if any(arg.star for arg in call.args):
            continue
        if not bound:
            for target, value in simple_assignments(caller.body):
                bound.setdefault(target, []).append(value)
            bound.setdefault("", [])
        types = local_types(caller, Facts(), imports)
        for index, arg in enumerate(call.args):
            name = arg.keyword.value if arg.keyword is not None else (
                params[index] if index < len(params) else None)
            if name in wanted:
                into.setdefault(wanted[name], []).append(
                    (_substituted(arg.value, bound), types))


class ImportedConstructions:
    """A layer of `ObjectEvidence`: `self.<attr>` that `__init__` stores from a parameter
    holds what the package's other modules pass where they construct the class (a coordinator
    defined in `coordinator.py` and made in `__init__.py` from the API client it is handed:
    `Coordinator(hass, MyCloud(session=async_get_clientsession(hass), token=...))`).

    Read only when asked about such an attribute, once per class: the modules of the file's
    own directory that import the class from it (`from .coordinator import Coordinator`),
    their top-level functions that call it, parsed again from their lines (every module read
    is recorded as a dependency of the result). Nothing for a file outside a project."""

    def __init__(self, ctx: ModuleContext, class_name: str, self_name: str) -> None:
        self.ctx = ctx
        self.class_name = class_name
        self.self_name = self_name
        self._values: dict[str, list[Value]] | None = None

    def get(self, path: str, default: Sequence[Value] = ()) -> Sequence[Value]:
        if not path.startswith(self.self_name + ".") or self.ctx.project is None:
            return default
        path = "self" + path[len(self.self_name):]
        if path not in _fed_by_init(self.ctx, self.class_name)[1].values():
            return default  # (no module is read for it)
        if self._values is None:
            self._values = self._read()
        return self._values.get(path, default)

    def _read(self) -> dict[str, list[Value]]:
        caches = getattr(self.ctx, "_parlint_imported_constructions", None)
        if caches is None:
            caches = {}
            setattr(self.ctx, "_parlint_imported_constructions", caches)  # noqa: B010
        if self.class_name not in caches:
            caches[self.class_name] = _imported_constructions(self.ctx, self.class_name)
        return caches[self.class_name]


def _fed_by_init(ctx: ModuleContext, class_name: str) -> tuple[list[str], dict[str, str]]:
    """`_fed_attributes` of the class's `__init__` in this module (nothing without one)."""
    caches = getattr(ctx, "_parlint_fed_by_init", None)
    if caches is None:
        caches = {}
        setattr(ctx, "_parlint_fed_by_init", caches)  # noqa: B010 - a per-module cache
    if class_name not in caches:
        init = ctx.functions.get(f"{class_name}.__init__")
        caches[class_name] = ([], {})
        if init is not None and init.self_name is not None:
            pairs = [(t, v) for t, v in simple_assignments(init.node.body)
                     if t.startswith(init.self_name + ".")]
            caches[class_name] = _fed_attributes(init, pairs)
    return caches[class_name]


def _imported_constructions(ctx: ModuleContext, class_name: str) -> dict[str, list[Value]]:
    params, wanted = _fed_by_init(ctx, class_name)
    project = ctx.project
    if not wanted or project is None:
        return {}
    found: dict[str, list[Value]] = {}
    call = re.compile(rf"\b{re.escape(class_name)}\s*\(")
    for facts in _importers(project, class_name):
        lines = facts.text.split("\n")
        for definition in facts.bindings.values():
            if not isinstance(definition, Definition) or definition.kind == "class":
                continue
            text = "\n".join(lines[definition.first_line - 1 : definition.last_line])
            if not call.search(text):
                continue
            try:
                module = cst.parse_module(text + "\n")
            except Exception:  # noqa: BLE001 - a definition that does not stand alone
                continue
            caller = module.body[0] if len(module.body) == 1 else None
            if isinstance(caller, cst.FunctionDef):
                _passed_arguments(caller, class_name, params, wanted, ImportTable(), found)
    return found


def _mentions(project: Project, path: str, needle: re.Pattern[bytes]) -> bool:
    """Whether the module's bytes match `needle`, a call of the class (a module that never
    calls it constructs nothing: it is not parsed, but its content is still recorded as a
    dependency)."""
    stat = stat_of(path)
    data = _read_bytes(path) if stat is not None else None
    if stat is None or data is None:
        return True  # let `Project._read` record what it finds
    if needle.search(data):
        return True
    project.dependencies[path] = Dependency(path, content_digest(data), stat, is_racy(stat))
    return False


def _importers(project: Project, name: str) -> Iterator[ModuleFacts]:
    """The other modules of the project file's directory that import its top-level `name`
    (`from .coordinator import Coordinator`, `from pkg.coordinator import Coordinator`)."""
    directory = os.path.dirname(project.file)
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return
    needle = re.compile(rb"\b" + re.escape(name.encode()) + rb"\s*\(")  # a call of it
    for entry in entries:
        path = os.path.join(directory, entry)
        if not entry.endswith(".py") or path == project.file:
            continue
        if not _mentions(project, path, needle):
            continue
        facts = project._read(path)[1]  # noqa: SLF001 - recorded as a dependency
        binding = facts.bindings.get(name) if facts is not None else None
        if facts is not None and isinstance(binding, tuple) and binding[2] == name:
            level, source, _ = binding
            if _names_file(project, path, level, source.split(".") if source else []):
                yield facts


def _names_file(project: Project, importer: str, level: int, parts: list[str]) -> bool:
    """Whether `from <level dots><parts> import ...` in `importer` imports the project file
    (worked out from the paths: the file exists, it is being analysed)."""
    base = project.import_root
    if level:
        base = os.path.dirname(importer)
        for _ in range(level - 1):
            base = os.path.dirname(base)
    stem = os.path.join(base, *parts)
    return project.file in (stem + ".py", os.path.join(stem, "__init__.py"))


def _substituted(
    expr: cst.BaseExpression, bound: dict[str, list[cst.BaseExpression]]
) -> cst.BaseExpression:
    """`expr` with a name bound once in its function replaced by that value; for a call, its
    arguments' names likewise (one level)."""
    if isinstance(expr, cst.Name) and len(bound.get(expr.value, ())) == 1:
        expr = bound[expr.value][0]
    if isinstance(expr, cst.Call):
        args = [
            arg.with_changes(value=bound[arg.value.value][0])
            if isinstance(arg.value, cst.Name) and len(bound.get(arg.value.value, ())) == 1
            else arg
            for arg in expr.args
        ]
        expr = expr.with_changes(args=args)
    return expr


def class_sessions(ctx: ModuleContext, class_name: str, session_call: re.Pattern[str]) -> set[str]:
    """`self.<attr>` objects that some method of the class connects, opens or logs in
    (`await self.client.connect(psk=...)`): they hold a connection or a session."""
    caches = getattr(ctx, "_parlint_class_sessions", None)
    if caches is None:
        caches = {}
        setattr(ctx, "_parlint_class_sessions", caches)  # noqa: B010 - a per-module cache
    if class_name not in caches:
        found: set[str] = set()
        for info in ctx.functions.values():
            if info.class_name != class_name or not info.self_name:
                continue
            for node in _calls(info.node.body):
                func = node.func
                if isinstance(func, cst.Attribute) and session_call.search(func.attr.value):
                    obj = object_of(access_path(func.value), info.self_name)
                    if obj is not None and obj.startswith(info.self_name + "."):
                        found.add("self" + obj[len(info.self_name):])
        caches[class_name] = found
    return caches[class_name]


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Call:
            yield current  # type: ignore[misc]
        if kind not in SCOPE_TYPES or current is node:
            stack.extend(children(current))


def object_values(
    ctx: ModuleContext, fn: cst.FunctionDef, types: dict[str, str], class_name: str | None,
    self_name: str | None,
) -> list[ValueLayer]:
    """The assignments `ObjectEvidence` reads for one function, as layers: its own body
    (`types`: the function's local types), its class's `self.<attr>` (renamed to this
    function's `self` name), module level, and what the package's other modules pass for
    the attributes `__init__` stores from its parameters (`ImportedConstructions`, lazy)."""
    own: dict[str, list[Value]] = {}
    collect_values(simple_assignments(fn.body), types, own)
    layers: list[ValueLayer] = [own]
    if class_name and self_name:
        attrs = _class_values(ctx, class_name)
        if self_name != "self":
            attrs = {self_name + k[len("self"):]: v for k, v in attrs.items()}
        layers.append(attrs)
    layers.append(_module_values(ctx))
    if class_name and self_name:
        layers.append(ImportedConstructions(ctx, class_name, self_name))
    return layers
