"""The ``wistia-sync`` entry point: ``--version``, ``--help``, a ``publish`` with nothing to
publish and the plainest editor commands run before Typer is imported.

Importing Typer is most of every command's start-up; a version check, a look at the command
list, cron's publish that finds the output up to date (``wistia_sync.cli.quickpublish``) and an
editor's ``tag add`` or ``visibility hide`` (``wistia_sync.cli.quickedit``) need none of it.
Everything else goes to ``wistia_sync.cli``.

A publish or an edit answered here runs as the short-lived process it is
(``wistia_sync.cli.shortlived``): without the cycle collector, and, run by ``script`` (the
installed command and ``python -m wistia_sync``), ending without interpreter teardown. ``main``
does the same work and returns (or raises ``SystemExit``), for callers that go on.
"""

import sys

from wistia_sync import __version__

PROG = "wistia-sync"
QUICK_COMMANDS = (["publish"], ["tag"], ["visibility"])


def script() -> None:
    """The ``wistia-sync`` command: ``main``, ending at once after a command answered here."""
    main(end_at_once=True)


def main(*, end_at_once: bool = False) -> None:
    arguments = sys.argv[1:]
    if arguments == ["--version"]:
        print(f"{PROG} {__version__}")  # what the root's eager --version option prints
        return
    # Only under the installed name: `python -m wistia_sync` is named otherwise in the usage line.
    if arguments in (["--help"], ["-h"]) and sys.argv[0].rpartition("/")[2] == PROG:
        from wistia_sync.cli.roothelp import root_help

        print(root_help(PROG))
        return
    if arguments[:1] in QUICK_COMMANDS:
        from wistia_sync.cli import shortlived

        descriptors = shortlived.open_descriptors()
        with shortlived.collector_paused():
            code = _answer_quickly(arguments)
        if code is not None:
            if end_at_once and descriptors is not None:
                shortlived.end_process(code, descriptors_at_start=descriptors)
            if code:
                sys.exit(code)
            return
    from wistia_sync.cli.app import main as run_cli

    run_cli()


def _answer_quickly(arguments: list[str]) -> int | None:
    """The exit code of the command ``arguments`` name, answered here; None: not one of those
    this module answers (nothing was read or changed: Typer runs it)."""
    if arguments[0] == "publish":
        from wistia_sync.cli.quickpublish import answer_noop_publish

        return 0 if answer_noop_publish(arguments) else None
    from wistia_sync.cli.quickedit import run_quick_edit

    return run_quick_edit(arguments)
