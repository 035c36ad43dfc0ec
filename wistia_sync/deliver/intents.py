"""What a delivery to a target intends, kept in the database until the target confirms it; and
the lock that makes deliveries to one target take turns.

``mirror_to_s3`` records its dirty set (every path it will upload or remove) before its first
request and settles it only once ``files.json`` is in place. A delivery that failed, was killed,
or lost a race leaves the set behind; the next delivery to that target re-sends each path in it
(uploads what the output holds, removes what it does not) whatever the file lists say. So when
the set is empty, the bucket's ``files.json`` describes the bucket's own names exactly, and the
diff of two file lists is enough.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from wistia_sync.config import DELIVERY_LOCK_WAIT_ENV
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import parse_timestamp, utc_now

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from sqlite_utils import Database

    from wistia_sync.contract.cache_policy import CachePolicy
    from wistia_sync.deliver.s3 import UploadReport
    from wistia_sync.deliver.targets import S3Location

RECONCILE_EVERY_SECONDS = 24 * 3600  # a reconcile by listing at least daily, from `run`
DELIVERY_LOCK_WAIT_SECONDS = 60.0  # then exit 75 (WISTIA_SYNC_DELIVERY_LOCK_WAIT overrides)
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


def mirror_serialised(
    output_dir: Path,
    db: Database,
    location: S3Location,
    policy: CachePolicy,
    client: BaseClient,
    reconcile: bool | Literal["when-due"],
) -> UploadReport:
    """Mirror under the target's lock, with the target's dirty set kept in ``db``."""
    from contextlib import nullcontext

    from wistia_sync.deliver.intents import DatabaseJournal
    from wistia_sync.deliver.s3 import mirror_to_s3
    from wistia_sync.errors import LockHeld
    from wistia_sync.store.db import database_file
    from wistia_sync.store.lock import deliver_lock_path, hold_lock

    target = str(location)
    journal = DatabaseJournal(db, target)
    database = Path(database_file(db))
    lock = (
        hold_lock(deliver_lock_path(database, target), wait=True, timeout=_lock_wait_seconds())
        if database.is_absolute()
        else nullcontext()
    )
    try:
        with lock:
            due = reconcile is True or (reconcile == "when-due" and journal.reconcile_due())
            return mirror_to_s3(
                output_dir, location, policy, client=client, journal=journal, reconcile=due
            )
    except LockHeld as held:
        raise LockHeld(
            f"another delivery to {target} is under way: {held}; the output folder is "
            "published and the next delivery sends it"
        ) from None


def _lock_wait_seconds() -> float:
    from wistia_sync.errors import ConfigError

    text = os.environ.get(DELIVERY_LOCK_WAIT_ENV, "").strip()
    if not text:
        return DELIVERY_LOCK_WAIT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ConfigError(f"{DELIVERY_LOCK_WAIT_ENV} must be seconds from 0 to 3600, not {text!r}")
    return value
