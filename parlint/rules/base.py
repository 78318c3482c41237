"""The rule model (after Fixit 2): one rule is one class in one module.

A rule is a libcst `BatchableCSTVisitor`: the engine runs every selected rule in one batched
traversal of one `MetadataWrapper`. A rule detects and describes; it never edits. It calls
`self.report(node, message, fix=...)`, where a fix is a `FixSpec`: node replacements plus a
safety level. The engine turns a `FixSpec` into text edits (data) and the fixer applies them.

The class docstring is the rule's documentation, with the sections in `DOC_SECTIONS`; `VALID` and
`INVALID` are its examples and its tests: every `Invalid` pins the exact position (and, for a
fixable example, the fixed code).
"""

from __future__ import annotations

import textwrap
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import libcst as cst

from parlint.types import Option, Safety

DOC_SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "Known problems",
)


@dataclass(frozen=True)
class Valid:
    code: str


@dataclass(frozen=True)
class Invalid:
    code: str
    line: int  # 1-based, of the dedented example
    column: int  # 0-based
    message: str | None = None  # exact message when given
    fixed: str | None = None  # the code after `parlint fix --unsafe-fixes` when given
    safety: Safety | None = None  # the fix's safety when given


@dataclass(frozen=True)
class Replacement:
    """Replace `old` (or the run of sibling statements `old` .. `last`) by `new`.

    `new` is a node or a sequence of statements (several statements may replace one run); an
    empty sequence deletes.
    """

    old: cst.CSTNode
    new: cst.CSTNode | Sequence[cst.CSTNode]
    last: cst.CSTNode | None = None


@dataclass(frozen=True)
class FixSpec:
    message: str
    safety: Safety
    replacements: tuple[Replacement, ...] = ()
    imports: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass
class Report:
    node: cst.CSTNode
    message: str
    fix: FixSpec | None = None


@dataclass
class RuleContext:
    """What a rule may read besides the tree: the file, the config, its own options."""

    path: str
    source: str
    module: cst.Module
    wrapper: Any  # libcst.metadata.MetadataWrapper
    config: Any  # parlint.config.Config

    def option(self, name: str) -> Any:
        return self.config.option(name)


# Rule class -> the names of its visit_*/leave_* methods (see Rule.get_visitors).
_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


class Rule(cst.BatchableCSTVisitor):
    """Base class of every rule. Subclasses set the class attributes and visit methods."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""  # kebab-case, e.g. "sequential-independent-awaits"
    summary: ClassVar[str] = ""  # one line for tables and SARIF shortDescription
    default_enabled: ClassVar[bool] = True
    fixable: ClassVar[bool] = False  # "sometimes" fixable counts as fixable
    visits: ClassVar[bool] = True  # False for PAR000/PAR999, which the engine emits itself
    options: ClassVar[tuple[Option, ...]] = ()
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, context: RuleContext) -> None:
        super().__init__()
        self.context = context
        self.reports: list[Report] = []
        # Set by the engine's guard when a visit method raised: the rule is then skipped for the
        # rest of the file and its reports are dropped (PAR999), the other rules go on.
        self.crash: BaseException | None = None
        self.crash_traceback: str = ""

    def report(self, node: cst.CSTNode, message: str, *, fix: FixSpec | None = None) -> None:
        self.reports.append(Report(node, message, fix))

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], object]]:
        """Every visit/leave method, guarded so that one rule's crash cannot stop the others.

        libcst finds them with `inspect.getmembers` over the ~400 attributes of a visitor (about
        1 ms per rule and file); a class's methods do not change, so that runs once per class.
        """
        names = _VISITOR_NAMES.get(type(self))
        if names is None:
            names = _VISITOR_NAMES[type(self)] = tuple(super().get_visitors())
        return {name: self._guard(getattr(self, name)) for name in names}

    def _guard(self, method: Callable[[cst.CSTNode], object]) -> Callable[[cst.CSTNode], object]:
        def guarded(node: cst.CSTNode) -> object:
            if self.crash is not None:
                return None
            try:
                return method(node)
            except RecursionError as exc:  # deep trees: reported like any crash
                self._crashed(exc)
            except Exception as exc:  # noqa: BLE001 - errors are values (PAR999)
                self._crashed(exc)
            return None

        return guarded

    def _crashed(self, exc: BaseException) -> None:
        self.crash = exc
        self.crash_traceback = traceback.format_exc()

    @classmethod
    def doc(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its `## Section` parts."""
        sections: dict[str, str] = {}
        current: str | None = None
        lines: list[str] = []
        for line in cls.doc().splitlines():
            if line.startswith("## "):
                if current is not None:
                    sections[current] = "\n".join(lines).strip()
                current, lines = line[3:].strip(), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            sections[current] = "\n".join(lines).strip()
        return sections
