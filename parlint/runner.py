"""Find the files to lint and lint them: in-process for a few, on a process pool for many.

Discovery walks directories for `.py`/`.pyi` files, skipping the configured excludes and what
`.gitignore` files ignore (matched here with git's rules: nested files, negation, directory-only
and anchored patterns, `**`). Files named explicitly are always linted unless `force-exclude`.
Paths are deduplicated and sorted, and results come back in that order, as plain values.

`lint_file` is the one place where a file's result is computed (and where a cache plugs in).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from parlint.config import DEFAULT_EXCLUDES, Config
from parlint.types import FileResult, Finding

if TYPE_CHECKING:
    from parlint.engine import Decoded

# The engine (and with it libcst and the rules) is imported when the first file is linted, not
# with this module: a run whose results all come from the cache's stat index never needs it.


def read_source(path: str) -> Decoded | Finding:
    from parlint.engine import read_source as read

    return read(path)


def lint_source(source: str, path: str, config: Config, **options: bool) -> FileResult:
    from parlint.engine import lint_source as lint

    return lint(source, path, config, **options)

SOURCE_SUFFIXES = (".py", ".pyi")
# Below this many files the pool's start-up (a fork, ~40 ms) costs more than it saves, unless
# they hold enough code: ten typical files (120 kB) take 0.53 s in-process and 0.46 s on two
# forked workers, interpreter start included.
POOL_THRESHOLD = 16
POOL_MIN_BYTES = 64_000


class PathNotFound(Exception):
    """A path named on the command line does not exist."""


# --- .gitignore-style patterns -----------------------------------------------------------------


@dataclass(frozen=True)
class IgnorePattern:
    """One line of a .gitignore (or one exclude glob), relative to `base` (absolute, posix)."""

    base: str
    regex: re.Pattern[str]
    negate: bool = False
    dir_only: bool = False
    text: str = ""
    anchored: bool = False  # relative to `base`; otherwise a name at any depth below it

    def matches(self, path: str, is_dir: bool) -> bool:
        """Whether the absolute posix `path` matches (ignoring negation)."""
        if self.dir_only and not is_dir:
            return False
        if self.base == "/":
            rel = path.lstrip("/")
        elif path.startswith(self.base + "/"):
            rel = path[len(self.base) + 1 :]
        else:
            return False
        return self.regex.fullmatch(rel) is not None


def compile_pattern(line: str, base: str) -> IgnorePattern | None:
    """Compile one .gitignore line; None for blank lines and comments."""
    text = line.rstrip("\n").rstrip("\r")
    # Trailing spaces are ignored unless escaped with a backslash.
    stripped = text.rstrip(" ")
    if stripped.endswith("\\") and len(text) > len(stripped):
        stripped += " "
    text = stripped
    if not text or text.startswith("#"):
        return None
    negate = False
    if text.startswith("!"):
        negate, text = True, text[1:]
    elif text.startswith(("\\!", "\\#")):
        text = text[1:]
    dir_only = text.endswith("/") and not text.endswith("\\/")
    text = text.rstrip("/") if dir_only else text
    if not text:
        return None
    # A slash at the start or in the middle anchors the pattern to the .gitignore's directory;
    # otherwise it matches a name at any depth.
    anchored = "/" in text
    text = text.lstrip("/") if text.startswith("/") else text
    body = _translate(text)
    regex = body if anchored else f"(?:.*/)?{body}"
    return IgnorePattern(
        base.rstrip("/") or "/", re.compile(regex, re.DOTALL), negate, dir_only, line, anchored
    )


def _translate(pattern: str) -> str:
    """A glob in .gitignore syntax as a regular expression over a posix relative path."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**", i) and (i == 0 or pattern[i - 1] == "/"):
            after = i + 2
            while after < n and pattern[after] == "*":  # git's wildmatch: "***" acts as "**"
                after += 1
            if after == n:  # "x/**": everything inside; "**" alone: everything
                out.append(".*")
                i = after
                continue
            if pattern[after] == "/":  # "**/": zero or more directories
                out.append("(?:.*/)?")
                i = after + 1
                continue
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            end = pattern.find("]", j)
            if end < 0:
                out.append(re.escape(char))
                i += 1
                continue
            inner = pattern[i + 1 : end]
            negated = inner[:1] in ("!", "^")
            if negated:
                inner = inner[1:]
            inner = inner.replace("\\", "\\\\")
            out.append(f"[^/{inner}]" if negated else f"[{inner}]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def parse_ignore_file(path: Path) -> list[IgnorePattern]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    base = path.parent.as_posix()
    patterns = []
    for line in text.splitlines():
        pattern = compile_pattern(line, base)
        if pattern is not None:
            patterns.append(pattern)
    return patterns


def is_ignored(patterns: Sequence[IgnorePattern], path: str, is_dir: bool) -> bool:
    """git's rule: the last pattern that matches decides; a `!pattern` re-includes."""
    for pattern in reversed(patterns):
        if pattern.matches(path, is_dir):
            return not pattern.negate
    return False


def exclude_patterns(config: Config) -> list[IgnorePattern]:
    """The configured excludes as patterns rooted at the configuration's directory."""
    base = Path(os.path.abspath(config.root)).as_posix()
    globs = (*(DEFAULT_EXCLUDES if config.exclude is None else config.exclude), *config.extend_exclude)
    patterns = []
    for glob in globs:
        pattern = compile_pattern(glob.replace("\\", "/"), base)
        if pattern is not None:
            # An exclude never re-includes; a pattern without a slash matches that name
            # anywhere, also in a tree outside the configuration's directory.
            base_of = pattern.base if pattern.anchored else "/"
            patterns.append(
                IgnorePattern(base_of, pattern.regex, False, pattern.dir_only, glob, pattern.anchored)
            )
    return patterns


# --- discovery ----------------------------------------------------------------------------------


def _git_top(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _inherited_gitignores(directory: Path, root: Path) -> list[IgnorePattern]:
    """The .gitignore patterns that apply to `directory` from its ancestors: up to the top of
    the git work tree, or (outside git) up to the configuration root when that is an ancestor."""
    top = _git_top(directory)
    if top is None:
        top = root if (directory == root or root in directory.parents) else directory
    chain = [d for d in (directory, *directory.parents) if d == top or top in d.parents]
    patterns: list[IgnorePattern] = []
    if (top / ".git" / "info" / "exclude").is_file():
        info = parse_ignore_file(top / ".git" / "info" / "exclude")
        patterns.extend(
            IgnorePattern(top.as_posix(), p.regex, p.negate, p.dir_only, p.text, p.anchored)
            for p in info
        )
    for ancestor in reversed(chain[1:]):  # the directory's own file is read by the walk
        patterns.extend(parse_ignore_file(ancestor / ".gitignore"))
    return patterns


@dataclass
class _Walk:
    config: Config
    excludes: list[IgnorePattern]
    cwd: Path
    found: dict[str, str] = field(default_factory=dict)  # absolute -> as shown

    def __post_init__(self) -> None:
        # An exclude without a slash matches a name at any depth: its regex `(?:.*/)?BODY`
        # matches a path exactly when BODY matches the last component (BODY cannot match a
        # slash unless it holds `.*`, from `**`). Literal names become a set lookup, the other
        # such globs one regex on the name; only the rest match whole paths.
        self.names: set[str] = set()
        self.dir_names: set[str] = set()
        self.name_globs: list[tuple[re.Pattern[str], bool]] = []
        self.path_globs: list[IgnorePattern] = []
        prefix = "(?:.*/)?"
        for pattern in self.excludes:
            body = pattern.regex.pattern[len(prefix):]
            if pattern.anchored or not pattern.regex.pattern.startswith(prefix) or ".*" in body:
                self.path_globs.append(pattern)
                continue
            literal = pattern.text.strip().rstrip("/")
            if re.escape(literal) == body:
                (self.dir_names if pattern.dir_only else self.names).add(literal)
            else:
                self.name_globs.append((re.compile(body, re.DOTALL), pattern.dir_only))

    def excluded(self, absolute: str, is_dir: bool) -> bool:
        name = absolute[absolute.rfind("/") + 1 :]
        if name in self.names or (is_dir and name in self.dir_names):
            return True
        for regex, dir_only in self.name_globs:
            if (is_dir or not dir_only) and regex.fullmatch(name):
                return True
        return is_ignored(self.path_globs, absolute, is_dir)  # excludes never re-include

    def walk(self, directory: Path, ignores: list[IgnorePattern], shown: str | None = None) -> None:
        """`shown`: the directory as shown (computed once here, files append their names)."""
        if self.config.respect_gitignore:
            ignores = ignores + parse_ignore_file(directory / ".gitignore")
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        if shown is None:
            shown = shown_path(directory, self.cwd)
        prefix = "" if shown == "." else shown + "/"
        posix = os.sep == "/"  # entry.path is then already the posix form of the path
        # "<shown>/<name>" is what relpath gives, unless <shown> ends in ".." (".." + "src" may
        # be where we stand): then each entry asks relpath.
        append = posix and shown != ".." and not shown.endswith("/..")
        for entry in entries:
            absolute = entry.path if posix else Path(entry.path).as_posix()
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if not is_dir and not is_file:
                continue
            if self.excluded(absolute, is_dir):
                continue
            if self.config.respect_gitignore and is_ignored(ignores, absolute, is_dir):
                continue
            if is_dir:
                self.walk(Path(entry.path), ignores, prefix + entry.name if append else None)
            elif entry.name.endswith(SOURCE_SUFFIXES):
                self.found.setdefault(
                    absolute,
                    prefix + entry.name if append else shown_path(Path(entry.path), self.cwd),
                )


def shown_path(path: Path, cwd: Path) -> str:
    """A path as parlint prints it: relative to the working directory, posix separators."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return path.as_posix()
    return Path(rel).as_posix()


def forced_out(absolute: Path, config: Config, is_dir: bool) -> bool:
    """For --force-exclude: whether a path named explicitly is excluded or gitignored, itself
    or through one of its directories."""
    excludes = exclude_patterns(config)
    directory = absolute if is_dir else absolute.parent
    ignores = (
        _inherited_gitignores(directory, Path(os.path.abspath(config.root))) + parse_ignore_file(directory / ".gitignore")
        if config.respect_gitignore
        else []
    )
    candidates = [(absolute, is_dir)] + [(parent, True) for parent in absolute.parents]
    for candidate, candidate_is_dir in candidates:
        posix = candidate.as_posix()
        if is_ignored(excludes, posix, candidate_is_dir) or is_ignored(
            ignores, posix, candidate_is_dir
        ):
            return True
    return False


def discover(
    paths: Iterable[str], config: Config, *, cwd: str | os.PathLike[str] | None = None
) -> list[str]:
    """Every file to lint under `paths`, as shown (relative to `cwd`), deduplicated and sorted.

    Raises PathNotFound for a path that does not exist.
    """
    here = Path(os.path.abspath(cwd or os.getcwd()))
    root = Path(os.path.abspath(here / config.root))
    walk = _Walk(config, exclude_patterns(config), here)
    for path in paths:
        absolute = Path(os.path.abspath(here / path))
        if not absolute.exists():
            if os.path.islink(absolute):  # exists() follows the link: say what is wrong
                raise PathNotFound(f"{path}: a broken symlink or a symlink loop")
            raise PathNotFound(f"{path}: no such file or directory")
        is_dir = absolute.is_dir()
        if config.force_exclude and forced_out(absolute, config, is_dir):
            continue
        if is_dir:
            inherited = _inherited_gitignores(absolute, root) if config.respect_gitignore else []
            walk.walk(absolute, inherited)
        else:
            walk.found.setdefault(absolute.as_posix(), shown_path(absolute, here))
    return sorted(set(walk.found.values()))


def is_stdin_excluded(filename: str, config: Config, cwd: str | None = None) -> bool:
    """With --force-exclude, `--stdin-filename` is matched like a file named explicitly."""
    here = Path(os.path.abspath(cwd or os.getcwd()))
    return config.force_exclude and forced_out(Path(os.path.abspath(here / filename)), config, False)


# --- linting ------------------------------------------------------------------------------------


class ResultCache(Protocol):
    """What `lint_file` needs from a cache (parlint/cache.py provides one)."""

    def get(self, path: str, content_hash: str) -> FileResult | None: ...

    def put(self, path: str, content_hash: str, result: FileResult) -> None: ...


@dataclass(frozen=True)
class LintSettings:
    """Everything a worker needs to lint a file; picklable."""

    config: Config
    respect_noqa: bool = True
    cache: ResultCache | None = None
    # False when the front end shows no fix edits (text, github, sarif output): fixes are then
    # not rendered (`Fix.deferred`), and a cached result with deferred fixes serves the run.
    build_fixes: bool = True


def content_hash(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def lint_file(path: str, settings: LintSettings) -> FileResult:
    """One file's result: the single place where it is computed (or fetched from the cache).

    Never raises: whatever goes wrong is a PAR000/PAR999 finding in the result.
    """
    return _lint_file(path, settings)[0]


# A file changed less than this long before its stat was taken may change again within the
# file system's timestamp granularity without its stat changing ("racy git"): its index entry
# is only trusted after its content hash is checked.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Stamp:
    """What the stat index keeps of a file with its result: its stat, taken before the read,
    and whether that stat was too recent to be trusted alone (then the content hash decides)."""

    stat: tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
    racy: bool


def stat_key(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _lint_file(path: str, settings: LintSettings) -> tuple[FileResult, Stamp | None]:
    """`lint_file`, plus the file's stamp for the cache's stat index (None: do not index)."""
    from parlint.engine import PARSE_ERROR, code_enabled, may_have_findings

    config = settings.config
    stamp: Stamp | None = None
    try:
        stat = stat_key(path) if settings.cache is not None else None
        decoded = read_source(path)
        if isinstance(decoded, Finding):
            kept = (decoded,) if code_enabled(PARSE_ERROR, path, config) else ()
            return FileResult(path, kept, error=decoded.message), None
        # A file that mentions neither async nor await is linted by a substring test: cheaper
        # than hashing it and reading an entry, so it never enters the cache.
        cache = settings.cache if may_have_findings(decoded.source) else None
        digest = content_hash(decoded.source) if cache is not None else ""
        if stat is not None:
            racy = time.time_ns() - max(stat[1], stat[2]) < RACY_NS
            stamp = Stamp(stat, racy)
        if cache is not None:
            cached = cache.get(path, digest)
            if cached is not None and (not settings.build_fixes or not has_deferred_fixes(cached)):
                return cached, stamp
        result = lint_source(
            decoded.source,
            path,
            config,
            respect_noqa=settings.respect_noqa,
            build_fixes=settings.build_fixes,
        )
        if cache is not None:
            cache.put(path, digest, result)
        return result, stamp
    except Exception as exc:  # noqa: BLE001 - errors are values; the run goes on
        return _crashed(path, config, exc), None
    except RecursionError as exc:  # pragma: no cover - RecursionError is an Exception
        return _crashed(path, config, exc), None


def has_deferred_fixes(result: FileResult) -> bool:
    """Whether some finding's fix was left without its edits (see `Fix.deferred`)."""
    return any(f.fix is not None and f.fix.deferred for f in result.findings)


def _crashed(path: str, config: Config, exc: BaseException) -> FileResult:
    from parlint.engine import INTERNAL_ERROR, code_enabled, error_finding

    tb = traceback.format_exc()
    findings: tuple[Finding, ...] = ()
    if code_enabled(INTERNAL_ERROR, path, config):
        message = f"internal error in parlint: {type(exc).__name__}: {exc}"
        findings = (error_finding(INTERNAL_ERROR, path, message),)
    return FileResult(path, findings, tracebacks=(f"parlint on {path}:\n{tb}",))


def lint_stdin(source: str, filename: str, settings: LintSettings) -> FileResult:
    try:
        return lint_source(
            source,
            filename,
            settings.config,
            respect_noqa=settings.respect_noqa,
            build_fixes=settings.build_fixes,
        )
    except Exception as exc:  # noqa: BLE001
        return _crashed(filename, settings.config, exc)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _warm() -> None:
    """Import and exercise the parser once per worker, before the first real file. Then keep the
    cyclic garbage collector off what is loaded by now (`gc.freeze`) and run it less often: a
    libcst tree is a few hundred thousand short-lived objects, and with the default thresholds
    collections took ~20% of a run's CPU (every 4th corpus file in one process: 16.5 s ->
    13.5 s, the same peak RSS)."""
    import gc

    import libcst

    libcst.parse_module("async def _(): await _\n")
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _lint_file_in_worker(path: str, settings: LintSettings) -> tuple[FileResult, Stamp | None]:
    """`_lint_file` in a pool worker, without the cyclic garbage collector while the file is
    linted: a file's trees and facts live until it is done, and collections in between only
    traverse them again and again (~8% of a corpus run). What a file leaves in reference cycles
    is collected right after it, from the youngest generation, so memory stays where it was."""
    import gc

    gc.disable()
    try:
        return _lint_file(path, settings)
    finally:
        gc.collect(0)
        gc.enable()


def lint_files(
    paths: Sequence[str], settings: LintSettings, *, jobs: int | None = None
) -> list[FileResult]:
    """Lint every path; results in the order of `paths`.

    With a cache that keeps a stat index (`parlint.cache.Cache`), a file whose stat is the one
    recorded with its result is not even read; only the others are linted (in-process when they
    are few, on the pool otherwise), and the index is written back once.
    """
    index = getattr(settings.cache, "stat_index", None)
    index = index() if index is not None else None
    results: list[FileResult | None] = [None] * len(paths)
    todo = list(range(len(paths)))
    if index is not None:
        todo = []
        for i, path in enumerate(paths):
            results[i] = index.lookup(path, stat_key(path), settings.build_fixes)
            if results[i] is None:
                todo.append(i)
    done = _lint_many([paths[i] for i in todo], settings, jobs)
    for i, (result, stamp) in zip(todo, done):
        results[i] = result
        if index is not None and stamp is not None:
            index.record(paths[i], stamp, result)
    if index is not None:
        index.save()
    return results  # type: ignore[return-value]


def _lint_many(
    paths: Sequence[str], settings: LintSettings, jobs: int | None
) -> list[tuple[FileResult, Stamp | None]]:
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    if jobs == 1 or len(paths) < 2 or not _worth_a_pool(paths):
        return [_lint_file(path, settings) for path in paths]
    _warm()  # warm in the parent too: forked workers inherit it
    workers = min(jobs, len(paths))
    chunksize = max(1, min(32, len(paths) // (workers * 4)))
    # Fork on Linux (Python 3.14 defaults to forkserver): workers inherit the warmed parser and
    # the loaded rules instead of importing everything again.
    import multiprocessing

    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    try:
        with _pool_class()(
            max_workers=workers, initializer=_warm, mp_context=context
        ) as pool:
            return list(pool.map(
                _lint_file_in_worker, paths, [settings] * len(paths), chunksize=chunksize
            ))
    except (OSError, RuntimeError):  # no processes here (sandbox, broken pool): go on in-process
        return [_lint_file(path, settings) for path in paths]


def _worth_a_pool(paths: Sequence[str]) -> bool:
    if len(paths) >= POOL_THRESHOLD:
        return True
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:  # reported when it is read
            continue
        if total >= POOL_MIN_BYTES:
            return True
    return False


def _pool_class() -> type:
    """`concurrent.futures.ProcessPoolExecutor` (importing it loads multiprocessing: only for
    runs that use a pool), or what a test put in its place as `runner.ProcessPoolExecutor`."""
    return globals().get("ProcessPoolExecutor") or __getattr__("ProcessPoolExecutor")


def __getattr__(name: str) -> object:
    if name == "ProcessPoolExecutor":
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def iter_findings(results: Iterable[FileResult]) -> Iterator[Finding]:
    for result in results:
        yield from result.findings


def sorted_findings(results: Iterable[FileResult]) -> list[Finding]:
    return sorted(iter_findings(results), key=Finding.sort_key)
