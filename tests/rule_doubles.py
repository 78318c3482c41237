"""Test-only rules: small, predictable, registered by monkeypatching the registry."""

from __future__ import annotations

import libcst as cst
import pytest

from parlint import registry
from parlint.rules.base import FixSpec, Invalid, Replacement, Rule, Valid
from parlint.types import Option, Safety

# Deliberately not real parlint rules: they exist to test the engine's front ends.
FAKE_OPTION = Option("fake-limit", "int", 3, "Test-only option.", owner="PAR990", minimum=0)
# One option of every other kind, owned by PAR991.
FAKE_OPTIONS_BY_KIND = (
    Option("fake-flag", "bool", False, "Test-only bool.", owner="PAR991"),
    Option("fake-name", "str", "x", "Test-only str.", owner="PAR991"),
    Option("fake-patterns", "str-list", ("a*",), "Test-only str-list.", owner="PAR991"),
    Option("fake-style", "choice", "one", "Test-only choice.", owner="PAR991", choices=("one", "two")),
)


class AwaitFetch(Rule):
    """
    ## What it does
    Reports every `await fetch_*()` (a test double).

    ## Why is this bad?
    It is not; it is predictable.

    ## Example
    ```python
    async def f():
        await fetch_a()
    ```

    ## Use instead
    ```python
    async def f():
        fetch_a()
    ```

    ## Fix safety
    Unsafe.

    ## Options
    `fake-limit`.

    ## Known problems
    None.
    """

    code = "PAR990"
    name = "await-fetch"
    summary = "Await of a fetch_* call (test double)"
    fixable = True
    options = (FAKE_OPTION,)
    VALID = (Valid("async def f():\n    await other()\n"),)
    INVALID = (Invalid("async def f():\n    await fetch_a()\n", line=2, column=4),)

    def visit_Await(self, node: cst.Await) -> None:
        call = node.expression
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value.startswith("fetch_")
        ):
            fix = FixSpec("Drop the await", Safety.UNSAFE, (Replacement(node, call),))
            self.report(node, f"await of {call.func.value}()", fix=fix)


class Explodes(Rule):
    """
    ## What it does
    Crashes inside functions named `explode*` (a test double).
    """

    code = "PAR991"
    name = "explodes"
    summary = "Crashes on purpose (test double)"
    options = FAKE_OPTIONS_BY_KIND

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value.startswith("explode"):
            raise ValueError("boom")


FAKE_RULES = (AwaitFetch, Explodes)


def install_fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = registry._load()  # the cached dict every lookup reads
    for rule in FAKE_RULES:
        monkeypatch.setitem(rules, rule.code, rule)
