"""Where the CLI writes: data on stdout, messages and progress on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from wistia_sync.config import redact

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail_line(message: str) -> None:
    """Print one error line on stderr, with any secret redacted.

    The message is escaped: it may quote a user's argument or a name from Wistia, and a ``[/x]``
    in it must be printed, not read as markup (which fails, or hides part of the message).
    """
    stderr.print(f"[bold red]error:[/] {escape(redact(message))}", markup=True)


def notice(message: str) -> None:
    stderr.print(redact(message), markup=False)
