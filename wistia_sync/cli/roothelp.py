"""``wistia-sync --help`` without importing Typer (two thirds of the start-up of any command).

It lays out the same text click's help formatter does for the root group (usage, help,
options, commands; wrapped to the terminal, at most 78 columns), from ``wistia_sync.cli.registry``.
A test compares it with Typer's own rendering at several widths, so the two cannot drift apart.
"""

from __future__ import annotations

import shutil
import textwrap

from wistia_sync.cli.registry import COMMANDS, DEBUG_HELP, ROOT_HELP, VERSION_HELP

# Typer adds these two to a root group; its wording, not ours.
COMPLETION_OPTIONS = (
    ("--install-completion", "Install completion for the current shell."),
    (
        "--show-completion",
        "Show completion for the current shell, to copy it or customize the installation.",
    ),
)
MAX_WIDTH = 80  # click's default: help is wrapped to min(terminal, 80) - 2 columns
MIN_WIDTH = 50
COLUMN_MAX = 30
COLUMN_SPACING = 2


def root_help(prog: str) -> str:
    width = max(min(shutil.get_terminal_size().columns, MAX_WIDTH) - 2, MIN_WIDTH)
    options = [
        ("--debug", DEBUG_HELP),
        ("--version", VERSION_HELP),
        *COMPLETION_OPTIONS,
        ("-h, --help", "Show this message and exit."),
    ]
    limit = width - 6 - max(len(name) for name in COMMANDS)
    commands = [(name, _short_help(c.short_help, limit)) for name, c in COMMANDS.items()]
    return "\n".join(
        [
            f"Usage: {prog} [OPTIONS] COMMAND [ARGS]...",
            "",
            _wrap(ROOT_HELP, width, "  "),
            "",
            "Options:",
            _definitions(options, width),
            "",
            "Commands:",
            _definitions(commands, width),
        ]
    )


def _wrap(text: str, width: int, indent: str) -> str:
    return textwrap.fill(
        text, width, initial_indent=indent, subsequent_indent=indent, replace_whitespace=False
    )


def _definitions(rows: list[tuple[str, str]], width: int, indent: int = 2) -> str:
    first_column = min(max(len(first) for first, _ in rows), COLUMN_MAX) + COLUMN_SPACING
    text_width = max(width - first_column - 2, 10)
    lines: list[str] = []
    for first, text in rows:
        wrapped = textwrap.wrap(text, text_width, replace_whitespace=False)
        if len(first) <= first_column - COLUMN_SPACING:
            lines.append(" " * indent + first.ljust(first_column) + wrapped[0])
        else:
            lines.append(" " * indent + first)
            lines.append(" " * (first_column + indent) + wrapped[0])
        lines.extend(" " * (first_column + indent) + line for line in wrapped[1:])
    return "\n".join(lines)


def _short_help(text: str, limit: int) -> str:
    """The first sentence if it fits in ``limit`` columns, else as many words as fit, then "...".

    The same rule as click's short help, for single-paragraph text.
    """
    words = text.split()
    length = 0
    for index, word in enumerate(words):
        length += len(word) + (index > 0)
        if length > limit:
            break
        if word.endswith("."):
            return " ".join(words[: index + 1])
        if length == limit and index != len(words) - 1:
            break
    else:
        return " ".join(words)
    kept = index
    length += len("...")
    while kept > 0:
        length -= len(words[kept]) + 1
        if length <= limit:
            break
        kept -= 1
    return " ".join(words[:kept]) + "..."
