"""What every command that lints shares: the options, their resolution into one `Invocation`
(configuration, files, output), and the error type that exits 2 with one line.

A command takes every shared option with one decorator and receives the resolved invocation as
its first argument (its own options follow as keyword arguments):

    @click.command()
    @common.lint_options
    @click.option("--diff", is_flag=True)
    def fix(invocation: common.Invocation, diff: bool) -> None:
        for path in invocation.files(): ...

The option groups are also available one by one (`selection_options`, `config_options`, ...)
for commands that need only some of them; `build_invocation(params)` then resolves whatever was
given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from parlint.config import TARGET_VERSIONS, Config, ConfigError, load_config
from parlint.output import FORMATS
from parlint.registry import UnknownCode
from parlint.runner import (
    LintSettings,
    PathNotFound,
    default_jobs,
    discover,
    is_stdin_excluded,
    lint_files,
    lint_stdin,
)
from parlint.types import FileResult

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])
_DEBUG_KEY = "parlint.debug"


class UserError(Exception):
    """An error the user can fix (bad configuration, missing path, unknown code): one line,
    exit code 2, no traceback."""


def is_debug(ctx: click.Context | None) -> bool:
    return bool(ctx is not None and ctx.meta.get(_DEBUG_KEY))


def _remember_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_DEBUG_KEY] = True  # ctx.meta is shared with the group, which prints errors
    return value


def _split_codes(_ctx: click.Context, _param: click.Parameter, value: Sequence[str]) -> tuple[str, ...] | None:
    """`--select PAR1,PAR2 --select PAR3` -> ("PAR1", "PAR2", "PAR3"); None when not given."""
    if not value:
        return None
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


def _split_globs(_ctx: click.Context, _param: click.Parameter, value: Sequence[str]) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


paths_argument = click.argument("paths", nargs=-1, metavar="[PATHS]...")

selection_options = _compose(
    click.option(
        "--select",
        multiple=True,
        callback=_split_codes,
        metavar="CODES",
        help="Rule codes or prefixes to enable, comma-separated (PAR, PAR1, PAR101, ALL). "
        "Replaces the configured selection.",
    ),
    click.option(
        "--extend-select",
        multiple=True,
        callback=_split_codes,
        metavar="CODES",
        help="Rule codes or prefixes to enable on top of the selection.",
    ),
    click.option(
        "--ignore",
        multiple=True,
        callback=_split_codes,
        metavar="CODES",
        help="Rule codes or prefixes to disable.",
    ),
)

config_options = _compose(
    click.option(
        "--config",
        "config_file",
        metavar="PATH",
        help="Use this configuration file (pyproject.toml, .parlint.yaml) instead of searching.",
    ),
    click.option("--isolated", is_flag=True, help="Ignore every configuration file."),
    click.option(
        "--target-version",
        type=click.Choice(TARGET_VERSIONS),
        help="The oldest Python the code must run on (decides what fixes may emit).",
    ),
    click.option(
        "--max-concurrency",
        type=click.IntRange(min=1),
        help="The bound that fixes use for concurrent work (default 5).",
    ),
)

discovery_options = _compose(
    click.option(
        "--exclude",
        multiple=True,
        callback=_split_globs,
        metavar="GLOBS",
        help="Files and directories to skip, replacing the default excludes.",
    ),
    click.option(
        "--extend-exclude",
        multiple=True,
        callback=_split_globs,
        metavar="GLOBS",
        help="Files and directories to skip on top of the excludes.",
    ),
    click.option(
        "--respect-gitignore/--no-respect-gitignore",
        default=None,
        help="Skip files that .gitignore files ignore (default: on).",
    ),
    click.option(
        "--force-exclude/--no-force-exclude",
        default=None,
        help="Apply the excludes to files named on the command line (for pre-commit).",
    ),
    click.option(
        "--stdin-filename",
        metavar="PATH",
        help="The file name of the source read from stdin (PATHS is '-').",
    ),
)

run_options = _compose(
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=0),
        default=None,
        help="Worker processes (default: the number of CPUs; 1: in-process).",
    ),
    click.option("--no-cache", is_flag=True, help="Do not read or write the result cache."),
    click.option("--ignore-noqa", is_flag=True, help="Report findings that `# noqa` suppresses."),
    click.option(
        "--debug",
        is_flag=True,
        callback=_remember_debug,
        is_eager=True,
        help="Show tracebacks of internal errors.",
    ),
    click.option("-q", "--quiet", count=True, help="Print less (no summary line)."),
    click.option("-v", "--verbose", count=True, help="Print more (configuration, timing)."),
)

output_options = _compose(
    click.option(
        "--output-format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        envvar="PARLINT_OUTPUT_FORMAT",
        help="How to print findings (also PARLINT_OUTPUT_FORMAT).",
    ),
    click.option(
        "-o", "--output-file", metavar="PATH", help="Write the output to this file."
    ),
    click.option(
        "--color",
        type=click.Choice(("auto", "always", "never")),
        default="auto",
        show_default=True,
        help="Colour the text output (auto: on a terminal, honouring NO_COLOR/FORCE_COLOR).",
    ),
)



def text_or_json_option(what: str) -> Callable[[F], F]:
    """`--output-format text|json` for commands that print documents rather than findings."""
    return click.option(
        "--output-format",
        type=click.Choice(("text", "json")),
        default="text",
        show_default=True,
        help=f"How to print {what}.",
    )


_COMMON_NAMES = (
    "paths",
    "select",
    "extend_select",
    "ignore",
    "config_file",
    "isolated",
    "target_version",
    "max_concurrency",
    "exclude",
    "extend_exclude",
    "respect_gitignore",
    "force_exclude",
    "stdin_filename",
    "jobs",
    "no_cache",
    "ignore_noqa",
    "debug",
    "quiet",
    "verbose",
    "output_format",
    "output_file",
    "color",
)


@dataclass
class Invocation:
    """The shared options of one command run, resolved."""

    paths: tuple[str, ...]
    config: Config
    stdin_filename: str | None = None
    jobs: int | None = None
    use_cache: bool = True
    ignore_noqa: bool = False
    debug: bool = False
    quiet: int = 0
    verbose: int = 0
    output_format: str = "text"
    output_file: str | None = None
    color: str = "auto"
    cwd: str = field(default_factory=os.getcwd)

    @property
    def reads_stdin(self) -> bool:
        return self.paths == ("-",)

    def files(self) -> list[str]:
        """The files to lint, as shown (relative to the working directory), sorted.

        Raises UserError for a path that does not exist.
        """
        try:
            return discover(self.paths, self.config, cwd=self.cwd)
        except PathNotFound as exc:
            raise UserError(str(exc)) from None

    def settings(self, cache: Any = None, build_fixes: bool = True) -> LintSettings:
        return LintSettings(
            self.config, respect_noqa=not self.ignore_noqa, cache=cache, build_fixes=build_fixes
        )

    def make_cache(self) -> Any:
        """The result cache, or None (--no-cache, or no cache implementation available)."""
        if not self.use_cache or self.reads_stdin:
            return None
        try:
            from parlint.cache import Cache  # type: ignore[attr-defined]
        except ImportError:
            return None
        from parlint import __version__

        # Anything that changes a file's result must be part of the key.
        key_parts = (__version__, repr(self.config), f"noqa={not self.ignore_noqa}")
        return Cache(self.config.root, key_parts)

    def lint(self, build_fixes: bool = True) -> tuple[list[FileResult], int]:
        """Lint every file (or stdin); returns the results and the number of files checked.
        `build_fixes=False` when nothing shown needs a fix's edits (see `Fix.deferred`)."""
        if self.reads_stdin:
            filename = self.stdin_filename or "-"
            if self.stdin_filename and is_stdin_excluded(filename, self.config, self.cwd):
                return [], 0
            source = sys.stdin.read()
            return [lint_stdin(source, filename, self.settings(build_fixes=build_fixes))], 1
        files = self.files()
        if not files:
            click.echo("parlint: warning: no Python files found", err=True)
        jobs = self.jobs or default_jobs()
        self.log(f"checking {len(files)} file(s) with up to {jobs} job(s)")
        settings = self.settings(self.make_cache(), build_fixes=build_fixes)
        return lint_files(files, settings, jobs=jobs), len(files)

    def log(self, message: str, level: int = 1) -> None:
        """A progress message on stderr, shown with -v."""
        if self.verbose >= level:
            click.echo(f"parlint: {message}", err=True)

    def use_color(self, stream: IO[str]) -> bool:
        if self.color != "auto":
            return self.color == "always"
        if os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("FORCE_COLOR"):
            return True
        return self.output_file is None and hasattr(stream, "isatty") and stream.isatty()

    def write(self, text: str, color: bool = False) -> None:
        """Write the command's output to stdout or --output-file. `color`: the text carries
        colour codes on purpose (click would strip them when stdout is not a terminal)."""
        if self.output_file is None:
            click.echo(text, nl=False, color=color)
            return
        try:
            target = Path(self.output_file)
            if target.parent != Path(""):
                target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{self.output_file}: cannot write output: {exc.strerror or exc}") from None


def build_invocation(params: dict[str, Any]) -> Invocation:
    """Resolve the shared options (those present in `params`) into an Invocation.

    Raises UserError for a bad configuration, an unknown code or a usage mistake.
    """
    stdin_filename = params.get("stdin_filename")
    # `--stdin-filename` alone means stdin, as editors call it.
    paths = tuple(params.get("paths") or ()) or (("-",) if stdin_filename else (".",))
    if "-" in paths and paths != ("-",):
        raise UserError("'-' (stdin) cannot be combined with other paths")
    overrides = {
        "select": params.get("select"),
        "extend-select": params.get("extend_select"),
        "ignore": params.get("ignore"),
        "exclude": params.get("exclude"),
        "extend-exclude": params.get("extend_exclude"),
        "respect-gitignore": params.get("respect_gitignore"),
        "force-exclude": params.get("force_exclude"),
        "target-version": params.get("target_version"),
        "max-concurrency": params.get("max_concurrency"),
    }
    search_paths = [stdin_filename] if paths == ("-",) and stdin_filename else list(paths)
    try:
        config = load_config(
            search_paths,
            config_file=params.get("config_file"),
            isolated=bool(params.get("isolated")),
            overrides=overrides,
        )
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    except UnknownCode as exc:
        raise UserError(str(exc)) from None
    return Invocation(
        paths=paths,
        config=config,
        stdin_filename=stdin_filename,
        jobs=params.get("jobs") or None,
        use_cache=not params.get("no_cache", False),
        ignore_noqa=bool(params.get("ignore_noqa")),
        debug=bool(params.get("debug")),
        quiet=int(params.get("quiet") or 0),
        verbose=int(params.get("verbose") or 0),
        output_format=params.get("output_format") or "text",
        output_file=params.get("output_file"),
        color=params.get("color") or "auto",
    )


def lint_options(function: F) -> F:
    """Every shared option plus the PATHS argument; the command receives an `Invocation`."""

    @wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        common = {name: kwargs.pop(name) for name in _COMMON_NAMES if name in kwargs}
        invocation = build_invocation(common)
        if invocation.config.source:
            invocation.log(f"configuration: {invocation.config.source}")
        else:
            invocation.log("configuration: defaults")
        return function(invocation, **kwargs)

    return _compose(
        paths_argument,
        selection_options,
        config_options,
        discovery_options,
        run_options,
        output_options,
    )(wrapper)  # type: ignore[return-value]


def iter_tracebacks(results: Sequence[FileResult]) -> Iterator[str]:
    for result in results:
        yield from result.tracebacks


def print_tracebacks(invocation: Invocation, results: Sequence[FileResult]) -> None:
    """PAR999 tracebacks go to stderr, only with --debug."""
    if invocation.debug:
        for tb in iter_tracebacks(results):
            click.echo(tb.rstrip("\n"), err=True)


def exit_code(findings: int, exit_zero: bool = False) -> int:
    return EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN
