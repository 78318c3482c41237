"""What keeps a loop's iterations from overlapping, beyond data dependence (PAR102).

Iterations of a loop are the same code run for many items, so whatever every iteration goes
through is shared by all of them. The analysis in `dependence.py` sees data dependence, exits,
ordered calls and serial receivers; these facts add what real loops show besides:

- `shared_object_reasons`: every iteration calls through one object of unknown type that does
  not come from the item (`await system.get_switch_name(i)`, `await self.api.get(kind)`). One
  device, one account or one connection behind an object usually answers one request at a
  time, logs in or caches on first use, or limits the rate: such a loop is sequential for a
  reason the call site does not show. Calls through an object the item owns
  (`hap.home.activate()`) and through a known concurrency-safe client (`aiohttp.ClientSession`,
  a pool, a local API client named `client`) are not affected. A method of `self` counts by
  the objects its model (`instances.MethodModel`) awaits through. A bound method of one
  shared object offloaded to worker threads (`to_thread(self.load, item)`) would run on
  several threads at once: the same.
- `passes_self_reasons`: a call handed `self` itself (`await item.render(self, hook)`) may read
  and change any of it, in every iteration.
- `one_match_reason`: the awaits run only under `if <item value> == <fixed value>`: the loop
  searches for one item, so there is at most one await to run.
- `one_destination_reasons`: each iteration posts its item into one destination that does
  not change from item to item (a channel, thread, chat or topic): it shows the posts in the
  order they arrive.
- `serial_parent_reason`: the items are parts of one serial object (the children of a
  device, the channels of a connection) and each iteration calls its item: the parts share
  their parent's one link.
- `local_release_reason`: the loop only closes responses, streams or files: a local release,
  no round trip to overlap.
- `rate_limit_reason`: the loop handles a rate limit (`TOO_MANY_REQUESTS`, 429, `FloodWait`,
  `RateLimitError`): the server bounds the pace, and the loop keeps to it on purpose.

Each returns `Reason`s (see `dependence.Reason`) so that `parlint explain` can say why.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from parlint.analysis.effects import name_words
from parlint.analysis.facts import expression_facts
from parlint.analysis.names import access_path, dotted_name, method_name, path_root
from parlint.analysis.project import imported_name, returns_held_value_first
from parlint.analysis.walk import SCOPE_TYPES, children, suite_statements

if TYPE_CHECKING:  # pragma: no cover - typing only
    from parlint.analysis.dependence import AwaitSite, Reason, _FunctionAnalyser
    from parlint.analysis.summaries import FunctionInfo

RATE_LIMIT = re.compile(
    r"too_?many_?requests|rate_?limit|flood_?wait|throttl|slow_?down", re.IGNORECASE
)
_RATE_LIMIT_STATUS = "429"


def _reason(kind: str, detail: str, line: int | None = None) -> Reason:
    from parlint.analysis.dependence import Reason

    return Reason(kind, detail, line)


def object_of(path: str, self_name: str | None) -> str:
    """The object a receiver path goes through: `self.api.tasks` -> `self.api`,
    `api.tasks.user` -> `api`, `self` -> `self`."""
    parts = path.replace("[]", "").split(".")
    if parts[0] in (self_name, "self", "cls") and len(parts) > 1:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def offloaded_callable(call: cst.Call) -> cst.BaseExpression | None:
    """The callable an offloading call runs in a thread (`to_thread(f, x)` -> `f`,
    `loop.run_in_executor(None, f, x)` -> `f`)."""
    for arg in call.args:
        if arg.keyword is None and not (
            isinstance(arg.value, cst.Name) and arg.value.value == "None"
        ):
            return arg.value
    return None


def _per_item(expr: cst.BaseExpression, derived: set[str]) -> bool:
    """Whether an expression reads a per-item value (`device`, `self.devices[device_id]`)."""
    return any(path_root(r) in derived for r in expression_facts(expr).reads)


def shared_object_reasons(
    an: _FunctionAnalyser, sites: Sequence[AwaitSite], derived: set[str]
) -> list[Reason]:
    """Per-item awaits that all go through one object of unknown type (see the module doc)."""
    from parlint.analysis.summaries import OFFLOAD_CALLS

    reasons = []
    for site in sites:
        call = site.call
        if call is None or not isinstance(call.func, cst.Attribute) and not (
            site.name in OFFLOAD_CALLS
        ):
            continue  # a plain function: its effects are judged by name and summary
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if site.name in OFFLOAD_CALLS or method in OFFLOAD_CALLS:
            target = offloaded_callable(call)
            if not isinstance(target, cst.Attribute) or _per_item(target.value, derived):
                continue  # a plain function, or the item's own method
            path = access_path(target.value)
            if path is None or path_root(path) in an.imports.bindings:
                continue  # `to_thread(os.remove, path)`: a module's function
            reasons.append(_reason("threads", f"{path}.{target.attr.value}",
                                   an.line(site.node)))
            continue
        assert isinstance(call.func, cst.Attribute)
        if _per_item(call.func.value, derived):
            continue  # the item's own object (`hap.home`, `self.devices[item_id]`)
        receiver = site.receiver
        modelled = site.modelled
        if receiver is not None and receiver == an.self_name and modelled is not None:
            # A method of self whose model awaits through an object of unknown type
            # (`await self._read_history(item)` -> `self.storage.read(...)`): every
            # iteration goes through that object as if it called it.
            shared = min((o for o in modelled.objects if path_root(o) not in derived),
                         default=None)
            if shared is not None:
                reasons.append(_reason("one-object", shared, an.line(site.node)))
            continue
        if receiver is None or receiver == an.self_name:
            continue  # a module, an expression, or self (summarised)
        obj = object_of(receiver, an.self_name)
        if obj == an.self_name or path_root(obj) in an.imports.bindings:
            continue
        if _concurrency_safe(an, obj) or _concurrency_safe(an, receiver):
            continue
        if receiver in site.resources or obj in site.resources:
            continue  # a serial receiver: `serial-resource` says so already
        reasons.append(_reason("one-object", obj, an.line(site.node)))
    return reasons


def called_function(an: _FunctionAnalyser, call: cst.Call) -> FunctionInfo | None:
    """The same-module function, or method of the analysed function's class, that `call` runs."""
    func = call.func
    key = None
    if isinstance(func, cst.Name):
        info = an.ctx.functions.get(func.value)
        key = info.key if info else None
    elif (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
          and an.self_name and func.value.value == an.self_name):
        key = f"{an.class_name}.{func.attr.value}"
    if key is None:
        return None
    for info in an.ctx.by_node.values():
        if info.key == key:
            return info
    return None


def callee(an: _FunctionAnalyser, call: cst.Call) -> tuple[cst.FunctionDef, list[str]] | None:
    """The same-module function (or method of this class) a call runs, and the names its
    parameters bind in order (without the method's `self`)."""
    info = called_function(an, call)
    if info is None:
        return None
    params = [p.name.value for p in (*info.node.params.posonly_params, *info.node.params.params)]
    if info.self_name and params and params[0] == info.self_name:
        params = params[1:]
    return info.node, params


def passed_object_reasons(
    an: _FunctionAnalyser, sites: Sequence[AwaitSite], derived: set[str]
) -> list[Reason]:
    """A same-module helper that awaits through one of its parameters, given the same shared
    object in every iteration (`await self.thumbnail(item, station)` whose body awaits
    `station.api.get_url(item)`): the loop goes through that object as if it called it."""
    reasons = []
    for site in sites:
        call = site.call
        found = callee(an, call) if call is not None else None
        if call is None or found is None:
            continue
        node, params = found
        bound: dict[str, cst.BaseExpression] = {}
        for index, arg in enumerate(call.args):
            if arg.star:
                break
            if arg.keyword is not None:
                bound[arg.keyword.value] = arg.value
            elif index < len(params):
                bound[params[index]] = arg.value
        used = _awaited_receiver_roots(node)
        for param, value in bound.items():
            path = access_path(value)
            if param not in used or path is None or _per_item(value, derived):
                continue
            if path == an.self_name or path_root(path) in an.imports.bindings:
                continue
            obj = object_of(path, an.self_name)
            if _concurrency_safe(an, obj) or _concurrency_safe(an, path):
                continue
            reasons.append(_reason("one-object", f"{obj}` via `{site.label}",
                                   an.line(site.node)))
    return reasons


def offloaded_self_reasons(an: _FunctionAnalyser, sites: Sequence[AwaitSite]) -> list[Reason]:
    """A same-module method called on `self` that runs a method of `self` (or of an object
    held by `self`) in a worker thread (`await sync_to_async(self.get)(key)`,
    `await hass.async_add_executor_job(self._box.fph.info, n)`): every iteration would run
    that one shared object's code on another thread at once."""
    from parlint.analysis.summaries import OFFLOAD_CALLS

    reasons = []
    for site in sites:
        call = site.call
        if call is None or site.receiver != an.self_name or an.self_name is None:
            continue
        found = callee(an, call)
        if found is None:
            continue
        node = found[0]
        own_self = _first_param(node)
        for inner in _walk(node.body):
            if not isinstance(inner, cst.Call):
                continue
            name = dotted_name(inner.func) or ""
            if name.rsplit(".", 1)[-1] not in OFFLOAD_CALLS and name not in OFFLOAD_CALLS:
                continue
            target = offloaded_callable(inner)
            path = access_path(target) if target is not None else None
            if path and "." in path and path_root(path) == own_self:
                reasons.append(_reason("threads", f"{path}` via `{site.label}",
                                       an.line(site.node)))
                break
    return reasons


def _first_param(fn: cst.FunctionDef) -> str | None:
    params = (*fn.params.posonly_params, *fn.params.params)
    return params[0].name.value if params else None


CACHE_WORDS = frozenset("cache cached caches memo memos memoized memoize lru".split())


def cached_callee_reasons(an: _FunctionAnalyser, sites: Sequence[AwaitSite]) -> list[Reason]:
    """A helper that answers from a cache before any await (`if key in self._cache: return
    self._cache[key]`, `try: return cls.by_id[key] except KeyError: ...`, or a caching
    decorator), of this module or, reached by an imported name, of another module of the
    project: most iterations do no I/O, and overlapping the misses would fetch the same
    entry twice."""
    reasons = []
    for site in sites:
        found = callee(an, site.call) if site.call is not None else None
        if found is None:
            if site.call is not None and _project_cached(an, site.call):
                reasons.append(_reason("cached", site.label, an.line(site.node)))
            continue
        node = found[0]
        decorated = any(
            CACHE_WORDS & set(name_words((dotted_name(d.decorator.func if isinstance(
                d.decorator, cst.Call) else d.decorator) or "").rsplit(".", 1)[-1]))
            for d in node.decorators
        )
        # (One answer per helper and module: a helper is awaited in many loops and groups.)
        answers: dict[int, bool] = vars(an.ctx).setdefault("_parlint_cache_first", {})
        if id(node) not in answers:
            answers[id(node)] = _returns_from_cache_first(node)
        if decorated or answers[id(node)]:
            reasons.append(_reason("cached", site.label, an.line(site.node)))
    return reasons


def _project_cached(an: _FunctionAnalyser, call: cst.Call) -> bool:
    """`await pu.Puppet.get_by_tgid(tgid)`: a coroutine of another module of the project,
    reached by an imported name, that returns a value held in memory before its first
    await (`project.Project.answers_from_cache`)."""
    project = an.ctx.project
    if project is None:
        return False
    qualified = imported_name(dotted_name(call.func), an.imports)
    return qualified is not None and project.answers_from_cache(qualified, True)


def _returns_from_cache_first(fn: cst.FunctionDef) -> bool:
    """Before the function's first await: an `if` whose test reads a cache and whose body
    returns; or a value held in memory returned first (`if key in self._users: return
    self._users[key]`, `try: return cls.by_id[key] except KeyError`, `if self._service is not
    None: return self._service`), judged by `project.returns_held_value_first` on Python's
    tree of the function, as for a coroutine of another module."""
    for stmt in suite_statements(fn.body):
        if isinstance(stmt, cst.If):
            reads = expression_facts(stmt.test).reads
            words = {w for r in reads for part in r.replace("[]", "").split(".")
                     for w in name_words(part)}
            returns = any(isinstance(n, cst.Return) for n in _walk(stmt.body))
            if words & CACHE_WORDS and returns:
                return True
        if any(isinstance(n, cst.Await) for n in _walk(stmt)):
            break
    tree = _python_tree(fn)
    return tree is not None and returns_held_value_first(tree)


def _python_tree(fn: cst.FunctionDef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function's code parsed by Python's `ast` (None when it cannot be)."""
    try:
        module = ast.parse(textwrap.dedent(cst.Module([]).code_for_node(fn)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    node = module.body[0] if len(module.body) == 1 else None
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _awaited_receiver_roots(fn: cst.FunctionDef) -> set[str]:
    """Root names of the receivers of the calls a function awaits (`station` for
    `await station.api.get_url(x)`)."""
    roots = set()
    for node in _walk(fn.body):
        if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
            func = node.expression.func
            if isinstance(func, cst.Attribute):
                path = access_path(func.value)
                if path is not None:
                    roots.add(path_root(path))
    return roots


def item_behaviour_reasons(
    an: _FunctionAnalyser, iterable: cst.BaseExpression, sites: Sequence[AwaitSite],
    derived: set[str],
) -> list[Reason]:
    """A method of the item itself (`await listener.async_search()`) is the item's behaviour.
    Items fetched from a service (the iterable is, or was assigned, an awaited result) are
    handles of remote resources: each method call is one request about its own resource.
    Items the program holds in memory (listeners, platforms, commands, resources it built)
    act through what they share (hooks, registries, one connection), or do no I/O at all."""
    if _fetched(an, iterable):
        return []
    reasons = []
    for site in sites:
        receiver = site.receiver
        if site.call is None or receiver is None or "." in receiver or "[" in receiver:
            continue
        if receiver in derived and receiver != an.self_name:
            reasons.append(_reason("item-behaviour", site.label, an.line(site.node)))
    for site in sites:
        helper = _item_helper(an, site, derived)
        if helper is not None:
            reasons.append(_reason("item-helper", helper, an.line(site.node)))
    return reasons


def _item_helper(an: _FunctionAnalyser, site: AwaitSite, derived: set[str]) -> str | None:
    """A same-module helper given the item whose every await is a method of that item
    (`await read_bytes(upload)` awaiting `file.read()` and `file.seek(0)`): the item's
    behaviour, one call removed. Its label, or None."""
    call = site.call
    found = callee(an, call) if call is not None else None
    if call is None or found is None:
        return None
    node, params = found
    item_params = set()
    for index, arg in enumerate(call.args):
        if arg.star or not isinstance(arg.value, cst.Name) or arg.value.value not in derived:
            continue
        if arg.keyword is not None:
            item_params.add(arg.keyword.value)
        elif index < len(params):
            item_params.add(params[index])
    awaits = [n for n in _walk(node.body) if isinstance(n, cst.Await)]
    if not item_params or not awaits:
        return None
    for inner in awaits:
        expr = inner.expression
        if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
            return None
        path = access_path(expr.func.value)
        if path is None or path_root(path) not in item_params:
            return None
    return site.label


def built_around_reason(
    an: _FunctionAnalyser, iterable: cst.BaseExpression, sites: Sequence[AwaitSite],
) -> Reason | None:
    """The items are parts of one object this function built around a shared object of
    unknown type (`factory = SensorFactory(hass, site_id, api)`, `for service in
    factory.services:`): each part holds that object, so every iteration goes through it."""
    if not sites:
        return None
    path = access_path(iterable.func if isinstance(iterable, cst.Call) else iterable)
    if path is None:
        return None
    root = path_root(path)
    if root == an.self_name or "." not in path.replace("[]", ".") and not isinstance(
        iterable, cst.Call
    ) and path == root:
        return None  # a parameter or a plain local list: not parts of a built object
    for node in _facts(an).constructed.get(root, ()):
        for arg in node.value.args:
            value = arg.value
            if not isinstance(value, cst.Name) or value.value in APPLICATION_NAMES:
                continue
            obj = value.value
            if obj == an.self_name or obj in an.imports.bindings or _concurrency_safe(an, obj):
                continue
            if an.ctx.receiver_class(obj, an.types, an.self_name, an.class_name) is None and (
                _called_on(an, obj) or _annotated(an, obj)
            ):
                return _reason("built-around", f"`{root}`, built with `{obj}`",
                               an.line(node))
    return None


def _called_on(an: _FunctionAnalyser, name: str) -> bool:
    """Whether the function calls methods on `name` (an object, not a value)."""
    return name in _facts(an).called_roots


class _FunctionFacts:
    """What the loop facts read from the whole function, gathered in one walk (a function
    with many loops is not walked once per loop)."""

    def __init__(self, fn: cst.FunctionDef) -> None:
        self.requested: set[str] = set()  # paths assigned the result of an awaited method call
        self.constructed: dict[str, list[cst.Assign]] = {}  # local -> `x = Class(...)`
        self.called_roots: set[str] = set()  # roots of receivers of method calls
        self.assigned: dict[str, list[cst.CSTNode]] = {}  # local -> values (or statements) bound
        for node in _walk(fn.body):
            value = None
            targets: list[cst.BaseExpression] = []
            if isinstance(node, cst.Assign):
                value, targets = node.value, [t.target for t in node.targets]
                path = access_path(node.targets[0].target) if len(node.targets) == 1 else None
                name = (dotted_name(node.value.func) or "").rsplit(".", 1)[-1] if isinstance(
                    node.value, cst.Call) else ""
                if path and name[:1].isupper():  # built by a constructor (a class)
                    self.constructed.setdefault(path, []).append(node)
            elif isinstance(node, (cst.AnnAssign, cst.NamedExpr)) and node.value is not None:
                value, targets = node.value, [node.target]
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                path = access_path(node.func.value)
                if path is not None:
                    self.called_roots.add(path_root(path))
            elif isinstance(node, (cst.AugAssign, cst.For)):
                # `xs += more`, `for xs in ...`: a local bound by something other than one
                # value (recorded as the statement itself, which is no awaited read).
                bound = node.target
                if isinstance(bound, cst.Name):
                    self.assigned.setdefault(bound.value, []).append(node)
            for target in targets if value is not None else ():
                if isinstance(target, cst.Name):
                    self.assigned.setdefault(target.value, []).append(value)
            if value is not None and any(_request(n) for n in _walk(value)):
                self.requested.update(p for p in (access_path(t) for t in targets) if p)


def _facts(an: _FunctionAnalyser) -> _FunctionFacts:
    facts = getattr(an, "_iteration_facts", None)
    if facts is None:
        facts = _FunctionFacts(an.fn)
        an._iteration_facts = facts  # type: ignore[attr-defined]  # one per analysed function
    return facts


def _annotated(an: _FunctionAnalyser, name: str) -> bool:
    """Whether `name` has a visible class type (`api: Solaredge = ...`): an object."""
    rtype = an.types.get(name)
    return bool(rtype) and rtype.rsplit(".", 1)[-1][:1].isupper() and rtype not in (
        "str", "int", "float", "bool", "bytes", "dict", "list", "set", "tuple"
    )


def _fetched(an: _FunctionAnalyser, iterable: cst.BaseExpression) -> bool:
    """Whether the iterable awaits, or reads a name or attribute the function assigned from an
    await (`systems = await api.get_systems()`, `while page := await client.list(): ...`)."""
    if any(_request(n) for n in _walk(iterable)):
        return True
    assigned = _facts(an).requested
    reads = expression_facts(iterable).reads
    # `r` is `a`, or `a` followed by `.` or `[`: look its prefixes up (not every `a` per loop).
    return any(
        r[:end] in assigned
        for r in reads
        for end in [len(r)] + [i for i, ch in enumerate(r) if ch in ".["]
    )


def _request(node: cst.CSTNode) -> bool:
    """An awaited method call of an object (`await client.get_accounts()`): a request whose
    result lists remote resources (a plain helper's result may be anything)."""
    return (isinstance(node, cst.Await) and isinstance(node.expression, cst.Call)
            and isinstance(node.expression.func, cst.Attribute))


def _concurrency_safe(an: _FunctionAnalyser, path: str) -> bool:
    """Typed or named as a concurrency-safe receiver, or a local API client."""
    rclass = an.ctx.receiver_class(path, an.types, an.self_name, an.class_name)
    if rclass == "safe" or an._shared_client(path):
        return True
    # What the module shows about the object (an API client type, a client built over a
    # concurrency-safe HTTP session: receivers.py), as PAR101 judges it.
    evidence = getattr(an, "_concurrency_safe", None)
    return bool(evidence is not None and evidence(path))


# The application object (`hass`, `app`): whoever holds it reaches all process-wide state.
APPLICATION_NAMES = frozenset("hass app application ctx context container injector".split())


def passes_self_reasons(
    an: _FunctionAnalyser, sites: Sequence[AwaitSite], derived: set[str]
) -> list[Reason]:
    """A call on another object that is handed `self` itself, or an item's method handed the
    application object (`await platform.root(self.hass)`): it may read and change anything
    they hold. (A shared client given a context argument, `client.get(url, ctx)`, is not.)"""
    reasons = []
    for site in sites:
        call = site.call
        if call is None or site.receiver == an.self_name or site.receiver is None:
            continue
        items_own = path_root(site.receiver) in derived
        for arg in call.args:
            path = access_path(arg.value) or ""
            last = path.rsplit(".", 1)[-1]
            if (an.self_name and path == an.self_name) or (
                items_own and last in APPLICATION_NAMES
            ):
                reasons.append(_reason("passes-self", f"{site.label}` is handed `{path}",
                                       an.line(site.node)))
                break
    return reasons


# Calls that return a view of a collection (`parent.children.values()`, `list(parent.items)`):
# iterating them iterates the collection itself.
_COLLECTION_VIEWS = frozenset(("values", "items", "keys"))
_COLLECTION_COPIES = frozenset(("list", "tuple", "sorted", "reversed", "set", "frozenset"))


def _collection(iterable: cst.BaseExpression) -> cst.BaseExpression:
    """The collection a loop iterates, through a dict view or a copy (`d.children.values()`,
    `list(d.children)` -> `d.children`)."""
    while isinstance(iterable, cst.Call):
        func = iterable.func
        if (isinstance(func, cst.Attribute) and func.attr.value in _COLLECTION_VIEWS
                and not iterable.args):
            iterable = func.value
        elif (isinstance(func, cst.Name) and func.value in _COLLECTION_COPIES
              and len(iterable.args) == 1 and not iterable.args[0].star):
            iterable = iterable.args[0].value
        else:
            break
    return iterable


def _identity_path(an: _FunctionAnalyser, value: cst.BaseExpression) -> str | None:
    """The access path of a loop-invariant object or field a call is given (`deployment.id`,
    `channel`), or None: a literal, a constant, `self`, a module, or no path."""
    path = access_path(value)
    if path is None or "[" in path or _constant(value):
        return None
    root = path_root(path)
    if path == an.self_name or root in an.imports.bindings or root in an.ctx.functions:
        return None
    return path


def _within(path: str, parent: str) -> bool:
    """`deployment.id` and `deployment` are within `deployment`."""
    return path == parent or path.startswith(parent + ".")


def _owner_of(an: _FunctionAnalyser, collection: cst.BaseExpression) -> str | None:
    """The object that owns an iterated attribute (`deployment.schedules` -> `deployment`,
    `self.project.members` -> `self.project`): not `self` (the analysed object holds all
    sorts of things), not a module."""
    path = access_path(collection)
    if path is None or "[" in path or "." not in path:
        return None
    owner = path.rsplit(".", 1)[0]
    if owner == an.self_name or path_root(owner) in an.imports.bindings:
        return None
    return owner


def _read_call(expr: cst.CSTNode | None) -> cst.Call | None:
    """`await client.list_messages(...)` with a read verb -> its call, else None."""
    from parlint.analysis.effects import CallKind, kind_of_name

    if not isinstance(expr, cst.Await) or not isinstance(expr.expression, cst.Call):
        return None
    call = expr.expression
    if not isinstance(call.func, cst.Attribute):
        return None
    return call if kind_of_name(call.func.attr.value) is CallKind.READ_ONLY else None


def _read_keys(an: _FunctionAnalyser, call: cst.Call) -> set[str]:
    """The objects and fields a service read is made for: what its arguments read (`channel`
    in `await client.list_messages(channel.id, limit=50)` -> `channel.id`), not its receiver,
    modules, module functions or constants."""
    assert isinstance(call.func, cst.Attribute)
    receiver = access_path(call.func.value)
    keys = set()
    for arg in call.args:
        for read in expression_facts(arg.value).reads:
            root = path_root(read)
            if "[" in read or read == an.self_name or root in an.imports.bindings:
                continue
            if root in an.ctx.functions or (receiver is not None and root == path_root(receiver)):
                continue
            if read.rsplit(".", 1)[-1].isupper() or read.rsplit(".", 1)[-1][:1].isupper():
                continue  # a CONSTANT, or a class building a filter (`ArtifactFilter(...)`)
            keys.add(read)
    return keys


def _listed_for(an: _FunctionAnalyser, collection: cst.BaseExpression) -> set[str]:
    """What the iterated list was read from the service for: the keys of the awaited read
    that is the iterable (`for m in await client.list_messages(channel_id)`), or that every
    assignment of the iterated local is (`messages = await client.list_messages(...)`).
    Empty when the list is not such a read, or is read for nothing in particular."""
    call = _read_call(collection)
    if call is not None:
        return _read_keys(an, call)
    if not isinstance(collection, cst.Name):
        return set()
    values = _facts(an).assigned.get(collection.value)
    if not values:
        return set()
    keys: set[str] | None = None
    for value in values:
        call = _read_call(value)
        if call is None:
            return set()  # also assigned something else: not one read's result
        found = _read_keys(an, call)
        keys = found if keys is None else keys & found
    return keys or set()


def parent_writes_reasons(
    an: _FunctionAnalyser, iterable: cst.BaseExpression, sites: Sequence[AwaitSite],
    derived: set[str],
) -> list[Reason]:
    """Writes to the children of one parent: the loop iterates a collection one
    loop-invariant object owns (`for schedule in deployment.schedules`), or a list read from
    the service for one object (`messages = await client.list_messages(channel.id)`), and an
    effectful call of each iteration is addressed through that parent as well as the child
    (`await client.delete_schedule(deployment.id, schedule.id)`), or the list was read for
    that parent and the call writes each child (`versions = await
    client.read_artifacts(key=key)`, then `await client.delete_artifact(version.id)`). A
    service commonly
    serialises or cascades per parent: it locks the parent's row or rewrites rows every child
    shares (scheduled runs, positions, counters, a latest-version pointer), read-modify-writes
    the parent's list, or rate-limits per parent; concurrent sibling writes then contend or
    race, and a careful engineer keeps them in order. Reads of siblings stay independent."""
    from parlint.analysis.effects import CallKind

    collection = _collection(iterable)
    parents = set()
    owner = _owner_of(an, collection)
    if owner is not None:
        parents.add(owner)
    listed = _listed_for(an, collection)
    parents |= listed
    if not parents:
        return []
    reasons = []
    for site in sites:
        call = site.call
        if call is None or site.kind is not CallKind.EFFECTFUL:
            continue
        if site.receiver is not None and path_root(site.receiver) in derived:
            continue  # a client the item owns: its own channel, not one shared parent
        per_item = any(_per_item(arg.value, derived) for arg in call.args)
        addressed = None
        for arg in call.args:
            if arg.star or _per_item(arg.value, derived):
                continue
            path = _identity_path(an, arg.value)
            if path is not None and any(_within(path, parent) for parent in parents):
                addressed = path
                break
        if per_item and addressed is None and listed:
            # The list was read for that parent: its items are the parent's children
            # whether or not the write names the parent again (`delete_artifact(a.id)` for
            # every version read for one key).
            addressed = min(listed)
        if per_item and addressed is not None:
            reasons.append(_reason("parent-writes", f"{site.label}` through `{addressed}",
                                   an.line(site.node)))
    return reasons


# First words of the names of an ordered destination: a conversation, a thread, a topic.
DESTINATION_WORDS = frozenset(
    "channel chat thread topic room conversation dialog inbox mailbox feed timeline peer "
    "recipient".split()
)
# Words of the calls that put something into a destination.
POSTING_WORDS = frozenset(
    "send post publish produce upload reply share forward emit push append write notify "
    "broadcast announce message".split()
)
# Words after a destination's name that still name it (`thread_ts`, `chat_id`, `topic_url`).
_DESTINATION_SUFFIXES = frozenset(("id", "ts", "uuid", "key", "name", "url", "uri", "arn"))
# Last parts of a path that only identify what the part before them names (`channel.id`).
_IDENTIFIER_PARTS = frozenset(("id", "ts", "uuid", "key", "name", "pk"))


def _names_destination(name: str | None) -> bool:
    """`channel_id`, `thread_ts`, `self._chat`, `ctx.channel.id`: a name (or the last
    meaningful part of a path) whose first word names an ordered destination."""
    if not name:
        return False
    parts = [p for p in name.replace("[]", "").split(".") if p]
    while len(parts) > 1 and parts[-1].lstrip("_").lower() in _IDENTIFIER_PARTS:
        parts.pop()
    words = name_words(parts[-1]) if parts else []
    # `thread_ts`, `channel_name`: the destination itself; `thread_pool` is something else.
    return bool(words) and words[0] in DESTINATION_WORDS and all(
        w in _DESTINATION_SUFFIXES for w in words[1:]
    )


def one_destination_reasons(
    an: _FunctionAnalyser, sites: Sequence[AwaitSite], derived: set[str]
) -> list[Reason]:
    """Per-item posts into one destination: each iteration sends, uploads or publishes its
    item's content (`files_upload(channel=channel_id, thread_ts=ts, content=data)`,
    `thread.send_file(path)`) into a conversation, thread, chat or topic that does not change
    from item to item. The destination shows the items in the order they arrive, so the loop
    keeps that order on purpose (and such endpoints are commonly rate-limited per
    destination). Posts each to its item's own destination stay independent."""
    from parlint.analysis.effects import CallKind

    reasons = []
    for site in sites:
        call = site.call
        if call is None or site.kind is CallKind.READ_ONLY:
            continue
        words = set(name_words(method_name(call) or site.label or ""))
        if site.kind is not CallKind.EFFECTFUL and not words & POSTING_WORDS:
            continue
        if not any(_per_item(arg.value, derived) for arg in call.args):
            continue  # nothing of the item's own goes in: not a post of the item
        destination = None
        receiver = site.receiver
        if receiver is not None and path_root(receiver) not in derived and _names_destination(
            receiver
        ):
            destination = receiver
        for arg in call.args:
            if destination is not None:
                break
            if arg.star or _per_item(arg.value, derived):
                continue
            named = arg.keyword.value if arg.keyword is not None else access_path(arg.value)
            if _names_destination(named):
                destination = access_path(arg.value) or named
        if destination is not None:
            reasons.append(_reason("one-destination", f"{site.label}` into `{destination}",
                                   an.line(site.node)))
    return reasons


def serial_parent_reason(
    an: _FunctionAnalyser, iterable: cst.BaseExpression, sites: Sequence[AwaitSite],
    derived: set[str],
) -> Reason | None:
    """The items are parts of one serial object and each iteration calls the item
    (`for plug in self._device.children: await plug.erase_stats()`, `for channel in
    connection.channels: await channel.close()`): a part of a device or of a connection talks
    through its parent's one link, so the calls queue on it whatever the loop does."""
    owner = _owner_of(an, _collection(iterable))
    if owner is None or an.ctx.receiver_class(
        owner, an.types, an.self_name, an.class_name
    ) != "serial":
        return None
    for site in sites:
        if site.receiver is not None and path_root(site.receiver) in derived:
            return _reason("serial-parent", owner, an.line(site.node))
    return None


# Objects whose `close()` only releases something local: a response (its connection goes
# back to the pool), a stream or a file.
LOCAL_RESOURCE_WORDS = frozenset("response resp res stream body file fp fh".split())
_RELEASES = frozenset(("close", "aclose", "release"))


def local_release_reason(an: _FunctionAnalyser, sites: Sequence[AwaitSite]) -> Reason | None:
    """Every await of the loop closes a response, stream or file (`await
    stream.response.aclose()`): it hands a connection back to the pool or frees a buffer,
    with no round trip to overlap. (Closing a client, session or connection may talk to
    the server or wait for a graceful shutdown: not this.)"""
    if not sites:
        return None
    for site in sites:
        call = site.call
        if call is None or method_name(call) not in _RELEASES or site.receiver is None:
            return None
        last = site.receiver.replace("[]", "").rsplit(".", 1)[-1]
        if not set(name_words(last)) & LOCAL_RESOURCE_WORDS:
            return None
    return _reason("local-release", sites[0].label, an.line(sites[0].node))


def _guards(
    statements: Sequence[cst.CSTNode], tests: tuple[cst.BaseExpression, ...]
) -> Iterator[tuple[cst.CSTNode, tuple[cst.BaseExpression, ...]]]:
    """Every statement of a loop body with the `if` tests that must hold for it to run
    (`else` branches reset them: a negated test guards nothing we can read)."""
    for stmt in statements:
        if isinstance(stmt, cst.If):
            yield stmt.test, tests
            yield from _guards(suite_statements(stmt.body), tests + (stmt.test,))
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                yield from _guards((orelse,), ())
            elif orelse is not None:
                yield from _guards(suite_statements(orelse.body), ())
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(stmt, cst.SimpleStatementLine):
            yield stmt, tests
        else:
            yield stmt, ()  # loops, try, with: their awaits are not under a test we read


def _constant(expr: cst.BaseExpression) -> bool:
    """A literal or a CONSTANT: a category many items share, not one item's identity."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString,
                         cst.Integer, cst.Float, cst.Imaginary)):
        return True
    name = dotted_name(expr)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    return last in ("None", "True", "False") or (last.isupper() and len(last) > 1)


def _match_value(test: cst.BaseExpression, derived: set[str]) -> str | None:
    """For `item.id == wanted` (or `is`), the fixed side's code; None for other tests."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _match_value(test.left, derived) or _match_value(test.right, derived)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, (cst.Equal, cst.Is)):
        return None
    left, right = test.left, target.comparator
    for mine, fixed in ((left, right), (right, left)):
        if _per_item(mine, derived) and not _per_item(fixed, derived) and not _constant(fixed):
            return dotted_name(fixed) or access_path(fixed) or "a fixed value"
    return None


def one_match_reason(
    an: _FunctionAnalyser, loop: cst.For, sites: Sequence[AwaitSite], derived: set[str]
) -> Reason | None:
    """Every await of the loop runs only for the item equal to one fixed value."""
    if not sites:
        return None
    wanted: str | None = None
    pending = {id(site.node) for site in sites}
    for stmt, tests in _guards(suite_statements(loop.body), ()):
        inside = {id(n) for n in _walk(stmt)} & pending
        if not inside:
            continue
        values = [v for v in (_match_value(t, derived) for t in tests) if v]
        if not values:
            return None
        wanted = wanted or values[0]
        pending -= inside
    if pending or wanted is None:
        return None
    return _reason("one-match", wanted, an.line(loop))


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if type(current) not in SCOPE_TYPES:
            stack.extend(children(current))


# Calls that start a task (`asyncio.create_task`, `hass.async_create_task`, `nursery.start_soon`).
TASK_STARTERS = frozenset(
    """create_task ensure_future start_soon async_create_task async_create_background_task
    run_coroutine_threadsafe""".split()
)


def spawns_reason(an: _FunctionAnalyser, node: cst.CSTNode) -> Reason | None:
    """The loop starts tasks itself: its author chose what runs concurrently and kept the
    awaited part of each iteration in order."""
    for inner in _walk(node):
        if isinstance(inner, cst.Call):
            name = dotted_name(inner.func) or ""
            if name.rsplit(".", 1)[-1] in TASK_STARTERS:
                return _reason("spawns", name, an.line(inner))
    return None


def rate_limit_reason(an: _FunctionAnalyser, node: cst.CSTNode) -> Reason | None:
    """Code in the loop that handles a rate limit: a 429 status or a rate-limit name."""
    for inner in _walk(node):
        if isinstance(inner, cst.Name) and RATE_LIMIT.search(inner.value):
            return _reason("rate-limited", inner.value, an.line(inner))
        if isinstance(inner, cst.Attribute) and RATE_LIMIT.search(inner.attr.value):
            return _reason("rate-limited", inner.attr.value, an.line(inner))
        if isinstance(inner, cst.Integer) and inner.value == _RATE_LIMIT_STATUS:
            return _reason("rate-limited", "status 429", an.line(inner))
    return None


def iteration_reasons(
    an: _FunctionAnalyser, node: cst.CSTNode, sites: Sequence[AwaitSite], derived: set[str]
) -> list[Reason]:
    """All of this module's reasons for one loop (`cst.For`) or comprehension."""
    reasons = shared_object_reasons(an, sites, derived) + passes_self_reasons(an, sites, derived)
    reasons += passed_object_reasons(an, sites, derived) + offloaded_self_reasons(an, sites)
    reasons += cached_callee_reasons(an, sites)
    iterable = node.iter if isinstance(node, cst.For) else _comprehension_iterables(node)
    if iterable is not None:
        reasons += item_behaviour_reasons(an, iterable, sites, derived)
        reasons += parent_writes_reasons(an, iterable, sites, derived)
        serial_parent = serial_parent_reason(an, iterable, sites, derived)
        if serial_parent is not None:
            reasons.append(serial_parent)
        built = built_around_reason(an, iterable, sites)
        if built is not None:
            reasons.append(built)
    reasons += one_destination_reasons(an, sites, derived)
    release = local_release_reason(an, sites)
    if release is not None:
        reasons.append(release)
    spawns = spawns_reason(an, node)
    if spawns is not None:
        reasons.append(spawns)
    if isinstance(node, cst.For):
        match = one_match_reason(an, node, sites, derived)
        if match is not None:
            reasons.append(match)
    rate = rate_limit_reason(an, node.body if isinstance(node, cst.For) else node)
    if rate is not None:
        reasons.append(rate)
    return reasons


def _comprehension_iterables(node: cst.CSTNode) -> cst.BaseExpression | None:
    """The outermost iterable of a comprehension (what its items come from)."""
    comp_for = getattr(node, "for_in", None)
    return comp_for.iter if isinstance(comp_for, cst.CompFor) else None


# `Reason.describe` texts of the kinds above (`{detail}`, and `{at}`: " at line N" or "").
ITERATION_TEMPLATES = {
    "one-object": "every iteration goes through the one object `{detail}` of unknown type{at} "
    "(one device, account or connection may serve one request at a time, log in or cache "
    "on first use, or limit the rate)",
    "threads": "`{detail}` (a method of one shared object) would run in several worker "
    "threads at once{at}; its code is not known to be thread-safe",
    "passes-self": "`{detail}`{at}: it may read and change anything that holds, in every "
    "iteration",
    "one-match": "the awaits run only for the item equal to `{detail}`{at} (a search: at "
    "most one await to overlap)",
    "item-behaviour": "`{detail}` is a method of an item held in memory{at} (the item's "
    "behaviour: it may act through shared hooks, registries or one connection, or do no I/O)",
    "item-helper": "`{detail}` only awaits methods of the item it is given{at} (the "
    "behaviour of an item held in memory, one call removed)",
    "cached": "`{detail}` answers from a cache before any await{at} (most iterations do no "
    "I/O; overlapping misses would fetch the same entry twice)",
    "built-around": "the items are parts of {detail}{at} (an object of unknown type that "
    "every iteration goes through)",
    "spawns": "the loop already starts tasks (`{detail}`{at}): the awaited part of each "
    "iteration is kept in order on purpose",
    "parent-writes": "every iteration writes a child of one parent (`{detail}`{at}): a "
    "service commonly locks, cascades or rate-limits per parent, so concurrent writes of "
    "siblings contend or race",
    "one-destination": "every iteration posts its item into one destination (`{detail}`"
    "{at}), which shows the posts in the order they arrive (and is commonly rate-limited)",
    "serial-parent": "the items are parts of the serial object `{detail}` and each "
    "iteration calls its item{at}: the parts talk through their parent's one connection",
    "local-release": "every await of the loop closes a response, stream or file "
    "(`{detail}`{at}): a local release with no round trip to overlap",
    "rate-limited": "the loop handles a rate limit (`{detail}`{at}): it keeps to the "
    "server's pace on purpose",
}
