"""The dependency graph of an async function: await sites, their effects, stages per block,
and loops whose iterations are independent.

`analyse_function(fn, ctx)` returns a `FunctionAnalysis`:

- `sites`: every `AwaitSite` of the function (not of nested scopes);
- `blocks`: one `BlockAnalysis` per statement list (function body, if/else, loop, try, with
  bodies...). Its `nodes` are the block's statements with their stage (`level`: awaiting
  statements that may start together share a level) and, for a statement that cannot take part,
  the `barrier` `Reason`. Its `groups` are the `AwaitGroup`s of >= 2 awaits that can start
  together (PAR101);
- `loops`: one `LoopAnalysis` per `for` loop or comprehension that awaits, with the `Reason`s
  its iterations are not independent (none: PAR102).

Every "no" is a `Reason` value (kind + detail + line), so that `parlint explain` can say why.
Cost is linear in the statements times the distinct paths per variable of a block.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from parlint.analysis.effects import (
    SUBPROCESS_CALLS,
    CallKind,
    clock_read,
    kind_of_name,
    local_work,
    name_words,
    no_wait_argument,
    read_only_command,
    receiver_name,
)
from parlint.analysis.facts import (
    Facts,
    _Walker,
    all_params,
    expression_facts,
    overlaps,
    reads_besides,
    statement_facts,
    suite_facts,
)
from parlint.analysis.instances import (
    MethodModel,
    ModelledCall,
    imported_class,
    imported_models,
    method_model,
    module_tag,
    own_package_name,
)
from parlint.analysis.iterations import (
    ITERATION_TEMPLATES,
    cached_callee_reasons,
    called_function,
    iteration_reasons,
)
from parlint.analysis.names import (
    access_path,
    dotted_name,
    method_name,
    path_root,
    qualified_name,
)
from parlint.analysis.project import imported_name
from parlint.analysis.receivers import (
    ObjectEvidence,
    class_sessions,
    object_of,
    object_values,
)
from parlint.analysis.summaries import (
    FRAMEWORK_PREFIXES,
    OFFLOAD_CALLS,
    ModuleContext,
    Summary,
    call_kind,
    compound_suites,
    local_types,
    overridable_stub,
)
from parlint.analysis.walk import children, suite_statements
from parlint.analysis.worth import error_path_nodes, fanned_out, on_error_path, one_off

# A comment or docstring that says the order or the one-at-a-time pace is intended.
INTENT = re.compile(
    r"gather|concurren|parallel|\bserial|sequential|one (at a time|by one)|in order\b|"
    r"order matters|\bracing\b|\brace\b|simultaneous|at once|rate.?limit|throttl|"
    r"\bbulk\b|keep.?alive|one request",
    re.IGNORECASE,
)
DOCSTRING_INTENT = re.compile(
    r"one (at a time|by one)|sequential|serially|\bin order\b|order matters|one request|"
    r"(not|never|cannot|can't) (be )?(run |done |sent )?(concurrently|in parallel)",
    re.IGNORECASE,
)
# Exception classes that say nothing about which call failed: any failure, a deadline, a
# cancelled task.
GENERIC_ERRORS = frozenset(
    "Exception BaseException TimeoutError CancelledError Cancelled".split()
)
TRANSPORT = re.compile(r"session|client|conn|transport|http", re.IGNORECASE)
SESSION_CALL = re.compile(r"log_?in|sign_?in|auth|connect|open|start_session|handshake",
                          re.IGNORECASE)
_EMPTY_MODULE = cst.Module(body=[])
# Names of application/context objects (what a lookup of process-wide state takes).
CONTEXT_NAMES = frozenset(
    "hass app application ctx context settings config registry container injector".split()
)

# First words of reads that load data (`get_passages`, `fetch_status`), as opposed to reads that
# may choose state for later calls (`select_student`, `lookup`...).
FILL_VERBS = frozenset("get fetch load read retrieve download".split())
SYNC_PRIMITIVE_WORDS = ("lock", "queue", "event", "cond", "sem", "mutex", "barrier", "limiter")
# Methods that update a container in place (tracked as data writes, not external effects).
CONTAINER_METHODS = frozenset(
    """append extend insert add update discard remove pop popitem clear setdefault sort
    reverse appendleft extendleft popleft copy""".split()
)
LOGGING_ROOTS = frozenset({"logger", "log", "logging", "_logger", "_log", "LOGGER", "LOG",
                           "_LOGGER", "print", "warnings"})


@dataclass(frozen=True)
class Reason:
    """Why two awaits are not grouped, or why a loop's iterations are not independent."""

    kind: str  # see `describe`
    detail: str
    line: int | None = None

    def describe(self) -> str:
        at = f" at line {self.line}" if self.line else ""
        templates = {
            "data": f"data dependence on `{self.detail}`",
            "serial-resource": f"shared serial resource `{self.detail}`",
            "same-receiver": f"same receiver `{self.detail}` with a call that may change it",
            "same-object": f"same object `{self.detail}` of unknown type (it may hold one "
            "connection or device, log in on first use or cache)",
            "endpoint-object": f"same object `{self.detail}`, made for one network endpoint "
            "(a device or small server may answer one request at a time)",
            "ordered": f"ordered operation `{self.detail}`{at}",
            "pacing": f"pacing call `{self.detail}`{at}",
            "effectful": f"call with side effects `{self.detail}`{at}",
            "framework": f"framework call `{self.detail}`{at}",
            "awaits-awaitable": f"awaits an existing awaitable `{self.detail}`{at}",
            "multiple-awaits": f"await inside an expression (or several in one statement){at}",
            "early-exit": f"early exit ({self.detail}){at}",
            "control-flow": f"{self.detail}{at}",
            "block": f"different blocks ({self.detail})",
            "loop-carried": f"loop-carried dependence on `{self.detail}`{at}",
            "iterable-fed": f"the loop changes its own iterable `{self.detail}`",
            "repeats": "every iteration repeats the same call (retry or polling)",
            "streaming": f"streaming `async for`{at}",
            "nested-loop": f"awaits inside a nested loop{at}",
            "shared-state": f"writes shared `{self.detail}` in every iteration",
            "stage": f"the later one waits for line {self.detail}",
            "section": f"inside the critical section of {self.detail}{at}",
            "guarded": f"an earlier await checks {self.detail}, handled{at}; grouped, the "
            "later one would run anyway and the error the handler sees would depend on timing",
            "intent": f"a comment says the order is intended (\"{self.detail}\")",
            "one-off": f"not worth a change: {self.detail}",
            "context-lookups": f"lookups of process-wide state (`{self.detail}`), usually cached",
            "unclear": f"`{self.detail}` is not read-only by name (its effects are unclear){at}",
            "callable": f"awaits an arbitrary callable `{self.detail}`{at}",
            "no-io": f"`{self.detail}` awaits nothing (no I/O to overlap){at}",
            "local-work": f"`{self.detail}` is named for local work (formatting, encoding, "
            f"serialising: no I/O to overlap){at}",
            "own-scheduler": f"driven by the project's own scheduler, not I/O: {self.detail}{at}",
            "discarded": f"`{self.detail}` is awaited for its effect (its result is unused){at}",
            "invariant": f"`{self.detail}` takes nothing from the item (belongs before the loop){at}",
            "no-wait": f"`{self.detail}` only starts its operation and returns (nothing to "
            f"overlap; the operations start in the order written){at}",
            "timing": f"the code times its awaits with `{self.detail}`{at} (overlapped, the "
            "measurement would change)",
        }
        if self.kind in ITERATION_TEMPLATES:  # PAR102 loop facts (iterations.py)
            return ITERATION_TEMPLATES[self.kind].format(detail=self.detail, at=at)
        return templates.get(self.kind, f"{self.kind}: {self.detail}")


@dataclass
class AwaitSite:
    """One `await` of the function and what its call does."""

    node: cst.Await
    statement: cst.CSTNode  # the statement of the innermost block that holds it
    call: cst.Call | None  # None for `await task`
    name: str | None  # qualified name of the awaited callable (`asyncio.sleep`, `self.get`)
    spelled: str | None  # as written (`aio.sleep`)
    receiver: str | None  # `self.client` for `self.client.get(...)`
    targets: tuple[str, ...]  # names/paths the statement assigns
    kind: CallKind
    # Why this await keeps its place (ordered/effectful/framework...), None when it may move.
    barrier: Reason | None = None
    resources: frozenset[str] = frozenset()  # serial receivers and arguments it goes through
    stateful_receiver: str | None = None  # receiver a non-read-only call may change
    # Objects of unknown type it goes through (receiver or argument; see receivers.py).
    objects: frozenset[str] = frozenset()
    # Of those, the ones the module or its package constructs for one network endpoint.
    endpoint_objects: frozenset[str] = frozenset()
    # Why it counts towards no group: a cached lookup (application state, a helper that
    # answers from a cache before any await), a coroutine that awaits nothing. None for an
    # ordinary await.
    lookup: Reason | None = None
    # Why a call of unclear kind may move anyway (a one-noun query of a service client).
    query: str | None = None
    # The object a read whose result is dropped fills (`await self.api.get_data()` loads
    # `self.api.data`), when that object is a concurrency-safe service client.
    fills: str | None = None
    effect_reads: frozenset[str] = frozenset()  # from a same-module summary
    effect_writes: frozenset[str] = frozenset()
    # A call of a method of the project's own classes, judged by its model (instances.py).
    modelled: ModelledCall | None = None

    @property
    def read_only(self) -> bool:
        return self.kind is CallKind.READ_ONLY and self.barrier is None

    @property
    def label(self) -> str:
        return self.spelled or self.name or "await"


@dataclass
class StatementNode:
    index: int
    statement: cst.CSTNode
    facts: Facts
    site: AwaitSite | None  # the await of a groupable awaiting statement
    barrier: Reason | None  # why nothing moves across this statement
    level: int = 0  # 0: sync and independent of any await; k: after stage k (awaits: stage k)
    depends_on: int | None = None  # block index of the statement that set the level
    reason: Reason | None = None  # why it depends on it
    segment: int = 0


@dataclass
class AwaitGroup:
    """Awaits of one block that can start together (PAR101), with what a fix needs.

    `start`..`end` (inclusive block indices) is the run from the first grouped statement to the
    last one that must move. Rewritten, the run becomes: the `before` statements (in order),
    the `stage1` awaits run concurrently, then the `after` statements (in order).
    """

    block: BlockAnalysis
    start: int
    end: int
    stage1: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]
    sites: tuple[AwaitSite, ...]
    awaits_in_segment: int
    stages_in_segment: int
    framework: str | None
    asyncio_alias: str | None

    @property
    def statements(self) -> tuple[cst.CSTNode, ...]:
        return tuple(self.block.statements[self.start : self.end + 1])

    @property
    def first(self) -> cst.CSTNode:
        return self.block.statements[self.stage1[0]]

    @property
    def read_only(self) -> bool:
        return all(site.read_only for site in self.sites)

    @property
    def targets(self) -> tuple[tuple[str, ...], ...]:
        return tuple(site.targets for site in self.sites)


@dataclass
class BlockAnalysis:
    owner: cst.CSTNode  # the node whose suite this is (FunctionDef, If, For, ...)
    statements: tuple[cst.CSTNode, ...]
    nodes: list[StatementNode] = field(default_factory=list)
    groups: list[AwaitGroup] = field(default_factory=list)
    # Set inside a lock or transaction: the block's awaits keep their order.
    section: Reason | None = None
    # Set inside the body of a `try` whose handler translates or recovers from a specific
    # error (`_guarded_try`): an await keeps its place after an earlier one that shares an
    # argument with it.
    guard: Reason | None = None


@dataclass
class LoopAnalysis:
    """A `for` loop or comprehension that awaits; `reasons` empty means independent."""

    node: cst.CSTNode  # cst.For or a comprehension
    sites: tuple[AwaitSite, ...]
    reasons: tuple[Reason, ...]
    target_names: tuple[str, ...]
    accumulators: tuple[str, ...]  # collectors filled per item (`out.append`, `d[k] = v`)
    framework: str | None
    asyncio_alias: str | None

    @property
    def independent(self) -> bool:
        return not self.reasons


@dataclass
class FunctionAnalysis:
    function: cst.FunctionDef
    framework: str | None
    asyncio_alias: str | None
    sites: list[AwaitSite] = field(default_factory=list)
    blocks: list[BlockAnalysis] = field(default_factory=list)
    loops: list[LoopAnalysis] = field(default_factory=list)

    @property
    def groups(self) -> list[AwaitGroup]:
        return [g for block in self.blocks for g in block.groups]


# --- the analysis ------------------------------------------------------------------------


def _safe_receiver(
    ctx: ModuleContext, self_name: str | None, class_name: str | None, path: str,
    types: dict[str, str],
) -> bool:
    return ctx.receiver_class(path, types, self_name, class_name) == "safe"


class _FunctionAnalyser:
    def __init__(
        self, fn: cst.FunctionDef, ctx: ModuleContext, positions: dict | None = None
    ) -> None:
        self.fn = fn
        self.ctx = ctx
        self.positions = positions or {}
        info = ctx.by_node.get(id(fn))
        self.class_name = info.class_name if info else None
        self.self_name = info.self_name if info else None
        if info is None:
            params = [p.name.value for p in all_params(fn.params)]
            owner = ctx.enclosing.get(id(fn))
            if owner is not None and owner.self_name not in params:
                # A closure inside a method: its free `self` is the method's.
                self.class_name, self.self_name = owner.class_name, owner.self_name
            elif params and params[0] in ("self", "cls"):
                # A method of a nested class: `self` by convention, no summaries.
                self.self_name = params[0]
        self.imports = ctx.imports.copy()
        for stmt in _walk_statements(fn.body):
            self.imports.add_statement(stmt)
        self.types = local_types(fn, Facts(), self.imports)
        # Local names bound to a method or function (`req = self.http.add_role`).
        self.aliases: dict[str, cst.Attribute] = {}
        for stmt in _walk_statements(fn.body):
            for small in stmt.body:  # type: ignore[attr-defined]
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and isinstance(small.value, cst.Attribute)
                    and dotted_name(small.value) is not None
                ):
                    self.aliases[small.targets[0].target.value] = small.value
        self.result = FunctionAnalysis(fn, self.imports.framework, self.imports.asyncio_alias)
        # Receivers this function logs in, connects or opens through are sessions: the calls
        # on them afterwards run one at a time (`await api.login()` ... `await api.get_x()`).
        self.sessions: set[str] = set()
        self.called_objects: set[str] = set()  # objects the function calls methods on
        function_facts = suite_facts(fn.body)
        self.function_reads = function_facts.reads  # every path the function reads
        for call_site in function_facts.calls:
            method = method_name(call_site.call) or ""
            if call_site.awaited and call_site.receiver and SESSION_CALL.search(method):
                self.sessions.add(call_site.receiver)
            receiver = call_site.receiver
            if (qualified_name(call_site.call.func, self.imports) in OFFLOAD_CALLS
                    or method in OFFLOAD_CALLS) and call_site.call.args:
                receiver = _offloaded_receiver(call_site.call.args[0].value)  # run in a thread
            obj = object_of(receiver, self.self_name)
            if obj is not None and path_root(obj) not in self.imports.bindings:
                self.called_objects.add(obj)
        self.evidence = ObjectEvidence(
            object_values(ctx, fn, self.types, self.class_name, self.self_name),
            # (No closure over `self`: the analyser would hold itself in a cycle, and every
            # analysed module's tree would wait for the cyclic garbage collector.)
            functools.partial(_safe_receiver, ctx, self.self_name, self.class_name),
        )

    def line(self, node: cst.CSTNode) -> int | None:
        pos = self.positions.get(node)
        return pos.start.line if isinstance(pos, CodeRange) else None

    # --- sites -------------------------------------------------------------------------

    def make_site(self, node: cst.Await, statement: cst.CSTNode,
                  targets: tuple[str, ...] = ()) -> AwaitSite:
        expr = node.expression
        line = self.line(node)
        if not isinstance(expr, cst.Call):
            spelled = dotted_name(expr)
            return AwaitSite(
                node, statement, None, spelled, spelled, None, targets, CallKind.UNKNOWN,
                barrier=Reason("awaits-awaitable", spelled or "expression", line),
            )
        original = expr
        call = expr
        if isinstance(call.func, cst.Name) and call.func.value in self.aliases:
            # `req = self._state.http.add_role` ... `await req(...)`: judge the method.
            call = call.with_changes(func=self.aliases[call.func.value])
        kind, qualified = call_kind(call, self.imports)
        spelled = dotted_name(call.func) or access_path(call.func)
        receiver = None
        if isinstance(call.func, cst.Attribute):
            receiver = access_path(call.func.value)
            if receiver is not None and path_root(receiver) in self.imports.bindings:
                receiver = None  # `asyncio.sleep`, `aiofiles.os.remove`: a module, not an object
        site = AwaitSite(node, statement, original, qualified, spelled, receiver, targets, kind)
        method = method_name(call)
        label = spelled or method or "call"
        rtype = (
            self.ctx.receiver_type(receiver, self.types, self.self_name, self.class_name)
            if receiver else None
        )
        rclass = self.ctx.receiver_class(receiver, self.types, self.self_name, self.class_name)
        summary, on_self = self.ctx.summary_for_call(call, self.self_name, self.class_name)
        if _is_super_call(call) and self.self_name:
            summary, on_self, receiver = None, True, self.self_name  # `super().m()`: all of self
        barrier: Reason | None = None
        is_offload = qualified in OFFLOAD_CALLS or method in OFFLOAD_CALLS
        if qualified in SUBPROCESS_CALLS and read_only_command(call) is not None:
            # A program that only reads (`git rev-parse HEAD`): a read, not a framework step.
            site.kind = CallKind.READ_ONLY
        elif qualified and qualified.startswith(FRAMEWORK_PREFIXES) and not is_offload:
            kind_name = "pacing" if (method or "").startswith("sleep") else "framework"
            barrier = Reason(kind_name, label, line)
        elif receiver and self._sync_primitive(receiver, rtype):
            barrier = Reason("ordered", label, line)
        else:
            pattern = self.ctx.patterns.ordered_pattern(method, qualified)
            if pattern and not is_offload:
                kind_name = "pacing" if "sleep" in pattern else "ordered"
                barrier = Reason(kind_name, label, line)
            elif kind is CallKind.EFFECTFUL:
                barrier = Reason("effectful", label, line)
        no_wait = no_wait_argument(call) if kind is not CallKind.READ_ONLY else None
        if no_wait is not None:
            # `publish(msg, wait=False)`: it only starts the operation (queues a message,
            # schedules a job) and returns; there is no wait to overlap, and the operations
            # start in the order the code gives them. (A read asked not to wait,
            # `get_job(id, wait=False)`, still makes its request.)
            barrier = Reason("no-wait", f"{label}(..., {no_wait})", line)
        resources: set[str] = set()
        if receiver and (rclass == "serial" or receiver in self.sessions):
            resources.add(receiver)
        for arg in call.args:
            path = access_path(arg.value)
            if path and path_root(path) != self.self_name:
                if self.ctx.receiver_class(path, self.types, self.self_name,
                                           self.class_name) == "serial":
                    resources.add(path)
        effect_reads: set[str] = set()
        effect_writes: set[str] = set()
        # (An offloading call is judged by what it runs, not by the method that runs it.)
        modelled = None if is_offload else self._modelled_call(
            call, receiver, summary, on_self, rclass)
        if modelled is not None and not modelled.on_self:
            # A method of a project class through another receiver: what its summary says of
            # its instance, on that receiver (`coordinator._projects`).
            summary = modelled.model.summary
            for src, dst in ((summary.reads, effect_reads), (summary.writes, effect_writes)):
                dst.update(map(modelled.rename, src))
            resources |= set(map(modelled.rename, summary.resources))
        elif summary is not None:
            prefix = self.self_name or "self"
            for src, dst in ((summary.reads, effect_reads), (summary.writes, effect_writes)):
                for path in src:
                    if path_root(path) == "self":
                        if on_self:
                            dst.add(prefix + path[4:])
                    else:
                        dst.add(path)
            if on_self:
                resources |= {prefix + p[4:] for p in summary.resources if path_root(p) == "self"}
                if summary.touches_self:
                    effect_writes.add(prefix)
            resources |= {p for p in summary.resources if path_root(p) != "self"}
        elif on_self:
            # A method of self the module does not define: it may touch all of self.
            effect_writes.add(self.self_name or "self")
        # A project function's writes through its arguments, and class or module state.
        beyond = self.ctx.project_effects(call, self.imports, self.self_name, self.class_name)
        effect_reads, effect_writes = effect_reads | beyond[0], effect_writes | beyond[1]
        stateful = None
        if receiver and rclass != "safe" and kind is not CallKind.READ_ONLY:
            if not (on_self and summary is not None) and modelled is None:
                stateful = receiver
        site.barrier = barrier
        site.objects = self._objects(call, receiver, is_offload)
        if modelled is not None:
            # The objects its method awaits through, in place of its receiver's.
            own = object_of(receiver, self.self_name)
            site.objects = frozenset(o for o in site.objects if o != own) | modelled.objects
            site.modelled = modelled
        site.endpoint_objects = frozenset(
            o for o in site.objects if self.evidence.made_for_endpoint(o))
        site.resources = frozenset(resources)
        site.stateful_receiver = stateful
        site.effect_reads = frozenset(effect_reads)
        site.effect_writes = frozenset(effect_writes)
        if summary is not None and summary.effect and site.kind is not CallKind.EFFECTFUL:
            site.kind = CallKind.EFFECTFUL
            if site.barrier is None:
                site.barrier = Reason("effectful", f"{label} (via {summary.effect.strip('`')})",
                                      line)
        if site.kind is CallKind.UNKNOWN and site.barrier is None and effect_writes:
            # A call of unclear purpose that changes state (`self._check_active_db()`): the
            # calls after it may rely on that state through paths we cannot see.
            changed = sorted(effect_writes)[0]
            site.barrier = Reason("effectful", f"{label} (changes `{changed}`)", line)
        return site

    def _objects(self, call: cst.Call, receiver: str | None, offload: bool) -> frozenset[str]:
        """The objects of unknown type a call goes through: its receiver's object (for an
        offloaded call, the offloaded callable's), and arguments the function calls methods
        on. Known concurrency-safe objects and service clients built here are left out."""
        args = list(call.args)
        found: set[str] = set()
        if offload and args:
            receiver = _offloaded_receiver(args[0].value)
            args = args[1:]
        obj = object_of(receiver, self.self_name)
        if obj is not None and path_root(obj) not in self.imports.bindings:
            found.add(obj)
        for arg in args:
            # The object itself passed on (`get_hosts(fbx)`), not data read from it.
            path = access_path(arg.value)
            if path is not None and path in self.called_objects:
                found.add(path)
        return frozenset(o for o in found if not self._concurrency_safe(o))

    def _modelled_call(
        self, call: cst.Call, receiver: str | None, summary: Summary | None, on_self: bool,
        rclass: str | None,
    ) -> ModelledCall | None:
        """The model of an awaited call of a method of the project's own classes: of `self`
        (with a summary), or of a receiver whose class the project defines (`_instance_class`;
        a receiver known serial or concurrency-safe by name or type keeps that answer)."""
        method = method_name(call)
        if not method or not isinstance(call.func, cst.Attribute) or receiver is None:
            return None
        if on_self:
            if summary is None or self.class_name is None or receiver != self.self_name:
                return None
            model = method_model(self.ctx, f"{self.class_name}.{method}", self._judge)
            return ModelledCall(model, receiver, method, True) if model is not None else None
        if rclass is not None or receiver == self.self_name:
            return None
        if len(self._awaited_methods().get(receiver, ())) < 2:
            # One call through the receiver: nothing shares it (its model would only add
            # conflicts the name of its method already gives), and another module is not read.
            return None
        found = self._instance_class(receiver)
        if found is None:
            return None
        models, tag = found
        model = models(method)
        return ModelledCall(model, receiver, method, False, tag) if model is not None else None

    def _judge(self, fn: cst.FunctionDef) -> _FunctionAnalyser:
        return _FunctionAnalyser(fn, self.ctx)

    def _instance_class(
        self, receiver: str
    ) -> tuple[Callable[[str], MethodModel | None], str | None] | None:
        """The method models of the project class `receiver` is an instance of, with the tag
        of its module's globals (None: this module): by its type (`coordinator: Coordinator`,
        `self._repo = UserRepo(...)`), or, of unknown type, by the methods the function
        awaits on it (`_inferred_class`)."""
        cache = self.__dict__.setdefault("_instance_classes", {})
        if receiver not in cache:
            rtype = self.ctx.receiver_type(receiver, self.types, self.self_name, self.class_name)
            if rtype is not None:
                cache[receiver] = self._project_class(rtype)
            elif path_root(receiver) in self.imports.bindings:
                cache[receiver] = None
            else:
                cache[receiver] = self._inferred_class(receiver)
        return cache[receiver]

    def _project_class(
        self, rtype: str
    ) -> tuple[Callable[[str], MethodModel | None], str | None] | None:
        ctx = self.ctx
        if rtype in ctx.class_types and rtype not in self.imports.bindings:
            judge = self._judge
            return (lambda method: method_model(ctx, f"{rtype}.{method}", judge)
                    if f"{rtype}.{method}" in ctx.functions else None), None
        found = imported_class(ctx, rtype)
        if found is None:
            return None
        path, name, facts = found
        models = imported_models(ctx, path, name, facts, _FunctionAnalyser)
        if models is None:
            return None
        return models.get, module_tag(path)

    def _inferred_class(
        self, receiver: str
    ) -> tuple[Callable[[str], MethodModel | None], str | None] | None:
        """A receiver of unknown type on which the function awaits two or more distinct
        methods that exactly one class defines (all of them), among the classes of the module
        and those it imports from its own package: taken as an instance of that class."""
        methods = set(self._awaited_methods().get(receiver, ()))
        if len(methods) < 2:
            return None
        ctx = self.ctx
        found: list[str] = [
            name for name in ctx.class_types
            if name not in self.imports.bindings
            and all(f"{name}.{m}" in ctx.functions for m in methods)
        ]
        for local, qualified in sorted(self.imports.bindings.items()):
            if len(found) > 1:
                return None
            if "." not in qualified or local in ctx.class_types or not own_package_name(
                ctx, qualified
            ):
                continue
            imported = imported_class(ctx, qualified)
            if imported is None:
                continue
            class_facts = imported[2].class_facts(imported[1])
            if class_facts is not None and all(
                class_facts.methods.get(m) is not None for m in methods
            ):
                found.append(qualified)
        if len(found) != 1:
            return None
        return self._project_class(found[0])

    def _awaited_methods(self) -> dict[str, list[str]]:
        """Receiver path -> the methods the function awaits on it, once per call."""
        if "_awaited" not in self.__dict__:
            awaited: dict[str, list[str]] = {}
            for call_site in suite_facts(self.fn.body).calls:
                method = method_name(call_site.call)
                if call_site.awaited and call_site.receiver and method and (
                    method not in OFFLOAD_CALLS  # (judged by what it runs)
                ):
                    awaited.setdefault(call_site.receiver, []).append(method)
            self.__dict__["_awaited"] = awaited
        return self.__dict__["_awaited"]

    def _concurrency_safe(self, obj: str) -> bool:
        if self.ctx.receiver_class(obj, self.types, self.self_name, self.class_name) == "safe":
            return True
        # An object this function or its class connects or logs in holds a session.
        if any(object_of(path, self.self_name) == obj for path in self.sessions):
            return False
        if self.class_name and self.self_name and obj.startswith(self.self_name + "."):
            sessions = class_sessions(self.ctx, self.class_name, SESSION_CALL)
            if "self" + obj[len(self.self_name):] in sessions:
                return False
        rtype = self.ctx.receiver_type(obj, self.types, self.self_name, self.class_name)
        return self.evidence.service_client(obj, rtype)

    def _service_query(self, site: AwaitSite, targets: Sequence[str]) -> bool:
        """A call named by one noun (`hko.weather("fnd")`, `api.devices()`) made through a
        service client the module shows is concurrency-safe, for its result: a query of that
        service's resource. A longer name of unclear kind (`pair_sensor`, `request_call`)
        may hide a verb; a method of `self` or of a same-module object carries its summary."""
        if site.kind is not CallKind.UNKNOWN or not targets or site.call is None:
            return False
        if len(name_words(method_name(site.call) or "")) != 1:
            return False
        obj = object_of(site.receiver, self.self_name)
        if obj is None or site.barrier is not None or site.effect_writes:
            return False
        if self.ctx.summary_for_call(site.call, self.self_name, self.class_name)[0] is not None:
            return False
        if not self._concurrency_safe(obj):
            return False
        site.stateful_receiver = None  # a query leaves its client as it was
        site.query = f"a query through the concurrency-safe service client `{obj}`"
        return True

    def _filled_object(self, site: AwaitSite) -> str | None:
        """The service client a read-only call whose result is dropped loads state into
        (`await self.line.get_passages()` fills `self.line.passages`, which the function then
        reads), None for any other object: one of unknown type may hold a session or a device,
        `self` itself is judged by the module's summaries, and a load whose state the function
        never reads is run for an effect elsewhere (warming a cache)."""
        obj = object_of(site.receiver, self.self_name)
        if obj is None or site.kind is not CallKind.READ_ONLY or site.barrier is not None:
            return None
        words = name_words(method_name(site.call) or "") if site.call is not None else []
        if not words or words[0] not in FILL_VERBS:
            return None  # `select_student()`, `inspect()`: may set what later calls use
        if site.effect_writes or site.resources or path_root(obj) in self.imports.bindings:
            return None
        if not any(path.startswith(obj + ".") for path in self.function_reads):
            return None  # nothing here reads what it loads: run for another effect (a cache)
        return obj if self._concurrency_safe(obj) else None

    def _sync_primitive(self, receiver: str, rtype: str | None) -> bool:
        name = (receiver_name(receiver) or "").lower()
        words = name.split("_")
        if name == "q" or any(w.startswith(SYNC_PRIMITIVE_WORDS) for w in words):
            return True
        last = (rtype or "").rsplit(".", 1)[-1].lower()
        return any(w in last for w in SYNC_PRIMITIVE_WORDS)

    # --- blocks ------------------------------------------------------------------------

    def run(self) -> FunctionAnalysis:
        self.block(self.fn, suite_statements(self.fn.body))
        return self.result

    def block(
        self, owner: cst.CSTNode, statements: Sequence[cst.CSTNode],
        section: Reason | None = None, guard: Reason | None = None,
    ) -> None:
        analysis = BlockAnalysis(owner, tuple(statements), section=section, guard=guard)
        self.result.blocks.append(analysis)
        segment = 0
        for index, stmt in enumerate(statements):
            facts = statement_facts(stmt)
            site, barrier = self.classify(stmt, facts)
            if site is not None:
                if site.modelled is not None:
                    _narrow_receiver_read(stmt, facts, site)
                facts.reads |= site.effect_reads
                facts.writes |= site.effect_writes
            else:
                self._sync_call_effects(facts)
            node = StatementNode(index, stmt, facts, site, barrier)
            if barrier is not None:
                segment += 1
                node.segment = segment
                segment += 1
            else:
                node.segment = segment
            analysis.nodes.append(node)
            # Nested blocks and loops.
            if isinstance(stmt, cst.For) and stmt.asynchronous is None and facts.awaits:
                self.loop(stmt)
            # (A comprehension that awaits puts its awaits in the statement's facts.)
            for comp in _comprehensions_with_awaits(stmt) if facts.awaits else ():
                self.comprehension(comp, stmt)
            section = self._critical_section(stmt) if isinstance(stmt, cst.With) else None
            guard = self._guarded_try(stmt) if isinstance(stmt, cst.Try) else None
            for suite in compound_suites(stmt):
                inner = guard if guard is not None and suite is stmt.body else None
                self.block(stmt, suite_statements(suite), section or analysis.section,
                           inner or analysis.guard)
        self.stages(analysis)

    def _context_lookups(self, members: Sequence[StatementNode]) -> Reason | None:
        """Functions that take nothing but the application object (`await get_info(hass)`,
        `await self._instance_id()`) look up process-wide state, usually cached: there is no
        latency worth overlapping."""
        return self._lookups([n.site for n in members if n.site is not None], len(members))

    def _lookups(self, sites: Sequence[AwaitSite], expected: int) -> Reason | None:
        context = None
        if len(sites) != expected or not sites:
            return None
        for site in sites:
            if site.call is None:
                return None
            if site.receiver is not None and site.receiver != self.self_name:
                return None
            args = site.call.args
            if args:
                name = receiver_name(access_path(args[0].value)) or ""
                if args[0].keyword is not None or name not in CONTEXT_NAMES:
                    return None
                context = name
            elif site.receiver is None:
                return None
        return Reason("context-lookups", context or "no arguments")

    def _intent(self, statements: Sequence[cst.CSTNode]) -> Reason | None:
        """A comment among `statements` (or the docstring) saying the order is intended, or
        a function whose latency is not worth a change (`worth.one_off`)."""
        # A docstring describes the whole function: only explicit words about order count.
        match = DOCSTRING_INTENT.search(self.fn.get_docstring(clean=False) or "")
        if match:
            return Reason("intent", match.group(0))
        if "_one_off" not in self.__dict__:
            info = self.ctx.by_node.get(id(self.fn))
            self.__dict__["_one_off"] = one_off(self.fn) or fanned_out(
                self.fn, self.ctx.module, info is not None and info.class_name is not None)
        if self.__dict__["_one_off"] is not None:
            return Reason("one-off", self.__dict__["_one_off"])
        error = self._error_path(statements)
        if error is not None:
            return error
        for stmt in statements:
            said = self._comment_intent(stmt)
            if said is not None:
                return Reason("intent", said)
        return None

    def _prefix_intent(self, block: BlockAnalysis, end: int) -> Reason | None:
        """`_intent(block.statements[: end + 1])`, reading each statement of the block once (a
        block asks again, for a longer prefix, at every group)."""
        docstring = self._intent(()) or self._error_path(block.statements[:1])
        if docstring is not None:
            return docstring
        scans = self.__dict__.setdefault("_intent_scans", {})
        scanned, first = scans.get(id(block), (0, None))
        while first is None and scanned <= end and scanned < len(block.statements):
            if self._comment_intent(block.statements[scanned]) is not None:
                first = scanned
            scanned += 1
        scans[id(block)] = (scanned, first)
        if first is not None and first <= end:
            return Reason("intent", self._comment_intent(block.statements[first]))
        return None

    def _error_path(self, statements: Sequence[cst.CSTNode]) -> Reason | None:
        """Statements in an `except` handler: the error path is not worth a change
        (`worth.error_path_nodes`)."""
        if "_error_nodes" not in self.__dict__:
            self.__dict__["_error_nodes"] = error_path_nodes(self.fn)
        if any(on_error_path(stmt, self.__dict__["_error_nodes"]) for stmt in statements):
            return Reason("one-off", "the error path (an `except` handler): latency rarely "
                          "matters there and the clean-up order is deliberate",
                          self.line(statements[0]))
        return None

    def _comment_intent(self, stmt: cst.CSTNode) -> str | None:
        """The words of the first comment of `stmt` saying the order is intended; each
        statement is rendered once (rendering is the cost)."""
        said = self.__dict__.setdefault("_comment_intents", {})
        if stmt not in said:
            said[stmt] = next((m.group(0) for m in map(INTENT.search, _comments(stmt)) if m), None)
        return said[stmt]

    def _critical_section(self, stmt: cst.With) -> Reason | None:
        """A lock or transaction held around a block: its statements stay in order."""
        for item in stmt.items:
            expr = item.item
            call = expr if isinstance(expr, cst.Call) else None
            path = access_path(call.func.value if call is not None and isinstance(
                call.func, cst.Attribute) else expr)
            method = method_name(call) if call is not None else None
            if method in ("transaction", "begin", "begin_nested", "atomic", "savepoint"):
                return Reason("section", f"transaction `{dotted_name(call.func) or method}`",
                              self.line(stmt))
            if path is None:
                continue
            rtype = self.ctx.receiver_type(path, self.types, self.self_name, self.class_name)
            if self._sync_primitive(path, rtype):
                return Reason("section", f"lock `{path}`", self.line(stmt))
        return None

    def _guarded_try(self, stmt: cst.Try) -> Reason | None:
        """A `try` whose handler catches a specific error class and translates or recovers
        from it: an await of its body may be the check for that error on its argument
        (`read_pool(name)` raising `NotFound` before `read_workers(name)` runs), so a later
        await that takes the same argument keeps its place after it (`_levels`). Grouped, the
        later one would run anyway and the error the handler sees would depend on timing.
        (Awaits on different subjects, `get_station(origin)` and `get_station(destination)`,
        check different things: whichever fails, the handler's answer is the same.) A bare `except:`, `except Exception`/`BaseException` (any failure) and a
        handler that ends in a bare `raise` (the error passes on unchanged) promise nothing
        about which call fails first; nor do timeouts and cancellation, which come from the
        deadline or the task, not from a call's answer."""
        for handler in stmt.handlers:
            names = _handled_names(handler.type)
            if not names or any(n.rsplit(".", 1)[-1] in GENERIC_ERRORS for n in names):
                continue
            body = suite_statements(handler.body)
            last = body[-1] if body else None
            if isinstance(last, cst.SimpleStatementLine) and any(
                isinstance(small, cst.Raise) and small.exc is None for small in last.body
            ):
                continue
            return Reason("guarded", " or ".join(f"`{n}`" for n in names), self.line(handler))
        return None

    def classify(
        self, stmt: cst.CSTNode, facts: Facts
    ) -> tuple[AwaitSite | None, Reason | None]:
        """The groupable await of a statement, or the reason it is a barrier (or neither)."""
        line = self.line(stmt)
        await_node, targets, is_return = _single_await(stmt)
        exits = [
            e for e in facts.exits
            if e.kind in ("return", "raise", "yield") or e.loop_depth == 0
        ]
        if await_node is not None and len(facts.awaits) == 1:
            site = self.make_site(await_node, stmt, targets)
            self.result.sites.append(site)
            if site.barrier is not None:
                return None, site.barrier
            arbitrary = self._callable_reasons([site])
            if arbitrary:
                site.barrier = arbitrary[0]
                return None, arbitrary[0]
            if site.kind is not CallKind.READ_ONLY and not self._service_query(site, targets):
                # Only GET-like calls move: a call whose name says neither "read" nor "write"
                # (`pair_sensor`, `request_call`) hides its effects as often as not.
                site.barrier = Reason("unclear", site.label, line)
                return None, site.barrier
            if not targets and not is_return and site.call is not None and \
                    self.ctx.summary_for_call(site.call, self.self_name, self.class_name)[0] is None:
                # A read is awaited for its result; one whose result is dropped is run for
                # what it does to its receiver (`await api.get_data()` fills `api.data`).
                # (A same-module function's summary says what it does instead.) Through a
                # client of a service the module shows is concurrency-safe, it loads that
                # object's own state: it may overlap other reads, and what reads the object's
                # attributes waits for it (`_levels`).
                site.fills = self._filled_object(site)
                if site.fills is None:
                    return None, Reason("discarded", site.label, line)
            if exits and not (is_return and len(exits) == 1):
                e = exits[0]
                return None, Reason("early-exit", e.kind, self.line(e.node) or line)
            return site, None
        if isinstance(stmt, cst.SimpleStatementLine):
            # (The awaits of a compound statement are sites of its own blocks.)
            for node in facts.awaits:
                self.result.sites.append(self.make_site(node, stmt))
        if exits:
            e = exits[0]
            return None, Reason("early-exit", e.kind, self.line(e.node) or line)
        if facts.awaits or facts.async_constructs:
            if isinstance(stmt, cst.SimpleStatementLine):
                return None, Reason("multiple-awaits", "", line)
            return None, Reason("control-flow", f"awaits inside a `{_keyword(stmt)}` block",
                                line)
        effect = self._external_effect(facts)
        if effect is not None:
            return None, Reason("effectful", effect, line)
        clock = self.clock_in(facts)
        if clock is not None:
            # `elapsed = time.perf_counter() - start` between two awaits measures the first
            # one alone: moved across it, the second await would change what is measured.
            return None, Reason("timing", clock, line)
        return None, None

    def clock_in(self, facts: Facts) -> str | None:
        """The first clock a statement reads to time something (`time.perf_counter`)."""
        for call_site in facts.calls:
            call = call_site.call
            clock = clock_read(call, qualified_name(call.func, self.imports))
            if clock is not None:
                return clock
        return None

    def _external_effect(self, facts: Facts) -> str | None:
        """A synchronous call with side effects on an object the function does not own
        (`registry.async_get_or_create(...)`, `hass.config_entries.async_update_entry(...)`):
        the awaited calls around it may read or feed that state through paths we cannot
        see, so nothing moves across it. Container updates and logging are not such calls;
        `self` methods and same-module functions carry their summaries instead."""
        for call_site in facts.calls:
            call = call_site.call
            if not isinstance(call.func, cst.Attribute):
                continue
            # (No receiver path: a method of a call's result, `registry(hub).create(...)`.)
            root = path_root(call_site.receiver) if call_site.receiver else None
            method = method_name(call) or ""
            if (root in LOGGING_ROOTS or (root is not None and root == self.self_name)
                    or method in CONTAINER_METHODS or method.startswith("_")):
                continue
            if kind_of_name(method) is CallKind.EFFECTFUL:
                return dotted_name(call.func) or method
        return None

    def _sync_call_effects(self, facts: Facts) -> None:
        """Synchronous calls on `self` or to same-module functions carry their summaries, and
        what those write through their arguments (`project_effects`)."""
        for site in facts.calls:
            call = site.call
            root = dotted_name(call.func) or ""
            if path_root(root) in LOGGING_ROOTS:
                continue
            summary, on_self = self.ctx.summary_for_call(call, self.self_name, self.class_name)
            prefix = self.self_name or "self"
            if summary is not None:
                for path in summary.reads:
                    if path_root(path) != "self":
                        facts.reads.add(path)
                    elif on_self:
                        facts.reads.add(prefix + path[4:])
                for path in summary.writes:
                    if path_root(path) != "self":
                        facts.writes.add(path)
                    elif on_self:
                        facts.writes.add(prefix + path[4:])
            elif (on_self and not (method_name(call) or "").startswith("__")) or (
                self.self_name and _is_super_call(call)
            ):
                facts.writes.add(prefix)
            beyond = self.ctx.project_effects(call, self.imports, self.self_name, self.class_name,
                                              other_modules=False)
            facts.reads |= beyond[0]
            facts.writes |= beyond[1]

    def stages(self, block: BlockAnalysis) -> None:
        """Levels per statement, segment by segment, and the groups."""
        segments: dict[int, list[StatementNode]] = {}
        for node in block.nodes:
            if node.barrier is None:
                segments.setdefault(node.segment, []).append(node)
        for nodes in segments.values():
            self._levels(nodes, block.guard)
            if block.section is None:
                self._group(block, nodes)

    def _levels(self, nodes: list[StatementNode], guard: Reason | None = None) -> None:
        # root -> path -> (level, index) of the latest writer / max reader / resource user.
        writers: dict[str, dict[str, tuple[int, int]]] = {}
        readers: dict[str, dict[str, tuple[int, int]]] = {}
        resources: dict[str, dict[str, tuple[int, int]]] = {}
        receivers: dict[str, dict[str, tuple[int, int, bool]]] = {}
        objects: dict[str, tuple[int, int]] = {}  # object -> (level, index) of its last user
        checked: dict[str, tuple[int, int]] = {}  # argument -> (level, index), under a guard
        filled: dict[str, tuple[int, int, str]] = {}  # object -> (level, index, call) filling it
        # root -> path -> (level, index) of reads other than an await's own receiver.
        state_readers: dict[str, dict[str, tuple[int, int]]] = {}

        for node in nodes:
            best = (0, None, None)  # level, index, reason

            def consider(table: dict, path: str, kind: str, best_: tuple) -> tuple:
                for other, value in table.get(path_root(path), {}).items():
                    if overlaps(path, other) and value[0] >= best_[0] and (
                        best_[1] is None or value[0] > best_[0]
                    ):
                        best_ = (value[0], value[1], Reason(kind, _shorter(path, other)))
                return best_

            f = node.facts
            for path in f.reads:
                best = consider(writers, path, "data", best)
            for path in f.writes:
                best = consider(writers, path, "data", best)
                best = consider(readers, path, "data", best)
            site = node.site
            if site is not None:
                for path in site.resources:
                    best = consider(resources, path, "serial-resource", best)
                if site.receiver:
                    for other, value in receivers.get(path_root(site.receiver), {}).items():
                        stateful = value[2] or site.stateful_receiver is not None
                        if stateful and overlaps(site.receiver, other) and value[0] >= best[0] \
                                and (best[1] is None or value[0] > best[0]):
                            best = (value[0], value[1], Reason("same-receiver",
                                                               _shorter(site.receiver, other)))
                for obj in sorted(site.objects):
                    # (Objects overlap as paths: a modelled call through `coordinator.api`
                    # and a call through all of `coordinator`.)
                    for other, value in objects.items():
                        if overlaps(obj, other) and value[0] >= best[0] and (
                            best[1] is None or value[0] > best[0]
                        ):
                            best = (value[0], value[1], _object_reason(_shorter(obj, other), site))
            # Calls through an object do not read what another read filled into it; any other
            # use of its state waits for the fill, and a fill waits for earlier uses.
            own = {site.receiver, object_of(site.receiver, self.self_name)} if site else set()
            touched = [p for p in f.reads | f.writes if p not in own]
            for obj, value in filled.items():
                if value[0] >= best[0] and (best[1] is None or value[0] > best[0]) and any(
                    overlaps(path, obj) for path in touched
                ):
                    best = (value[0], value[1], Reason("data", f"{obj} (filled by {value[2]})"))
            if site is not None and site.fills is not None:
                best = consider(state_readers, site.fills, "data", best)
            subjects = self._subjects(site) if guard is not None and site is not None else ()
            for arg in subjects:
                value = checked.get(arg)
                if value is not None and value[0] >= best[0] and (
                    best[1] is None or value[0] > best[0]
                ):
                    best = (value[0], value[1], Reason(
                        "guarded", f"`{arg}` and may raise {guard.detail}", guard.line))
            level = best[0] + (1 if site is not None else 0)
            node.level = level
            node.depends_on = best[1]
            node.reason = best[2]

            def record(table: dict, path: str) -> None:
                slot = table.setdefault(path_root(path), {})
                old = slot.get(path)
                if old is None or old[0] <= level:
                    slot[path] = (level, node.index)

            for path in f.reads:
                record(readers, path)
                if path not in own:
                    record(state_readers, path)
            for path in f.writes:
                record(writers, path)
            if site is not None:
                for path in site.resources:
                    record(resources, path)
                if site.receiver:
                    slot = receivers.setdefault(path_root(site.receiver), {})
                    old = slot.get(site.receiver)
                    stateful = site.stateful_receiver is not None or bool(old and old[2])
                    if old is None or old[0] <= level:
                        slot[site.receiver] = (level, node.index, stateful)
                for obj in site.objects:
                    if obj not in objects or objects[obj][0] <= level:
                        objects[obj] = (level, node.index)
            for arg in subjects:
                if arg not in checked or checked[arg][0] <= level:
                    checked[arg] = (level, node.index)
            if site is not None and site.fills is not None:
                if site.fills not in filled or filled[site.fills][0] <= level:
                    filled[site.fills] = (level, node.index, site.label)

    def _subjects(self, site: AwaitSite) -> tuple[str, ...]:
        """The variables an awaited call is about: its arguments that are names or attribute
        paths, leaving out the application object and transports (a session or client passed
        to every call is what they go through, not what they check)."""
        if site.call is None:
            return ()
        found = []
        for arg in site.call.args:
            path = access_path(arg.value)
            if path is None or arg.star or "[]" in path:
                continue  # (`d[a]` and `d[b]` share a path but not a subject)
            root, last = path_root(path), path.rsplit(".", 1)[-1]
            if root == self.self_name or root in CONTEXT_NAMES or TRANSPORT.search(last):
                continue
            found.append(path)
        return tuple(found)

    def _group(self, block: BlockAnalysis, nodes: list[StatementNode]) -> None:
        # A lookup of process-wide state (`await get_info(hass)`) is usually cached, and a
        # coroutine that awaits nothing never suspends: there is nothing to overlap them with,
        # so they do not count towards a group.
        awaiting = [n for n in nodes if n.site is not None]
        if len(awaiting) < 2:
            return
        if self._context_lookups(awaiting) is None:
            # (Only awaits that share a stage with another can be left out of a group.)
            shared = Counter(n.level for n in awaiting)
            for n in awaiting:
                if n.site is not None and shared[n.level] >= 2:
                    n.site.lookup = self._lookups([n.site], 1) or next(
                        iter(cached_callee_reasons(self, [n.site])), None) or self._no_io(n.site)
            awaiting = [n for n in awaiting if n.site is not None and n.site.lookup is None]
        if len(awaiting) < 2:
            return
        levels = sorted({n.level for n in awaiting})
        if len(levels) == len(awaiting):
            return
        by_level: dict[int, list[StatementNode]] = {}
        for n in awaiting:
            by_level.setdefault(n.level, []).append(n)
        level = next(lv for lv in levels if len(by_level[lv]) >= 2)
        members = by_level[level]
        start, end = members[0].index, members[-1].index
        intent = self._prefix_intent(block, end) or self._context_lookups(members)
        if intent is not None:
            block.section = intent
            return
        run = [n for n in nodes if start <= n.index <= end]
        stage1 = tuple(n.index for n in members)
        before = tuple(n.index for n in run if n.level < level and n.index not in stage1)
        after = tuple(n.index for n in run if n.level >= level and n.index not in stage1)
        block.groups.append(
            AwaitGroup(
                block=block,
                start=start,
                end=end,
                stage1=stage1,
                before=before,
                after=after,
                sites=tuple(n.site for n in members if n.site is not None),
                awaits_in_segment=len(awaiting),
                stages_in_segment=len(levels),
                framework=self.result.framework,
                asyncio_alias=self.result.asyncio_alias,
            )
        )

    # --- loops -------------------------------------------------------------------------

    def loop(self, loop: cst.For) -> None:
        body = suite_statements(loop.body)
        facts = suite_facts(loop.body)
        self._sync_call_effects(facts)
        target = Facts()
        _Walker(target).target(loop.target)
        targets = set(target.binds)
        reasons: list[Reason] = []
        sites = tuple(self.make_site(a, loop) for a in facts.awaits)
        iter_facts = expression_facts(loop.iter)
        reasons += self._loop_exits(facts)
        clock = self.clock_in(facts)
        if clock is not None:
            reasons.append(Reason("timing", clock, self.line(loop)))  # each iteration timed
        if loop.orelse is not None and any(e.kind == "break" for e in facts.exits):
            reasons.append(Reason("early-exit", "for-else"))
        for construct in facts.async_constructs:
            if isinstance(construct, cst.For) or (
                not isinstance(construct, cst.With) and construct is not loop
            ):
                reasons.append(Reason("streaming", "", self.line(construct)))
            elif isinstance(construct, cst.With):
                reasons += self._async_with_reasons(construct)
        if _nested_loop_awaits(loop.body):
            reasons.append(Reason("nested-loop", "", self.line(loop)))
        derived = self._derived(body, targets)
        reasons += self._site_reasons(sites, derived)
        reasons += iteration_reasons(self, loop, sites, derived)
        reasons += self._callable_reasons(sites)
        reasons += self._unclear_reasons(sites, derived)
        lookups = self._lookups(sites, len(sites))
        if lookups is not None:
            reasons.append(lookups)
        effect_writes: set[str] = set()
        for site in sites:
            effect_writes |= site.effect_writes
        carried, accumulators = self._carried(body, targets, facts, effect_writes)
        reasons += carried
        for path in iter_facts.reads:
            if any(overlaps(path, w) for w in facts.writes | effect_writes):
                reasons.append(Reason("iterable-fed", path))
                break
        rewritten = self._rewritten_iterable(loop)
        if rewritten is not None:
            reasons.append(rewritten)
        if not reasons:
            reasons += self._invariant_awaits(sites, derived)
        if not reasons and not self._uses_target(body, targets, sites):
            reasons.append(Reason("repeats", ""))
        if not reasons:
            intent = self._intent([loop])
            if intent is not None:
                reasons.append(intent)
        self.result.loops.append(
            LoopAnalysis(loop, sites, tuple(_dedupe(reasons)), tuple(sorted(targets)),
                         tuple(sorted(accumulators)), self.result.framework,
                         self.result.asyncio_alias)
        )

    def _invariant_awaits(self, sites: Sequence[AwaitSite], derived: set[str]) -> list[Reason]:
        """A call that takes nothing from the item (`await client.get_me()` next to a per-item
        call) repeats one request per iteration: it belongs before the loop (and usually hits
        a cache the first call fills), so overlapping iterations would duplicate it."""
        if len(sites) < 2:
            return []  # a loop of one invariant call is `repeats` (retry or poll)
        reasons = []
        for site in sites:
            if site.call is None:
                continue
            if not any(path_root(r) in derived for r in expression_facts(site.call).reads):
                reasons.append(Reason("invariant", site.label, self.line(site.node)))
        return reasons

    def _rewritten_iterable(self, loop: cst.For) -> Reason | None:
        """`for x in self.ids: tmp.append(await resolve(x))` then `self.ids = tmp`: the object
        normalises its own field in place; the field is carried through `self` (another call
        may resolve it at the same time), and such conversions are mostly cache lookups."""
        path = access_path(loop.iter)
        if not path or not self.self_name or path_root(path) != self.self_name or "." not in path:
            return None
        assigned = self.__dict__.get("_assigned_paths")
        if assigned is None:  # one walk of the function, not one per loop
            assigned = self.__dict__["_assigned_paths"] = {
                access_path(t.target)
                for stmt in _walk_statements(self.fn.body)
                for small in getattr(stmt, "body", ())
                if isinstance(small, cst.Assign)
                for t in small.targets
            }
        if path in assigned:
            return Reason("iterable-fed", f"{path} (rewritten in place)")
        return None

    def _loop_exits(self, facts: Facts) -> list[Reason]:
        reasons = []
        for e in facts.exits:
            if e.kind in ("return", "raise", "yield") or (e.kind == "break" and e.loop_depth == 0):
                reasons.append(Reason("early-exit", e.kind, self.line(e.node)))
        return reasons

    def _async_with_reasons(self, construct: cst.With) -> list[Reason]:
        reasons = []
        for item in construct.items:
            expr = item.item
            path = None
            if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
                path = access_path(expr.func.value)
            elif not isinstance(expr, cst.Call):
                path = access_path(expr)
            if path is None:
                continue
            rtype = self.ctx.receiver_type(path, self.types, self.self_name, self.class_name)
            if self._sync_primitive(path, rtype):
                reasons.append(Reason("ordered", dotted_name(expr) or path,
                                      self.line(construct)))
            elif self.ctx.receiver_class(path, self.types, self.self_name,
                                         self.class_name) == "serial":
                reasons.append(Reason("serial-resource", path, self.line(construct)))
        return reasons

    def _site_reasons(
        self, sites: Sequence[AwaitSite], derived: set[str] = frozenset()  # type: ignore[assignment]
    ) -> list[Reason]:
        """Why the awaits of a loop body cannot overlap across iterations.

        Iterations apply the same operation to distinct items, so an effect keyed by the item
        is per item (`item_keyed`): a call on the item's own receiver, or a GET/effect-like call
        on a shared receiver that is not serial with the item as an argument. What stays
        ordered: pacing, framework calls, sync primitives, lifecycle and hook calls
        (`router.emit_startup()`), protocol verbs on a shared receiver and serial resources."""
        reasons = []
        for site in sites:
            keyed = self._item_keyed(site, derived)
            own = keyed == "own"
            if site.barrier is not None and not self._per_item_barrier(site, keyed):
                reasons.append(site.barrier)
            for path in sorted(site.resources):
                if own and path == site.receiver and receiver_name(path) not in SHARED_DB_NAMES:
                    continue  # the item's own stream or session (not a database handle)
                reasons.append(Reason("serial-resource", path, self.line(site.node)))
            if site.stateful_receiver and site.kind is not CallKind.READ_ONLY and not keyed:
                reasons.append(Reason("same-receiver", site.stateful_receiver,
                                      self.line(site.node)))
            if site.call is not None and method_name(site.call) == self.fn.name.value and (
                site.receiver is None or "." not in site.receiver.replace("[]", "")
            ) and site.receiver != self.self_name:
                # Recursion over children: its effects are this function's own awaits.
                reasons.append(Reason("callable", f"{site.label} (recursive)",
                                      self.line(site.node)))
            if no_io := self._no_io(site):
                reasons.append(no_io)
        return reasons

    def _item_keyed(self, site: AwaitSite, derived: set[str]) -> str | None:
        """"own" when the call goes through a client object the item owns (`hap.home.x()`,
        `shard.ws.change_presence()`) or offloads the item's own method to a thread
        (`hass.async_add_executor_job(device.connect)`), else None. A method of the item
        itself (`player.force_update()`, `trigger.attach()`) is the item's behaviour and may
        touch shared state (hooks, registries, one account): not per item."""
        call = site.call
        if call is None or not derived:
            return None
        receiver = site.receiver
        method = method_name(call)
        offload = site.name in OFFLOAD_CALLS or method in OFFLOAD_CALLS
        if offload:
            first = call.args[0].value if call.args else None
            if not isinstance(first, cst.Attribute):
                return None
            receiver, method = access_path(first.value), first.attr.value
        if receiver is None or _hook_like(method) or site.effect_writes or any(
            isinstance(arg.value, cst.Lambda) for arg in call.args
        ):
            return None  # a lambda argument runs code we do not judge here
        root = path_root(receiver)
        if root in derived and root != self.self_name:
            if offload or receiver.replace("[]", "").count(".") >= 1:
                return "own"
            return None
        if not offload and self._shared_client(receiver) and not site.resources and not (
            GENERIC_EXECUTOR_WORDS & set(name_words(method or ""))
        ) and any(
            path_root(r) in derived
            for arg in call.args for r in expression_facts(arg.value).reads
        ):
            return "argument"  # `client.delete_schedule(schedule.id)`: one request per item
        return None

    def _shared_client(self, receiver: str) -> bool:
        """A local API client that serves concurrent requests: typed concurrency-safe, or a
        plain local named `client`/`*_client` that is not serial or a sync primitive."""
        if "." in receiver or "[" in receiver or receiver == self.self_name:
            return False
        rclass = self.ctx.receiver_class(receiver, self.types, self.self_name, self.class_name)
        if rclass == "safe":
            return True
        rtype = self.ctx.receiver_type(receiver, self.types, self.self_name, self.class_name)
        return rclass is None and not self._sync_primitive(receiver, rtype) and (
            "client" in name_words(receiver)
        )

    def _per_item_barrier(self, site: AwaitSite, keyed: str | None) -> bool:
        """A barrier that only orders the item's own effects: an effect, or closing the
        item's own client."""
        barrier = site.barrier
        if barrier is None or keyed is None:
            return False
        if barrier.kind == "effectful":
            return True
        method = method_name(site.call) if site.call is not None else None
        return barrier.kind == "ordered" and method in ("close", "aclose")

    def _no_io(self, site: AwaitSite) -> Reason | None:
        """A coroutine of this module or of the project that awaits nothing, or whose every
        suspension is a bare yield to the project's own scheduler, or a call named for local
        work (`await aformat_document(doc)`, `await codec.aencode(x)`): no I/O to overlap."""
        local = local_work(method_name(site.call) or dotted_name(site.call.func)) if (
            site.call is not None) else None
        if local is not None:
            return Reason("local-work", site.label, self.line(site.node))
        info = called_function(self, site.call) if site.call is not None else None
        project, call = self.ctx.project, site.call
        if info is not None and info.self_name is not None and overridable_stub(info.node):
            return None  # a subclass's hook: its body is not what runs
        if info is not None:
            quiet = info.node.asynchronous is not None and not _awaits_anything(info.node.body)
        else:
            quiet = project is not None and call is not None and project.suspends(
                imported_name(dotted_name(call.func), self.imports)) is False
        if quiet:
            return Reason("no-io", site.label, self.line(site.node))
        root = (dotted_name(call.func) or "").split(".", 1)[0] if call is not None else ""
        if project is None or call is None or not (
            root in self.imports.bindings or root in self.ctx.functions
        ):
            return None
        polls = project.own_scheduler(cst.Module([]).code_for_node(call))
        return Reason("own-scheduler", f"`{site.label}`: {polls}", self.line(site.node)) if (
            polls) else None

    def _callable_reasons(self, sites: Sequence[AwaitSite]) -> list[Reason]:
        """An awaited parameter, local or nested function (`await predicate(x)`, `await v()`)
        can be anything, e.g. user code sharing one connection."""
        reasons = []
        for site in sites:
            call = site.call
            if call is not None and not isinstance(call.func, (cst.Name, cst.Attribute)):
                # `await getattr(self, name)(...)`, `await handlers[kind](...)`
                reasons.append(Reason("callable", site.label, self.line(site.node)))
                continue
            if call is None or not isinstance(call.func, cst.Name):
                continue
            name = call.func.value
            if name in self.ctx.functions or name in self.imports.bindings or name in self.aliases:
                continue
            reasons.append(Reason("callable", name, self.line(site.node)))
        return reasons

    def _unclear_reasons(
        self, sites: Sequence[AwaitSite], derived: set[str] = frozenset()  # type: ignore[assignment]
    ) -> list[Reason]:
        """Only GET-like calls, or calls keyed by the item, are run concurrently."""
        return [
            Reason("unclear", site.label, self.line(site.node))
            for site in sites
            if site.barrier is None and site.kind is not CallKind.READ_ONLY
            and not self._item_keyed(site, derived)
        ]

    def _derived(self, body: Sequence[cst.CSTNode], targets: set[str]) -> set[str]:
        """Names that hold per-item values: the targets and what is computed from them."""
        derived = set(targets)
        for stmt in body:
            sf = statement_facts(stmt)
            if any(path_root(r) in derived for r in sf.reads):
                derived |= sf.binds
        return derived

    def _carried(
        self, body: Sequence[cst.CSTNode], targets: set[str], facts: Facts,
        effect_writes: set[str],
    ) -> tuple[list[Reason], set[str]]:
        """Values written in one iteration and read in a later one; collectors are fine."""
        written_roots = {path_root(w) for w in facts.writes | effect_writes}
        # A collector is only filled: never rebound, augmented or read in the body.
        accumulators = {
            a for a in facts.accumulates
            if a not in facts.binds and a not in facts.augmented
            and not any(overlaps(a, r) for r in facts.reads)
        }
        reasons: list[Reason] = []
        defined = set(targets)
        for stmt in body:
            sf = statement_facts(stmt)
            self._sync_call_effects(sf)
            reads = sf.reads if isinstance(stmt, cst.SimpleStatementLine) else (
                self._reads_before_binds(stmt, set(defined))
            )
            for r in sorted(reads):
                root = path_root(r)
                if root in defined or root not in written_roots:
                    continue
                if root == self.self_name and not any(
                    overlaps(r, w) for w in facts.writes | effect_writes
                ):
                    continue  # `self.hass` read, `self.events[item.id]` written
                reasons.append(Reason("loop-carried", root, self.line(stmt)))
            for w in sorted(sf.writes | effect_writes):
                root = path_root(w)
                if root in defined or any(overlaps(w, a) and len(w) >= len(a)
                                          for a in accumulators):
                    continue
                if w in sf.binds and isinstance(stmt, cst.SimpleStatementLine):
                    continue  # rebinding a name defines it for this iteration
                if root in sf.binds:
                    continue
                reasons.append(Reason("shared-state", w, self.line(stmt)))
            if isinstance(stmt, cst.SimpleStatementLine):
                defined |= sf.binds
            elif isinstance(stmt, cst.With):
                defined |= {b for b in sf.binds}
        return reasons, accumulators

    def _reads_before_binds(self, stmt: cst.CSTNode, defined: set[str]) -> set[str]:
        """Reads of a compound statement that are not of names it bound earlier on the same
        path: `if ok: name = f(x); out.append(name)`, `except E as err: log(err)`."""
        reads: set[str] = set()

        def expr(node: cst.CSTNode | None, local: set[str]) -> None:
            if node is not None:
                reads.update(r for r in expression_facts(node).reads
                             if path_root(r) not in local)

        def suite(body: cst.BaseSuite | None, local: set[str]) -> None:
            for inner in suite_statements(body) if body is not None else ():
                one(inner, local)

        def one(node: cst.CSTNode, local: set[str]) -> None:
            if isinstance(node, cst.SimpleStatementLine):
                sf = statement_facts(node)
                reads.update(r for r in sf.reads if path_root(r) not in local)
                local |= sf.binds
            elif isinstance(node, cst.If):
                expr(node.test, local)
                suite(node.body, set(local))
                if node.orelse is not None:
                    if isinstance(node.orelse, cst.If):
                        one(node.orelse, set(local))
                    else:
                        suite(node.orelse.body, set(local))
            elif isinstance(node, cst.Try):
                suite(node.body, set(local))
                for handler in node.handlers:
                    inner = set(local)
                    expr(handler.type, inner)
                    if handler.name is not None and isinstance(handler.name.name, cst.Name):
                        inner.add(handler.name.name.value)
                    suite(handler.body, inner)
                if node.orelse is not None:
                    suite(node.orelse.body, set(local))
                if node.finalbody is not None:
                    suite(node.finalbody.body, set(local))
            else:
                reads.update(r for r in statement_facts(node).reads
                             if path_root(r) not in local)

        one(stmt, defined)
        return reads

    def _uses_target(
        self, body: Sequence[cst.CSTNode], targets: set[str], sites: Sequence[AwaitSite]
    ) -> bool:
        derived = set(targets)
        for stmt in body:
            sf = statement_facts(stmt)
            if any(path_root(r) in derived for r in sf.reads):
                derived |= sf.binds
        for site in sites:
            if site.call is None:
                continue
            cf = expression_facts(site.call)
            if any(path_root(r) in derived for r in cf.reads):
                return True
        return False

    def comprehension(self, comp: cst.CSTNode, statement: cst.CSTNode) -> None:
        targets: set[str] = set()
        comp_for = comp.for_in  # type: ignore[attr-defined]
        if comp_for.asynchronous is not None:
            return
        while comp_for is not None:
            tf = Facts()
            _Walker(tf).target(comp_for.target)
            targets |= tf.binds
            if comp_for.asynchronous is not None:
                return
            comp_for = comp_for.inner_for_in
        inner = expression_facts(comp)
        awaits = inner.awaits
        sites = tuple(self.make_site(a, statement) for a in awaits)
        reasons = self._site_reasons(sites, targets)
        reasons += iteration_reasons(self, comp, sites, targets)
        reasons += self._callable_reasons(sites)
        reasons += self._unclear_reasons(sites, targets)
        lookups = self._lookups(sites, len(sites))
        if lookups is not None:
            reasons.append(lookups)
        reasons += self._loop_exits(inner)
        if any(isinstance(n, cst.NamedExpr) for n in _walk_expr(comp)):
            reasons.append(Reason("loop-carried", "assignment expression", self.line(comp)))
        if not reasons:
            uses = False
            for site in sites:
                if site.call is not None:
                    cf = expression_facts(site.call)
                    if any(path_root(r) in targets for r in cf.reads):
                        uses = True
            if not uses:
                reasons.append(Reason("repeats", ""))
        if not reasons:
            intent = self._intent([statement])
            if intent is not None:
                reasons.append(intent)
        self.result.loops.append(
            LoopAnalysis(comp, sites, tuple(_dedupe(reasons)), tuple(sorted(targets)), (),
                         self.result.framework, self.result.asyncio_alias)
        )


# --- helpers -----------------------------------------------------------------------------

# Database handles reached through an item are usually one shared connection (`model._meta.db`).
SHARED_DB_NAMES = frozenset("db conn connection cursor cur tx txn transaction database".split())
# A generic executor takes the operation itself from the item (`client.execute_command(*cmd)`):
# two items may touch the same key, so the argument does not key the effect.
GENERIC_EXECUTOR_WORDS = frozenset(
    "execute exec command commands run query request send call invoke pipeline batch".split()
)
# Words of lifecycle and hook calls, run in registration order (`router.emit_startup()`).
HOOK_WORDS = frozenset(
    """start stop startup shutdown setup teardown init initialize run emit dispatch fire
    trigger handle process call invoke notify on hook hooks callback callbacks handler
    handlers listener listeners""".split()
)


def _offloaded_receiver(expr: cst.BaseExpression) -> str | None:
    """The receiver of a callable run in a thread: `self.client.fetch` -> `self.client`."""
    path = access_path(expr)
    return path.rsplit(".", 1)[0] if path and "." in path else None


def _hook_like(method: str | None) -> bool:
    words = name_words(method or "")
    return not words or all(w in HOOK_WORDS for w in words) or any(
        w in ("hook", "hooks", "callback", "callbacks", "handler", "handlers", "listener",
              "listeners") for w in words
    )


def _awaits_anything(body: cst.CSTNode) -> bool:
    """Whether a function body awaits (await, async for/with), outside nested scopes."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Await) or (
            isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None
        ) or (isinstance(node, cst.CompFor) and node.asynchronous is not None):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and node is not body:
            continue
        stack.extend(children(node))
    return False



def _handled_names(expr: cst.BaseExpression | None) -> list[str]:
    """The dotted names of the classes an `except` clause catches ([] for a bare `except:` or
    an expression that is not a name or a tuple of names)."""
    if expr is None:
        return []
    items = [e.value for e in expr.elements] if isinstance(expr, cst.Tuple) else [expr]
    names = [dotted_name(e) for e in items]
    return [n for n in names if n] if all(names) else []


def _comments(stmt: cst.CSTNode) -> list[str]:
    """The comments of a statement: its leading lines, its own line and everything inside."""
    code = _EMPTY_MODULE.code_for_node(stmt)
    if "#" not in code:
        return []
    leading = [line.comment.value for line in getattr(stmt, "leading_lines", ())
               if line.comment is not None]
    found = leading + re.findall(r"#[^\n]*", code)
    # Tool directives (`# noqa: PAR101`, fixture expectations `# PAR101: 4`) are not intent.
    return [_TOOL_COMMENT.sub("", text) for text in found]


_TOOL_COMMENT = re.compile(r"#\s*(noqa\b|PAR\d{3}\b|type:|pragma\b)[^#]*")


def _is_super_call(call: cst.Call) -> bool:
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def _shorter(a: str, b: str) -> str:
    return a if len(a) <= len(b) else b


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in reasons:
        key = (r.kind, r.detail)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _keyword(stmt: cst.CSTNode) -> str:
    names = {
        cst.If: "if", cst.For: "for", cst.While: "while", cst.With: "with", cst.Try: "try",
        cst.Match: "match",
    }
    for cls, word in names.items():
        if isinstance(stmt, cls):
            if isinstance(stmt, (cst.For, cst.With)) and stmt.asynchronous is not None:
                return f"async {word}"
            return word
    return type(stmt).__name__


def _walk_statements(suite: cst.BaseSuite) -> Iterator[cst.CSTNode]:
    """Simple statement lines of a function body, not of nested defs or classes."""
    for stmt in suite_statements(suite):
        if isinstance(stmt, cst.SimpleStatementLine):
            yield stmt
        elif not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            for inner in compound_suites(stmt):
                yield from _walk_statements(inner)


def _single_await(stmt: cst.CSTNode) -> tuple[cst.Await | None, tuple[str, ...], bool]:
    """The await of `[targets =] await call(...)` / `await call(...)` / `return await ...`."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None, (), False
    small = stmt.body[0]
    value: cst.CSTNode | None = None
    targets: list[str] = []
    is_return = False
    if isinstance(small, cst.Expr):
        value = small.value
    elif isinstance(small, cst.Assign):
        value = small.value
        for t in small.targets:
            tf = Facts()
            _Walker(tf).target(t.target)
            targets += sorted(tf.writes)
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        value = small.value
        path = access_path(small.target)
        targets = [path] if path else []
    elif isinstance(small, cst.Return):
        value = small.value
        is_return = True
    if isinstance(value, cst.Await):
        return value, tuple(targets), is_return
    return None, (), False


_SCOPES = (cst.Lambda, cst.FunctionDef, cst.ClassDef)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _walk_expr(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, _SCOPES):
            continue
        stack.extend(children(current))


def _comprehensions_with_awaits(stmt: cst.CSTNode) -> list[cst.CSTNode]:
    """Comprehensions in a simple statement whose element or filters await: only the innermost
    ones, in `_walk_expr` order. One walk; then, children before parents, whether an await
    and an awaiting comprehension lie below each node."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return []
    order: list[cst.CSTNode] = []
    parents: list[int] = []
    stack: list[tuple[cst.CSTNode, int]] = [(stmt, -1)]
    while stack:
        node, parent = stack.pop()
        index = len(order)
        order.append(node)
        parents.append(parent)
        if not isinstance(node, _SCOPES):
            stack.extend((child, index) for child in children(node))
    awaits = [False] * len(order)
    found_below = [False] * len(order)
    innermost = [False] * len(order)
    for index in range(len(order) - 1, -1, -1):
        node = order[index]
        if isinstance(node, cst.Await):
            awaits[index] = True
        elif awaits[index] and isinstance(node, _COMPREHENSIONS):
            innermost[index] = not found_below[index]
            found_below[index] = True
        parent = parents[index]
        if parent >= 0:
            awaits[parent] = awaits[parent] or awaits[index]
            found_below[parent] = found_below[parent] or found_below[index]
    return [node for node, keep in zip(order, innermost) if keep]


def _nested_loop_awaits(suite: cst.BaseSuite) -> bool:
    for stmt in suite_statements(suite):
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(stmt, (cst.For, cst.While)) and suite_facts(stmt.body).awaits:
            return True
        if isinstance(stmt, cst.SimpleStatementLine) and _comprehensions_with_awaits(stmt):
            return True
        for inner in compound_suites(stmt):
            if not isinstance(stmt, (cst.For, cst.While)) and _nested_loop_awaits(inner):
                return True
    return False


def _narrow_receiver_read(stmt: cst.CSTNode, facts: Facts, site: AwaitSite) -> None:
    """A modelled call reads what its method's model says of its receiver, and the method
    (`coordinator.get_projects`), not all of the receiver (the walk of the statement reads
    the receiver of every method call): unless the statement reads the receiver otherwise
    (`self.a(self)`, another call on it)."""
    modelled, call = site.modelled, site.call
    if modelled is None or call is None or modelled.prefix not in facts.reads:
        return
    if reads_besides(stmt, modelled.prefix, lambda other: other is call):
        return
    facts.reads.discard(modelled.prefix)
    facts.reads.add(f"{modelled.prefix}.{modelled.method}")


def _object_reason(obj: str, *sites: AwaitSite) -> Reason:
    """Why two calls through one object keep their order: it is made for one endpoint, or
    its type is unknown."""
    if any(obj in site.endpoint_objects for site in sites):
        return Reason("endpoint-object", obj)
    return Reason("same-object", obj)


def direct_conflict(a: StatementNode, b: StatementNode) -> Reason | None:
    """Why statement `b` cannot run alongside the earlier statement `a`, if they conflict."""
    for w in sorted(a.facts.writes):
        for other in sorted(b.facts.reads | b.facts.writes):
            if overlaps(w, other):
                return Reason("data", _shorter(w, other))
    for r in sorted(a.facts.reads):
        for other in sorted(b.facts.writes):
            if overlaps(r, other):
                return Reason("data", _shorter(r, other))
    if a.site is not None and b.site is not None:
        for x in sorted(a.site.resources):
            for y in sorted(b.site.resources):
                if overlaps(x, y):
                    return Reason("serial-resource", _shorter(x, y))
        ra, rb = a.site.receiver, b.site.receiver
        if ra and rb and overlaps(ra, rb) and (a.site.stateful_receiver or b.site.stateful_receiver):
            return Reason("same-receiver", _shorter(ra, rb))
        shared = sorted(_shorter(x, y) for x in a.site.objects for y in b.site.objects
                        if overlaps(x, y))
        if shared:
            return _object_reason(shared[0], a.site, b.site)
    return None


def locate(analysis: FunctionAnalysis) -> dict[int, tuple[BlockAnalysis, StatementNode]]:
    """`id(await node)` -> the block and statement that hold it (innermost simple statement)."""
    where: dict[int, tuple[BlockAnalysis, StatementNode]] = {}
    for block in analysis.blocks:
        for node in block.nodes:
            if isinstance(node.statement, cst.SimpleStatementLine):
                for await_node in node.facts.awaits:
                    where[id(await_node)] = (block, node)
    return where


def pair_reason(
    analysis: FunctionAnalysis,
    first: cst.Await,
    second: cst.Await,
    where: dict[int, tuple[BlockAnalysis, StatementNode]] | None = None,
    positions: dict | None = None,
) -> Reason | None:
    """Why two awaits (`first` earlier) are not grouped; None when they are in one stage."""
    where = where if where is not None else locate(analysis)
    if id(first) not in where or id(second) not in where:
        return Reason("block", "one of them is not a statement of a block")
    block_a, a = where[id(first)]
    block_b, b = where[id(second)]
    if block_a is not block_b:
        return Reason("block", f"`{_keyword(block_a.owner)}` block and `{_keyword(block_b.owner)}` block")
    block = block_a
    if a is b:
        return a.barrier or Reason("multiple-awaits", "")
    for node in (a, b):
        if node.barrier is not None:
            return node.barrier
    if a.segment != b.segment:
        for node in block.nodes[a.index + 1 : b.index]:
            if node.barrier is not None:
                return node.barrier
    if block.section is not None:
        return block.section
    if a.level == b.level:
        for node in (a, b):
            if node.site is not None and node.site.lookup is not None:
                return node.site.lookup
        return None
    direct = direct_conflict(a, b)
    if direct is not None:
        return direct
    if b.depends_on is not None:
        dep = block.statements[b.depends_on]
        pos = (positions or {}).get(dep)
        where_ = str(pos.start.line) if isinstance(pos, CodeRange) else f"#{b.depends_on + 1}"
        why = f" ({b.reason.describe()})" if b.reason is not None else ""
        return Reason("stage", f"{where_}{why}")
    return Reason("stage", "an earlier stage")


def analyse_function(
    fn: cst.FunctionDef, ctx: ModuleContext, positions: dict | None = None
) -> FunctionAnalysis:
    """The dependency analysis of one async function (see the module docstring)."""
    return _FunctionAnalyser(fn, ctx, positions).run()


__all__ = [
    "AwaitGroup",
    "AwaitSite",
    "BlockAnalysis",
    "FunctionAnalysis",
    "LoopAnalysis",
    "Reason",
    "StatementNode",
    "analyse_function",
    "kind_of_name",
    "qualified_name",
]
