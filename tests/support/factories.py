"""Helpers that put folders, videos and tags into a real (temporary) database.

They write through the real schema (``open_database`` migrations), and tags get their slugs from
``wistia_sync.catalog.tags.assign_slug`` exactly as the editor and the sync do, so tests see the
same rows production code does.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from wistia_sync.catalog.tags import ensure_tag, tag_key

DEFAULT_TIME = "2024-01-01T00:00:00Z"


def add_folder(db: Database, hashed_id: str, name: str | None = None) -> str:
    db.execute(
        "INSERT INTO folders (hashed_id, id, name) VALUES (?, NULL, ?)",
        [hashed_id, name if name is not None else f"Folder {hashed_id}"],
    )
    return hashed_id


def add_video(db: Database, hashed_id: str, **overrides: Any) -> str:
    """Insert a video that is published unless ``overrides`` say otherwise."""
    row: dict[str, Any] = {
        "hashed_id": hashed_id,
        "id": None,
        "name": f"Video {hashed_id}",
        "description": "",
        "type": "Video",
        "status": "ready",
        "archived": 0,
        "duration": 60.5,
        "created": DEFAULT_TIME,
        "updated": DEFAULT_TIME,
        "thumbnail_url": f"https://embed-ssl.wistia.com/deliveries/{hashed_id}.jpg",
        "folder_hashed_id": None,
        "width": None,
        "height": None,
        "plays": None,
        "plays_fetched_at": None,
        "stats_error": None,
        "first_seen": DEFAULT_TIME,
        "last_seen": DEFAULT_TIME,
        "deleted_at": None,
        "visibility": "public",
        "protected": 0,
    }
    unknown = set(overrides) - set(row)
    if unknown:
        raise TypeError(f"not a videos column: {sorted(unknown)}")
    row.update(overrides)
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO videos ({columns}) VALUES ({marks})", list(row.values()))
    return hashed_id


def add_tag(db: Database, name: str) -> int:
    """The id of the tag named ``name`` (by tag identity), creating it with its slug if new."""
    return ensure_tag(db, name)


def tag_video(db: Database, hashed_id: str, name: str, source: str = "wistia") -> int:
    """Link the video to the tag named ``name`` (created if needed); returns the tag id."""
    tag_id = add_tag(db, name)
    db.execute(
        "INSERT OR IGNORE INTO video_tags (hashed_id, tag_id, source, added_at) "
        "VALUES (?, ?, ?, ?)",
        [hashed_id, tag_id, source, DEFAULT_TIME],
    )
    return tag_id


def slug_of(db: Database, name: str) -> str:
    row = db.execute("SELECT slug FROM tags WHERE key = ?", [tag_key(name)]).fetchone()
    assert row is not None, f"no tag {name!r}"
    return str(row[0])
