"""The ``sync_state`` table: one value per key, shared by cron, editors and the webhook worker.

It holds the sync's watermarks, the content version the output is measured against, and the
site's settings (page size, grace periods) that ``wistia-sync site`` changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wistia_sync.store.db import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

CONTENT_VERSION_KEY = "content_version"
FULL_REBUILD_KEY = "publish_full_rebuild"  # set: the next publish rebuilds every file
PUBLISHED_VERSION_KEY = "published_content_version"


LAST_FULL_CRAWL_KEY = "last_full_crawl"


def watermark_key(pass_name: str) -> str:
    """The ``sync_state`` key of a listing pass's watermark (``active`` or ``archived``)."""
    return f"watermark:{pass_name}"


def get_state(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_state(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def content_version(db: Database) -> int:
    """How many changes to published content the database has seen (see m002)."""
    return int(get_state(db, CONTENT_VERSION_KEY) or 0)


def output_behind(db: Database) -> bool:
    """Whether the database changed since the content the last publish recorded."""
    published = get_state(db, PUBLISHED_VERSION_KEY)
    return published is None or int(published) < content_version(db)


def record_published_version(db: Database, version: int) -> None:
    """After a complete publish that read the database at ``version`` or later."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [PUBLISHED_VERSION_KEY, str(version)],
        )


# -- site settings: one value for cron and every editor, changed by `wistia-sync site` -------------

PAGE_SIZE_KEY = "site_page_size"


GRACE_KEY = "site_grace_seconds"


TAKEDOWN_GRACE_KEY = "site_takedown_grace_seconds"


# 40 since issue 19 (an edit's bytes flat from 10k to 100k); a site that published before keeps
# 100, pinned by migration m019.
DEFAULT_PAGE_SIZE = 40


MAX_PAGE_SIZE = 1000


DEFAULT_GRACE_SECONDS = 24 * 3600


DEFAULT_TAKEDOWN_GRACE_SECONDS = 600


def _int_state(db: Database, key: str, default: int) -> int:
    value = get_state(db, key)
    try:
        return default if value is None else int(value)
    except ValueError:
        return default


def page_size(db: Database) -> int:
    """Videos per playlist page (bucket target size): a setting of the site, not of a command."""
    return min(max(_int_state(db, PAGE_SIZE_KEY, DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)


def grace_seconds(db: Database) -> int:
    """How long a retired immutable page stays, for readers holding an older entry file."""
    return max(_int_state(db, GRACE_KEY, DEFAULT_GRACE_SECONDS), 0)


def takedown_grace_seconds(db: Database) -> int:
    """How long a retired page holding a video that is no longer published may stay."""
    return max(_int_state(db, TAKEDOWN_GRACE_KEY, DEFAULT_TAKEDOWN_GRACE_SECONDS), 0)


def full_rebuild_pending(db: Database) -> bool:
    return get_state(db, FULL_REBUILD_KEY) == "1"
