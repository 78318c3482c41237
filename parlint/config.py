"""The resolved configuration: one frozen value shared by every front end.

The loader (`load_config`) reads `[tool.parlint]` in pyproject.toml or `.parlint.yaml`, validates
every key strictly and merges the command line on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

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
        from parlint.registry import declared_options

        return declared_options()[name].default

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
