"""A usage error (unknown option or command, a missing or invalid argument) as one line.

Click prints four lines for one: the usage synopsis, a "Try ... for help." line, a blank line
and the error. Here it is one line on stderr, like every other failure, with the command's help
named in it: ``error: No such option: --bogus (see 'wistia-sync sync --help')``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from typer._click.exceptions import NoArgsIsHelpError  # Typer 0.29 vendors click
from typer._click.exceptions import UsageError as ClickUsageError

from wistia_sync.cli.console import fail_line
from wistia_sync.errors import EXIT_USAGE


def usage_line(error: ClickUsageError) -> str:
    """Click's message on one line, and where the command's help is."""
    message = " ".join(error.format_message().split()).rstrip(".")
    ctx = error.ctx
    command = ctx.command_path if ctx is not None else "wistia-sync"
    return f"{message} (see '{command} --help')"


@contextmanager
def usage_errors_in_one_line() -> Iterator[None]:
    """Around parsing or running a command: a usage error becomes one line and exit 2."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # `wistia-sync videos`: the group's help, as asked
    except ClickUsageError as error:
        fail_line(usage_line(error))
        raise typer.Exit(EXIT_USAGE) from None
