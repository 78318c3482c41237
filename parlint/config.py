"""The resolved configuration: one frozen value shared by every front end.

The loader (`load_config`) reads `[tool.parlint]` in pyproject.toml or `.parlint.yaml`, validates
every key strictly and merges the command line on top. A bad value is never ignored: it raises
`ConfigError` with one line naming the file and the key (the CLI prints it and exits 2).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from parlint import registry
from parlint.codemods.options import CODEMOD_OPTIONS
from parlint.types import Option

TARGET_VERSIONS = tuple(f"py3{minor}" for minor in range(9, 15))

CORE_OPTIONS: tuple[Option, ...] = (
    Option("max-concurrency", "int", 5, "The bound that fixes use for concurrent work.", minimum=1),
    Option(
        "target-version",
        "choice",
        "py39",
        "The oldest Python the analysed code must run on; decides what fixes may emit.",
        choices=TARGET_VERSIONS,
    ),
    *CODEMOD_OPTIONS,  # fix-style (owned by parlint/codemods/options.py)
)


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: the rules that are on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, selectors)
    exclude: tuple[str, ...] | None = None  # None: the default excludes
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply the excludes to files named on the command line too
    # Every declared option's value, defaults filled in (see `registry.declared_options`).
    values: tuple[tuple[str, Any], ...] = ()
    # Where the configuration came from (None: defaults / --isolated).
    source: str | None = None
    root: str = "."
    _enabled: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def option(self, name: str) -> Any:
        for key, value in self.values:
            if key == name:
                return value
        from parlint.registry import option_default

        return option_default(name)

    @property
    def max_concurrency(self) -> int:
        return int(self.option("max-concurrency"))

    @property
    def target_version(self) -> tuple[int, int]:
        name = self.option("target-version")
        return (3, int(name[3:]))

    def enabled_codes(self) -> frozenset[str]:
        if self._enabled is None:
            from parlint.registry import enabled_codes

            object.__setattr__(
                self, "_enabled", enabled_codes(self.select, self.extend_select, self.ignore)
            )
        assert self._enabled is not None
        return self._enabled

    def with_values(self, **values: Any) -> Config:
        """A copy with options set, keys in snake_case or kebab-case."""
        merged = dict(self.values)
        for key, value in values.items():
            merged[key.replace("_", "-")] = value
        return replace(self, values=tuple(sorted(merged.items())), _enabled=None)

    def with_values_map(self, values: Mapping[str, Any]) -> Config:
        return self.with_values(**dict(values))


DEFAULT = Config()


# --- loading and strict validation -----------------------------------------------------------

# Where a configuration may live, in the order looked for in each directory walking up.
CONFIG_FILES = (".parlint.yaml", ".parlint.yml", "pyproject.toml")

# Directories and files never worth linting (ruff's list plus parlint's own cache). Patterns
# without a slash match a file or directory of that name at any depth.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    "*.egg-info",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".parlint_cache",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class ConfigError(Exception):
    """A configuration problem, as one line naming where it came from and the key."""


@dataclass(frozen=True)
class Setting:
    """A configuration key of the front end (selection and discovery), not a declared Option."""

    name: str
    kind: str  # "codes", "globs", "bool", "per-file-ignores"
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("select", "codes", "Rule codes or prefixes to enable (ALL for every rule)."),
    Setting("extend-select", "codes", "Rule codes or prefixes to enable on top of `select`."),
    Setting("ignore", "codes", "Rule codes or prefixes to disable."),
    Setting("per-file-ignores", "per-file-ignores", "Glob -> codes to disable in matching files."),
    Setting("exclude", "globs", "Files and directories to skip (replaces the default list)."),
    Setting("extend-exclude", "globs", "Files and directories to skip on top of `exclude`."),
    Setting("respect-gitignore", "bool", "Skip files that .gitignore files ignore."),
    Setting("force-exclude", "bool", "Apply the excludes to files named on the command line."),
)
_SETTING_NAMES = {s.name: s for s in SETTINGS}


def known_keys() -> dict[str, Setting | Option]:
    """Every valid configuration key: the front end's settings and every declared option."""
    from parlint.registry import declared_options

    return {**_SETTING_NAMES, **declared_options()}


def _check_codes(value: object, where: str) -> tuple[str, ...]:
    from parlint.registry import UnknownCode, check_selector

    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: expected a list of rule codes, got {_describe(value)}")
    codes = []
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: expected a list of rule codes, got {_describe(item)} in it")
        try:
            codes.append(check_selector(item))
        except UnknownCode as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return tuple(codes)


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable glob, or None. Globs follow .gitignore syntax."""
    if not pattern.strip():
        return "an empty pattern"
    if "{" in pattern or "}" in pattern:
        return "brace expansion ({a,b}) is not supported; list the patterns separately"
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            j = i + 1
            if pattern[j : j + 1] in ("!", "^"):
                j += 1
            if pattern[j : j + 1] == "]":  # a leading ']' is literal
                j += 1
            end = pattern.find("]", j)
            if end < 0:
                return "an unclosed '['"
            i = end + 1
            continue
        elif char == "]":
            return "a ']' without '['"
        i += 1
    return None


def _check_globs(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: expected a list of glob patterns, got {_describe(value)}")
    globs = []
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: expected a list of glob patterns, got {_describe(item)}")
        problem = glob_problem(item)
        if problem:
            raise ConfigError(f"{where}: bad glob {item!r}: {problem}")
        globs.append(item)
    return tuple(globs)


def _check_option(option: Option, value: object, where: str) -> object:
    kind = option.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {_describe(value)}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {_describe(value)}")
        if option.minimum is not None and value < option.minimum:
            raise ConfigError(f"{where}: must be at least {option.minimum}, got {value}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {_describe(value)}")
        return value
    if kind == "str-list":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list of strings, got {_describe(value)}")
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where}: expected a list of strings, got a non-string in it")
        return tuple(value)
    if kind == "choice":
        if not isinstance(value, str) or value not in option.choices:
            choices = ", ".join(option.choices)
            raise ConfigError(f"{where}: expected one of {choices}, got {_describe(value)}")
        return value
    raise ConfigError(f"{where}: option declared with an unknown kind {kind!r}")  # pragma: no cover


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value} (a number)"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def validate(raw: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """Check every key and value of one configuration layer; return them normalised.

    `origin` names the layer in error messages ("pyproject.toml [tool.parlint]", "command line").
    """
    keys = known_keys()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(key, str) and key not in keys and not registry.rules_loaded():
            registry.all_rules()  # an option newer than the rule index: ask the rules
            keys = known_keys()
        if not isinstance(key, str) or key not in keys:
            hint = difflib.get_close_matches(str(key).replace("_", "-"), list(keys), n=1, cutoff=0.6)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(f"{origin}: unknown key {str(key)!r}{suggestion}")
        where = f"{origin}: {key}"
        spec = keys[key]
        if isinstance(spec, Option):
            values[key] = _check_option(spec, value, where)
        elif spec.kind == "codes":
            values[key] = _check_codes(value, where)
        elif spec.kind == "globs":
            values[key] = _check_globs(value, where)
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {_describe(value)}")
            values[key] = value
        elif spec.kind == "per-file-ignores":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: expected a table of glob = [codes], got {_describe(value)}")
            pairs = []
            for pattern, codes in value.items():
                problem = glob_problem(str(pattern))
                if problem:
                    raise ConfigError(f"{where}: bad glob {pattern!r}: {problem}")
                pairs.append((str(pattern), _check_codes(codes, f"{where}: {pattern}")))
            values[key] = tuple(pairs)
    return values


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot parse TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_config_file(path: Path) -> tuple[dict[str, Any], str] | None:
    """The raw parlint table of one file and its origin label; None for a pyproject.toml
    without a [tool.parlint] table (such a file is not a parlint configuration)."""
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "syntax error"
            raise ConfigError(f"{path}: cannot parse YAML: {first}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: cannot read: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        if data is None:
            return {}, str(path)
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
        return data, str(path)
    data = _read_toml(path)
    # A [tool] table makes any TOML file pyproject-style (`--config pyproject.ci.toml`).
    if path.name == "pyproject.toml" or "tool" in data:
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "parlint" not in tool:
            return None
        table = tool["parlint"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.parlint] must be a table")
        return table, f"{path} [tool.parlint]"
    return data, str(path)


def find_config_file(start: Path) -> Path | None:
    """The nearest configuration walking up from `start` (a directory)."""
    for directory in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file():
                if name == "pyproject.toml" and read_config_file(candidate) is None:
                    continue
                return candidate
    return None


def _search_start(paths: Sequence[str], cwd: Path) -> Path:
    """Where to start looking: the deepest directory holding every path (cwd for none)."""
    dirs = []
    for path in paths:
        if path == "-":
            continue
        absolute = Path(os.path.abspath(cwd / path))
        dirs.append(absolute if absolute.is_dir() else absolute.parent)
    if not dirs:
        return cwd
    try:
        return Path(os.path.commonpath([str(d) for d in dirs]))
    except ValueError:  # different drives
        return dirs[0]


def load_config(
    paths: Sequence[str] = (),
    *,
    config_file: str | os.PathLike[str] | None = None,
    isolated: bool = False,
    overrides: Mapping[str, Any] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Config:
    """Find, read and validate the configuration for `paths`, with `overrides` (the command
    line, kebab-case keys) on top. Raises ConfigError for any problem.

    Layering, as ruff does it: a `select` on the command line starts the selection afresh (the
    file's select, extend-select and ignore are dropped); otherwise the command line's
    extend-select and ignore add to the file's. Other keys given on the command line replace
    the file's value, except `extend-exclude` and `per-file-ignores`, which add to it.
    """
    here = Path(os.path.abspath(cwd or os.getcwd()))
    file_values: dict[str, Any] = {}
    source: str | None = None
    root = here
    if config_file is not None and not isolated:
        path = Path(os.path.abspath(here / config_file))
        if path.is_dir():
            inside = [name for name in CONFIG_FILES if (path / name).is_file()]
            hint = (
                f"did you mean {Path(config_file) / inside[0]}?"
                if inside
                else "give its pyproject.toml or .parlint.yaml"
            )
            raise ConfigError(f"{config_file}: is a directory, not a configuration file ({hint})")
        if path.exists() and not path.is_file():  # a FIFO would block the run, /dev/null hide it
            raise ConfigError(f"{config_file}: not a regular file")
        if not path.is_file():
            raise ConfigError(f"{config_file}: configuration file not found")
        found = read_config_file(path)
        if found is None:
            raise ConfigError(f"{config_file}: has no [tool.parlint] table")
        file_values = validate(found[0], found[1])
        source, root = str(path), path.parent
    elif not isolated:
        path = find_config_file(_search_start(paths, here))
        if path is not None:
            found = read_config_file(path)
            assert found is not None
            file_values = validate(found[0], found[1])
            source, root = str(path), path.parent
    cli_values = validate(
        {k: v for k, v in (overrides or {}).items() if v is not None}, "command line"
    )
    return build_config(file_values, cli_values, source=source, root=root)


def build_config(
    file_values: Mapping[str, Any],
    cli_values: Mapping[str, Any] = {},
    *,
    source: str | None = None,
    root: Path | str = ".",
) -> Config:
    """Merge validated layers into one Config (see `load_config` for the layering)."""
    if "select" in cli_values:
        select: tuple[str, ...] | None = cli_values["select"]
        extend = tuple(cli_values.get("extend-select", ()))
        ignore = tuple(cli_values.get("ignore", ()))
    else:
        select = file_values.get("select")
        extend = (*file_values.get("extend-select", ()), *cli_values.get("extend-select", ()))
        ignore = (*file_values.get("ignore", ()), *cli_values.get("ignore", ()))
    merged = {**file_values, **cli_values}
    per_file = (*file_values.get("per-file-ignores", ()), *cli_values.get("per-file-ignores", ()))
    extend_exclude = (
        *file_values.get("extend-exclude", ()),
        *cli_values.get("extend-exclude", ()),
    )
    option_values = {
        key: value for key, value in merged.items() if key not in _SETTING_NAMES
    }
    config = Config(
        select=select,
        extend_select=extend,
        ignore=ignore,
        # Globs are relative to the configuration's directory ("/tests/*" and "tests/*" alike).
        per_file_ignores=tuple((glob.lstrip("/"), codes) for glob, codes in per_file),
        exclude=merged.get("exclude"),
        extend_exclude=extend_exclude,
        respect_gitignore=merged.get("respect-gitignore", True),
        force_exclude=merged.get("force-exclude", False),
        source=source,
        root=str(root),
    )
    config = config.with_values_map(option_values)
    # Resolve the selection now so that a conflicting selector fails here, not mid-run.
    config.enabled_codes()
    return config


@dataclass(frozen=True)
class RuleState:
    code: str
    enabled: bool
    reason: str


def rule_states(config: Config) -> list[RuleState]:
    """Why each rule is on or off under `config` (for `parlint config`)."""
    from parlint.registry import all_rules

    enabled = config.enabled_codes()
    states = []
    for code in all_rules():
        on_by, off_by = _best(code, config.select), _best(code, config.ignore)
        ext = _best(code, config.extend_select)
        if code in enabled:
            if ext is not None and (on_by is None or len(ext) > len(on_by)):
                reason = f"selected by {ext!r} in extend-select"
            elif on_by is not None:
                reason = f"selected by {on_by!r} in select"
            else:
                reason = "on by default"
        elif off_by is not None:
            reason = f"ignored by {off_by!r} in ignore"
        elif config.select is not None:
            reason = "not matched by select"
        else:
            reason = "off by default (enable it with select or extend-select)"
        if code in enabled and config.per_file_ignores:
            globs = [g for g, codes in config.per_file_ignores if any(_hit(code, c) for c in codes)]
            if globs:
                reason += f"; off in files matching {', '.join(globs)} (per-file-ignores)"
        states.append(RuleState(code, code in enabled, reason))
    return states


def _hit(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _best(code: str, selectors: Iterable[str] | None) -> str | None:
    best: str | None = None
    for sel in selectors or ():
        if _hit(code, sel) and (best is None or (sel != "ALL" and (best == "ALL" or len(sel) > len(best)))):
            best = sel
    return best


def resolved_values(config: Config) -> dict[str, Any]:
    """Every configuration key with its resolved value (for `parlint config`)."""
    from parlint.registry import declared_options

    values: dict[str, Any] = {
        "select": list(config.select) if config.select is not None else None,
        "extend-select": list(config.extend_select),
        "ignore": list(config.ignore),
        "per-file-ignores": {glob: list(codes) for glob, codes in config.per_file_ignores},
        "exclude": list(config.exclude if config.exclude is not None else DEFAULT_EXCLUDES),
        "extend-exclude": list(config.extend_exclude),
        "respect-gitignore": config.respect_gitignore,
        "force-exclude": config.force_exclude,
    }
    for name in sorted(declared_options()):
        value = config.option(name)
        values[name] = list(value) if isinstance(value, tuple) else value
    return values
