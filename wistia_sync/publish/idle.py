"""Whether a publish now would do nothing at all, told without the publisher.

``wistia-sync publish`` with nothing to do is what cron and scripts run most, and importing the
publisher (planning, rendering, the output folder's writer) costs more than the answer. When no
rebuild is due, a publish plans only what its pending change rows name, plus pages whose grace
ended and a preview page that is not current: when none of those is there it writes, retires,
removes and records nothing. ``up_to_date`` checks exactly that, holding the publish lock as
``publish_site`` would; any doubt (the lock taken, a folder that is not plainly a folder)
answers no, and the publisher decides.

It asks with its own few queries rather than through ``snapshot`` and ``state``, whose imports
(the renderer, dataclasses) would double its cost; tests hold its keys and its answer to the
publisher's own in every case that makes a publish do something.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync.contract.layout import MANAGED_FOLDERS, PREVIEW_PATH
from wistia_sync.errors import LockHeld
from wistia_sync.publish.preview import is_current_preview_page
from wistia_sync.publish.settings import preview_page_enabled, preview_title
from wistia_sync.store.lock import hold_lock
from wistia_sync.store.state import full_rebuild_pending, get_state
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

# ``wistia_sync.publish.state``'s keys (a test holds them equal).
GENERATION_KEY = "publish_generation"
OUTPUT_KEY = "publish_output"


def up_to_date(db: Database, output_dir: Path, *, lock_path: Path) -> str | None:
    """The generation the output folder holds if a publish now would change nothing (None: it
    might, or the publish lock is taken: let ``publish_site`` decide)."""
    if not _plain_folders(output_dir):
        return None
    try:
        with hold_lock(lock_path, wait=False):
            db.execute("BEGIN")  # one snapshot for every query
            try:
                if not _nothing_pending(db, str(output_dir.resolve())):
                    return None
                if not _preview_page_current(db, output_dir):
                    return None
                return get_state(db, GENERATION_KEY) or ""
            finally:
                db.execute("COMMIT")
    except LockHeld:
        return None


def noop_result(generation: str) -> dict[str, Any]:
    """``PublishResult.as_dict()`` of a publish that did nothing (a test holds them equal)."""
    return {
        "generation": generation,
        "changed_entries": [],
        "new_pages": [],
        "new_shards": [],
        "removed": [],
        "retired": [],
        "unchanged": 0,
        "full": False,
        "dry_run": False,
        "cache": {},
    }


NOOP_SUMMARY = "published 0 files, removed 0, 0 unchanged"  # its ``summary()``


def _nothing_pending(db: Database, target: str) -> bool:
    """No rebuild due (the records describe this folder), no change row, no page past its
    grace."""
    if get_state(db, OUTPUT_KEY) != target or full_rebuild_pending(db):
        return False
    found = db.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM publish_playlists), "  # nothing recorded: a rebuild
        "EXISTS (SELECT 1 FROM publish_changes), "
        "EXISTS (SELECT 1 FROM published_files WHERE expires_at IS NOT NULL AND expires_at <= ?)",
        [utc_now()],
    ).fetchone()
    return not any(found)


def _preview_page_current(db: Database, output_dir: Path) -> bool:
    """The preview page is off, or the recorded one is on disk and this version's."""
    if not preview_page_enabled(db):
        return True
    record = db.execute(
        "SELECT bytes, mtime_ns FROM published_files WHERE path = ?", [PREVIEW_PATH]
    ).fetchone()
    if record is None:
        return False
    path = output_dir / PREVIEW_PATH
    try:
        info = os.lstat(path)
        if not (stat.S_ISREG(info.st_mode) and (info.st_size, info.st_mtime_ns) == tuple(record)):
            return False
        content = path.read_bytes()
    except OSError:
        return False
    return is_current_preview_page(content, preview_title(db))


def _plain_folders(output_dir: Path) -> bool:
    """The output and its managed folders are folders, not symlinks (else the publisher refuses
    or repairs them, and says so)."""
    if not output_dir.is_dir():
        return False
    for name in MANAGED_FOLDERS:
        path = output_dir / name
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            return False
    return True
