"""Video slugs: a human-readable, stable, unique name per video for watch-page URLs.

A video gets its slug when it is first published (its name is then the one people chose, not an
upload's file name) and keeps it for as long as the database keeps the video: a rename, a hide
and a show again never move its URL, and a slug once given is never given to another video (an
old URL never silently shows a different video). Like tag slugs (``catalog.tags``): the first
video to claim a slug keeps it, in a deterministic order (created, then hashed_id).

Hostile names get deterministic fallbacks: a name with nothing usable after slugifying (only
emoji, only punctuation) becomes ``video-<hashed_id>``; a slug already held, or one of
``RESERVED_SLUGS`` (names a frontend's routes commonly use), becomes ``<slug>-<hashed_id>``.
Names are cut to ``MAX_VIDEO_SLUG_LENGTH`` characters before the suffix, so a 10,000-character
name costs no more than a short one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_VIDEO_SLUG_LENGTH = 60
# How much of a name is looked at: a slug is cut to 60 characters anyway, and a name past this
# length is not worth the time slugifying it takes.
_NAME_PREFIX = 400
SLUG_SHARDS = 256  # files of the slug lookup, slugs/00.json to slugs/ff.json
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "assets", "feed", "folders", "index", "login", "new", "page", "pages",
        "rss", "search", "sitemap", "sitemaps", "static", "tags", "videos", "watch",
    }
)  # fmt: skip
VIDEO_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_IDS = "(SELECT value FROM json_each(?))"


def base_video_slug(name: str) -> str:
    """Lowercase ASCII words joined by ``-`` (accents folded), at most 60 characters."""
    from slugify import slugify  # only a newly published video needs it

    text = str(
        slugify(
            name[:_NAME_PREFIX],
            max_length=MAX_VIDEO_SLUG_LENGTH,
            word_boundary=True,
            separator="-",
            lowercase=True,
        )
    )
    return "-".join(part for part in re.split(r"[^a-z0-9]+", text) if part)


def choose_slug(name: str, hashed_id: str, is_taken: Callable[[str], bool]) -> str:
    """The slug a newly published video gets, given a test of whether a slug is held."""
    suffix = (
        re.sub(r"[^a-z0-9]+", "", hashed_id.lower())
        or hashlib.sha256(hashed_id.encode("utf-8", "replace")).hexdigest()[:10]
    )
    base = base_video_slug(name)
    candidates = [base] if base and base not in RESERVED_SLUGS else []
    candidates.append(f"{base}-{suffix}" if base else f"video-{suffix}")
    for candidate in candidates:
        if not is_taken(candidate):
            return candidate
    # Only a hashed_id that differs from another in case alone gets here.
    digest = hashlib.sha256(hashed_id.encode("utf-8", "replace")).hexdigest()
    number = 0
    while True:
        candidate = f"video-{digest[:12]}" + (f"-{number}" if number else "")
        if not is_taken(candidate):
            return candidate
        number += 1


def slug_shard(slug: str) -> int:
    """Which lookup file lists a slug: FNV-1a (32 bits) of its bytes, modulo 256.

    Chosen because a frontend computes it in five lines of synchronous JavaScript (the README
    shows them); a slug is ASCII, so its bytes are its characters' codes.
    """
    value = 0x811C9DC5
    for byte in slug.encode("ascii"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % SLUG_SHARDS


def assign_slugs(db: Database, hashed_ids: Iterable[str] | None) -> int:
    """Give each published video among ``hashed_ids`` (all for None) that has no slug one.

    Reads outside any write lock; only when there are slugs to give does it take one (a
    write transaction, or a savepoint of the caller's). Returns how many were assigned.
    """
    where, parameters = PUBLISHED_VIDEO_CONDITION, []
    if hashed_ids is not None:
        ids = sorted(hashed_ids)
        if not ids:
            return 0
        where += f" AND v.hashed_id IN {_IDS}"
        parameters.append(json.dumps(ids))
    rows = db.execute(
        f"SELECT v.hashed_id, v.name FROM videos v WHERE {where} AND NOT EXISTS "
        "(SELECT 1 FROM video_slugs s WHERE s.hashed_id = v.hashed_id) "
        "ORDER BY v.created, v.hashed_id",
        parameters,
    ).fetchall()
    if not rows:
        return 0
    new: set[str] = set()

    def is_taken(slug: str) -> bool:
        if slug in new:
            return True
        return db.execute("SELECT 1 FROM video_slugs WHERE slug = ?", [slug]).fetchone() is not None

    now = utc_now()
    assigned = []
    for hashed_id, name in rows:
        slug = choose_slug(str(name or ""), str(hashed_id), is_taken)
        new.add(slug)
        assigned.append((hashed_id, slug, slug_shard(slug), now))
    with write_transaction(db):  # only publishes give slugs, one at a time (the publish lock)
        db.conn.executemany(
            "INSERT INTO video_slugs (hashed_id, slug, shard, created_at) VALUES (?, ?, ?, ?)",
            assigned,
        )
    return len(assigned)


def pending_video_ids(db: Database) -> list[str]:
    """The videos the pending publish changes name (the only ones that can need a slug)."""
    return [
        row[0]
        for row in db.execute("SELECT DISTINCT key FROM publish_changes WHERE kind = 'video'")
    ]
