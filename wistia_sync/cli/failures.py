"""How a command that failed ends: one line on stderr and an exit code, unless ``--debug``.

Shared by the Typer root (``wistia_sync.cli.app``) and the commands ``entry`` answers before
Typer is imported, so a failure reads the same whichever ran the command.
"""

from __future__ import annotations

import os
import sys

from wistia_sync.cli.console import fail_line
from wistia_sync.errors import EXIT_FAILURE, WistiaSyncError


def report_failure(error: BaseException, *, debug: bool) -> int | None:
    """Say what ``error`` means in one line and return the exit code; None: let it propagate
    (a traceback under ``--debug``, or not a failure of the command's own)."""
    if isinstance(error, WistiaSyncError):
        if debug:
            return None
        fail_line(str(error))
        return error.exit_code
    if isinstance(error, BrokenPipeError):
        # The reader went away (`wistia-sync videos list | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if isinstance(error, KeyboardInterrupt):
        fail_line("interrupted")
        return 130
    if isinstance(error, Exception) and not debug:
        fail_line(f"unexpected {type(error).__name__}: {error} (run with --debug for details)")
        return EXIT_FAILURE
    return None
