"""analysis/worth.py: functions whose latency is not worth a change (PAR101 and PAR102)."""

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module
from parlint.analysis.worth import error_path_nodes, exception_parameter, on_error_path, one_off


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


@pytest.mark.parametrize(("clause", "groups"), [("except KeyError", 0), ("else", 1),
                                                ("finally", 1)])
def test_only_awaits_in_an_except_handler_are_on_the_error_path(clause, groups):
    fn = analysis(FETCH + f"""
    async def load(session: aiohttp.ClientSession):
        try:
            cached = await fetch(session, "cache")
        except KeyError:
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
        "one-off", "an error handler (handed the exception `err`): the error path, where "
        "latency rarely matters and the clean-up order is deliberate")]
