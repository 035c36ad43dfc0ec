"""Mirror a Wistia account into the database.

Wistia owns what it returns (name, status, archived, folder, Wistia tags, plays); editors own
visibility and editorial tags, which a sync never touches. A run either finishes, advancing its
watermarks and applying confirmed deletions in its last transaction, or fails having kept the
pages it stored (each a true, newer fact from Wistia) but deleted nothing and moved no watermark.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlite_utils import Database

from wistia_sync.catalog.rules import Visibility
from wistia_sync.catalog.tags import delete_orphan_tags, ensure_tag, tag_key
from wistia_sync.errors import SyncAborted, WistiaError, WistiaSyncError
from wistia_sync.redaction import redact
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import LAST_FULL_CRAWL_KEY, get_state, set_state, watermark_key
from wistia_sync.store.timestamps import format_timestamp, parse_timestamp, utc_now
from wistia_sync.sync.failures import (
    MAX_RETRIES_A_RUN,
    PER_MEDIA_ERRORS,
    PERSISTENT_FAILURES,
    Endpoint,
    FailureStreak,
    backing_off,
    clear_failures,
    failing,
    known_failing,
    record_failure,
)
from wistia_sync.wistia.client import (
    MAX_IDS_PER_REQUEST,
    PER_PAGE,
    MediaPage,
    NoStats,
    WistiaClient,
)
from wistia_sync.wistia.crawl import CrawlReport, crawl_pages, fetch_in_order, page_cap
from wistia_sync.wistia.jsonbody import TooDeep
from wistia_sync.wistia.records import (
    MAX_REJECTED_RAW_CHARS,
    WistiaMedia,
    WistiaStats,
    is_hashed_id,
    read_records,
)

T = TypeVar("T")
R = TypeVar("R")

WATERMARK_OVERLAP = timedelta(minutes=10)
DEFAULT_FULL_EVERY = timedelta(hours=24)
# The media whose play counts are fetched and owed (``videos`` aliased ``v``): ready, active
# videos Wistia still has, hidden ones included (an editor may show them again).
STATS_ELIGIBLE = (
    "v.type = 'Video' AND v.status = 'ready' AND v.archived = 0 AND v.deleted_at IS NULL"
)
DEFAULT_STATS_BUDGET = 100
STATS_WORKERS = 4  # stats requests in flight at once
STATS_BATCH = 25  # play counts stored per transaction
MASS_DELETE_MIN_COUNT = 10  # guard only when more than this many media vanish...
MASS_DELETE_FRACTION = 0.5  # ...and they are more than this share of the known media

PASSES = (("active", False), ("archived", True))

# The columns a sync owns; an upsert writes these and nothing editors own.
WISTIA_COLUMNS = (
    "hashed_id",
    "id",
    "name",
    "description",
    "type",
    "status",
    "archived",
    "duration",
    "created",
    "updated",
    "thumbnail_url",
    "folder_hashed_id",
    "width",
    "height",
    "protected",
)


class Progress(Protocol):
    """Where a sync reports what it is doing (a rich display on a terminal, or nothing)."""

    def phase(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def phase(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass
class SyncOptions:
    full: bool = False
    full_every: timedelta = DEFAULT_FULL_EVERY
    stats_budget: int = DEFAULT_STATS_BUDGET
    allow_mass_delete: bool = False
    default_visibility: Visibility = "public"
    source: str = "wistia"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)


@dataclass
class SyncSummary:
    mode: str = "incremental"
    new: int = 0
    updated: int = 0
    archived: int = 0
    deleted: int = 0
    unchanged: int = 0
    stats_fetched: int = 0
    plays_changed: int = 0
    rejected: int = 0  # records quarantined in rejected_media this run
    media_failures: int = 0  # requests about one media that failed this run (retried later)
    # Of those, the media that failed PERSISTENT_FAILURES times in a row or more.
    persistent_failures: int = field(default=0, repr=False)
    requests: int = 0
    seconds: float = 0.0
    # What was repaired in the records stored, by kind (see models.read_media).
    warnings: Counter[str] = field(default_factory=Counter)
    # Media seen this run; counted once even if two passes or a re-check return them.
    seen: set[str] = field(default_factory=set, repr=False)
    rejected_keys: set[str] = field(default_factory=set, repr=False)
    streak: FailureStreak = field(default_factory=FailureStreak, repr=False)
    # One line each about something odd in Wistia's answers that the run worked around.
    crawl_notes: list[str] = field(default_factory=list)
    # A targeted refresh: the hashed ids asked for that Wistia and the database do not have.
    not_found: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything a published file may show changed."""
        return bool(self.new or self.updated or self.archived or self.deleted or self.plays_changed)

    def line(self) -> str:
        return (
            f"{self.mode} sync: {self.new} new, {self.updated} updated, {self.archived} archived, "
            f"{self.deleted} deleted, {self.unchanged} unchanged, {self.stats_fetched} stats; "
            f"{self.requests} requests in {self.seconds:.1f} s"
        )

    def warning_line(self) -> str | None:
        """Everything this run repaired or rejected, in one line (None: nothing)."""
        parts = []
        if self.rejected:
            parts.append(
                f"{self.rejected} media record{'s' if self.rejected != 1 else ''} rejected "
                "(see `wistia-sync status`)"
            )
        parts += [f"{kind}: {count}" for kind, count in sorted(self.warnings.items())]
        parts += self.crawl_notes
        return f"warning: {'; '.join(parts)}" if parts else None

    def persistent_failures_line(self) -> str | None:
        """What even a --quiet run reports: media whose requests keep failing (None: none)."""
        count = self.persistent_failures
        if not count:
            return None
        return (
            f"warning: {count} media failed on every attempt {PERSISTENT_FAILURES} runs in a row "
            "or more, each retried later with a longer backoff (see `wistia-sync status`)"
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["seen"], data["rejected_keys"], data["streak"], data["persistent_failures"]
        data["warnings"] = dict(sorted(self.warnings.items()))
        data["changed"] = self.changed
        return data


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
    run_id = _start_run(db, summary.mode, options.source)
    try:
        _run(db, client, options, progress, summary, run_id)
    except BaseException as error:
        summary.requests = client.requests_made
        summary.seconds = time.monotonic() - started
        message = str(error) if isinstance(error, WistiaSyncError) else redact(repr(error))
        _finish_run(db, run_id, summary, outcome="failed", error=message or type(error).__name__)
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
    with _pages_not_flushed(db):
        for pass_name, archived in PASSES:
            newest = _list_pass(db, client, options, progress, summary, pass_name, archived)
            if newest is not None:
                watermarks[pass_name] = newest
        if summary.mode == "full":
            # A full crawl saw everything; what it missed, processing or not, passes the guard.
            to_delete = _confirm_missing(db, client, options, progress, summary)
        else:
            to_delete = _recheck_processing(db, client, options, progress, summary)
            to_delete |= _retry_deletion_checks(db, client, options, summary)
        _refresh_stats(db, client, options, progress, summary, exclude=to_delete)
    summary.requests = client.requests_made
    summary.seconds = time.monotonic() - started
    with write_transaction(db):
        summary.deleted = _soft_delete(db, sorted(to_delete))
        _forget_answered_failures(db, summary)
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
        _finish_run(db, run_id, summary, outcome="ok")


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


# -- listing -------------------------------------------------------------------------------------


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
) -> str | None:
    """List one pass (active or archived media); return the largest ``updated`` Wistia returned.

    A full crawl (or a ``whole`` pass) walks every page by ``created`` ascending. An incremental
    one walks by ``updated`` descending and stops after the first page reaching past the
    watermark minus the overlap; an archived pass stopped there reads the whole archive after
    all when Wistia lists more archived media than the database holds (``_archive_outgrew``):
    a media archived with an ``updated`` older than the watermark would be missed otherwise.
    """
    full = summary.mode == "full" or whole
    stop_before: str | None = None
    if not full:
        watermark = get_state(db, watermark_key(pass_name))
        if watermark is not None:
            stop_before = format_timestamp(parse_timestamp(watermark) - WATERMARK_OVERLAP)
    progress.phase(f"listing {pass_name} media")
    newest: str | None = None

    def fetch(page: int) -> MediaPage:
        return client.list_media_page(
            archived=archived,
            sort_by="created" if full else "updated",
            descending=not full,
            page=page,
        )

    known_pages = _known_pages(db, archived)
    crawl = CrawlReport()
    pages = crawl_pages(
        fetch,
        per_page=PER_PAGE,
        # An incremental pass usually needs its first page only: nothing is fetched ahead of it.
        expected_pages=known_pages if full else 0,
        max_pages=page_cap(known_pages),
        report=crawl,
    )
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
    return -(-int(known) // PER_PAGE)


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
    batches = fetch_in_order(client.list_media_by_ids, _batched(pending, MAX_IDS_PER_REQUEST))
    with closing(batches):
        for batch, answer in batches:
            stored = store_media_page(db, answer, options, summary)
            returned = set(stored.hashed_ids)
            missing.extend(h for h in batch if h not in returned)
            progress.advance(len(batch))
    return _confirm_deleted(db, client, options, summary, missing)


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
    return _confirm_deleted(db, client, options, summary, due[:MAX_RETRIES_A_RUN])


def _forget_answered_failures(db: Database, summary: SyncSummary) -> None:
    """Media this run listed exist: no deletion check of theirs is owed. Deleted media are owed
    nothing, and media that are no longer ready, active videos are owed no stats."""
    clear_failures(db, "media", summary.seen)
    db.execute(
        "DELETE FROM media_failures WHERE hashed_id IN "
        "(SELECT hashed_id FROM videos WHERE deleted_at IS NOT NULL)"
    )
    db.execute(
        "DELETE FROM media_failures WHERE endpoint = 'stats' AND hashed_id IN "
        f"(SELECT v.hashed_id FROM videos v WHERE NOT ({STATS_ELIGIBLE}))"
    )


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
    return _confirm_deleted(db, client, options, summary, candidates, progress)


def _confirm_deleted(
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
    answers = fetch_in_order(_or_failure(client.get_media), checks)
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


def _or_failure(fetch: Callable[[str], R]) -> Callable[[str], R | WistiaError]:
    """``fetch``, returning rather than raising a failure that may be the media's own."""

    def attempt(hashed_id: str) -> R | WistiaError:
        try:
            return fetch(hashed_id)
        except PER_MEDIA_ERRORS as error:
            return error

    return attempt


_FAILURE_WARNINGS: dict[Endpoint, str] = {
    "stats": "stats failed on every attempt (retried later, with a backoff)",
    "media": "deletion check failed on every attempt (media kept; retried later, with a backoff)",
}


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
    _count_failure(summary, endpoint, failures)
    if summary.streak.add(error, (hashed_id, endpoint)) is not None:
        raise error


def _count_failure(summary: SyncSummary, endpoint: Endpoint, failures: int) -> None:
    summary.media_failures += 1
    summary.warnings[_FAILURE_WARNINGS[endpoint]] += 1
    if failures >= PERSISTENT_FAILURES:
        summary.persistent_failures += 1


def _advance(progress: Progress | None, amount: int = 1) -> None:
    if progress is not None:
        progress.advance(amount)


# -- storing -------------------------------------------------------------------------------------

# How far past the server's clock an ``updated`` may move a watermark: a media stamped in the
# future would otherwise pin it there, and every later incremental run would stop at once.
WATERMARK_FUTURE_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class StoredPage:
    """What ``store_media_page`` did with one page of raw records."""

    received: int  # records on the page
    stored: int  # media upserted
    rejected: int  # records quarantined in rejected_media
    hashed_ids: tuple[str, ...]  # usable hashed ids on the page, stored or rejected
    newest_updated: str | None  # the largest ``updated`` stored, clamped to the server's clock
    oldest_updated: str | None  # the smallest ``updated`` stored (where an incremental run stops)


def store_media_page(
    db: Database,
    page: MediaPage,
    options: SyncOptions,
    summary: SyncSummary,
    *,
    archived_hint: bool | None = None,
) -> StoredPage:
    """Validate each raw record, then store the good ones with their folders and Wistia tags and
    quarantine the rest, in one transaction (set-based statements, one per table).

    Only what changed is written: a media whose stored row and Wistia tags already say what
    Wistia says gets its ``last_seen`` moved and nothing else (no publish-change row). A
    rejected record leaves its media's last good row as it was. ``archived_hint`` is the
    listing's ``archived`` filter.

    The records are read here, on the storing thread, not on the threads that fetch pages:
    reading is pure Python, and on a worker it held the GIL while this thread waited to get it
    back after each row SQLite wrote (measured: slower, with more CPU).
    """
    records = page.records
    results = read_records(records, archived_hint=archived_hint)
    good: dict[str, WistiaMedia] = {}
    rejected: dict[str, tuple[str | None, str, str]] = {}  # key -> (hashed_id, reason, raw)
    for raw, result in zip(records, results, strict=True):
        if result.notes:
            summary.warnings.update(result.notes)
        if result.media is None:
            assert result.rejected is not None
            hashed_id = result.rejected.hashed_id
            key, raw_json = _rejection_key(raw, hashed_id)
            rejected[key] = (hashed_id, result.rejected.reason, raw_json)
            continue
        good[result.media.hashed_id] = result.media  # a duplicate on one page: the later wins
        rejected.pop(result.media.hashed_id, None)
    for key in rejected:
        good.pop(key, None)
    rows = {hashed_id: _media_row(media) for hashed_id, media in good.items()}
    limit = format_timestamp((page.server_date or datetime.now(UTC)) + WATERMARK_FUTURE_MARGIN)
    updated = sorted(row[_UPDATED] for h, row in rows.items() if good[h].updated is not None)
    stored = StoredPage(
        received=len(records),
        stored=len(good),
        rejected=len(rejected),
        hashed_ids=(*good, *(h for h, _, _ in rejected.values() if h is not None)),
        newest_updated=min(updated[-1], limit) if updated else None,
        oldest_updated=updated[0] if updated else None,
    )
    if not records:
        return stored
    now = utc_now()
    with write_transaction(db):
        existing = _existing_rows(db, list(good)) if good else {}
        _store_folders(db, good.values())
        same = [h for h, row in rows.items() if existing.get(h) == (*row, None)]
        db.conn.executemany(
            _UPSERT_SQL,
            [
                (*row, now, now, options.default_visibility)
                for h, row in rows.items()
                if existing.get(h) != (*row, None)
            ],
        )
        if same:
            db.execute(
                "UPDATE videos SET last_seen = ? WHERE hashed_id IN "
                "(SELECT value FROM json_each(?))",
                [now, json.dumps(same)],
            )
        tags_changed = _replace_wistia_tags(db, list(good.values()), now)
        _quarantine(db, rejected, good, now, summary)
        for hashed_id, row in rows.items():
            _count(summary, hashed_id, existing.get(hashed_id), row, hashed_id in tags_changed)
    return stored


def _rejection_key(raw: object, hashed_id: str | None) -> tuple[str, str]:
    """The rejected_media key of a record (its hashed id, else a digest) and its raw JSON."""
    if isinstance(raw, TooDeep):
        raw_json = raw.text  # its source, since it could not be parsed
    else:
        try:
            raw_json = json.dumps(raw, ensure_ascii=True, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            try:
                raw_json = ascii(raw)
            except RecursionError:
                raw_json = '"(not kept: nested too deeply to write out)"'

    key = hashed_id or "sha256:" + hashlib.sha256(raw_json.encode()).hexdigest()[:16]
    return key, raw_json[:MAX_REJECTED_RAW_CHARS]


def _quarantine(
    db: Database,
    rejected: dict[str, tuple[str | None, str, str]],
    good: dict[str, WistiaMedia],
    now: str,
    summary: SyncSummary,
) -> None:
    """Record this page's rejected records; forget earlier rejections of media now stored."""
    if rejected:
        db.conn.executemany(
            "INSERT INTO rejected_media (key, hashed_id, reason, raw, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET reason = excluded.reason, "
            "raw = excluded.raw, last_seen = excluded.last_seen",
            [(key, h, reason, raw, now, now) for key, (h, reason, raw) in rejected.items()],
        )
    if good:
        db.execute(
            "DELETE FROM rejected_media WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(list(good))],
        )
    for key, (hashed_id, _, _) in rejected.items():
        if key not in summary.rejected_keys:
            summary.rejected_keys.add(key)
            summary.rejected += 1
        if hashed_id is not None:
            summary.seen.add(hashed_id)  # still in Wistia: never a deletion candidate


MediaRow = tuple[Any, ...]  # the values of WISTIA_COLUMNS, in that order
_UPDATED = WISTIA_COLUMNS.index("updated")
_ARCHIVED = WISTIA_COLUMNS.index("archived")


def _media_row(media: WistiaMedia) -> MediaRow:
    created = format_timestamp(media.created)
    return (
        media.hashed_id,
        media.id,
        media.name,
        media.description,
        media.type,
        media.status,
        int(media.archived),
        media.duration,
        created,
        format_timestamp(media.updated) if media.updated is not None else created,
        media.thumbnail_url,
        media.folder.hashed_id if media.folder else None,
        media.width,
        media.height,
        int(media.protected),
    )


_UPSERT_SQL = (
    "INSERT INTO videos ({cols}, first_seen, last_seen, visibility) VALUES ({params}, ?, ?, ?) "
    "ON CONFLICT(hashed_id) DO UPDATE SET {updates}, last_seen = excluded.last_seen, "
    "deleted_at = NULL"
).format(
    cols=", ".join(WISTIA_COLUMNS),
    params=", ".join("?" for _ in WISTIA_COLUMNS),
    updates=", ".join(f"{c} = excluded.{c}" for c in WISTIA_COLUMNS if c != "hashed_id"),
)


def _existing_rows(db: Database, hashed_ids: list[str]) -> dict[str, MediaRow]:
    """The stored WISTIA_COLUMNS and ``deleted_at`` of those media the database holds."""
    cursor = db.execute(
        f"SELECT {', '.join(WISTIA_COLUMNS)}, deleted_at FROM videos "
        "WHERE hashed_id IN (SELECT value FROM json_each(?))",
        [json.dumps(hashed_ids)],
    )
    return {row[0]: tuple(row) for row in cursor.fetchall()}


def _store_folders(db: Database, media: Iterable[WistiaMedia]) -> None:
    """Upsert the page's folders whose id or name is not already what the database holds."""
    folders = {m.folder.hashed_id: m.folder for m in media if m.folder is not None}
    if not folders:
        return
    stored = {
        row[0]: (row[1], row[2])
        for row in db.execute(
            "SELECT hashed_id, id, name FROM folders WHERE hashed_id IN "
            "(SELECT value FROM json_each(?))",
            [json.dumps(list(folders))],
        ).fetchall()
    }
    db.conn.executemany(
        "INSERT INTO folders (hashed_id, id, name) VALUES (?, ?, ?) "
        "ON CONFLICT(hashed_id) DO UPDATE SET id = excluded.id, name = excluded.name",
        [
            (f.hashed_id, f.id, f.name)
            for f in folders.values()
            if stored.get(f.hashed_id) != (f.id, f.name)
        ],
    )


def _tag_ids(db: Database, names: Iterable[str]) -> dict[str, int]:
    """The tag id of each name (by identity), creating the tags that do not exist yet."""
    keys = {name: tag_key(name) for name in sorted(set(names))}
    if not keys:
        return {}
    found: dict[str, int] = {
        str(key): int(tag_id)
        for key, tag_id in db.execute(
            "SELECT key, id FROM tags WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(set(keys.values())))],
        ).fetchall()
    }
    ids: dict[str, int] = {}
    for name, key in keys.items():
        if key not in found:
            found[key] = ensure_tag(db, name)
        ids[name] = found[key]
    return ids


def _replace_wistia_tags(db: Database, media: list[WistiaMedia], now: str) -> set[str]:
    """Make each media's ``wistia`` tag links exactly Wistia's list; return those that changed."""
    if not media:
        return set()
    tag_ids = _tag_ids(db, (t for m in media for t in m.tags))
    current: dict[str, set[int]] = {m.hashed_id: set() for m in media}
    for hashed_id, tag_id in db.execute(
        "SELECT hashed_id, tag_id FROM video_tags WHERE source = 'wistia' "
        "AND hashed_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(current))],
    ).fetchall():
        current[hashed_id].add(tag_id)
    removed: list[tuple[str, int]] = []
    added: list[tuple[str, int, str]] = []
    for item in media:
        wanted = {tag_ids[name] for name in item.tags}
        have = current[item.hashed_id]
        if wanted == have:
            continue
        removed += [(item.hashed_id, tag_id) for tag_id in have - wanted]
        added += [(item.hashed_id, tag_id, now) for tag_id in wanted - have]
    if removed:
        db.conn.executemany(
            "DELETE FROM video_tags WHERE hashed_id = ? AND tag_id = ? AND source = 'wistia'",
            removed,
        )
    if added:
        db.conn.executemany(
            "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
            "VALUES (?, ?, 'wistia', ?)",
            added,
        )
    return {link[0] for link in removed} | {link[0] for link in added}


def _count(
    summary: SyncSummary,
    hashed_id: str,
    before: MediaRow | None,
    after: MediaRow,
    tags_changed: bool,
) -> None:
    first_time = hashed_id not in summary.seen
    summary.seen.add(hashed_id)
    if before is None:
        summary.new += 1
        return
    changed = tags_changed or before != (*after, None)  # (the last column: deleted_at)
    if not changed:
        if first_time:
            summary.unchanged += 1
        return
    if not first_time and summary.unchanged:
        # Seen unchanged earlier in this run, changed since: count it once, as changed.
        summary.unchanged -= 1
    if after[_ARCHIVED] and not before[_ARCHIVED]:
        summary.archived += 1
    else:
        summary.updated += 1


def _soft_delete(db: Database, hashed_ids: Sequence[str]) -> int:
    now = utc_now()
    for hashed_id in hashed_ids:
        db.execute(
            "UPDATE videos SET deleted_at = ? WHERE hashed_id = ? AND deleted_at IS NULL",
            [now, hashed_id],
        )
    return len(hashed_ids)


# -- stats ---------------------------------------------------------------------------------------


def _refresh_stats(
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
    targets = targets[: options.stats_budget - len(retries)] + retries
    if not targets:
        return
    progress.phase("fetching play counts", total=len(targets))
    with ThreadPoolExecutor(max_workers=STATS_WORKERS) as pool:
        stats = pool.map(_or_failure(client.get_stats), [hashed_id for hashed_id, _ in targets])
        try:
            batch: list[tuple[tuple[str, int | None], WistiaStats | NoStats | WistiaError]] = []
            for target, answer in zip(targets, stats, strict=True):
                batch.append((target, answer))
                # A streak of failures fails the run: what came before it is stored first.
                outage = summary.streak.add(answer, (target[0], "stats"))
                if outage is not None or len(batch) == STATS_BATCH:
                    _store_stats(db, batch, summary, options)
                    progress.advance(len(batch))
                    batch = []
                if outage is not None:
                    raise outage
            if batch:
                _store_stats(db, batch, summary, options)
                progress.advance(len(batch))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def _store_stats(
    db: Database,
    batch: Sequence[tuple[tuple[str, int | None], WistiaStats | NoStats | WistiaError]],
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
                _count_failure(summary, "stats", failures)
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


# -- runs ----------------------------------------------------------------------------------------


def _start_run(db: Database, mode: str, source: str) -> int:
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO sync_runs (started_at, mode, source) VALUES (?, ?, ?)",
            [utc_now(), mode, source],
        )
    return int(cursor.lastrowid or 0)


def _finish_run(
    db: Database, run_id: int, summary: SyncSummary, *, outcome: str, error: str | None = None
) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, requests = ?, new = ?, "
            "updated = ?, archived = ?, deleted = ?, unchanged = ?, stats_fetched = ?, error = ?, "
            "rejected = ?, warnings = ? WHERE id = ?",
            [
                utc_now(),
                outcome,
                summary.requests,
                summary.new,
                summary.updated,
                summary.archived,
                summary.deleted,
                summary.unchanged,
                summary.stats_fetched,
                error,
                summary.rejected,
                summary.warning_line(),
                run_id,
            ],
        )


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- targeted refresh (webhooks, ``sync --media``) -------------------------------------------------


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
    run_id = _start_run(db, summary.mode, options.source)
    try:
        missing: list[str] = []
        for batch in _batched(wanted, MAX_IDS_PER_REQUEST):
            answer = client.list_media_by_ids(batch)
            returned = set(store_media_page(db, answer, options, summary).hashed_ids)
            missing.extend(h for h in batch if h not in returned)
        known = _known_ids(db, missing)
        asked = missing if confirm_unknown else known
        answered_404 = _confirm_deleted(db, client, options, summary, asked)
        to_delete = answered_404.intersection(known)
        summary.not_found = sorted(answered_404.difference(known))
        summary.requests = client.requests_made - requests_before
        summary.seconds = time.monotonic() - started
        with write_transaction(db):
            summary.deleted = _soft_delete(db, sorted(to_delete))
            _forget_answered_failures(db, summary)
            delete_orphan_tags(db)
            _finish_run(db, run_id, summary, outcome="ok")
    except BaseException as error:
        summary.requests = client.requests_made - requests_before
        summary.seconds = time.monotonic() - started
        message = str(error) if isinstance(error, WistiaSyncError) else redact(repr(error))
        _finish_run(db, run_id, summary, outcome="failed", error=message or type(error).__name__)
        raise
    return summary


def _known_ids(db: Database, hashed_ids: Sequence[str]) -> list[str]:
    """Those of ``hashed_ids`` the database holds and has not marked deleted, in order."""
    known: set[str] = set()
    for batch in _batched(hashed_ids, 500):
        marks = ", ".join("?" for _ in batch)
        known.update(
            row[0]
            for row in db.execute(
                f"SELECT hashed_id FROM videos WHERE deleted_at IS NULL AND hashed_id IN ({marks})",
                batch,
            ).fetchall()
        )
    return [h for h in hashed_ids if h in known]


# -- for the webhook worker and run: small, self-contained steps ---------------------------------


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
    targets: list[tuple[str, int | None]] = []
    for batch in _batched(sorted(set(hashed_ids)), 500):
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
    stats = [_or_failure(client.get_stats)(hashed_id) for hashed_id, _ in targets]
    if targets:
        _store_stats(db, list(zip(targets, stats, strict=True)), summary, options)
    return summary.stats_fetched


def confirm_deletion(
    db: Database, client: WistiaClient, hashed_id: str, options: SyncOptions
) -> bool:
    """Ask Wistia for one media: a 404 marks it deleted (True); an answer stores it (False).

    Any other outcome (Wistia down, a token rejected) raises, and nothing is changed.
    """
    answer = client.get_media(hashed_id) if is_hashed_id(hashed_id) else None
    if answer is None:
        with write_transaction(db):
            _soft_delete(db, [hashed_id])
            delete_orphan_tags(db)
        return True
    store_media_page(db, answer, options, SyncSummary(mode="targeted"))
    return False
