"""The ``sync_runs`` table: a row per run, opened when it starts and closed with its outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wistia_sync.errors import WistiaSyncError
from wistia_sync.redaction import redact
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now
from wistia_sync.sync.summary import SyncSummary

if TYPE_CHECKING:
    from sqlite_utils import Database


def start_run(db: Database, mode: str, source: str) -> int:
    """Record a run starting; return its id."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO sync_runs (started_at, mode, source) VALUES (?, ?, ?)",
            [utc_now(), mode, source],
        )
    return int(cursor.lastrowid or 0)


def finish_run(
    db: Database, run_id: int, summary: SyncSummary, *, outcome: str, error: str | None = None
) -> None:
    """Record how the run ended and what it did."""
    with write_transaction(db):
        db.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, requests = ?, new = ?, "
            "updated = ?, archived = ?, deleted = ?, unchanged = ?, stats_fetched = ?, error = ?, "
            "rejected = ?, warnings = ? WHERE id = ?",
            [
                utc_now(),
                outcome,
                summary.requests,
                summary.new,
                summary.updated,
                summary.archived,
                summary.deleted,
                summary.unchanged,
                summary.stats_fetched,
                error,
                summary.rejected,
                summary.warning_line(),
                run_id,
            ],
        )


def fail_run(db: Database, run_id: int, summary: SyncSummary, error: BaseException) -> None:
    """Record the run as failed with ``error``: our own errors' message, anything else redacted."""
    message = str(error) if isinstance(error, WistiaSyncError) else redact(repr(error))
    finish_run(db, run_id, summary, outcome="failed", error=message or type(error).__name__)
