"""What the live database remembers of its backups and drills (``sync_state`` keys), for
``status`` and the metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import get_state, set_state
from wistia_sync.store.timestamps import parse_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database

LAST_BACKUP_AT = "backup_last_at"
LAST_BACKUP_WHERE = "backup_last_where"
LAST_BACKUP_CHANGE_ID = "backup_last_change_log_id"
LAST_BACKUP_BYTES = "backup_last_bytes"
LAST_DRILL_AT = "backup_drill_at"
LAST_DRILL_OK = "backup_drill_ok"  # "1" or "0"
LAST_DRILL_DETAIL = "backup_drill_detail"


def record(db: Database, values: dict[str, str]) -> None:
    """One short write transaction: an editor waits for it a moment at most."""
    with write_transaction(db):
        for key, value in values.items():
            set_state(db, key, value)


def backup_status(db: Database) -> dict[str, Any]:
    """The last backup (None: never), its age, and the last drill (None: never)."""
    keys = (LAST_BACKUP_AT, LAST_BACKUP_WHERE, LAST_BACKUP_CHANGE_ID, LAST_BACKUP_BYTES)
    at, where, change_id, size = (get_state(db, key) for key in keys)
    drill_at = get_state(db, LAST_DRILL_AT)
    return {
        "last_backup": None
        if at is None
        else {
            "at": at,
            "where": where,
            "change_log_id": int(change_id or 0),
            "bytes": int(size or 0),
            "age_seconds": age_seconds(at),
        },
        "last_drill": None
        if drill_at is None
        else {
            "at": drill_at,
            "ok": get_state(db, LAST_DRILL_OK) == "1",
            "detail": get_state(db, LAST_DRILL_DETAIL),
            "age_seconds": age_seconds(drill_at),
        },
    }


def age_seconds(at: str) -> int:
    return max(int((datetime.now(UTC) - parse_timestamp(at)).total_seconds()), 0)
