"""Call kinds by name, receiver classes by name and type, ordered calls."""

import pytest

from parlint.analysis.effects import CallKind, EffectPatterns, kind_of_name, receiver_name
from parlint.config import DEFAULT


@pytest.mark.parametrize(
    "name, kind",
    [
        ("get_user", CallKind.READ_ONLY),
        ("fetchUser", CallKind.READ_ONLY),
        ("async_get_state", CallKind.READ_ONLY),
        ("list", CallKind.READ_ONLY),
        ("download", CallKind.READ_ONLY),
        ("aread", CallKind.READ_ONLY),
        ("get_or_create", CallKind.EFFECTFUL),
        ("fetch_and_update", CallKind.EFFECTFUL),
        ("create_user", CallKind.EFFECTFUL),
        ("send_message", CallKind.EFFECTFUL),
        ("immediate_execute_command", CallKind.EFFECTFUL),
        ("re_authenticate", CallKind.EFFECTFUL),
        ("committed", CallKind.UNKNOWN),
        ("async_load", CallKind.UNKNOWN),
        ("load_user", CallKind.READ_ONLY),
        ("translate_payload", CallKind.READ_ONLY),
        (None, CallKind.UNKNOWN),
    ],
)
def test_kind_of_name(name, kind):
    assert kind_of_name(name) is kind


def test_receiver_name_strips_underscores_and_items():
    assert receiver_name("self._conn") == "conn"
    assert receiver_name("pools[]") == "pools"
    assert receiver_name("db") == "db"


@pytest.mark.parametrize(
    "name, type_, expected",
    [
        ("conn", None, "serial"),
        ("db_session", None, "serial"),
        ("session", "aiohttp.ClientSession", "safe"),
        ("session", "sqlalchemy.ext.asyncio.AsyncSession", "serial"),
        ("client", "httpx.AsyncClient", "safe"),
        ("client", None, None),
        ("pool", None, "safe"),
        ("x", "asyncpg.connect", "serial"),
        ("ws", None, "serial"),
        ("lock", None, "serial"),
    ],
)
def test_receiver_class_by_name_and_type(name, type_, expected):
    assert EffectPatterns().receiver_class(name, type_) == expected


def test_patterns_come_from_the_config_with_extensions():
    config = DEFAULT.with_values(
        **{"extend-serial-receivers": ["stub"], "extend-concurrent-safe-receivers": ["db"]}
    )
    patterns = EffectPatterns.from_config(config)
    assert patterns.receiver_class("stub", None) == "serial"
    assert patterns.receiver_class("db", None) == "safe"
    replaced = EffectPatterns.from_config(DEFAULT.with_values(**{"serial-receivers": ["only"]}))
    assert replaced.receiver_class("conn", None) is None


def test_ordered_calls_match_method_or_qualified_name():
    patterns = EffectPatterns()
    assert patterns.ordered_pattern("sleep", "asyncio.sleep")
    assert patterns.ordered_pattern("drain", "writer.drain")
    assert patterns.ordered_pattern("commit", None)
    assert patterns.ordered_pattern("get_user", "api.get_user") is None


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param('run_process(["git", "rev-parse", "HEAD"], cwd=repo)', "git rev-parse",
                     id="rev-parse"),
        pytest.param('run_process(("git", "status", "--porcelain"))', "git status", id="tuple"),
        pytest.param('run_process(["git", "fetch", "origin"])', None, id="fetch-writes"),
        pytest.param('run_process(["git", "-c", "a=b", "log"])', None, id="option-first"),
        pytest.param('run_process(cmd + ["log"])', None, id="not-literal"),
        pytest.param('run_process(["python3", "--version"])', None, id="other-program"),
        pytest.param('run_process(command=["git", "log"])', None, id="keyword"),
    ],
)
def test_read_only_command_is_a_literal_git_query(source, expected):
    import libcst as cst

    from parlint.analysis.effects import read_only_command

    assert read_only_command(cst.parse_expression(source)) == expected
