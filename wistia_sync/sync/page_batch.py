"""Storing a crawl's list pages several to a write transaction.

One transaction a page made the commit and its write-ahead-log frames a large share of a page's
CPU at 100k (the same B-tree leaves written again by every page that touches them). A
``PageBatch`` keeps one transaction open over consecutive pages and commits it when it holds
``max_pages`` pages, when it has been open ``max_seconds``, before the crawl would wait for a
page the network has not delivered within that time, and at the end. What that costs:

- **a crash or kill** loses at most the pages of the open batch: each page is a fact Wistia
  still gives, and the next run fetches them again (a run's watermarks and deletions move only
  in its final transaction, after every batch is committed);
- **an error storing a page** rolls back the whole open batch, not just the page (a page has no
  savepoint of its own: a savepoint's sub-journal copies every page it dirties, which cost more
  than the commits saved). The error fails the run; its counts then include the pages rolled
  back, which the next run stores again;
- **an error fetching a page** (a 5xx, a body that is not JSON) commits the pages stored before
  it, then fails the run as before;
- **an editor's write** waits for the open batch at most ``max_seconds`` and the store of one
  page (``benchmarks/editor_wait.py``), far below the busy timeout editors wait (30 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from wistia_sync.store.db import begin_immediate, commit, rollback, sqlite_errors_explained

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_PAGES = 16  # pages a transaction (benchmarks/page_store_variants.py)
MAX_SECONDS = 0.25  # the longest a batch holds the write lock (benchmarks/editor_wait.py)
CRAWL_CACHE_KIB = 65_536  # the page cache while a crawl stores batches: a batch's dirty pages
# stay in memory until its commit instead of spilling to the log (2 MB, the default, spills)


class PageBatch:
    """Consecutive pages' writes in one ``BEGIN IMMEDIATE`` transaction (see the module)."""

    def __init__(
        self,
        db: Database,
        *,
        max_pages: int | None = None,
        max_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``max_pages`` and ``max_seconds`` default to the module's, read now."""
        self._db = db
        self._max_pages = MAX_PAGES if max_pages is None else max_pages
        self._max_seconds = MAX_SECONDS if max_seconds is None else max_seconds
        self._clock = clock
        self._pages = 0
        self._opened_at: float | None = None
        self.commits = 0  # transactions committed (for tests and benchmarks)

    @property
    def pages(self) -> int:
        """Pages stored in the open transaction and not committed yet."""
        return self._pages

    @contextmanager
    def page(self) -> Iterator[None]:
        """One page's writes, inside the batch's transaction (begun if none is open).

        An error rolls back the whole open batch; a page that completes may commit it.
        """
        with sqlite_errors_explained(self._db):
            if self._opened_at is None:
                if self._db.conn.in_transaction:
                    raise RuntimeError("a page batch needs the connection outside a transaction")
                begin_immediate(self._db)
                self._opened_at = self._clock()
            try:
                yield
            except BaseException:
                self._end(committing=False)
                raise
            self._pages += 1
            if self._pages >= self._max_pages or self._age() >= self._max_seconds:
                self._end(committing=True)

    def before_waiting(self, future: Future[Any]) -> None:
        """Called before the crawl blocks on a page not fetched yet: wait for it only as long
        as the batch may still be held, then commit, so the network never holds the lock."""
        if self._opened_at is None:
            return
        remaining = self._max_seconds - self._age()
        if remaining > 0 and wait([future], timeout=remaining).done:
            return
        self.commit()

    def commit(self) -> None:
        """Commit the pages stored so far (nothing if none are)."""
        if self._opened_at is not None:
            with sqlite_errors_explained(self._db):
                self._end(committing=True)

    def rollback(self) -> None:
        """Forget the pages stored since the last commit."""
        self._end(committing=False)

    def _end(self, *, committing: bool) -> None:
        opened, self._opened_at, self._pages = self._opened_at, None, 0
        if opened is None:
            return
        if committing:
            commit(self._db)  # (rolls back, then raises, if the commit fails)
            self.commits += 1
        else:
            rollback(self._db)

    def __enter__(self) -> PageBatch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Commit at the end, and when the crawl fails outside a page's store (fetching), so
        the pages stored are kept; an error inside a page's store rolled the batch back."""
        try:
            self.commit()
        except BaseException:
            if kind is None:
                raise
            self.rollback()  # the crawl's own error is the one raised

    def _age(self) -> float:
        return 0.0 if self._opened_at is None else self._clock() - self._opened_at


@contextmanager
def crawl_page_cache(db: Database) -> Iterator[None]:
    """The connection's page cache raised to ``CRAWL_CACHE_KIB`` while a crawl stores pages,
    then set back (SQLite frees the pages over the limit)."""
    previous = int(db.execute("PRAGMA cache_size").fetchone()[0])
    db.execute(f"PRAGMA cache_size = -{CRAWL_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {previous}")
