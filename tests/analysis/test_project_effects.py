"""Effect summaries of project callees in other modules (`Project.call_effects`) and what the
dependence analysis does with them: a call that writes through an argument, or class or module
state, keeps its order with the calls that touch the same object or state."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from test_project import fresh_module_cache, write_tree  # noqa: F401 - the same tree helpers

from parlint.analysis.project import Project

# A chat client library: converters that look read-only at the call site.
CHAT = {
    "chat/__init__.py": "from . import types\nfrom .client import Client\n",
    "chat/client.py": "class Client:\n    pass\n",
    "chat/types/__init__.py": "from .messages import *\nfrom .users import User\n",
    "chat/types/messages/__init__.py": "from .message import Message\nfrom .sticker import Sticker\n",
    "chat/types/messages/message.py": (
        "from chat import types\n\n\n"
        "class Message:\n"
        "    def __init__(self, client, text):\n"
        "        self._client = client\n"
        "        self.text = text\n\n"
        "    @staticmethod\n"
        "    async def _parse(client, raw, users):\n"
        "        message = Message(client, raw.text)\n"
        "        if raw.sticker:\n"
        "            message.sticker = await types.Sticker._parse(client, raw.sticker)\n"
        "        remember(client, message)\n"
        "        return message\n\n"
        "    @staticmethod\n"
        "    async def _render(client, raw):\n"
        "        # Reads the client's cache, writes only its own copy.\n"
        "        seen = dict(client.message_cache)\n"
        "        seen[raw.id] = raw\n"
        "        lines = []\n"
        "        lines.append(raw.text)\n"
        "        return client.message_cache.get(raw.id), lines, seen\n\n\n"
        "def remember(client, message):\n"
        "    cache = client.message_cache\n"
        "    cache[message.id] = message\n"
    ),
    "chat/types/messages/sticker.py": (
        "class Sticker:\n"
        "    cache = {}\n\n"
        "    @staticmethod\n"
        "    async def _set_name(invoke, set_id):\n"
        "        name = Sticker.cache.get(set_id)\n"
        "        if name is None:\n"
        "            name = await invoke(set_id)\n"
        "            Sticker.cache[set_id] = name\n"
        "        return name\n\n"
        "    @staticmethod\n"
        "    async def _parse(client, raw):\n"
        "        return await Sticker._set_name(client.invoke, raw.set_id)\n\n"
        "    @staticmethod\n"
        "    async def _cached_name(set_id):\n"
        "        return Sticker.cache.get(set_id)\n"
    ),
    "chat/types/users.py": (
        "_SEEN = {}\n"
        "_COUNT = 0\n\n\n"
        "class User:\n"
        "    registry = []\n\n"
        "    @classmethod\n"
        "    async def _register(cls, user):\n"
        "        cls.registry.append(user)\n"
        "        return user\n\n"
        "    @staticmethod\n"
        "    async def _remember(user):\n"
        "        _SEEN[user.id] = user\n\n"
        "    @staticmethod\n"
        "    async def _count(user):\n"
        "        global _COUNT\n"
        "        _COUNT += 1\n\n"
        "    @staticmethod\n"
        "    async def _describe(user):\n"
        "        return f'{user.name} ({len(_SEEN)} known)'\n"
    ),
    "chat/warnings.py": (
        "_WARNED = set()\n\n\n"
        "def _warn_once(key):\n"
        "    if key in _WARNED:\n"
        "        return\n"
        "    _WARNED.add(key)\n"
        "    print(f'{key} is deprecated')\n\n\n"
        "async def check(option):\n"
        "    _warn_once(option.name)\n"
        "    return option\n\n\n"
        "async def load_once(item):\n"
        "    if item.id in _WARNED:\n"
        "        return\n"
        "    await item.load()\n"
        "    _WARNED.add(item.id)\n"
    ),
    "chat/registry.py": (
        "class Registry:\n"
        "    def __init__(self):\n"
        "        self.items = []\n\n"
        "    async def add(self, item):\n"
        "        self.items.append(item)\n\n\n"
        "REGISTRY = Registry()\n"
    ),
    "chat/profiles.py": (
        "async def rename(user, name):\n"
        "    user.profile.name = name\n\n\n"
        "async def tag(user, label):\n"
        "    user.labels.add(label)\n\n\n"
        "def logged(fn):\n"
        "    return fn\n\n\n"
        "@logged\n"
        "async def decorated(user):\n"
        "    user.name = None\n"
    ),
}


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    write_tree(tmp_path, CHAT)
    (tmp_path / "chat" / "methods.py").write_text("")
    return tmp_path


def effects(root: Path, dotted: str, args: tuple[str | None, ...], imported: bool = True,
            keywords: tuple[tuple[str, str | None], ...] = ()):  # type: ignore[no-untyped-def]
    return Project(str(root / "chat" / "methods.py")).call_effects(dotted, imported, args,
                                                                   keywords)


STICKER_CACHE = "chat.types.messages.sticker.Sticker.cache"


@pytest.mark.parametrize(
    ("dotted", "args", "writes"),
    [
        pytest.param("chat.types.Message._parse", ("self.client", "raw", "users"),
                     {"self.client.message_cache[]", STICKER_CACHE + "[]"},
                     id="through-a-helper-and-an-alias-and-a-class-cache-two-calls-deep"),
        pytest.param("chat.types.Sticker._parse", ("client", "raw"), {STICKER_CACHE + "[]"},
                     id="class-state-through-the-class-name"),
        pytest.param("chat.types.User._register", ("user",),
                     {"chat.types.users.User.registry"}, id="class-state-through-cls"),
        pytest.param("chat.types.User._remember", ("user",), {"chat.types.users._SEEN[]"},
                     id="a-module-level-container"),
        pytest.param("chat.types.User._count", ("user",), {"chat.types.users._COUNT"},
                     id="a-global"),
        pytest.param("chat.profiles.rename", ("account",), {"account.profile.name"},
                     id="an-attribute-of-an-argument"),
        pytest.param("chat.profiles.tag", (None,), set(), id="an-argument-that-is-no-path"),
    ],
)
def test_a_callee_writes_through_its_arguments_and_shared_state(
    chat: Path, dotted: str, args: tuple[str | None, ...], writes: set[str]
) -> None:
    found = effects(chat, dotted, args)
    assert found is not None
    assert found[1] == writes


def test_a_method_of_a_module_level_instance_writes_through_its_receiver(chat: Path) -> None:
    found = Project(str(chat / "chat" / "methods.py")).call_effects(
        "chat.registry.REGISTRY.add", True, ("job",), (), "REGISTRY")
    assert found is not None and found[1] == {"REGISTRY.items"}


def test_a_keyword_argument_is_written_through_too(chat: Path) -> None:
    found = effects(chat, "chat.profiles.tag", (), keywords=(("user", "me"),))
    assert found is not None and found[1] == {"me.labels"}


def test_reads_of_class_and_module_state_are_reads(chat: Path) -> None:
    found = effects(chat, "chat.types.Sticker._cached_name", ("set_id",))
    assert found == (frozenset({STICKER_CACHE}), frozenset())
    found = effects(chat, "chat.types.User._describe", ("user",))
    assert found == (frozenset({"chat.types.users._SEEN"}), frozenset())


def test_a_set_a_plain_function_checks_and_adds_to_in_one_step_is_no_conflict(
    chat: Path,
) -> None:
    # Without a suspension between the check and the add, calls in any order leave the
    # same set (and warn once); across an await they may both miss and both load.
    assert effects(chat, "chat.warnings.check", ("option",)) == (frozenset(), frozenset())
    assert effects(chat, "chat.warnings.load_once", ("item",)) == (
        frozenset({"chat.warnings._WARNED"}), frozenset({"chat.warnings._WARNED"}))


def test_a_callee_that_only_reads_or_writes_its_own_copy_writes_nothing(chat: Path) -> None:
    assert effects(chat, "chat.types.Message._render", ("client", "raw")) == (
        frozenset(), frozenset())


@pytest.mark.parametrize(
    "dotted",
    [
        "chat.profiles.decorated",  # a decorator may run something else
        "chat.types.Message.missing",
        "chat.profiles.logged.inner",
        "json.dumps",  # outside the project
        "chat.types.Message",  # a class is made, not a function called
    ],
)
def test_what_cannot_be_known_is_unknown(chat: Path, dotted: str) -> None:
    assert effects(chat, dotted, ("user",)) is None


def test_a_name_of_the_analysed_module_is_read_from_disk(chat: Path) -> None:
    project = Project(str(chat / "chat" / "types" / "messages" / "sticker.py"))
    found = project.call_effects("Sticker._parse", False, ("client", "raw"), ())
    assert found is not None and found[1] == {STICKER_CACHE + "[]"}


def test_every_module_read_is_recorded(chat: Path) -> None:
    project = Project(str(chat / "chat" / "methods.py"))
    project.call_effects("chat.types.Message._parse", True, ("client", "raw", "users"), ())
    recorded = {Path(d.path).relative_to(chat).as_posix() for d in project.recorded()}
    assert {"chat/__init__.py", "chat/types/__init__.py", "chat/types/messages/__init__.py",
            "chat/types/messages/message.py", "chat/types/messages/sticker.py"} <= recorded


def test_a_recursive_callee_is_read_once(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/walk.py": (
            "async def visit(node, seen):\n"
            "    seen.add(node.id)\n"
            "    for child in node.children:\n"
            "        await visit(child, seen)\n"
        ),
        "pkg/main.py": "",
    })
    found = Project(str(tmp_path / "pkg" / "main.py")).call_effects(
        "pkg.walk.visit", True, ("root", "self.seen"), ())
    assert found is not None and found[1] == {"self.seen"}


# --- what the analysis does with it ---------------------------------------------------------


def analysed(root: Path, source: str):  # type: ignore[no-untyped-def]
    from parlint.analysis.provider import analyse_module

    path = root / "chat" / "methods.py"
    path.write_text(source)
    module = cst.parse_module(source)
    return analyse_module(module, None, None, Project(str(path)))[-1]


PAIR = (
    "from chat import types\n\n\n"
    "async def edited(client, old, new, users):\n"
    "    before = await types.Message.{name}(client, old, users)\n"
    "    after = await types.Message.{name}(client, new, users)\n"
    "    return before, after\n"
)
LOOP = (
    "from chat import types\n\n\n"
    "async def parse_all(client, raws, users):\n"
    "    parsed = []\n"
    "    for raw in raws:\n"
    "        parsed.append(await types.{call}(client, raw))\n"
    "    return parsed\n"
)


def test_two_calls_writing_through_the_same_argument_keep_their_order(chat: Path) -> None:
    analysis = analysed(chat, PAIR.format(name="_parse"))
    assert analysis.groups == []
    (_, second) = analysis.sites
    assert "client.message_cache[]" in second.effect_writes


def test_two_calls_that_only_read_their_argument_may_overlap(chat: Path) -> None:
    (group,) = analysed(chat, PAIR.format(name="_render")).groups
    assert len(group.sites) == 2


@pytest.mark.parametrize(
    ("call", "shared"),
    [
        pytest.param("Message._parse", "client.message_cache[]", id="argument"),
        pytest.param("Sticker._parse", STICKER_CACHE + "[]", id="class-cache"),
    ],
)
def test_iterations_that_write_the_same_state_are_not_independent(
    chat: Path, call: str, shared: str
) -> None:
    (loop,) = analysed(chat, LOOP.format(call=call)).loops
    assert ("shared-state", shared) in {(r.kind, r.detail) for r in loop.reasons}


def test_iterations_of_a_callee_that_writes_only_its_own_copy_are_independent(
    chat: Path,
) -> None:
    (loop,) = analysed(chat, LOOP.format(call="Message._render")).loops
    assert loop.reasons == ()


def test_a_call_reading_class_state_waits_for_the_call_writing_it(chat: Path) -> None:
    source = (
        "from chat import types\n\n\n"
        "async def show(client, raw, set_id):\n"
        "    sticker = await types.Sticker._parse(client, raw)\n"
        "    name = await types.Sticker._cached_name(set_id)\n"
        "    return sticker, name\n"
    )
    analysis = analysed(chat, source)
    assert analysis.groups == []
    assert STICKER_CACHE in analysis.sites[1].effect_reads


SAME_MODULE = (
    "async def remember(client, message):\n"
    "    client.message_cache[message.id] = await message.read()\n\n\n"
    "async def render(client, message):\n"
    "    client = dict(client.message_cache)  # its own copy\n"
    "    client[message.id] = await message.read()\n"
    "    return client\n\n\n"
    "class Feed:\n"
    "    async def store(self, client, message):\n"
    "        client.seen.append(await message.read())\n\n"
    "    async def {caller}(self, client, old, new):\n"
    "        first = await {call}(client, old)\n"
    "        second = await {call}(client, new)\n"
    "        return first, second\n"
)


@pytest.mark.parametrize(
    ("call", "grouped"),
    [
        pytest.param("remember", False, id="a-module-function-writing-through-an-argument"),
        pytest.param("self.store", False, id="a-method-writing-through-an-argument"),
        pytest.param("render", True, id="a-module-function-writing-its-own-copy"),
    ],
)
def test_a_function_of_the_same_module_writes_through_its_arguments(
    chat: Path, call: str, grouped: bool
) -> None:
    analysis = analysed(chat, SAME_MODULE.format(caller="fetch_both", call=call))
    assert bool(analysis.groups) is grouped
