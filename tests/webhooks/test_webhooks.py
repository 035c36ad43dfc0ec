"""Webhooks: the receiver stores only signed deliveries, the worker applies them, converging."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.support.fakewistia.webhooks import ACCOUNT_ID, delivery_body, media_event
from tests.sync.test_sync import TOKEN, client_for
from wistia_sync.cli.app import app
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.errors import WistiaError
from wistia_sync.status import database_status
from wistia_sync.store.db import open_database
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.media import refresh_media
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.webhooks.app import HEALTH_PATH, WEBHOOK_PATH, ReceiverSettings, create_app
from wistia_sync.webhooks.inbox import inbox_status, parse_delivery, store_events
from wistia_sync.webhooks.server import DEFAULT_STATS_BUDGET, refresh_then_publish
from wistia_sync.webhooks.signature import SIGNATURE_HEADER, sign
from wistia_sync.webhooks.worker import MAX_ATTEMPTS, RETRY_MAX_SECONDS, Debounce, InboxWorker
from wistia_sync.wistia.client import WistiaClient

SECRET = b"s3cret-key"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wistia.db"


@pytest.fixture
def fake() -> FakeWistia:
    return FakeWistia(*generate_catalog(250, seed=11), token=TOKEN)


@pytest.fixture
def synced(db_path: Path, fake: FakeWistia) -> Database:
    db = open_database(db_path, create=True)
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions(stats_budget=0))
    return db


@pytest.fixture
def receiver(db_path: Path) -> Iterator[TestClient]:
    settings = ReceiverSettings(secret=SECRET, account_id=ACCOUNT_ID, max_body_bytes=64 * 1024)
    with TestClient(create_app(settings, lambda: open_database(db_path, create=True))) as client:
        yield client


def post(client: TestClient, body: bytes, signature: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    headers[SIGNATURE_HEADER] = sign(SECRET, body) if signature is None else signature
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def store(db: Database, events: list[dict[str, object]]) -> None:
    store_events(db, parse_delivery(delivery_body(events)), account_id=ACCOUNT_ID)


def event_rows(db_path: Path) -> list[dict[str, object]]:
    return list(open_database(db_path, create=True)["webhook_events"].rows)


# -- receiver ---------------------------------------------------------------------------------


def test_signed_delivery_is_stored_once_and_acknowledged(
    receiver: TestClient, db_path: Path
) -> None:
    body = delivery_body([media_event("media.updated", "abc123"), media_event("media.ready", "x9")])
    first = post(receiver, body)
    again = post(receiver, body)  # Wistia redelivers on any doubt
    assert first.status_code == 200
    assert first.json() == {"stored": 2, "pending": 2, "repeated": 0}
    assert again.json() == {"stored": 0, "pending": 0, "repeated": 2}
    rows = event_rows(db_path)
    assert sorted(str(row["hashed_id"]) for row in rows) == ["abc123", "x9"]
    assert {row["state"] for row in rows} == {"pending"}


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 64, "not-hex", sign(b"another secret", b"{}")],
    ids=["empty", "zeros", "garbage", "other-key"],
)
def test_bad_signature_is_refused_and_stores_nothing(
    receiver: TestClient, db_path: Path, signature: str
) -> None:
    response = post(receiver, delivery_body([media_event("media.updated", "abc123")]), signature)
    assert response.status_code == 401
    assert event_rows(db_path) == []


def test_missing_signature_is_refused(receiver: TestClient, db_path: Path) -> None:
    body = delivery_body([media_event("media.updated", "abc123")])
    response = receiver.post(WEBHOOK_PATH, content=body)
    assert response.status_code == 401
    assert event_rows(db_path) == []


def test_signature_is_over_the_raw_bytes(receiver: TestClient, db_path: Path) -> None:
    body = delivery_body([media_event("media.updated", "abc123")])
    reformatted = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    assert post(receiver, reformatted, sign(SECRET, body)).status_code == 401
    assert event_rows(db_path) == []


def test_oversized_body_is_refused_before_reading_it_all(
    receiver: TestClient, db_path: Path
) -> None:
    events = [media_event("media.updated", f"id{n}") for n in range(2000)]  # ~500 KB
    response = post(receiver, delivery_body(events))
    assert response.status_code == 413
    assert event_rows(db_path) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"events": {}}', b'{"events": [42]}', b'{"events": [{"uuid": 1}]}'],
)
def test_malformed_delivery_is_refused_whole(
    receiver: TestClient, db_path: Path, body: bytes
) -> None:
    assert post(receiver, body).status_code == 400
    assert event_rows(db_path) == []


def test_events_that_change_nothing_here_are_ignored_but_recognised(
    receiver: TestClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="wistia_sync.webhooks.inbox")
    events = [
        media_event("media.updated", "abc123", account_id="someone-else"),
        media_event("media.updated", "../../etc"),  # not a hashed id
        {**media_event("media.updated", "abc123"), "type": "account.updated"},
    ]
    response = post(receiver, delivery_body(events))
    assert response.json() == {"stored": 3, "pending": 0, "repeated": 0}
    assert {row["state"] for row in event_rows(db_path)} == {"ignored"}
    assert "event for account 'someone-else'" in caplog.text


def test_event_without_uuid_is_deduplicated_by_its_content() -> None:
    event = media_event("media.updated", "abc123")
    del event["uuid"]
    (first,) = parse_delivery(delivery_body([event]))
    (second,) = parse_delivery(delivery_body([event]))
    assert first.uuid == second.uuid
    assert first.uuid.startswith("sha256:")


def test_health_endpoint(receiver: TestClient) -> None:
    assert receiver.get(HEALTH_PATH).json() == {"ok": True}


# -- targeted refresh -------------------------------------------------------------------------


def test_refresh_media_applies_wistias_current_state(synced: Database, fake: FakeWistia) -> None:
    renamed, deleted = [media["hashed_id"] for media in fake.media()[:2]]
    fake.update(renamed, name="Renamed in Wistia")
    fake.delete(deleted)
    with client_for(fake) as client:
        summary = refresh_media(synced, client, [renamed, deleted, renamed])
    assert synced["videos"].get(renamed)["name"] == "Renamed in Wistia"
    assert synced["videos"].get(deleted)["deleted_at"] is not None
    assert (summary.updated, summary.deleted, summary.mode) == (1, 1, "targeted")
    assert summary.requests == 2  # one by-ids listing, one 404 confirming the deletion
    runs = database_status(synced)["runs"]
    assert runs[0]["mode"] == "targeted"
    assert runs[0]["outcome"] == "ok"


def test_refresh_of_an_unknown_missing_id_changes_nothing(
    synced: Database, fake: FakeWistia
) -> None:
    before = synced["videos"].count
    with client_for(fake) as client:
        summary = refresh_media(synced, client, ["nosuchmedia"])
    assert synced["videos"].count == before
    assert (summary.deleted, summary.requests) == (0, 1)


def test_sync_media_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "wistia.db")
    assert runner.invoke(app, ["sync", "--demo", "--db", db, "-q"]).exit_code == 0
    hashed_id = (
        open_database(db, create=True).execute("SELECT hashed_id FROM videos LIMIT 1").fetchone()[0]
    )
    result = runner.invoke(app, ["sync", "--demo", "--db", db, "--json", "--media", hashed_id])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mode"] == "targeted"
    bad = runner.invoke(app, ["sync", "--demo", "--db", db, "--media", "../x"])
    assert bad.exit_code == 2
    assert "not a Wistia hashed id" in bad.stderr


# -- worker -----------------------------------------------------------------------------------


class RecordingApply:
    """Refreshes from the fake account like the real worker, and remembers each batch."""

    def __init__(self, fake: FakeWistia) -> None:
        self.client = client_for(fake)
        self.batches: list[list[str]] = []
        self.published = 0
        self._apply = refresh_then_publish(self.client, SyncOptions(), self._publish)

    def _publish(self, db: Database) -> None:
        self.published += 1

    def __call__(self, db: Database, hashed_ids: Sequence[str]) -> None:
        self.batches.append(list(hashed_ids))
        self._apply(db, hashed_ids)


def test_burst_is_applied_in_one_batch_with_few_requests(
    synced: Database, fake: FakeWistia, db_path: Path
) -> None:
    targets = [media["hashed_id"] for media in fake.media()[:200]]
    for hashed_id in targets[:150]:
        fake.update(hashed_id, name=f"New name of {hashed_id}")
    for hashed_id in targets[150:160]:
        fake.delete(hashed_id)
    types = ["media.updated", "media.processing", "media.ready", "media.updated", "media.deleted"]
    events = [media_event(types[n % 5], targets[n % 200]) for n in range(1000)]
    store(synced, events)
    apply = RecordingApply(fake)
    worker = InboxWorker(lambda: open_database(db_path, create=True), apply)
    assert worker.apply_pending() == 1000
    assert apply.batches == [sorted(targets)]
    assert apply.published == 1
    # 2 listings of 100 ids, a 404 for each of the 10 deleted media, and the play counts of
    # the worker's budget of videos that have none (this account was synced without stats).
    assert apply.client.requests_made == 2 + 10 + DEFAULT_STATS_BUDGET
    assert synced.execute("SELECT count(*) FROM videos WHERE name LIKE 'New name%'").fetchone() == (
        150,
    )
    assert synced.execute(
        "SELECT count(*) FROM videos WHERE deleted_at IS NOT NULL"
    ).fetchone() == (10,)
    status = inbox_status(synced)
    assert status is not None
    assert (status["pending"], status["applied"]) == (0, 1000)
    assert worker.apply_pending() == 0  # drained


def test_failed_batch_stays_pending_then_is_given_up(synced: Database, db_path: Path) -> None:
    store(synced, [media_event("media.updated", "abc123")])

    def broken(db: Database, hashed_ids: Sequence[str]) -> None:
        raise RuntimeError("Wistia is unavailable")

    worker = InboxWorker(lambda: open_database(db_path, create=True), broken)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(RuntimeError):
            worker.apply_pending()
        (row,) = event_rows(db_path)
        assert row["attempts"] == attempt
        assert row["state"] == ("failed" if attempt == MAX_ATTEMPTS else "pending")
    status = inbox_status(synced)
    assert status is not None
    assert status["failed"] == 1
    assert status["last_error"] == "Wistia is unavailable"


def test_debounce_waits_for_quiet_but_not_past_the_maximum() -> None:
    debounce = Debounce(quiet_seconds=0.5, max_delay_seconds=3.0)
    assert debounce.due(first_received=100.0, last_received=100.0) == 100.5
    assert debounce.due(first_received=100.0, last_received=101.0) == 101.5
    assert debounce.due(first_received=100.0, last_received=102.9) == 103.0


def test_status_shows_the_inbox(synced: Database, fake: FakeWistia, db_path: Path) -> None:
    assert database_status(synced).get("webhooks") is None
    store(synced, [media_event("media.updated", "abc123")])
    InboxWorker(lambda: open_database(db_path, create=True), RecordingApply(fake)).apply_pending()
    report = database_status(synced)["webhooks"]
    assert report["received"] == 1
    assert report["applied"] == 1
    assert report["latency_seconds"]["p95"] >= 0
    result = CliRunner().invoke(app, ["status", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "webhooks" in result.stdout


# -- the command ------------------------------------------------------------------------------


def test_serve_without_a_secret_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WISTIA_SYNC_WEBHOOK_SECRET", raising=False)
    result = CliRunner().invoke(app, ["webhook", "serve", "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert "no webhook secret" in result.stderr
    assert not (tmp_path / "w.db").exists()


def test_serve_refuses_a_max_delay_shorter_than_the_debounce(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISTIA_SYNC_WEBHOOK_SECRET", "x")
    result = CliRunner().invoke(
        app, ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--debounce", "5",
              "--max-delay", "1"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--max-delay" in result.stderr


def test_serve_without_the_webhooks_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setenv("WISTIA_SYNC_WEBHOOK_SECRET", "x")
    # As if the extra were not installed: importing starlette (or any part of it) raises.
    for module in ["starlette", *(m for m in sys.modules if m.startswith("starlette."))]:
        monkeypatch.setitem(sys.modules, module, None)
    for module in ("wistia_sync.webhooks.app", "wistia_sync.webhooks.server"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    result = CliRunner().invoke(app, ["webhook", "serve", "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert "pip install 'wistia-sync[webhooks]'" in result.stderr


# -- an internet-facing receiver ------------------------------------------------------------------


def test_distinct_unprintable_uuids_are_not_taken_for_repeats(
    receiver: TestClient, db_path: Path
) -> None:
    first, second = (media_event("media.updated", "abc123") for _ in range(2))
    first["uuid"], second["uuid"] = "evt\x00", "evt\x01"  # printable-made, both were "evt?"
    long_a, long_b = (media_event("media.updated", "abc123") for _ in range(2))
    long_a["uuid"], long_b["uuid"] = "u" * 300 + "a", "u" * 300 + "b"
    response = post(receiver, delivery_body([first, second, long_a, long_b]))
    assert response.json() == {"stored": 4, "pending": 4, "repeated": 0}
    assert post(receiver, delivery_body([second, long_b])).json()["repeated"] == 2
    assert all(str(row["uuid"]).isprintable() for row in event_rows(db_path))


def test_secret_file_with_a_bom_is_refused_at_start(tmp_path: Path) -> None:
    secret_file = tmp_path / "webhook.secret"
    secret_file.write_bytes("\ufeffs3cret-key\n".encode())
    secret_file.chmod(0o600)
    result = CliRunner().invoke(
        app,
        ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--secret-file", str(secret_file)],
    )
    assert result.exit_code == 2
    assert "byte order mark" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "w.db").exists()


def test_a_secret_file_others_can_read_gets_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WISTIA_API_TOKEN", raising=False)  # stops the command after the check
    secret_file = tmp_path / "webhook.secret"
    secret_file.write_text("s3cret-key\n")
    secret_file.chmod(0o644)
    open_database(tmp_path / "w.db", create=True).conn.close()  # serve needs one
    result = CliRunner().invoke(
        app,
        ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--secret-file", str(secret_file)],
    )
    assert f"the secret file {secret_file} is accessible by others (mode 0644)" in result.stderr
    assert f"chmod 600 {secret_file}" in result.stderr
    secret_file.chmod(0o600)
    quiet = CliRunner().invoke(
        app,
        ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--secret-file", str(secret_file)],
    )
    assert "accessible by others" not in quiet.stderr


@pytest.mark.parametrize(
    ("account_id", "message"),
    [
        ("22570", "is the numeric account id of the Data API"),
        ("0sxav1wj8o extra", "invalid --account-id"),
        ("0SXAV1WJ8O", "invalid --account-id"),
    ],
)
def test_an_account_id_no_event_can_carry_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, account_id: str, message: str
) -> None:
    monkeypatch.setenv("WISTIA_SYNC_WEBHOOK_SECRET", "x")
    result = CliRunner().invoke(
        app, ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--account-id", account_id]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "w.db").exists()


def test_the_hashed_account_id_events_carry_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISTIA_SYNC_WEBHOOK_SECRET", "x")
    monkeypatch.delenv("WISTIA_API_TOKEN", raising=False)  # stops the command after the check
    open_database(tmp_path / "w.db", create=True).conn.close()  # serve needs one
    result = CliRunner().invoke(
        app, ["webhook", "serve", "--db", str(tmp_path / "w.db"), "--account-id", "0sxav1wj8o"]
    )
    assert "no Wistia API token" in result.stderr  # got past --account-id


class FailingFor:
    """Wistia answering 503 to the worker for ``failures`` batches, then recovering."""

    def __init__(self, apply: RecordingApply, failures: int) -> None:
        self.apply = apply
        self.failures = failures

    def __call__(self, db: Database, hashed_ids: Sequence[str]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise WistiaError("Wistia answered 503 Service Unavailable (after 5 retries)")
        self.apply(db, hashed_ids)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_deletion_during_an_outage_is_retried_until_wistia_answers(
    synced: Database, fake: FakeWistia, db_path: Path
) -> None:
    deleted = fake.media()[0]["hashed_id"]
    fake.delete(deleted)
    store(synced, [media_event("media.deleted", deleted)])
    outage = FailingFor(RecordingApply(fake), failures=8)  # more than the 5 attempts of old
    worker = InboxWorker(lambda: open_database(db_path), outage)
    for _ in range(8):
        with pytest.raises(WistiaError):
            worker.apply_pending()
        (row,) = event_rows(db_path)
        assert row["state"] == "pending"
    assert worker.apply_pending() == 1
    assert synced["videos"].get(deleted)["deleted_at"] is not None
    assert inbox_status(synced)["unconfirmed_deletions"] == 0  # type: ignore[index]


def test_retries_back_off_on_a_monotonic_clock_and_are_bounded(
    synced: Database, fake: FakeWistia, db_path: Path
) -> None:
    store(synced, [media_event("media.updated", fake.media()[0]["hashed_id"])])
    clock = FakeMonotonic()
    outage = FailingFor(RecordingApply(fake), failures=MAX_ATTEMPTS)
    worker = InboxWorker(lambda: open_database(db_path), outage, Debounce(0.5, 3.0), clock=clock)
    worker.notify()
    assert worker.seconds_until_due() == 0.5
    clock.now += 0.5
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert worker.seconds_until_due() == 0
        with pytest.raises(WistiaError):
            worker.apply_pending()
        waits.append(worker.seconds_until_due())
        clock.now += waits[-1] or 0
    assert waits[:4] == [2, 4, 8, 16]
    assert max(w for w in waits if w is not None) == RETRY_MAX_SECONDS
    assert 3 * 3600 < sum(w for w in waits[:-1] if w is not None) < 8 * 3600  # hours, bounded
    assert waits[-1] is None  # given up: nothing pending
    (row,) = event_rows(db_path)
    assert (row["state"], row["attempts"]) == ("failed", MAX_ATTEMPTS)


def test_a_deletion_the_worker_gave_up_on_is_confirmed_by_the_next_run(
    synced: Database, fake: FakeWistia, db_path: Path, tmp_path: Path
) -> None:
    from wistia_sync.job import run_job

    deleted, restored, unknown = fake.media()[0]["hashed_id"], fake.media()[1]["hashed_id"], "zz9"
    fake.delete(deleted)
    fake.update(restored, name="Still in Wistia")
    store(synced, [media_event("media.deleted", h) for h in (deleted, restored, unknown)])
    outage = FailingFor(RecordingApply(fake), failures=MAX_ATTEMPTS)
    worker = InboxWorker(lambda: open_database(db_path), outage)
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(WistiaError):
            worker.apply_pending()
    assert inbox_status(synced)["unconfirmed_deletions"] == 3  # type: ignore[index]

    def open_client() -> WistiaClient:
        return client_for(fake)

    report = run_job(db_path, tmp_path / "out", open_client=open_client, options=SyncOptions())
    assert report.sync_error is None
    assert report.sync is not None and report.sync.mode == "incremental"  # no full crawl
    assert synced["videos"].get(deleted)["deleted_at"] is not None
    assert synced["videos"].get(restored)["deleted_at"] is None
    assert synced["videos"].get(restored)["name"] == "Still in Wistia"
    assert inbox_status(synced)["unconfirmed_deletions"] == 0  # type: ignore[index]
    assert not (tmp_path / "out" / "videos" / f"{deleted}.json").exists()


def test_a_deletion_run_cannot_confirm_stays_reported(
    synced: Database, fake: FakeWistia, db_path: Path, tmp_path: Path
) -> None:
    from wistia_sync.job import run_job

    deleted = fake.media()[0]["hashed_id"]
    fake.delete(deleted)
    store(synced, [media_event("media.deleted", deleted)])

    def unavailable(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/medias/{deleted}.json") or request.url.path.endswith(
            f"/medias/{deleted}"
        ):
            return httpx.Response(500, json={"error": "down"})
        return None

    def open_client() -> WistiaClient:
        return client_for(fake, unavailable)

    run_job(db_path, tmp_path / "out", open_client=open_client, options=SyncOptions())
    assert synced["videos"].get(deleted)["deleted_at"] is None
    assert inbox_status(synced)["unconfirmed_deletions"] == 1  # type: ignore[index]
    status = CliRunner().invoke(app, ["status", "--db", str(db_path)])
    assert "1 reported deletion not yet confirmed with Wistia (the next run asks)" in status.stdout
    run_job(db_path, tmp_path / "out", open_client=lambda: client_for(fake), options=SyncOptions())
    assert synced["videos"].get(deleted)["deleted_at"] is not None
    assert inbox_status(synced)["unconfirmed_deletions"] == 0  # type: ignore[index]


def failing_for(*hashed_ids: str) -> Callable[[httpx.Request], httpx.Response | None]:
    """A Wistia whose ``GET /medias/{id}`` answers 500 on every attempt for these media."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        if any(f"/medias/{h}" in request.url.path for h in hashed_ids):
            return httpx.Response(500, json={"error": "down"})
        return None

    return answer


def test_one_reported_deletion_that_cannot_be_checked_does_not_hold_back_the_others(
    synced: Database, fake: FakeWistia, db_path: Path, tmp_path: Path
) -> None:
    """The run asked reported deletions oldest first and stopped at the first failure: one
    media whose check always failed kept every later deletion on the site for a day."""
    from wistia_sync.job import run_job

    # Reported together, they are asked in id order: the stuck one first.
    stuck, gone = sorted(media["hashed_id"] for media in fake.media()[:2])
    fake.delete(stuck)
    fake.delete(gone)
    store(synced, [media_event("media.deleted", h) for h in (stuck, gone)])

    run_job(
        db_path,
        tmp_path / "out",
        open_client=lambda: client_for(fake, failing_for(stuck)),
        options=SyncOptions(),
    )

    assert synced["videos"].get(gone)["deleted_at"] is not None
    assert synced["videos"].get(stuck)["deleted_at"] is None  # unconfirmed: kept
    assert inbox_status(synced)["unconfirmed_deletions"] == 1  # type: ignore[index]


def test_a_deletion_the_worker_could_not_check_stays_reported_for_the_run(
    synced: Database, fake: FakeWistia, db_path: Path, tmp_path: Path
) -> None:
    """The worker's batch succeeds when one media's deletion check fails (that failure is the
    media's own, recorded with a backoff): its reported deletion must not be forgotten."""
    from wistia_sync.job import run_job

    deleted = fake.media()[0]["hashed_id"]
    fake.delete(deleted)
    store(synced, [media_event("media.deleted", deleted)])
    worker_client = client_for(fake, failing_for(deleted))
    apply = refresh_then_publish(worker_client, SyncOptions(), lambda db: None)
    InboxWorker(lambda: open_database(db_path), apply).apply_pending()
    assert synced["videos"].get(deleted)["deleted_at"] is None
    assert inbox_status(synced)["unconfirmed_deletions"] == 1  # type: ignore[index]

    run_job(db_path, tmp_path / "out", open_client=lambda: client_for(fake), options=SyncOptions())
    assert synced["videos"].get(deleted)["deleted_at"] is not None
    assert inbox_status(synced)["unconfirmed_deletions"] == 0  # type: ignore[index]


def test_a_batch_the_mass_unpublish_guard_refuses_is_not_retried_for_hours(
    synced: Database, fake: FakeWistia, db_path: Path
) -> None:
    """The guard's verdict cannot change on a retry: the change is stored, the event applied,
    and cron's run reports the refusal (the worker re-fetched the batch 30 times over 5 h)."""
    from wistia_sync.errors import PublishAborted

    renamed = fake.media()[0]["hashed_id"]
    fake.update(renamed, name="Renamed in Wistia")
    store(synced, [media_event("media.updated", renamed)])

    def refused(db: Database) -> None:
        raise PublishAborted("this publish would unpublish 40 of the 50 videos")

    apply = refresh_then_publish(client_for(fake), SyncOptions(), refused)
    InboxWorker(lambda: open_database(db_path), apply).apply_pending()

    assert [row["state"] for row in event_rows(db_path)] == ["applied"]
    assert synced["videos"].get(renamed)["name"] == "Renamed in Wistia"


def test_a_video_created_through_a_webhook_is_published_with_its_plays(
    synced: Database, fake: FakeWistia, db_path: Path
) -> None:
    fake.add({"hashed_id": "newupload1", "name": "Uploaded a moment ago"}, stats={"plays": 42})
    store(synced, [media_event("media.created", "newupload1")])
    InboxWorker(lambda: open_database(db_path), RecordingApply(fake)).apply_pending()
    row = synced["videos"].get("newupload1")
    assert row["plays"] == 42


def test_repeated_log_lines_are_bounded_and_counted() -> None:
    import logging

    from wistia_sync.webhooks.logs import REPEAT_BURST, REPEAT_WINDOW_SECONDS, RepeatLimiter

    clock = FakeMonotonic()
    limiter = RepeatLimiter(clock=clock)

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, message, (), None)

    passed = [limiter.filter(record("Invalid HTTP request received.")) for _ in range(1000)]
    assert sum(passed) == REPEAT_BURST
    assert limiter.filter(record("another kind of line"))
    clock.now += REPEAT_WINDOW_SECONDS
    summary = record("Invalid HTTP request received.")
    assert limiter.filter(summary)
    assert summary.getMessage().endswith(f"[{1000 - REPEAT_BURST} more like this suppressed]")
