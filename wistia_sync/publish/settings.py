"""The site's publishing settings, stored in the database so cron and every editor agree.

A per-command ``--page-size`` once let an editor command, run without the cron's flag, rewrite
every page; now the page size is changed by one explicit command (``wistia-sync site``) and a
change rebuilds each playlist's buckets once, at the next publish.

The preview page (``index.html``) is on by default; turning it off, or changing its title, makes
the next publish remove or rewrite it (a full rebuild, which rewrites only what differs).

Where a publish is delivered (target, purge provider, base URL, budget, S3 endpoint, header
overrides, deadlines) is a site setting too, stored under ``DELIVERY_KEYS`` so cron, every editor
and the webhook worker deliver the same way; they are read here as stored text (no delivery code
imported), checked and changed by ``wistia_sync.deliver.site``. Secrets are never stored.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wistia_sync.errors import UsageError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import (
    FULL_REBUILD_KEY,
    GRACE_KEY,
    MAX_PAGE_SIZE,
    PAGE_SIZE_KEY,
    TAKEDOWN_GRACE_KEY,
    get_state,
    grace_seconds,
    page_size,
    set_state,
    takedown_grace_seconds,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_GRACE = timedelta(days=365)
PREVIEW_PAGE_KEY = "site_preview_page"  # "0": no index.html in the output
PREVIEW_TITLE_KEY = "site_preview_title"
DEFAULT_PREVIEW_TITLE = "Video library"
MAX_PREVIEW_TITLE = 200

# The delivery settings ``site`` stores, by name (each name is also its ``site`` option's).
DELIVERY_KEYS = {
    "target": "site_delivery_target",
    "purge": "site_delivery_purge",
    "base_url": "site_delivery_base_url",
    "purge_budget": "site_delivery_purge_budget",
    "s3_endpoint_url": "site_delivery_s3_endpoint_url",
    "cache_control_immutable": "site_delivery_cache_control_immutable",
    "cache_control_entry": "site_delivery_cache_control_entry",
    "purge_deadline": "site_delivery_purge_deadline",  # seconds
    "upload_deadline": "site_delivery_upload_deadline",  # seconds
}
DEFAULT_PURGE_DEADLINE_SECONDS = 20
DEFAULT_UPLOAD_DEADLINE_SECONDS = 60


def stored_delivery(db: Database) -> dict[str, str]:
    """The delivery settings the site stores, as stored text, by name (absent: not stored)."""
    names = {key: name for name, key in DELIVERY_KEYS.items()}
    placeholders = ", ".join("?" for _ in names)
    rows = db.execute(
        f"SELECT key, value FROM sync_state WHERE key IN ({placeholders})", list(names)
    ).fetchall()
    return {names[str(key)]: str(value) for key, value in rows}


def site_delivers(db: Database) -> bool:
    """Whether the site stores a target or a purge provider (one query, nothing imported)."""
    stored = stored_delivery(db)
    return bool(stored.get("target") or stored.get("purge"))


def delivery_deadlines(db: Database) -> tuple[int, int]:
    """The purge and the upload deadline, in seconds."""
    stored = stored_delivery(db)
    return (
        int(stored.get("purge_deadline") or DEFAULT_PURGE_DEADLINE_SECONDS),
        int(stored.get("upload_deadline") or DEFAULT_UPLOAD_DEADLINE_SECONDS),
    )


def preview_page_enabled(db: Database) -> bool:
    return get_state(db, PREVIEW_PAGE_KEY) != "0"


def preview_title(db: Database) -> str:
    return get_state(db, PREVIEW_TITLE_KEY) or DEFAULT_PREVIEW_TITLE


def read_site_settings(db: Database) -> dict[str, Any]:
    stored = stored_delivery(db)
    purge_deadline, upload_deadline = delivery_deadlines(db)
    budget = stored.get("purge_budget")
    return {
        "page_size": page_size(db),
        "grace_seconds": grace_seconds(db),
        "takedown_grace_seconds": takedown_grace_seconds(db),
        "preview_page": preview_page_enabled(db),
        "preview_title": preview_title(db),
        "target": stored.get("target"),
        "purge": stored.get("purge"),
        "base_url": stored.get("base_url"),
        "purge_budget": None if budget is None else int(budget),
        "s3_endpoint_url": stored.get("s3_endpoint_url"),
        "cache_control_immutable": stored.get("cache_control_immutable"),
        "cache_control_entry": stored.get("cache_control_entry"),
        "purge_deadline_seconds": purge_deadline,
        "upload_deadline_seconds": upload_deadline,
    }


def change_site_settings(
    db: Database,
    *,
    page_size: int | None = None,
    grace: timedelta | None = None,
    takedown_grace: timedelta | None = None,
    preview_page: bool | None = None,
    preview_title: str | None = None,
) -> None:
    """Change the given settings; a new page size makes the next publish re-cut every playlist,
    a preview change makes it write or remove ``index.html``."""
    if preview_title is not None:
        preview_title = _checked_title(preview_title)
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise UsageError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
    for name, value in (("grace", grace), ("takedown grace", takedown_grace)):
        if value is not None and not timedelta(0) <= value <= MAX_GRACE:
            raise UsageError(f"{name} must be between 0 and 365 days")
    with write_transaction(db):
        if page_size is not None and page_size != read_site_settings(db)["page_size"]:
            set_state(db, PAGE_SIZE_KEY, str(page_size))
            db.execute("DELETE FROM publish_buckets")
            set_state(db, FULL_REBUILD_KEY, "1")
        if grace is not None:
            set_state(db, GRACE_KEY, str(int(grace.total_seconds())))
        if takedown_grace is not None:
            set_state(db, TAKEDOWN_GRACE_KEY, str(int(takedown_grace.total_seconds())))
        current = read_site_settings(db)
        preview = {"preview_page": preview_page, "preview_title": preview_title}
        changed = {name for name, value in preview.items() if value not in (None, current[name])}
        if "preview_page" in changed:
            set_state(db, PREVIEW_PAGE_KEY, "1" if preview_page else "0")
        if "preview_title" in changed:
            set_state(db, PREVIEW_TITLE_KEY, str(preview_title))
        if changed:
            set_state(db, FULL_REBUILD_KEY, "1")  # the page is written or removed by a publish


def _checked_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > MAX_PREVIEW_TITLE:
        raise UsageError(f"preview title must be 1 to {MAX_PREVIEW_TITLE} characters")
    if any(unicodedata.category(char).startswith("C") for char in title):
        raise UsageError("preview title must not hold control or invisible format characters")
    return title
