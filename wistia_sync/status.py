"""What the database holds: counts, recent runs, and when the next full crawl is due."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION, exclusion_sql
from wistia_sync.deliver.delivery import deliveries_owed
from wistia_sync.deliver.purge.kinds import provider_label
from wistia_sync.deliver.purge.purger import purge_status
from wistia_sync.deliver.verify import freshness_latency
from wistia_sync.ops.records import backup_status
from wistia_sync.ops.staleness import DEFAULT_RUN_EVERY, staleness
from wistia_sync.redaction import redact_output, register_environment_secrets
from wistia_sync.store.state import LAST_FULL_CRAWL_KEY, get_state, watermark_key
from wistia_sync.store.timestamps import format_timestamp, parse_timestamp
from wistia_sync.sync.failures import failures_status
from wistia_sync.webhooks.inbox import inbox_status

RECENT_RUNS = 5
FULL_EVERY = timedelta(hours=24)

_LIVE = f"SELECT count(*) FROM videos v WHERE NOT {exclusion_sql('deleted')}"
_COUNTS = {
    "videos": "SELECT count(*) FROM videos WHERE deleted_at IS NULL",
    "published": f"SELECT count(*) FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}",
    # Each reason a video Wistia still has is not published (a video may have several).
    "hidden": f"{_LIVE} AND {exclusion_sql('hidden')}",
    "protected": f"{_LIVE} AND {exclusion_sql('protected')}",
    "archived": f"{_LIVE} AND {exclusion_sql('archived')}",
    "processing": f"{_LIVE} AND NOT {exclusion_sql('archived')} AND {exclusion_sql('not_ready')}",
    "not_videos": f"{_LIVE} AND {exclusion_sql('not_video')}",
    "deleted": f"SELECT count(*) FROM videos v WHERE {exclusion_sql('deleted')}",
    "folders": "SELECT count(*) FROM folders",
    "tags": "SELECT count(*) FROM tags",
    "rejected": "SELECT count(*) FROM rejected_media",
}
RECENT_REJECTIONS = 5


def database_status(
    db: Database, full_every: timedelta = FULL_EVERY, run_every: timedelta = DEFAULT_RUN_EVERY
) -> dict[str, Any]:
    register_environment_secrets()  # a purge error may quote one of them
    counts = {name: db.execute(sql).fetchone()[0] for name, sql in _COUNTS.items()}
    cursor = db.execute(
        "SELECT started_at, finished_at, mode, source, outcome, requests, new, updated, "
        "archived, deleted, unchanged, stats_fetched, rejected, warnings, error FROM sync_runs "
        "ORDER BY id DESC LIMIT ?",
        [RECENT_RUNS],
    )
    columns = [d[0] for d in cursor.description]
    runs = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    cursor = db.execute(
        "SELECT key AS hashed_id, reason, first_seen, last_seen FROM rejected_media "
        "ORDER BY last_seen DESC, key LIMIT ?",
        [RECENT_REJECTIONS],
    )
    columns = [d[0] for d in cursor.description]
    rejected = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    last_full = get_state(db, LAST_FULL_CRAWL_KEY)
    next_full = (
        format_timestamp(parse_timestamp(last_full) + full_every)
        if last_full
        else "on the next run (no full crawl yet)"
    )
    return {
        "counts": counts,
        "runs": runs,
        "rejected_media": rejected,
        "media_failures": failures_status(db),
        "captions": captions_status(db),
        "last_full_crawl": last_full,
        "next_full_crawl": next_full,
        "watermarks": {name: get_state(db, watermark_key(name)) for name in ("active", "archived")},
        "webhooks": inbox_status(db),
        # Each provider by kind and zone: a ``command:`` spec's arguments are not shown; an error
        # stored before its output was redacted is redacted here.
        "purges": [
            asdict(provider)
            | {
                "provider": provider_label(provider.provider),
                "last_error": provider.last_error and redact_output(provider.last_error, 500),
            }
            for provider in purge_status(db)
        ],
        "deliveries_owed": deliveries_owed(db),
        "freshness": asdict(freshness_latency(db)),
        "backup": backup_status(db),
        "freshness_of_runs": staleness(db, run_every),
    }


def captions_status(db: Database) -> dict[str, Any]:
    """What ``status`` shows: videos with captions or chapters, and those whose last read
    failed, with the next retry."""
    captioned = db.execute("SELECT count(DISTINCT hashed_id) FROM video_captions").fetchone()[0]
    chaptered = db.execute("SELECT count(*) FROM caption_sync WHERE chapters != '[]'").fetchone()
    cursor = db.execute(
        "SELECT hashed_id, failures, retry_at, error FROM caption_sync "
        "WHERE retry_at IS NOT NULL ORDER BY retry_at, hashed_id"
    )
    columns = [d[0] for d in cursor.description]
    failing = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {
        "with_captions": captioned,
        "with_chapters": chaptered[0],
        "failing": len(failing),
        "next_retry": failing[0] if failing else None,
    }
