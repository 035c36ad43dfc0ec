"""Requests about one media that fail on every attempt: recorded with a backoff, the run goes on.

Wistia can fail for one media alone (its stats, or the check that confirms its deletion, answer
500 every time). Such a failure must not stop every run, nor put that media first in line again
at the next one: it is recorded in ``media_failures`` with the time of its next attempt, which
doubles with each failure (``BACKOFF_FIRST``, capped at ``BACKOFF_CAP``), and any answer about the
media clears it. Only failures that may be the media's own count (``PER_MEDIA_ERRORS``: Wistia
was reached but the answer failed); a rejected token, a rate limit or a connection that cannot be
made concern every request and still fail the run, and so do ``OUTAGE_STREAK`` per-media requests
failing in a row, with no success between them: that is Wistia failing, not the media.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from wistia_sync.errors import RequestFailed, UnexpectedResponse, WistiaError
from wistia_sync.store.timestamps import format_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database

R = TypeVar("R")

Endpoint = Literal["stats", "media"]  # a media's stats, or the media itself (deletion checks)

BACKOFF_FIRST = timedelta(minutes=30)
BACKOFF_CAP = timedelta(hours=24)
OUTAGE_STREAK = 5  # per-media requests failing in a row: Wistia is failing, not the media
# Failures in a row after which a media's failure is persistent (about 1.5 hours of them): it is
# reported even by a --quiet run, once per retry (daily once the backoff reaches its cap).
PERSISTENT_FAILURES = 3
# Due retries a run makes per endpoint, after its other requests: fewer than OUTAGE_STREAK, so
# media that keep failing can never make a streak of their own and fail every run together.
MAX_RETRIES_A_RUN = OUTAGE_STREAK - 1
PER_MEDIA_ERRORS: tuple[type[WistiaError], ...] = (RequestFailed, UnexpectedResponse)


def or_failure(fetch: Callable[[str], R]) -> Callable[[str], R | WistiaError]:
    """``fetch``, returning rather than raising a failure that may be the media's own."""

    def attempt(hashed_id: str) -> R | WistiaError:
        try:
            return fetch(hashed_id)
        except PER_MEDIA_ERRORS as error:
            return error

    return attempt


def backoff(failures: int) -> timedelta:
    """How long to wait after the ``failures``-th failure in a row (1, 2, …)."""
    doubled: timedelta = BACKOFF_FIRST * 2 ** min(failures - 1, 32)
    return min(BACKOFF_CAP, doubled)


def record_failure(
    db: Database, hashed_id: str, endpoint: Endpoint, error: str, now: datetime
) -> int:
    """Record one more failure of ``endpoint`` for this media; return its failures in a row."""
    row = db.execute(
        "SELECT failures FROM media_failures WHERE hashed_id = ? AND endpoint = ?",
        [hashed_id, endpoint],
    ).fetchone()
    failures = (int(row[0]) if row else 0) + 1
    retry_at = now + backoff(failures)
    stamp = format_timestamp(now)
    db.execute(
        "INSERT INTO media_failures (hashed_id, endpoint, failures, first_failed_at, "
        "last_failed_at, retry_at, error) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(hashed_id, endpoint) DO UPDATE SET failures = excluded.failures, "
        "last_failed_at = excluded.last_failed_at, retry_at = excluded.retry_at, "
        "error = excluded.error",
        [hashed_id, endpoint, failures, stamp, stamp, format_timestamp(retry_at), error],
    )
    return failures


def clear_failures(db: Database, endpoint: Endpoint, hashed_ids: Iterable[str]) -> None:
    """Forget the failures of ``endpoint`` for these media (Wistia answered about them).

    The endpoint's failures (a handful) are read and matched here: at the end of a full crawl
    ``hashed_ids`` is the whole catalog, which SQLite would otherwise be sent and index.
    """
    answered = failing(db, endpoint).intersection(hashed_ids)
    if not answered:
        return
    db.execute(
        "DELETE FROM media_failures WHERE endpoint = ? AND hashed_id IN "
        "(SELECT value FROM json_each(?))",
        [endpoint, json.dumps(sorted(answered))],
    )


def backing_off(db: Database, endpoint: Endpoint, now: datetime) -> set[str]:
    """The media whose last ``endpoint`` request failed and whose retry is not due yet."""
    return {
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM media_failures WHERE endpoint = ? AND retry_at > ?",
            [endpoint, format_timestamp(now)],
        ).fetchall()
    }


class FailureStreak:
    """Per-media requests failing in a row, across a run: ``OUTAGE_STREAK`` of them mean Wistia
    itself is failing, and the run must fail as it would for any request.

    A media that had already failed before (``known_failing``, read when the run starts) failing
    again is expected, not news of an outage: it neither counts nor breaks a streak, so a few
    broken media retried together can never fail a run on their own.
    """

    def __init__(self, known_failing: Collection[tuple[str, str]] = ()) -> None:
        self.count = 0
        self.known_failing = set(known_failing)  # (hashed_id, endpoint)

    def add(self, answer: Any, request: tuple[str, str] | None = None) -> WistiaError | None:
        """Count one ``answer`` to ``request`` (hashed id, endpoint); return the error to fail
        the run with, if the streak is reached."""
        if not isinstance(answer, PER_MEDIA_ERRORS):
            self.count = 0
            return None
        if request in self.known_failing:
            return None
        self.count += 1
        return answer if self.count >= OUTAGE_STREAK else None


def failing(db: Database, endpoint: Endpoint) -> set[str]:
    """The media whose last ``endpoint`` request failed, due for a retry or not."""
    return {
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM media_failures WHERE endpoint = ?", [endpoint]
        ).fetchall()
    }


def known_failing(db: Database) -> set[tuple[str, str]]:
    """Every (hashed id, endpoint) whose last request failed."""
    return {
        (row[0], row[1])
        for row in db.execute("SELECT hashed_id, endpoint FROM media_failures").fetchall()
    }


def failures_status(db: Database) -> dict[str, Any]:
    """What ``status`` shows: media backing off per endpoint, the next retry, the last error."""
    by_endpoint = dict(
        db.execute("SELECT endpoint, count(*) FROM media_failures GROUP BY endpoint").fetchall()
    )
    cursor = db.execute(
        "SELECT hashed_id, endpoint, failures, retry_at, error FROM media_failures "
        "ORDER BY retry_at, hashed_id LIMIT 1"
    )
    columns = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return {
        "media": db.execute("SELECT count(DISTINCT hashed_id) FROM media_failures").fetchone()[0],
        "stats": by_endpoint.get("stats", 0),
        "deletion_checks": by_endpoint.get("media", 0),
        "next_retry": None if row is None else dict(zip(columns, row, strict=True)),
    }
