"""Walk a paginated Wistia listing with pages fetched ahead, concurrently, in page order.

The list API gives no total, so a naive loop waits one round trip per page and then stores it
before asking for the next. ``crawl_pages`` instead keeps several requests in flight on worker
threads and hands the pages to the caller in order, so storing page *n* (in the caller's
thread: one writer, page order kept) overlaps fetching the pages after it. Every request still
goes through the client's shared sliding-window budget and its ``Retry-After`` pause.

How far ahead it fetches:

- up to the page the known catalog says is the last (``expected_pages``: what the database
  holds, or on a first crawl what the account's ``media_count`` announces), ``max_in_flight``
  requests at once and at most ``max_ahead`` pages fetched but not yet stored (memory);
  from page ``doubtful_from`` on (the last pages of a count that may be too large), at most
  ``max_speculative`` pages ahead, so the pass wastes no more there than past the end;
- past it, speculatively: one page at first, doubling each time a page comes back full, up to
  ``max_speculative``. A pass ends at the first short page, so at most
  ``max_speculative - 1`` requests of a pass are wasted, and none when the catalog's size is
  known and unchanged.

Whatever the server does, a pass ends: a page that brings no media not already seen in this
pass ends it (a server that repeats its last page past the end, or ignores ``page``), and so
does ``page_cap``. Media repeated on a later page (the listing shifted between two requests)
are handed over once, on the page that first listed them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.records import record_hashed_id

MAX_IN_FLIGHT = 8  # list requests at once (the budget, not this, bounds a long crawl)
MAX_AHEAD = 32  # pages fetched but not yet stored: bounds memory, about 100 media a page
MAX_SPECULATIVE = 4  # pages requested beyond the expected end: at most 3 wasted a pass
PAGE_CAP_FACTOR = 3  # a pass may read this many times the pages its known catalog fills...
PAGE_CAP_MINIMUM = 1_000  # ...and never fewer than this many (100,000 media)

T = TypeVar("T")
R = TypeVar("R")
FetchPage = Callable[[int], MediaPage]
EndReason = Literal["short page", "no new media", "page cap", "stopped by the caller"]


def page_cap(expected_pages: int) -> int:
    """How many pages a pass may read when the catalog last filled ``expected_pages``."""
    return max(PAGE_CAP_MINIMUM, PAGE_CAP_FACTOR * expected_pages)


@dataclass
class CrawlReport:
    """How a pass went: pages requested and used, and why it ended."""

    requested: int = 0
    pages: int = 0
    duplicates: int = 0
    ended: EndReason = "stopped by the caller"
    seen: set[str] = field(default_factory=set, repr=False)

    @property
    def complete(self) -> bool:
        """Whether the pass saw the whole listing (it did not stop at the page cap)."""
        return self.ended in ("short page", "no new media")


def crawl_pages(
    fetch: FetchPage,
    *,
    per_page: int,
    expected_pages: int = 0,
    doubtful_from: int | None = None,
    max_pages: int | None = None,
    report: CrawlReport | None = None,
    max_in_flight: int = MAX_IN_FLIGHT,
    max_ahead: int = MAX_AHEAD,
    max_speculative: int = MAX_SPECULATIVE,
) -> Generator[MediaPage]:
    """Yield each page's records not yet seen in this pass, in page order, from page 1 on.

    ``fetch(page)`` returns one page (it runs on worker threads); its errors are raised here
    when that page's turn comes, never for a page past the end. Closing the iterator early
    (``break``) cancels what was not sent and waits for what is in flight.
    """
    report = report if report is not None else CrawlReport()
    cap = max_pages if max_pages is not None else page_cap(expected_pages)
    pending: dict[int, Future[MediaPage]] = {}
    speculative = 1
    wanted = 1  # the next page to hand over
    next_page = 1  # the next page to request
    with ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="crawl") as pool:
        try:
            while True:
                while next_page <= cap and next_page - wanted < (
                    speculative
                    if next_page > expected_pages
                    else max_speculative
                    if doubtful_from is not None and next_page >= doubtful_from
                    else max_ahead
                ):
                    pending[next_page] = pool.submit(fetch, next_page)
                    report.requested += 1
                    next_page += 1
                if wanted not in pending:  # the cap stopped it
                    report.ended = "page cap"
                    return
                media = pending.pop(wanted).result()
                fresh = _unseen(media, report.seen)
                report.duplicates += len(media) - len(fresh)
                report.pages += 1
                if media and not fresh:
                    report.ended = "no new media"
                    return
                if len(media) < per_page:
                    # Said before the page is handed over: a caller may stop at it.
                    report.ended = "short page"
                    yield fresh
                    return
                yield fresh
                if wanted >= expected_pages:
                    speculative = min(2 * speculative, max_speculative)
                wanted += 1
        finally:
            for future in pending.values():
                if future.cancel():
                    report.requested -= 1  # never sent


def _unseen(page: MediaPage, seen: set[str]) -> MediaPage:
    """The page without the records of media already handed over in this pass.

    A record without a usable hashed id is kept: storing it quarantines it.
    """
    fresh: list[Any] = []
    for record in page.records:
        hashed_id = record_hashed_id(record)
        if hashed_id is None or hashed_id not in seen:
            if hashed_id is not None:
                seen.add(hashed_id)
            fresh.append(record)
    return MediaPage(records=fresh, server_date=page.server_date)


def fetch_in_order(
    fetch: Callable[[T], R], items: Iterable[T], *, max_in_flight: int = MAX_IN_FLIGHT
) -> Generator[tuple[T, R]]:
    """``(item, fetch(item))`` for each item, in order, with ``max_in_flight`` fetches at once.

    For independent requests (confirming deletions, re-checking ids): the caller stores each
    result in its own thread while the next ones are on the wire. An error is raised when its
    item's turn comes; closing the iterator cancels what was not sent.
    """
    items = list(items)
    if not items:
        return
    with ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="fetch") as pool:
        futures = [pool.submit(fetch, item) for item in items]
        try:
            for item, future in zip(items, futures, strict=True):
                yield item, future.result()
        finally:
            for future in futures:
                future.cancel()
