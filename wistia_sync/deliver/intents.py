"""What a delivery to a target intends, kept in the database until the target confirms it.

``mirror_to_s3`` records its dirty set (every path it will upload or remove) before its first
request and settles it only once ``files.json`` is in place. A delivery that failed, was killed,
or lost a race leaves the set behind; the next delivery to that target re-sends each path in it
(uploads what the output holds, removes what it does not) whatever the file lists say. So when
the set is empty, the bucket's ``files.json`` describes the bucket's own names exactly, and the
diff of two file lists is enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import parse_timestamp, utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

RECONCILE_EVERY_SECONDS = 24 * 3600  # a reconcile by listing at least daily, from `run`
_BATCH = 500


class DatabaseJournal:
    """The dirty set of one target in the database (``delivery_intents``)."""

    def __init__(self, db: Database, target: str) -> None:
        self.db, self.target = db, target

    def owed(self) -> set[str]:
        rows = self.db.execute(
            "SELECT path FROM delivery_intents WHERE target = ?", [self.target]
        ).fetchall()
        return {row[0] for row in rows}

    def intend(self, paths: Iterable[str]) -> None:
        now = utc_now()
        rows = [(self.target, path, now) for path in paths]
        if not rows:
            return
        with write_transaction(self.db):
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO delivery_intents (target, path, intended_at) "
                "VALUES (?, ?, ?)",
                rows,
            )

    def settle(self, paths: Iterable[str]) -> None:
        listed = list(paths)
        with write_transaction(self.db):
            for start in range(0, len(listed), _BATCH):
                batch = listed[start : start + _BATCH]
                self.db.execute(
                    "DELETE FROM delivery_intents WHERE target = ? AND path IN "
                    f"({', '.join('?' for _ in batch)})",
                    [self.target, *batch],
                )

    def reconciled(self, objects: int) -> None:
        with write_transaction(self.db):
            self.db.execute(
                "INSERT OR REPLACE INTO delivery_reconciles (target, reconciled_at, objects) "
                "VALUES (?, ?, ?)",
                [self.target, utc_now(), objects],
            )

    def reconcile_due(self, every_seconds: float = RECONCILE_EVERY_SECONDS) -> bool:
        """Whether the last reconcile by listing is older than ``every_seconds`` (or never ran)."""
        row = self.db.execute(
            "SELECT reconciled_at FROM delivery_reconciles WHERE target = ?", [self.target]
        ).fetchone()
        if row is None:
            return True
        try:
            at = parse_timestamp(str(row[0]))
        except ValueError:
            return True
        return (datetime.now(UTC) - at).total_seconds() >= every_seconds


def owed_paths(db: Database) -> dict[str, int]:
    """Each target with paths a delivery still owes, and how many (for ``status``)."""
    rows = db.execute(
        "SELECT target, count(*) FROM delivery_intents GROUP BY target ORDER BY target"
    ).fetchall()
    return {str(target): int(count) for target, count in rows}
