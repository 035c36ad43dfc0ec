"""Behaviour of a sync against a fake Wistia account served in-process."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from wistia_sync.catalog.tags import ensure_tag
from wistia_sync.demo import FakeWistia, demo_catalog, generate_catalog
from wistia_sync.errors import DatabaseError, SyncAborted, WistiaUnavailable
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.migrations import migrations
from wistia_sync.store.state import content_version, get_state
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.media import refresh_media
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient

TOKEN = "fake-token"


def client_for(
    fake: FakeWistia,
    wrap: Callable[[httpx.Request], httpx.Response | None] | None = None,
) -> WistiaClient:
    """A client talking to ``fake``; ``wrap`` may answer a request first (to inject faults)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if wrap is not None and (response := wrap(request)) is not None:
            return response
        return fake.handle(request)

    return WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: None,
    )


def sync(db: Database, fake: FakeWistia, **options: object) -> object:
    with client_for(fake) as client:
        return sync_account(db, client, SyncOptions(**options))  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.fixture
def fake() -> FakeWistia:
    return FakeWistia(*generate_catalog(250, seed=7), token=TOKEN)


def listing_requests(fake: FakeWistia) -> list[dict[str, str]]:
    return [dict(r.params) for r in fake.request_log if r.path.endswith("/medias") and r.params]


def mirror(db: Database) -> dict[str, tuple[object, ...]]:
    rows = db.execute(
        "SELECT hashed_id, name, status, archived, updated FROM videos WHERE deleted_at IS NULL"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def expected_mirror(fake: FakeWistia) -> dict[str, tuple[object, ...]]:
    return {
        m["hashed_id"]: (
            m["name"],
            m["status"],
            int(m["archived"]),
            m["updated"].replace("+00:00", "Z"),
        )
        for m in fake.media()
    }


def test_full_crawl_mirrors_the_account_exactly(db: Database, fake: FakeWistia) -> None:
    summary = sync(db, fake, stats_budget=0)
    assert mirror(db) == expected_mirror(fake)
    requests = listing_requests(fake)
    assert all(r["sort_by"] == "created" and r["sort_direction"] == "1" for r in requests)
    assert {r["archived"] for r in requests} == {"true", "false"}
    assert summary.mode == "full"  # type: ignore[attr-defined]


def test_demo_catalog_syncs_folders_tags_and_plays(db: Database) -> None:
    sync(db, FakeWistia(*demo_catalog()))
    counts = db.execute(
        "SELECT count(*), sum(archived), sum(status != 'ready'), sum(type != 'Video'), "
        "count(DISTINCT folder_hashed_id), sum(plays IS NOT NULL) FROM videos"
    ).fetchone()
    total, archived, not_ready, not_video, folders, with_plays = counts
    assert total >= 40 and archived >= 1 and not_ready >= 1 and not_video >= 1
    assert folders >= 4 and with_plays >= 30


def test_run_without_changes_costs_two_list_requests_plus_processing_rechecks(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    processing = db.execute(
        "SELECT count(*) FROM videos WHERE status != 'ready' AND archived = 0"
    ).fetchone()[0]
    assert 0 < processing <= 100
    fake.request_log.clear()
    summary = sync(db, fake, stats_budget=0)
    assert summary.mode == "incremental"  # type: ignore[attr-defined]
    assert len(fake.request_log) == 2 + 1
    assert summary.changed is False  # type: ignore[attr-defined]


def test_incremental_run_stops_at_the_watermark_and_picks_up_changes(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    target = fake.media()[10]["hashed_id"]
    fake.update(target, name="Renamed in Wistia")
    fake.request_log.clear()
    summary = sync(db, fake, stats_budget=0)
    requests = listing_requests(fake)
    by_updated = [r for r in requests if r.get("sort_by") == "updated"]
    assert [(r["archived"], r["page"]) for r in by_updated] == [("false", "1"), ("true", "1")]
    assert all(r["sort_direction"] == "0" for r in by_updated)
    assert summary.updated == 1  # type: ignore[attr-defined]
    assert db.execute("SELECT name FROM videos WHERE hashed_id = ?", [target]).fetchone()[0] == (
        "Renamed in Wistia"
    )


def test_incremental_walks_more_pages_when_many_changed(db: Database, fake: FakeWistia) -> None:
    sync(db, fake, stats_budget=0)
    active = [m["hashed_id"] for m in fake.media() if not m["archived"]]
    for hashed_id in active[:150]:
        fake.update(hashed_id, description="edited")
    sync(db, fake, stats_budget=0)
    assert mirror(db) == expected_mirror(fake)


def test_a_full_crawl_writes_only_what_changed_and_still_marks_every_media_seen(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    db.execute("UPDATE videos SET last_seen = '2000-01-01T00:00:00Z'")
    db.execute("DELETE FROM publish_changes")
    renamed, retagged = (m["hashed_id"] for m in fake.media()[3:5])
    fake.update(renamed, name="Renamed in Wistia")
    fake.update(retagged, tags=[{"name": "brand-new-tag"}])
    version = content_version(db)
    summary = sync(db, fake, stats_budget=0, full=True)
    assert (summary.updated, summary.new) == (2, 0)  # type: ignore[attr-defined]
    assert summary.unchanged == len(fake.media()) - 2  # type: ignore[attr-defined]
    changed = {row[0] for row in db.execute("SELECT key FROM publish_changes WHERE kind = 'video'")}
    assert changed == {renamed, retagged}
    assert content_version(db) > version
    never_seen = db.execute(
        "SELECT count(*) FROM videos WHERE last_seen = '2000-01-01T00:00:00Z'"
    ).fetchone()[0]
    assert never_seen == 0
    assert mirror(db) == expected_mirror(fake)


def test_page_stores_skip_the_disk_flush_but_the_final_commit_and_later_writes_keep_it(
    db: Database, fake: FakeWistia
) -> None:
    full = db.execute("PRAGMA synchronous").fetchone()[0]
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        sync(db, fake, stats_budget=0)
    finally:
        db.conn.set_trace_callback(None)
    lowered = statements.index("PRAGMA synchronous = NORMAL")
    restored = statements.index(f"PRAGMA synchronous = {full}")
    page_stores = [i for i, sql in enumerate(statements) if sql.startswith("INSERT INTO videos")]
    (run_closed,) = [
        i for i, sql in enumerate(statements) if sql.startswith("UPDATE sync_runs SET finished_at")
    ]
    assert page_stores and lowered < min(page_stores) and max(page_stores) < restored
    assert restored < run_closed  # the final transaction commits with the full flush
    assert db.execute("PRAGMA synchronous").fetchone()[0] == full == 2  # FULL again after


def test_processing_media_are_rechecked_by_id_even_without_an_updated_bump(
    db: Database,
) -> None:
    fake = FakeWistia(*generate_catalog(1000, seed=3))
    sync(db, fake, stats_budget=0)
    processing = min(
        (m for m in fake.media() if m["status"] == "processing"), key=lambda m: m["updated"]
    )
    # Wistia's `updated` is not promised to move when processing ends.
    fake.update(processing["hashed_id"], status="ready", updated=processing["updated"])
    fake.request_log.clear()
    sync(db, fake, stats_budget=0)
    assert len(fake.request_log) == 3  # the item is far behind the first page of changes
    by_id = [r for r in fake.request_log if ("hashed_ids[]", processing["hashed_id"]) in r.params]
    assert len(by_id) == 1
    status = db.execute(
        "SELECT status FROM videos WHERE hashed_id = ?", [processing["hashed_id"]]
    ).fetchone()[0]
    assert status == "ready"


def test_processing_media_deleted_in_wistia_is_confirmed_then_soft_deleted(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    processing = next(m for m in fake.media() if m["status"] == "processing")["hashed_id"]
    fake.delete(processing)
    summary = sync(db, fake, stats_budget=0)
    assert summary.deleted == 1  # type: ignore[attr-defined]
    assert any(r.path.endswith(f"/medias/{processing}") for r in fake.request_log)


def test_editor_owned_data_survives_a_sync(db: Database, fake: FakeWistia) -> None:
    sync(db, fake, stats_budget=0)
    target = fake.media()[0]["hashed_id"]
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [target])
        tag_id = ensure_tag(db, "Editor Pick")
        db.execute(
            "INSERT INTO video_tags VALUES (?, ?, 'editor', '2026-01-01T00:00:00Z')",
            [target, tag_id],
        )
    fake.update(target, name="New name", tags=["fresh-wistia-tag"])
    sync(db, fake, full=True, stats_budget=0)
    row = db.execute("SELECT name, visibility FROM videos WHERE hashed_id = ?", [target]).fetchone()
    assert row == ("New name", "hidden")
    tags = db.execute(
        "SELECT t.name, vt.source FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
        "WHERE vt.hashed_id = ? ORDER BY t.name",
        [target],
    ).fetchall()
    assert tags == [("Editor Pick", "editor"), ("fresh-wistia-tag", "wistia")]


def test_new_videos_get_the_configured_default_visibility(db: Database, fake: FakeWistia) -> None:
    sync(db, fake, stats_budget=0, default_visibility="hidden")
    assert db.execute("SELECT DISTINCT visibility FROM videos").fetchall() == [("hidden",)]


def test_mass_delete_guard_stops_before_any_confirmation_request(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    for media in fake.media()[:200]:
        fake.delete(media["hashed_id"])
    fake.request_log.clear()
    with pytest.raises(SyncAborted, match="--allow-mass-delete"):
        sync(db, fake, full=True, stats_budget=0)
    assert not [r for r in fake.request_log if "/medias/" in r.path]
    assert db.execute("SELECT count(*) FROM videos WHERE deleted_at IS NOT NULL").fetchone()[0] == 0

    summary = sync(db, fake, full=True, stats_budget=0, allow_mass_delete=True)
    assert summary.deleted == 200  # type: ignore[attr-defined]
    assert mirror(db) == expected_mirror(fake)


def test_a_failing_run_keeps_its_pages_but_deletes_nothing_and_keeps_watermarks(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=0)
    watermarks = {k: get_state(db, k) for k in ("watermark:active", "watermark:archived")}
    gone = fake.media()[5]["hashed_id"]
    fake.delete(gone)
    renamed = fake.media()[0]["hashed_id"]
    fake.update(renamed, name="Renamed before the outage")

    def outage_after_first_page(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("page") == "2" or request.url.params.get("archived") == "true":
            return httpx.Response(503, json={"error": "down"})
        return None

    with client_for(fake, outage_after_first_page) as client, pytest.raises(WistiaUnavailable):
        sync_account(db, client, SyncOptions(full=True, stats_budget=0))
    assert db.execute("SELECT deleted_at FROM videos WHERE hashed_id = ?", [gone]).fetchone() == (
        None,
    )
    assert {k: get_state(db, k) for k in watermarks} == watermarks
    renamed_row = db.execute("SELECT name FROM videos WHERE hashed_id = ?", [renamed]).fetchone()
    assert renamed_row == ("Renamed before the outage",)  # the committed page is kept
    outcome = db.execute("SELECT outcome, error FROM sync_runs ORDER BY id DESC").fetchone()
    assert outcome[0] == "failed" and "unavailable" in outcome[1]

    sync(db, fake, full=True, stats_budget=0)
    assert mirror(db) == expected_mirror(fake)


def test_stats_budget_refreshes_never_fetched_first_then_stalest(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, stats_budget=10)
    first = {
        r[0] for r in db.execute("SELECT hashed_id FROM videos WHERE plays_fetched_at IS NOT NULL")
    }
    assert len(first) == 10
    sync(db, fake, stats_budget=10)
    second = {
        r[0] for r in db.execute("SELECT hashed_id FROM videos WHERE plays_fetched_at IS NOT NULL")
    }
    assert len(second) == 20 and first < second


def test_plays_are_fetched_only_for_published_kinds(db: Database) -> None:
    fake = FakeWistia(*demo_catalog())
    sync(db, fake, stats_budget=1000)
    asked = {r.path.split("/")[-2] for r in fake.request_log if r.path.endswith("/stats")}
    eligible = {
        r[0]
        for r in db.execute(
            "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
            "AND archived = 0 AND deleted_at IS NULL"
        )
    }
    assert asked == eligible


# -- the database ---------------------------------------------------------------------------------


def test_migrations_apply_to_a_new_database_and_reapplying_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = open_database(path, create=True)
    applied = [m.name for m in migrations.applied(db)]
    assert applied == [m.name for m in migrations._migrations]
    db.close()
    again = open_database(path)
    assert [m.name for m in migrations.applied(again)] == applied
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    db = open_database(path, create=True)
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('wistia_sync', 'm999_from_the_future', '2030-01-01')"
    )
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseError, match="newer wistia-sync"):
        open_database(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_corrupt_database_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not an SQLite file"):
        open_database(path, create=True)  # a file is there: even sync/run do not replace it
    assert path.read_bytes() == before


def test_database_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    open_database(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600


WRITER = textwrap.dedent(
    """
    import sys
    from wistia_sync.store.db import open_database, write_transaction
    db = open_database(sys.argv[1], create=True)
    for i in range(60):
        with write_transaction(db):
            current = db.execute("SELECT value FROM sync_state WHERE key = 'n'").fetchone()
            value = int(current[0]) + 1 if current else 1
            db.execute(
                "INSERT INTO sync_state (key, value) VALUES ('n', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [str(value)],
            )
    """
)


def test_concurrent_writers_never_see_database_locked(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    open_database(path, create=True).close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    syncer = subprocess.Popen(
        [sys.executable, "-m", "wistia_sync", "sync", "--demo", "--db", str(path), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    errors = [p.communicate(timeout=120)[1] for p in [*writers, syncer]]
    assert [p.returncode for p in [*writers, syncer]] == [0] * 5, errors
    assert not any("locked" in e for e in errors)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM sync_state WHERE key = 'n'").fetchone() == ("240",)


def test_a_second_connection_in_one_process_keeps_the_first_ones_writes(tmp_path: Path) -> None:
    """Opening the database again must not open and close the file itself: closing any file
    descriptor drops every POSIX lock the process holds on it, so another process would take
    the first connection's WAL for abandoned and delete it, losing what it wrote next."""
    path = tmp_path / "wistia.db"
    first = open_database(path, create=True)
    with write_transaction(first):
        first.execute("INSERT INTO sync_state (key, value) VALUES ('a', '1')")
    open_database(path, create=True)  # a second connection, as the webhook server's threads open
    other_process = textwrap.dedent(
        f"""
        import sqlite3
        sqlite3.connect({str(path)!r}).execute("SELECT count(*) FROM sync_state").fetchone()
        """
    )
    subprocess.run([sys.executable, "-c", other_process], check=True)
    with write_transaction(first):
        first.execute("INSERT INTO sync_state (key, value) VALUES ('b', '2')")
    seen = sqlite3.connect(path).execute("SELECT key FROM sync_state WHERE key IN ('a', 'b')")
    assert sorted(row[0] for row in seen.fetchall()) == ["a", "b"]


def test_a_failing_media_backs_off_exponentially_up_to_a_cap_and_a_success_clears_it(
    db: Database, fake: FakeWistia
) -> None:
    """The backoff is read from an injected clock: each failure in a row doubles the wait."""
    sync(db, fake, full=True, stats_budget=0)
    victim = db.execute(
        "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
        "AND archived = 0 ORDER BY hashed_id LIMIT 1"
    ).fetchone()[0]
    failing = True

    def victim_stats_fail(request: httpx.Request) -> httpx.Response | None:
        if failing and request.url.path.endswith(f"/{victim}/stats"):
            return httpx.Response(500, json={"error": "Internal server error"})
        return None

    def at(moment: datetime) -> SyncOptions:
        return SyncOptions(stats_budget=5, clock=lambda: moment)

    now = datetime(2026, 12, 1, tzinfo=UTC)
    waits = []
    for _ in range(8):
        options = at(now)
        with client_for(fake, victim_stats_fail) as client:
            summary = sync_account(db, client, options)
        assert summary.media_failures == 1 and summary.stats_fetched > 0
        retry_at = db.execute(
            "SELECT retry_at FROM media_failures WHERE hashed_id = ? AND endpoint = 'stats'",
            [victim],
        ).fetchone()[0]
        wait = datetime.fromisoformat(retry_at.replace("Z", "+00:00")) - now
        waits.append(wait)
        # Backing off: a run before the retry is due does not ask.
        with client_for(fake, victim_stats_fail) as client:
            early = sync_account(db, client, at(now + wait - timedelta(seconds=1)))
            assert early.media_failures == 0 and early.stats_fetched == 5
        now += wait
    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes == [30, 60, 120, 240, 480, 960, 1440, 1440]
    failing = False
    with client_for(fake, victim_stats_fail) as client:
        summary = sync_account(db, client, at(now))
    assert summary.media_failures == 0
    assert db.execute("SELECT count(*) FROM media_failures").fetchone()[0] == 0


def test_a_media_archived_or_deleted_while_backing_off_is_owed_nothing(
    db: Database, fake: FakeWistia
) -> None:
    sync(db, fake, full=True, stats_budget=0)
    first, second = (
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
            "AND archived = 0 ORDER BY hashed_id LIMIT 2"
        ).fetchall()
    )

    def stats_fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/stats"):
            return httpx.Response(500, json={"error": "Internal server error"})
        return None

    with client_for(fake, stats_fail) as client:
        summary = sync_account(db, client, SyncOptions(stats_budget=2))
    assert summary.media_failures == 2
    fake.archive(first)
    fake.delete(second)
    sync(db, fake, full=True, stats_budget=0)
    assert db.execute("SELECT count(*) FROM media_failures").fetchone()[0] == 0


def _ready_videos(db: Database, count: int) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
            "AND archived = 0 ORDER BY hashed_id LIMIT ?",
            [count],
        ).fetchall()
    ]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda: httpx.Response(429, text="Rate limit exceeded"), id="429"),
        pytest.param(lambda: httpx.Response(503, json={"error": "down"}), id="503"),
        pytest.param(lambda: httpx.ConnectError("refused"), id="connection refused"),
    ],
)
def test_a_failure_that_concerns_every_request_still_fails_the_run(
    db: Database, fake: FakeWistia, failure: Callable[[], httpx.Response | Exception]
) -> None:
    """A rate limit or a refused connection is Wistia's (or the network's), never one media's."""
    sync(db, fake, full=True, stats_budget=0)
    victim = _ready_videos(db, 1)[0]

    def victim_stats_fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/{victim}/stats"):
            answer = failure()
            if isinstance(answer, Exception):
                raise answer
            return answer
        return None

    with client_for(fake, victim_stats_fail) as client, pytest.raises(WistiaUnavailable):
        sync_account(db, client, SyncOptions(stats_budget=10))
    assert db.execute("SELECT count(*) FROM media_failures").fetchone()[0] == 0


def test_five_media_failing_in_a_row_fail_the_run_but_do_not_block_the_next(
    db: Database, fake: FakeWistia
) -> None:
    """Five per-media failures with no success between them: Wistia is failing, the run fails.
    They are recorded all the same, so if they were the media's own the next run goes on."""
    sync(db, fake, full=True, stats_budget=0)
    failing = set(_ready_videos(db, 5))  # the five the next run asks first (never fetched)

    def five_fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/stats") and request.url.path.split("/")[-2] in failing:
            return httpx.Response(500, json={"error": "Internal server error"})
        return None

    with client_for(fake, five_fail) as client, pytest.raises(WistiaUnavailable):
        sync_account(db, client, SyncOptions(stats_budget=20))
    recorded = {row[0] for row in db.execute("SELECT hashed_id FROM media_failures")}
    assert recorded == failing
    with client_for(fake, five_fail) as client:
        summary = sync_account(db, client, SyncOptions(stats_budget=20))
    assert summary.media_failures == 0 and summary.stats_fetched == 20


def test_a_targeted_refresh_keeps_a_media_whose_deletion_check_fails_and_cron_confirms_it_later(
    db: Database, fake: FakeWistia
) -> None:
    """What the webhook worker runs: a ``media.deleted`` whose check answers 500 every time is
    not a failed batch retried for ever; the media is kept and an incremental run confirms it
    once the check is due and Wistia answers."""
    sync(db, fake, full=True, stats_budget=0)
    gone = _ready_videos(db, 1)[0]
    fake.delete(gone)
    failing = True

    def check_fails(request: httpx.Request) -> httpx.Response | None:
        if failing and request.url.path.endswith(f"/medias/{gone}"):
            return httpx.Response(500, json={"error": "Internal server error"})
        return None

    now = datetime(2026, 12, 1, tzinfo=UTC)
    with client_for(fake, check_fails) as client:
        summary = refresh_media(db, client, [gone], SyncOptions(clock=lambda: now))
    assert summary.media_failures == 1 and summary.deleted == 0
    failing = False
    later = SyncOptions(stats_budget=0, clock=lambda: now + timedelta(hours=1))
    with client_for(fake, check_fails) as client:
        assert sync_account(db, client, later).deleted == 1
    assert db.execute("SELECT count(*) FROM media_failures").fetchone()[0] == 0


def test_a_run_freezes_the_objects_before_it_and_unfreezes_them(
    db: Database, fake: FakeWistia, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's objects before it stay out of full collections while it runs (not a change
    of what is collected), and are handed back when it ends, whether it succeeds or fails."""
    from wistia_sync.sync import account

    frozen: list[int] = []
    store = account.store_media_page

    def counting(*args: Any, **kwargs: Any) -> Any:
        frozen.append(gc.get_freeze_count())
        return store(*args, **kwargs)

    monkeypatch.setattr(account, "store_media_page", counting)
    before = gc.get_freeze_count()
    sync(db, fake, stats_budget=0)
    assert frozen and min(frozen) > before
    assert gc.get_freeze_count() == before

    def failing(*args: Any, **kwargs: Any) -> Any:
        frozen.append(gc.get_freeze_count())
        raise RuntimeError("a page cannot be stored")

    monkeypatch.setattr(account, "store_media_page", failing)
    with pytest.raises(RuntimeError):
        sync(db, fake, stats_budget=0, full=True)
    assert frozen[-1] > before
    assert gc.get_freeze_count() == before

    # A process that froze its own objects keeps them frozen.
    monkeypatch.setattr(account, "store_media_page", store)
    gc.freeze()
    try:
        sync(db, fake, stats_budget=0, full=True)
        assert gc.get_freeze_count() > 0  # (fewer: some frozen objects were freed meanwhile)
    finally:
        gc.unfreeze()
