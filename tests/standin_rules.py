"""A stand-in PAR101 for front-end tests, used only while the real rule is not in the registry.

The flake8, baseline and add-noqa tests need a rule that reports something; they must not
depend on how the real PAR101 decides independence, so they use sources on which any PAR101
reports (two independent awaits in a row) and read the positions from the engine. Once
`parlint/rules/par101_*.py` exists, `install()` does nothing and the tests run the real rule.
"""

from __future__ import annotations

import itertools

import libcst as cst

from parlint import registry
from parlint.rules.base import Rule

# The PAR101 case every front-end test uses: two independent awaits in a row.
SEQUENTIAL = """\
async def load(uid):
    a = await fetch_user(uid)
    b = await fetch_orders(uid)
    return a, b
"""


class StandInSequentialAwaits(Rule):
    """Flags the first of two statements in a row that each await (no dependency analysis)."""

    code = "PAR101"
    name = "sequential-independent-awaits"
    summary = "Sequential awaits that do not depend on each other (test stand-in)"

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        body = list(node.body)
        for first, second in itertools.pairwise(body):
            first_awaits, _, assigned = _facts(first)
            second_awaits, used, _ = _facts(second)
            if first_awaits and second_awaits and not assigned & used:
                self.report(first, "2 independent awaits run one after the other")


def _facts(statement: cst.CSTNode) -> tuple[bool, set[str], set[str]]:
    """(awaits?, names read, names assigned) of a simple statement."""
    awaits: list[cst.Await] = []
    used: set[str] = set()
    assigned: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Await(self, node: cst.Await) -> None:
            awaits.append(node)

        def visit_Name(self, node: cst.Name) -> None:
            used.add(node.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                assigned.add(node.target.value)

    if isinstance(statement, cst.SimpleStatementLine):
        statement.visit(Finder())
    return bool(awaits), used, assigned


def install() -> None:
    rules = registry.all_rules()
    if "PAR101" not in rules:
        rules["PAR101"] = StandInSequentialAwaits
