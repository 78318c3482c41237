"""receivers.py: the object a call goes through and what the module shows about it."""

import textwrap

import libcst as cst
import pytest

from parlint.analysis.receivers import (
    ObjectEvidence,
    api_client_type,
    class_sessions,
    collect_values,
    http_session_factory,
    names_endpoint,
    object_of,
    simple_assignments,
)


@pytest.mark.parametrize(
    ("path", "self_name", "expected"),
    [
        pytest.param("self._api.system", "self", "self._api", id="self-attribute"),
        pytest.param("api.system.config", "self", "api", id="local"),
        pytest.param("self", "self", None, id="self-itself"),
        pytest.param("items[].client", None, "items", id="subscript"),
        pytest.param(None, "self", None, id="no-receiver"),
    ],
)
def test_object_of(path, self_name, expected):
    assert object_of(path, self_name) == expected


def call(code: str) -> cst.Call:
    node = cst.parse_expression(code)
    assert isinstance(node, cst.Call)
    return node


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Hole(host, session)", True),
        ("WallConnector(host=hostname, session=session)", True),
        ('LightStrip(entry.data["host"], session)', True),
        ("EverLights(ipaddr, session)", True),
        ('Radio(f"http://{address}/fsapi", pin)', True),
        ("Stations(session, entry.data[CONF_API_KEY])", False),
        ("Forecast(latitude, longitude, session=session)", False),
    ],
)
def test_names_endpoint(code, expected):
    assert names_endpoint(call(code)) is expected


def test_http_session_factories():
    assert http_session_factory(call("async_get_clientsession(hass)"))
    assert http_session_factory(call("aiohttp.ClientSession()"))
    assert http_session_factory(cst.parse_expression("await create_async_client()"))
    assert not http_session_factory(call("get_session(db)"))
    assert not http_session_factory(cst.parse_expression("session"))


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("xbox.webapi.api.client.XboxLiveClient", True),
        ("myuplink.MyUplinkAPI", True),
        ("todoist_api_python.api_async.TodoistAPIAsync", True),
        ("prefect.client.orchestration.get_client", True),
        ("twinkly_client.Twinkly", False),
        ("afsapi.AFSAPI", False),  # one word: a device protocol, not "... API"
        ("aiohttp.ClientSession", False),
    ],
)
def test_api_client_type(type_name, expected):
    assert api_client_type(type_name) is expected


def evidence(code: str, types: dict | None = None) -> ObjectEvidence:
    module = cst.parse_module(textwrap.dedent(code))
    values: dict = {}
    collect_values(simple_assignments(cst.IndentedBlock(body=module.body)), types or {}, values)
    safe_types = {"aiohttp.ClientSession"}
    return ObjectEvidence(values, lambda path, scope: scope.get(path) in safe_types)


def test_service_client_over_a_shared_session():
    found = evidence(
        """
        session = async_get_clientsession(hass)
        api = Stations(session, key)
        bulb = Bulb(host, session)
        typed = Forecast(lat, lon, session=web)
        other = Stations(key)
        alias = api
        """,
        {"web": "aiohttp.ClientSession"},
    )
    assert found.service_client("api")
    assert not found.service_client("bulb")  # built for one host
    assert found.service_client("typed")  # the session's type is visible
    assert not found.service_client("other")  # no session: nothing shows it is a web client
    assert found.service_client("alias")
    assert found.service_client("unknown", "pkg.CloudClient")
    assert not found.service_client("bulb", "pkg.BulbClient")  # a host still wins


def test_simple_assignments_cover_nested_blocks_and_with_but_not_nested_defs():
    module = cst.parse_module(
        textwrap.dedent(
            """
            if ready:
                a = make_a()
            with open_client() as b:
                c: Client = make_c()
            def inner():
                d = make_d()
            """
        )
    )
    targets = [t for t, _ in simple_assignments(cst.IndentedBlock(body=module.body))]
    assert targets == ["a", "b", "c"]


def test_class_sessions_are_the_attributes_a_method_connects_or_logs_in():
    from parlint.analysis.dependence import SESSION_CALL
    from parlint.analysis.effects import EffectPatterns
    from parlint.analysis.summaries import build_module_context

    module = cst.parse_module(
        textwrap.dedent(
            """
            class Hub:
                async def start(this):
                    await this._api.login(user, password)
                    this.radio.open()
                    await this.cloud.get_status()
            """
        )
    )
    ctx = build_module_context(module, EffectPatterns())
    assert class_sessions(ctx, "Hub", SESSION_CALL) == {"self._api", "self.radio"}


def _groups(code: str):
    from parlint.analysis.provider import analyse_module

    return analyse_module(cst.parse_module(textwrap.dedent(code)))


CONSTRUCTED_HERE = """
    from transit.api import Departures
    from hub.helpers import async_get_clientsession

    async def setup_platform(hass, config, add_entities):
        session = async_get_clientsession(hass)
        add_entities([StopSensor(Departures(stop, config["api_key"], session))
                      for stop in config["stops"]])

    class StopSensor:
        def __init__(self, departures):
            self.departures = departures

        async def update(self):
            await self.departures.get_passages()
            self.name = await self.departures.get_station_name()
            self.count = len(self.departures.passages)
"""


def test_an_attribute_set_from_init_holds_what_the_module_constructs_the_class_with():
    *_, update = _groups(CONSTRUCTED_HERE)
    (group,) = update.groups
    assert [site.label for site in group.sites] == [
        "self.departures.get_passages", "self.departures.get_station_name"]
    assert group.sites[0].fills == "self.departures"


def test_the_constructed_client_for_one_host_stays_in_order():
    code = CONSTRUCTED_HERE.replace('config["api_key"], session', 'config["host"], session')
    *_, update = _groups(code)
    assert update.groups == []


def test_what_reads_a_filled_object_waits_for_the_fill():
    *_, update = _groups(CONSTRUCTED_HERE.replace(
        "            self.name = await self.departures.get_station_name()\n"
        "            self.count = len(self.departures.passages)\n",
        "            self.count = len(self.departures.passages)\n"
        "            self.name = await self.departures.get_station_name()\n"))
    (group,) = update.groups
    count = next(n for n in group.block.nodes if "self.count" in n.facts.writes)
    assert count.index in group.after
    assert (count.reason.kind, count.reason.detail) == (
        "data", "self.departures (filled by self.departures.get_passages)")


def test_a_dropped_read_that_selects_state_keeps_its_place():
    *_, update = _groups(CONSTRUCTED_HERE.replace("get_passages()", "select_stop()"))
    assert update.groups == []
