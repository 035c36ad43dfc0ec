"""The site's publishing settings, stored in the database so cron and every editor agree.

A per-command ``--page-size`` once let an editor command, run without the cron's flag, rewrite
every page; now the page size is changed by one explicit command (``wistia-sync site``) and a
change rebuilds each playlist's buckets once, at the next publish.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wistia_sync.db import (
    FULL_REBUILD_KEY,
    GRACE_KEY,
    MAX_PAGE_SIZE,
    PAGE_SIZE_KEY,
    TAKEDOWN_GRACE_KEY,
    grace_seconds,
    page_size,
    set_state,
    takedown_grace_seconds,
    write_transaction,
)
from wistia_sync.errors import UsageError

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_GRACE = timedelta(days=365)


def read_site_settings(db: Database) -> dict[str, Any]:
    return {
        "page_size": page_size(db),
        "grace_seconds": grace_seconds(db),
        "takedown_grace_seconds": takedown_grace_seconds(db),
    }


def change_site_settings(
    db: Database,
    *,
    page_size: int | None = None,
    grace: timedelta | None = None,
    takedown_grace: timedelta | None = None,
) -> None:
    """Change the given settings; a new page size makes the next publish re-cut every playlist."""
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
