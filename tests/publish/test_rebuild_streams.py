"""A rebuild streams: each file is staged as it is rendered, so the publish holds each file's
path and hash, never the whole batch's bytes; a plan that is not carried out leaves no temp file.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.errors import PublishAborted
from wistia_sync.publish import publish_site, snapshot
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.store.state import DEFAULT_TAKEDOWN_GRACE_SECONDS

DESCRIPTION = "A long description of the video. " * 120  # about 4 KB in every file showing it


def catalog(root: Path, videos: int) -> Path:
    path = root / f"wistia-{videos}.db"
    db = open_database(path, create=True)
    with write_transaction(db):
        for n in range(5):
            add_folder(db, f"folder{n}")
        for n in range(videos):
            hashed_id = f"vid{n:06d}"
            created = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T00:{n % 60:02d}:{n // 60 % 60:02d}Z"
            add_video(
                db,
                hashed_id,
                description=DESCRIPTION,
                created=created,
                folder_hashed_id=f"folder{n % 5}",
            )
            for tag in (n % 7, 7 + n % 5, 12 + n % 3):
                tag_video(db, hashed_id, f"Tag {tag}")
    db.conn.close()
    return path


def rebuild_peak(database: Path, output: Path) -> int:
    """Bytes of Python memory at the peak of ``publish_site(force=True)``."""
    db = open_database(database)
    tracemalloc.start()
    try:
        publish_site(db, output, lock_path=publish_lock_path(database), force=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        db.conn.close()


def test_a_rebuild_holds_each_file_once_on_disk_not_the_whole_batch_in_memory(
    tmp_path: Path,
) -> None:
    small, large = 300, 1200
    peaks = {n: rebuild_peak(catalog(tmp_path, n), tmp_path / f"out-{n}") for n in (small, large)}
    written = sum(p.stat().st_size for p in (tmp_path / f"out-{large}").rglob("*.json"))
    per_video = (peaks[large] - peaks[small]) / (large - small)
    bytes_per_video = written / large  # each video's text is in its file and ~5 playlists
    # Holding the batch costs every byte written (~25 KB a video here); streaming, about one
    # copy of the video's text (4 KB) and a few hundred bytes of paths, hashes and keys.
    assert bytes_per_video > 20_000
    assert per_video < bytes_per_video / 3, (per_video, bytes_per_video)


def test_a_publish_the_guard_refuses_leaves_no_staged_file(tmp_path: Path) -> None:
    database = tmp_path / "wistia.db"
    db = open_database(database, create=True)
    with write_transaction(db):
        for n in range(30):
            add_video(db, f"vid{n:06d}")
    out, lock = tmp_path / "out", publish_lock_path(database)
    publish_site(db, out, lock_path=lock)
    with write_transaction(db):
        db.execute("UPDATE videos SET archived = 1 WHERE hashed_id > 'vid000004'")
        db.execute("UPDATE videos SET name = 'renamed' WHERE hashed_id <= 'vid000004'")
    with pytest.raises(PublishAborted):
        publish_site(db, out, lock_path=lock, force=True)
    temp = out / ".wistia-sync-tmp"
    assert sorted(path.name for path in temp.iterdir()) == ["mtime-clock"]
    assert b"renamed" not in (out / "videos.json").read_bytes()


def test_each_video_gets_its_own_tags_whatever_order_its_rows_were_written_in(
    tmp_path: Path,
) -> None:
    """Videos and tag links are read in hashed_id order and merged: rows written in another
    order, and links of unpublished videos between them, still give each video its own tags."""
    database = tmp_path / "wistia.db"
    db = open_database(database, create=True)
    with write_transaction(db):
        for n in reversed(range(40)):
            hashed_id = f"vid{n:06d}"
            add_video(db, hashed_id, visibility="hidden" if n % 4 == 1 else "public")
            for tag in {n % 3, n % 5 + 3}:
                tag_video(db, hashed_id, f"Tag {tag}")
    out = tmp_path / "out"
    publish_site(db, out, lock_path=publish_lock_path(database), force=True)
    for n in range(40):
        path = out / "videos" / f"vid{n:06d}.json"
        if n % 4 == 1:
            assert not path.exists()
            continue
        tags = json.loads(path.read_bytes())["video"]["tags"]
        assert sorted(tag["name"] for tag in tags) == sorted({f"Tag {n % 3}", f"Tag {n % 5 + 3}"})


@pytest.mark.parametrize("force", [True, False], ids=["rebuild", "incremental"])
def test_what_a_publish_holds_for_its_state_goes_with_it(tmp_path: Path, force: bool) -> None:
    """The buckets, pages and texts a publish hands to SQLite until its state is recorded live in
    temp tables of its connection, gone once it ends; the state is what a rebuild records."""
    database = tmp_path / "wistia.db"
    db = open_database(database, create=True)
    with write_transaction(db):
        for n in range(30):
            add_video(db, f"vid{n:06d}")
            tag_video(db, f"vid{n:06d}", f"Tag {n % 4}")
    out, lock = tmp_path / "out", publish_lock_path(database)
    publish_site(db, out, lock_path=lock)
    with write_transaction(db):
        db.execute("UPDATE videos SET name = 'renamed' WHERE hashed_id = 'vid000003'")
    publish_site(db, out, lock_path=lock, force=force)
    temp_tables = db.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'").fetchall()
    assert temp_tables == []
    state = _state(db)
    publish_site(db, out, lock_path=lock, force=True)
    assert _state(db) == state
    texts = dict(db.execute("SELECT hashed_id, json FROM publish_videos").fetchall())
    assert '"name":"renamed"' in texts["vid000003"]
    assert len(texts) == 30


def _state(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    tables = ["publish_pages", "publish_videos", "publish_buckets"]
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables
    }


def test_a_rebuild_reads_the_recorded_state_with_each_path_and_number_once(tmp_path: Path) -> None:
    """A rebuild of a published site reads every video's recorded playlists and every file's
    record: one string a playlist path and one int a size or mtime, however many rows name
    them (a published 100k site's rebuild held ~40 MB more without: docs/benchmarks.md)."""
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(6):
        add_video(db, f"v{number}")
        tag_video(db, f"v{number}", "Shared")
    publish_site(db, tmp_path / "out", lock_path=tmp_path / "lock")

    memberships = snapshot.memberships(db, None)
    paths = {id(path) for playlists in memberships.values() for path in playlists}
    assert len(memberships) == 6 and len(paths) == 2  # "All videos" and the tag's playlist
    records = list(snapshot.file_records(db, None).values())
    for numbers in ([r.mtime_ns for r in records], [r.size for r in records]):
        assert len({id(number) for number in numbers}) == len(set(numbers)) < len(numbers)


def test_a_rebuild_takes_down_every_file_of_a_video_hidden_since_the_last_publish(
    tmp_path: Path,
) -> None:
    """A rebuild reads the recorded places of the videos it stops publishing only: those are
    enough for every file it leaves showing a hidden video to be a retired page that goes after
    the takedown grace (10 minutes), not the page grace (24 hours)."""
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, page_size=2)  # pages past the first: some are retired, not removed
    for number in range(12):
        add_video(db, f"v{number:02d}", created=f"2024-01-{number + 1:02d}T00:00:00Z")
        tag_video(db, f"v{number:02d}", "Shared")
    out = tmp_path / "out"
    publish_site(db, out, lock_path=tmp_path / "lock")
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'v03'")
    add_video(db, "v99", created="2023-01-01T00:00:00Z")  # every bucket after it moves

    result = publish_site(db, out, lock_path=tmp_path / "lock", force=True)

    assert "videos/v03.json" in result.removed
    showing = sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and b'"v03"' in p.read_bytes()
    )
    assert showing, "the test needs a retired page holding the hidden video"
    latest = (datetime.now(UTC) + timedelta(seconds=DEFAULT_TAKEDOWN_GRACE_SECONDS + 60)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    for path in showing:
        (expires_at,) = db.execute(
            "SELECT expires_at FROM published_files WHERE path = ?", [path]
        ).fetchone()
        assert expires_at is not None and expires_at <= latest, path
