"""Issue 9: a video carries its width and height when Wistia gives them, so a player can size
itself. They come from the media's ``assets`` (the original file's; else the largest video
file's), are read as untrusted numbers, stored at sync, and published in every video object."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database
from wistia_sync.store.state import content_version
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient
from wistia_sync.wistia.records import MAX_DIMENSION, read_media

TOKEN = "fake-token"
RECORD = {
    "hashed_id": "abc123",
    "name": "n",
    "created": "2026-01-01T00:00:00+00:00",
    "updated": "2026-01-02T00:00:00+00:00",
    "status": "ready",
    "type": "Video",
    "archived": False,
    "protected": None,  # as Wistia sends an unprotected media
}


def asset(kind: str, width: object, height: object) -> dict[str, Any]:
    return {"type": kind, "width": width, "height": height, "url": "https://x/a.bin"}


def dimensions(assets: object) -> tuple[tuple[int | None, int | None], Counter[str]]:
    notes: Counter[str] = Counter()
    media = read_media({**RECORD, "assets": assets}, notes)
    return (media.width, media.height), notes


def test_the_original_file_gives_the_size_even_when_listed_after_the_transcodes() -> None:
    assets = [
        asset("HdMp4VideoFile", 1280, 720),
        asset("StillImageFile", 3000, 3000),
        asset("OriginalFile", 1080, 1920),
    ]
    assert dimensions(assets) == ((1080, 1920), Counter())


def test_without_a_usable_original_the_largest_video_file_counts_never_a_still() -> None:
    assets = [
        asset("OriginalFile", None, None),
        asset("Mp4VideoFile", 640, 360),
        asset("HdMp4VideoFile", 1280, 720),
        asset("StillImageFile", 1920, 1080),
    ]
    assert dimensions(assets) == ((1280, 720), Counter())


@pytest.mark.parametrize(
    "assets",
    [None, [], [asset("OriginalFile", None, 1080)], [asset("Mp3AudioFile", 1, 1)], ["x", 3]],
)
def test_no_size_when_wistia_gives_none(assets: object) -> None:
    assert dimensions(assets) == ((None, None), Counter())


@pytest.mark.parametrize(
    "width, height",
    [
        (0, 1080),
        (-1920, 1080),
        (1920, MAX_DIMENSION + 1),
        (True, 1080),
        ("1920", "1080"),
        (1920.5, 1080),
        (float("nan"), 1080),
        (2**80, 1080),
        ({"px": 1920}, 1080),
    ],
)
def test_hostile_numbers_are_ignored_and_noted_never_stored(width: object, height: object) -> None:
    size, notes = dimensions([asset("OriginalFile", width, height)])
    assert size == (None, None)
    assert notes == Counter({"asset width or height out of range (ignored)": 1})
    # A bad original does not hide a good transcode.
    size, _ = dimensions([asset("OriginalFile", width, height), asset("Mp4VideoFile", 640, 360)])
    assert size == (640, 360)


def test_whole_floats_are_numbers_and_assets_that_are_not_a_list_are_noted() -> None:
    assert dimensions([asset("OriginalFile", 1920.0, 1080.0)])[0] == (1920, 1080)
    assert dimensions({"OriginalFile": 1})[1] == Counter(
        {"assets not a list (no width and height)": 1}
    )


# -- end to end: sync, change tracking, publish --------------------------------------------------


def sync(db: Database, fake: FakeWistia, **options: Any) -> None:
    with WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(fake.handle),
        sleep=lambda seconds: None,
    ) as client:
        sync_account(db, client, SyncOptions(stats_budget=0, **options))


def published_video(out: Path, hashed_id: str) -> dict[str, Any]:
    document = json.loads((out / "videos" / f"{hashed_id}.json").read_text())
    video: dict[str, Any] = document["video"]
    return video


def test_a_sync_stores_and_a_publish_shows_each_videos_size_and_a_change_republishes_it(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    out = tmp_path / "output"
    fake = FakeWistia(*generate_catalog(60, seed=3), token=TOKEN)
    video = next(m for m in fake.media() if m["type"] == "Video" and m["status"] == "ready")
    hashed_id = video["hashed_id"]
    sync(db, fake)
    publish_site(db, out, lock_path=tmp_path / "publish.lock")
    original = next(a for a in video["assets"] if a["type"] == "OriginalFile")
    shown = published_video(out, hashed_id)
    assert (shown["width"], shown["height"]) == (original["width"], original["height"])

    # Wistia replaces the original with an upright one: the next sync notices and republishes.
    assets = [dict(a) for a in video["assets"]]
    for item in assets:
        item["width"], item["height"] = item["height"], item["width"]
    fake.update(hashed_id, assets=assets)
    db.execute("DELETE FROM publish_changes")
    version = content_version(db)
    sync(db, fake, full=True)
    assert content_version(db) > version
    changed = {row[0] for row in db.execute("SELECT key FROM publish_changes")}
    assert hashed_id in changed
    publish_site(db, out, lock_path=tmp_path / "publish.lock")
    shown = published_video(out, hashed_id)
    assert (shown["width"], shown["height"]) == (original["height"], original["width"])

    # And when Wistia stops giving a size, the video shows none rather than a stale one.
    fake.update(hashed_id, assets=[])
    sync(db, fake, full=True)
    publish_site(db, out, lock_path=tmp_path / "publish.lock")
    shown = published_video(out, hashed_id)
    assert (shown["width"], shown["height"]) == (None, None)
