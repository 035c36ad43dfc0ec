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

from wistia_sync.config import redact
from wistia_sync.webhooks.inbox import (
    mark_applied,
    mark_failed_attempt,
    pending_batch,
    pending_window,
)

log = logging.getLogger(__name__)

DEFAULT_QUIET_SECONDS = 0.5
DEFAULT_MAX_DELAY_SECONDS = 3.0
MAX_ATTEMPTS = 5  # then an event is marked failed; cron's next full crawl reconciles it
RETRY_SECONDS = 2.0  # first pause after a failed batch, doubling up to RETRY_MAX_SECONDS
RETRY_MAX_SECONDS = 60.0
IDLE_POLL_SECONDS = 5.0  # also look at the inbox unprompted (events another process stored)

Apply = Callable[[Database, Sequence[str]], None]
"""Bring these hashed ids up to date in the database and republish; raise if that failed."""


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
    that made it).
    """

    def __init__(
        self,
        open_db: Callable[[], Database],
        apply: Apply,
        debounce: Debounce = Debounce(),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._open_db = open_db
        self._apply = apply
        self._debounce = debounce
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._db: Database | None = None
        self.batches_applied = 0

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch in hand (if any) and return from ``run``; pending events stay."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        retry = RETRY_SECONDS
        while not self._stop.is_set():
            self._wait_until_due()
            if self._stop.is_set():
                return
            try:
                self.apply_pending()
                retry = RETRY_SECONDS
            except Exception as error:  # keep serving: the events stay pending and are retried
                log.warning("applying webhook events failed (retrying in %.0f s): %s", retry, error)
                self._stop.wait(retry)
                retry = min(retry * 2, RETRY_MAX_SECONDS)

    def apply_pending(self) -> int:
        """Apply every pending event now, in one batch; return how many were applied."""
        db = self._database()
        batch = pending_batch(db)
        if batch is None:
            return 0
        try:
            self._apply(db, batch.hashed_ids)
        except Exception as error:
            mark_failed_attempt(db, batch.uuids, redact(str(error)), max_attempts=MAX_ATTEMPTS)
            raise
        mark_applied(db, batch.uuids, applied_at=self._clock())
        self.batches_applied += 1
        return len(batch.uuids)

    def _wait_until_due(self) -> None:
        while not self._stop.is_set():
            window = pending_window(self._database())
            if window is None:
                self._wake.wait(IDLE_POLL_SECONDS)
                self._wake.clear()
                continue
            delay = self._debounce.due(*window) - self._clock()
            if delay <= 0:
                return
            self._wake.wait(delay)
            self._wake.clear()

    def _database(self) -> Database:
        if self._db is None:
            self._db = self._open_db()
        return self._db
