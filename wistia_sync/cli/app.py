"""The root ``wistia-sync`` command: global flags, and the one place errors become messages.

Commands are registered in ``wistia_sync.cli.registry.COMMANDS`` by name, where they live and
their one-line help (adding one is one line there); their modules are imported only when one of
their commands runs (see ``wistia_sync.cli.lazy``), so ``--help``, ``--version`` and an editor
command import nothing they do not use.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer._click.core import Context as ClickContext  # Typer 0.29 vendors click
from typer._click.exceptions import NoArgsIsHelpError

from wistia_sync import __version__, config
from wistia_sync.cli.console import fail_line
from wistia_sync.cli.failures import report_failure
from wistia_sync.cli.lazy import LazyGroup
from wistia_sync.cli.registry import COMMANDS, DEBUG_HELP, ROOT_HELP, VERSION_HELP
from wistia_sync.cli.usage import usage_errors_in_one_line
from wistia_sync.errors import EXIT_USAGE

try:  # plain parameters are coerced without importing pydantic (see the module)
    from wistia_sync.cli import coercion
except ImportError:  # a Typer whose internals moved: its own coercion, slower but right
    pass
else:
    coercion.install()


class _FriendlyErrors(LazyGroup):
    """Turns every failure into one line on stderr and an exit code, unless ``--debug``."""

    lazy_commands = COMMANDS

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        with usage_errors_in_one_line():  # `wistia-sync --bogus`: before any command runs
            return super().parse_args(ctx, args)

    def invoke(self, ctx: ClickContext) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get(config.DEBUG_ENV) == "1"
        try:
            with usage_errors_in_one_line():
                return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, NoArgsIsHelpError):
            raise
        except BaseException as error:
            code = report_failure(error, debug=debug)
            if code is None:
                raise
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_FriendlyErrors,
    name="wistia-sync",
    help=ROOT_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"wistia-sync {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help=VERSION_HELP),
    ] = False,
) -> None:
    """Sync a Wistia library into SQLite, curate it, and publish static JSON playlists."""
    if debug or os.environ.get(config.DEBUG_ENV) == "1":  # the variable re-raises too
        from wistia_sync.cli.debuglog import setup_debug_logging

        setup_debug_logging()  # every record and traceback redacted of credentials


def main() -> None:
    # An argument that is not valid UTF-8 reaches Python as lone surrogates, which nothing can
    # store or print: refuse it here, before any command sees it.
    for position, argument in enumerate(sys.argv[1:], start=1):
        if any("\udc80" <= char <= "\udcff" for char in argument):
            shown = os.fsencode(argument).decode("utf-8", errors="backslashreplace")
            fail_line(f"argument {position} ({shown}) is not valid UTF-8")
            sys.exit(EXIT_USAGE)
    app()
