"""A crawl's list pages stored several to a write transaction (``sync.page_batch``): when a
batch commits, and what a kill, an error or an editor's write in the middle of one costs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from tests.support.fakewistia.server import FakeWistiaServer, FaultPlan
from tests.sync.test_sync import TOKEN, client_for, expected_mirror, mirror, sync
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.errors import WistiaUnavailable
from wistia_sync.store.db import open_database
from wistia_sync.sync import page_batch, pages
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.page_batch import PageBatch
from wistia_sync.sync.summary import SyncOptions

ROOT = Path(__file__).resolve().parents[2]
CATALOG = 3_000  # 30 list pages of 100 (the archived media among them)
STALLED_PAGE = 24  # the active listing's page the server holds: 17 to 23 wait in an open batch


# -- when a batch commits -----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_database(tmp_path / "wistia.db", create=True)
    database.execute("CREATE TABLE scratch (n INTEGER)")
    return database


def committed(db: Database) -> list[int]:
    """What another connection sees of ``scratch``: only committed rows."""
    with sqlite3.connect(Path(db.execute("PRAGMA database_list").fetchone()[2])) as other:
        return [row[0] for row in other.execute("SELECT n FROM scratch ORDER BY n")]


def store(batch: PageBatch, db: Database, n: int) -> None:
    with batch.page():
        db.execute("INSERT INTO scratch (n) VALUES (?)", [n])


def test_a_batch_commits_at_its_page_count_at_its_age_and_at_the_end(db: Database) -> None:
    clock = Clock()
    with PageBatch(db, max_pages=3, max_seconds=10, clock=clock) as batch:
        store(batch, db, 1)
        store(batch, db, 2)
        assert committed(db) == [] and batch.pages == 2
        store(batch, db, 3)
        assert committed(db) == [1, 2, 3] and batch.pages == 0
        store(batch, db, 4)
        clock.now += 10  # the batch has been open its time: the next page commits it
        store(batch, db, 5)
        assert committed(db) == [1, 2, 3, 4, 5]
        store(batch, db, 6)
        assert committed(db) == [1, 2, 3, 4, 5]
    assert committed(db) == [1, 2, 3, 4, 5, 6]  # the end commits the rest
    assert batch.commits == 3 and not db.conn.in_transaction


def test_an_error_storing_a_page_rolls_back_the_whole_open_batch(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), PageBatch(db, max_pages=3, max_seconds=10) as batch:
        for n in range(1, 6):
            with batch.page():
                db.execute("INSERT INTO scratch (n) VALUES (?)", [n])
                if n == 5:
                    raise ZeroDivisionError
    assert committed(db) == [1, 2, 3]  # 4 and 5 were one batch
    assert not db.conn.in_transaction


def test_an_error_between_pages_commits_the_pages_stored(db: Database) -> None:
    with pytest.raises(WistiaUnavailable), PageBatch(db, max_pages=3, max_seconds=10) as batch:
        store(batch, db, 1)
        store(batch, db, 2)
        raise WistiaUnavailable("the next page failed")
    assert committed(db) == [1, 2] and not db.conn.in_transaction


def test_a_batch_is_never_held_while_a_page_is_late_past_its_time(db: Database) -> None:
    clock = Clock()
    batch = PageBatch(db, max_pages=16, max_seconds=0.05, clock=clock)
    store(batch, db, 1)
    arrived: Future[int] = Future()
    arrived.set_result(2)
    batch.before_waiting(arrived)  # delivered within the batch's time: kept open
    assert committed(db) == [] and batch.pages == 1
    late: Future[int] = Future()
    timer = threading.Timer(2.0, late.set_result, [3])
    timer.start()
    try:
        batch.before_waiting(late)  # waits the batch's time left (0.05 s), then commits
        assert committed(db) == [1] and not db.conn.in_transaction
        assert not late.done()  # (committed while the page was still on its way)
        store(batch, db, 2)
        clock.now += 1  # past its time: commits at once, without waiting
        batch.before_waiting(late)
        assert committed(db) == [1, 2]
    finally:
        timer.cancel()


# -- a crawl ------------------------------------------------------------------------------------


def active_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM videos WHERE archived = 0").fetchone()[0])


@pytest.fixture
def big_fake() -> FakeWistia:
    return FakeWistia(*generate_catalog(CATALOG, seed=11), token=TOKEN)


def test_a_page_that_fails_mid_batch_keeps_the_pages_before_it_and_the_next_run_converges(
    tmp_path: Path, big_fake: FakeWistia
) -> None:
    for fault in (
        httpx.Response(503, json={"error": "down"}),
        httpx.Response(200, content=b"<html>garbage</html>"),
    ):
        path = tmp_path / f"{fault.status_code}.db"
        db = open_database(path, create=True)

        def failing(request: httpx.Request, fault: httpx.Response = fault) -> httpx.Response | None:
            listing = request.url.path.endswith("/medias") and "page" in request.url.params
            if listing and request.url.params["page"] == "5":
                return fault
            return None

        with client_for(big_fake, failing) as client, pytest.raises(WistiaUnavailable):
            sync_account(db, client, SyncOptions(full=True, stats_budget=0, captions_budget=0))
        assert not db.conn.in_transaction
        assert active_rows(path) == 400  # pages 1 to 4, committed; nothing deleted, no watermark
        sync(db, big_fake, full=True, stats_budget=0, captions_budget=0)
        assert mirror(db) == expected_mirror(big_fake)


def test_an_error_storing_a_page_loses_only_its_batch_and_the_next_run_converges(
    tmp_path: Path, big_fake: FakeWistia, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wistia.db"
    db = open_database(path, create=True)
    real = pages._quarantine
    stored = 0

    def failing_on_the_20th(*args: Any, **kwargs: Any) -> None:
        nonlocal stored
        stored += 1
        if stored == 20:
            raise sqlite3.OperationalError("disk I/O error")
        real(*args, **kwargs)

    monkeypatch.setattr(page_batch, "MAX_SECONDS", 60.0)
    monkeypatch.setattr(pages, "_quarantine", failing_on_the_20th)
    with pytest.raises(sqlite3.OperationalError):
        sync(db, big_fake, full=True, stats_budget=0, captions_budget=0)
    assert not db.conn.in_transaction
    assert active_rows(path) == 1_600  # pages 17 to 20 were one batch, rolled back together
    monkeypatch.setattr(pages, "_quarantine", real)
    sync(db, big_fake, full=True, stats_budget=0, captions_budget=0)
    assert mirror(db) == expected_mirror(big_fake)


# -- a crawl in a process of its own ------------------------------------------------------------

# The CLI, with batches committed by their page count only (not by their age), so the moment a
# batch is open is known: from page 17 stored until the stalled page arrives.
CRAWL = """
import sys
from wistia_sync.sync import page_batch
page_batch.MAX_SECONDS = float(sys.argv[1])
sys.argv = ["wistia-sync", *sys.argv[2:]]
from wistia_sync.cli.entry import script
script()
"""


class StalledPage:
    """Holds the server's answer to one listing page until ``release``."""

    def __init__(self, page: int) -> None:
        self.page = str(page)
        self.reached = threading.Event()
        self.released = threading.Event()

    def __call__(self, n: int, request: httpx.Request, api: FakeWistia) -> None:
        params = request.url.params
        listed = params.get("page") == self.page and params.get("archived") == "false"
        if listed and not self.reached.is_set():
            self.reached.set()
            self.released.wait(timeout=120)

    def release(self) -> None:
        self.released.set()


def crawl(server: FakeWistiaServer, path: Path, *, max_seconds: float) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WISTIA")},
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_API_URL": server.url,
        "WISTIA_SYNC_DB": str(path),
        "WISTIA_SYNC_OUTPUT": str(path.parent / "output"),
    }
    command = ["sync", "--full", "--stats-budget", "0", "--captions-budget", "0", "--quiet"]
    return subprocess.Popen(
        [sys.executable, "-c", CRAWL, str(max_seconds), *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def committed_rows(path: Path) -> int:
    try:
        return active_rows(path)
    except sqlite3.OperationalError:  # not created yet, or its schema not there yet
        return 0


def content(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a crawl stored, without the moments it stored it."""
    queries = {
        "videos": "SELECT hashed_id, id, name, description, type, status, archived, duration, "
        "created, updated, thumbnail_url, folder_hashed_id, width, height, protected, "
        "visibility, deleted_at FROM videos ORDER BY hashed_id",
        "folders": "SELECT * FROM folders ORDER BY hashed_id",
        "tags": "SELECT name, key, slug FROM tags ORDER BY key",
        "video_tags": "SELECT v.hashed_id, t.key, v.source FROM video_tags v "
        "JOIN tags t ON t.id = v.tag_id ORDER BY 1, 2, 3",
        "rejected": "SELECT key, reason FROM rejected_media ORDER BY key",
    }
    with sqlite3.connect(path) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}


def test_a_crawl_killed_in_the_middle_of_a_batch_loses_only_that_batch_and_converges(
    tmp_path: Path, big_fake: FakeWistia
) -> None:
    stall = StalledPage(STALLED_PAGE)
    killed = tmp_path / "killed" / "wistia.db"
    uninterrupted = tmp_path / "uninterrupted" / "wistia.db"
    for path in (killed, uninterrupted):
        path.parent.mkdir()
    with FakeWistiaServer(big_fake, faults=FaultPlan(on_request=stall)) as server:
        process = crawl(server, killed, max_seconds=60)
        try:
            assert stall.reached.wait(timeout=60)
            wait_for(lambda: committed_rows(killed) >= 1_600, "the first batch's commit")
            time.sleep(1.0)  # pages 17 to 23 are stored meanwhile, in the open batch
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=30)
            stall.release()
        with sqlite3.connect(killed) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert committed_rows(killed) == 1_600  # the first batch kept, the open one lost
        for path in (killed, uninterrupted):
            again = crawl(server, path, max_seconds=page_batch.MAX_SECONDS)
            _, error = again.communicate(timeout=120)
            assert again.returncode == 0, error
    assert content(killed) == content(uninterrupted)
    assert mirror(open_database(killed)) == expected_mirror(big_fake)


def test_an_editor_tag_add_during_a_crawl_lands_and_never_waits_for_the_network(
    tmp_path: Path, big_fake: FakeWistia
) -> None:
    stall = StalledPage(STALLED_PAGE)
    path = tmp_path / "wistia.db"
    first = big_fake.media()[0]["hashed_id"]  # listed on the first page
    with FakeWistiaServer(big_fake, faults=FaultPlan(on_request=stall)) as server:
        process = crawl(server, path, max_seconds=page_batch.MAX_SECONDS)
        try:
            assert stall.reached.wait(timeout=60)
            wait_for(lambda: committed_rows(path) >= 100, "the first page's commit")
            # The crawl waits for the stalled page, for as long as the editor's command runs:
            # a batch held over that wait would keep the editor out for its whole busy timeout.
            editor = subprocess.run(
                [
                    *(sys.executable, "-m", "wistia_sync", "tag", "add", first, "Mid Crawl"),
                    *("--db", str(path), "--no-publish"),
                ],
                env={**os.environ, "WISTIA_SYNC_BUSY_TIMEOUT": "5"},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            stall.release()
        _, error = process.communicate(timeout=120)
    assert editor.returncode == 0, editor.stderr
    assert process.returncode == 0, error
    db = open_database(path)
    assert db.execute(
        "SELECT v.source FROM video_tags v JOIN tags t ON t.id = v.tag_id "
        "WHERE v.hashed_id = ? AND t.name = 'Mid Crawl'",
        [first],
    ).fetchall() == [("editor",)]
    assert mirror(db) == expected_mirror(big_fake)
