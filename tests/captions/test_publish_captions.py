"""Issue 20: captions and chapters published: video objects, immutable WebVTT files linked
from them, O(change), in the file list, retired and taken down like pages."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import webvtt
from sqlite_utils import Database
from typer.testing import CliRunner

from tests.captions.support import captioned_fake, client_for, ready_videos
from wistia_sync.cli.app import app
from wistia_sync.contract.cache_policy import content_type
from wistia_sync.contract.layout import CAPTION_PATH, cache_class, delivery_phase, is_managed
from wistia_sync.demo.extras import caption_item, chapters_customization, srt
from wistia_sync.publish import publish_site
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions


def read_json(output: Path, path: str) -> Any:
    return json.loads((output / path).read_bytes())


def listed_files(output: Path) -> dict[str, dict[str, Any]]:
    index = read_json(output, "files.json")
    files: dict[str, dict[str, Any]] = {}
    for shard in index["shards"]:
        files |= read_json(output, shard["url"])["files"]
    for chunk in index.get("shard_lists", []):
        for shard in read_json(output, chunk["url"])["shards"]:
            files |= json.loads((output / "shard-lists" / shard["url"]).resolve().read_bytes())[
                "files"
            ]
    return files


def test_the_demo_publishes_captions_every_webvtt_parser_reads(tmp_path: Path) -> None:
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    result = CliRunner().invoke(app, ["run", "--demo", "--db", str(db), "--output", str(output)])
    assert result.exit_code == 0, result.output
    stored = {
        (h, lang): len(json.loads(cues))
        for h, lang, cues in open_database(db).execute(
            "SELECT hashed_id, lang, cues FROM video_captions"
        )
    }
    linked = set()
    for path in sorted((output / "videos").glob("*.json")):
        video = json.loads(path.read_bytes())["video"]
        assert [c["start"] for c in video["chapters"]] == sorted(
            c["start"] for c in video["chapters"]
        )
        for caption in video["captions"]:
            assert CAPTION_PATH.fullmatch(caption["url"])
            file = output / caption["url"]  # relative to the site's root
            cues = list(webvtt.from_string(file.read_text("utf-8")))
            assert len(cues) == stored[(video["hashed_id"], caption["lang"])]
            linked.add(caption["url"])
    assert linked == {p.relative_to(output).as_posix() for p in (output / "captions").iterdir()}
    assert len(linked) == len(stored) - 0 and "fra" in {c[1] for c in stored}
    files = listed_files(output)
    for url in linked:
        assert files[url]["cache"] == "immutable" == cache_class(url)
        assert content_type(url) == "text/vtt; charset=utf-8"
        assert delivery_phase(url) == "linked" and is_managed(url)
    draft_video = (
        open_database(db)
        .execute("SELECT hashed_id FROM videos WHERE name = 'Automations Tour'")
        .fetchone()[0]
    )
    languages = [
        c["lang"] for c in read_json(output, f"videos/{draft_video}.json")["video"]["captions"]
    ]
    assert languages == ["deu", "eng"]  # its French draft is not published


@pytest.fixture
def site(tmp_path: Path) -> tuple[Database, Path, Path]:
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, page_size=5)
    return db, tmp_path / "output", tmp_path / "publish.lock"


def sync(db: Database, fake: Any, **options: Any) -> None:
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions(stats_budget=0, captions_budget=1000, **options))


def test_a_caption_change_rewrites_that_video_s_files_only(
    site: tuple[Database, Path, Path],
) -> None:
    db, output, lock = site
    fake = captioned_fake(60)
    sync(db, fake)
    publish_site(db, output, lock_path=lock)
    video = ready_videos(fake)[7]
    fake.set_captions(video, [caption_item("eng", srt(["Only this changed."]))])
    fake.set_customizations(video, chapters_customization([("Part two", 12.5)]))
    fake.update(video, description="moved on")  # so an incremental run reads it again
    fake.update(video, description="")
    old = {p.name for p in (output / "captions").glob(f"{video}.*")}
    sync(db, fake)
    result = publish_site(db, output, lock_path=lock)
    (new_caption,) = [p for p in result.new_pages if p.startswith("captions/")]
    assert new_caption.startswith(f"captions/{video}.eng.")
    for path in result.written:
        if path.startswith(("pages/", "videos/")):
            assert video.encode() in (output / path).read_bytes(), path  # only files showing it
    # Its files, its playlists' entries, the lists: not the site. The file list's shards it
    # rewrites are those its written paths fall in (each in one).
    listed = [path for path in result.written if path not in result.new_shards]
    assert len(listed) <= 10
    assert len(result.new_shards) <= len(listed)
    shown = read_json(output, f"videos/{video}.json")["video"]
    assert shown["chapters"] == [{"title": "Part two", "start": 12.5}]
    assert [c["url"] for c in shown["captions"]] == [new_caption]
    # The old files stay for a reader holding an older page, retired with the normal grace.
    for name in old:
        assert (output / "captions" / name).exists()
    retired = dict(
        db.execute("SELECT path, expires_at FROM published_files WHERE expires_at IS NOT NULL")
    )
    assert {f"captions/{name}" for name in old} <= set(retired)


def test_a_hidden_video_s_caption_files_go_after_the_takedown_grace(
    site: tuple[Database, Path, Path],
) -> None:
    db, output, lock = site
    fake = captioned_fake(60)
    sync(db, fake)
    publish_site(db, output, lock_path=lock)
    video = next(h for h in ready_videos(fake) if list((output / "captions").glob(f"{h}.*")))
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [video])
    db.conn.commit()
    change_site_settings(db, takedown_grace=timedelta(0))
    publish_site(db, output, lock_path=lock)
    publish_site(db, output, lock_path=lock)  # the takedown grace (0 s) has passed
    assert not list((output / "captions").glob(f"{video}.*"))
    assert all(video not in path for path in listed_files(output))

    db.execute("UPDATE videos SET visibility = 'public' WHERE hashed_id = ?", [video])
    db.conn.commit()
    publish_site(db, output, lock_path=lock)
    assert list((output / "captions").glob(f"{video}.*"))  # back with the video


def test_a_full_rebuild_writes_the_same_caption_files(site: tuple[Database, Path, Path]) -> None:
    db, output, lock = site
    fake = captioned_fake(30)
    sync(db, fake)
    publish_site(db, output, lock_path=lock)
    before = {p.name: p.read_bytes() for p in (output / "captions").iterdir()}
    result = publish_site(db, output, lock_path=lock, force=True)
    assert not [p for p in result.written if p.startswith("captions/")]
    assert {p.name: p.read_bytes() for p in (output / "captions").iterdir()} == before


def test_a_caption_row_no_sync_would_write_is_never_published(
    site: tuple[Database, Path, Path],
) -> None:
    """Another writer's row with a language or digest that is not a file name: left out."""
    db, output, lock = site
    fake = captioned_fake(10)
    sync(db, fake)
    video = ready_videos(fake)[0]
    for lang, digest in (("../../x", "a" * 64), ("eng/..", "b" * 64), ("zzz", "not-hex")):
        db.execute(
            "INSERT INTO video_captions (hashed_id, lang, label, cues, digest, transcript) "
            "VALUES (?, ?, 'x', '[[0,1000,\"x\"]]', ?, 'x')",
            [video, lang, digest],
        )
    db.conn.commit()
    publish_site(db, output, lock_path=lock)
    shown = read_json(output, f"videos/{video}.json")["video"]["captions"]
    assert all(CAPTION_PATH.fullmatch(c["url"]) for c in shown)
    assert {c["lang"] for c in shown}.isdisjoint({"../../x", "eng/..", "zzz"})
    assert not [p for p in output.rglob("*") if ".." in p.name or p.name == "x"]
