"""Command line interface (click). Thin: it only translates I/O around the engine.

Each command lives in its own module of this package and is registered in `COMMANDS` below with
one line ("name": "module:attribute"); modules are imported only when their command runs. The
options that several commands share (selection, configuration, discovery, output) are in
`parlint.cli.common`: a command takes them all with `@common.lint_options` and receives one
`Invocation`.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error. No traceback
reaches the user without `--debug`.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from parlint import __version__
from parlint.cli.common import EXIT_ERROR, UserError, is_debug

# name -> "module:attribute" of a click command. Adding a command is adding one line here.
COMMANDS: dict[str, str] = {
    "check": "parlint.cli.check:check",
    "rule": "parlint.cli.rule:rule",
    "config": "parlint.cli.config_cmd:config",
    "fix": "parlint.cli.fix:fix",
    "explain": "parlint.cli.explain:explain",
}


class ParlintGroup(click.Group):
    """Loads commands lazily and turns every error into one line on stderr and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, BrokenPipeError):
            raise
        except UserError as exc:
            click.echo(f"parlint: error: {exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("parlint: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - no traceback without --debug
            if is_debug(ctx):
                click.echo(traceback.format_exc(), err=True, nl=False)
            click.echo(
                f"parlint: error: internal error: {type(exc).__name__}: {exc}"
                + ("" if is_debug(ctx) else " (run with --debug for the traceback)"),
                err=True,
            )
            ctx.exit(EXIT_ERROR)


@click.group(cls=ParlintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="parlint")
def cli() -> None:
    """Find missed parallelism in async Python code, and rewrite it safely."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (never raises, never prints a traceback unasked)."""
    args = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # A message with characters the terminal cannot show must not crash the run.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - detached or closed stream
                pass
    try:
        result = cli.main(args=args, prog_name="parlint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("parlint: aborted", err=True)
        return 1
    except (KeyboardInterrupt, EOFError):
        click.echo("parlint: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (`parlint check | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken command module
        if "--debug" in args:
            traceback.print_exc()
        click.echo(f"parlint: error: internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_ERROR
    return result if isinstance(result, int) else 0
