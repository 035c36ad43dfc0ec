"""The root ``wistia-sync`` command: global flags, and the one place errors become messages."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, Any

import typer
from typer._click.core import Context as ClickContext  # Typer 0.29 vendors click
from typer.core import TyperGroup

from wistia_sync import __version__, config
from wistia_sync.cli import editing, publishing, serving, syncing, videos
from wistia_sync.cli.console import fail_line
from wistia_sync.errors import EXIT_FAILURE, WistiaSyncError


class _FriendlyErrors(TyperGroup):
    """Turns every failure into one line on stderr and an exit code, unless ``--debug``."""

    def invoke(self, ctx: ClickContext) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get(config.DEBUG_ENV) == "1"
        try:
            return super().invoke(ctx)
        except WistiaSyncError as error:
            if debug:
                raise
            fail_line(str(error))
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:
            # The reader went away (`wistia-sync videos list | head`): not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            fail_line("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as error:
            if debug:
                raise
            fail_line(f"unexpected {type(error).__name__}: {error} (run with --debug for details)")
            raise typer.Exit(EXIT_FAILURE) from None


app = typer.Typer(
    cls=_FriendlyErrors,
    name="wistia-sync",
    help="Sync a Wistia library into SQLite, curate it, and publish static JSON playlists.",
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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show HTTP requests and full tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Sync a Wistia library into SQLite, curate it, and publish static JSON playlists."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)
        # httpcore's wire-level log would print request headers, the token among them.
        logging.getLogger("httpcore").setLevel(logging.INFO)


syncing.register(app)
publishing.register(app)
videos.register(app)
editing.register(app)
serving.register(app)


def main() -> None:
    app()
