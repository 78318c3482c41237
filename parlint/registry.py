"""Code -> rule class. Every module in `parlint/rules/` named `parNNN_*.py` holds one rule.

Importing the rules imports libcst and the analysis (~0.2 s): what configuration and selection
need (codes, default states, options) comes from the generated `parlint/rule_index.py` until
something asks for the rule classes themselves, so that a run whose results all come from the
cache never imports them. Once loaded, the classes are the truth (tests add rule doubles).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING, Iterable

from parlint.types import Option

if TYPE_CHECKING:
    from parlint.rules.base import Rule

# Codes that the engine emits itself rather than a visitor: they are documented rules too.
ERROR_CODES = ("PAR000", "PAR999")


class UnknownCode(ValueError):
    """A selector that matches no rule code, with a suggestion."""

    def __init__(self, selector: str, suggestion: str | None) -> None:
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        super().__init__(f"unknown rule code or prefix {selector!r}{hint}")
        self.selector = selector
        self.suggestion = suggestion


@functools.lru_cache(maxsize=None)
def _load() -> dict[str, type[Rule]]:
    import parlint.rules
    from parlint.rules.base import Rule

    rules: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(parlint.rules.__path__):
        if not info.name.startswith("par"):
            continue
        module = importlib.import_module(f"parlint.rules.{info.name}")
        found = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.code
            and obj.__module__ == module.__name__
        ]
        if len(found) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one rule, found {len(found)}")
        rule = found[0]
        if rule.code in rules:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return dict(sorted(rules.items()))


def all_rules() -> dict[str, type[Rule]]:
    return _load()


def get_rule(code: str) -> type[Rule]:
    rules = _load()
    if code not in rules:
        raise UnknownCode(code, _suggest(code))
    return rules[code]


def rules_loaded() -> bool:
    return _load.cache_info().currsize > 0


def _facts() -> dict[str, tuple[str, bool, tuple[Option, ...]]]:
    """code -> (module, default_enabled, options), without importing the rules when they are
    not loaded yet."""
    if rules_loaded():
        return {
            code: (rule.__module__.rsplit(".", 1)[-1], rule.default_enabled, tuple(rule.options))
            for code, rule in _load().items()
        }
    from parlint.rule_index import RULES

    return RULES


def all_codes() -> tuple[str, ...]:
    return tuple(_facts())


def _suggest(selector: str) -> str | None:
    matches = difflib.get_close_matches(selector.upper(), list(_facts()) + ["ALL"], n=1, cutoff=0.5)
    return matches[0] if matches else None


def check_selector(selector: str) -> str:
    """Return the normalised selector, or raise UnknownCode."""
    normal = selector.strip().upper()
    if normal == "ALL" or (normal.startswith("PAR") and any(c.startswith(normal) for c in _facts())):
        return normal
    if not rules_loaded():  # a rule newer than the index: ask the classes
        _load()
        return check_selector(selector)
    raise UnknownCode(selector, _suggest(selector))


def matches(code: str, selectors: Iterable[str]) -> bool:
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector matching `code` (ALL counts as 0), -1 when none does."""
    best = -1
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best


def enabled_codes(
    select: Iterable[str] | None, extend_select: Iterable[str] = (), ignore: Iterable[str] = ()
) -> frozenset[str]:
    """Resolve selectors like ruff: the most specific selector wins, ignore wins a tie.

    With `select` unset, the default set is every rule that is on by default.
    """
    select = None if select is None else [check_selector(s) for s in select]
    extend = [check_selector(s) for s in extend_select]
    ignore = [check_selector(s) for s in ignore]
    enabled = set()
    for code, (_module, default_enabled, _options) in _facts().items():
        if select is None:
            on = default_enabled
            on_spec = 0 if on else -1
        else:
            on_spec = _specificity(code, select)
        on_spec = max(on_spec, _specificity(code, extend))
        off_spec = _specificity(code, ignore)
        if on_spec >= 0 and on_spec > off_spec:
            enabled.add(code)
    return frozenset(enabled)


# (what it was built from, the options): `Config.option` asks on every lookup of a default.
# Keyed on the rule classes once loaded, since tests register rule doubles in `_load()`'s dict.
_declared: tuple[object, dict[str, Option]] | None = None


def declared_options() -> dict[str, Option]:
    """Every configuration key a rule or the analysis declares, by name (do not mutate)."""
    global _declared
    source: object = tuple(_load().values()) if rules_loaded() else "index"
    if _declared is not None and _declared[0] == source:
        return _declared[1]
    options = _build_declared_options(facts[2] for facts in _facts().values())
    _declared = (source, options)
    return options


def option_default(name: str) -> object:
    """The default of a declared option (loading the rules when the index does not know it)."""
    options = declared_options()
    if name not in options and not rules_loaded():
        _load()
        options = declared_options()
    return options[name].default


def _build_declared_options(per_rule: Iterable[tuple[Option, ...]]) -> dict[str, Option]:
    from parlint.analysis.options import ANALYSIS_OPTIONS
    from parlint.config import CORE_OPTIONS

    options: dict[str, Option] = {}
    for option in (*CORE_OPTIONS, *ANALYSIS_OPTIONS):
        options[option.name] = option
    for rule_options in per_rule:
        for option in rule_options:
            if option.name in options and options[option.name] != option:
                raise RuntimeError(f"option {option.name} declared twice with different meanings")
            options[option.name] = option
    return options


INDEX_HEADER = (
    "# GENERATED by scripts/generate_rule_index.py from the rule classes: do not edit.\n"
    '"""What the registry needs of every rule (module, default state, options) without importing\n'
    'the rules, and with them libcst: see parlint/registry.py."""\n\n'
    "from parlint.types import Option\n\n"
)


def render_index() -> str:
    """The text of `parlint/rule_index.py` for the rules as they are."""
    out = [INDEX_HEADER, "RULES = {\n"]
    for code, rule in _load().items():
        module = rule.__module__.rsplit(".", 1)[-1]
        out.append(f"    {code!r}: ({module!r}, {rule.default_enabled!r}, (\n")
        out.extend(f"        {option!r},\n" for option in rule.options)
        out.append("    )),\n")
    out.append("}\n")
    return "".join(out)
