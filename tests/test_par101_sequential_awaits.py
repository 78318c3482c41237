"""PAR101 through the engine: position, message, framework suggestion, options, fix safety."""

import textwrap

from parlint.cli.explain import explain_source
from parlint.config import DEFAULT
from parlint.engine import lint_source
from parlint.types import Safety


def findings(code: str, **options):
    config = DEFAULT.with_values(**options) if options else DEFAULT
    config = config.__class__(**{**config.__dict__, "select": ("PAR101",)})
    result = lint_source(textwrap.dedent(code), "example.py", config)
    assert not result.tracebacks, result.tracebacks
    return [f for f in result.findings if f.code == "PAR101"]


INDEPENDENT = """
import asyncio

async def overview(api: ShopClient, user_id):
    profile = await api.get_profile(user_id)
    orders = await api.list_orders(user_id)
    invoices = await api.list_invoices(user_id)
    return profile, orders, invoices
"""


def test_reported_at_the_first_await_statement_with_the_saving():
    (finding,) = findings(INDEPENDENT)
    assert (finding.line, finding.column) == (5, 4)
    assert finding.message.startswith("3 sequential awaits → 1 concurrent stage: ")
    assert "`api.get_profile`, `api.list_orders`, `api.list_invoices`" in finding.message
    assert finding.message.endswith("asyncio.gather")


def test_read_only_group_gets_a_safe_gather_fix():
    (finding,) = findings(INDEPENDENT)
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE
    assert "asyncio.gather(" in "".join(edit.content for edit in finding.fix.edits)


def test_calls_of_unclear_effect_are_not_grouped():
    assert findings(
        """
        from reports import summarize_a, summarize_b

        async def f(api):
            a = await summarize_a(api)
            b = await summarize_b(api)
        """
    ) == []


def test_trio_and_anyio_suggest_a_nursery_or_task_group():
    code = """
    import {lib}

    async def f(api: WeatherClient):
        a = await api.fetch_a()
        b = await api.fetch_b()
    """
    (trio_finding,) = findings(code.format(lib="trio"))
    assert trio_finding.message.endswith("start them in a nursery")
    (anyio_finding,) = findings(code.format(lib="anyio"))
    assert anyio_finding.message.endswith("start them in a task group")


def test_extend_serial_receivers_turns_a_receiver_serial():
    code = """
    async def f(stub: StubClient):
        a = await stub.get_a()
        b = await stub.get_b()
    """
    assert len(findings(code)) == 1
    assert findings(code, **{"extend-serial-receivers": ["stub"]}) == []


def test_concurrent_safe_receivers_win_over_serial_names():
    code = """
    async def f(session):
        a = await session.get_a()
        b = await session.get_b()
    """
    assert findings(code) == []
    assert len(findings(code, **{"extend-concurrent-safe-receivers": ["session"]})) == 1


def test_extend_ordered_calls_makes_a_barrier():
    code = """
    async def f(api: ApiClient):
        a = await api.get_a()
        beat = await api.get_heartbeat()
        b = await api.get_b()
    """
    assert len(findings(code)) == 1
    assert findings(code, **{"extend-ordered-calls": ["get_heartbeat"]}) == []


def test_not_reported_outside_async_def_or_for_a_single_await():
    assert findings("def f(api):\n    return api.get()\n") == []
    assert findings("async def f(api):\n    return await api.get()\n") == []


def test_noqa_suppresses():
    code = INDEPENDENT.replace(
        "profile = await api.get_profile(user_id)",
        "profile = await api.get_profile(user_id)  # noqa: PAR101",
    )
    assert findings(code) == []


def test_two_reads_through_one_object_of_unknown_type_keep_their_order():
    code = """
    class Tracker:
        def __init__(self, api):
            self._api = api

        async def update(self):
            system = await self._api.system.get_config()
            status = await self._api.connection.get_status()
            return system, status
    """
    assert findings(code) == []
    text = explain_source(textwrap.dedent(code), "tracker.py", 7)
    assert (
        "line 7 `self._api.system.get_config` / line 8 `self._api.connection.get_status`: "
        "same object `self._api` of unknown type" in text
    )


def test_concurrent_safe_receivers_can_name_an_object_of_unknown_type():
    code = """
    class Tracker:
        def __init__(self, api):
            self._api = api

        async def update(self):
            system = await self._api.get_config()
            status = await self._api.get_status()
            return system, status
    """
    assert len(findings(code, **{"extend-concurrent-safe-receivers": ["api"]})) == 1


def test_a_service_client_built_over_a_shared_http_session_is_grouped_but_not_one_for_a_host():
    code = """
    from hub import Stations, Bulb, async_get_clientsession

    async def stations(hub, key, a, b):
        api = Stations(async_get_clientsession(hub), key)
        first = await api.get_station(a)
        second = await api.get_station(b)
        return first, second

    async def bulb(hub, host):
        api = Bulb(host, async_get_clientsession(hub))
        status = await api.get_status()
        patterns = await api.get_patterns()
        return status, patterns
    """
    assert [f.line for f in findings(code)] == [6]


def test_an_object_passed_to_another_call_is_the_same_object():
    code = """
    async def check(router, get_hosts):
        config = await router.system.get_config()
        hosts = await get_hosts(router)
        return config, hosts
    """
    assert findings(code) == []


def test_threads_running_methods_of_one_sync_client_keep_their_order():
    code = """
    async def poll(hass, camera):
        info = await hass.async_add_executor_job(camera.get_dev_info)
        product = await hass.async_add_executor_job(camera.get_product_info)
        return info, product
    """
    assert findings(code) == []


def test_a_read_whose_result_is_dropped_is_run_for_its_effect():
    # (Through an object the module shows to be a concurrency-safe service client, such a
    # read loads the object's own state and may be grouped: tests/analysis/test_receivers.py.)
    code = """
    async def refresh(api):
        await api.get_data()
        await api.get_versions()
        return api.data
    """
    assert findings(code) == []
    text = explain_source(textwrap.dedent(code), "refresh.py", 3)
    assert "`api.get_data` is awaited for its effect (its result is unused)" in text


def test_a_cached_lookup_of_application_state_does_not_count_towards_a_group():
    code = """
    from hub import get_shared_zeroconf, read_routes

    async def diagnostics(hass):
        routes = await hass.async_add_executor_job(read_routes)
        zeroconf = await get_shared_zeroconf(hass)
        return routes, zeroconf
    """
    assert findings(code) == []
    text = explain_source(textwrap.dedent(code), "diagnostics.py", 5)
    assert "`get_shared_zeroconf`: lookups of process-wide state (`hass`), usually cached" in text


def test_a_synchronous_call_with_side_effects_between_awaits_is_a_barrier():
    code = """
    async def register(registry, account: CloudClient, director: CloudClient):
        version = await account.get_version()
        registry.async_get_or_create(sw_version=version)
        items = await director.get_all_items()
        return items
    """
    assert findings(code) == []
    assert len(findings(code.replace("registry.async_get_or_create", "print"))) == 1


def test_an_api_client_its_class_connects_or_logs_in_holds_one_session():
    code = """
    class Tv:
        def __init__(self, client: TvClient, psk):
            self.client = client
            self.psk = psk

        async def connect(self):
            await self.client.connect(psk=self.psk)

        async def sources(self):
            inputs = await self.client.get_inputs()
            apps = await self.client.get_apps()
            return inputs, apps
    """
    assert findings(code) == []
    assert len(findings(code.replace("self.client.connect(", "self.hub.connect("))) == 1


def test_a_helper_that_answers_from_a_cache_does_not_count_towards_a_group():
    code = """
    from async_lru import alru_cache

    @alru_cache
    async def get_site_settings():
        return await fetch_settings()

    async def render(users: UserClient, user_id):
        settings = await get_site_settings()
        user = await users.get_user(user_id)
        return settings, user
    """
    assert findings(code) == []
    text = explain_source(textwrap.dedent(code), "render.py", 9)
    assert "`get_site_settings` answers from a cache before any await" in text
    assert len(findings(code.replace("@alru_cache\n    ", ""))) == 1


def test_a_query_named_by_one_noun_groups_only_through_a_concurrency_safe_service_client():
    code = """
    from hub import Observatory, Bulb, async_get_clientsession

    async def forecast(hub):
        api = Observatory(async_get_clientsession(hub))
        current = await api.weather("current")
        outlook = await api.weather("outlook")
        return current, outlook

    async def bulb(hub, host):
        # Through a client built for one host: a device that answers one request at a time.
        bulb = Bulb(host, async_get_clientsession(hub))
        return {"scenes": await bulb.scenes(), "effects": await bulb.effects()}

    async def unknown(api):
        zones = await api.zones()
        schedule = await api.schedule()
        return zones, schedule

    async def pairing(hub, a, b):
        api = Observatory(async_get_clientsession(hub))
        left = await api.pair_sensor(a)
        right = await api.pair_sensor(b)
        return left, right

    async def dropped(hub):
        api = Observatory(async_get_clientsession(hub))
        await api.weather("current")
        await api.weather("outlook")
        return api.latest
    """
    (finding,) = findings(code)
    assert finding.line == 6
    # A name that says nothing of its effect never gets a safe fix.
    assert finding.fix is None or finding.fix.safety is not Safety.SAFE
    text = explain_source(textwrap.dedent(code), "forecast.py", 6)
    assert "line 6: `api.weather` [unknown] stage 1 (a query through the concurrency-safe " \
        "service client `api`)" in text
    text = explain_source(textwrap.dedent(code), "forecast.py", 21)
    assert "`api.pair_sensor` is not read-only by name" in text


def test_a_read_that_checks_the_argument_of_the_next_under_a_specific_handler_keeps_its_order():
    code = """
    async def workers_of(client: PoolClient, name):
        try:
            async with asyncio.timeout(10):
                pool = await client.read_pool(name)
                workers = await client.read_workers(name, online=True)
        except NotFound as exc:
            raise ValueError(f"no pool {name!r}") from exc
        return pool, workers
    """
    assert findings(code) == []
    text = explain_source(textwrap.dedent(code), "pools.py", 5)
    assert (
        "line 5 `client.read_pool` / line 6 `client.read_workers`: the later one waits for "
        "line 5 (an earlier await checks `name` and may raise `NotFound`, handled at line 7"
        in text
    )


def test_a_specific_handler_does_not_order_reads_of_different_subjects():
    code = """
    async def route(client: PoolClient, origin, destination):
        try:
            start = await client.read_station(origin)
            end = await client.read_station(destination)
        except (NotFound, AmbiguousStation):
            return None
        return start, end
    """
    assert len(findings(code)) == 1


def test_handlers_that_promise_nothing_about_which_call_fails_leave_the_group():
    for handler in ("except Exception:\n            return None",
                    "except:\n            return None",
                    "except NotFound:\n            log.warning('missing')\n            raise",
                    "except asyncio.TimeoutError:\n            return None"):
        code = f"""
    async def workers_of(client: PoolClient, name):
        try:
            pool = await client.read_pool(name)
            workers = await client.read_workers(name)
        {handler}
        return pool, workers
    """
        assert len(findings(code)) == 1, handler
