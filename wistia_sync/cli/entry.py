"""The ``wistia-sync`` entry point: ``--version`` and ``--help`` answer before Typer is imported.

Importing Typer is most of every command's start-up; a version check or a look at the command
list needs none of it. Everything else goes to ``wistia_sync.cli``.
"""

import sys

from wistia_sync import __version__

PROG = "wistia-sync"


def main() -> None:
    arguments = sys.argv[1:]
    if arguments == ["--version"]:
        print(f"{PROG} {__version__}")  # what the root's eager --version option prints
        return
    # Only under the installed name: `python -m wistia_sync` is named otherwise in the usage line.
    if arguments in (["--help"], ["-h"]) and sys.argv[0].rpartition("/")[2] == PROG:
        from wistia_sync.cli.roothelp import root_help

        print(root_help(PROG))
        return
    from wistia_sync.cli.app import main as run_cli

    run_cli()
