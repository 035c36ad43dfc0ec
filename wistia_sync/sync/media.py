"""Single media, asked for by id: confirming deletions, and the targeted refresh.

Only a 404 for the media itself deletes it (``confirm_deleted``). ``refresh_media`` brings named
media up to date at once (webhooks, ``sync --media``); ``confirm_deletion`` settles one deletion a
webhook reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from wistia_sync.catalog.tags import delete_orphan_tags
from wistia_sync.errors import WistiaError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now
from wistia_sync.sync.batches import batched
from wistia_sync.sync.failures import (
    Endpoint,
    FailureStreak,
    backing_off,
    clear_failures,
    known_failing,
    or_failure,
    record_failure,
)
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.runs import fail_run, finish_run, start_run
from wistia_sync.sync.stats import STATS_ELIGIBLE
from wistia_sync.sync.summary import Progress, SyncOptions, SyncSummary
from wistia_sync.wistia.client import MAX_IDS_PER_REQUEST, WistiaClient
from wistia_sync.wistia.crawl import fetch_in_order
from wistia_sync.wistia.records import is_hashed_id

if TYPE_CHECKING:
    from sqlite_utils import Database


def refresh_media(
    db: Database,
    client: WistiaClient,
    hashed_ids: Iterable[str],
    options: SyncOptions | None = None,
    *,
    confirm_unknown: bool = False,
) -> SyncSummary:
    """Bring just these media up to date with Wistia now, and record the run as ``targeted``.

    Each refetch reads Wistia's current state, so events that arrive repeated or out of order
    converge. Media are fetched 100 a request by ``hashed_ids[]``; one Wistia no longer lists is
    asked for by id, and only a 404 marks it deleted, as a full crawl's confirmations do. No
    watermark moves: cron's periodic crawl stays the safety net for lost events.

    With ``confirm_unknown`` (a person named the ids), one that the listing left out and the
    database does not know is asked for by id too: stored if Wistia has it after all, else
    listed in ``summary.not_found``.
    """
    options = options or SyncOptions()
    started = time.monotonic()
    requests_before = client.requests_made
    summary = SyncSummary(mode="targeted")
    summary.streak = FailureStreak(known_failing(db))
    wanted = sorted(set(hashed_ids))
    run_id = start_run(db, summary.mode, options.source)
    try:
        missing: list[str] = []
        for batch in batched(wanted, MAX_IDS_PER_REQUEST):
            answer = client.list_media_by_ids(batch)
            returned = set(store_media_page(db, answer, options, summary).hashed_ids)
            missing.extend(h for h in batch if h not in returned)
        known = _known_ids(db, missing)
        asked = missing if confirm_unknown else known
        answered_404 = confirm_deleted(db, client, options, summary, asked)
        to_delete = answered_404.intersection(known)
        summary.not_found = sorted(answered_404.difference(known))
        summary.requests = client.requests_made - requests_before
        summary.seconds = time.monotonic() - started
        with write_transaction(db):
            summary.deleted = soft_delete(db, sorted(to_delete))
            forget_answered_failures(db, summary)
            delete_orphan_tags(db)
            finish_run(db, run_id, summary, outcome="ok")
    except BaseException as error:
        summary.requests = client.requests_made - requests_before
        summary.seconds = time.monotonic() - started
        fail_run(db, run_id, summary, error)
        raise
    return summary


def confirm_deletion(
    db: Database, client: WistiaClient, hashed_id: str, options: SyncOptions
) -> bool:
    """Ask Wistia for one media: a 404 marks it deleted (True); an answer stores it (False).

    Any other outcome (Wistia down, a token rejected) raises, and nothing is changed.
    """
    answer = client.get_media(hashed_id) if is_hashed_id(hashed_id) else None
    if answer is None:
        with write_transaction(db):
            soft_delete(db, [hashed_id])
            delete_orphan_tags(db)
        return True
    store_media_page(db, answer, options, SyncSummary(mode="targeted"))
    return False


def _known_ids(db: Database, hashed_ids: Sequence[str]) -> list[str]:
    """Those of ``hashed_ids`` the database holds and has not marked deleted, in order."""
    known: set[str] = set()
    for batch in batched(hashed_ids, 500):
        marks = ", ".join("?" for _ in batch)
        known.update(
            row[0]
            for row in db.execute(
                f"SELECT hashed_id FROM videos WHERE deleted_at IS NULL AND hashed_id IN ({marks})",
                batch,
            ).fetchall()
        )
    return [h for h in hashed_ids if h in known]


def confirm_deleted(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    summary: SyncSummary,
    candidates: Sequence[str],
    progress: Progress | None = None,
) -> set[str]:
    """Ask Wistia for each candidate: a 404 confirms the deletion, a 200 upserts the media.

    A row whose hashed id is unusable (stored by an older version) cannot be asked about, and
    no listing can return it: it is deleted without a request. A check that fails on every
    attempt deletes nothing: the media is kept, the failure recorded, and the check retried
    after a backoff (until then, the media is not asked about).
    """
    deleted: set[str] = set()
    # A row whose hashed id is unusable cannot be asked about: deleted without a request.
    unusable = [h for h in candidates if not is_hashed_id(h)]
    deleted.update(unusable)
    waiting = backing_off(db, "media", options.clock())
    skipped = len([h for h in candidates if h in waiting])
    if unusable or skipped:
        _advance(progress, len(unusable) + skipped)
    checks = [h for h in candidates if is_hashed_id(h) and h not in waiting]
    answers = fetch_in_order(or_failure(client.get_media), checks)
    with closing(answers):
        for hashed_id, answer in answers:
            _advance(progress)
            if isinstance(answer, WistiaError):
                _media_failed(db, hashed_id, "media", answer, options, summary)
                continue
            summary.streak.add(answer)
            if answer is None:
                deleted.add(hashed_id)
            else:
                store_media_page(db, answer, options, summary)
    return deleted


def _media_failed(
    db: Database,
    hashed_id: str,
    endpoint: Endpoint,
    error: WistiaError,
    options: SyncOptions,
    summary: SyncSummary,
) -> None:
    """Record one media's failed request; fail the run when too many failed in a row."""
    with write_transaction(db):
        failures = record_failure(db, hashed_id, endpoint, str(error), options.clock())
    summary.count_failure(endpoint, failures)
    if summary.streak.add(error, (hashed_id, endpoint)) is not None:
        raise error


def _advance(progress: Progress | None, amount: int = 1) -> None:
    if progress is not None:
        progress.advance(amount)


def forget_answered_failures(db: Database, summary: SyncSummary) -> None:
    """Media this run listed exist: no deletion check of theirs is owed. Deleted media are owed
    nothing, and media that are no longer ready, active videos are owed no stats.

    Each statement reads the failures (a handful) and looks their videos up by key: none
    scans ``videos`` or is sent the media this run saw (the whole catalog on a full crawl).
    """
    clear_failures(db, "media", summary.seen)
    db.execute(
        "DELETE FROM media_failures WHERE EXISTS (SELECT 1 FROM videos v "
        "WHERE v.hashed_id = media_failures.hashed_id AND v.deleted_at IS NOT NULL)"
    )
    db.execute(
        "DELETE FROM media_failures WHERE endpoint = 'stats' AND EXISTS (SELECT 1 FROM videos v "
        f"WHERE v.hashed_id = media_failures.hashed_id AND NOT ({STATS_ELIGIBLE}))"
    )


def soft_delete(db: Database, hashed_ids: Sequence[str]) -> int:
    now = utc_now()
    for hashed_id in hashed_ids:
        db.execute(
            "UPDATE videos SET deleted_at = ? WHERE hashed_id = ? AND deleted_at IS NULL",
            [now, hashed_id],
        )
    return len(hashed_ids)
