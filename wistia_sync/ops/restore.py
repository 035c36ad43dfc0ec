"""``wistia-sync restore SRC``: put a backup back as the live database.

The backup is fetched beside the database, checked (integrity, ours, migrations this version
knows) and migrated there; only then is the live file replaced, by a rename. Refused, with
nothing changed: a database in use (cron's run lock or the publish lock held, or any process
with it open, which SQLite's own locks show), or one whose change log is ahead of the backup's
(an editor's later work would be lost) unless ``force``. The replaced file is kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wistia_sync.errors import DatabaseUnusable, LockHeld, UsageError
from wistia_sync.ops import records
from wistia_sync.ops.copies import check_copy, last_change_id
from wistia_sync.ops.places import BackupPlace, LocalFolder, is_backup_name, open_place
from wistia_sync.publish.settings import DELIVERY_KEYS
from wistia_sync.store.db import fsync_path, open_database
from wistia_sync.store.lock import hold_lock, publish_lock_path, run_lock_path


@dataclass(frozen=True)
class RestoreResult:
    source: str
    change_log_id: int
    replaced: Path | None  # where the database it replaced was kept

    def line(self) -> str:
        kept = f"; the replaced database is kept as {self.replaced}" if self.replaced else ""
        return f"restored {self.source} (change log #{self.change_log_id}){kept}"


def resolve_source(src: str, *, endpoint_url: str | None) -> tuple[BackupPlace, str]:
    """The place and backup name ``src`` names: a backup file, or the latest in a folder or
    under an ``s3://`` prefix (or one object there by its name)."""
    if src.startswith("s3://"):
        prefix, _, last = src.rpartition("/")
        if is_backup_name(last):
            return open_place(prefix + "/", endpoint_url=endpoint_url, published=None), last
        place = open_place(src, endpoint_url=endpoint_url, published=None)
    else:
        path = Path(src)
        if path.is_file():
            return LocalFolder(path.parent), path.name
        place = open_place(src, endpoint_url=endpoint_url, published=None)
    names = place.names()
    if not names:
        raise UsageError(f"no backup in {src}")
    return place, names[-1]


def restore_backup(src: str, db_path: Path, *, force: bool = False) -> RestoreResult:
    if db_path.is_dir() or not db_path.parent.is_dir():
        raise DatabaseUnusable(f"cannot restore to {db_path}: not a file in an existing folder")
    place, name = resolve_source(src, endpoint_url=_site_endpoint(db_path))
    shown = place.where(name)
    with tempfile.TemporaryDirectory(prefix=f".{db_path.name}.restore-", dir=db_path.parent) as d:
        staged = Path(d) / db_path.name
        if isinstance(place, LocalFolder) and (place.folder / name).resolve() == db_path.resolve():
            raise UsageError(f"{shown} is the database itself")
        place.fetch(name, staged)
        facts = check_copy(staged, shown)
        # check_copy read every page (integrity_check): opening applies what an older backup
        # lacks without reading them all again.
        migrated = open_database(staged)
        try:
            # The live database's memory of its last backup is this one now, not the one
            # before it that the copy recorded (a plain copy of a database has no time).
            if facts.taken_at is not None:
                records.record(
                    migrated,
                    {
                        records.LAST_BACKUP_AT: facts.taken_at,
                        records.LAST_BACKUP_WHERE: shown,
                        records.LAST_BACKUP_CHANGE_ID: str(facts.last_change_id),
                        records.LAST_BACKUP_BYTES: str(staged.stat().st_size),
                    },
                )
        finally:
            migrated.conn.close()  # the last connection: its -wal is folded in and removed
        fsync_path(staged)
        with ExitStack() as held:
            held.enter_context(_locks(db_path))
            existing = db_path.exists()
            live = held.enter_context(_exclusive(db_path)) if existing else None
            if existing and not force:
                _refuse_newer(live, db_path, facts.last_change_id)
            replaced = _keep_aside(db_path) if existing else None
            # No -wal may survive beside the new file: SQLite would replay it into it. The
            # exclusive connection folded a readable one in (journal_mode=DELETE); one left
            # (a damaged database's) goes with the file it belongs to. A -shm is stale.
            wal = Path(f"{db_path}-wal")
            if wal.exists():
                wal.replace(f"{replaced}-wal" if replaced else f"{wal}.stale")
            Path(f"{db_path}-shm").unlink(missing_ok=True)
            staged.replace(db_path)
            fsync_path(db_path.parent)
    return RestoreResult(shown, facts.last_change_id, replaced)


@contextmanager
def _locks(db_path: Path) -> Iterator[None]:
    try:
        with (
            hold_lock(run_lock_path(db_path), wait=False),
            hold_lock(publish_lock_path(db_path), wait=False),
        ):
            yield
    except LockHeld as held:
        raise LockHeld(f"{db_path} is in use, not restored: {held}") from None


@contextmanager
def _exclusive(db_path: Path) -> Iterator[sqlite3.Connection | None]:
    """The live database locked against every other connection, its WAL folded into the file;
    None when it cannot be read (damaged: replacing it is what a restore is for)."""
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        # Set before the first read: no shared memory, and the lock is kept until closed.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        readable = True
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in (
                sqlite3.SQLITE_BUSY,
                sqlite3.SQLITE_LOCKED,
            ):
                raise LockHeld(
                    f"{db_path} is in use (another process has it open: the webhook server, "
                    "an editor, a run); stop it, then restore"
                ) from None
            readable = False
        except sqlite3.DatabaseError:
            readable = False
        yield conn if readable else None
    finally:
        conn.close()


def _refuse_newer(live: sqlite3.Connection | None, db_path: Path, backup_id: int) -> None:
    try:
        ours = None if live is None else last_change_id(live)
    except sqlite3.DatabaseError as error:
        raise UsageError(
            f"cannot read {db_path}'s change log ({error}); pass --force to replace it"
        ) from None
    if ours is None:
        raise UsageError(f"cannot read {db_path}; pass --force to replace it")
    if ours > backup_id:
        raise UsageError(
            f"{db_path} is newer than the backup (change log #{ours} > #{backup_id}): "
            "restoring would lose those changes; pass --force to replace it anyway"
        )


def _keep_aside(db_path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    aside = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    os.link(db_path, aside)
    return aside


def _site_endpoint(db_path: Path) -> str | None:
    """The site's S3 endpoint, when the database to replace can still tell it (read-only)."""
    try:
        conn = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT value FROM sync_state WHERE key = ?", [DELIVERY_KEYS["s3_endpoint_url"]]
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])
