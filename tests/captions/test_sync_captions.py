"""Issue 20: captions and chapters mirrored for eligible videos, within their own budget."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from tests.captions.support import (
    TOKEN,
    captioned_fake,
    captions_of,
    chapters_of,
    later,
    ready_videos,
    sync,
)
from wistia_sync.cli.app import app
from wistia_sync.demo.extras import caption_item, chapters_customization, srt
from wistia_sync.store.db import open_database
from wistia_sync.store.state import get_state


def db_file(db: Database) -> str:
    return str(db.execute("PRAGMA database_list").fetchone()[2])


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


def test_a_sync_mirrors_the_finished_captions_and_chapters_of_eligible_videos(db: Database) -> None:
    fake = captioned_fake()
    eligible = ready_videos(fake)
    summary, asked = sync(db, fake)
    assert asked == 2 * len(eligible)  # captions + customizations, once each
    assert summary.captions_fetched == len(eligible)
    stored = {
        row[0]: row[1]
        for row in db.execute("SELECT hashed_id, count(*) FROM video_captions GROUP BY hashed_id")
    }
    assert stored and set(stored) <= set(eligible)
    for hashed_id, count in stored.items():
        request = httpx.Request(
            "GET",
            f"http://x/medias/{hashed_id}/captions",
            headers={"Authorization": "Bearer " + TOKEN},
        )
        items = fake.handle(request).json()
        assert count == len(items)
    with_chapters = [h for h in eligible if chapters_of(db, h)]
    assert with_chapters
    for hashed_id in with_chapters:
        starts = [start for _, start in chapters_of(db, hashed_id)]
        assert starts == sorted(starts)
        assert "Outtakes" not in [title for title, _ in chapters_of(db, hashed_id)]  # deleted


def test_drafts_are_never_stored(db: Database) -> None:
    fake = captioned_fake()
    video = ready_videos(fake)[0]
    fake.set_captions(
        video,
        [
            caption_item("eng", srt(["Final words."])),
            caption_item("fra", srt(["Brouillon."]), is_draft=True),
            {**caption_item("deu", srt(["Entwurf."])), "is_draft": "false"},  # not a boolean
            {k: v for k, v in caption_item("spa", srt(["Borrador."])).items() if k != "is_draft"},
        ],
    )
    sync(db, fake)
    assert list(captions_of(db, video)) == ["eng"]


def test_an_unchanged_incremental_run_asks_nothing_about_captions(db: Database) -> None:
    fake = captioned_fake()
    sync(db, fake)
    summary, asked = sync(db, fake)
    assert summary.mode == "incremental"
    assert asked == 0 and summary.captions_fetched == 0


def test_a_video_whose_updated_moved_is_read_again(db: Database) -> None:
    fake = captioned_fake()
    sync(db, fake)
    video = ready_videos(fake)[1]
    fake.set_captions(video, [caption_item("eng", srt(["A new line."]))])
    fake.update(video, name="Renamed")
    summary, asked = sync(db, fake)
    assert asked == 2 and summary.captions_changed == 1
    assert captions_of(db, video)["eng"][0][2] == "A new line."


def test_a_full_crawl_reads_every_eligible_video_again(db: Database) -> None:
    fake = captioned_fake()
    sync(db, fake)
    video = ready_videos(fake)[2]
    fake.set_customizations(video, chapters_customization([("Only chapter", 5.0)]))
    summary, asked = sync(db, fake, full=True)
    assert summary.mode == "full" and asked == 2 * len(ready_videos(fake))
    assert chapters_of(db, video) == [["Only chapter", 5.0]]
    assert sync(db, fake)[1] == 0  # and then nothing more


def test_the_budget_caps_the_videos_read_and_the_next_run_goes_on(db: Database) -> None:
    fake = captioned_fake()
    eligible = ready_videos(fake)
    _, asked = sync(db, fake, captions_budget=5)
    assert asked == 10
    _, asked = sync(db, fake, captions_budget=1_000)
    assert asked == 2 * (len(eligible) - 5)
    _, asked = sync(db, fake, captions_budget=0)
    assert asked == 0


def test_a_failure_on_one_media_is_recorded_on_it_and_the_run_goes_on(db: Database) -> None:
    fake = captioned_fake()
    broken = ready_videos(fake)[3]

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/medias/{broken}/customizations"):
            return httpx.Response(500, json={"error": "Internal server error"})
        return None

    summary, _ = sync(db, fake, fail)
    assert summary.media_failures == 1
    row = db.execute(
        "SELECT failures, error, retry_at, synced_at FROM caption_sync WHERE hashed_id = ?",
        [broken],
    ).fetchone()
    assert row[0] == 1 and "500" in row[1] and row[2] is not None and row[3] is None
    shown = CliRunner().invoke(app, ["status", "--db", db_file(db), "--json"])
    assert shown.exit_code == 0, shown.output
    captions = json.loads(shown.output)["captions"]
    assert captions["failing"] == 1 and captions["next_retry"]["hashed_id"] == broken
    shown = CliRunner().invoke(app, ["status", "--db", db_file(db)])
    assert f"next retry {broken} (1 in a row)" in shown.output
    stored = db.execute("SELECT count(*) FROM caption_sync WHERE synced_at IS NOT NULL").fetchone()
    assert stored[0] == len(ready_videos(fake)) - 1
    # Not asked again before its retry is due; asked (and cleared) once it is.
    assert sync(db, fake, fail)[1] == 0
    summary, asked = sync(db, fake, clock=later(12))
    assert asked == 2 and summary.media_failures == 0
    assert db.execute(
        "SELECT failures, error, retry_at FROM caption_sync WHERE hashed_id = ?", [broken]
    ).fetchone() == (0, None, None)


def test_a_change_to_captions_or_chapters_makes_the_publisher_look_at_that_video(
    db: Database,
) -> None:
    fake = captioned_fake()
    sync(db, fake)
    db.execute("DELETE FROM publish_changes")
    version = get_state(db, "content_version")
    video = ready_videos(fake)[4]
    fake.set_captions(video, [caption_item("eng", srt(["Changed."]))])
    fake.set_customizations(video, chapters_customization([("Start", 0.0)]))
    sync(db, fake, full=True)
    changed = {row[0] for row in db.execute("SELECT key FROM publish_changes WHERE kind='video'")}
    assert changed == {video}
    assert int(get_state(db, "content_version") or 0) > int(version or 0)


def test_archived_and_protected_videos_are_not_asked_about(db: Database) -> None:
    fake = captioned_fake()
    archived = next(m["hashed_id"] for m in fake.media() if m["archived"])
    protected = ready_videos(fake)[5]
    fake.update(protected, protected=True)
    sync(db, fake)
    asked = {r.path.split("/")[-2] for r in fake.request_log if r.path.endswith("/captions")}
    assert archived not in asked and protected not in asked


@pytest.mark.parametrize("value", ["-1", "lots", "1e3"])
def test_a_bad_captions_budget_is_a_one_line_error(tmp_path: Path, value: str) -> None:
    result = CliRunner().invoke(
        app, ["sync", "--demo", "--db", str(tmp_path / "w.db"), "--captions-budget", value]
    )
    assert result.exit_code != 0
    assert "--captions-budget" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "w.db").exists()


def test_the_demo_mirrors_captions_and_chapters(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sync", "--demo", "--db", str(tmp_path / "w.db"), "--json"])
    assert result.exit_code == 0, result.output
    db = open_database(tmp_path / "w.db")
    languages = {row[0] for row in db.execute("SELECT lang FROM video_captions")}
    assert {"eng", "fra", "jpn"} <= languages
    assert json.loads(result.output[result.output.index("{") :])["captions_fetched"] > 0


def test_timeouts_and_a_404_on_one_media_over_http_are_that_media_s_alone(db: Database) -> None:
    """Over a real HTTP server: one media's captions time out on every attempt, another's
    customizations answer 404 (read as none); the run reads every other video."""
    from tests.support.fakewistia.server import FakeWistiaServer, FaultPlan, answer, timeout
    from wistia_sync.sync.account import sync_account
    from wistia_sync.sync.summary import SyncOptions
    from wistia_sync.wistia.client import ClientSettings, WistiaClient

    fake = captioned_fake(12)
    slow, missing = ready_videos(fake)[:2]
    plan = FaultPlan().starting_at(1, timeout(0.6), path=rf"/medias/{slow}/captions$")
    plan.starting_at(1, answer(404, b'{"error": "not found"}'), path=rf"/medias/{missing}/custom")
    with FakeWistiaServer(fake, faults=plan) as server:
        settings = ClientSettings(token=TOKEN, api_url=server.url, timeout=0.3, backoff=0.01)
        with WistiaClient(settings, sleep=lambda s: None) as client:
            summary = sync_account(db, client, SyncOptions(stats_budget=0, captions_budget=100))
        assert len(server.requests(rf"/medias/{slow}/captions$")) >= 2  # retried, then given up
    assert summary.media_failures == 1
    failed = db.execute("SELECT hashed_id FROM caption_sync WHERE retry_at IS NOT NULL")
    assert [row[0] for row in failed] == [slow]
    assert chapters_of(db, missing) == []
    read = db.execute("SELECT count(*) FROM caption_sync WHERE synced_at IS NOT NULL").fetchone()
    assert read[0] == len(ready_videos(fake)) - 1
