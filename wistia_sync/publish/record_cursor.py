"""A rebuild's records of one folder's files, read in path order as the plan reaches them.

A rebuild plans each video's file in hashed_id order, which is its path's order in
``videos/``: four in five of a site's files (276k of 345k at 300k videos). Their records are
read by one query in path order, beside the plan, and each is made when its path is asked for;
none is held (58 MB at 300k when all were). A path asked out of order is looked up alone.
``unasked`` gives the paths of the records no one asked for: the files the rebuild did not plan.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from wistia_sync.publish.file_records import FileRecord

if TYPE_CHECKING:
    from sqlite_utils import Database

_Row = tuple[str, str, int, int, str | None]
_COLUMNS = "path, sha256, bytes, mtime_ns, expires_at"


def folder_range(folder: str) -> tuple[str, str]:
    """The paths of the files in ``folder`` (at any depth) are ``low <= path < high``."""
    return f"{folder}/", f"{folder}0"  # "0" follows "/"


class RecordCursor:
    """The records of the files in one folder, read once, in path order."""

    def __init__(self, db: Database, folder: str) -> None:
        self.db = db
        self.low, self.high = folder_range(folder)
        self._rows: sqlite3.Cursor = db.execute(
            f"SELECT {_COLUMNS} FROM published_files WHERE path >= ? AND path < ? ORDER BY path",
            [self.low, self.high],
        )
        self._row: _Row | None = next(self._rows, None)
        self._read_to = ""  # every record before this path was read: the paths passed are below
        self._passed: list[str] = []  # records read and not asked for (then)
        self._asked_late: set[str] = set()  # paths asked out of order (a few)

    def holds(self, path: str) -> bool:
        return self.low <= path < self.high

    def get(self, path: str) -> FileRecord | None:
        """The record of ``path`` in this folder (None: no file recorded there)."""
        if path <= self._read_to:  # asked out of order: looked up alone
            self._asked_late.add(path)
            return self._lookup(path)
        row = self._row
        while row is not None and row[0] < path:
            self._passed.append(row[0])
            row = next(self._rows, None)
        self._read_to, self._row = path, row
        if row is None or row[0] != path:
            return None
        self._row = next(self._rows, None)
        return FileRecord(row[1], row[2], row[3], row[4])

    def unasked(self) -> Iterator[str]:
        """The paths of the records not asked for (in order), reading those not read yet."""
        late = self._asked_late
        yield from (path for path in self._passed if path not in late)
        self._passed = []
        while self._row is not None:
            yield self._row[0]
            self._row = next(self._rows, None)
        self._read_to = self.high

    def close(self) -> None:
        """End the query (a statement left open would keep its tables locked: a failed plan's
        temp tables could not be dropped)."""
        self._rows.close()
        self._row = None
        self._passed = []

    def _lookup(self, path: str) -> FileRecord | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM published_files WHERE path = ?", [path]
        ).fetchone()
        return None if row is None else FileRecord(row[1], row[2], row[3], row[4])
