"""The ``wistia-sync`` entry point: ``--version``, ``--help``, a ``publish`` with nothing to
publish and the plainest editor commands run before Typer is imported.

Importing Typer is most of every command's start-up; a version check, a look at the command
list, cron's publish that finds the output up to date (``wistia_sync.cli.quickpublish``) and an
editor's ``tag add`` or ``visibility hide`` (``wistia_sync.cli.quickedit``) need none of it.
Everything else goes to ``wistia_sync.cli``.

``script`` is the installed command and ``python -m wistia_sync``: a publish or an edit answered
here then ends the process without tearing the interpreter down (``wistia_sync.cli.quickexit``).
``main`` does the same work and returns (or raises ``SystemExit``), for callers that go on.
"""

import sys

from wistia_sync import __version__

PROG = "wistia-sync"


def script() -> None:
    """The ``wistia-sync`` command: ``main``, ending at once after a command answered here."""
    from wistia_sync.cli.quickexit import open_descriptors

    main(descriptors_at_start=open_descriptors())


def main(*, descriptors_at_start: frozenset[str] | None = None) -> None:
    """Run the command line. With ``descriptors_at_start`` (what was open when the process
    started), a command answered here ends the process (``quickexit.end_process``)."""
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
            _end(0, descriptors_at_start)
            return
    if arguments[:1] in (["tag"], ["visibility"]):
        from wistia_sync.cli.quickedit import run_quick_edit

        code = run_quick_edit(arguments)
        if code is not None:
            _end(code, descriptors_at_start)
            return
    from wistia_sync.cli.app import main as run_cli

    run_cli()


def _end(code: int, descriptors_at_start: frozenset[str] | None) -> None:
    """Finish a command answered here with exit code ``code``."""
    if descriptors_at_start is not None:
        from wistia_sync.cli.quickexit import end_process

        end_process(code, descriptors_at_start=descriptors_at_start)
    if code:
        sys.exit(code)
