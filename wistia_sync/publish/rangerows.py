"""Stable ranges kept as table rows, so a change reads and rewrites only the rows it touches.

The file list's shards (``publish_file_shards``) and each level of the tree of chunks above
them (``publish_file_nodes``, scoped by ``level``) are ranges keyed by their start, the first
starting at ``""``. ``buckets.normalise`` reshapes a dirty range together with its neighbours
only (a clean range is within bounds, and a dirty one merges with the range before it, or the first
with the one after it), so a change needs the rows holding the keys it touched and each one's
neighbours, not every row: ``window``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wistia_sync.publish.buckets import Bucket
from wistia_sync.publish.build import dumps

if TYPE_CHECKING:
    from sqlite_utils import Database

Row = tuple[Any, ...]  # a range's columns after its start


def _in(alias: str, level: int | None) -> str:
    """The condition keeping one level of a table of levels (none for a table of one)."""
    return "" if level is None else f" AND {alias}.level = {int(level)}"


def _next_start(table: str, alias: str, level: int | None) -> str:
    return (
        f"(SELECT n.start FROM {table} n WHERE n.start > {alias}.start{_in('n', level)} "
        "ORDER BY n.start LIMIT 1)"
    )


def starts_at_origin(db: Database, table: str, level: int | None = None) -> bool:
    """Whether the recorded ranges can be trusted to cover every key (the first starts at "")."""
    sql = f"SELECT start FROM {table} t WHERE 1{_in('t', level)} ORDER BY start LIMIT 1"
    row = db.execute(sql).fetchone()
    return row is not None and row[0] == ""


def holding(db: Database, table: str, keys: Iterable[str], level: int | None = None) -> set[str]:
    """The starts of the ranges holding ``keys`` (each key lies in the last range starting at or
    before it; the first range starts at "", so there is one)."""
    sql = (
        f"SELECT DISTINCT (SELECT t.start FROM {table} t WHERE t.start <= j.value{_in('t', level)} "
        "ORDER BY t.start DESC LIMIT 1) FROM json_each(?) j"
    )
    return {start for (start,) in db.execute(sql, [dumps(sorted(set(keys)))]) if start is not None}


def window(
    db: Database, table: str, columns: str, dirty: set[str], level: int | None = None
) -> tuple[list[Bucket], dict[str, Row]]:
    """The ranges starting at ``dirty`` (marked dirty), each with the range before and after it,
    in order, each with its ``end``; and every one's other ``columns`` by start."""
    if not dirty:
        return [], {}
    sql = (
        "WITH d(start) AS (SELECT value FROM json_each(?)), "
        "w(start) AS (SELECT start FROM d "
        f"UNION SELECT (SELECT t.start FROM {table} t WHERE t.start < d.start{_in('t', level)} "
        "ORDER BY t.start DESC LIMIT 1) FROM d "
        f"UNION SELECT {_next_start(table, 'd', level)} FROM d) "
        f"SELECT r.start, {_next_start(table, 'r', level)}, {columns} FROM {table} r "
        f"JOIN w ON r.start = w.start{_in('r', level)} ORDER BY r.start"
    )
    ranges: list[Bucket] = []
    rows: dict[str, Row] = {}
    for start, end, *rest in db.execute(sql, [dumps(sorted(dirty))]):
        bucket = Bucket(start, 0, dirty=start in dirty)
        bucket.end = end
        ranges.append(bucket)
        rows[start] = tuple(rest)
    return ranges, rows


def every(
    db: Database, table: str, columns: str, level: int | None = None
) -> tuple[list[Bucket], dict[str, Row]]:
    """Every recorded range, in order, each with its ``end`` (a rebuild)."""
    ranges: list[Bucket] = []
    rows: dict[str, Row] = {}
    sql = f"SELECT start, {columns} FROM {table} t WHERE 1{_in('t', level)} ORDER BY start"
    for start, *rest in db.execute(sql):
        if ranges:
            ranges[-1].end = start
        ranges.append(Bucket(start, 0))
        rows[start] = tuple(rest)
    return ranges, rows


def replace(
    db: Database,
    table: str,
    columns: str,
    gone: Iterable[str],
    rows: list[Row],
    *,
    whole: bool,
    level: int | None = None,
) -> None:
    """Delete the ranges starting at ``gone`` (every range: ``whole``), then write ``rows``
    (their start first, then ``columns``)."""
    if whole:
        db.execute(f"DELETE FROM {table} WHERE 1{_in(table, level)}")
    else:
        db.execute(
            f"DELETE FROM {table} WHERE start IN (SELECT value FROM json_each(?))"
            + _in(table, level),
            [dumps(sorted(gone))],
        )
    marks = ", ".join("?" * (1 + columns.count(",") + 1))
    if level is None:
        sql = f"INSERT INTO {table} (start, {columns}) VALUES ({marks})"
    else:
        sql = f"INSERT INTO {table} (level, start, {columns}) VALUES ({int(level)}, {marks})"
    db.conn.executemany(sql, sorted(rows))
