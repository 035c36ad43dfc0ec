"""Drain the webhook inbox: debounce bursts, refetch the affected media, republish once.

A burst of events (an upload sends created, processing, ready…) is collected until the inbox has
been quiet for ``quiet_seconds`` or its oldest event has waited ``max_delay_seconds``, then
applied in one go: one refetch of every affected media (100 a request) and one republish. The
inbox lives in SQLite, so events stored before a crash or a shutdown are applied after restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from wistia_sync.redaction import redact
from wistia_sync.webhooks.inbox import (
    mark_applied,
    mark_failed_attempt,
    pending_batch,
    pending_window,
)

log = logging.getLogger(__name__)

DEFAULT_QUIET_SECONDS = 0.5
DEFAULT_MAX_DELAY_SECONDS = 3.0
# A failed batch is retried after 2 s, doubling up to 15 min, 30 attempts in all (about 5¼ hours:
# a Wistia outage of a few hours loses nothing); then its events are marked failed, and the
# deletions among them are left to the next `run` to confirm (webhooks.deletions).
MAX_ATTEMPTS = 30
RETRY_SECONDS = 2.0
RETRY_MAX_SECONDS = 900.0
IDLE_POLL_SECONDS = 5.0  # also look at the inbox unprompted (events another process stored)

Apply = Callable[[Database, Sequence[str]], None]
"""Bring these hashed ids up to date in the database and republish; raise if that failed."""


def retry_delay(failures: int) -> float:
    """The pause after ``failures`` failed batches in a row."""
    return float(min(RETRY_SECONDS * 2 ** min(failures - 1, 30), RETRY_MAX_SECONDS))


@dataclass(frozen=True)
class Debounce:
    quiet_seconds: float = DEFAULT_QUIET_SECONDS
    max_delay_seconds: float = DEFAULT_MAX_DELAY_SECONDS

    def due(self, first_received: float, last_received: float) -> float:
        """When a batch whose events arrived between these times should be applied."""
        return min(last_received + self.quiet_seconds, first_received + self.max_delay_seconds)


class InboxWorker:
    """Applies pending events; ``notify`` after storing some, ``run`` in a thread of its own.

    ``open_db`` is called once, in the worker's thread (a SQLite connection stays in the thread
    that made it). Debounce and backoff are timed on ``clock``, a monotonic clock: the wall
    clock stepping back an hour must not hold events back an hour. So the burst window is the
    times ``notify`` was called, not the stored ``received_at``; events found pending without a
    notice (stored by another process, or before a restart) open a window when first seen.
    """

    def __init__(
        self,
        open_db: Callable[[], Database],
        apply: Apply,
        debounce: Debounce = Debounce(),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_db = open_db
        self._apply = apply
        self._debounce = debounce
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._window: tuple[float, float] | None = None  # first and last notice since a batch
        self._failures = 0  # batches failed in a row
        self._retry_at: float | None = None
        self._db: Database | None = None
        self.batches_applied = 0

    def notify(self) -> None:
        now = self._clock()
        with self._lock:
            self._window = (now if self._window is None else self._window[0], now)
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand (if any) and return from ``run``; pending events stay."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stop.is_set():
            delay = self.seconds_until_due()
            if delay is None or delay > 0:
                self._wake.wait(IDLE_POLL_SECONDS if delay is None else delay)
                self._wake.clear()
                continue
            if self._stop.is_set():
                return
            try:
                self.apply_pending()
            except Exception as error:  # keep serving: the events stay pending and are retried
                log.warning(
                    "applying webhook events failed %d times in a row (retrying in %.0f s): %s",
                    self._failures,
                    retry_delay(self._failures),
                    redact(str(error)),
                )

    def seconds_until_due(self) -> float | None:
        """How long until the pending events are due (0: now), or None when none are pending."""
        if pending_window(self._database()) is None:
            with self._lock:
                self._window = None
            return None
        now = self._clock()
        with self._lock:
            if self._window is None:
                self._window = (now, now)
            due = self._debounce.due(*self._window)
        if self._retry_at is not None:
            due = max(due, self._retry_at)
        return max(0.0, due - now)

    def apply_pending(self) -> int:
        """Apply every pending event now, in one batch; return how many were applied."""
        db = self._database()
        with self._lock:
            self._window = None  # events noticed from here on wait for the next batch
        batch = pending_batch(db)
        if batch is None:
            return 0
        try:
            self._apply(db, batch.hashed_ids)
        except Exception as error:
            self._failures += 1
            self._retry_at = self._clock() + retry_delay(self._failures)
            mark_failed_attempt(db, batch.uuids, redact(str(error)), max_attempts=MAX_ATTEMPTS)
            raise
        self._failures = 0
        self._retry_at = None
        mark_applied(db, batch.uuids, hashed_ids=batch.hashed_ids)
        self.batches_applied += 1
        return len(batch.uuids)

    def _database(self) -> Database:
        if self._db is None:
            self._db = self._open_db()
        return self._db
