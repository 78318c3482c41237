"""The values every part of parlint passes around.

All are frozen, picklable dataclasses so that results can cross a process pool, be cached on
disk and be compared in tests. Positions follow libcst: lines are 1-based, columns 0-based (the
output formatters convert to whatever their format wants).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Safety(str, enum.Enum):
    """How confidently a fix may be applied (ruff's "applicability")."""

    SAFE = "safe"  # applied by `parlint fix`
    UNSAFE = "unsafe"  # applied only with `--unsafe-fixes`
    DISPLAY_ONLY = "display-only"  # never applied; shown as a suggestion

    @property
    def rank(self) -> int:
        return {"safe": 0, "unsafe": 1, "display-only": 2}[self.value]


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 0-based


@dataclass(frozen=True, order=True)
class Span:
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return cls(Position(line, column), Position(end_line, end_column))


@dataclass(frozen=True)
class Edit:
    """Replace the text between `span.start` and `span.end` with `content`."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    """A fix is data: text edits plus the imports they need, with a safety level."""

    message: str
    safety: Safety
    edits: tuple[Edit, ...] = ()
    # (module, name, alias): ("asyncio", None, None) is `import asyncio`;
    # ("itertools", "batched", None) is `from itertools import batched`.
    imports: tuple[tuple[str, str | None, str | None], ...] = ()
    # The engine was asked not to build the edits (`check` without an output that shows them:
    # rendering and diffing the module is most of a fix's cost): `edits` is empty, and the fix
    # has node replacements that `analyse(..., build_fixes=True)` would turn into edits.
    deferred: bool = False

    @property
    def applicable(self) -> bool:
        return self.safety is not Safety.DISPLAY_ONLY and (bool(self.edits) or self.deferred)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    path: str
    span: Span
    fix: Fix | None = None

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def column(self) -> int:
        return self.span.start.column

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.start.line, self.span.start.column, self.code)


@dataclass(frozen=True)
class Dependency:
    """Another file whose facts a result used (`parlint.analysis.project`): its absolute path,
    and its content hash and stat when it was read (`digest` None: it did not exist). `racy`:
    the stat was too recent to be trusted alone (see `runner.RACY_NS`)."""

    path: str
    digest: str | None = None
    stat: tuple[int, int, int, int] | None = None
    racy: bool = False


@dataclass(frozen=True)
class FileResult:
    """What linting one file produced. `findings` includes PAR000/PAR999 error findings."""

    path: str
    findings: tuple[Finding, ...] = ()
    # Set when the file could not be read, decoded or parsed (a PAR000 finding is in findings too).
    error: str | None = None
    # Debug tracebacks of PAR999 internal errors, only shown with --debug.
    tracebacks: tuple[str, ...] = field(default=(), compare=False)
    # Other files of the project the result used facts of: it holds while they are unchanged.
    dependencies: tuple[Dependency, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FixResult:
    """What fixing one file produced."""

    path: str
    original: str
    fixed: str
    applied: tuple[Finding, ...]  # findings whose fixes were applied
    remaining: tuple[Finding, ...]  # findings left after fixing
    errors: tuple[Finding, ...] = ()  # PAR000 / PAR999 (e.g. a reverted round)

    @property
    def changed(self) -> bool:
        return self.original != self.fixed


@dataclass(frozen=True)
class Option:
    """A configuration key declared by the core, the analysis or a rule.

    `kind` is one of "int", "bool", "str", "str-list", "choice"; `choices` for "choice".
    The key is kebab-case and equals the CLI's long flag where there is one.
    """

    name: str
    kind: str
    default: object
    help: str
    owner: str = "core"  # "core", "analysis" or a rule code
    choices: tuple[str, ...] = ()
    minimum: int | None = None
