"""``wistia-sync backup DEST``: a consistent online copy, checked, put in place whole, with a
retention count; ``backup --verify``: the restore drill.

No lock is taken: WAL lets the copy read one snapshot while cron, editors and the webhook worker
go on writing. The only write to the live database is the record of the backup, one short
transaction at the end.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wistia_sync.errors import UsageError
from wistia_sync.ops import records
from wistia_sync.ops.copies import Method, check_copy, copy_database, stamp_copy
from wistia_sync.ops.places import BackupPlace, backup_name, open_place, staging_folder
from wistia_sync.publish.settings import stored_delivery
from wistia_sync.store.db import database_file, fsync_path, open_database
from wistia_sync.store.timestamps import format_timestamp

DEFAULT_KEEP = 14


@dataclass(frozen=True)
class BackupResult:
    where: str
    bytes: int
    change_log_id: int
    taken_at: str
    seconds: float
    removed: list[str] = field(default_factory=list)  # older backups past the retention count

    def line(self) -> str:
        removed = f"; removed {len(self.removed)} older" if self.removed else ""
        return (
            f"backed up to {self.where} ({self.bytes:,} bytes, change log #{self.change_log_id}) "
            f"in {self.seconds:.1f} s{removed}"
        )


def site_place(db_path: Path, dest: str) -> BackupPlace:
    """``dest`` opened with the site's S3 endpoint, never inside its published target."""
    stored = stored_delivery(open_database(db_path))
    return open_place(
        dest, endpoint_url=stored.get("s3_endpoint_url"), published=stored.get("target")
    )


def take_backup(
    db_path: Path, dest: str, *, keep: int = DEFAULT_KEEP, method: Method = "backup-api"
) -> BackupResult:
    if keep < 1:
        raise UsageError(f"--keep must be 1 or more, not {keep}")
    started = time.monotonic()
    db = open_database(db_path)
    place = site_place(db_path, dest)
    moment = datetime.now(UTC)
    name = backup_name(moment)
    folder = staging_folder(place, Path(database_file(db)).parent)
    with tempfile.TemporaryDirectory(prefix=".wistia-sync-backup-", dir=folder) as staging:
        copy = Path(staging) / name
        copy_database(db.conn, copy, method)
        change_id = stamp_copy(copy, format_timestamp(moment))
        check_copy(copy, str(copy))
        fsync_path(copy)
        size = copy.stat().st_size
        place.put(copy, name)
    where = place.where(name)
    removed = [old for old in place.names()[:-keep] if old != name]
    for old in removed:
        place.remove(old)
    records.record(
        db,
        {
            records.LAST_BACKUP_AT: format_timestamp(moment),
            records.LAST_BACKUP_WHERE: where,
            records.LAST_BACKUP_CHANGE_ID: str(change_id),
            records.LAST_BACKUP_BYTES: str(size),
        },
    )
    return BackupResult(
        where, size, change_id, format_timestamp(moment), time.monotonic() - started, removed
    )
