"""An attribute that `__init__` stores from a parameter holds what the package's other modules
pass where they construct the class (analysis/receivers.py, `ImportedConstructions`): a client
built there over a concurrency-safe HTTP session for no one endpoint is a service client, so
reads through it may be grouped; anything else about it stays unknown."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from parlint.analysis import project as project_module
from parlint.analysis.project import Project
from parlint.analysis.provider import analyse_module


@pytest.fixture(autouse=True)
def fresh_module_cache() -> None:
    project_module.clear_module_cache()


COORDINATOR = (
    "class Coordinator:\n"
    "    def __init__(self, hass, {param}):\n"
    "        self.hass = hass\n"
    "        self.{attr} = {param}\n\n"
    "    async def refresh(self):\n"
    "        battery = await self.{attr}.get_battery()\n"
    "        usage = await self.{attr}.get_usage()\n"
    "        return battery, usage\n"
)
CLOUD_SETUP = (
    "from aiohttp_helpers import async_get_clientsession\n"
    "from mycloud import MyCloud\n\n"
    "from .coordinator import Coordinator\n\n\n"
    "async def setup_entry(hass, entry):\n"
    "    session = async_get_clientsession(hass)\n"
    "    api = MyCloud(session=session, email=entry.data['email'], token=entry.data['token'])\n"
    "    coordinator = Coordinator(hass, api)\n"
    "    await coordinator.refresh()\n"
)


def analysed(root: Path, files: dict[str, str], project: bool = True):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    target = root / "charger" / "coordinator.py"
    source = target.read_text()
    found = Project(str(target)) if project else None
    # `refresh`, the first async def.
    return analyse_module(cst.parse_module(source), None, None, found)[0], found


def package(coordinator: str, setup: str) -> dict[str, str]:
    return {"charger/__init__.py": setup, "charger/coordinator.py": coordinator}


def reasons(analysis) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.kind for b in analysis.blocks for n in b.nodes for r in [n.reason] if r}


def test_a_client_built_in_the_package_over_a_shared_http_session_serves_concurrent_reads(
    tmp_path: Path,
) -> None:
    files = package(COORDINATOR.format(param="api", attr="api"), CLOUD_SETUP)
    analysis, project = analysed(tmp_path, files)
    assert [len(g.sites) for g in analysis.groups] == [1 + 1]
    # The module that constructs the class is a dependency of the answer.
    assert str(tmp_path / "charger" / "__init__.py") in project.dependencies


def test_without_the_project_the_object_keeps_its_unknown_type(tmp_path: Path) -> None:
    files = package(COORDINATOR.format(param="api", attr="api"), CLOUD_SETUP)
    analysis, _ = analysed(tmp_path, files, project=False)
    assert analysis.groups == []
    assert "same-object" in reasons(analysis)


@pytest.mark.parametrize(
    "construction",
    [
        # A client for one host on the network: a device or a small server.
        "MyCloud(entry.data['host'], session)",
        "MyCloud(session=session, url=f\"http://{entry.data['ip']}\")",
        # No concurrency-safe session in sight.
        "MyCloud(email=entry.data['email'], token=entry.data['token'])",
        "await MyCloud.login(entry.data['email'], entry.data['password'])",
    ],
    ids=["host", "url", "no-session", "login-factory"],
)
def test_anything_else_the_package_passes_keeps_the_reads_in_order(
    tmp_path: Path, construction: str
) -> None:
    setup = CLOUD_SETUP.replace(
        "MyCloud(session=session, email=entry.data['email'], token=entry.data['token'])",
        construction,
    )
    analysis, _ = analysed(tmp_path, package(COORDINATOR.format(param="api", attr="api"), setup))
    assert analysis.groups == []
    # `explain` says what is known: made for one endpoint, or of unknown type.
    endpoint = construction.split("(")[1].startswith(("entry.data['host']", "session=session, url"))
    assert reasons(analysis) & {"endpoint-object", "same-object"} == (
        {"endpoint-object"} if endpoint else {"same-object"})


def test_a_serial_receiver_stays_serial_whatever_it_was_built_from(tmp_path: Path) -> None:
    # A websocket or a database connection serves one operation at a time.
    for attr in ("ws", "connection", "db"):
        coordinator = COORDINATOR.format(param="api", attr=attr)
        analysis, _ = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
        assert analysis.groups == [], attr


def test_a_client_the_class_logs_in_holds_a_session(tmp_path: Path) -> None:
    coordinator = COORDINATOR.format(param="api", attr="api") + (
        "\n    async def sign_in(self, password):\n"
        "        await self.api.login(password)\n"
    )
    analysis, _ = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
    assert analysis.groups == []


def test_a_login_before_the_reads_keeps_them_after_it(tmp_path: Path) -> None:
    coordinator = COORDINATOR.format(param="api", attr="api").replace(
        "        battery =", "        await self.api.login()\n        battery ="
    )
    analysis, _ = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
    assert analysis.groups == []


def test_an_ordered_protocol_keeps_its_order_through_a_service_client(tmp_path: Path) -> None:
    # A request sent, then its reply read: the reply is the answer to what was sent.
    coordinator = COORDINATOR.format(param="api", attr="api").replace(
        "        battery = await self.api.get_battery()\n",
        "        await self.api.send_command('report')\n"
        "        battery = await self.api.get_battery()\n",
    )
    analysis, _ = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
    (send, *_) = analysis.sites
    assert send.barrier is not None and send.barrier.kind == "ordered"
    # Only the two reads after it start together.
    (group,) = analysis.groups
    assert [site.label for site in group.sites] == ["self.api.get_battery", "self.api.get_usage"]


def test_a_lock_around_the_reads_keeps_them_in_order(tmp_path: Path) -> None:
    coordinator = COORDINATOR.format(param="api", attr="api").replace(
        "        battery = await self.api.get_battery()\n"
        "        usage = await self.api.get_usage()\n",
        "        async with self._lock:\n"
        "            battery = await self.api.get_battery()\n"
        "            usage = await self.api.get_usage()\n",
    )
    analysis, _ = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
    assert analysis.groups == []


def test_only_a_module_that_imports_the_class_from_this_file_counts(tmp_path: Path) -> None:
    # The sibling constructs a class of the same name from another module: not this one.
    setup = CLOUD_SETUP.replace("from .coordinator import Coordinator",
                                "from legacy.coordinator import Coordinator")
    analysis, _ = analysed(tmp_path, package(COORDINATOR.format(param="api", attr="api"), setup))
    assert analysis.groups == []
    # An absolute import of this file is this file.
    files = package(COORDINATOR.format(param="api", attr="api"),
                    CLOUD_SETUP.replace("from .coordinator", "from charger.coordinator"))
    assert len(analysed(tmp_path, files)[0].groups) == 1


def test_a_construction_in_another_package_is_not_read(tmp_path: Path) -> None:
    files = {
        "charger/__init__.py": "",
        "charger/coordinator.py": COORDINATOR.format(param="api", attr="api"),
        "setup/__init__.py": CLOUD_SETUP.replace("from .coordinator", "from charger.coordinator"),
    }
    analysis, project = analysed(tmp_path, files)
    assert analysis.groups == []
    assert str(tmp_path / "setup" / "__init__.py") not in project.dependencies


def test_an_attribute_not_stored_from_a_parameter_is_not_looked_up(tmp_path: Path) -> None:
    coordinator = COORDINATOR.format(param="api", attr="api").replace(
        "self.api = api", "self.api = api.clone()"
    )
    analysis, project = analysed(tmp_path, package(coordinator, CLOUD_SETUP))
    assert analysis.groups == []
    assert str(tmp_path / "charger" / "__init__.py") not in project.dependencies


def test_a_module_beside_it_that_never_names_the_class_is_recorded_but_not_parsed(
    tmp_path: Path,
) -> None:
    files = package(COORDINATOR.format(param="api", attr="api"), CLOUD_SETUP)
    files["charger/const.py"] = "DOMAIN = 'charger'\n"
    _, project = analysed(tmp_path, files)
    const = str(tmp_path / "charger" / "const.py")
    assert project.dependencies[const].digest is not None  # an edit there is noticed
    assert const not in project_module._MODULES
    assert str(tmp_path / "charger" / "__init__.py") in project_module._MODULES


def test_explain_names_an_object_the_module_itself_makes_for_one_endpoint() -> None:
    source = (
        "class Lamp:\n"
        "    def __init__(self, host, session):\n"
        "        self.light = Luminaire(host, session)\n\n"
        "    async def refresh(self):\n"
        "        state = await self.light.get_state()\n"
        "        power = await self.light.get_power()\n"
        "        return state, power\n"
    )
    (analysis,) = analyse_module(cst.parse_module(source))
    assert analysis.groups == []
    assert "endpoint-object" in reasons(analysis)
