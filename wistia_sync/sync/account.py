"""Mirror a Wistia account into the database: one sync run, full or incremental.

Wistia owns what it returns (name, status, archived, folder, Wistia tags, plays); editors own
visibility and editorial tags, which a sync never touches. A run either finishes, advancing its
watermarks and applying confirmed deletions in its last transaction, or fails having kept the
pages it stored (each a true, newer fact from Wistia) but deleted nothing and moved no watermark.

A run lists the active then the archived media (``_list_pass``: every page on a full crawl, the
pages past the watermark otherwise), settles which known media are gone (a full crawl confirms
each one it missed, behind the mass-delete guard; an incremental run re-checks media still
processing and owed deletion checks), refreshes play counts (``stats``) and closes the run.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from wistia_sync.catalog.tags import delete_orphan_tags
from wistia_sync.errors import SyncAborted
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import LAST_FULL_CRAWL_KEY, get_state, set_state, watermark_key
from wistia_sync.store.timestamps import format_timestamp, parse_timestamp, utc_now
from wistia_sync.sync.batches import batched
from wistia_sync.sync.captions import refresh_captions
from wistia_sync.sync.failures import MAX_RETRIES_A_RUN, FailureStreak, failing, known_failing
from wistia_sync.sync.media import confirm_deleted, forget_answered_failures, soft_delete
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.runs import fail_run, finish_run, start_run
from wistia_sync.sync.stats import refresh_stats
from wistia_sync.sync.summary import NoProgress, Progress, SyncOptions, SyncSummary
from wistia_sync.wistia.client import MAX_IDS_PER_REQUEST, PER_PAGE, MediaPage, WistiaClient
from wistia_sync.wistia.crawl import (
    MAX_AHEAD,
    MAX_IN_FLIGHT,
    CrawlReport,
    crawl_pages,
    fetch_in_order,
    page_cap,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

WATERMARK_OVERLAP = timedelta(minutes=10)
PASSES = (("active", False), ("archived", True))
MASS_DELETE_MIN_COUNT = 10  # guard only when more than this many media vanish...
MASS_DELETE_FRACTION = 0.5  # ...and they are more than this share of the known media
DOUBTFUL_SHARE = 10  # the last 1/10 of the pages an account's count announces may not exist


def sync_account(
    db: Database,
    client: WistiaClient,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
) -> SyncSummary:
    """Run one sync (full or incremental) and record it in ``sync_runs``."""
    options = options or SyncOptions()
    progress = progress or NoProgress()
    started = time.monotonic()
    summary = SyncSummary(mode="full" if _full_crawl_due(db, options) else "incremental")
    summary.streak = FailureStreak(known_failing(db))
    run_id = start_run(db, summary.mode, options.source)
    try:
        with _objects_before_the_run_frozen():
            _run(db, client, options, progress, summary, run_id)
    except BaseException as error:
        summary.requests = client.requests_made
        summary.seconds = time.monotonic() - started
        fail_run(db, run_id, summary, error)
        raise
    return summary


def _run(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    run_id: int,
) -> None:
    started = time.monotonic()
    watermarks: dict[str, str] = {}
    announced = _announced_media(db, client, options, summary)
    with _pages_not_flushed(db):
        for pass_name, archived in PASSES:
            # What the account's count leaves for this pass once the passes before it listed
            # theirs (nothing for the archive when Wistia's count holds active media only).
            left = None if announced is None else max(0, announced - len(summary.seen))
            newest = _list_pass(
                db, client, options, progress, summary, pass_name, archived, announced=left
            )
            if newest is not None:
                watermarks[pass_name] = newest
        if summary.mode == "full":
            # A full crawl saw everything; what it missed, processing or not, passes the guard.
            to_delete = _confirm_missing(db, client, options, progress, summary)
        else:
            to_delete = _recheck_processing(db, client, options, progress, summary)
            to_delete |= _retry_deletion_checks(db, client, options, summary)
        refresh_stats(db, client, options, progress, summary, exclude=to_delete)
        refresh_captions(db, client, options, progress, summary, exclude=to_delete)
    summary.requests = client.requests_made
    summary.seconds = time.monotonic() - started
    with write_transaction(db):
        summary.deleted = soft_delete(db, sorted(to_delete))
        forget_answered_failures(db, summary)
        delete_orphan_tags(db)
        if summary.mode == "full":
            # A complete crawl saw every record Wistia has: older rejections are gone from it.
            db.execute(
                "DELETE FROM rejected_media WHERE key NOT IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted(summary.rejected_keys))],
            )
        for pass_name, newest in watermarks.items():
            current = get_state(db, watermark_key(pass_name))
            if current is None or newest > current:
                set_state(db, watermark_key(pass_name), newest)
        if summary.mode == "full":
            set_state(db, LAST_FULL_CRAWL_KEY, utc_now())
        finish_run(db, run_id, summary, outcome="ok")


@contextmanager
def _objects_before_the_run_frozen() -> Iterator[None]:
    """Leave the objects that exist when the run starts (imported modules, the client) out of
    the garbage collector's full collections until it ends (``gc.freeze``).

    A crawl's pages wait in the read-ahead long enough to reach the oldest generation, so a
    long crawl runs a full collection every hundred pages or so, and each one walked every
    object of the process (26 ms, a 100k crawl's ten of them 0.26 s of CPU; 3 ms frozen:
    ``benchmarks/crawl_threads.py``). Nothing is lost: whatever among the frozen objects is
    garbage is collected once the run ends. A process that froze its objects itself (none of
    ours does) keeps them frozen.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _pages_not_flushed(db: Database) -> Iterator[None]:
    """Commit the run's page stores without waiting for the disk (``synchronous=NORMAL``).

    In WAL mode that is still crash-safe (a killed process loses nothing; the file is never
    damaged); only a power loss may drop the last pages stored, which is harmless: each is a
    fact Wistia still gives, and the watermarks and deletions move only in the run's final
    transaction, committed after this with the connection's own setting, whose flush of the
    write-ahead log makes every page before it durable too. It saves a disk flush per page.
    """
    wal = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
    if not wal or db.conn.in_transaction:  # (the level cannot change inside a transaction)
        yield
        return
    previous = int(db.execute("PRAGMA synchronous").fetchone()[0])
    db.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        db.execute(f"PRAGMA synchronous = {previous}")


def _full_crawl_due(db: Database, options: SyncOptions) -> bool:
    if options.full:
        return True
    last = get_state(db, LAST_FULL_CRAWL_KEY)
    if last is None:
        return True
    return datetime.now(UTC) - parse_timestamp(last) >= options.full_every


def _list_pass(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    pass_name: str,
    archived: bool,
    *,
    whole: bool = False,
    announced: int | None = None,
) -> str | None:
    """List one pass (active or archived media); return the largest ``updated`` Wistia returned.

    A full crawl (or a ``whole`` pass) walks every page by ``created`` ascending. An incremental
    one walks by ``updated`` descending and stops after the first page reaching past the
    watermark minus the overlap; an archived pass stopped there reads the whole archive after
    all when Wistia lists more archived media than the database holds (``_archive_outgrew``):
    a media archived with an ``updated`` older than the watermark would be missed otherwise.
    ``announced`` is how many media the account's count leaves for this pass, if it was asked.
    """
    full = summary.mode == "full" or whole
    stop_before = None if full else _incremental_stop(db, pass_name)
    progress.phase(f"listing {pass_name} media")
    newest, crawl = _store_pass_pages(
        db,
        client,
        options,
        progress,
        summary,
        archived,
        full=full,
        stop_before=stop_before,
        announced=announced,
    )
    _warn_about_crawl_end(summary, pass_name, crawl)
    if (
        archived
        and not full
        and crawl.ended == "stopped by the caller"
        and _archive_outgrew(db, client)
    ):
        summary.crawl_notes.append(
            "listing archived media: Wistia lists more archived media than the database holds "
            "(one archived without a newer `updated`), so the pass read the whole archive"
        )
        rest = _list_pass(db, client, options, progress, summary, pass_name, archived, whole=True)
        newest = max(filter(None, (newest, rest)), default=None)
    return newest


def _incremental_stop(db: Database, pass_name: str) -> str | None:
    """The ``updated`` past which an incremental pass stops: its watermark minus the overlap
    (None: the pass has no watermark yet, and reads every page)."""
    watermark = get_state(db, watermark_key(pass_name))
    if watermark is None:
        return None
    return format_timestamp(parse_timestamp(watermark) - WATERMARK_OVERLAP)


def _store_pass_pages(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    archived: bool,
    *,
    full: bool,
    stop_before: str | None,
    announced: int | None = None,
) -> tuple[str | None, CrawlReport]:
    """Fetch and store a pass's pages, stopping after the first reaching past ``stop_before``;
    return the largest ``updated`` stored and how the crawl ended.

    A full pass reads ahead up to the pages the database's media filled, or, when more, the
    pages ``announced`` media would fill; past them, speculatively (``crawl_pages``).
    """

    def fetch(page: int) -> MediaPage:
        return client.list_media_page(
            archived=archived,
            sort_by="created" if full else "updated",
            descending=not full,
            page=page,
        )

    known_pages = _known_pages(db, archived)
    max_ahead, doubtful_from = _announced_reading(known_pages, _pages_of(announced or 0))
    crawl = CrawlReport()
    pages = crawl_pages(
        fetch,
        per_page=PER_PAGE,
        # An incremental pass usually needs its first page only: nothing is fetched ahead of it.
        expected_pages=max(known_pages, _pages_of(announced or 0)) if full else 0,
        doubtful_from=doubtful_from,
        max_pages=page_cap(known_pages),
        report=crawl,
        max_ahead=max_ahead,
    )
    newest: str | None = None
    with closing(pages):
        for answer in pages:
            stored = store_media_page(db, answer, options, summary, archived_hint=archived)
            progress.advance(stored.received)
            if stored.newest_updated is not None and (
                newest is None or stored.newest_updated > newest
            ):
                newest = stored.newest_updated
            if (
                stop_before is not None
                and stored.oldest_updated is not None
                and stored.oldest_updated < stop_before
            ):
                break
    return newest, crawl


def _archive_outgrew(db: Database, client: WistiaClient) -> bool:
    """Whether Wistia lists more archived media than the database knows of: one request, for
    the one media past that many (by ``created``), which exists only if so."""
    # Rejected records count when they are archived ones the videos table does not hold as
    # archived: one rejected from the active listing is not in the archive.
    known = db.execute(
        "SELECT (SELECT count(*) FROM videos WHERE deleted_at IS NULL AND archived = 1) + "
        "(SELECT count(*) FROM rejected_media WHERE json_valid(raw) "
        "AND json_extract(raw, '$.archived') IS 1 AND (hashed_id IS NULL OR hashed_id NOT IN "
        "(SELECT hashed_id FROM videos WHERE deleted_at IS NULL AND archived = 1)))"
    ).fetchone()[0]
    probe = client.list_media_page(
        archived=True, sort_by="created", descending=False, page=int(known) + 1, per_page=1
    )
    return len(probe) > 0


def _known_pages(db: Database, archived: bool) -> int:
    """How many list pages the media this database knows in a pass filled."""
    known = db.execute(
        "SELECT count(*) FROM videos WHERE deleted_at IS NULL AND archived = ?", [int(archived)]
    ).fetchone()[0]
    return _pages_of(int(known))


def _announced_reading(known_pages: int, announced_pages: int) -> tuple[int, int | None]:
    """How far ahead a pass reads pages only announced, not known from the database
    (``max_ahead`` and ``doubtful_from`` of ``crawl_pages``).

    They may not exist: the account's count may include the other pass's media. Reading no
    further ahead than the requests in flight bounds what a count too large wastes past the
    pass's end to MAX_IN_FLIGHT - 1 requests, and over its last tenth, no further than a
    speculative read (MAX_SPECULATIVE - 1): the waste when the other pass holds less than a
    tenth of the count (the archive of the generated catalogs is 2%; a real one may differ).
    """
    if announced_pages <= known_pages:
        return MAX_AHEAD, None
    doubtful = max(known_pages, announced_pages - announced_pages // DOUBTFUL_SHARE)
    return MAX_IN_FLIGHT, doubtful + 1


def _pages_of(media: int) -> int:
    """How many full list pages (and a short one) ``media`` media fill."""
    return -(-media // PER_PAGE)


def _announced_media(
    db: Database, client: WistiaClient, options: SyncOptions, summary: SyncSummary
) -> int | None:
    """How many media Wistia says the account holds, asked on a first crawl only (one request).

    A database that holds media knows how many pages each pass fills; an empty one does not,
    and without a count its first crawl could only read ahead speculatively, a few pages at a
    time. The count is a hint, never trusted: each pass still ends at its first short page,
    whatever was announced (None: not asked, or no usable answer).
    """
    if not options.ask_media_count or summary.mode != "full":
        return None
    if db.execute("SELECT EXISTS (SELECT 1 FROM videos WHERE deleted_at IS NULL)").fetchone()[0]:
        return None
    return client.account_media_count()


def _warn_about_crawl_end(summary: SyncSummary, pass_name: str, crawl: CrawlReport) -> None:
    if crawl.ended == "no new media":
        summary.crawl_notes.append(
            f"listing {pass_name} media: page {crawl.pages} repeated media already listed and "
            "brought none new, so the pass ended there (Wistia never sent a short last page)"
        )
    elif crawl.ended == "page cap":
        summary.crawl_notes.append(
            f"listing {pass_name} media: stopped after {crawl.pages} pages, the cap for a "
            "catalog of this size; the next run reads on from a larger known catalog"
        )


def _recheck_processing(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
) -> set[str]:
    """Re-fetch media still processing that this run has not seen; return those now deleted."""
    pending = [
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM videos WHERE status != 'ready' AND archived = 0 "
            "AND deleted_at IS NULL ORDER BY hashed_id"
        ).fetchall()
        if row[0] not in summary.seen
    ]
    if not pending:
        return set()
    progress.phase("re-checking media still processing", total=len(pending))
    missing: list[str] = []
    batches = fetch_in_order(client.list_media_by_ids, batched(pending, MAX_IDS_PER_REQUEST))
    with closing(batches):
        for batch, answer in batches:
            stored = store_media_page(db, answer, options, summary)
            returned = set(stored.hashed_ids)
            missing.extend(h for h in batch if h not in returned)
            progress.advance(len(batch))
    return confirm_deleted(db, client, options, summary, missing)


def _retry_deletion_checks(
    db: Database, client: WistiaClient, options: SyncOptions, summary: SyncSummary
) -> set[str]:
    """Retry the deletion checks that failed in an earlier run and are due; return the deleted.

    A full crawl retries them anyway (the media are still missing from it); an incremental run
    would otherwise leave a media deleted in Wistia published until the next full crawl.
    """
    due = [
        row[0]
        for row in db.execute(
            "SELECT f.hashed_id FROM media_failures f JOIN videos v USING (hashed_id) "
            "WHERE f.endpoint = 'media' AND f.retry_at <= ? AND v.deleted_at IS NULL "
            "ORDER BY f.retry_at, f.hashed_id",
            [format_timestamp(options.clock())],
        ).fetchall()
        if row[0] not in summary.seen
    ]
    return confirm_deleted(db, client, options, summary, due[:MAX_RETRIES_A_RUN])


def _confirm_missing(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
) -> set[str]:
    """After a complete full crawl: which known media that it did not list are really gone."""
    known = [
        row[0]
        for row in db.execute("SELECT hashed_id FROM videos WHERE deleted_at IS NULL").fetchall()
    ]
    missing = sorted(set(known) - summary.seen)
    if (
        len(missing) > MASS_DELETE_MIN_COUNT
        and len(missing) > MASS_DELETE_FRACTION * len(known)
        and not options.allow_mass_delete
    ):
        raise SyncAborted(
            f"{len(missing)} of {len(known)} known media are missing from Wistia's listing; "
            "nothing was deleted. If they really were deleted, run again with --allow-mass-delete"
        )
    # Media whose check failed before and is due again go last, at most MAX_RETRIES_A_RUN of
    # them: a handful of media that always fail must never make the crawl fail as an outage.
    failed_before = failing(db, "media")
    retries = [h for h in missing if h in failed_before][:MAX_RETRIES_A_RUN]
    candidates = [h for h in missing if h not in failed_before] + retries
    if candidates:
        progress.phase("confirming missing media", total=len(candidates))
    return confirm_deleted(db, client, options, summary, candidates, progress)
