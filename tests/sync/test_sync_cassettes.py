"""The sync against recorded Wistia interactions (cassettes written from the API reference)."""

from __future__ import annotations

from pathlib import Path

import pytest
import vcr
from sqlite_utils import Database

from wistia_sync.errors import TokenRejected
from wistia_sync.store.db import open_database
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient

CASSETTES = Path(__file__).parent.parent / "cassettes"
TOKEN = "cassette-secret-token"

replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization"],
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> WistiaClient:
    return WistiaClient(ClientSettings(token=TOKEN), clock=fake_time.clock, sleep=fake_time.sleep)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


def test_full_crawl_stores_every_page_of_both_passes(db: Database, client: WistiaClient) -> None:
    with replay.use_cassette("full_crawl.yaml") as cassette:
        summary = sync_account(db, client, SyncOptions(stats_budget=3))
    assert cassette.all_played
    assert summary.mode == "full"
    assert (summary.new, summary.deleted) == (122, 0)
    # 2 active pages + page 3, asked for while the short page 2 was on its way (a first crawl
    # knows no catalog size, so it fetches ahead) + 1 archived page + 3 stats.
    assert summary.requests == 7
    assert db.execute("SELECT count(*) FROM videos WHERE archived = 1").fetchone()[0] == 2
    row = db.execute(
        "SELECT name, folder_hashed_id, created, plays, visibility FROM videos "
        "WHERE hashed_id = 'm000000003'"
    ).fetchone()
    assert row == ("Recorded media 3", "9a8b7c6d5e", "2026-01-04T03:00:00Z", 3, "public")
    tags = db.execute(
        "SELECT t.name FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
        "WHERE vt.hashed_id = 'm000000003' AND vt.source = 'wistia' ORDER BY t.name"
    ).fetchall()
    assert tags == [("2026",), ("onboarding",)]
    assert db.execute("SELECT count(*) FROM folders").fetchone()[0] == 2


def test_rejected_token_is_one_clear_error(db: Database, client: WistiaClient) -> None:
    with replay.use_cassette("unauthorized.yaml"), pytest.raises(TokenRejected) as raised:
        sync_account(db, client)
    assert str(raised.value) == (
        "Wistia rejected the API token (unauthorized_credentials, Invalid credentials.); "
        "check WISTIA_API_TOKEN"
    )
    run = db.execute("SELECT outcome, error FROM sync_runs").fetchone()
    assert run[0] == "failed"
    assert TOKEN not in run[1]


def test_retry_after_is_honoured_then_the_request_succeeds(
    db: Database, client: WistiaClient, fake_time: FakeTime
) -> None:
    with replay.use_cassette("rate_limited.yaml") as cassette:
        summary = sync_account(db, client, SyncOptions(stats_budget=0))
    assert cassette.all_played
    assert summary.new == 3
    assert summary.requests == 3
    assert sum(fake_time.sleeps) == pytest.approx(7.0)


def test_media_missing_from_full_crawl_is_deleted_only_after_a_404(
    db: Database, client: WistiaClient
) -> None:
    with replay.use_cassette("deleted_media.yaml") as cassette:
        sync_account(db, client, SyncOptions(stats_budget=0))
        summary = sync_account(db, client, SyncOptions(full=True, stats_budget=0))
    assert cassette.all_played
    assert summary.deleted == 1
    deleted = db.execute("SELECT hashed_id FROM videos WHERE deleted_at IS NOT NULL").fetchall()
    assert deleted == [("m000000005",)]


def test_stats_400_is_recorded_not_fatal(db: Database, client: WistiaClient) -> None:
    with replay.use_cassette("stats_bad_request.yaml") as cassette:
        summary = sync_account(db, client)
    assert cassette.all_played
    assert summary.stats_fetched == 1
    rows = {
        h: (plays, error is not None)
        for h, plays, error in db.execute(
            "SELECT hashed_id, plays, stats_error FROM videos ORDER BY hashed_id"
        ).fetchall()
    }
    assert rows == {
        "m000000001": (1, False),
        "m000000002": (None, True),
        "m000000003": (None, False),
    }


def test_cassettes_hold_no_authorization_header() -> None:
    for cassette in CASSETTES.glob("*.yaml"):
        text = cassette.read_text()
        assert "authorization" not in text.lower()
        assert TOKEN not in text
