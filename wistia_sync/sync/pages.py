"""Storing one page of raw media records: validated, upserted with their folders and Wistia tags,
the rejected ones quarantined in ``rejected_media``, and counted in the run's summary."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from wistia_sync.catalog.tags import ensure_tag, tag_key
from wistia_sync.store.changes import videos_changes_recorded_here
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import format_timestamp, utc_now
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.jsonbody import TooDeep
from wistia_sync.wistia.records import MAX_REJECTED_RAW_CHARS, WistiaMedia, read_records

if TYPE_CHECKING:
    from sqlite_utils import Database

# The columns a sync owns; an upsert writes these and nothing editors own.
WISTIA_COLUMNS = (
    "hashed_id",
    "id",
    "name",
    "description",
    "type",
    "status",
    "archived",
    "duration",
    "created",
    "updated",
    "thumbnail_url",
    "folder_hashed_id",
    "width",
    "height",
    "protected",
)


# How far past the server's clock an ``updated`` may move a watermark: a media stamped in the
# future would otherwise pin it there, and every later incremental run would stop at once.
WATERMARK_FUTURE_MARGIN = timedelta(minutes=5)


Rejection = tuple[str | None, str, str]  # a rejected record's (hashed_id, reason, raw JSON)


@dataclass(frozen=True)
class StoredPage:
    """What ``store_media_page`` did with one page of raw records."""

    received: int  # records on the page
    stored: int  # media upserted
    rejected: int  # records quarantined in rejected_media
    hashed_ids: tuple[str, ...]  # usable hashed ids on the page, stored or rejected
    newest_updated: str | None  # the largest ``updated`` stored, clamped to the server's clock
    oldest_updated: str | None  # the smallest ``updated`` stored (where an incremental run stops)


def store_media_page(
    db: Database,
    page: MediaPage,
    options: SyncOptions,
    summary: SyncSummary,
    *,
    archived_hint: bool | None = None,
) -> StoredPage:
    """Validate each raw record, then store the good ones with their folders and Wistia tags and
    quarantine the rest, in one transaction (set-based statements, one per table).

    Only what changed is written: a media whose stored row and Wistia tags already say what
    Wistia says gets its ``last_seen`` moved and nothing else (no publish-change row). A
    rejected record leaves its media's last good row as it was. ``archived_hint`` is the
    listing's ``archived`` filter.

    The records are read here, on the storing thread, not on the threads that fetch pages:
    reading is pure Python, and on a worker it held the GIL while this thread waited to get it
    back after each row SQLite wrote (measured: slower, with more CPU).
    """
    good, rejected = _read_page(page.records, summary, archived_hint)
    rows = {hashed_id: _media_row(media) for hashed_id, media in good.items()}
    stored = _what_was_stored(page, good, rejected, rows)
    if page.records:
        _write_page(db, good, rows, rejected, options, summary)
    return stored


def _read_page(
    records: Sequence[object], summary: SyncSummary, archived_hint: bool | None
) -> tuple[dict[str, WistiaMedia], dict[str, Rejection]]:
    """The page's good media by hashed id and its rejected records by key. A media listed twice
    is the later record; one rejected anywhere on the page is not stored."""
    results = read_records(records, archived_hint=archived_hint)
    good: dict[str, WistiaMedia] = {}
    rejected: dict[str, Rejection] = {}
    for raw, result in zip(records, results, strict=True):
        if result.notes:
            summary.warnings.update(result.notes)
        if result.media is None:
            assert result.rejected is not None
            hashed_id = result.rejected.hashed_id
            key, raw_json = _rejection_key(raw, hashed_id)
            rejected[key] = (hashed_id, result.rejected.reason, raw_json)
            continue
        good[result.media.hashed_id] = result.media
        rejected.pop(result.media.hashed_id, None)
    for key in rejected:
        good.pop(key, None)
    return good, rejected


def _what_was_stored(
    page: MediaPage,
    good: dict[str, WistiaMedia],
    rejected: dict[str, Rejection],
    rows: dict[str, MediaRow],
) -> StoredPage:
    limit = format_timestamp((page.server_date or datetime.now(UTC)) + WATERMARK_FUTURE_MARGIN)
    updated = sorted(row[_UPDATED] for h, row in rows.items() if good[h].updated is not None)
    return StoredPage(
        received=len(page.records),
        stored=len(good),
        rejected=len(rejected),
        hashed_ids=(*good, *(h for h, _, _ in rejected.values() if h is not None)),
        newest_updated=min(updated[-1], limit) if updated else None,
        oldest_updated=updated[0] if updated else None,
    )


def _write_page(
    db: Database,
    good: dict[str, WistiaMedia],
    rows: dict[str, MediaRow],
    rejected: dict[str, Rejection],
    options: SyncOptions,
    summary: SyncSummary,
) -> None:
    """Store the page in one transaction, writing only what changed, and count it."""
    now = utc_now()
    with write_transaction(db):
        existing = _existing_rows(db, list(good)) if good else {}
        _store_folders(db, good.values())
        with videos_changes_recorded_here(db) as changed:
            _upsert_changed_rows(db, rows, existing, now, options)
            tags_changed = _replace_wistia_tags(db, list(good.values()), existing.keys(), now)
            changed |= tags_changed
            changed.update(h for h, row in rows.items() if _published_change(existing.get(h), row))
        _quarantine(db, rejected, good, now, summary)
        for hashed_id, row in rows.items():
            _count(summary, hashed_id, existing.get(hashed_id), row, hashed_id in tags_changed)


def _upsert_changed_rows(
    db: Database,
    rows: dict[str, MediaRow],
    existing: dict[str, MediaRow],
    now: str,
    options: SyncOptions,
) -> None:
    """Upsert the rows that differ from what is stored; only move ``last_seen`` of the others."""
    same = [h for h, row in rows.items() if existing.get(h) == (*row, None)]
    db.conn.executemany(
        _UPSERT_SQL,
        [
            (*row, now, now, options.default_visibility)
            for h, row in rows.items()
            if existing.get(h) != (*row, None)
        ],
    )
    if same:
        db.execute(
            "UPDATE videos SET last_seen = ? WHERE hashed_id IN (SELECT value FROM json_each(?))",
            [now, json.dumps(same)],
        )


def _published_change(before: MediaRow | None, after: MediaRow) -> bool:
    """Whether storing ``after`` over ``before`` changes a published column: what the update
    triggers of ``videos`` test (every column a sync writes but ``hashed_id`` and ``id`` is
    published, and the upsert clears ``deleted_at``)."""
    if before is None:
        return True
    return before[_NAME:_DELETED_AT] != after[_NAME:] or before[_DELETED_AT] is not None


def _rejection_key(raw: object, hashed_id: str | None) -> tuple[str, str]:
    """The rejected_media key of a record (its hashed id, else a digest) and its raw JSON."""
    if isinstance(raw, TooDeep):
        raw_json = raw.text  # its source, since it could not be parsed
    else:
        try:
            raw_json = json.dumps(raw, ensure_ascii=True, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            try:
                raw_json = ascii(raw)
            except RecursionError:
                raw_json = '"(not kept: nested too deeply to write out)"'

    key = hashed_id or "sha256:" + hashlib.sha256(raw_json.encode()).hexdigest()[:16]
    return key, raw_json[:MAX_REJECTED_RAW_CHARS]


def _quarantine(
    db: Database,
    rejected: dict[str, Rejection],
    good: dict[str, WistiaMedia],
    now: str,
    summary: SyncSummary,
) -> None:
    """Record this page's rejected records; forget earlier rejections of media now stored."""
    if rejected:
        db.conn.executemany(
            "INSERT INTO rejected_media (key, hashed_id, reason, raw, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET reason = excluded.reason, "
            "raw = excluded.raw, last_seen = excluded.last_seen",
            [(key, h, reason, raw, now, now) for key, (h, reason, raw) in rejected.items()],
        )
    if good:
        db.execute(
            "DELETE FROM rejected_media WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(list(good))],
        )
    for key, (hashed_id, _, _) in rejected.items():
        if key not in summary.rejected_keys:
            summary.rejected_keys.add(key)
            summary.rejected += 1
        if hashed_id is not None:
            summary.seen.add(hashed_id)  # still in Wistia: never a deletion candidate


MediaRow = tuple[Any, ...]  # the values of WISTIA_COLUMNS, in that order
_UPDATED = WISTIA_COLUMNS.index("updated")
_ARCHIVED = WISTIA_COLUMNS.index("archived")
_NAME = WISTIA_COLUMNS.index("name")
_DELETED_AT = len(WISTIA_COLUMNS)  # ``_existing_rows`` adds it after WISTIA_COLUMNS


def _media_row(media: WistiaMedia) -> MediaRow:
    created = format_timestamp(media.created)
    return (
        media.hashed_id,
        media.id,
        media.name,
        media.description,
        media.type,
        media.status,
        int(media.archived),
        media.duration,
        created,
        format_timestamp(media.updated) if media.updated is not None else created,
        media.thumbnail_url,
        media.folder.hashed_id if media.folder else None,
        media.width,
        media.height,
        int(media.protected),
    )


_UPSERT_SQL = (
    "INSERT INTO videos ({cols}, first_seen, last_seen, visibility) VALUES ({params}, ?, ?, ?) "
    "ON CONFLICT(hashed_id) DO UPDATE SET {updates}, last_seen = excluded.last_seen, "
    "deleted_at = NULL"
).format(
    cols=", ".join(WISTIA_COLUMNS),
    params=", ".join("?" for _ in WISTIA_COLUMNS),
    updates=", ".join(f"{c} = excluded.{c}" for c in WISTIA_COLUMNS if c != "hashed_id"),
)


def _existing_rows(db: Database, hashed_ids: list[str]) -> dict[str, MediaRow]:
    """The stored WISTIA_COLUMNS and ``deleted_at`` of those media the database holds."""
    cursor = db.execute(
        f"SELECT {', '.join(WISTIA_COLUMNS)}, deleted_at FROM videos "
        "WHERE hashed_id IN (SELECT value FROM json_each(?))",
        [json.dumps(hashed_ids)],
    )
    return {row[0]: tuple(row) for row in cursor.fetchall()}


def _store_folders(db: Database, media: Iterable[WistiaMedia]) -> None:
    """Upsert the page's folders whose id or name is not already what the database holds."""
    folders = {m.folder.hashed_id: m.folder for m in media if m.folder is not None}
    if not folders:
        return
    stored = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            "SELECT hashed_id, id, name FROM folders WHERE hashed_id IN "
            "(SELECT value FROM json_each(?))",
            [json.dumps(list(folders))],
        ).fetchall()
    }
    db.conn.executemany(
        "INSERT INTO folders (hashed_id, id, name) VALUES (?, ?, ?) "
        "ON CONFLICT(hashed_id) DO UPDATE SET id = excluded.id, name = excluded.name",
        [
            (f.hashed_id, f.id, f.name)
            for f in folders.values()
            if stored.get(f.hashed_id) != (f.id, f.name)
        ],
    )


def _tag_ids(db: Database, names: Iterable[str]) -> dict[str, int]:
    """The tag id of each name (by identity), creating the tags that do not exist yet."""
    keys = {name: tag_key(name) for name in sorted(set(names))}
    if not keys:
        return {}
    found: dict[str, int] = {
        str(key): int(tag_id)
        for key, tag_id in db.execute(
            "SELECT key, id FROM tags WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(set(keys.values())))],
        ).fetchall()
    }
    ids: dict[str, int] = {}
    for name, key in keys.items():
        if key not in found:
            found[key] = ensure_tag(db, name)
        ids[name] = found[key]
    return ids


def _replace_wistia_tags(
    db: Database, media: list[WistiaMedia], stored: Collection[str], now: str
) -> set[str]:
    """Make each media's ``wistia`` tag links exactly Wistia's list; return those that changed.

    Only the media ``stored`` before this page can have links to read: a link's video must be a
    row of ``videos`` (a foreign key), and no video row is ever deleted. A first crawl's pages
    skip the look-up, whose random-key probes grow with the catalog.
    """
    if not media:
        return set()
    tag_ids = _tag_ids(db, (t for m in media for t in m.tags))
    current: dict[str, set[int]] = {m.hashed_id: set() for m in media}
    known = [hashed_id for hashed_id in current if hashed_id in stored]
    if known:
        for hashed_id, tag_id in db.execute(
            "SELECT hashed_id, tag_id FROM video_tags WHERE source = 'wistia' "
            "AND hashed_id IN (SELECT value FROM json_each(?))",
            [json.dumps(known)],
        ).fetchall():
            current[hashed_id].add(tag_id)
    removed: list[tuple[str, int]] = []
    added: list[tuple[str, int, str]] = []
    for item in media:
        wanted = {tag_ids[name] for name in item.tags}
        have = current[item.hashed_id]
        if wanted == have:
            continue
        removed += [(item.hashed_id, tag_id) for tag_id in have - wanted]
        added += [(item.hashed_id, tag_id, now) for tag_id in wanted - have]
    if removed:
        db.conn.executemany(
            "DELETE FROM video_tags WHERE hashed_id = ? AND tag_id = ? AND source = 'wistia'",
            removed,
        )
    if added:
        db.conn.executemany(
            "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
            "VALUES (?, ?, 'wistia', ?)",
            added,
        )
    return {link[0] for link in removed} | {link[0] for link in added}


def _count(
    summary: SyncSummary,
    hashed_id: str,
    before: MediaRow | None,
    after: MediaRow,
    tags_changed: bool,
) -> None:
    first_time = hashed_id not in summary.seen
    summary.seen.add(hashed_id)
    if before is None:
        summary.new += 1
        return
    changed = tags_changed or before != (*after, None)  # (the last column: deleted_at)
    if not changed:
        if first_time:
            summary.unchanged += 1
        return
    if not first_time and summary.unchanged:
        # Seen unchanged earlier in this run, changed since: count it once, as changed.
        summary.unchanged -= 1
    if after[_ARCHIVED] and not before[_ARCHIVED]:
        summary.archived += 1
    else:
        summary.updated += 1
