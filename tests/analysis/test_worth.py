"""analysis/worth.py: functions whose latency is not worth a change (PAR101 and PAR102)."""

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module
from parlint.analysis.worth import (
    error_path_nodes,
    exception_parameter,
    fanned_out,
    on_error_path,
    one_off,
)


def analysis(code: str):
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(code)))
    positions = wrapper.resolve(PositionProvider)
    return analyse_module(wrapper.module, None, positions)[-1]


def function(code: str) -> cst.FunctionDef:
    (fn,) = [s for s in cst.parse_module(textwrap.dedent(code)).body
             if isinstance(s, cst.FunctionDef)]
    return fn


def test_a_diagnostics_report_loops_one_device_at_a_time_on_purpose():
    (loop,) = analysis("""
        async def async_get_config_entry_diagnostics(hass, entry):
            data = []
            for device in entry.runtime_data.devices:
                data.append(await device.client.get_settings())
            return {"devices": data}
    """).loops
    assert [(r.kind, r.detail) for r in loop.reasons] == [
        ("one-off", "a diagnostics report (asked for by hand, rarely)")]


def test_the_same_loop_in_a_polling_update_is_reported():
    (loop,) = analysis("""
        async def async_update_settings(hass, entry):
            data = []
            for device in entry.runtime_data.devices:
                data.append(await device.client.get_settings())
            return {"devices": data}
    """).loops
    assert loop.reasons == ()


def test_reads_of_a_diagnostics_dump_are_not_grouped():
    fn = analysis("""
        async def collect_diagnostics(client):
            profile = await client.get_profile()
            usage = await client.get_usage()
            return {"profile": profile, "usage": usage}
    """)
    assert fn.groups == []


def test_a_function_that_warns_of_its_deprecation_first_is_not_worth_a_change():
    assert one_off(function("""
        async def refresh_all(hub, ids):
            warnings.warn("refresh_all is deprecated, use refresh", DeprecationWarning)
            for i in ids:
                await hub.client.refresh(i)
    """)) == "a deprecated function (it announces its removal)"


def test_a_deprecation_issue_created_by_the_function_marks_it_deprecated():
    assert one_off(function("""
        async def service_refresh(call):
            ir.async_create_issue(hass, DOMAIN, "service_deprecation",
                                  translation_key="service_deprecation")
            for coordinator in coordinators(call):
                await coordinator.api.refresh()
    """)) is not None


def test_a_deprecated_decorator_marks_the_function_deprecated():
    assert one_off(function("""
        @deprecated("use fetch_many")
        async def fetch_all(client, ids):
            return [await client.get(i) for i in ids]
    """)) is not None


def test_a_deprecated_parameter_under_an_if_leaves_the_function_alive():
    assert one_off(function("""
        async def fetch_all(client, ids, legacy=None):
            \"\"\"Fetch every id (the deprecated `legacy` flag is ignored).\"\"\"
            if legacy is not None:
                warnings.warn("legacy is deprecated", DeprecationWarning)
            return [await client.get(i) for i in ids]
    """)) is None


def test_a_helper_that_handles_deprecated_arguments_is_no_deprecation_notice():
    assert one_off(function("""
        async def fetch_all(client, ids, **options):
            options = drop_deprecated_options(options)
            return [await client.get(i, **options) for i in ids]
    """)) is None


def test_a_log_line_about_a_deprecated_setting_marks_the_function_deprecated():
    assert one_off(function("""
        async def import_yaml(hass, config):
            _LOGGER.warning("Configuring the sensor in YAML is deprecated")
            for entry in config:
                await hass.config_entries.flow.async_init(entry)
    """)) is not None


def test_a_loop_in_an_except_handler_is_on_the_error_path():
    (loop,) = analysis("""
        async def sync_all(client, devices):
            try:
                await client.sync()
            except ConnectionError:
                for device in devices:
                    await device.client.reset_session()
                raise
    """).loops
    assert [r.kind for r in loop.reasons] == ["one-off"]
    assert "the error path" in loop.reasons[0].detail


def test_the_same_loop_in_the_try_body_is_reported():
    (loop,) = analysis("""
        async def sync_all(client, devices):
            try:
                for device in devices:
                    await device.client.reset_session()
            except ConnectionError:
                raise
    """).loops
    assert loop.reasons == ()


FETCH = """
    import aiohttp

    async def fetch(session: aiohttp.ClientSession, url):
        async with session.get(url) as response:
            return await response.json()
"""


@pytest.mark.parametrize(("clause", "groups"), [
    pytest.param("except TimeoutError", 0, id="failure-handler"),
    pytest.param("except (aiohttp.ClientError, TimeoutError)", 0, id="failure-tuple"),
    pytest.param("else", 1, id="else"),
    pytest.param("finally", 1, id="finally"),
    pytest.param("except KeyError", 1, id="cache-miss-is-control-flow"),
    pytest.param("except (LookupError, TimeoutError)", 1, id="a-miss-in-the-tuple"),
    pytest.param("except errors.ProfileNotFound", 1, id="not-found"),
    pytest.param("except Profile.DoesNotExist", 1, id="does-not-exist"),
])
def test_only_awaits_in_an_except_handler_are_on_the_error_path(clause, groups):
    fn = analysis(FETCH + f"""
    async def load(session: aiohttp.ClientSession):
        try:
            cached = await fetch(session, "cache")
        except ValueError:
            cached = None
        {clause}:
            profile = await fetch(session, "profile")
            usage = await fetch(session, "usage")
    """)
    assert len(fn.groups) == groups


def test_error_path_nodes_stop_at_nested_functions():
    fn = function("""
        async def outer(client):
            try:
                pass
            except OSError:
                async def retry():
                    await client.a()
                await retry()
    """)
    nodes = error_path_nodes(fn)
    handler = fn.body.body[0].handlers[0]
    nested, call = handler.body.body
    assert on_error_path(nested, nodes) and on_error_path(call, nodes)
    assert not on_error_path(nested.body.body[0], nodes)


def test_a_one_line_handler_is_on_the_error_path():
    fn = function("""
        async def outer(client):
            try:
                pass
            except OSError: await client.a()
    """)
    handler = fn.body.body[0].handlers[0]
    pseudo_line = cst.SimpleStatementLine(body=handler.body.body)  # as suite_statements builds
    assert on_error_path(pseudo_line, error_path_nodes(fn))


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        pytest.param("self, err: BaseException", "err", id="base-exception"),
        pytest.param("self, exc: Exception, *, path", "exc", id="exception"),
        pytest.param("request, error: errors.ApiError", "error", id="dotted-error-class"),
        pytest.param("self, err: BaseException | None", None, id="optional-exception"),
        pytest.param("self, err: Exception = None", None, id="defaulted"),
        pytest.param("self, err", None, id="unannotated"),
        pytest.param("self, handler: ErrorHandler", None, id="not-an-exception-class"),
        pytest.param("self, kind: type[Exception]", None, id="an-exception-type"),
    ],
)
def test_exception_parameter(signature, expected):
    assert exception_parameter(function(f"async def fail({signature}): ...")) == expected


def test_a_function_handed_the_exception_is_an_error_handler():
    (loop,) = analysis("""
        class Mux:
            async def afail(self, err: BaseException) -> None:
                for handle in self._handles.values():
                    await handle.channel.close_with_error(err)
    """).loops
    assert [(r.kind, r.detail) for r in loop.reasons] == [(
        "one-off", ("an error handler (handed the exception `err`): the error path, where "
                    "latency rarely matters and the clean-up order is deliberate"))]


TABLE = """
    import asyncio

    async def describe_table(conn_factory, table):
        columns = await conn_factory().fetch_columns(table)
        indexes = await conn_factory().fetch_indexes(table)
        return columns, indexes
"""


def describe_table_reason(callers: str, method: bool = False) -> str | None:
    module = cst.parse_module(textwrap.dedent(TABLE) + textwrap.dedent(callers))
    fn = next(s for s in module.body if isinstance(s, cst.FunctionDef))
    return fanned_out(fn, module, method)


@pytest.mark.parametrize(
    "callers",
    [
        pytest.param("""
            async def describe_all(conn_factory, tables):
                return await asyncio.gather(*(describe_table(conn_factory, t) for t in tables))
        """, id="gathered-generator"),
        pytest.param("""
            async def describe_all(conn_factory, tables):
                pending = [describe_table(conn_factory, t) for t in tables]
                return await asyncio.gather(*pending, return_exceptions=True)
        """, id="gathered-through-a-name"),
        pytest.param("""
            async def describe_all(conn_factory, tables):
                pending = []
                for table in tables:
                    pending.append(asyncio.create_task(describe_table(conn_factory, table)))
                done, _ = await asyncio.wait(pending)
        """, id="tasks-appended-in-a-loop"),
        pytest.param("""
            async def describe_all(conn_factory, tables):
                async with asyncio.TaskGroup() as tg:
                    for table in tables:
                        tg.create_task(describe_table(conn_factory, table))
        """, id="task-group-in-a-loop"),
    ],
)
def test_a_function_every_caller_fans_out_is_concurrent_already(callers):
    assert describe_table_reason(callers).startswith("concurrent already")


@pytest.mark.parametrize(
    "callers",
    [
        pytest.param("", id="no-caller-in-the-module"),
        pytest.param("""
            async def describe_all(conn_factory, tables):
                return await asyncio.gather(*(describe_table(conn_factory, t) for t in tables))

            async def describe_one(conn_factory, table):
                return await describe_table(conn_factory, table)
        """, id="one-caller-awaits-it-alone"),
        pytest.param("""
            async def describe_all(conn_factory, tables):
                for table in tables:
                    await describe_table(conn_factory, table)
        """, id="a-sequential-loop"),
        pytest.param("""
            HANDLERS = {"describe": describe_table}
        """, id="referred-to-outside-a-function"),
        pytest.param("""
            async def describe_first(conn_factory, tables):
                task = asyncio.create_task(describe_table(conn_factory, tables[0]))
                return await task
        """, id="one-task-outside-a-loop"),
    ],
)
def test_a_function_some_caller_runs_alone_is_not_fanned_out(callers):
    assert describe_table_reason(callers) is None


def test_a_recursive_call_does_not_count_as_a_caller():
    module = cst.parse_module(textwrap.dedent("""
        import asyncio

        async def describe_table(conn, table):
            columns = await conn.fetch_columns(table)
            indexes = await conn.fetch_indexes(table)
            for parent in columns.foreign_tables:
                await describe_table(conn, parent)
            return columns, indexes

        async def describe_all(conn, tables):
            return await asyncio.gather(*(describe_table(conn, t) for t in tables))
    """))
    assert fanned_out(module.body[1], module, False) is not None


MIRROR = """
    import asyncio
    import aiohttp

    class Mirror:
        def __init__(self, session: aiohttp.ClientSession):
            self.session = session

        async def fetch(self, url):
            async with self.session.get(url) as response:
                return await response.read()

        async def mirror_one(self, name):
            meta = await self.fetch(f"/meta/{name}")
            blob = await self.fetch(f"/blob/{name}")
            return meta, blob

        async def mirror_all(self, names):
"""


@pytest.mark.parametrize(("caller", "groups"), [
    pytest.param("return await asyncio.gather(*(self.mirror_one(n) for n in names))", 0,
                 id="fanned-out"),
    pytest.param("return [await self.mirror_one(n) for n in names]", 1, id="one-at-a-time"),
])
def test_a_method_every_caller_fans_out_is_not_grouped(caller, groups):
    wrapper = MetadataWrapper(cst.parse_module(textwrap.dedent(MIRROR) + " " * 8 + caller))
    functions = analyse_module(wrapper.module, None, wrapper.resolve(PositionProvider))
    (mirror_one,) = [f for f in functions if f.function.name.value == "mirror_one"]
    assert len(mirror_one.groups) == groups
