"""PAR101: sequential awaits that do not depend on each other."""

from __future__ import annotations

import libcst as cst

from parlint.analysis.dependence import AwaitGroup, FunctionAnalysis
from parlint.analysis.provider import AsyncFunctionProvider, is_test_path
from parlint.rules.base import FixSpec, Invalid, Rule, Valid
from parlint.types import Safety


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def suggestion(framework: str | None) -> str:
    if framework == "trio":
        return "start them in a nursery"
    if framework == "anyio":
        return "start them in a task group"
    return "await them together with asyncio.gather"


def group_message(group: AwaitGroup) -> str:
    calls = ", ".join(f"`{site.label}`" for site in group.sites)
    saving = (
        f"{_plural(group.awaits_in_segment, 'sequential await')} → "
        f"{_plural(group.stages_in_segment, 'concurrent stage')}"
    )
    return f"{saving}: {calls} do not depend on each other; {suggestion(group.framework)}"


def group_fix_spec(group: AwaitGroup, analysis: FunctionAnalysis, config: object) -> FixSpec | None:
    """The fix for a group, built by the gather codemod (None when it cannot be written)."""
    if group.before:
        return None  # statements that feed the group would have to move first: leave it
    try:
        from parlint.codemods.gather import group_fix
    except ImportError:  # the codemod is optional: report without a fix
        return None
    # A module that imports no async framework may run under trio or curio through an
    # abstraction layer (httpcore, unasync'd code): bringing asyncio into it is never safe.
    safe = group.read_only and group.framework == "asyncio"
    safety = Safety.SAFE if safe else Safety.UNSAFE
    max_concurrency = getattr(config, "max_concurrency", None)
    return group_fix(
        group.statements,
        [group.block.statements[i] for i in group.stage1],
        safety=safety,
        framework=group.framework or "asyncio",
        asyncio_name=group.asyncio_alias,
        scope=analysis.function,
        max_concurrency=max_concurrency,
    )


class SequentialAwaits(Rule):
    """
    ## What it does
    Finds awaits in one block of an `async def` that run one after the other although none
    needs the result or the side effects of another, and reports the first of each group with
    how many stages the awaits need (`3 sequential awaits → 1 concurrent stage`).

    Two awaits are independent only when the analysis can see that: neither reads what the
    other writes (names, attributes, items, and the `self` attributes and globals that the
    module's own functions touch, or what a project function writes through an argument or
    into class or module state: `types.Message._parse(client, m)` storing into
    `client.message_cache`, `Sticker.cache[k] = name`), they do not go through the same
    serial resource (a database
    connection, session, transaction, cursor, websocket, stream, file, lock or queue), neither
    is an ordered operation (sleep, lock, send/recv, write/drain, begin/commit, connect/login,
    token, check/validate, start/stop...), both are GET-like by name (get, fetch, read, load,
    list, query...: a call with side effects or of unclear effect keeps its place) and use
    their result, and no early exit, `if`, `try`, `with` boundary or synchronous call with side
    effects (`registry.async_get_or_create(...)`) lies between them. A clock read between
    them (`took = time.perf_counter() - started`) times the first one alone: they keep their
    order (a clock read before both and after both measures them together and does not).

    A call of a method of the project's own classes is judged by what the method does: the
    state of its instance it reads and writes (its summary), and the objects it awaits
    through. This holds for `self.get_projects()`, for a receiver typed or built as a class
    of the module or of its own package (`coordinator: Coordinator`,
    `self._repo = UserRepo(...)`), and for an untyped receiver on which the function awaits
    two or more methods that only one such class defines
    (`coordinator = hass.data[DOMAIN][entry_id]`). Two such calls that touch different
    attributes and go only through concurrency-safe clients may be grouped
    (`await coordinator.get_projects()` and `await coordinator.get_labels()`, each filling its
    own cache through one API client); through one object of unknown type, or touching the
    same state, they keep their order.

    Two calls through the same object (`api.get_a()` and `api.get_b()`, or `get_hosts(api)`)
    are grouped only when the module shows the object serves concurrent calls: its type is a
    known concurrency-safe client (`concurrent-safe-receivers`: aiohttp `ClientSession`,
    httpx `AsyncClient`, pools, aiobotocore...), or it is declared or made as an API client
    (a type or factory named `...Client` / `...API`), or the module builds it from a
    concurrency-safe HTTP session without naming one host (`Forecast(session=session)`, not
    `Bulb(host, session)`); an attribute that `__init__` sets from a parameter holds what the
    module, or a module of the same package that imports the class (a coordinator made in
    the package's `__init__.py`), passes where it constructs the class
    (`Board(Departures(stop, key, session))`). A
    read through such a client whose result is dropped while the function reads the object's
    attributes (`await self.line.get_passages()` ... `self.line.passages`) loads that object's
    own state: it may be grouped, and what reads the object waits for it. An object of unknown
    type may hold one connection, talk to a small
    device that answers one request at a time, log in on its first call or cache what it
    loads: its calls keep their order. A lookup of process-wide state that takes only the
    application object (`await get_info(app)`), or a helper that answers from a cache before
    any await (a caching decorator, `if key in self._cache: return ...`, `try: return
    cls.by_id[key] except KeyError: ...`, `if self._service is not None: return
    self._service`; of this module, or of another module of the project reached by an
    imported name), is cached: it does not count towards a group; nor does a
    call named for local work (`await aformat_document(doc, prompt)`, `aencode`,
    `serialize`: no I/O). Through such a concurrency-safe service client,
    a method named by one noun whose result is used (`await hko.weather("fnd")`,
    `await api.devices()`) is a query of that service's resource and may be grouped too; a
    longer name of unclear kind (`pair_sensor`) may hide a verb and keeps its place.

    In the body of a `try` whose handler catches a specific error class and translates or
    recovers from it (not a bare `except:`, `except Exception`, a timeout or cancellation, nor
    a handler that ends in a bare `raise`), an await that takes the same argument as an
    earlier one keeps its place after it: the earlier call is the check for that error
    (`read_pool(name)` raising `NotFound` before `read_workers(name)` runs). Grouped, the later
    call would run anyway and the error the handler sees would depend on timing. Reads of
    different subjects (`read_station(origin)`, `read_station(destination)`) are still grouped.

    ## Why is this bad?
    Each await waits for the previous one to finish although it could have started at once:
    the latencies add up where the longest one would do.

    ## Example
    ```python
    async def dashboard(client: ShopClient, user_id):
        user = await client.get_user(user_id)
        orders = await client.get_orders(user_id)
        return user, orders
    ```

    ## Use instead
    ```python
    async def dashboard(client: ShopClient, user_id):
        user, orders = await asyncio.gather(
            client.get_user(user_id), client.get_orders(user_id)
        )
        return user, orders
    ```
    With trio or anyio, start the calls in a nursery / task group.

    ## Fix safety
    Only read-only (GET-like) calls are grouped, so the fix is safe: reading independent data
    concurrently cannot change the result, and a failure still propagates from the gather.
    The fix is unsafe in a module that imports no async framework: such code may run under
    trio through an abstraction layer, where `asyncio.gather` fails. A group with a query
    named by a noun (not GET-like by name) gets an unsafe fix. trio/anyio groups that assign
    results get a display-only suggestion. No fix when
    statements feeding the group would have to move first.

    ## Options
    The analysis options: `serial-receivers`, `concurrent-safe-receivers`, `ordered-calls` (and
    their `extend-...` forms). `max-concurrency` splits large groups into several gathers.

    ## Known problems
    Test code (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`) is skipped: tests sequence
    awaits on purpose. A comment or docstring that mentions the order, concurrency, a rate
    limit or gathering near the awaits also silences the finding (the author has decided).
    Nor is code whose latency is not worth a change: a diagnostics report (a function named
    for diagnostics, run by hand for a bug report), a deprecated function that announces
    its removal as its first act (a `DeprecationWarning`, `@deprecated`, a deprecation notice),
    and the error path: code in an `except` handler (not one for a missing entry, `KeyError`,
    `...NotFound`, `...DoesNotExist`: that is ordinary control flow), or a function handed the
    exception that ended the work (a required parameter typed `BaseException`, `Exception`,
    `...Error`), where latency rarely matters and clean-up runs in a deliberate order. Nor
    is a function that every caller in its module already runs for many items at once (the
    per-item work of a `gather`, or of tasks started in a loop): overlapping its own awaits
    too would multiply the concurrent requests for little gain. A caller in another module
    is not seen.
    Of the project's other modules the analysis reads only what a called function (or a
    class's static or class method) writes through its arguments or into class or module
    state, whether an imported coroutine ever suspends, whether it only hands `None` to the
    project's own scheduler, and, for an attribute `__init__` stores from a parameter, what
    the top-level functions of the modules beside it that import the class pass where they
    construct it (not a method, nor a module of another directory): a call into another module is otherwise judged by its name and
    receiver. Reads through one object whose type the module does not show are not grouped,
    even when it is a cloud API client that would serve them at once (missed findings): add
    its name or type to `extend-concurrent-safe-receivers` (`"*_api"`, `"MyCloudClient"`).
    Conversely a device library whose class is named `...Client` or `...API` is taken for an
    API client; mark such a line with `# noqa: PAR101` or add the receiver to
    `extend-serial-receivers`. Calls of unclear effect are not grouped, except one-noun
    queries through a concurrency-safe service client (missed findings).
    Lookups that take only the application object (`await get_info(app)`) are skipped as
    process-wide, cached state. A subprocess (`anyio.run_process`, `trio.run_process`) keeps
    its place unless its command is a literal read-only git query (`["git", "rev-parse",
    ...]`, `status`, `log`, `show`, `diff`, `describe`, `ls-files`...): what any other program
    does is not known.
    """

    code = "PAR101"
    name = "sequential-independent-awaits"
    summary = "Sequential awaits that do not depend on each other"
    fixable = True
    METADATA_DEPENDENCIES = (AsyncFunctionProvider,)

    VALID = (
        Valid(
            "async def f(client, uid):\n"
            "    user = await client.get_user(uid)\n"
            "    posts = await client.get_posts(user.id)\n"
        ),
        Valid(
            "async def f(conn):\n"
            "    a = await conn.fetch('select 1')\n"
            "    b = await conn.fetch('select 2')\n"
        ),
        Valid(
            "class Tracker:\n"
            "    def __init__(self, api):\n"
            "        self._api = api\n"
            "    async def update(self):\n"
            "        status = await self._api.get_status()\n"
            "        info = await self._api.get_info()\n"
            "        return status, info\n"
        ),
        Valid(
            "import asyncio\n"
            "async def f(api):\n"
            "    a = await api.get_a()\n"
            "    await asyncio.sleep(1)\n"
            "    b = await api.get_b()\n"
        ),
    )
    INVALID = (
        Invalid(
            "async def f(client: ShopClient, uid):\n"
            "    user = await client.get_user(uid)\n"
            "    orders = await client.get_orders(uid)\n"
            "    return user, orders\n",
            line=2,
            column=4,
            message="2 sequential awaits → 1 concurrent stage: `client.get_user`, "
            "`client.get_orders` do not depend on each other; await them together with "
            "asyncio.gather",
        ),
        Invalid(
            "import trio\n"
            "async def f(users, orders, invoices):\n"
            "    a = await users.fetch_a()\n"
            "    b = await orders.fetch_b()\n"
            "    c = await invoices.fetch_c()\n",
            line=3,
            column=4,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or is_test_path(self.context.path):
            return
        analysis = self.get_metadata(AsyncFunctionProvider, node, None)
        if analysis is None:
            return
        for group in analysis.groups:
            fix = group_fix_spec(group, analysis, self.context.config)
            self.report(group.first, group_message(group), fix=fix)
