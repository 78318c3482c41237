"""Every fixture under fixtures/ against its expectation comments, compared exactly.

An expectation is a comment at the end of the line a finding is reported on:

    await fetch_a()  # PAR101: 4
    for x in xs:  # PAR102: 4, "3 awaits"
    gather(*tasks)  # PAR201: 10 # PAR301: 10

`# PARnnn: <args>`, where the args are Python literals (read with `ast.literal_eval`, never
`eval`): the 0-based column, then optionally a substring the message must contain. Every finding
must be expected and every expectation found (code, line and column). Fixtures are linted with
`select = ["ALL"]` and default options; a first line `# fixture-config: {...}` (a literal dict of
configuration keys) changes that.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from parlint.config import Config, build_config, validate
from parlint.engine import lint_source, read_source
from parlint.types import FileResult, Finding

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# A marker is `#` then a code then `:`; its args run to the next marker or the end of the line.
MARKER = re.compile(r"#\s*(?P<code>PAR\d{3})\b")
EXPECTATION = re.compile(r"#\s*(?P<code>PAR\d{3}):[ \t]*(?P<args>[^#]*?)[ \t]*(?=#\s*PAR\d{3}\b|$)")
FIXTURE_CONFIG = re.compile(r"^#\s*fixture-config:\s*(?P<literal>\{.*\})\s*$")


class BadExpectation(ValueError):
    pass


@dataclass(frozen=True)
class Expected:
    code: str
    line: int
    column: int
    message: str | None = None


def parse_expectations(source: str, name: str = "<fixture>") -> list[Expected]:
    """Every expectation comment in `source`; raises BadExpectation for a malformed one."""
    expected = []
    for number, line in enumerate(source.splitlines(), start=1):
        markers = MARKER.findall(line)
        if not markers:
            continue
        found = list(EXPECTATION.finditer(line))
        if len(found) != len(markers):
            raise BadExpectation(f"{name}:{number}: malformed expectation comment: {line.strip()}")
        for match in found:
            expected.append(_expectation(match, number, f"{name}:{number}"))
    return expected


def _expectation(match: re.Match[str], number: int, where: str) -> Expected:
    args_text = match.group("args").strip()
    if not args_text:
        raise BadExpectation(f"{where}: {match.group('code')} needs at least a column")
    try:
        args = ast.literal_eval(f"({args_text},)")
    except (ValueError, SyntaxError) as exc:
        raise BadExpectation(f"{where}: cannot read {args_text!r}: {exc}") from None
    column, *rest = args
    if isinstance(column, bool) or not isinstance(column, int) or column < 0:
        raise BadExpectation(f"{where}: the first argument must be a 0-based column, got {column!r}")
    if len(rest) > 1 or (rest and not isinstance(rest[0], str)):
        raise BadExpectation(f"{where}: after the column only a message substring may follow")
    return Expected(match.group("code"), number, column, rest[0] if rest else None)


def fixture_config(source: str, name: str = "<fixture>") -> Config:
    first = source.split("\n", 1)[0]
    overrides: dict[str, Any] = {}
    match = FIXTURE_CONFIG.match(first)
    if match:
        value = ast.literal_eval(match.group("literal"))
        if not isinstance(value, dict):
            raise BadExpectation(f"{name}:1: fixture-config must be a dict")
        overrides = value
    values = validate({"select": ["ALL"], **overrides}, f"{name} fixture-config")
    return build_config(values)


@functools.lru_cache(maxsize=None)  # results are immutable: lint each fixture once per session
def lint_fixture(path: Path) -> tuple[str, FileResult]:
    decoded = read_source(str(path))
    if isinstance(decoded, Finding):
        raise AssertionError(f"cannot read fixture {path}: {decoded.message}")
    name = path.relative_to(ROOT).as_posix()
    return decoded.source, lint_source(decoded.source, name, fixture_config(decoded.source, name))


def compare(expected: list[Expected], findings: tuple[Finding, ...]) -> list[str]:
    """The differences, as lines; empty when every finding is expected and found."""
    problems = []
    want = Counter((e.code, e.line, e.column) for e in expected)
    got = Counter((f.code, f.line, f.column) for f in findings)
    for code, line, column in sorted((want - got).elements()):
        problems.append(f"missing: {code} at {line}:{column}")
    for code, line, column in sorted((got - want).elements()):
        messages = [f.message for f in findings if (f.code, f.line, f.column) == (code, line, column)]
        problems.append(f"unexpected: {code} at {line}:{column}: {messages[0]}")
    for e in expected:
        if e.message is None:
            continue
        messages = [f.message for f in findings if (f.code, f.line, f.column) == (e.code, e.line, e.column)]
        if messages and not any(e.message in m for m in messages):
            problems.append(f"message: {e.code} at {e.line}:{e.column}: {messages!r} lacks {e.message!r}")
    return problems


def fixture_paths() -> list[Path]:
    return sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_findings_match_expectations_exactly(path: Path) -> None:
    source, result = lint_fixture(path)
    expected = parse_expectations(source, path.name)
    problems = compare(expected, result.findings)
    detail = "\n".join(result.tracebacks)
    assert not problems, "\n".join([f"{path.name}:", *problems, detail])


# --- the harness itself --------------------------------------------------------------------


def test_expectations_are_read_strictly() -> None:
    source = (
        "await fetch_a()  # PAR101: 4\n"
        "for x in xs:  # PAR102: 4, '3 awaits'\n"
        "gather(*tasks)  # PAR201: 10 # PAR301: 10\n"
        "x = 1  # noqa: PAR101\n"
        "y = 2  # a note  # PAR202: 0\n"
    )
    assert parse_expectations(source) == [
        Expected("PAR101", 1, 4),
        Expected("PAR102", 2, 4, "3 awaits"),
        Expected("PAR201", 3, 10),
        Expected("PAR301", 3, 10),
        Expected("PAR202", 5, 0),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "x  # PAR101:",
        "x  # PAR101 4",
        "x  # PAR101: four",
        "x  # PAR101: -1",
        "x  # PAR101: True",
        "x  # PAR101: 4, 5",
        "x  # PAR101: 4, 'a', 'b'",
        "x  # PAR101: __import__('os')",
    ],
)
def test_malformed_expectations_fail_loudly(line: str) -> None:
    with pytest.raises(BadExpectation):
        parse_expectations(line + "\n")


def test_compare_reports_missing_unexpected_and_message_mismatch() -> None:
    from parlint.types import Position, Span

    def finding(code: str, line: int, column: int, message: str = "m") -> Finding:
        return Finding(code, "n", message, "f.py", Span(Position(line, column), Position(line, column)))

    expected = [Expected("PAR101", 1, 4, "two"), Expected("PAR102", 2, 0)]
    findings = (finding("PAR101", 1, 4, "one"), finding("PAR101", 3, 0))
    assert compare(expected, findings) == [
        "missing: PAR102 at 2:0",
        "unexpected: PAR101 at 3:0: m",
        "message: PAR101 at 1:4: ['one'] lacks 'two'",
    ]


def test_fixture_config_changes_the_configuration() -> None:
    config = fixture_config('# fixture-config: {"max-concurrency": 3}\nx = 1\n')
    assert config.max_concurrency == 3
    assert config.select == ("ALL",)
    with pytest.raises(Exception, match="unknown key"):
        fixture_config('# fixture-config: {"max_concurency": 3}\n')
