"""Pages already fetched are stored several to a transaction; each stays atomic, none waits on
the network inside a transaction, and a failure keeps the pages stored before it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from wistia_sync.store.db import open_database
from wistia_sync.store.state import get_state, set_state
from wistia_sync.sync.grouped import MAX_PAGES_A_TRANSACTION, store_grouped
from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.crawl import CrawlReport, crawl_pages


def commits_of(db: Database) -> list[str]:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    return statements


def numbered_pages(count: int) -> Iterator[MediaPage]:
    return iter([MediaPage([{"page": n}]) for n in range(count)])


def store_page(
    db: Database, stored: list[int], fail_at: int | None = None
) -> Callable[[MediaPage], bool]:
    def store(page: MediaPage) -> bool:
        number = int(page.records[0]["page"])
        set_state(db, f"page {number}", "stored")
        if number == fail_at:
            raise RuntimeError("storing failed")
        stored.append(number)
        return True

    return store


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "wistia.db", create=True)
    yield database
    database.conn.close()


def test_pages_already_fetched_share_a_transaction(db: Database) -> None:
    statements = commits_of(db)
    stored: list[int] = []
    pages = MAX_PAGES_A_TRANSACTION + 2
    store_grouped(db, numbered_pages(pages), lambda: True, store_page(db, stored))
    assert stored == list(range(pages))
    assert statements.count("COMMIT") == 2


def test_a_page_not_fetched_yet_is_not_waited_for_in_a_transaction(db: Database) -> None:
    statements = commits_of(db)
    stored: list[int] = []
    store_grouped(db, numbered_pages(3), lambda: False, store_page(db, stored))
    assert stored == [0, 1, 2]
    assert statements.count("COMMIT") == 3


def test_a_failing_page_keeps_the_pages_before_it_and_none_of_its_own(
    db: Database, tmp_path: Path
) -> None:
    stored: list[int] = []
    with pytest.raises(RuntimeError, match="storing failed"):
        store_grouped(db, numbered_pages(5), lambda: True, store_page(db, stored, fail_at=2))
    assert not db.conn.in_transaction
    other = sqlite3.connect(tmp_path / "wistia.db")
    keys = {row[0] for row in other.execute("SELECT key FROM sync_state WHERE key LIKE 'page %'")}
    other.close()
    assert keys == {"page 0", "page 1"}


def test_storing_stops_when_asked(db: Database) -> None:
    stored: list[int] = []

    def store(page: MediaPage) -> bool:
        stored.append(int(page.records[0]["page"]))
        return len(stored) < 3

    store_grouped(db, numbered_pages(6), lambda: True, store)
    assert stored == [0, 1, 2]
    assert get_state(db, "page 0") is None


def test_the_crawl_says_when_the_next_page_is_in() -> None:
    released = threading.Event()

    def fetch(page: int) -> MediaPage:
        if page == 2:
            released.wait()
        return MediaPage([{"hashed_id": f"p{page}m{n}"} for n in range(2 if page < 3 else 1)])

    report = CrawlReport()
    pages = crawl_pages(fetch, per_page=2, expected_pages=3, report=report)
    next(pages)
    assert not report.next_page_ready()  # page 2 is still being fetched
    released.set()
    while not report.next_page_ready():
        released.wait(0.01)
    next(pages)
    next(pages)  # the short last page
    assert not report.next_page_ready()
    pages.close()
    assert not report.next_page_ready()
