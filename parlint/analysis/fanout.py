"""Fan-out facts: where code starts many awaitables at once, how wide that is, what bounds it,
and what handles its errors. Shared by PAR201, PAR202, PAR301 and PAR302.

One metadata provider (`FanOutProvider`) computes a `ModuleFanOut` for the module, lazily: the
rules call `module_fan_out(context)`, which first checks the source text for the words a
fan-out needs (cheap), and only then resolves the provider (one extra traversal, cached by the
wrapper and shared by the four rules).

The model, in the words of the rules:

- *Fan-out calls*: `asyncio.gather` (and `anyio.gather`), `asyncio.wait`, `asyncio.as_completed`,
  and task spawns (`asyncio.create_task`, `asyncio.ensure_future`, `loop.create_task`,
  `TaskGroup.create_task`, `nursery.start_soon`, `task_group.start_soon`).
- *Width*: a collection built by a comprehension, `map`, or a loop that appends, over an
  iterable. The iterable is *small* when it is a literal display, a small constant `range`, a
  module constant (a literal display or an UPPER_CASE name), an enum class, or a name the user
  declared small (`fan-out-small-iterables`); it is a *pool* when it makes N identical workers
  (`for _ in range(n)`, a count named like `workers`/`concurrency`, a queue handed to each);
  it is *batched* when it is a slice or a chunk of a larger input; else it is *data-sized*.
- *Visibly data*: a data-sized width is reported only where its source shows it is data: a
  collection the caller hands in (a parameter; when the function's callers are in the module,
  their arguments decide, one level up), a count computed at run time (`range(a, b)`), or a
  recursion (the worker calls or spawns itself). Collections the function fetches or an object
  holds are sized by that service or object: reported only with `fan-out-report-fetched`.
- *Bounded*: the worker (a same-module function, method or closure, followed two calls deep)
  holds a semaphore, limiter, lock or pool slot (`async with sem:`, `await sem.acquire()`);
  the enclosing function creates a `Semaphore`/`CapacityLimiter`/limiter; the work goes to a
  thread pool (`run_in_executor`, `to_thread`); the per-item call is a cheap wait or a
  clean-up (`event.wait()`, `close()`, `cancel()`); the worker only dispatches in process
  (followed through same-module helpers), never awaits, or only wraps awaitables its caller
  made in futures; or the worker is long-running (a listener loop), where bounding would
  deadlock.
- *Error handling* of `await asyncio.gather(...)`: a try in the same function whose except
  does more than re-raise, a `finally` that cancels (a TaskGroup-like helper),
  `contextlib.suppress`; a cancel-then-drain shutdown; clean-ups (closes, self-removals);
  awaitables that are same-module coroutines catching their own errors (any handler that does
  not re-raise around every await); a function whose every reference in the module is a call
  inside such a try; and, lacking those, no evidence of side effects (verbs of reads, a visible
  coroutine whose awaits are all reads). Registered callables (`listener(...) for listener in
  self.listeners`) are evidence: user code whose effects are unknown.
- *Result checks* for `return_exceptions=True`: `isinstance(r, ...)`, `raise r`, logging a
  result, a helper that checks, filtering; results returned or stored for the caller are the
  caller's business.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import libcst as cst
from libcst.metadata import BaseMetadataProvider

from parlint.analysis.names import ImportTable, dotted_name, import_table, method_name
from parlint.analysis.walk import children

# Words without which a module cannot hold a fan-out (checked on the source text first).
FAN_OUT_WORDS = re.compile(r"\b(gather|wait|as_completed|create_task|ensure_future|start_soon)\b")

GATHER_APIS = {"asyncio.gather": "asyncio.gather", "asyncio.tasks.gather": "asyncio.gather"}
# anyio.gather runs its awaitables in a task group: siblings are cancelled on failure.
GROUP_GATHER_APIS = {"anyio.gather": "anyio.gather"}
COLLECTION_APIS = {
    "asyncio.wait": "asyncio.wait",
    "asyncio.tasks.wait": "asyncio.wait",
    "asyncio.as_completed": "asyncio.as_completed",
    "asyncio.tasks.as_completed": "asyncio.as_completed",
}
SPAWN_FUNCTIONS = {
    "asyncio.create_task": "asyncio.create_task",
    "asyncio.ensure_future": "asyncio.ensure_future",
    "asyncio.tasks.create_task": "asyncio.create_task",
    "asyncio.tasks.ensure_future": "asyncio.ensure_future",
}
SPAWN_METHODS = ("create_task", "start_soon")

LIMITER_TYPES = {
    "Semaphore",
    "BoundedSemaphore",
    "CapacityLimiter",
    "AsyncLimiter",
    "Limiter",
    "RateLimiter",
    "Lock",
}
# A name that holds a limiter or pool slot (`sem`, `self._semaphore`, `limiter`, `self.lock`).
_LIMITER_NAME = re.compile(
    r"(sem|semaphore|limit|limiter|throttl|capacity|concurren|lock|slot|bucket|pool)",
    re.IGNORECASE,
)
# A helper whose name says it bounds (`gather_with_concurrency`, `bounded_fetch`).
_BOUNDED_HELPER = re.compile(r"(limit|bounded|throttl|semaphore|with_sem|concurren)", re.I)
# The count of a worker pool (`range(self.num_workers)`, `range(concurrency)`).
_POOL_COUNT = re.compile(
    r"(worker|concurren|parallel|limit|max_|pool|thread|consumer|slot|size|num_tasks)", re.I
)
_QUEUE_ARG = re.compile(r"(queue|channel|(^|_)q$|receive|stream)", re.I)
_CHUNKING = re.compile(r"(chunk|batch|partition|grouper|page|window|split|slice)", re.I)
_EXECUTOR_CALLS = {"run_in_executor", "to_thread", "async_add_executor_job", "run_sync"}
# Per-item calls that do no real work worth bounding: waits and clean-up.
_CHEAP_VERBS = re.compile(
    r"^(async_)?_*(wait|join|close|aclose|stop|cancel|shutdown|disconnect|release|teardown|"
    r"cleanup|clean_up|unsubscribe|unload|terminate|kill|sleep)",
    re.I,
)
# Iterables of registrations (callbacks, listeners, platforms): sized by code, not by data.
_REGISTRATIONS = re.compile(
    r"(listener|callback|handler|receiver|hook|observer|subscriber|watcher|waiter|platform|"
    r"signal|plugin|_jobs)s?(_by_\w+)?$",
    re.I,
)
# Calls that make a future without starting work (gathering them adds no concurrency).
_NOT_WORK = {"create_future", "wrap_future", "Future", "Event", "get"}
# Words naming things a deployment or a code base has a few of: their collections are sized by
# configuration or registration, not by data (brokers, nodes, platforms, config entries...).
_CONFIGURATION_WORDS = frozenset(
    """
    broker brokers node nodes sentinel sentinels database databases db dbs storage storages
    storage_objs entry entries platform platforms host hosts server servers shard shards
    cluster clusters coordinator coordinators service services client clients connection
    connections conn conns target targets address addresses domain domains integration
    integrations config configs conf confs option options setting settings descriptor
    descriptors description descriptions field fields column columns method methods type
    types kind kinds stage stages step steps account accounts device devices pool pools
    queue queues worker workers bot bots loop loops provider providers backend backends
    region regions zone zones interface interfaces network networks listener listeners
    callback callbacks handler handlers receiver receivers hook hooks observer observers
    subscriber subscribers watcher watchers waiter waiters signal signals plugin plugins
    job jobs template templates check checks trigger triggers subscription subscriptions
    component components module modules extension extensions endpoint endpoints
    addon addons member members credential credentials room rooms capability capabilities
    sensor sensors camera cameras light lights vehicle vehicles charger chargers player players
    speaker speakers gateway gateways bridge bridges hub hubs controller controllers
    thermostat thermostats printer printers entity entities
    date dates day days week weeks month months year years hour hours timedelta
    """.split()
)
# Verbs of calls that change state somewhere (writes, deletes, state changes, set-up of
# lasting work): a gather of these leaves things half done when one fails.
_SIDE_EFFECT_WORDS = frozenset(
    """
    delete del remove update set put post patch create add insert write save publish
    enable disable turn toggle reproduce apply commit upload move rename assign initialise
    initialize init register unregister store push mark clear restart notify lock unlock arm disarm activate deactivate install uninstall grant revoke
    transfer pay
    """.split()
)
# Verbs of calls that only read (a coroutine whose awaits are all reads changes nothing remote).
_READ_VERBS = frozenset(
    "get fetch read list load query request retrieve find search lookup download describe".split()
)
_THREADED_FILE_APIS = {"anyio.Path", "trio.Path", "anyio.open_file", "trio.open_file", "aiofiles.open"}
# In-process service/event dispatch (no I/O of its own): Home Assistant's service and event bus.
_IN_PROCESS = re.compile(r"(^|\.)(services\.async_call|bus\.async_fire|async_dispatcher_send)$")
_PURE_VERBS = re.compile(
    r"^(async_)?_*(construct|build|make|parse|render|format|convert|serialize|deserialize|"
    r"compute|calculate|validate)",
    re.I,
)
_CHECK_HELPER = re.compile(r"(check|raise|error|exception|handle|log|fail|report|warn)", re.I)
_LOG_RECEIVER = re.compile(r"(log|logger|_LOGGER|logging|warnings)$", re.I)

DEFAULT_SMALL_WIDTH = 10


# --- facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FanOut:
    """A fan-out over a collection (PAR201): where it is reported and what bounds it."""

    call: cst.Call  # the gather/wait call, or the task-spawning call in a loop
    api: str  # "asyncio.gather", "asyncio.create_task", "nursery.start_soon", ...
    iterable: str  # the spelling of the iterable the width comes from
    bound: str | None  # why it is not a problem; None: unbounded and data-sized
    spawn: bool = False
    # The work fans out again over what it finds: a per-call semaphore would not bound the
    # whole walk, and a shared one held while waiting for the children could deadlock.
    recursive: bool = False

    @property
    def unbounded(self) -> bool:
        return self.bound is None


@dataclass(frozen=True)
class LiteralGather:
    """A gather of literal awaitables (PAR202)."""

    call: cst.Call
    api: str
    count: int


@dataclass(frozen=True)
class GatherSite:
    """An `asyncio.gather(...)` call and what happens to its errors (PAR301/PAR302)."""

    call: cst.Call
    api: str
    return_exceptions: bool
    awaited: bool
    # PAR301: why a failure is handled; None when nothing visible handles it.
    handled: str | None = None
    # PAR302: "discarded" or "unchecked" when the results are not checked, else None.
    results: str | None = None
    results_reason: str = ""
    # The name the awaited results are assigned to (`results = await gather(...)`), if one.
    target: str | None = None


@dataclass(frozen=True)
class ModuleFanOut:
    fan_outs: tuple[FanOut, ...] = ()
    literal_gathers: tuple[LiteralGather, ...] = ()
    gathers: tuple[GatherSite, ...] = ()


EMPTY = ModuleFanOut()


@dataclass(frozen=True)
class Settings:
    small_width: int = DEFAULT_SMALL_WIDTH
    small_iterables: tuple[str, ...] = ()
    bounding_helpers: tuple[str, ...] = ()
    report_fetched: bool = False

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        if config is None:
            return cls()
        try:
            return cls(
                int(config.option("fan-out-small-width")),
                tuple(config.option("fan-out-small-iterables") or ()),
                tuple(config.option("fan-out-bounding-helpers") or ()),
                bool(config.option("fan-out-report-fetched")),
            )
        except KeyError:  # the rules declaring the options are not loaded (unit tests)
            return cls()


# --- provider -------------------------------------------------------------------------------


class FanOutProvider(BaseMetadataProvider[ModuleFanOut]):
    """Sets the module's `ModuleFanOut` on the `cst.Module` node."""

    gen_cache = True  # the engine hands every caching provider the Config

    def __init__(self, cache: object = None) -> None:
        super().__init__(cache)
        self.config = cache

    def _gen_impl(self, module: cst.Module) -> None:
        self.set_metadata(module, analyse_module(module, Settings.from_config(self.config)))


def module_fan_out(context: Any) -> ModuleFanOut:
    """The facts for the rule context's module; cheap text check first."""
    if not may_fan_out(context.source):
        return EMPTY
    return context.wrapper.resolve(FanOutProvider).get(context.module, EMPTY)


def may_fan_out(source: str) -> bool:
    return FAN_OUT_WORDS.search(source) is not None


def analyse_source(source: str, settings: Settings | None = None) -> ModuleFanOut:
    """For tests: the facts of a source string."""
    return analyse_module(cst.parse_module(source), settings or Settings())


def analyse_module(module: cst.Module, settings: Settings) -> ModuleFanOut:
    collector = _Collector()
    collector.collect(module)
    if not collector.sites:
        return EMPTY
    return _Analysis(module, collector, settings).run()


# --- collection pass ------------------------------------------------------------------------

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_INTERESTING_CALLS = {
    "gather",
    "wait",
    "as_completed",
    "create_task",
    "ensure_future",
    "start_soon",
}


@dataclass
class _Site:
    call: cst.Call
    stack: tuple[cst.CSTNode, ...]  # ancestors, outermost first, the call last


class _Collector:
    """One pass: candidate calls with their ancestors, and every def with its scope."""

    def __init__(self) -> None:
        self.stack: list[cst.CSTNode] = []
        self.sites: list[_Site] = []
        self.functions: dict[str, list[tuple[cst.FunctionDef, tuple[cst.CSTNode, ...]]]] = {}

    def collect(self, node: cst.CSTNode) -> None:
        stack = self.stack
        stack.append(node)
        kind = type(node)  # (exact types: an `isinstance` miss on libcst's ABCs is slow)
        if kind is cst.FunctionDef:
            name = node.name.value  # type: ignore[attr-defined]
            self.functions.setdefault(name, []).append((node, tuple(stack[:-1])))  # type: ignore[arg-type]
        elif kind is cst.Call and method_name(node) in _INTERESTING_CALLS:  # type: ignore[arg-type]
            self.sites.append(_Site(node, tuple(stack)))  # type: ignore[arg-type]
        for child in children(node):
            self.collect(child)
        stack.pop()


# --- small syntax helpers -------------------------------------------------------------------


def _block_body(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    return (cst.SimpleStatementLine(body=suite.body),) if suite.body else ()  # type: ignore[attr-defined]


def _int_value(expr: cst.BaseExpression) -> int | None:
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _int_value(expr.expression)
        return None if inner is None else -inner
    return None


def _is_display(expr: cst.BaseExpression) -> bool:
    """A literal list/tuple/set/dict display without starred data."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(not isinstance(e, cst.StarredElement) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) for e in expr.elements)
    return False


def _is_empty_collection(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.List, cst.Dict, cst.Set, cst.Tuple)) and not expr.elements:
        return True
    return (
        isinstance(expr, cst.Call)
        and not expr.args
        and dotted_name(expr.func) in ("list", "dict", "set", "collections.deque", "deque")
    )


def _last_name(expr: cst.CSTNode | None) -> str:
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def _is_constant_name(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _is_class_name(name: str) -> bool:
    return bool(name) and name[0].isupper() and any(c.islower() for c in name)


def _names_in(node: cst.CSTNode) -> set[str]:
    """Every name under `node`: what an expression reads, or what a target binds."""
    return {sub.value for sub in _walk(node, into_scopes=True) if isinstance(sub, cst.Name)}


_target_names = _names_in


def _walk(node: cst.CSTNode, into_scopes: bool = False) -> list[cst.CSTNode]:
    """Every node under `node` (pre-order), not entering nested defs/classes/lambdas."""
    out: list[cst.CSTNode] = []
    pending = [node]
    while pending:
        current = pending.pop()
        out.append(current)
        if current is not node and not into_scopes and isinstance(current, _SCOPES):
            continue
        pending.extend(reversed(list(children(current))))
    return out


def _handler_only_reraises(handler: cst.ExceptHandler) -> bool:
    body = _block_body(handler.body)
    stmts = [s for s in body if not _is_pass_or_docstring(s)]
    if len(stmts) != 1 or not isinstance(stmts[0], cst.SimpleStatementLine):
        return False
    small = stmts[0].body
    return len(small) == 1 and isinstance(small[0], cst.Raise) and small[0].exc is None


def _handler_reraises(handler: cst.ExceptHandler) -> bool:
    """The handler ends in a bare `raise` (the error still propagates)."""
    body = _block_body(handler.body)
    if not body:
        return False
    last = body[-1]
    return (
        isinstance(last, cst.SimpleStatementLine)
        and any(isinstance(s, cst.Raise) and s.exc is None for s in last.body)
    )


def _is_pass_or_docstring(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Pass) or (
        isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString,))
    )


def _returns_exceptions(call: cst.Call) -> bool | None:
    """True/False for a literal `return_exceptions=`, None when it is not a literal."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "return_exceptions":
            if isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False"):
                return arg.value.value == "True"
            return None
    return False


def _positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None]


# --- per-function facts ---------------------------------------------------------------------


@dataclass
class _FunctionFacts:
    node: cst.FunctionDef | None
    order: dict[int, int] = field(default_factory=dict)  # id(node) -> pre-order index
    assigns: dict[str, list[tuple[int, cst.BaseExpression]]] = field(default_factory=dict)
    mutations: dict[str, list[tuple[int, str, cst.CSTNode]]] = field(default_factory=dict)
    cancels: list[int] = field(default_factory=list)
    creates_limiter: bool = False
    holds_limiter: bool = False
    calls_by_name: dict[str, list[cst.Call]] = field(default_factory=dict)
    awaits_total: int = 0
    awaits_in_handling_try: int = 0
    long_running: bool = False
    nodes: list[cst.CSTNode] = field(default_factory=list)
    end: dict[int, int] = field(default_factory=dict)  # id(node) -> index after its subtree
    # name -> (pre-order indices, `for` loops) of the loops whose target binds it, built on
    # first use (`_loop_binding`).
    loop_targets: dict[str, tuple[list[int], list[cst.For]]] | None = None


class _FactsVisitor:
    """Facts of one function body, not entering nested scopes (one recursive walk)."""

    def __init__(self, root: cst.CSTNode, facts: _FunctionFacts) -> None:
        self.root = root
        self.facts = facts
        self.handling_try_depth = 0
        self.try_stack: list[tuple[cst.Try, bool]] = []

    def run(self) -> None:
        self._visit(self.root)

    def _visit(self, node: cst.CSTNode) -> None:
        facts = self.facts
        facts.order[id(node)] = len(facts.nodes)
        facts.nodes.append(node)
        if node is self.root or not isinstance(node, _SCOPES):
            visit = getattr(self, f"visit_{type(node).__name__}", None)
            if visit is not None:
                visit(node)
            for child in children(node):
                self._visit(child)
            leave = getattr(self, f"leave_{type(node).__name__}", None)
            if leave is not None:
                leave(node)
        facts.end[id(node)] = len(facts.nodes)

    def visit_Try(self, node: cst.Try) -> None:
        # A handler that does not re-raise: the coroutine deals with the failures it expects
        # (`except ApiError: log; return`) instead of letting them reach the gather.
        catches = any(not _handler_reraises(h) for h in node.handlers)
        self.try_stack.append((node, catches))

    def leave_Try(self, original_node: cst.Try) -> None:
        self.try_stack.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self.try_stack and self.try_stack[-1][0].body is node and self.try_stack[-1][1]:
            self.handling_try_depth += 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if self.try_stack and self.try_stack[-1][0].body is original_node and self.try_stack[-1][1]:
            self.handling_try_depth -= 1

    def visit_Await(self, node: cst.Await) -> None:
        self.facts.awaits_total += 1
        if self.handling_try_depth:
            self.facts.awaits_in_handling_try += 1

    def visit_While(self, node: cst.While) -> None:
        test = node.test
        if (isinstance(test, cst.Name) and test.value == "True") or _int_value(test) == 1:
            self.facts.long_running = True

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self.facts.long_running = True

    def _assign(self, target: cst.CSTNode, value: cst.BaseExpression, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.facts.assigns.setdefault(target.value, []).append(
                (self.facts.order[id(node)], value)
            )
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutations.setdefault(target.value.value, []).append(
                (self.facts.order[id(node)], "setitem", value)
            )

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.facts.mutations.setdefault(node.target.value, []).append(
                (self.facts.order[id(node)], "extend", node.value)
            )

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None:
            return
        for item in node.items:
            if _is_limiter_expr(item.item):
                self.facts.holds_limiter = True

    def visit_Call(self, node: cst.Call) -> None:
        name = _last_name(node.func)
        facts = self.facts
        if name in LIMITER_TYPES:
            facts.creates_limiter = True
        elif name in ("cancel", "throw", "set_exception") and isinstance(node.func, cst.Attribute):
            facts.cancels.append(facts.order[id(node)])
        elif name == "acquire" and isinstance(node.func, cst.Attribute):
            if _LIMITER_NAME.search(dotted_name(node.func.value) or ""):
                facts.holds_limiter = True
        elif name in ("append", "add", "extend", "insert", "appendleft") and isinstance(
            node.func, cst.Attribute
        ):
            owner = node.func.value
            args = _positional(node)
            if isinstance(owner, cst.Name) and args:
                value = args[-1].value
                kind = "extend" if name == "extend" else "append"
                facts.mutations.setdefault(owner.value, []).append(
                    (facts.order[id(node)], kind, value)
                )
        facts.calls_by_name.setdefault(name, []).append(node)


def _is_limiter_expr(expr: cst.BaseExpression) -> bool:
    """`sem`, `self._semaphore`, `limiter.acquire()`, `pool.acquire()`, `self._limit(...)`."""
    if isinstance(expr, cst.Call):
        name = _last_name(expr.func)
        if name in LIMITER_TYPES or name == "acquire":
            return True
        if _LIMITER_NAME.search(name):
            return True
        if isinstance(expr.func, cst.Attribute):
            return bool(_LIMITER_NAME.search(_last_name(expr.func.value)))
        return False
    spelled = dotted_name(expr)
    return spelled is not None and bool(_LIMITER_NAME.search(spelled.rsplit(".", 1)[-1]))


# --- the analysis ---------------------------------------------------------------------------


@dataclass
class _Width:
    kind: str  # "data", "small", "pool", "batched", "unknown"
    iterable: str = ""
    element: cst.BaseExpression | None = None
    targets: frozenset[str] = frozenset()
    bound: str | None = None  # a reason the per-item work is bounded or cheap
    node: cst.BaseExpression | None = None  # the iterable


class _Analysis:
    def __init__(self, module: cst.Module, collector: _Collector, settings: Settings) -> None:
        self.module = module
        self.collector = collector
        self.settings = settings
        self.table: ImportTable = import_table(module)
        self.facts: dict[int, _FunctionFacts] = {}
        self.module_constants = self._module_constants()
        self.references: dict[str, list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]] | None = (
            None
        )
        self._reading_callers = False  # reading the callers' arguments of a parameter
        self._recursion: dict[int, tuple[cst.CSTNode, bool]] = {}  # per-item call: recurses?

    # --- driver ---

    def run(self) -> ModuleFanOut:
        fan_outs: list[FanOut] = []
        literal: list[LiteralGather] = []
        gathers: list[GatherSite] = []
        covered: set[int] = set()  # spawn calls already reported through their gather
        spawns: list[tuple[_Site, str]] = []
        for site in self.collector.sites:
            api = self._api(site)
            if api is None:
                continue
            if api in SPAWN_FUNCTIONS.values() or api.endswith(SPAWN_METHODS):
                spawns.append((site, api))
                continue
            fan_out, elements, count = self._collection_fan_out(site, api)
            covered.update(elements)
            if fan_out is not None:
                fan_outs.append(fan_out)
            if count > 0 and fan_out is None:
                literal.append(LiteralGather(site.call, api, count))
            if api == "asyncio.gather":
                gathers.append(self._gather_site(site, api))
        for site, api in spawns:
            if id(site.call) in covered:
                continue
            fan_out = self._spawn_fan_out(site, api)
            if fan_out is not None:
                fan_outs.append(fan_out)
        return ModuleFanOut(tuple(fan_outs), tuple(literal), tuple(gathers))

    def _api(self, site: _Site) -> str | None:
        call = site.call
        spelled = dotted_name(call.func)
        if spelled is None:
            return None
        if "." not in spelled and self._is_local(spelled, site.stack):
            return None
        qualified = self.table.resolve(spelled)
        for table in (GATHER_APIS, GROUP_GATHER_APIS, COLLECTION_APIS, SPAWN_FUNCTIONS):
            if qualified in table:
                return table[qualified]
        name = method_name(call)
        if name in SPAWN_METHODS and isinstance(call.func, cst.Attribute):
            receiver = dotted_name(call.func.value) or "<expr>"
            if receiver.split(".", 1)[0] in ("asyncio", "trio", "anyio"):
                return None
            return f"{receiver}.{name}"
        return None

    def _is_local(self, name: str, stack: tuple[cst.CSTNode, ...]) -> bool:
        """`name` is assigned in an enclosing function (shadows any import)."""
        for node in stack:
            if isinstance(node, cst.FunctionDef):
                facts = self._facts(node)
                if name in facts.assigns:
                    return True
                for param in _params(node):
                    if param == name:
                        return True
        return False

    # --- function facts ---

    def _facts(self, function: cst.FunctionDef) -> _FunctionFacts:
        facts = self.facts.get(id(function))
        if facts is None:
            facts = _FunctionFacts(function)
            _FactsVisitor(function, facts).run()
            self.facts[id(function)] = facts
        return facts

    def _module_constants(self) -> set[str]:
        constants: set[str] = set()
        for stmt in self.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and (
                        _is_display(small.value) or _is_frozen_display(small.value)
                    ):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                constants.add(target.target.value)
                    elif (
                        isinstance(small, cst.AnnAssign)
                        and small.value is not None
                        and isinstance(small.target, cst.Name)
                        and (_is_display(small.value) or _is_frozen_display(small.value))
                    ):
                        constants.add(small.target.value)
        return constants

    # --- collection fan-outs (gather / wait / as_completed) ---

    def _collection_fan_out(
        self, site: _Site, api: str
    ) -> tuple[FanOut | None, set[int], int]:
        """The fan-out fact, the spawn calls it covers, and its literal width."""
        call = site.call
        function = _enclosing_function(site.stack)
        facts = self._facts(function) if function is not None else None
        collections: list[cst.BaseExpression] = []
        literal = 0
        positional = _positional(call)
        if api in ("asyncio.wait", "asyncio.as_completed"):
            if positional:
                first = positional[0].value
                if isinstance(first, (cst.List, cst.Tuple, cst.Set)):
                    literal, more = _literal_elements(first)
                    collections.extend(more)
                else:
                    collections.append(first)
        else:
            for arg in positional:
                if arg.star == "*":
                    value = arg.value
                    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
                        count, more = _literal_elements(value)
                        literal += count
                        collections.extend(more)
                    else:
                        collections.append(value)
                elif arg.star == "" and not self._bounded_element(arg.value, site):
                    literal += 1
        covered: set[int] = set()
        first_unbounded: _Width | None = None
        first_bounded: _Width | None = None
        for expr in collections:
            for width in self._widths(expr, site, facts, depth=0):
                if width.element is not None:
                    for sub in _spawn_calls(width.element):
                        covered.add(id(sub))
                if width.kind != "data":
                    continue
                bound = width.bound or self._element_bound(width, site, facts)
                if bound is None and first_unbounded is None:
                    first_unbounded = width
                elif bound is not None and first_bounded is None:
                    first_bounded = _Width("data", width.iterable, bound=bound)
        if first_unbounded is not None:
            recursive = first_unbounded.element is not None and self._recursive_work(
                first_unbounded.element, site
            )
            fan_out = FanOut(call, api, first_unbounded.iterable, None, recursive=recursive)
            return fan_out, covered, 0
        if first_bounded is not None:
            return FanOut(call, api, first_bounded.iterable, first_bounded.bound), covered, 0
        return None, covered, literal

    def _widths(
        self,
        expr: cst.BaseExpression,
        site: _Site,
        facts: _FunctionFacts | None,
        depth: int,
    ) -> Iterator[_Width]:
        """Every way `expr` (a collection of awaitables) gets its items."""
        if depth > 4:
            return
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            yield self._comprehension_width(expr.for_in, expr.elt, site, facts)
        elif isinstance(expr, cst.DictComp):
            yield self._comprehension_width(expr.for_in, expr.value, site, facts)
        elif isinstance(expr, cst.Call):
            name = dotted_name(expr.func)
            args = _positional(expr)
            if name == "map" and len(args) >= 2:
                iterable = args[1].value
                yield self._iterable_width(
                    iterable, cst.Call(func=args[0].value, args=()), frozenset(), site, facts
                )
            elif name in ("list", "tuple", "set", "sorted", "reversed") and len(args) == 1:
                yield from self._widths(args[0].value, site, facts, depth + 1)
            elif (
                isinstance(expr.func, cst.Attribute)
                and expr.func.attr.value in ("values", "keys", "copy")
                and not args
            ):
                yield from self._widths(expr.func.value, site, facts, depth + 1)
        elif isinstance(expr, cst.Name) and facts is not None:
            yield from self._name_widths(expr.value, site, facts, depth)

    def _name_widths(
        self, name: str, site: _Site, facts: _FunctionFacts, depth: int
    ) -> Iterator[_Width]:
        here = facts.order.get(id(site.call), len(facts.nodes))
        value = self._last_assignment(name, site, facts)
        if value is None:
            return
        if not _is_empty_collection(value):
            yield from self._widths(value, site, facts, depth + 1)
            return
        for index, kind, added in facts.mutations.get(name, ()):
            if index >= here:
                continue
            node = facts.nodes[index]
            loop = self._innermost_loop_of(node, facts)
            if kind == "extend":
                yield from self._widths(added, site, facts, depth + 1)  # type: ignore[arg-type]
                continue
            if loop is None:
                continue  # a fixed number of appends
            element = self._resolve_local(added, facts, loop)  # type: ignore[arg-type]
            if isinstance(loop, cst.For):
                if _contains_await(loop.body):
                    continue  # each iteration awaits: paced or bounded in the loop
                yield self._iterable_width(
                    loop.iter, element, frozenset(_target_names(loop.target)), site, facts
                )

    def _innermost_loop_of(self, node: cst.CSTNode, facts: _FunctionFacts) -> cst.For | None:
        """The innermost synchronous `for` whose body contains `node` (in this function)."""
        best: cst.For | None = None
        target_index = facts.order[id(node)]
        for candidate in facts.nodes:
            if isinstance(candidate, cst.For) and candidate.asynchronous is None:
                start = facts.order[id(candidate.body)]
                end = facts.end[id(candidate.body)]
                if start <= target_index < end:
                    best = candidate
        return best

    def _resolve_local(
        self, expr: cst.BaseExpression, facts: _FunctionFacts, loop: cst.CSTNode
    ) -> cst.BaseExpression:
        """`task` appended after `task = create_task(f(x))` in the same loop -> the call."""
        if isinstance(expr, cst.Name):
            start = facts.order[id(loop)]
            end = facts.end[id(loop)]
            for index, value in facts.assigns.get(expr.value, ()):
                if start <= index < end:
                    return value
        return expr

    def _comprehension_width(
        self,
        for_in: cst.CompFor,
        element: cst.BaseExpression,
        site: _Site,
        facts: _FunctionFacts | None,
    ) -> _Width:
        loops = [for_in]
        while loops[-1].inner_for_in is not None:
            loops.append(loops[-1].inner_for_in)  # type: ignore[arg-type]
        targets: set[str] = set()
        for loop in loops:
            targets |= _target_names(loop.target)
        widths = [
            self._iterable_width(loop.iter, element, frozenset(targets), site, facts)
            for loop in loops
        ]
        for width in widths:
            if width.kind == "data":
                return width
        return widths[0]

    def _iterable_width(
        self,
        iterable: cst.BaseExpression,
        element: cst.BaseExpression,
        targets: frozenset[str],
        site: _Site,
        facts: _FunctionFacts | None,
    ) -> _Width:
        text = self.module.code_for_node(iterable).strip()
        kind = self._iterable_kind(iterable, element, targets, site, facts)
        return _Width(kind, text, element, targets, node=iterable)

    def _iterable_kind(
        self,
        iterable: cst.BaseExpression,
        element: cst.BaseExpression,
        targets: frozenset[str],
        site: _Site,
        facts: _FunctionFacts | None,
        depth: int = 0,
    ) -> str:
        if depth > 3:
            return "data"
        spelled = dotted_name(iterable)
        if spelled is not None and any(
            fnmatch.fnmatchcase(spelled, pattern) for pattern in self.settings.small_iterables
        ):
            return "small"
        if _is_display(iterable) or isinstance(iterable, (cst.SimpleString, cst.FormattedString)):
            return "small"
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)) and any(
            not isinstance(e, cst.StarredElement) for e in iterable.elements
        ):
            return "small"  # the author lists the items (some spread from smaller lists)
        if isinstance(iterable, cst.Subscript):
            if any(isinstance(e.slice, cst.Slice) for e in iterable.slice):
                return "batched"
        if isinstance(iterable, cst.Call):
            name = dotted_name(iterable.func) or ""
            args = _positional(iterable)
            if name == "range":
                return self._range_kind(iterable, element, targets)
            if name in ("enumerate", "sorted", "reversed", "list", "tuple", "set", "iter") and args:
                return self._iterable_kind(
                    args[0].value, element, targets, site, facts, depth + 1
                )
            if name == "zip" and args:
                kinds = [
                    self._iterable_kind(a.value, element, targets, site, facts, depth + 1)
                    for a in args
                ]
                return "small" if "small" in kinds else kinds[0]
            if isinstance(iterable.func, cst.Attribute) and iterable.func.attr.value in (
                "items",
                "keys",
                "values",
                "copy",
            ):
                return self._iterable_kind(
                    iterable.func.value, element, targets, site, facts, depth + 1
                )
            if _CHUNKING.search(name.rsplit(".", 1)[-1]) or name in (
                "itertools.batched",
                "batched",
            ):
                return "batched"
            return "data"
        if spelled is not None and _REGISTRATIONS.search(spelled.rsplit(".", 1)[-1]):
            return "small"
        if isinstance(iterable, cst.Name):
            return self._name_kind(iterable.value, site, facts)
        if isinstance(iterable, cst.Attribute):
            if _is_constant_name(iterable.attr.value):
                return "small"
            if _CHUNKING.search(iterable.attr.value):
                return "batched"
            return "data"
        return "data"

    def _sized_by_configuration(
        self,
        iterable: cst.BaseExpression,
        site: _Site,
        facts: _FunctionFacts | None,
        depth: int,
    ) -> str | None:
        """Why a data-sized-looking iterable is sized by the deployment or the code, or None.

        Collections an object holds (`self.nodes`, `cls.registry`) are its configuration or
        registrations; names of infrastructure (brokers, nodes, hosts, platforms, entries,
        devices, ...) count things a deployment has a few of. Locals and loop variables are
        followed back to where they come from.
        """
        if depth > 4:
            return None
        node = _unwrap_iterable(iterable)
        if isinstance(node, cst.Name) and facts is not None:
            value = self._last_assignment(node.value, site, facts)
            if isinstance(value, cst.Call) and _last_name(value.func) == "defaultdict":
                return "one item per group of a grouping dict"
        words = _identifier_words(node)
        if _awaited_call_result(iterable) and isinstance(node, cst.Call):
            # A listing fetched over I/O is named by the call and its arguments; the receiver
            # (`client`, `service`) is who answers, not what is listed.
            func = node.func.attr if isinstance(node.func, cst.Attribute) else node.func
            words = _identifier_words(func).union(*(_identifier_words(a) for a in node.args))
        if words & _CONFIGURATION_WORDS:
            return "sized by configuration: " + ", ".join(sorted(words & _CONFIGURATION_WORDS))
        root = node
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if (
            isinstance(root, cst.Name)
            and root.value in ("self", "cls")
            and not self.settings.report_fetched
        ):
            return "a collection the object holds (its configuration or registrations)"
        if isinstance(node, cst.Name) and facts is not None:
            name = node.value
            for ancestor in reversed(site.stack):
                if isinstance(ancestor, cst.FunctionDef):
                    break
                if isinstance(ancestor, cst.For) and name in _target_names(ancestor.target):
                    return self._sized_by_configuration(ancestor.iter, site, facts, depth + 1)
            loop = self._loop_binding(name, site, facts)
            if loop is not None:
                return self._sized_by_configuration(loop.iter, site, facts, depth + 1)
            value = self._last_assignment(name, site, facts)
            if value is not None:
                if isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                    return self._sized_by_configuration(
                        value.for_in.iter, site, facts, depth + 1
                    )
                return self._sized_by_configuration(value, site, facts, depth + 1)
        return None

    def _is_star_parameter(self, iterable: cst.BaseExpression, site: _Site) -> bool:
        base = _unwrap_iterable(iterable)
        function = _enclosing_function(site.stack)
        star = function.params.star_arg if function is not None else None
        return (
            isinstance(base, cst.Name)
            and isinstance(star, cst.Param)
            and star.name.value == base.value
        )

    def _loop_binding(self, name: str, site: _Site, facts: _FunctionFacts) -> cst.For | None:
        """The `for` loop (in this function, before the site) whose target binds `name`."""
        here = facts.order.get(id(site.call), len(facts.nodes))
        if facts.loop_targets is None:  # indexed once: a scan per site is quadratic
            facts.loop_targets = {}
            for index, node in enumerate(facts.nodes):
                if isinstance(node, cst.For):
                    for bound in _target_names(node.target):
                        indices, loops = facts.loop_targets.setdefault(bound, ([], []))
                        indices.append(index)
                        loops.append(node)
        indices, loops = facts.loop_targets.get(name, ((), ()))
        before = bisect.bisect_left(indices, here)  # the last such loop before the site
        return loops[before - 1] if before else None

    def _last_assignment(
        self, name: str, site: _Site, facts: _FunctionFacts
    ) -> cst.BaseExpression | None:
        here = facts.order.get(id(site.call), len(facts.nodes))
        values = [
            value
            for index, value in facts.assigns.get(name, ())
            if facts.end[id(facts.nodes[index])] <= here
        ]
        return values[-1] if values else None

    def _name_kind(self, name: str, site: _Site, facts: _FunctionFacts | None) -> str:
        if _is_constant_name(name) or _is_class_name(name):
            return "small"
        if _CHUNKING.search(name):
            return "batched"
        if facts is not None:
            loop_kind = self._loop_variable_kind(name, site, facts)
            if loop_kind is not None:
                return loop_kind
            here = facts.order.get(id(site.call), len(facts.nodes))
            value = self._last_assignment(name, site, facts)
            if value is not None:
                if (_is_display(value) or _is_frozen_display(value)) and not any(
                    i < here for i, _, _ in facts.mutations.get(name, ())
                ):
                    return "small"
                if isinstance(value, cst.Subscript) and any(
                    isinstance(e.slice, cst.Slice) for e in value.slice
                ):
                    return "batched"
                if isinstance(value, cst.Call) and _CHUNKING.search(_last_name(value.func)):
                    return "batched"
                return "data"
        if name in self.module_constants:
            return "small"
        return "data"

    def _loop_variable_kind(self, name: str, site: _Site, facts: _FunctionFacts) -> str | None:
        """`batch` in `for batch in chunks(items, 10): gather(*[f(x) for x in batch])`."""
        for node in reversed(site.stack):
            if isinstance(node, cst.For) and name in _target_names(node.target):
                iterable = node.iter
                if isinstance(iterable, cst.Call):
                    called = dotted_name(iterable.func) or ""
                    if _CHUNKING.search(called.rsplit(".", 1)[-1]):
                        return "batched"
                    if called == "range" and len(_positional(iterable)) == 3:
                        return "batched"
                if isinstance(iterable, cst.Name) and _CHUNKING.search(iterable.value):
                    return "batched"
                return None
            if isinstance(node, cst.FunctionDef):
                break
        return None

    def _range_kind(
        self, call: cst.Call, element: cst.BaseExpression, targets: frozenset[str]
    ) -> str:
        args = [a.value for a in _positional(call)]
        values = [self._constant_int(a) for a in args]
        if values and all(v is not None for v in values):
            width = len(range(*values))  # type: ignore[misc]
            return "small" if width <= self.settings.small_width else "pool"
        # N copies of the same worker: a pool whose width is configuration, not data.
        if not (targets & _names_in(element)):
            return "pool"
        count = self.module.code_for_node(args[-1] if len(args) < 3 else args[1]) if args else ""
        if _POOL_COUNT.search(count) and "len(" not in count:
            return "pool"
        if isinstance(element, cst.Call) and any(
            _QUEUE_ARG.search(_last_name(a.value)) for a in element.args
        ):
            return "pool"
        return "data"

    def _constant_int(self, expr: cst.BaseExpression) -> int | None:
        value = _int_value(expr)
        if value is not None:
            return value
        if isinstance(expr, cst.Name):
            for stmt in self.module.body:
                if isinstance(stmt, cst.SimpleStatementLine):
                    for small in stmt.body:
                        if (
                            isinstance(small, cst.Assign)
                            and len(small.targets) == 1
                            and isinstance(small.targets[0].target, cst.Name)
                            and small.targets[0].target.value == expr.value
                        ):
                            return _int_value(small.value)
        return None

    # --- what bounds the per-item work ---

    def _element_bound(
        self, width: _Width, site: _Site, facts: _FunctionFacts | None
    ) -> str | None:
        recursive = width.element is not None and self._recursive_work(width.element, site)
        if width.node is not None and not recursive:
            # (A recursion multiplies its width at every level, whatever the names say.)
            sized = self._sized_by_configuration(width.node, site, facts, depth=0)
            if sized is not None:
                return sized
        element = width.element
        if isinstance(element, cst.Call) and isinstance(element.func, cst.Name):
            if element.func.value in width.targets:
                return "each item is itself called: a dispatch to registered callables"
            function = _enclosing_function(site.stack)
            if function is not None and element.func.value in set(_params(function)):
                return "a generic helper: the caller supplies the work and the items"
            if width.node is not None and self._is_star_parameter(width.node, site):
                if element.func.value == "partial" or any(
                    isinstance(_enclosing_scope(stack), cst.FunctionDef)
                    for _, stack in self.collector.functions.get(element.func.value, ())
                ):
                    return "a generic helper over its *args: the callers choose the width"
        for node in site.stack:
            if isinstance(node, cst.FunctionDef) and self._facts(node).creates_limiter:
                return "the enclosing function creates a limiter"
        if element is None:
            return None
        if not _starts_work(element):
            return "the items are existing tasks or futures: no new work starts here"
        if self._wraps_callers_awaitables(element, site):
            return "the items are awaitables the caller made: no new work starts here"
        reason = self._work_bound(element, site, depth=0)
        if reason is None and width.node is not None:
            reason = self._width_not_evidently_data(width, site, facts)
        return reason

    # --- where the width comes from ---

    def _width_not_evidently_data(
        self, width: _Width, site: _Site, facts: _FunctionFacts | None
    ) -> str | None:
        """Why parlint cannot see that the width is data-sized, or None when it can.

        It can when the collection is handed in by a caller outside the module (a bulk
        operation over the caller's data), when the width is a count computed at run time
        (`range(first, last)`), and when the work fans out again over what it finds (a
        recursion: graph-sized). A collection the function fetches or an object holds is sized
        by that service or object (its brokers, devices, open issues...), which parlint cannot
        see: reported only with `fan-out-report-fetched`.
        """
        if self.settings.report_fetched or width.node is None:
            return None
        if width.element is not None and self._recursive_work(width.element, site):
            return None
        return self._held_reason(width.node, site, facts, depth=0)

    def _recursive_work(self, element: cst.BaseExpression, site: _Site) -> bool:
        """The per-item work is a same-module function that calls itself (a graph walk)."""
        element = _unwrap_tasks(element)
        if not isinstance(element, cst.Call):
            return False
        known = self._recursion.get(id(element))  # asked up to three times per fan-out
        if known is None or known[0] is not element:
            recursive = any(
                _calls_itself(function, self._facts(function))
                for function in self._callees(element, site)
            )
            # The element is kept with the answer: a synthetic call (`start_soon(f, x)` read as
            # `f(x)`) must not hand its id to another one.
            known = self._recursion[id(element)] = (element, recursive)
        return known[1]

    def _held_reason(
        self,
        expr: cst.BaseExpression,
        site: _Site,
        facts: _FunctionFacts | None,
        depth: int,
    ) -> str | None:
        """None when `expr` is a caller's collection or a computed count; else why not."""
        if depth > 6:
            return None
        node = _unwrap_iterable(expr)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self._held_reason(node.for_in.iter, site, facts, depth + 1)
        if isinstance(node, cst.BinaryOperation):
            left = self._held_reason(node.left, site, facts, depth + 1)
            right = self._held_reason(node.right, site, facts, depth + 1)
            return None if left is None or right is None else left
        if isinstance(node, cst.Call):
            name = dotted_name(node.func) or ""
            args = _positional(node)
            if name == "range":
                return None  # a count computed at run time (constant ranges are small)
            if name == "map" and len(args) >= 2:
                return self._held_reason(args[1].value, site, facts, depth + 1)
            return f"a collection fetched by `{_short(self.module.code_for_node(node.func))}`"
        if isinstance(node, cst.Name):
            return self._name_held_reason(node.value, site, facts, depth)
        if isinstance(node, cst.Attribute):
            return "a collection an object holds"
        if isinstance(node, cst.Subscript):
            return "an entry of a mapping or message"
        return "not a collection handed in by a caller"

    def _name_held_reason(
        self, name: str, site: _Site, facts: _FunctionFacts | None, depth: int
    ) -> str | None:
        for ancestor in reversed(site.stack):
            if isinstance(ancestor, cst.FunctionDef):
                break
            if isinstance(ancestor, cst.For) and name in _target_names(ancestor.target):
                return self._held_reason(ancestor.iter, site, facts, depth + 1)
        if facts is not None:
            value = self._last_assignment(name, site, facts)
            if value is not None and not _is_empty_collection(value):
                return self._held_reason(value, site, facts, depth + 1)
            if value is not None:
                return self._built_held_reason(name, site, facts, depth)
            loop = self._loop_binding(name, site, facts)
            if loop is not None:
                return self._held_reason(loop.iter, site, facts, depth + 1)
        for function in reversed([n for n in site.stack if isinstance(n, cst.FunctionDef)]):
            if name in set(_params(function)):
                return self._parameter_held_reason(function, name, depth)
            outer = self._facts(function)
            own = facts.node if facts is not None else None
            if function is not own and name in outer.assigns:
                value = outer.assigns[name][-1][1]
                if _is_empty_collection(value):
                    return None
                return self._held_reason(value, site, None, depth + 1)
        return "a module-level collection"

    def _built_held_reason(
        self, name: str, site: _Site, facts: _FunctionFacts, depth: int
    ) -> str | None:
        """A local collection filled after `name = []`: from where its items come."""
        here = facts.order.get(id(site.call), len(facts.nodes))
        reasons = []
        for index, kind, added in facts.mutations.get(name, ()):
            if index >= here:
                continue
            if kind == "extend":
                extended = self._held_reason(added, site, facts, depth + 1)  # type: ignore[arg-type]
                reasons.append(extended)
                continue
            loop = self._innermost_loop_of(facts.nodes[index], facts)
            if loop is not None:
                reasons.append(self._held_reason(loop.iter, site, facts, depth + 1))
        if not reasons or None in reasons:
            return None
        return reasons[0]

    def _parameter_held_reason(
        self, function: cst.FunctionDef, name: str, depth: int
    ) -> str | None:
        """A parameter: data, unless every caller in the module passes a held collection.

        Only the direct callers are read: a caller's own parameter counts as data. (That is
        also what `check`'s reduced sources keep: the functions that call a kept function
        holding a fan-out, not their callers.)"""
        if self._reading_callers:
            return None
        calls = self._calls_to(function)
        if not calls:
            return None  # called from elsewhere: the caller's data decides
        self._reading_callers = True
        try:
            return self._callers_held_reason(function, name, calls, depth)
        finally:
            self._reading_callers = False

    def _callers_held_reason(
        self,
        function: cst.FunctionDef,
        name: str,
        calls: list[tuple[cst.Call, tuple[cst.CSTNode, ...]]],
        depth: int,
    ) -> str | None:
        for call, stack in calls:
            arguments = _arguments_for(function, name, call)
            if arguments is None:
                return None
            caller = _enclosing_function(stack)
            caller_facts = self._facts(caller) if caller is not None else None
            caller_site = _Site(call, stack)
            for argument in arguments:
                kind = self._iterable_kind(
                    argument, cst.Name("_"), frozenset(), caller_site, caller_facts
                )
                if kind == "data" and (
                    self._held_reason(argument, caller_site, caller_facts, depth + 1) is None
                ):
                    return None
        return (
            "every caller in this module passes a short literal or a collection it holds or "
            "fetched"
        )

    def _calls_to(
        self, function: cst.FunctionDef
    ) -> list[tuple[cst.Call, tuple[cst.CSTNode, ...]]] | None:
        """The calls of `function` in this module (by name), or None when it is referenced
        other than by a call (handed on as a callback: its callers are unknown)."""
        calls = []
        method = isinstance(_enclosing_scope(self._definition_stack(function)), cst.ClassDef)
        for node, stack in self._references().get(function.name.value, []):
            if node is function.name:
                continue
            parent = stack[-2] if len(stack) >= 2 else None
            holder: cst.CSTNode = node
            if isinstance(parent, cst.Attribute) != method:
                continue  # `client.delete(k)` is not module function `delete`; `f()` no method
            if isinstance(parent, cst.Attribute):
                holder, parent = parent, (stack[-3] if len(stack) >= 3 else None)
                call_stack = stack[:-2]
            else:
                call_stack = stack[:-1]
            if not (isinstance(parent, cst.Call) and parent.func is holder):
                return None
            calls.append((parent, call_stack))
        return calls

    def _definition_stack(self, function: cst.FunctionDef) -> tuple[cst.CSTNode, ...]:
        for candidate, stack in self.collector.functions.get(function.name.value, ()):
            if candidate is function:
                return stack
        return ()

    def _wraps_callers_awaitables(self, element: cst.BaseExpression, site: _Site) -> bool:
        """`self._as_future(x)`: a same-module plain `def` that returns its argument wrapped
        in a future (or a ready future): the awaitables were made by the caller."""
        if not isinstance(element, cst.Call):
            return False
        callees = self._callees(element, site)
        if not callees:
            return False
        for function in callees:
            if function.asynchronous is not None:
                return False
            params = set(_params(function))
            facts = self._facts(function)
            futures = {  # locals holding a new, empty future (`f = loop.create_future()`)
                name
                for name, values in facts.assigns.items()
                if all(
                    isinstance(v, cst.Call) and _last_name(v.func) in _NOT_WORK for _, v in values
                )
            }
            returns = [n for n in facts.nodes if isinstance(n, cst.Return)]
            if not returns:
                return False
            for ret in returns:
                value = ret.value
                if isinstance(value, cst.Name) and value.value in params | futures:
                    continue
                if (
                    isinstance(value, cst.Call)
                    and _last_name(value.func) in _TASK_WRAPPERS
                    and _positional(value)
                    and _names_in(_positional(value)[0].value) <= params
                ):
                    continue
                return False
        return True

    def _bounded_element(self, element: cst.BaseExpression, site: _Site) -> bool:
        """A literal awaitable wrapped in a bounding helper (`_bounded(fetch())`, a
        configured helper, or a function holding a semaphore): it does not add to how many
        run at once (PAR202), and a bounded gather is not bounded again by its fix."""
        if not isinstance(element, cst.Call):
            return False
        name = _last_name(element.func)
        if self._bounding_helper(name, dotted_name(element.func) or name):
            return True
        return any(self._facts(f).holds_limiter for f in self._callees(element, site))

    def _bounding_helper(self, name: str, spelled: str) -> bool:
        """A helper that bounds what it is given, by its name (`bounded`, `limited`, ...) or
        by `fan-out-bounding-helpers`."""
        return _BOUNDED_HELPER.search(name) is not None or any(
            fnmatch.fnmatchcase(spelled, p) for p in self.settings.bounding_helpers
        )

    def _work_bound(self, element: cst.BaseExpression, site: _Site, depth: int) -> str | None:
        """Why the awaitable `element` does no unbounded work, or None."""
        if depth > 3:
            return None
        if not isinstance(element, cst.Call):
            return None
        if depth == 0:
            for arg in element.args:
                for name in _names_in(arg.value):
                    if _is_limiter_word(name):
                        return f"the per-item call is given `{name}`"
        name = _last_name(element.func)
        spelled = dotted_name(element.func) or name
        if name in _EXECUTOR_CALLS:
            return "the work runs in a thread pool"
        if any(
            self.table.resolve(dotted_name(n) or "") in _THREADED_FILE_APIS
            for n in _walk(element, into_scopes=True)
            if isinstance(n, (cst.Attribute, cst.Name))
        ):
            return "async file I/O runs in the thread pool's limiter"
        if _IN_PROCESS.search(dotted_name(element.func) or ""):
            return "an in-process dispatch, not I/O"
        if _CHEAP_VERBS.match(name):
            return f"`{name}` does no work worth bounding"
        if _PURE_VERBS.match(name):
            return f"`{name}` computes in memory: no I/O to bound"
        if name == "sleep":
            return "a sleep"
        if self._bounding_helper(name, spelled):
            return f"`{spelled}` bounds the work"
        qualified = self.table.resolve(spelled)
        if qualified in SPAWN_FUNCTIONS or name in SPAWN_METHODS or name in (
            "wait_for",
            "shield",
            "create_eager_task",
        ):
            args = _positional(element)
            if args:
                return self._work_bound(args[0].value, site, depth + 1)
            return None
        for function in self._callees(element, site):
            facts = self._facts(function)
            if facts.holds_limiter:
                return f"`{function.name.value}` holds a limiter"
            if not any(
                isinstance(n, cst.Await)
                or (isinstance(n, (cst.For, cst.With)) and n.asynchronous is not None)
                for n in facts.nodes
            ):
                return f"`{function.name.value}` never awaits: it computes in memory"
            if facts.long_running:
                return f"`{function.name.value}` is a long-running worker"
            if self._dispatches_in_process(function, site.stack):
                return f"`{function.name.value}` only dispatches in-process"
            awaited = _calls_awaited(function, facts)
            if awaited and all(_CHEAP_VERBS.match(_last_name(c.func)) for c in awaited):
                return f"`{function.name.value}` only waits or cleans up"
            for inner in _calls_awaited(function, facts):
                reason = self._work_bound(inner, site, depth + 1)
                if reason is not None and "holds a limiter" in reason:
                    return reason
        return None

    def _dispatches_in_process(
        self, function: cst.FunctionDef, stack: tuple[cst.CSTNode, ...], depth: int = 0
    ) -> bool:
        """Every await of `function` is an in-process dispatch or a wait for one, directly or
        through same-module functions (three deep): it does no I/O of its own to bound."""
        inner = (*stack, function)
        kinds = [
            self._dispatch_kind(call, inner, depth)
            for call in _calls_awaited(function, self._facts(function))
        ]
        return "dispatch" in kinds and "work" not in kinds

    def _dispatch_kind(
        self, expr: cst.BaseExpression, stack: tuple[cst.CSTNode, ...], depth: int
    ) -> str:
        """"dispatch" (in process), "wait" (for work started elsewhere) or "work"."""
        call = _unwrap_tasks(expr)
        if not isinstance(call, cst.Call):
            return "work"
        name = _last_name(call.func)
        if _IN_PROCESS.search(dotted_name(call.func) or ""):
            return "dispatch"
        args = _positional(call)
        if name.endswith("create_task") and args:  # a framework's own task factory
            return self._dispatch_kind(args[0].value, stack, depth)
        callees = self._callees(call, _Site(call, stack)) if depth < 3 else []
        if callees:
            if all(self._dispatches_in_process(f, stack, depth + 1) for f in callees):
                return "dispatch"
            handed = [
                self._dispatch_kind(a.value, stack, depth)
                for a in args
                if isinstance(a.value, cst.Call)
            ]
            if handed and "work" not in handed and all(self._only_waits(f) for f in callees):
                return "dispatch" if "dispatch" in handed else "wait"
            return "work"
        return "wait" if _CHEAP_VERBS.match(name) else "work"

    def _only_waits(self, function: cst.FunctionDef) -> bool:
        """A helper that only waits (for the task it is handed, with a timeout)."""
        awaited = _calls_awaited(function, self._facts(function))
        return bool(awaited) and all(_CHEAP_VERBS.match(_last_name(c.func)) for c in awaited)

    def _callees(self, call: cst.Call, site: _Site) -> list[cst.FunctionDef]:
        """Same-module functions a call may run: closures, module functions, own methods."""
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            found = []
            for function, stack in self.collector.functions.get(name, ()):
                parent = _enclosing_scope(stack)
                if parent is None or (isinstance(parent, cst.FunctionDef) and parent in site.stack):
                    found.append(function)
            return found
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
        ):
            name = func.attr.value
            owner = next((n for n in reversed(site.stack) if isinstance(n, cst.ClassDef)), None)
            found = []
            for function, stack in self.collector.functions.get(name, ()):
                parent = _enclosing_scope(stack)
                if isinstance(parent, cst.ClassDef) and (owner is None or parent is owner):
                    found.append(function)
            if not found:
                found = [
                    function
                    for function, stack in self.collector.functions.get(name, ())
                    if isinstance(_enclosing_scope(stack), cst.ClassDef)
                ]
            return found
        return []

    # --- spawns in loops ---

    def _spawn_fan_out(self, site: _Site, api: str) -> FanOut | None:
        call = site.call
        loop, element_targets = _innermost_loop(site.stack)
        if loop is None:
            return None
        function = _enclosing_function(site.stack)
        facts = self._facts(function) if function is not None else None
        if isinstance(loop, cst.For):
            if _contains_await(loop.body):
                return None  # each iteration awaits: paced, or bounded in the loop
            if any(
                isinstance(n, cst.Call) and "acquire" in _last_name(n.func)
                for n in _walk(loop.body)
            ):
                return FanOut(call, api, "", "the loop acquires a slot before each task", True)
            iterable = loop.iter
        else:
            iterable = loop.iter
        element = _spawned_work(call, api)
        width = self._iterable_width(iterable, element, element_targets, site, facts)
        if width.kind != "data":
            return None
        bound = self._element_bound(width, site, facts)
        recursive = bound is None and self._recursive_work(element, site)
        return FanOut(call, api, width.iterable, bound, spawn=True, recursive=recursive)

    # --- error handling of gather (PAR301/PAR302) ---

    def _gather_site(self, site: _Site, api: str) -> GatherSite:
        call = site.call
        stack = site.stack
        parent = stack[-2] if len(stack) >= 2 else None
        awaited = isinstance(parent, cst.Await)
        returns = _returns_exceptions(call)
        target = _assigned_name(stack) if awaited else None
        if returns is None:
            return GatherSite(call, api, True, awaited, handled="return_exceptions is not literal")
        if returns:
            results, reason = self._results_checked(site)
            return GatherSite(call, api, True, awaited, "", results, reason, target)
        handled = self._error_handled(site) if awaited else "not awaited here"
        return GatherSite(call, api, False, awaited, handled, target=target)

    def _error_handled(self, site: _Site) -> str | None:
        call = site.call
        positional = _positional(call)
        if len(positional) == 1 and positional[0].star == "":
            return "a single awaitable"
        if not positional:
            return "nothing gathered"
        reason = _handled_in_function(site.stack)
        if reason is not None:
            return reason
        function = _enclosing_function(site.stack)
        facts = self._facts(function) if function is not None else None
        if facts is not None:
            here = facts.order.get(id(call), 0)
            if any(index < here for index in facts.cancels):
                return "a cancel-then-drain"
        elements = self._gathered_elements(site, facts)
        if elements and all(_is_trivial_awaitable(e) for e in elements):
            return "the awaitables do no real work"
        if elements and all(_is_cleanup(e) or _is_self_teardown(e) for e in elements):
            return "a clean-up: each awaitable closes, stops or removes its own item"
        if elements and all(self._catches_own_errors(e, site) for e in elements):
            return "the gathered coroutines catch their own errors"
        if function is not None and self._every_caller_handles(function, site):
            return "every caller handles errors"
        if not elements:
            return "what is gathered is not visible here: no evidence of side effects"
        if self._dispatches_to_items(site, facts):
            return None  # registered callables (listeners, hooks): their effects are unknown
        if not any(self._has_side_effects(e, site) for e in elements):
            return "reads: the first error propagates and nothing is left half done"
        return None

    def _dispatches_to_items(
        self, site: _Site, facts: _FunctionFacts | None, call: cst.Call | None = None
    ) -> bool:
        """The gathered items are the loop's items called (`listener(...) for listener in
        listeners`): user-registered callables whose work, writes included, is unknown. A
        gather nested as an item (`gather(sync_send(), gather(*receivers))`) counts too: its
        items fail into the outer gather."""
        for arg in _positional(call or site.call):
            if arg.star != "*":
                value = _unwrap_tasks(arg.value)
                if (
                    isinstance(value, cst.Call)
                    and self.table.resolve(dotted_name(value.func) or "") in GATHER_APIS
                    and self._dispatches_to_items(site, facts, value)
                ):
                    return True
                continue
            for width in self._widths(arg.value, site, facts, depth=0):
                element = _unwrap_tasks(width.element) if width.element is not None else None
                if (
                    isinstance(element, cst.Call)
                    and isinstance(element.func, cst.Name)
                    and element.func.value in width.targets
                ):
                    known = self._spelled_out_callables(width.node, facts)
                    if known and all(_verb(_last_name(c)) in _READ_VERBS for c in known):
                        continue  # the function lists the callables itself: all reads
                    node = _unwrap_iterable(width.node) if width.node is not None else None
                    if isinstance(node, cst.Name) and facts is not None:
                        value = self._last_assignment(node.value, site, facts)
                        if value is not None and (
                            _is_empty_collection(value) or _is_display(value)
                        ):
                            continue  # its own list of its own steps, not registrations
                    return True
        return False

    def _spelled_out_callables(
        self, iterable: cst.BaseExpression | None, facts: _FunctionFacts | None
    ) -> list[cst.BaseExpression]:
        """The callables of a collection this function spells out (`methods = {"a": [c.read_a],
        ...}[kind]`), followed through locals, unpacking and subscripts; [] when not visible."""
        node = _unwrap_iterable(iterable) if iterable is not None else None
        for _ in range(4):
            if facts is None or node is None:
                return []
            if isinstance(node, cst.Subscript):
                node = node.value
                continue
            if not isinstance(node, cst.Name):
                break
            name = node.value
            values = [
                n.value
                for n in facts.nodes
                if (
                    isinstance(n, cst.Assign)
                    and any(name in _target_names(t.target) for t in n.targets)
                )
                or (
                    isinstance(n, cst.AnnAssign)
                    and n.value is not None
                    and name in _target_names(n.target)
                )
            ]
            if len(values) != 1:
                return []
            node = values[0]
        if not isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
            return []
        return [
            element.value
            for sub in _walk(node)
            if isinstance(sub, (cst.List, cst.Set))  # lists of callables (tuples pair things)
            for element in sub.elements
            if isinstance(element.value, (cst.Name, cst.Attribute))
        ]

    def _has_side_effects(self, element: cst.BaseExpression, site: _Site) -> bool:
        """The awaitable changes state somewhere (by the words of its calls, one call deep)."""
        element = _unwrap_tasks(element)
        if not isinstance(element, cst.Call):
            return False
        callees = self._callees(element, site)
        if callees and all(self._only_reads(f) for f in callees):
            # A visible coroutine is judged by what it does, not by its name (an
            # `update_config` that only reads the device and fills a dict is a read).
            argument_verbs = _call_verbs(element) - {_name_verb(_last_name(element.func))}
            return bool(argument_verbs & _SIDE_EFFECT_WORDS)
        if _call_verbs(element) & _SIDE_EFFECT_WORDS:
            return True
        for function in self._callees(element, site):
            verbs = {_name_verb(function.name.value)}
            for call in _calls_awaited(function, self._facts(function)):
                verbs |= _call_verbs(call)
            if verbs & _SIDE_EFFECT_WORDS:
                return True
        return False

    def _only_reads(self, function: cst.FunctionDef) -> bool:
        """Every call of `function` awaits a read (get, fetch, list, request...) or is one, and
        none is named for a change: its writes, if any, go to local objects."""
        facts = self._facts(function)
        awaited = _calls_awaited(function, facts)
        if not awaited or not all(_verb(_last_name(c.func)) in _READ_VERBS for c in awaited):
            return False
        return not any(_name_verb(name) in _SIDE_EFFECT_WORDS for name in facts.calls_by_name)

    def _gathered_elements(
        self, site: _Site, facts: _FunctionFacts | None
    ) -> list[cst.BaseExpression] | None:
        """The per-item awaitable expressions, or None when some cannot be seen."""
        elements: list[cst.BaseExpression] = []
        for arg in _positional(site.call):
            value = arg.value
            if arg.star == "":
                if isinstance(value, cst.Name) and facts is not None:
                    here = facts.order.get(id(site.call), len(facts.nodes))
                    assigns = [v for i, v in facts.assigns.get(value.value, ()) if i < here]
                    if len(assigns) == 1:
                        value = assigns[0]
                elements.append(value)
                continue
            widths = list(self._widths(value, site, facts, depth=0))
            if not widths:
                if isinstance(value, (cst.List, cst.Tuple)):
                    elements.extend(
                        e.value for e in value.elements if not isinstance(e, cst.StarredElement)
                    )
                    continue
                return None
            for width in widths:
                if width.element is None:
                    return None
                elements.append(width.element)
        return elements

    def _catches_own_errors(self, element: cst.BaseExpression, site: _Site) -> bool:
        if not isinstance(element, cst.Call):
            return False
        name = _last_name(element.func)
        qualified = self.table.resolve(dotted_name(element.func) or "")
        if qualified in SPAWN_FUNCTIONS or name in ("create_task", "ensure_future"):
            args = _positional(element)
            return bool(args) and self._catches_own_errors(args[0].value, site)
        callees = self._callees(element, site)
        if not callees:
            return False
        for function in callees:
            facts = self._facts(function)
            if facts.awaits_total == 0 or facts.awaits_in_handling_try < facts.awaits_total:
                return False
        return True

    def _every_caller_handles(self, function: cst.FunctionDef, site: _Site) -> bool:
        references = self._references().get(function.name.value, [])
        if not references:
            return False
        for node, stack in references:
            if node is function.name:
                continue
            parent = stack[-2] if len(stack) >= 2 else None
            if isinstance(parent, cst.Attribute):
                call_parent = stack[-3] if len(stack) >= 3 else None
                callee_holder = parent
            else:
                call_parent = parent
                callee_holder = node
            if not (isinstance(call_parent, cst.Call) and call_parent.func is callee_holder):
                return False
            if _handled_in_function(stack) is None:
                return False
        return len(references) > 1

    def _references(self) -> dict[str, list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]]:
        if self.references is None:
            # One walk for every function defined in the module: who calls it, and how.
            wanted = set(self.collector.functions)
            collector = _ReferenceCollector(wanted)
            collector.collect(self.module)
            self.references = collector.references
        return self.references

    def _results_checked(self, site: _Site) -> tuple[str | None, str]:
        """("discarded"|"unchecked"|None, why) for a `return_exceptions=True` gather."""
        stack = site.stack
        if len(stack) < 3 or not isinstance(stack[-2], cst.Await):
            return None, "not awaited here: the results go elsewhere"
        # `enumerate(await gather(...))`, `dict(zip(keys, await gather(...)))`: the results
        # flow on through pass-through calls to the statement that holds them.
        level = len(stack) - 3
        while (
            level >= 1
            and isinstance(stack[level], cst.Arg)
            and isinstance(stack[level - 1], cst.Call)
            and _last_name(stack[level - 1].func) in _PASS_THROUGH_CALLS  # type: ignore[attr-defined]
        ):
            level -= 2
        holder = stack[level]
        function = _enclosing_function(stack)
        facts = self._facts(function) if function is not None else None
        if isinstance(holder, cst.Expr):
            if _in_cleanup(stack):
                return None, "a drain in an except/finally block"
            if facts is not None:
                here = facts.order.get(id(site.call), 0)
                if any(index < here for index in facts.cancels):
                    return None, "a cancel-then-drain"
            elements = self._gathered_elements(site, facts)
            if not elements:
                return None, "what is gathered is not visible here"
            if all(_is_cleanup(e) for e in elements):
                return None, "a best-effort clean-up (close, stop, disconnect...)"
            return "discarded", "the results are discarded"
        if isinstance(holder, (cst.Assign, cst.AnnAssign)) and function is not None:
            assert facts is not None
            targets: set[str] = set()
            element_level = False
            if isinstance(holder, cst.Assign):
                for target in holder.targets:
                    if isinstance(target.target, cst.Name):
                        targets.add(target.target.value)
                    elif isinstance(target.target, (cst.Tuple, cst.List)):
                        targets |= _target_names(target.target)
                        element_level = True
                    else:
                        return None, "stored for later"
            elif isinstance(holder.target, cst.Name):
                targets.add(holder.target.value)
            else:
                return None, "stored for later"
            return self._names_checked(targets, element_level, holder, facts)
        if isinstance(holder, cst.For) and function is not None and facts is not None:
            names = _target_names(holder.target)
            return self._names_checked(names, True, holder, facts)
        return None, "used in an expression"

    def _checks_result(self, node: cst.CSTNode, tracked: set[str]) -> str | None:
        """Why `node` checks a result for an exception, or None."""
        if isinstance(node, cst.Raise) and node.exc is not None:
            return "re-raised" if _names_in(node.exc) & tracked else None
        if not isinstance(node, cst.Call):
            return None
        arg_names: set[str] = set()
        for arg in node.args:
            arg_names |= _names_in(arg.value)
        if not arg_names & tracked:
            return None
        callee = _last_name(node.func)
        if callee in ("isinstance", "issubclass", "type"):
            return "checked with isinstance"
        receiver = dotted_name(node.func.value) or "" if isinstance(node.func, cst.Attribute) else ""
        if _CHECK_HELPER.search(callee) or _LOG_RECEIVER.search(receiver):
            return f"checked by `{callee}`"
        for function, _stack in self.collector.functions.get(callee, ()):
            if "isinstance" in self._facts(function).calls_by_name:
                return f"checked by `{callee}`"
        return None

    def _names_checked(
        self,
        names: set[str],
        element_level: bool,
        statement: cst.CSTNode,
        facts: _FunctionFacts,
    ) -> tuple[str | None, str]:
        """Follow the result names through the rest of the function."""
        start = facts.order[id(statement)]
        results = set() if element_level else set(names)
        items = set(names) if element_level else set()
        used = False
        # Grow the sets in order: loops and zips over the results bind per-item names.
        for node in facts.nodes[start + 1 :]:
            if isinstance(node, (cst.For, cst.CompFor)):
                iter_names = _names_in(node.iter)
                if iter_names & results or iter_names & items:
                    items |= _target_names(node.target)
            elif isinstance(node, cst.Assign):
                value_names = _names_in(node.value)
                if value_names & (results | items):
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            if isinstance(node.value, cst.Subscript):
                                items.add(target.target.value)
                            else:
                                results.add(target.target.value)
        tracked = results | items
        later = facts.nodes[start + 1 :]
        # First any check (a check anywhere wins), then anything that hands the results on.
        for node in later:
            reason = self._checks_result(node, tracked)
            if reason is not None:
                return None, reason
        for node in later:
            if isinstance(node, cst.Name) and node.value in tracked:
                used = True
            reason = _hands_on(node, results, tracked)
            if reason is not None:
                return None, reason
        if not used:
            return "discarded", "the results are never read"
        return "unchecked", "the results are used without a check for exceptions"


_PASS_THROUGH_CALLS = frozenset(
    "zip enumerate list dict len any all sum sorted tuple set print next iter filter map "
    "reversed min max".split()
)


def _hands_on(node: cst.CSTNode, results: set[str], tracked: set[str]) -> str | None:
    """Why `node` hands the results to someone else who may check them, or None."""
    if isinstance(node, cst.Call):
        arg_names: set[str] = set()
        for arg in node.args:
            arg_names |= _names_in(arg.value)
        if arg_names & results and _last_name(node.func) not in _PASS_THROUGH_CALLS:
            return "handed to another function"
    elif isinstance(node, cst.Return) and node.value is not None:
        returned = node.value
        parts = (
            [e.value for e in returned.elements]
            if isinstance(returned, (cst.Tuple, cst.List))
            else [returned]
        )
        if any(isinstance(p, cst.Name) and p.value in tracked for p in parts):
            return "returned to the caller"
    elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        value = node.value
        if value is not None and _names_in(value) & results:
            if any(isinstance(t, (cst.Attribute, cst.Subscript)) for t in targets):
                return "stored for later"
    return None


class _ReferenceCollector:
    """Every reference to the wanted names (`name`, `self.name`) with its ancestors."""

    def __init__(self, wanted: set[str]) -> None:
        self.wanted = wanted
        self.stack: list[cst.CSTNode] = []
        self.references: dict[str, list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]] = {}

    def collect(self, node: cst.CSTNode) -> None:
        stack = self.stack
        stack.append(node)
        if isinstance(node, cst.Name):
            if node.value in self.wanted:
                parent = stack[-2] if len(stack) >= 2 else None
                if not (isinstance(parent, cst.Attribute) and parent.value is node):
                    self.references.setdefault(node.value, []).append((node, tuple(stack)))
        else:
            for child in children(node):
                self.collect(child)
        stack.pop()


# --- helpers over ancestor stacks -------------------------------------------------------------


def _params(function: cst.FunctionDef) -> Iterator[str]:
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        yield param.name.value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star.name.value


def _arguments_for(
    function: cst.FunctionDef, name: str, call: cst.Call
) -> list[cst.BaseExpression] | None:
    """What `call` passes for parameter `name` of `function` (several for `*name`), or None
    when it cannot be told (spread arguments, a default)."""
    params = function.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        positional = positional[1:]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return [arg.value]
    star = isinstance(params.star_arg, cst.Param) and params.star_arg.name.value == name
    args: list[cst.BaseExpression] = []
    spread: list[cst.BaseExpression] = []
    for arg in call.args:
        if arg.keyword is not None or arg.star == "**":
            break
        if arg.star == "*":
            if not star:
                return None
            spread.append(arg.value)  # `f(*items)` for `def f(*items)`: the spread collection
            continue
        args.append(arg.value)
    if star:
        extra = args[len(positional) :]
        return spread + ([cst.List([cst.Element(a) for a in extra])] if extra else [])
    if name in positional and positional.index(name) < len(args):
        return [args[positional.index(name)]]
    return None


def _short(text: str, limit: int = 40) -> str:
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _assigned_name(stack: Sequence[cst.CSTNode]) -> str | None:
    """`name` in `name = await gather(...)` (the stack ends with the call), else None."""
    if len(stack) < 3:
        return None
    holder = stack[-3]
    if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
        target = holder.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(holder, cst.AnnAssign) and isinstance(holder.target, cst.Name):
        return holder.target.value
    return None


def _enclosing_function(stack: Sequence[cst.CSTNode]) -> cst.FunctionDef | None:
    for node in reversed(stack[:-1]):
        if isinstance(node, cst.FunctionDef):
            return node
        if isinstance(node, (cst.ClassDef, cst.Lambda)):
            return None
    return None


def _enclosing_scope(stack: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    for node in reversed(stack):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return node
    return None


def _innermost_loop(
    stack: Sequence[cst.CSTNode],
) -> tuple[cst.For | cst.CompFor | None, frozenset[str]]:
    """The innermost `for` statement (body) or comprehension (element) holding the call."""
    for i in range(len(stack) - 2, -1, -1):
        node = stack[i]
        child = stack[i + 1]
        if isinstance(node, _SCOPES):
            return None, frozenset()
        if isinstance(node, (cst.While,)) and child is node.body:
            return None, frozenset()
        if isinstance(node, cst.For) and child is node.body:
            if node.asynchronous is not None:
                return None, frozenset()
            return node, frozenset(_target_names(node.target))
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            element = node.value if isinstance(node, cst.DictComp) else node.elt
            if child is element:
                for_in = node.for_in
                targets: set[str] = set()
                loop = for_in
                while True:
                    targets |= _target_names(loop.target)
                    if loop.inner_for_in is None:
                        break
                    loop = loop.inner_for_in
                if for_in.asynchronous is not None:
                    return None, frozenset()
                return for_in, frozenset(targets)
    return None, frozenset()


def _handled_in_function(stack: Sequence[cst.CSTNode]) -> str | None:
    """Why an error raised at the end of `stack` is handled within its function, or None."""
    for i in range(len(stack) - 2, -1, -1):
        node = stack[i]
        child = stack[i + 1]
        if isinstance(node, _SCOPES):
            return None
        if isinstance(node, (cst.Try, cst.TryStar)) and child is node.body:
            handlers = [h for h in node.handlers if not _handler_only_reraises(h)]  # type: ignore[arg-type]
            if handlers:
                return "inside a try/except"
            if node.finalbody is not None and any(
                isinstance(n, cst.Call) and _last_name(n.func) == "cancel"
                for n in _walk(node.finalbody)
            ):
                return "a finally that cancels the tasks"
        if isinstance(node, cst.With) and child is node.body:
            for item in node.items:
                if _last_name(item.item) == "suppress":
                    return "inside contextlib.suppress"
    return None


def _in_cleanup(stack: Sequence[cst.CSTNode]) -> bool:
    for node in reversed(stack):
        if isinstance(node, _SCOPES):
            return False
        if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally)):
            return True
    return False


def _contains_await(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Await) for n in _walk(node))


_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _identifier_words(node: cst.CSTNode) -> set[str]:
    """The lower-case words of every identifier and string in `node` (snake and Camel case)."""
    words: set[str] = set()
    for sub in _walk(node, into_scopes=True):
        if isinstance(sub, cst.Name):
            text = sub.value
        elif isinstance(sub, cst.SimpleString):
            text = sub.value.strip("\"'")
        else:
            continue
        for part in re.split(r"[^A-Za-z0-9]+", text):
            words.update(w.lower() for w in _CAMEL.findall(part))
    return words


def _verb(name: str) -> str:
    """The first word of a function name: `async_remove_item` -> `remove`."""
    words = [w.lower() for w in _CAMEL.findall(name)]
    while words and words[0] in ("async", "a", "do", "try", "_"):
        words.pop(0)
    return words[0] if words else ""


_COMMAND_WORD = re.compile(r"^(set|del|add|incr|decr|push|expire|rem|flush|publish|insert|update|delete)", re.I)


def _name_verb(name: str) -> str:
    """The verb of a function name; creating or registering platforms, types, handlers...
    wires code together in process ("wire"): no state changes elsewhere."""
    verb = _verb(name)
    if verb in ("create", "register", "add"):
        nouns = {w.lower() for w in _CAMEL.findall(name)}
        if nouns & _CONFIGURATION_WORDS:
            return "wire"
    return verb


def _self_refresh_verb(call: cst.Call) -> str | None:
    """The verb of a call an object makes on itself, with nothing handed in.

    "refresh" for `handler.async_update()`: told to update itself with nothing to write, an
    object fetches its own latest state (a poll); `update(data)` and `qs.update(status=...)`
    stay writes. "setup" for `registry.async_initialize()` / `dev.initialize(from_cache=True)`
    (keywords are options): an object setting itself up, which its owner drops when that
    fails, like `start()` or `connect()`; `initialise_vehicle(link)` stays a change.
    """
    if not isinstance(call.func, cst.Attribute):
        return None
    verb = _verb(call.func.attr.value)
    if not call.args and verb in ("update", "refresh", "sync"):
        return "refresh"
    if not _positional(call) and verb in ("initialize", "initialise", "init"):
        return "setup"
    return None


def _call_verbs(call: cst.Call) -> set[str]:
    """The verbs of a call and of the calls in its arguments; command words of its strings."""
    name = _last_name(call.func)
    if name in _EXECUTOR_CALLS:  # the verb is the offloaded function's
        refs = [a.value for a in _positional(call) if isinstance(a.value, (cst.Name, cst.Attribute))]
        return {_verb(_last_name(refs[0]))} if refs else set()
    verbs = {_self_refresh_verb(call) or _name_verb(name)}
    for arg in call.args:
        for node in _walk(arg.value, into_scopes=True):
            if isinstance(node, cst.Call):
                verbs.add(_self_refresh_verb(node) or _name_verb(_last_name(node.func)))
            elif isinstance(node, cst.SimpleString):
                for word in re.split(r"[^A-Za-z]+", node.value.strip("\"'")):
                    if _COMMAND_WORD.match(word):
                        verbs.add("update")
    return verbs


_PASS_THROUGH = ("enumerate", "sorted", "reversed", "list", "tuple", "set", "iter", "frozenset")


def _awaited_call_result(expr: cst.BaseExpression) -> bool:
    """`await client.list_items()`, also under `enumerate`/`list`/`filter`/...: the value an
    awaited call returns, itself (not a field or entry of it: `(await r.json())["items"]`)."""
    node: cst.BaseExpression | None = expr
    while node is not None:
        if isinstance(node, cst.Await):
            return isinstance(node.expression, cst.Call)
        node = _unwrap_iterable_step(node)
    return False


def _unwrap_iterable_step(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """One step of `_unwrap_iterable`, or None when `node` is not a wrapper."""
    if isinstance(node, cst.Await):
        return node.expression
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.args and (
        node.func.value in _PASS_THROUGH or node.func.value in ("zip", "filter")
    ):
        return node.args[-1 if node.func.value == "filter" else 0].value
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("items", "values", "keys", "copy")
        and not node.args
    ):
        return node.func.value
    if isinstance(node, cst.BooleanOperation):
        return node.left
    return None


def _unwrap_iterable(node: cst.BaseExpression) -> cst.BaseExpression:
    """The collection under `enumerate(...)`, `zip(x, ...)`, `d.items()`, `await ...`, `x or []`."""
    while True:
        inner = _unwrap_iterable_step(node)
        if inner is None:
            return node
        node = inner


# Calls that wrap an awaitable without changing what it does.
_TASK_WRAPPERS = frozenset(
    ("create_task", "ensure_future", "create_eager_task", "wait_for", "shield")
)


def _unwrap_tasks(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The awaitable inside task/timeout wrappers (`create_task(f())` -> `f()`); None when a
    wrapper has no positional argument."""
    while isinstance(expr, cst.Call) and _last_name(expr.func) in _TASK_WRAPPERS:
        args = _positional(expr)
        if not args:
            return None
        expr = args[0].value
    return expr


def _starts_work(element: cst.BaseExpression) -> bool:
    """A call that starts new work (a coroutine call, possibly wrapped in a task)."""
    while isinstance(element, cst.Call):
        name = _last_name(element.func)
        args = _positional(element)
        if name in _TASK_WRAPPERS:
            if not args:
                return False
            element = args[0].value
            continue
        if name == "cast" and len(args) == 2:
            element = args[1].value
            continue
        return name not in _NOT_WORK
    return False


def _spawn_calls(element: cst.BaseExpression) -> list[cst.Call]:
    calls = []
    node: cst.BaseExpression = element
    while isinstance(node, cst.Call):
        calls.append(node)
        name = _last_name(node.func)
        if name in ("create_task", "ensure_future", "create_eager_task") and node.args:
            node = node.args[0].value
        else:
            break
    return calls


def _spawned_work(call: cst.Call, api: str) -> cst.BaseExpression:
    """The work a spawn starts: `f(x)` for create_task(f(x)), `f(x)` for start_soon(f, x)."""
    args = _positional(call)
    if not args:
        return call
    if api.endswith("start_soon"):
        return cst.Call(func=args[0].value, args=tuple(args[1:]))
    return args[0].value


def _calls_itself(function: cst.FunctionDef, facts: _FunctionFacts) -> bool:
    """`walk(child)` in `walk`, `self.walk(child)` in method `walk`, or `walk` handed to a
    spawner (`nursery.start_soon(walk, child)`); not `self.store.walk()`: another object's
    method of the same name."""
    name = function.name.value

    def is_itself(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Name):
            return expr.value == name
        return (
            isinstance(expr, cst.Attribute)
            and expr.attr.value == name
            and dotted_name(expr.value) in ("self", "cls")
        )

    if any(is_itself(call.func) for call in facts.calls_by_name.get(name, ())):
        return True
    return any(
        is_itself(_positional(call)[0].value)
        for method in SPAWN_METHODS
        for call in facts.calls_by_name.get(method, ())
        if _positional(call)
    )


def _calls_awaited(function: cst.FunctionDef, facts: _FunctionFacts) -> list[cst.Call]:
    return [
        n.expression
        for n in facts.nodes
        if isinstance(n, cst.Await) and isinstance(n.expression, cst.Call)
    ]


def _literal_elements(
    display: cst.List | cst.Tuple | cst.Set,
) -> tuple[int, list[cst.BaseExpression]]:
    count = 0
    starred: list[cst.BaseExpression] = []
    for element in display.elements:
        if isinstance(element, cst.StarredElement):
            starred.append(element.value)
        else:
            count += 1
    return count, starred


def _is_cleanup(expr: cst.BaseExpression) -> bool:
    """A wait, sleep or clean-up call (close, stop, disconnect...), possibly inside a task."""
    expr = _unwrap_tasks(expr)
    if isinstance(expr, (cst.Name, cst.Attribute)):  # a callable handed to a task factory
        return _CHEAP_VERBS.match(_last_name(expr)) is not None
    return isinstance(expr, cst.Call) and _CHEAP_VERBS.match(_last_name(expr.func)) is not None


# `remove()`, `unload()`: the object itself; `unregister_*()`: its own registrations. Not
# `remove_from_group()`: that changes another thing (the group).
_SELF_TEARDOWN = re.compile(
    r"^(async_)?_*((remove|unload|destroy|dispose)$|unregister|deregister)", re.I
)


def _is_self_teardown(expr: cst.BaseExpression) -> bool:
    """`entity.async_remove()`, `service.async_unregister_services()`: an object undoing
    itself (no positional arguments: nothing named to delete elsewhere), as in a reload's or
    an unload's tear-down."""
    expr = _unwrap_tasks(expr)
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and not _positional(expr)
        and _SELF_TEARDOWN.match(expr.func.attr.value) is not None
    )


def _is_trivial_awaitable(expr: cst.BaseExpression) -> bool:
    """An event wait or a sleep: gathering it does no work that can fail."""
    if not isinstance(expr, cst.Call):
        return False
    name = _last_name(expr.func)
    return name in ("sleep",) or (name == "wait" and not expr.args)


def _is_frozen_display(expr: cst.BaseExpression) -> bool:
    return (
        isinstance(expr, cst.Call)
        and dotted_name(expr.func) in ("frozenset", "tuple", "set", "list")
        and len(expr.args) == 1
        and _is_display(expr.args[0].value)
    )


_LIMITER_WORD = re.compile(
    r"((^|_)(sem|sema|semaphore|semaphores|limiter|limiters|throttle|throttler|bucket)$)"
    r"|concurrency_limit|capacity_limit|rate_limit",
    re.I,
)


def _is_limiter_word(name: str) -> bool:
    """A variable that holds a limiter: `sem`, `self._semaphore`, `rate_limiter`."""
    return _LIMITER_WORD.search(name) is not None

