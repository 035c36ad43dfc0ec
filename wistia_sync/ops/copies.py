"""A copy of the database as a backup holds it: made online, stamped, checked.

Both ways read the live file in one read transaction (WAL: writers go on, nobody waits).
``sqlite3.Connection.backup`` copies its pages as they are; ``VACUUM INTO`` rebuilds every
table and index into a compact copy without free pages. At 100,000 videos the backup API took
0.4x the CPU and 0.6x the time of ``VACUUM INTO`` for a file 3% larger
(``benchmarks/bench_backup.py``), and the time the snapshot is held is what the live database
pays (its WAL cannot be reset meanwhile), so it is the default.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wistia_sync.errors import DatabaseError
from wistia_sync.store.lazydb import MIGRATIONS_TABLE
from wistia_sync.store.migrations import MIGRATION_SET, migrations

Method = Literal["vacuum", "backup-api"]

# Written into the copy itself: what it holds, whoever finds it later.
TAKEN_AT_KEY = "backup_taken_at"
CHANGE_ID_KEY = "backup_change_log_id"


def copy_database(live: sqlite3.Connection, to: Path, method: Method = "backup-api") -> None:
    """A consistent copy of ``live`` (a snapshot of one moment) at ``to`` (absent or empty)."""
    if method == "vacuum":
        live.execute("VACUUM INTO ?", [str(to)])
        return
    target = sqlite3.connect(to)
    try:
        live.backup(target)  # in one step: stepwise, every write elsewhere would restart it
    finally:
        target.close()


def last_change_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM change_log").fetchone()[0])


def stamp_copy(path: Path, taken_at: str) -> int:
    """Record when the copy was taken and the last change-log id it holds; returns that id."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        change_id = last_change_id(conn)
        conn.executemany(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(TAKEN_AT_KEY, taken_at), (CHANGE_ID_KEY, str(change_id))],
        )
    finally:
        conn.close()
    return change_id


@dataclass(frozen=True)
class CopyFacts:
    """What a checked copy holds."""

    taken_at: str | None
    recorded_change_id: int | None  # as stamped when the backup was taken
    last_change_id: int  # what its change log actually reaches
    pending_migrations: int  # older than this version: applied when it is opened


def check_copy(path: Path, shown: str) -> CopyFacts:
    """Refuse a copy that is damaged, not ours, or written by a newer wistia-sync."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise DatabaseError(f"cannot read the backup {shown}: {error}") from None
    try:
        verdict = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if verdict != ["ok"]:
            raise DatabaseError(f"the backup {shown} is damaged (SQLite: {verdict[0]})")
        tables = {
            str(row[0])
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if MIGRATIONS_TABLE not in tables or "change_log" not in tables:
            raise DatabaseError(f"{shown} is not a wistia-sync database")
        applied = {
            str(row[0])
            for row in conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [MIGRATION_SET]
            )
        }
        unknown = sorted(applied - set(migrations.names))
        if unknown:
            raise DatabaseError(
                f"the backup {shown} was written by a newer wistia-sync (unknown migration "
                f"{unknown[-1]}); upgrade wistia-sync to restore it"
            )
        state = dict(
            conn.execute(
                "SELECT key, value FROM sync_state WHERE key IN (?, ?)",
                [TAKEN_AT_KEY, CHANGE_ID_KEY],
            ).fetchall()
        )
        recorded = state.get(CHANGE_ID_KEY)
        return CopyFacts(
            taken_at=state.get(TAKEN_AT_KEY),
            recorded_change_id=None if recorded is None else int(recorded),
            last_change_id=last_change_id(conn),
            pending_migrations=len(set(migrations.names) - applied),
        )
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"the backup {shown} is damaged or not SQLite ({error})") from None
    finally:
        conn.close()
