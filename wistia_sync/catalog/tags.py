"""Tag identity and slugs.

Two names are the same tag when their NFKC forms, trimmed and casefolded, match (Unicode
casefold, which SQLite's ASCII-only NOCASE is not; NFKC, so ``Café`` typed precomposed or as ``e``
plus a combining accent is one tag, and so is ``TAG`` typed in fullwidth letters, U+FF34...,
with ``TAG``). Letters of different scripts that merely look alike (a Cyrillic U+0422 and a Latin
``T``) stay different tags: see ``docs/lookalikes.md``. A slug is a safe file name assigned once
and stored, so URLs never move.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from wistia_sync.errors import UsageError
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

TagSource = Literal["wistia", "editor", "both"]  # where a video's link to a tag comes from
MAX_TAG_LENGTH = 100
MAX_SLUG_LENGTH = 60


def tag_key(name: str) -> str:
    """The identity of a tag name: NFKC, trimmed and Unicode-casefolded (NFKC again after it)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def display_name(name: str) -> str:
    """How a tag name is stored and shown: NFC and trimmed."""
    return unicodedata.normalize("NFC", name).strip()


def clean_tag_name(name: str) -> str:
    """Validate an editor-supplied tag name and return its display spelling (NFC, trimmed)."""
    display = display_name(name)
    if not display:
        raise UsageError("a tag name cannot be empty")
    if len(display) > MAX_TAG_LENGTH:
        raise UsageError(
            f"tag name is {len(display)} characters long; the limit is {MAX_TAG_LENGTH}"
        )
    if any(unicodedata.category(char).startswith("C") for char in display):
        raise UsageError(f"tag name {display!r} contains control or invisible format characters")
    return display


def _name_digest(name: str) -> str:
    return hashlib.sha256(tag_key(name).encode("utf-8")).hexdigest()[:6]


def base_slug(name: str) -> str:
    """Lowercase ASCII, accents folded, runs of anything else as ``-``, at most 60 characters."""
    from slugify import slugify  # only a new tag needs it

    return str(
        slugify(
            name, max_length=MAX_SLUG_LENGTH, word_boundary=False, separator="-", lowercase=True
        )
    ).strip("-")


def assign_slug(name: str, is_taken: Callable[[str], bool]) -> str:
    """The slug a new tag gets, given a test of whether another tag already holds a slug.

    The first tag to claim a slug keeps it; a later one gets ``-`` and 6 hex digits of the SHA-256
    of its casefolded name; a name with no usable characters gets ``tag-`` and those digits.
    """
    slug = base_slug(name)
    digest = _name_digest(name)
    if not slug:
        return f"tag-{digest}"
    if not is_taken(slug):
        return slug
    return f"{slug[: MAX_SLUG_LENGTH - 7].rstrip('-')}-{digest}"


def ensure_tag(db: Database, name: str) -> int:
    """The id of the tag named ``name`` (by identity), creating it with a fresh slug if new."""
    key = tag_key(name)
    row = db.execute("SELECT id FROM tags WHERE key = ?", [key]).fetchone()
    if row is not None:
        return int(row[0])

    def is_taken(slug: str) -> bool:
        return db.execute("SELECT 1 FROM tags WHERE slug = ?", [slug]).fetchone() is not None

    cursor = db.execute(
        "INSERT INTO tags (name, key, slug, created_at) VALUES (?, ?, ?, ?)",
        [display_name(name), key, assign_slug(name, is_taken), utc_now()],
    )
    return int(cursor.lastrowid or 0)


def delete_orphan_tags(db: Database) -> None:
    """Forget tags no video carries any more (their slug is free again)."""
    db.execute("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM video_tags)")


def combine_sources(sources: str) -> TagSource:
    """``wistia``, ``editor`` or ``both`` from a ``group_concat`` of link sources."""
    found = set(sources.split(","))
    if found == {"wistia"}:
        return "wistia"
    if found == {"editor"}:
        return "editor"
    return "both"
