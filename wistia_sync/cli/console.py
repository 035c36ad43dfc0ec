"""Where the CLI writes: data on stdout, messages and progress on stderr."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape

from wistia_sync.redaction import redact

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

# What must not reach a terminal raw from untrusted text (names from Wistia, error bodies): C0
# and C1 controls (ESC starts colour, cursor and OSC sequences: title, clipboard, hyperlinks),
# DEL, and the bidi embedding/override/isolate characters that reorder what a line shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every control and bidi-override character shown as an escape (``\\x1b``,
    ``\\u202e``); line breaks and tabs are kept."""
    return _UNSAFE.sub(lambda match: ascii(match[0])[1:-1], text)


def fail_line(message: str) -> None:
    """Print one error line on stderr, with any secret redacted.

    The message is escaped: it may quote a user's argument or a name from Wistia, and a ``[/x]``
    in it must be printed, not read as markup (which fails, or hides part of the message).
    """
    stderr.print(f"[bold red]error:[/] {escape(terminal_safe(redact(message)))}", markup=True)


def notice(message: str) -> None:
    stderr.print(terminal_safe(redact(message)), markup=False)
