"""Calls of methods of the project's own classes (analysis/instances.py): what the method's
summary says it touches of its instance, and the objects of unknown type it awaits through;
for `self`, for a receiver typed as a project class (this module or another of the package),
and for a receiver on which the function awaits methods only one project class defines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis import project as project_module
from parlint.analysis.dependence import _FunctionAnalyser
from parlint.analysis.facts import reads_besides
from parlint.analysis.effects import EffectPatterns
from parlint.analysis.instances import clear_imported_models, method_model
from parlint.analysis.project import Project
from parlint.analysis.provider import analyse_module
from parlint.analysis.summaries import build_module_context


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    project_module.clear_module_cache()
    clear_imported_models()


def analysed(code: str, name: str, project: Project | None = None):  # type: ignore[no-untyped-def]
    module = cst.parse_module(textwrap.dedent(code))
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for analysis in analyse_module(module, None, positions, project):
        if analysis.function.name.value == name:
            return analysis
    raise AssertionError(name)


def grouped(analysis) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[site.label for site in group.sites] for group in analysis.groups]


def reasons(analysis) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.reason.describe() for b in analysis.blocks for n in b.nodes if n.reason]


def models(code: str) -> dict:
    ctx = build_module_context(cst.parse_module(textwrap.dedent(code)), EffectPatterns())
    return {key: method_model(ctx, key, lambda fn: _FunctionAnalyser(fn, ctx))
            for key, info in ctx.functions.items() if info.self_name}


CATALOGUE = """
import aiohttp

from shop.db import Connection
from shop.index import SearchIndex


class Catalogue:
    def __init__(self, session: aiohttp.ClientSession, index: SearchIndex, conn: Connection):
        self._session = session
        self._index = index
        self._conn = conn
        self._genres = None
        self._branches = None

    async def get_genres(self, lang):
        if self._genres is None:
            async with self._session.get(f"/genres/{lang}") as resp:
                self._genres = await resp.json()
        return self._genres

    async def get_branches(self, lang):
        if self._branches is None:
            async with self._session.get(f"/branches/{lang}") as resp:
                self._branches = await resp.json()
        return self._branches

    async def get_genre(self, lang):
        return (await self.get_genres(lang))[0]

    async def get_titles(self, query):
        return await self._index.search("title", query)

    async def get_writers(self, query):
        return await self._index.search("writer", query)

    async def get_loans(self, member):
        return await self._conn.fetch("loans", member)

    async def get_holds(self, member):
        return await self._conn.fetch("holds", member)

    async def get_by_name(self, name, member):
        fn = getattr(self._index, name)
        return await fn(member)

    async def get_via_helper(self, member):
        return await lookup(self._index, member)

    async def get_global(self, member):
        return await CLIENT.get(member)

    async def get_touching(self, member):
        return await self.inherited_fetch(member)

    async def page(self, lang, query, member):
        genres = await self.get_genres(lang)
        branches = await self.get_branches(lang)
        titles = await self.get_titles(query)
        writers = await self.get_writers(query)
        loans = await self.get_loans(member)
        holds = await self.get_holds(member)
        return genres, branches, titles, writers, loans, holds

    async def by_name(self, member):
        genres = await self.get_genres(member)
        named = await self.get_by_name("find", member)
        return genres, named

    async def twice(self, lang):
        genres = await self.get_genres(lang)
        genre = await self.get_genre(lang)
        return genres, genre


CLIENT = SearchIndex()


async def lookup(index, member):
    return await index.find(member)
"""


def test_a_method_model_holds_what_it_awaits_through_of_its_instance() -> None:
    found = models(CATALOGUE)
    # The aiohttp session is concurrency-safe; a response made by the call is its own.
    assert found["Catalogue.get_genres"].objects == frozenset()
    assert "self._genres" in found["Catalogue.get_genres"].summary.writes
    assert found["Catalogue.get_titles"].objects == {"self._index"}
    # Through the methods of `self` it calls (which read what their summaries say: the call
    # reads no more of `self`).
    assert "self._genres" in found["Catalogue.get_genre"].summary.writes
    assert "self" not in found["Catalogue.get_genre"].summary.reads
    # A function handed an object of the instance goes through it.
    assert found["Catalogue.get_via_helper"].objects == {"self._index"}
    # A module global of unknown type, by its name.
    assert found["Catalogue.get_global"].objects == {"CLIENT"}


def test_a_method_that_awaits_a_callable_taken_from_an_object_or_touches_all_of_self_has_no_model(
) -> None:
    found = models(CATALOGUE)
    assert found["Catalogue.get_by_name"] is None  # `fn = getattr(self._index, name)`
    assert found["Catalogue.get_touching"] is None  # `self.inherited_fetch` is not defined here


def test_self_methods_with_disjoint_state_through_a_safe_session_are_grouped() -> None:
    analysis = analysed(CATALOGUE, "page")
    # The first call through the index and the first through the connection join them.
    assert grouped(analysis) == [
        ["self.get_genres", "self.get_branches", "self.get_titles", "self.get_loans"]]
    said = reasons(analysis)
    assert "same object `self._index` of unknown type (it may hold one connection or device, "\
        "log in on first use or cache)" in said
    assert "shared serial resource `self._conn`" in said


def test_a_self_method_without_a_model_keeps_reading_all_of_self() -> None:
    analysis = analysed(CATALOGUE, "by_name")
    assert grouped(analysis) == []
    assert "data dependence on `self`" in reasons(analysis)


def test_self_methods_writing_the_same_attribute_are_not_grouped() -> None:
    analysis = analysed(CATALOGUE, "twice")
    assert grouped(analysis) == []
    assert reasons(analysis) == ["data dependence on `self._genres`"]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("x = await self.get(1)", False),
        ("x = await self.get(self)", True),  # `self` handed on as a whole
        ("x = await self.get(self.other())", True),  # another call on it
        ("x = await self.get(self.limit, self.a.b)", False),  # longer paths only
        ("x = await self.get(lambda: self)", True),
    ],
)
def test_a_statement_reads_the_receiver_besides_the_modelled_call(
    statement: str, expected: bool
) -> None:
    stmt = cst.parse_statement(statement)
    call = stmt.body[0].value.expression  # type: ignore[attr-defined]
    assert reads_besides(stmt, "self", lambda other: other is call) is expected


TYPED = CATALOGUE + """

async def book_page(catalogue: Catalogue, lang, query):
    genres = await catalogue.get_genres(lang)
    branches = await catalogue.get_branches(lang)
    return genres, branches


async def search_page(catalogue: Catalogue, query):
    titles = await catalogue.get_titles(query)
    writers = await catalogue.get_writers(query)
    return titles, writers


async def unknown_method(catalogue: Catalogue, lang):
    genres = await catalogue.get_genres(lang)
    owner = await catalogue.get_owner(lang)
    return genres, owner


async def offloaded(catalogue: Catalogue, hub, lang):
    genres = await hub.run_in_executor(None, catalogue.sync_genres)
    branches = await catalogue.get_branches(lang)
    return genres, branches


class Desk:
    def __init__(self, session: aiohttp.ClientSession, index, conn):
        self._catalogue = Catalogue(session, index, conn)

    async def screen(self, lang):
        genres = await self._catalogue.get_genres(lang)
        branches = await self._catalogue.get_branches(lang)
        return genres, branches
"""


def test_a_receiver_typed_as_a_class_of_the_module_is_judged_by_its_methods() -> None:
    assert grouped(analysed(TYPED, "book_page")) == [
        ["catalogue.get_genres", "catalogue.get_branches"]]
    assert "same object `catalogue._index` of unknown type (it may hold one connection or "\
        "device, log in on first use or cache)" in reasons(analysed(TYPED, "search_page"))
    # An attribute of `self` made as one (`self._catalogue = Catalogue(...)`).
    assert grouped(analysed(TYPED, "screen")) == [
        ["self._catalogue.get_genres", "self._catalogue.get_branches"]]


def test_a_method_the_class_does_not_define_goes_through_all_of_the_instance() -> None:
    analysis = analysed(TYPED, "unknown_method")
    assert grouped(analysis) == []
    assert reasons(analysis) == ["data dependence on `catalogue`"]
    read_only = TYPED.replace("await catalogue.get_genres(lang)\n    owner",
                              "await catalogue.get_titles(lang)\n    owner")
    assert "same object `catalogue` of unknown type (it may hold one connection or device, "\
        "log in on first use or cache)" in reasons(analysed(read_only, "unknown_method"))


INFERRED = """
class Shelves:
    def __init__(self, api: "ShelfAPIClient"):
        self.api = api
        self._shelves = None
        self._tags = None

    async def get_shelves(self):
        if self._shelves is None:
            self._shelves = await self.api.get_shelves()
        return self._shelves

    async def get_tags(self):
        if self._tags is None:
            self._tags = await self.api.get_tags()
        return self._tags


async def setup(hub, entry):
    coordinator = hub.data[entry.entry_id]
    shelves = await coordinator.get_shelves()
    tags = await coordinator.get_tags()
    return shelves, tags
"""
MIRROR = """

class Mirror:
    async def get_shelves(self):
        return []

    async def get_tags(self):
        return []
"""


def test_an_untyped_receiver_is_the_one_class_that_defines_every_method_awaited_on_it() -> None:
    assert grouped(analysed(INFERRED, "setup")) == [
        ["coordinator.get_shelves", "coordinator.get_tags"]]
    # Two classes define both methods: the receiver's class is unknown.
    analysis = analysed(INFERRED + MIRROR, "setup")
    assert grouped(analysis) == []
    assert "same object `coordinator` of unknown type (it may hold one connection or device, "\
        "log in on first use or cache)" in reasons(analysis)


def test_one_method_awaited_on_an_untyped_receiver_names_no_class() -> None:
    one = INFERRED.replace("tags = await coordinator.get_tags()",
                           "tags = await coordinator.get_shelves()")
    assert grouped(analysed(one, "setup")) == []


def package(root: Path, files: dict[str, str]) -> Project:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return Project(str(root / "shelf" / "screens.py"))


SCREENS = """
from .coordinator import Shelves


async def setup(hub, entry):
    coordinator{annotation} = hub.data[entry.entry_id]
    shelves = await coordinator.get_shelves()
    tags = await coordinator.get_tags()
    return shelves, tags
"""


@pytest.mark.parametrize("annotation", [": Shelves", ""])
def test_a_class_imported_from_the_package_is_judged_by_its_own_module(
    tmp_path: Path, annotation: str
) -> None:
    coordinator = INFERRED[: INFERRED.index("async def setup")]
    screens = SCREENS.format(annotation=annotation)
    project = package(tmp_path, {"shelf/__init__.py": "", "shelf/coordinator.py": coordinator,
                                 "shelf/screens.py": screens})
    analysis = analysed(screens, "setup", project)
    assert grouped(analysis) == [["coordinator.get_shelves", "coordinator.get_tags"]]
    assert str(tmp_path / "shelf" / "coordinator.py") in project.dependencies
    # Without the project, the class is unknown.
    assert grouped(analysed(screens, "setup")) == []


def test_an_imported_class_awaiting_through_an_object_of_unknown_type_keeps_the_order(
    tmp_path: Path,
) -> None:
    coordinator = INFERRED[: INFERRED.index("async def setup")].replace(
        'api: "ShelfAPIClient"', "api")
    screens = SCREENS.format(annotation=": Shelves")
    project = package(tmp_path, {"shelf/__init__.py": "", "shelf/coordinator.py": coordinator,
                                 "shelf/screens.py": screens})
    analysis = analysed(screens, "setup", project)
    assert grouped(analysis) == []
    assert "same object `coordinator.api` of unknown type (it may hold one connection or device, "\
        "log in on first use or cache)" in reasons(analysis)


MODULE_FUNCTIONS = """
import aiohttp

from shop.index import SearchIndex

INDEX = SearchIndex()
SESSION = aiohttp.ClientSession()


async def _search(kind, query):
    return await INDEX.search(kind, query)


async def _download(path):
    async with SESSION.get(path) as resp:
        return await resp.read()


async def _fetch(client, path):
    return await client.get(path)


class Shelf:
    def __init__(self, client):
        self._client = client

    async def get_titles(self, query):
        return await _search("title", query)

    async def get_cover(self, isbn):
        return await _download(f"/covers/{isbn}")

    async def get_page(self, path):
        return await _fetch(self._client, path)
"""


def test_the_module_functions_a_method_awaits_carry_the_globals_they_go_through() -> None:
    found = models(MODULE_FUNCTIONS)
    assert found["Shelf.get_titles"].objects == {"INDEX"}
    # (A module-level object is judged as in any function: receivers.py reads no global's
    # type, so a module-level session is of unknown type too.)
    assert found["Shelf.get_cover"].objects == {"SESSION"}
    # A module function's parameter is the argument the method hands it.
    assert found["Shelf.get_page"].objects == {"self._client"}
