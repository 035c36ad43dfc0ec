"""Many rows written by one statement (a multi-row ``VALUES``), not one statement step a row.

Each ``sqlite3_step`` releases the GIL. During a crawl the fetching threads are runnable, so
after each row of an ``executemany`` the storing thread may wait up to the switch interval to
get the GIL back; one statement for a batch steps once. The values are bound as parameters,
so they reach SQLite exactly as ``executemany`` would bind them (doubles included).

Batches are cut into power-of-two sizes (100 rows: 64 + 32 + 4), so a few statement texts
serve every batch and stay in the connection's statement cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

MAX_BATCH_ROWS = 64


def execute_in_batches(
    conn: sqlite3.Connection, template: str, rows: Sequence[Sequence[Any]]
) -> None:
    """Run ``template`` with ``{values}`` replaced by one ``(?, …)`` group a row, for all
    ``rows`` (each the same number of values) in as few statements as the sizes allow."""
    if not rows:
        return
    width = len(rows[0])
    for start, size in _batches(len(rows), _largest_batch(conn, width)):
        batch = rows[start : start + size]
        group = "(" + ", ".join("?" * width) + ")"
        conn.execute(
            template.format(values=", ".join([group] * size)),
            [value for row in batch for value in row],
        )


def _largest_batch(conn: sqlite3.Connection, width: int) -> int:
    """The largest power of two up to ``MAX_BATCH_ROWS`` whose parameters SQLite accepts."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = MAX_BATCH_ROWS
    while size > 1 and size * width > limit:
        size //= 2
    return size


def _batches(count: int, largest: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` covering ``count`` rows with power-of-two sizes, largest first."""
    start = 0
    size = largest
    while start < count:
        while size > count - start:
            size //= 2
        yield start, size
        start += size
