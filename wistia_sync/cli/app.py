"""The root ``wistia-sync`` command: global flags, and the one place errors become messages.

Commands are registered in ``COMMANDS`` by name, where they live and their one-line help; their
modules are imported only when one of their commands runs (see ``wistia_sync.cli.lazy``), so
``--help``, ``--version`` and an editor command import nothing they do not use. Adding a command
or a command group is one line there: ``"name": LazyCommand("wistia_sync.cli.module:attribute",
"One-line help.")``, where the attribute is the command function or the group's ``typer.Typer``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer._click.core import Context as ClickContext  # Typer 0.29 vendors click

from wistia_sync import __version__, config
from wistia_sync.cli.console import fail_line
from wistia_sync.cli.lazy import LazyCommand, LazyGroup
from wistia_sync.errors import EXIT_FAILURE, WistiaSyncError

COMMANDS = {
    "sync": LazyCommand(
        "wistia_sync.cli.syncing:sync_command",
        "Mirror the Wistia account (videos, folders, tags, plays) into the database.",
    ),
    "status": LazyCommand(
        "wistia_sync.cli.syncing:status_command",
        "Show what the database holds, the last runs, and when the next full crawl is due.",
    ),
    "publish": LazyCommand(
        "wistia_sync.cli.publishing:publish_command",
        "Regenerate the JSON playlists in the output folder from the database.",
    ),
    "run": LazyCommand(
        "wistia_sync.cli.publishing:run_command",
        "Sync, then republish what changed.",
    ),
    "log": LazyCommand(
        "wistia_sync.cli.editing:log_command",
        "The history of editorial changes, newest first: when, who, what, before → after.",
    ),
    "videos": LazyCommand(
        "wistia_sync.cli.videos:videos_app",
        "Find videos: list and search the catalog, show one video in full.",
    ),
    "tag": LazyCommand(
        "wistia_sync.cli.editing:tag_app",
        "Add, remove, list, rename and delete tags (editor tags; Wistia's are read-only).",
    ),
    "visibility": LazyCommand(
        "wistia_sync.cli.editing:visibility_app",
        "Hide videos from the published files, or show them again.",
    ),
}


class _FriendlyErrors(LazyGroup):
    """Turns every failure into one line on stderr and an exit code, unless ``--debug``."""

    lazy_commands = COMMANDS

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
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)
        # httpcore's wire-level log would print request headers, the token among them.
        logging.getLogger("httpcore").setLevel(logging.INFO)


def main() -> None:
    app()
