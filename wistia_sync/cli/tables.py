"""How listing commands print rows: a rich table for people, tab-separated text for pipes, JSON.

On a terminal a table is easiest to read. Piped, the same rows come out one per line with
tab-separated fields and no header, so ``cut -f1``, ``grep`` and ``wistia-sync tag add --tag T -``
work on them directly; a tab or line break inside a value becomes a space so a row stays one line.
``--json`` is for scripts that want structure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Literal

import typer

from wistia_sync.cli.console import stdout_console, stdout_is_terminal, terminal_safe

Cell = str | int | float | None
EMPTY_CELL = "—"


def print_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str | None = None,
    empty: str = "nothing to show",
    keep: Collection[str] = (),
    one_line: bool = True,
) -> None:
    """Rows as a table on a terminal, else as tab-separated lines (see the module docstring).

    ``empty`` goes to stderr when there is no row, so a pipe receives nothing at all. ``keep``
    names the columns people copy from (a hashed id, a timestamp): they are never wrapped or
    shortened; the other columns then keep to one line, ending in "…" when the terminal is too
    narrow, or with ``one_line=False`` (few rows, every word wanted) wrap instead.
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
    cells = [[Text(_pretty(value)) for value in row] for row in rows]
    widths = None
    if keep:
        natural = [
            max(len(column), *(line[index].cell_len for line in cells))
            for index, column in enumerate(columns)
        ]
        # Each column costs 3 more cells ("│ " and " "), and the table one for its right edge.
        room = stdout_console().width - 3 * len(columns) - 1
        if one_line:
            widths = _one_line_widths(natural, [c in keep for c in columns], room)
    for index, column in enumerate(columns):
        numeric = all(_is_number(row[index]) or row[index] is None for row in rows)
        justify: Literal["left", "right"] = "right" if numeric else "left"
        if column in keep and widths is None:
            table.add_column(column, justify=justify, no_wrap=True, min_width=natural[index])
        elif widths is None:
            table.add_column(column, justify=justify)
        else:
            table.add_column(
                column, justify=justify, width=widths[index], no_wrap=True, overflow="ellipsis"
            )
    for line in cells:
        # Text, not str: names are user data and must not be read as rich markup ("[b]").
        table.add_row(*line)
    needed = None if widths is None else sum(widths) + 3 * len(columns) + 1
    if needed is not None and needed > stdout_console().width:
        table.width = needed  # never narrower than the kept columns: the terminal wraps lines
    stdout_console().print(table)


SHORT_COLUMN = 10  # a column this narrow (visibility, status, plays) is never shortened
MIN_SHORTENED = 4  # a shortened column still shows three cells and "…"


def _one_line_widths(natural: list[int], keep: list[bool], room: int) -> list[int]:
    """Column widths that fit ``room`` cells: kept and short columns at their natural width, the
    others shortened widest first, all to one common cap (the least they can lose)."""
    fixed = [keep[i] or width <= SHORT_COLUMN for i, width in enumerate(natural)]
    flexible = [width for i, width in enumerate(natural) if not fixed[i]]
    left = room - sum(width for i, width in enumerate(natural) if fixed[i])
    if sum(flexible) <= left:
        return natural
    if MIN_SHORTENED * len(flexible) >= left:
        return [width if fixed[i] else MIN_SHORTENED for i, width in enumerate(natural)]
    cap = MIN_SHORTENED
    while sum(min(width, cap + 1) for width in flexible) <= left:
        cap += 1
    return [width if fixed[i] else min(width, cap) for i, width in enumerate(natural)]


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
