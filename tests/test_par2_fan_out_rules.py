"""PAR201 and PAR202 through the engine: messages, positions, options from the configuration."""

from __future__ import annotations

import textwrap

import pytest

from parlint.config import ConfigError, build_config, validate
from parlint.engine import lint_source


def lint(source: str, **options: object) -> list[tuple[str, int, int, str]]:
    values = validate({"select": ["ALL"], **options}, "test")
    result = lint_source(textwrap.dedent(source), "mod.py", build_config(values))
    return [(f.code, f.line, f.column, f.message) for f in result.findings]


def codes(source: str, **options: object) -> list[tuple[str, int, int]]:
    return [(code, line, col) for code, line, col, _ in lint(source, **options)]


DOWNLOADS = """
    import asyncio

    async def download_all(client, urls):
        return await asyncio.gather(*[client.download(u) for u in urls])
"""


def test_par201_message_names_the_api_the_iterable_and_the_bound() -> None:
    assert lint(DOWNLOADS) == [
        (
            "PAR201",
            5,
            17,
            "unbounded fan-out: `asyncio.gather` runs one awaitable per item of `urls`, all at "
            "once; bound it with a semaphore or batches of max-concurrency=5",
        )
    ]


def test_par201_message_follows_max_concurrency() -> None:
    [(_, _, _, message)] = lint(DOWNLOADS, **{"max-concurrency": 12})
    assert message.endswith("max-concurrency=12")


def test_par201_small_iterables_option_silences_a_known_short_list() -> None:
    assert codes(DOWNLOADS, **{"fan-out-small-iterables": ["urls"]}) == []
    assert codes(DOWNLOADS, **{"fan-out-small-iterables": ["other_*"]}) == [("PAR201", 5, 17)]


def test_par201_bounding_helpers_option() -> None:
    assert codes(DOWNLOADS, **{"fan-out-bounding-helpers": ["client.download"]}) == []


def test_par201_small_width_option_decides_what_a_constant_range_is() -> None:
    source = """
        import asyncio

        async def warm(cache, n):
            await asyncio.gather(*[cache.warm(i) for i in range(n)])
    """
    assert codes(source) == [("PAR201", 5, 10)]


def test_par201_noqa_suppresses_the_fan_out_whose_caller_passes_a_short_list() -> None:
    source = """
        import asyncio

        async def lookup_all(client, names):
            await asyncio.gather(*[client.lookup(n) for n in names])  # noqa: PAR201
    """
    assert codes(source) == []


def test_par201_bad_option_values_are_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        validate({"fan-out-small-width": 0}, "test")
    with pytest.raises(ConfigError):
        validate({"fan-out-small-iterables": "urls"}, "test")


WIDE = """
    import asyncio

    async def load():
        return await asyncio.gather(a(), b(), c(), d(), e(), f())
"""


def test_par202_is_off_by_default_and_on_with_extend_select() -> None:
    values = validate({}, "test")
    result = lint_source(textwrap.dedent(WIDE), "mod.py", build_config(values))
    assert [f.code for f in result.findings] == []
    values = validate({"extend-select": ["PAR202"]}, "test")
    result = lint_source(textwrap.dedent(WIDE), "mod.py", build_config(values))
    assert [(f.code, f.line, f.column) for f in result.findings] == [("PAR202", 5, 17)]


def test_par202_counts_against_max_concurrency() -> None:
    assert codes(WIDE, **{"max-concurrency": 6}) == []
    assert codes(WIDE, **{"max-concurrency": 3}) == [("PAR202", 5, 17)]
    [(_, _, _, message)] = lint(WIDE, **{"max-concurrency": 3})
    assert "6 literal awaitables" in message and "max-concurrency=3" in message


def test_par202_leaves_data_sized_gathers_to_par201() -> None:
    assert [c for c, _, _ in codes(DOWNLOADS)] == ["PAR201"]
