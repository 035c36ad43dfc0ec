"""A usage error (unknown option or command, a missing or invalid argument) as one line.

Click prints four lines for one: the usage synopsis, a "Try ... for help." line, a blank line
and the error. Here it is one line on stderr, like every other failure, with the command's help
named in it: ``error: No such option: --bogus (see 'wistia-sync sync --help')``.
"""

from __future__ import annotations

from typer._click.exceptions import UsageError as ClickUsageError  # Typer 0.29 vendors click

from wistia_sync.cli.console import fail_line


def usage_line(error: ClickUsageError) -> str:
    """Click's message on one line, and where the command's help is."""
    message = " ".join(error.format_message().split()).rstrip(".")
    ctx = error.ctx
    command = ctx.command_path if ctx is not None else "wistia-sync"
    return f"{message} (see '{command} --help')"


def report_usage_error(error: ClickUsageError) -> None:
    fail_line(usage_line(error))
