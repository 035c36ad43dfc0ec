"""Play counts: which videos get them (``STATS_ELIGIBLE``), fetched a few at a time and stored.

A sync fetches up to its stats budget (never-fetched first, then the stalest, then a few due
retries); the webhook worker fetches the plays of media it just stored (``fetch_missing_plays``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wistia_sync.errors import WistiaError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import format_timestamp, utc_now
from wistia_sync.sync.batches import batched
from wistia_sync.sync.failures import (
    MAX_RETRIES_A_RUN,
    backing_off,
    clear_failures,
    or_failure,
    record_failure,
)
from wistia_sync.sync.perfetch import fetch_and_store
from wistia_sync.sync.summary import Progress, SyncOptions, SyncSummary
from wistia_sync.wistia.client import NoStats, WistiaClient
from wistia_sync.wistia.records import WistiaStats, is_hashed_id

if TYPE_CHECKING:
    from sqlite_utils import Database

# The media whose play counts are fetched and owed (``videos`` aliased ``v``): ready, active
# videos Wistia still has, hidden ones included (an editor may show them again).
STATS_ELIGIBLE = (
    "v.type = 'Video' AND v.status = 'ready' AND v.archived = 0 AND v.deleted_at IS NULL"
)
Target = tuple[str, int | None]  # a video's hashed id and the plays stored now
Answer = WistiaStats | NoStats | WistiaError  # what asking for its stats gave
STATS_WORKERS = 4  # stats requests in flight at once
STATS_BATCH = 25  # play counts stored per transaction


def refresh_stats(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    exclude: set[str],
) -> None:
    """Fetch plays for up to ``stats_budget`` videos: never-fetched first, then the stalest, then
    at most ``MAX_RETRIES_A_RUN`` whose stats failed before and whose retry is due."""
    if options.stats_budget <= 0:
        return
    targets = _stats_targets(db, options, exclude)
    if not targets:
        return
    progress.phase("fetching play counts", total=len(targets))
    _fetch_and_store_stats(db, client, options, progress, summary, targets)


def _stats_targets(db: Database, options: SyncOptions, exclude: set[str]) -> list[Target]:
    """The videos whose plays this run fetches, with the plays stored now, in order."""
    rows = db.execute(
        f"SELECT v.hashed_id, v.plays FROM videos v WHERE {STATS_ELIGIBLE} AND v.hashed_id NOT IN "
        "(SELECT hashed_id FROM media_failures WHERE endpoint = 'stats') "
        "ORDER BY v.plays_fetched_at IS NOT NULL, v.plays_fetched_at, v.hashed_id LIMIT ?",
        [options.stats_budget + len(exclude)],
    ).fetchall()
    retries = db.execute(
        f"SELECT v.hashed_id, v.plays FROM media_failures f JOIN videos v USING (hashed_id) "
        f"WHERE f.endpoint = 'stats' AND f.retry_at <= ? AND {STATS_ELIGIBLE} "
        "ORDER BY f.retry_at, v.hashed_id LIMIT ?",
        [format_timestamp(options.clock()), MAX_RETRIES_A_RUN + len(exclude)],
    ).fetchall()
    retries = [(h, p) for h, p in retries if h not in exclude and is_hashed_id(h)]
    retries = retries[: min(MAX_RETRIES_A_RUN, options.stats_budget)]
    targets = [(h, plays) for h, plays in rows if h not in exclude and is_hashed_id(h)]
    return targets[: options.stats_budget - len(retries)] + retries


def _fetch_and_store_stats(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    targets: list[Target],
) -> None:
    """Fetch the targets' stats ``STATS_WORKERS`` at a time, storing ``STATS_BATCH`` at a time."""
    fetch_and_store(
        targets,
        or_failure(client.get_stats),
        lambda batch: _store_stats(db, batch, summary, options),
        endpoint="stats",
        workers=STATS_WORKERS,
        batch_size=STATS_BATCH,
        summary=summary,
        progress=progress,
    )


def _store_stats(
    db: Database,
    batch: Sequence[tuple[Target, Answer]],
    summary: SyncSummary,
    options: SyncOptions,
) -> None:
    now = utc_now()
    with write_transaction(db):
        answered = [h for (h, _), stats in batch if not isinstance(stats, WistiaError)]
        clear_failures(db, "stats", answered)
        for (hashed_id, old_plays), stats in batch:
            if isinstance(stats, WistiaError):
                failures = record_failure(db, hashed_id, "stats", str(stats), options.clock())
                summary.count_failure("stats", failures)
                continue
            if isinstance(stats, NoStats):
                db.execute(
                    "UPDATE videos SET plays_fetched_at = ?, stats_error = ? WHERE hashed_id = ?",
                    [now, stats.reason, hashed_id],
                )
                continue
            plays = stats.plays
            db.execute(
                "UPDATE videos SET plays = ?, plays_fetched_at = ?, stats_error = NULL "
                "WHERE hashed_id = ?",
                [plays, now, hashed_id],
            )
            summary.stats_fetched += 1
            if plays != old_plays:
                summary.plays_changed += 1


def fetch_missing_plays(
    db: Database,
    client: WistiaClient,
    hashed_ids: Sequence[str],
    budget: int,
    options: SyncOptions,
) -> int:
    """Fetch plays for up to ``budget`` of these videos that never had them; return how many.

    The webhook worker's own stats budget: a video uploaded a moment ago would otherwise be
    published with ``"plays": null`` until cron's run reached it.
    """
    if budget <= 0:
        return 0
    targets: list[Target] = []
    for batch in batched(sorted(set(hashed_ids)), 500):
        marks = ", ".join("?" for _ in batch)
        targets.extend(
            db.execute(
                f"SELECT v.hashed_id, v.plays FROM videos v WHERE {STATS_ELIGIBLE} "
                f"AND v.plays_fetched_at IS NULL AND v.hashed_id IN ({marks}) "
                "ORDER BY v.hashed_id",
                batch,
            ).fetchall()
        )
    targets = [(h, plays) for h, plays in targets if is_hashed_id(h)][:budget]
    summary = SyncSummary(mode="targeted")
    # A media's own failure is recorded with its backoff, as cron's run records it.
    waiting = backing_off(db, "stats", options.clock())
    targets = [(h, plays) for h, plays in targets if h not in waiting]
    stats = [or_failure(client.get_stats)(hashed_id) for hashed_id, _ in targets]
    if targets:
        _store_stats(db, list(zip(targets, stats, strict=True)), summary, options)
    return summary.stats_fetched
