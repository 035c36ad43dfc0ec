"""The crawl: pages fetched ahead and concurrently, handed over in order, and a pass that ends
whatever the server does (no short page ever, ``page`` ignored, repeated media)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store.db import open_database
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import ClientSettings, MediaPage, WistiaClient
from wistia_sync.wistia.crawl import (
    MAX_IN_FLIGHT,
    MAX_SPECULATIVE,
    PAGE_CAP_MINIMUM,
    CrawlReport,
    crawl_pages,
    fetch_in_order,
    page_cap,
)

TOKEN = "fake-token"
REQUEST_LIMIT = 60  # more list requests than any test catalog needs: the crawl did not end


def media(page: int, count: int = 100, *, start: int = 0) -> MediaPage:
    moment = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    return MediaPage(
        records=[
            {"hashed_id": f"p{page}m{start + n}", "created": moment, "updated": moment}
            for n in range(count)
        ]
    )


def pages_of(sizes: list[int]) -> Callable[[int], MediaPage]:
    """A listing whose page ``n`` holds ``sizes[n - 1]`` media (empty past the end)."""

    def fetch(page: int) -> MediaPage:
        return media(page, sizes[page - 1]) if page <= len(sizes) else MediaPage()

    return fetch


# -- the driver ------------------------------------------------------------------------------


def test_pages_come_in_order_though_fetched_out_of_order() -> None:
    rng = random.Random(3)
    fetch = pages_of([100] * 12 + [40])

    def jittery(page: int) -> MediaPage:
        time.sleep(rng.random() * 0.02)
        return fetch(page)

    got = [
        page.records[0]["hashed_id"]
        for page in crawl_pages(jittery, per_page=100, expected_pages=13)
    ]
    assert got == [f"p{n}m0" for n in range(1, 14)]


def test_several_pages_are_in_flight_at_once() -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()
    fetch = pages_of([100] * 20 + [1])

    def counting(page: int) -> MediaPage:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        return fetch(page)

    assert sum(len(p) for p in crawl_pages(counting, per_page=100, expected_pages=21)) == 2001
    assert most > 2


def test_a_catalog_of_unknown_size_soon_has_as_many_pages_in_flight_as_a_known_one() -> None:
    """A first crawl knows no size: it still keeps every worker busy once pages come back full
    (each fetch holds on until all are in flight, or gives up waiting after a while)."""
    in_flight, most = 0, 0
    lock = threading.Lock()
    all_busy = threading.Event()
    fetch = pages_of([100] * 40 + [1])

    def counting(page: int) -> MediaPage:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
            if in_flight == MAX_IN_FLIGHT:
                all_busy.set()
        all_busy.wait(0.2)
        with lock:
            in_flight -= 1
        return fetch(page)

    assert sum(len(p) for p in crawl_pages(counting, per_page=100)) == 4001
    assert most == MAX_IN_FLIGHT


def test_known_catalog_wastes_no_request_and_an_unknown_one_at_most_a_few() -> None:
    sizes = [100] * 30 + [7]
    known = CrawlReport()
    list(crawl_pages(pages_of(sizes), per_page=100, expected_pages=31, report=known))
    assert (known.requested, known.pages, known.ended) == (31, 31, "short page")

    unknown = CrawlReport()
    list(crawl_pages(pages_of(sizes), per_page=100, report=unknown))
    assert unknown.pages == 31
    assert 31 <= unknown.requested <= 31 + MAX_SPECULATIVE - 1


def test_a_failing_page_past_the_end_does_not_fail_the_pass() -> None:
    fetch = pages_of([100, 100, 3])

    def failing_past_the_end(page: int) -> MediaPage:
        if page > 3:
            raise RuntimeError("speculative request failed")
        return fetch(page)

    assert sum(len(p) for p in crawl_pages(failing_past_the_end, per_page=100)) == 203


def test_a_failing_page_inside_the_listing_fails_the_pass() -> None:
    def failing(page: int) -> MediaPage:
        if page == 2:
            raise RuntimeError("page 2 failed")
        return media(page)

    with pytest.raises(RuntimeError, match="page 2 failed"):
        list(crawl_pages(failing, per_page=100, expected_pages=5))


def test_stopping_early_cancels_what_was_not_sent() -> None:
    report = CrawlReport()
    calls: list[int] = []

    def fetch(page: int) -> MediaPage:
        calls.append(page)
        time.sleep(0.005)
        return media(page)

    pages = crawl_pages(fetch, per_page=100, expected_pages=500, report=report, max_in_flight=2)
    for _ in pages:
        break
    pages.close()
    assert report.ended == "stopped by the caller"
    assert report.requested == len(calls) < 10


def test_the_page_cap_ends_an_endless_listing() -> None:
    report = CrawlReport()
    pages = list(crawl_pages(media, per_page=100, max_pages=7, report=report))
    assert (len(pages), report.ended, report.complete) == (7, "page cap", False)
    assert page_cap(0) == PAGE_CAP_MINIMUM and page_cap(10_000) == 30_000


def test_fetch_in_order_keeps_the_order_and_runs_concurrently() -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def square(n: int) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return n * n

    assert list(fetch_in_order(square, range(16))) == [(n, n * n) for n in range(16)]
    assert most > 1


# -- a sync against servers that never end a listing ----------------------------------------


def serve(fake: FakeWistia, listing: Callable[[int], list[dict[str, Any]]]) -> WistiaClient:
    """A client of ``fake`` whose active listing's page ``n`` is ``listing(n)``; it fails after
    ``REQUEST_LIMIT`` list requests (the crawl never ended)."""
    lists = 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal lists
        page = request.url.params.get("page")
        if page is None or request.url.params.get("archived") != "false":
            return fake.handle(request)
        with lock:
            lists += 1
            if lists > REQUEST_LIMIT:
                return httpx.Response(400, json={"error": "the crawl never ended"})
        return httpx.Response(200, json=listing(int(page)))

    return WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: None,
    )


def by_created(fake: FakeWistia, start: int, stop: int) -> list[dict[str, Any]]:
    ordered = sorted(fake.media(), key=lambda m: (m["created"], m["id"]))
    return ordered[max(0, start) : stop]


def normal(fake: FakeWistia) -> Callable[[int], list[dict[str, Any]]]:
    return lambda page: by_created(fake, (page - 1) * 100, page * 100)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


def full_sync(db: Database, client: WistiaClient) -> SyncSummary:
    with client:
        return sync_account(db, client, SyncOptions(full=True, stats_budget=0))


def active_catalog(count: int) -> FakeWistia:
    items, stats = generate_catalog(count, seed=11)
    for item in items:
        item["archived"] = False
    return FakeWistia(items, stats, token=TOKEN)


def test_a_server_that_clamps_past_the_end_pages_ends_the_crawl(db: Database) -> None:
    fake = active_catalog(300)  # exactly 3 full pages: never a short one
    clamped = normal(fake)
    summary = full_sync(db, serve(fake, lambda page: clamped(min(page, 3))))
    assert summary.new == 300
    assert db.execute("SELECT count(*) FROM videos").fetchone()[0] == 300
    assert len(summary.crawl_notes) == 1
    assert "listing active media: page 4 repeated media already listed" in summary.crawl_notes[0]
    assert summary.requests <= 4 + MAX_SPECULATIVE + 1  # + 1 for the archived pass


def test_a_server_that_ignores_page_ends_the_crawl(db: Database) -> None:
    fake = active_catalog(250)
    summary = full_sync(db, serve(fake, lambda page: by_created(fake, 0, 100)))
    assert summary.new == 100  # all it ever lists
    assert summary.requests <= 2 + MAX_SPECULATIVE
    assert any("page 2 repeated media already listed" in w for w in summary.crawl_notes)


def test_media_repeated_across_pages_are_stored_and_counted_once(db: Database) -> None:
    """Page 2 starts 30 media back (the listing shifted): each media is one new video."""
    fake = active_catalog(230)

    def shifted(page: int) -> list[dict[str, Any]]:
        start = (page - 1) * 100 - (30 if page > 1 else 0)
        return by_created(fake, start, start + 100)

    def parsed(page: int) -> MediaPage:
        return MediaPage(records=shifted(page))

    report = CrawlReport()
    pages = crawl_pages(parsed, per_page=100, report=report)
    seen = [record["hashed_id"] for page in pages for record in page.records]
    assert len(seen) == len(set(seen)) == 230 and report.duplicates == 30

    summary = full_sync(db, serve(fake, shifted))
    assert (summary.new, summary.updated, summary.unchanged, summary.crawl_notes) == (230, 0, 0, [])
    assert db.execute("SELECT count(*) FROM videos").fetchone()[0] == 230


def test_a_second_full_crawl_sends_exactly_the_pages_it_needs(db: Database) -> None:
    fake = active_catalog(1_050)
    full_sync(db, serve(fake, normal(fake)))
    again = full_sync(db, serve(fake, normal(fake)))
    assert again.requests == 11 + 1  # 11 active pages, 1 (empty) archived page
