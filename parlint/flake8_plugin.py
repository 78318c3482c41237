"""The flake8 front end: a thin adapter over `engine.lint_source`.

flake8 owns selection, `# noqa`, `extend-ignore` and `per-file-ignores`, so the engine runs every
rule with `respect_noqa=False` and flake8 filters. Rule and analysis options (`max-concurrency`,
`target-version`, per-rule options) come from the same parlint configuration the CLI reads,
found by walking up from the file. The rules that are off by default in parlint are added to
flake8's default ignore list, so that both front ends report the same findings out of the box.

A flake8 plugin must never raise (one exception aborts the whole flake8 run): a file libcst
cannot parse yields nothing (flake8 reports E999 itself), and anything unexpected becomes one
`PAR999` line.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Iterator
from typing import Any

from parlint import __version__, noqa
from parlint.config import Config, load_config
from parlint.engine import INTERNAL_ERROR, PARSE_ERROR, lint_source

# (line, column 0-based, "PAR101 message", plugin type)
Flake8Result = tuple[int, int, str, type]

_STDIN_NAMES = frozenset({"stdin", "-", ""})
# directory -> configuration (or the error message that loading it produced)
_CONFIG_CACHE: dict[str, Config | str] = {}


class Plugin:
    name = "parlint"
    version = __version__

    def __init__(self, tree: Any, lines: list[str], filename: str) -> None:
        # `tree` (Python's ast) is unused: parlint needs libcst's concrete tree. Asking for it
        # makes flake8 run this plugin only on files that Python itself can parse.
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, manager: Any) -> None:
        try:
            from parlint.registry import all_rules

            off = [code for code, rule in all_rules().items() if not rule.default_enabled]
            if off:
                manager.extend_default_ignore(off)
        except Exception:  # noqa: BLE001 - an option hook must not abort flake8
            pass

    def run(self) -> Iterator[Flake8Result]:
        try:
            results = list(self._results())
        except Exception as exc:  # noqa: BLE001 - errors are values, never a flake8 abort
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            results = [
                (1, 0, f"{INTERNAL_ERROR[0]} internal error in parlint: {detail}", type(self))
            ]
        yield from results

    def _results(self) -> Iterator[Flake8Result]:
        source = "".join(self.lines)
        # The file-level `parlint: noqa` switch is parlint's own; flake8 would not see it.
        if noqa.file_is_suppressed(source):
            return
        config = config_for(self.filename)
        if isinstance(config, str):
            yield (1, 0, f"{INTERNAL_ERROR[0]} {config}", type(self))
            return
        result = lint_source(source, self.filename, config, respect_noqa=False)
        for finding in result.findings:
            if finding.code == PARSE_ERROR[0]:
                continue  # flake8's own E999 (or libcst lags behind Python's grammar)
            yield (finding.line, finding.column, f"{finding.code} {finding.message}", type(self))


def config_for(filename: str) -> Config | str:
    """The parlint configuration for `filename`, every rule enabled; an error message if broken."""
    directory = os.path.dirname(os.path.abspath(filename))
    if filename in _STDIN_NAMES or not os.path.isdir(directory):
        directory = os.getcwd()
    cached = _CONFIG_CACHE.get(directory)
    if cached is None:
        cached = _CONFIG_CACHE[directory] = _load(directory)
    return cached


def _load(directory: str) -> Config | str:
    """The configuration found walking up from `directory`; the defaults when there is none."""
    try:
        loaded = load_config([directory], cwd=directory)
    except Exception as exc:  # noqa: BLE001 - a broken config file is reported, not raised
        return f"cannot load parlint configuration: {exc}"
    return _every_rule(loaded)


def _every_rule(config: Config) -> Config:
    """flake8 decides what is reported: hand the engine every rule and no per-file ignores."""
    return dataclasses.replace(
        config, select=("ALL",), extend_select=(), ignore=(), per_file_ignores=(), _enabled=None
    )
