"""How listing commands print rows: a rich table for people, tab-separated text for pipes, JSON.

On a terminal a table is easiest to read. Piped, the same rows come out one per line with
tab-separated fields and no header, so ``cut -f1``, ``grep`` and ``wistia-sync tag add --tag T -``
work on them directly; a tab or line break inside a value becomes a space so a row stays one line.
``--json`` is for scripts that want structure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import typer

from wistia_sync.cli.console import stdout_console, stdout_is_terminal, terminal_safe

Cell = str | int | float | None
EMPTY_CELL = "—"


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, non-ASCII kept readable."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str | None = None,
    empty: str = "nothing to show",
) -> None:
    """Rows as a table on a terminal, else as tab-separated lines (see the module docstring).

    ``empty`` goes to stderr when there is no row, so a pipe receives nothing at all.
    """
    rows = list(rows)
    if not rows:
        from wistia_sync.cli.console import notice

        notice(empty)
        return
    if not stdout_is_terminal():
        for row in rows:
            typer.echo("\t".join(_plain(value) for value in row))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        numeric = all(_is_number(row[index]) or row[index] is None for row in rows)
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        # Text, not str: names are user data and must not be read as rich markup ("[b]").
        table.add_row(*(Text(_pretty(value)) for value in row))
    stdout_console().print(table)


def print_fields(fields: Sequence[tuple[str, Cell]]) -> None:
    """One record as ``name value`` lines: aligned on a terminal, tab-separated when piped."""
    if not stdout_is_terminal():
        for name, value in fields:
            typer.echo(f"{name}\t{_plain(value)}")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in fields:
        table.add_row(Text(name), Text(_pretty(value)))
    stdout_console().print(table)


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    return terminal_safe(" ".join(str(value).replace("\t", " ").splitlines()))


def _pretty(value: Cell) -> str:
    if value is None or value == "":
        return EMPTY_CELL
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return terminal_safe(str(value))
