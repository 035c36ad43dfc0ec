"""After each delivery, tell search engines which watch URLs changed or went (IndexNow).

The URLs come from the publish's result: each ``ld/<hashed_id>.json`` written or removed is one
video whose watch page (and structured data) changed or went, whether or not watch pages are
published. Sent through the purge machinery (``purger.purge_changed``: monthly budget, owed URLs
carried to the next delivery, the purge deadline), so a failure is reported, never raised, and
never loses a URL. When the delivery itself failed, the URLs are owed without a call: a crawler
sent now would read the old files.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import JSONLD_PATH, indexnow_key_path

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.deliver.purge.purger import PurgeReport
    from wistia_sync.publish import PublishResult
    from wistia_sync.publish.seo_settings import SeoSettings

log = logging.getLogger(__name__)


def notify_search_engines(
    db: Database,
    result: PublishResult | None,
    *,
    delivery_error: str | None = None,
    deadline_seconds: float | None = None,
) -> PurgeReport | None:
    """Ping the site's IndexNow endpoint, if it has one; what was sent or is owed."""
    from wistia_sync.publish.seo_settings import seo_settings

    settings = seo_settings(db)
    if settings is None or not settings.indexnow_endpoint or not settings.indexnow_key:
        return None
    from wistia_sync.deliver.purge.indexnow import IndexNow
    from wistia_sync.deliver.purge.purger import add_owed, purge_changed
    from wistia_sync.publish.seo_files import files_base

    provider = IndexNow(
        settings.indexnow_endpoint,
        settings.indexnow_key,
        files_base(db, settings) + indexnow_key_path(settings.indexnow_key),
        settings.host,
    )
    urls = changed_watch_urls(db, settings, result)
    if delivery_error is not None:
        add_owed(db, provider.spec, urls, f"owed after a failed delivery: {delivery_error}")
        return None
    report = purge_changed(
        db, provider, urls, budget=settings.indexnow_budget, deadline_seconds=deadline_seconds
    )
    if report.error:
        log.warning("IndexNow: %s", report.summary().replace("purge via indexnow", "ping"))
    return report


def changed_watch_urls(
    db: Database, settings: SeoSettings, result: PublishResult | None
) -> list[str]:
    if result is None:
        return []
    ids = sorted(
        {
            match.group(1)
            for path in [*result.changed_entries, *result.removed]
            if (match := JSONLD_PATH.fullmatch(path))
        }
    )
    if not ids:
        return []
    import json

    rows = db.execute(
        "SELECT hashed_id, slug FROM video_slugs WHERE hashed_id IN "
        "(SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    ).fetchall()
    return sorted(settings.watch_page_url(slug, hashed_id) for hashed_id, slug in rows)
