"""The ``wistia-sync`` entry point: ``--version``, ``--help``, a ``publish`` with nothing to
publish and the plainest editor commands run before Typer is imported.

Importing Typer is most of every command's start-up; a version check, a look at the command
list, cron's publish that finds the output up to date (``wistia_sync.cli.quickpublish``) and an
editor's ``tag add`` or ``visibility hide`` (``wistia_sync.cli.quickedit``) need none of it.
Everything else goes to ``wistia_sync.cli``.
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
    if arguments[:1] == ["publish"]:
        from wistia_sync.cli.quickpublish import answer_noop_publish

        if answer_noop_publish(arguments):
            return
    if arguments[:1] in (["tag"], ["visibility"]):
        from wistia_sync.cli.quickedit import run_quick_edit

        code = run_quick_edit(arguments)
        if code:
            sys.exit(code)
        if code == 0:
            return
    from wistia_sync.cli.app import main as run_cli

    run_cli()
