"""``wistia-sync backup DEST --verify``: the restore drill.

The latest backup is fetched to a temporary file and checked as a restore would check it
(integrity, migrations this version knows); then its change log must reach the id recorded
when it was taken, and hold the live database's rows up to that id unchanged: what matters is
the editors' work, not the bytes. The verdict is recorded for ``status`` either way.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.errors import DatabaseError, UsageError, WistiaSyncError
from wistia_sync.ops import records
from wistia_sync.ops.backup import site_place
from wistia_sync.ops.copies import check_copy
from wistia_sync.store.db import open_database
from wistia_sync.store.state import get_state
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

_CHANGE_ROWS = (
    "SELECT id, at, actor, action, hashed_id, tag, before, after FROM change_log "
    "WHERE id <= ? ORDER BY id"
)


class DrillFailed(WistiaSyncError):
    """The latest backup would not give the editors' work back."""


@dataclass(frozen=True)
class DrillResult:
    where: str
    change_log_id: int
    taken_at: str | None

    def line(self) -> str:
        return (
            f"drill passed: {self.where} restores whole (integrity ok, change log reaches "
            f"#{self.change_log_id} as recorded)"
        )


def change_log_digest(conn: sqlite3.Connection, up_to: int) -> tuple[int, str]:
    """How many change-log rows up to ``up_to`` and a digest of them."""
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(_CHANGE_ROWS, [up_to]):
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()


def verify_latest(db_path: Path, dest: str) -> DrillResult:
    db = open_database(db_path)
    place = site_place(db_path, dest)
    names = place.names()
    if not names:
        raise UsageError(f"no backup in {dest}: take one with `wistia-sync backup {dest}`")
    where = place.where(names[-1])
    try:
        result = _drill(db, where, lambda to: place.fetch(names[-1], to), db_path.parent)
    except WistiaSyncError as error:
        records.record(
            db,
            {
                records.LAST_DRILL_AT: utc_now(),
                records.LAST_DRILL_OK: "0",
                records.LAST_DRILL_DETAIL: f"{where}: {error}",
            },
        )
        if isinstance(error, DatabaseError | DrillFailed):
            raise DrillFailed(f"drill failed: {error}") from None
        raise
    records.record(
        db,
        {
            records.LAST_DRILL_AT: utc_now(),
            records.LAST_DRILL_OK: "1",
            records.LAST_DRILL_DETAIL: f"{where}: change log #{result.change_log_id}",
        },
    )
    return result


def _drill(live: Database, where: str, fetch: Callable[[Path], None], beside: Path) -> DrillResult:
    # Beside the database, not in /tmp (often a small RAM disk): the copy is as big as it.
    with tempfile.TemporaryDirectory(prefix=".wistia-sync-drill-", dir=beside) as folder:
        copy = Path(folder) / "restored.db"
        fetch(copy)
        facts = check_copy(copy, where)
        if facts.recorded_change_id is None:
            raise DrillFailed(f"{where} records no change-log id: not taken by `backup`")
        if facts.last_change_id < facts.recorded_change_id:
            raise DrillFailed(
                f"{where}: its change log stops at #{facts.last_change_id}, before the "
                f"#{facts.recorded_change_id} recorded when it was taken"
            )
        if get_state(live, records.LAST_BACKUP_WHERE) == where:
            expected = int(get_state(live, records.LAST_BACKUP_CHANGE_ID) or 0)
            if expected != facts.recorded_change_id:
                raise DrillFailed(
                    f"{where} holds change log #{facts.recorded_change_id}, but the database "
                    f"recorded #{expected} when it took it"
                )
        conn = sqlite3.connect(f"{copy.absolute().as_uri()}?mode=ro", uri=True)
        try:
            theirs = change_log_digest(conn, facts.recorded_change_id)
        finally:
            conn.close()
        ours = change_log_digest(live.conn, facts.recorded_change_id)
        if theirs != ours:
            raise DrillFailed(
                f"{where}: its {theirs[0]} change-log rows up to #{facts.recorded_change_id} "
                f"differ from the database's {ours[0]}"
            )
    return DrillResult(where, facts.recorded_change_id, facts.taken_at)
