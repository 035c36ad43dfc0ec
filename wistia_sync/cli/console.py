"""Where the CLI writes: data on stdout, messages and progress on stderr.

The rich consoles are created on first use: importing rich costs start-up time that
``--help``, ``--version`` and most editor commands never need. Lines that go to a file or a pipe
need no styling, so they are written without asking rich.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

from wistia_sync.redaction import redact

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console


@cache
def stdout_console() -> Console:
    """The rich console for data on stdout, built (and rich imported) on first use."""
    return _new_console(stderr=False)


@cache
def stderr_console() -> Console:
    """The rich console for messages and progress on stderr, built on first use."""
    return _new_console(stderr=True)


def _new_console(*, stderr: bool) -> Console:
    # A real Console, never a stand-in: rich's progress display enters it as a context manager
    # and checks what it is, which no attribute-forwarding proxy can satisfy.
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _is_terminal(stream: Any, console: Callable[[], Console]) -> bool:
    """``console.is_terminal``, without importing rich when the answer is surely no.

    Rich says no for a stream that is not a tty unless ``TTY_COMPATIBLE=1`` or ``FORCE_COLOR``
    says otherwise; only then (or for a tty) is rich asked, as it is about to style its output.
    """
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        tty = False
    if not tty and os.environ.get("TTY_COMPATIBLE") != "1" and "FORCE_COLOR" not in os.environ:
        return False
    return console().is_terminal


def stdout_is_terminal() -> bool:
    return _is_terminal(sys.stdout, stdout_console)


def stderr_is_terminal() -> bool:
    return _is_terminal(sys.stderr, stderr_console)


# What must not reach a terminal raw from untrusted text (names from Wistia, error bodies): C0
# and C1 controls (ESC starts colour, cursor and OSC sequences: title, clipboard, hyperlinks),
# DEL, and the bidi embedding/override/isolate characters that reorder what a line shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every control and bidi-override character shown as an escape (``\\x1b``,
    ``\\u202e``); line breaks and tabs are kept."""
    return _UNSAFE.sub(lambda match: ascii(match[0])[1:-1], text)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, non-ASCII kept readable (the bytes rich's
    ``print_json`` writes to a pipe, without rich)."""
    import json

    print(json.dumps(data, ensure_ascii=False, indent=2), flush=True)


def fail_line(message: str) -> None:
    """Print one error line on stderr, with any secret redacted.

    The message is escaped: it may quote a user's argument or a name from Wistia, and a ``[/x]``
    in it must be printed, not read as markup (which fails, or hides part of the message).
    """
    text = terminal_safe(redact(message))
    if not stderr_is_terminal():
        _plain_line(f"error: {text}")  # what rich prints there: no colour
        return
    from rich.markup import escape

    stderr_console().print(f"[bold red]error:[/] {escape(text)}", markup=True)


def notice(message: str) -> None:
    text = terminal_safe(redact(message))
    if not stderr_is_terminal():
        _plain_line(text)
        return
    stderr_console().print(text, markup=False)


def _plain_line(text: str) -> None:
    """A line on stderr as rich writes it to a file or pipe (``text`` is already terminal-safe:
    no control character left for rich to strip), but verbatim: an ``:emoji_code:`` in a tag
    name stays as typed."""
    print(text, file=sys.stderr, flush=True)
