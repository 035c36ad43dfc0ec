"""A first full crawl reads ahead as far as the account's ``media_count`` says, and stays exact
whatever that count is: too small, too large, hostile, or outdated by media added mid-crawl."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.demo.api import RequestRecord
from wistia_sync.store.db import open_database
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import ClientSettings, WistiaClient
from wistia_sync.wistia.crawl import MAX_IN_FLIGHT, MAX_SPECULATIVE

TOKEN = "fake-token"
Wrap = Callable[[httpx.Request], httpx.Response | None]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


def catalog(count: int, *, archived_every: int = 0) -> FakeWistia:
    """``count`` media, every ``archived_every``-th archived (none when 0)."""
    media, stats = generate_catalog(count, seed=11)
    for n, item in enumerate(media):
        item["archived"] = archived_every > 0 and n % archived_every == 0
    return FakeWistia(media, stats, token=TOKEN)


def sync(
    db: Database, fake: FakeWistia, *, wrap: Wrap | None = None, ask: bool = True
) -> SyncSummary:
    def handler(request: httpx.Request) -> httpx.Response:
        if wrap is not None and (response := wrap(request)) is not None:
            return response
        return fake.handle(request)

    client = WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: None,
    )
    with client:
        options = SyncOptions(full=True, stats_budget=0, ask_media_count=ask)
        return sync_account(db, client, options)


def announcing(body: Any) -> Wrap:
    """Answer ``GET /account`` with ``body``, as a hostile server may."""

    def wrap(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/account"):
            return httpx.Response(200, json=body)
        return None

    return wrap


def mirror(db: Database) -> dict[str, tuple[object, ...]]:
    rows = db.execute(
        "SELECT hashed_id, name, archived FROM videos WHERE deleted_at IS NULL"
    ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def expected_mirror(fake: FakeWistia) -> dict[str, tuple[object, ...]]:
    return {m["hashed_id"]: (m["name"], int(m["archived"])) for m in fake.media()}


def pages_asked(fake: FakeWistia, archived: str) -> list[int]:
    return [
        int(r.param("page") or 0)
        for r in fake.request_log
        if r.path.endswith("/medias") and r.param("archived") == archived
    ]


def account_requests(fake: FakeWistia) -> list[RequestRecord]:
    return [r for r in fake.request_log if r.path.endswith("/account")]


def test_the_fake_counts_every_media_archived_included() -> None:
    fake = catalog(30, archived_every=3)
    request = httpx.Request(
        "GET",
        "https://api.wistia.com/modern/account",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    answer = fake.handle(request)
    assert answer.status_code == 200
    assert answer.json()["media_count"] == 30


def test_a_first_crawl_asks_once_and_reads_no_page_past_an_exact_count(db: Database) -> None:
    fake = catalog(250)  # 3 active pages (the last short), an empty archive
    summary = sync(db, fake)
    assert mirror(db) == expected_mirror(fake)
    assert len(account_requests(fake)) == 1
    assert sorted(pages_asked(fake, "false")) == [1, 2, 3]
    assert pages_asked(fake, "true") == [1]
    assert summary.requests == 1 + 3 + 1


def test_a_later_full_crawl_does_not_ask(db: Database) -> None:
    fake = catalog(250)
    sync(db, fake)
    fake.request_log.clear()
    sync(db, fake)
    assert account_requests(fake) == []


def test_without_the_option_the_crawl_asks_nothing_but_the_listing(db: Database) -> None:
    fake = catalog(250)
    sync(db, fake, ask=False)
    assert account_requests(fake) == []
    assert mirror(db) == expected_mirror(fake)


def test_the_announced_pages_are_asked_for_at_once(db: Database) -> None:
    """Page 3 is asked for while page 1 is still unanswered: the count, not page 1 coming
    back full, let the crawl read ahead. (Without a count, page 1 is asked for alone.)"""
    fake = catalog(250)
    third_asked = threading.Event()
    first_waited: list[bool] = []

    def wrap(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/medias") and request.url.params.get("archived") == "false":
            page = request.url.params.get("page")
            if page == "3":
                third_asked.set()
            elif page == "1":
                first_waited.append(third_asked.wait(timeout=10))
        return None

    sync(db, fake, wrap=wrap)
    assert first_waited == [True]
    assert mirror(db) == expected_mirror(fake)


@pytest.mark.parametrize(
    "body",
    [
        {"media_count": 0},
        {"media_count": 1},
        {"media_count": 120},  # fewer than the active media
        {"media_count": 1_500},  # many pages more than exist
        {"media_count": 10**30},
        {"media_count": -250},
        {"media_count": 250.0},
        {"media_count": "250"},
        {"media_count": True},
        {"media_count": None},
        {},
        [250],
        "250",
    ],
    ids=repr,
)
def test_any_count_still_stores_exactly_the_catalog(db: Database, body: Any) -> None:
    fake = catalog(250, archived_every=20)  # 238 active (3 pages), 13 archived (1 page)
    summary = sync(db, fake, wrap=announcing(body))
    assert mirror(db) == expected_mirror(fake)
    assert summary.crawl_notes == []  # both passes complete: no page cap, no repeated page
    for archived, end in (("false", 3), ("true", 1)):
        asked = sorted(pages_asked(fake, archived))
        assert asked == list(range(1, len(asked) + 1))  # none skipped, none asked twice
        assert end <= len(asked) <= end + MAX_IN_FLIGHT - 1  # what a count too large wastes


def test_media_added_during_the_crawl_past_the_count_are_all_stored(db: Database) -> None:
    """The uploads land while page 2 is being answered, before any later page is: pages 3 on
    are read ahead concurrently, and one answered before the uploads would rightly end the
    listing there (the next run's incremental crawl finds them), which is not this case."""
    fake = catalog(250)  # the count says 3 pages
    added: list[str] = []
    uploaded = threading.Event()

    def wrap(request: httpx.Request) -> httpx.Response | None:
        params = request.url.params
        if params.get("archived") != "false":
            return None
        page = int(params.get("page") or 1)
        if page == 2 and not added:
            for n in range(300):  # uploaded after every other: listed from page 3 to page 6
                added.append(f"late{n:06d}")
                fake.add({"hashed_id": added[-1], "name": f"Late upload {n}"})
            uploaded.set()
        elif page > 2:
            assert uploaded.wait(timeout=30)
        return None

    summary = sync(db, fake, wrap=wrap)
    assert len(fake.media()) == 550
    assert mirror(db) == expected_mirror(fake)
    assert set(added) <= set(mirror(db))
    assert summary.new == 550
    asked = sorted(pages_asked(fake, "false"))
    assert asked == list(range(1, len(asked) + 1)) and len(asked) >= 6


def test_a_count_holding_a_small_archive_wastes_no_more_than_a_speculative_read(
    db: Database,
) -> None:
    """The archive (8 %) counted in the account's count puts the active pass's end 4 pages
    before the announced one: over the count's last tenth the crawl reads ahead no further
    than a speculative read would past the end, so at most MAX_SPECULATIVE - 1 pages are
    asked for in vain, as without a count."""
    fake = catalog(5_000, archived_every=12)  # 4,583 active: page 46 the short one; 50 announced
    sync(db, fake)
    assert mirror(db) == expected_mirror(fake)
    asked = sorted(pages_asked(fake, "false"))
    assert asked == list(range(1, len(asked) + 1))
    assert 46 <= len(asked) <= 46 + MAX_SPECULATIVE - 1
