"""analysis/worth.py: functions whose latency is not worth a change (PAR101 and PAR102)."""

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from parlint.analysis.provider import analyse_module
from parlint.analysis.worth import one_off


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
