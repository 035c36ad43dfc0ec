"""Recording a publish: the publisher's state, the file records, and the two files written last.

Everything is recorded in one write transaction that also places ``manifest.json`` and then
``files.json`` (they are built from the records) and removes what no longer belongs. If anything
fails before the commit, the database still holds the pending changes and the old records, so
the next publish redoes the same work and converges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import cache_class
from wistia_sync.publish import staged_rows
from wistia_sync.publish.build import generation_of, manifest_file
from wistia_sync.publish.pagelists import STATE_PREFIX, state_key
from wistia_sync.store.state import FULL_REBUILD_KEY, get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.output import FileStat
    from wistia_sync.publish.plan import Plan

GENERATION_KEY = "publish_generation"
UPDATED_AT_KEY = "publish_updated_at"
OUTPUT_KEY = "publish_output"  # the folder the state describes
_IDS = "(SELECT value FROM json_each(?))"
_NO_KEYS: Mapping[str, str] = {}  # every file's key is its path


def record_state(db: Database, plan: Plan) -> None:
    """The publisher's own tables, as this publish leaves the playlists.

    An incremental publish rewrites only the rows of the changed videos and of the buckets it
    reshaped or refilled, so its database work does not grow with the catalog either.
    """
    if plan.members_replaced is None:
        db.execute("DELETE FROM publish_videos")
        db.execute("DELETE FROM publish_buckets")
        db.execute("DELETE FROM publish_playlists")
    else:
        changed = json.dumps(sorted(plan.members_replaced))
        db.execute(f"DELETE FROM publish_videos WHERE hashed_id IN {_IDS}", [changed])
        dropped = json.dumps(sorted(plan.dropped_playlists))
        db.execute(f"DELETE FROM publish_buckets WHERE playlist IN {_IDS}", [dropped])
        db.execute(f"DELETE FROM publish_playlists WHERE playlist IN {_IDS}", [dropped])
        db.conn.executemany(
            "DELETE FROM publish_buckets WHERE playlist = ? AND start_key = ?",
            [(path, start) for path, starts in plan.gone_buckets.items() for start in starts],
        )
    # In primary-key order: appending to a b-tree is several times cheaper than random inserts.
    staged_rows.record_texts(db)
    staged_rows.record_buckets(db)
    db.conn.executemany(
        "INSERT OR REPLACE INTO publish_playlists (playlist, title, count) VALUES (?, ?, ?)",
        [(path, title, count) for path, (title, count) in plan.playlists.items()],
    )
    _record_page_lists(db, plan)
    db.execute("DELETE FROM publish_changes WHERE id <= ?", [plan.last_change_id])
    if plan.full:
        set_state(db, FULL_REBUILD_KEY, "0")
    for key, value in plan.state_values.items():
        set_state(db, key, value)


def _record_page_lists(db: Database, plan: Plan) -> None:
    """The chunks of each touched playlist's page list (no key: the whole list is inline)."""
    if plan.members_replaced is None:  # a rebuild: keys of playlists gone meanwhile go too
        db.execute("DELETE FROM sync_state WHERE key GLOB ?", [f"{STATE_PREFIX}*"])
    for playlist, chunks in sorted(plan.page_lists.items()):
        if chunks is None:
            db.execute("DELETE FROM sync_state WHERE key = ?", [state_key(playlist)])
        else:
            set_state(db, state_key(playlist), chunks)


def record_files(
    db: Database,
    placed: Iterable[tuple[str, str, FileStat]],
    *,
    retire: dict[str, str],
    revive: Iterable[str],
    forget: Iterable[str],
    keys: Mapping[str, str] = _NO_KEYS,
) -> None:
    """Remember what is on disk now, so the next publish can skip it after a cheap ``stat``.

    ``keys``: the file list's sort key of each file whose key is not its path (term shards)."""
    db.conn.executemany(
        "INSERT INTO published_files (path, key, sha256, bytes, mtime_ns, cache, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(path) DO UPDATE SET key = excluded.key, "
        "sha256 = excluded.sha256, bytes = excluded.bytes, mtime_ns = excluded.mtime_ns, "
        "cache = excluded.cache, expires_at = NULL",
        [
            (path, keys.get(path, path), digest, info.st_size, info.st_mtime_ns, cache_class(path))
            for path, digest, info in placed
        ],
    )
    db.conn.executemany(
        "UPDATE published_files SET expires_at = NULL WHERE path = ?", [(p,) for p in revive]
    )
    db.conn.executemany(
        "UPDATE published_files SET expires_at = ? WHERE path = ?",
        [(expires, path) for path, expires in retire.items()],
    )
    forgotten = [(path,) for path in forget]
    db.conn.executemany("DELETE FROM published_files WHERE path = ?", forgotten)
    db.conn.executemany("DELETE FROM publish_pages WHERE page = ?", forgotten)


def record_pending_pages(
    db: Database,
    pages: Iterable[tuple[str, str, FileStat]],
    *,
    expires_at: str,
    keys: Mapping[str, str] = _NO_KEYS,
) -> None:
    """Record immutable files (pages, chunks, caption and search files) about to be renamed into
    place, expiring unless the publish completes (``keys`` as for ``record_files``)."""
    db.conn.executemany(
        "INSERT INTO published_files (path, key, sha256, bytes, mtime_ns, cache, expires_at) "
        "VALUES (?, ?, ?, ?, ?, 'immutable', ?) ON CONFLICT(path) DO NOTHING",
        [
            (path, keys.get(path, path), digest, info.st_size, info.st_mtime_ns, expires_at)
            for path, digest, info in pages
        ],
    )


def keys_of(db: Database, paths: Iterable[str]) -> set[str]:
    """The file list's sort keys of the recorded files among ``paths``."""
    rows = db.execute(
        f"SELECT key FROM published_files WHERE path IN {_IDS}", [json.dumps(sorted(set(paths)))]
    )
    return {key for (key,) in rows}


def generation(db: Database) -> str:
    """The id of the published content, from the hashes of the files everything hangs from.

    A video's bytes are in videos.json or in a page whose name (its hash) videos.json lists; a
    tag's or folder's name and count in tags.json or folders.json; so any change to published
    content changes one of these hashes. Constant cost, the same for a rebuild.
    """
    # A range, not ``LIKE 'schema/%'``: LIKE folds case, so SQLite would scan every recorded
    # file (a row per page and video file) instead of searching the path index.
    rows = db.execute(
        "SELECT path, sha256 FROM published_files WHERE path IN ('videos.json', 'tags.json', "
        "'folders.json') OR (path >= 'schema/' AND path < 'schema0') ORDER BY path"
    ).fetchall()
    return generation_of([f"{path} {digest}" for path, digest in rows])


def manifest_content(
    db: Database, generation: str, now: str, counts: tuple[int, int, int]
) -> bytes:
    """The manifest: ``updated_at`` moves only when the generation does (a no-op keeps bytes)."""
    updated_at = get_state(db, UPDATED_AT_KEY)
    if updated_at is None or get_state(db, GENERATION_KEY) != generation:
        updated_at = now
        set_state(db, GENERATION_KEY, generation)
        set_state(db, UPDATED_AT_KEY, updated_at)
    videos, tags, folders = counts
    return manifest_file(
        generation=generation, updated_at=updated_at, videos=videos, tags=tags, folders=folders
    )
