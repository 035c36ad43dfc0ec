"""A rebuild streams: each file is staged as it is rendered, so the publish holds each file's
path and hash, never the whole batch's bytes; a plan that is not carried out leaves no temp file.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.errors import PublishAborted
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lock import publish_lock_path

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
