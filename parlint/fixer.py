"""Apply fixes: non-overlapping fixes per round, verified, repeated until nothing changes.

`fix_source(source, path, config)` is the pure core (text in, `FixResult` out) that every front
end uses; `fix_file(path, ...)` adds reading and the atomic write. A round whose output does not
parse, or no longer compiles, is reverted: the fixes of that round are tried one by one, the
ones that break the code are dropped and reported as PAR999 (naming the file and the rule), and
nothing broken is ever returned or written.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from parlint.config import Config
from parlint.engine import (
    INTERNAL_ERROR,
    analyse,
    apply_edits,
    error_finding,
    read_source,
    text_edits,
)
from parlint.rules.base import Rule
from parlint.types import Finding, FixResult, Safety

MAX_ROUNDS = 10
ERROR_CODES = ("PAR000", "PAR999")
GENERATED_MARKER = "@generated"


class _Broken(Exception):
    """A fixed text that does not parse or compile; the message says why."""


def fix_source(
    source: str,
    path: str,
    config: Config,
    *,
    unsafe: bool = False,
    respect_noqa: bool = True,
    max_rounds: int = MAX_ROUNDS,
    rule_classes: Sequence[type[Rule]] | None = None,
) -> FixResult:
    """Fix `source` (the text of `path`): safe fixes, or every applicable fix with `unsafe`.

    Display-only fixes are never applied. `rule_classes` overrides the configured selection
    (for tests). Never raises for bad input: errors are PAR000/PAR999 findings in the result.
    """
    must_compile = _compiles(source, path)
    current = source
    applied: list[Finding] = []
    errors: list[Finding] = []
    blocked: set[tuple[str, str, tuple]] = set()

    def run(text: str):
        return analyse(text, path, config, respect_noqa=respect_noqa, rule_classes=rule_classes)

    final = None  # the analysis of `current`, when the last round changed nothing
    for _ in range(max_rounds):
        analysed = run(current).result
        candidates = [f for f in analysed.findings if _wanted(f, unsafe) and _key(f) not in blocked]
        chosen = non_overlapping(candidates)
        if not chosen:
            final = analysed  # nothing left to apply: this is also the final analysis
            break
        try:
            new = _apply_verified(current, chosen, path, must_compile)
        except _Broken:
            # Find the culprits one at a time; keep what works, report what does not.
            good = []
            for finding in chosen:
                try:
                    _apply_verified(current, [finding], path, must_compile)
                except _Broken as exc:
                    blocked.add(_key(finding))
                    errors.append(_reverted(path, finding, str(exc)))
                else:
                    good.append(finding)
            try:
                new = _apply_verified(current, good, path, must_compile) if good else current
            except _Broken as exc:  # each works alone, not together: stop here, keep `current`
                errors.append(_reverted(path, good[0], f"fixes conflict: {exc}"))
                break
            chosen = good
        if new == current:
            blocked.update(_key(f) for f in chosen)  # a fix that changes nothing: never again
            final = None
            continue
        applied.extend(chosen)
        current = new
    if final is None:
        final = run(current).result
    remaining = tuple(f for f in final.findings if f.code not in ERROR_CODES)
    errors.extend(f for f in final.findings if f.code in ERROR_CODES)
    return FixResult(path, source, current, tuple(applied), remaining, tuple(errors))


def _wanted(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or not fix.applicable:
        return False
    return fix.safety is Safety.SAFE or (unsafe and fix.safety is Safety.UNSAFE)


def _key(finding: Finding) -> tuple[str, str, tuple]:
    """Identifies a fix across rounds whose line numbers may have moved."""
    assert finding.fix is not None
    return (finding.code, finding.message, tuple(e.content for e in finding.fix.edits))


def non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """A set of fixes whose edits touch disjoint lines, taken in source order.

    Edits are whole-line ranges; an insertion counts as touching the line it is inserted at, so
    two fixes never write at the same place in one round (the next round takes the other).
    """
    chosen: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        assert finding.fix is not None
        ranges = [
            (e.span.start.line, max(e.span.end.line, e.span.start.line + 1))
            for e in finding.fix.edits
        ]
        if any(a < d and c < b for a, b in ranges for c, d in taken):
            continue
        chosen.append(finding)
        taken.extend(ranges)
    return chosen


def _apply_verified(source: str, findings: Sequence[Finding], path: str, must_compile: bool) -> str:
    edits = [e for f in findings for e in f.fix.edits]  # type: ignore[union-attr]
    try:
        text = apply_edits(source, edits)
    except ValueError as exc:
        raise _Broken(str(exc)) from None
    imports = [i for f in findings for i in f.fix.imports]  # type: ignore[union-attr]
    module = _parse(text)
    if imports:
        context = CodemodContext()
        for module_name, obj, alias in dict.fromkeys(imports):
            AddImportsVisitor.add_needed_import(context, module_name, obj, alias)
        transformed = AddImportsVisitor(context).transform_module(module)
        # Apply only the lines the visitor changed: libcst's round trip drops a form feed that
        # starts a statement line, so taking its whole output would lose every one of them.
        text = apply_edits(text, text_edits(module.code, transformed.code))
        _parse(text)
    if must_compile:
        try:
            compile(text, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            raise _Broken(f"does not compile: {exc}") from None
    return text


def _parse(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "broken"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _Broken(f"does not parse: {first}") from None


def _compiles(source: str, path: str) -> bool:
    try:
        compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _reverted(path: str, finding: Finding, why: str) -> Finding:
    return error_finding(
        INTERNAL_ERROR,
        path,
        f"internal error in {finding.code}: its fix at {path}:{finding.line} was reverted, "
        f"the result {why}",
        finding.line,
        finding.column,
    )


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFix:
    """What fixing one file did. `result` is None when the file was skipped or unreadable."""

    path: str
    result: FixResult | None
    written: bool = False
    skipped: str | None = None  # why the file was left alone (generated, ...)
    errors: tuple[Finding, ...] = ()  # read / decode / write errors (the result has its own)

    @property
    def all_errors(self) -> tuple[Finding, ...]:
        return self.errors + (self.result.errors if self.result is not None else ())


def fix_file(
    path: str,
    config: Config,
    *,
    unsafe: bool = False,
    write: bool = True,
    include_generated: bool = False,
    roots: Sequence[str] | None = None,
    respect_noqa: bool = True,
) -> FileFix:
    """Fix one file in place (unless `write` is False), keeping encoding, BOM, newlines and mode.

    An unchanged file is not touched. A symlink is written through only when its target lies
    inside one of `roots` (the paths given on the command line; default: the current
    directory). Files containing `@generated` are skipped unless `include_generated`.
    """
    decoded = read_source(path)
    if isinstance(decoded, Finding):
        return FileFix(path, None, errors=(decoded,))
    if not include_generated and GENERATED_MARKER in decoded.source:
        return FileFix(path, None, skipped="generated")
    result = fix_source(decoded.source, path, config, unsafe=unsafe, respect_noqa=respect_noqa)
    if not result.changed or not write:
        return FileFix(path, result)
    target = os.path.realpath(path)
    if os.path.islink(path) and not _inside(target, roots or (os.getcwd(),)):
        error = error_finding(
            INTERNAL_ERROR, path, "not written: a symlink to a file outside the given paths"
        )
        return FileFix(path, result, errors=(error,))
    if _read_only(target):
        error = error_finding(INTERNAL_ERROR, path, "not written: the file is read-only")
        return FileFix(path, result, errors=(error,))
    try:
        write_atomic(target, result.fixed.encode(decoded.encoding))
    except (OSError, UnicodeEncodeError) as exc:
        message = getattr(exc, "strerror", None) or str(exc)
        return FileFix(path, result, errors=(error_finding(INTERNAL_ERROR, path, f"cannot write file: {message}"),))
    return FileFix(path, result, written=True)


def _read_only(target: str) -> bool:
    """A file nobody may write (or we may not): the atomic rename would replace it anyway (and
    root may write anything), so its mode is respected here."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False  # gone: the write reports it
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK)


def _inside(target: str, roots: Iterable[str]) -> bool:
    for root in roots:
        # A symlinked file named on the command line is the link, not what it points to:
        # naming `src/link.py` must not make its target outside the given paths writable.
        if os.path.islink(root) and not os.path.isdir(root):
            continue
        real = os.path.realpath(root)
        if target == real or target.startswith(real.rstrip(os.sep) + os.sep):
            return True
    return False


def write_atomic(target: str, data: bytes) -> None:
    """Replace `target` with `data`: a temporary file in the same folder, fsync, rename; the
    file mode is kept."""
    mode = stat.S_IMODE(os.stat(target).st_mode)
    folder, name = os.path.split(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".parlint-tmp", dir=folder or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@dataclass(frozen=True)
class FixSettings:
    """Everything `fix_file` needs besides the path; picklable for the process pool."""

    config: Config
    unsafe: bool = False
    write: bool = True
    include_generated: bool = False
    roots: tuple[str, ...] = ()
    respect_noqa: bool = True


def fix_one(path: str, settings: FixSettings) -> FileFix:
    try:
        return fix_file(
            path,
            settings.config,
            unsafe=settings.unsafe,
            write=settings.write,
            include_generated=settings.include_generated,
            roots=settings.roots or None,
            respect_noqa=settings.respect_noqa,
        )
    except Exception as exc:  # noqa: BLE001 - one file's crash must not stop the run
        message = f"internal error while fixing: {type(exc).__name__}: {exc}"
        return FileFix(path, None, errors=(error_finding(INTERNAL_ERROR, path, message),))


def fix_files(
    paths: Sequence[str],
    settings: FixSettings,
    *,
    jobs: int | None = None,
    on_done=None,
) -> list[FileFix]:
    """Fix every path, in a process pool when there are many (the runner's threshold and
    warm-up); results in the order of `paths`. `on_done()` is called once per finished file
    (for a progress bar)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from parlint import runner

    def done(outcome: FileFix) -> FileFix:
        if on_done is not None:
            on_done()
        return outcome

    jobs = runner.default_jobs() if jobs is None or jobs <= 0 else jobs
    threshold = getattr(runner, "POOL_THRESHOLD", 16)
    if jobs == 1 or len(paths) < threshold:
        return [done(fix_one(path, settings)) for path in paths]
    warm = getattr(runner, "_warm", None)
    if warm is not None:
        warm()  # forked workers inherit the warmed parser
    outcomes: dict[int, FileFix] = {}
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), initializer=warm) as pool:
            futures = {pool.submit(fix_one, path, settings): i for i, path in enumerate(paths)}
            for future in as_completed(futures):
                outcomes[futures[future]] = done(future.result())
    except (OSError, RuntimeError):  # no processes here: go on in-process with what is left
        for i, path in enumerate(paths):
            if i not in outcomes:
                outcomes[i] = done(fix_one(path, settings))
    return [outcomes[i] for i in range(len(paths))]
