"""An edit plans a window of a long playlist (issue 19, target 5): the buckets around its changed
keys, each run of them normalised on its own, the rest as recorded. What it publishes must be
byte for byte what planning the whole playlist (and a rebuild) gives.

Small pages and chunks make a hundred videos behave as a long playlist of a large catalog does.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from tests.publish.test_publish_properties import read_all
from tests.support.factories import add_video, tag_video
from tests.support.fresh_compare import fresh_differences
from wistia_sync.publish import pagelists, publish_site, shardlists, shards, snapshot
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.publish.window import Window
from wistia_sync.store.db import open_database, write_transaction

TAGS = ["Alpha", "Beta", "Gamma"]


def _hashed_id(number: int) -> str:
    return f"win{number:04d}qz"


def _created(number: int) -> str:
    return f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}T00:00:{number % 60:02d}Z"


def _catalog(root: Path, videos: int, page_size: int) -> Database:
    db = open_database(root / "wistia.db", create=True)
    change_site_settings(db, page_size=page_size)
    with write_transaction(db):
        for number in range(videos):
            add_video(db, _hashed_id(number), created=_created(number))
            if number % 4:
                tag_video(db, _hashed_id(number), TAGS[number % 3])
    return db


def _publish(db: Database, out: Path, **options: Any) -> Any:
    return publish_site(db, out, lock_path=out.parent / "lock", **options)


def _apply(db: Database, edit: tuple[str, int, int], videos: int) -> None:
    action, number, other = edit
    target = _hashed_id(number % videos)
    if action in ("hide", "show"):
        visibility = "hidden" if action == "hide" else "public"
        db.execute("UPDATE videos SET visibility = ? WHERE hashed_id = ?", [visibility, target])
    elif action == "hide_run":  # a run of neighbours in playlist order: buckets shrink and merge
        db.execute(
            "UPDATE videos SET visibility = 'hidden' WHERE hashed_id IN "
            "(SELECT hashed_id FROM videos ORDER BY created DESC, hashed_id LIMIT 12 OFFSET ?)",
            [number % videos],
        )
    elif action == "tag_add":
        tag_video(db, target, TAGS[other % 3], source="editor")
    elif action == "tag_remove":
        db.execute("DELETE FROM video_tags WHERE hashed_id = ?", [target])
    elif action == "move":  # a new created date: its sort key moves it to another bucket
        db.execute(
            "UPDATE videos SET created = ? WHERE hashed_id = ?", [_created(other * 7 + 3), target]
        )
    elif action == "empty_tag":
        db.execute(
            "DELETE FROM video_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ?)",
            [TAGS[other % 3]],
        )
    else:  # refill: a tag on a run of videos, a bucket's worth and more arriving at once
        for step in range(10):
            tag_video(db, _hashed_id((number + step) % videos), TAGS[other % 3], source="editor")


def _state(db: Database) -> list[Any]:
    """The publisher's recorded buckets and page-list chunks: what the next edit starts from."""
    buckets = db.execute(
        "SELECT playlist, start_key, size, page, members FROM publish_buckets "
        "ORDER BY playlist, start_key"
    ).fetchall()
    chunks = db.execute(
        "SELECT key, value FROM sync_state WHERE key LIKE 'publish_page_lists:%' ORDER BY key"
    ).fetchall()
    return [*buckets, *chunks]


def _rebuilt_copy(db: Database, root: Path, name: str) -> tuple[Database, Path]:
    """A copy of the database, published whole into a fresh folder."""
    target = sqlite3.connect(root / f"{name}.db")
    db.conn.backup(target)
    target.close()
    copy = open_database(root / f"{name}.db")
    fresh = root / name
    _publish(copy, fresh)
    return copy, fresh


actions = st.sampled_from(
    ["hide", "show", "hide_run", "tag_add", "tag_remove", "move", "empty_tag", "refill"]
)
batches = st.lists(
    st.lists(st.tuples(actions, st.integers(0, 200), st.integers(0, 40)), min_size=1, max_size=3),
    min_size=1,
    max_size=6,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    videos=st.integers(40, 140), page_size=st.integers(2, 4), chunk=st.integers(1, 3), steps=batches
)
def test_a_windowed_edit_publishes_what_a_rebuild_of_the_same_database_does(
    videos: int, page_size: int, chunk: int, steps: list[list[tuple[str, int, int]]]
) -> None:
    """After every batch of edits, each file of the incremental publish equals a fresh rebuild's,
    ``--force`` writes nothing, and the recorded buckets and chunks are the rebuild's."""
    with (
        patch.object(pagelists, "CHUNK_SIZE", chunk),
        patch.object(shardlists, "LIST_SIZE", 2),
        patch.object(shards, "SHARD_SIZE", 16),
        tempfile.TemporaryDirectory() as scratch,
    ):
        root = Path(scratch)
        db = _catalog(root, videos, page_size)
        out = root / "out"
        _publish(db, out)
        for number, batch in enumerate(steps):
            with write_transaction(db):
                for edit in batch:
                    _apply(db, edit, videos)
            _publish(db, out)
            copy, fresh = _rebuilt_copy(db, root, f"fresh{number}")
            assert fresh_differences(read_all(out), out, read_all(fresh), fresh) == []
            assert _state(db) == _state(copy)
            copy.close()
        current = read_all(out)
        forced = _publish(db, out, force=True)
        assert (forced.written, forced.removed) == ([], [])
        assert read_all(out) == current
        db.close()


def test_an_edit_reads_the_buckets_around_its_change_not_the_whole_playlist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _catalog(tmp_path, 160, 2)
    out = tmp_path / "out"
    _publish(db, out)
    read_whole = _record_whole_reads(monkeypatch)
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [_hashed_id(77)])
    result = _publish(db, out)
    assert "videos.json" in result.written
    assert all(playlists is not None and "videos.json" not in playlists for playlists in read_whole)


def _record_whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """The playlists each whole-playlist read of buckets asks for (None: every playlist)."""
    read_whole: list[list[str] | None] = []
    whole = snapshot.buckets

    def recording(db: Database, playlists: Any) -> Any:
        read_whole.append(None if playlists is None else sorted(playlists))
        return whole(db, playlists)

    monkeypatch.setattr(snapshot, "buckets", recording)
    return read_whole


def _buckets(sizes: list[int], dirty: list[bool]) -> list[Bucket]:
    """Buckets with members of their own (a dirty one's size is its recorded one, its members
    what it holds now), each ending where the next starts."""
    buckets = []
    for index, (size, is_dirty) in enumerate(zip(sizes, dirty, strict=True)):
        start = "" if index == 0 else f"k{index:03d}"
        members: list[Member] = [(f"k{index:03d}-{j:03d}", f"h{index}-{j}") for j in range(size)]
        bucket = Bucket(start, -1 if is_dirty else size, f"p{index}", dirty=is_dirty)
        bucket.members = members
        buckets.append(bucket)
    for bucket, following in itertools.pairwise(buckets):
        bucket.end = following.start
    return buckets


def _load(bucket: Bucket) -> list[Member]:
    assert bucket.members is not None
    return bucket.members


def _shape(buckets: list[Bucket]) -> list[tuple[str, int, list[Member] | None, bool]]:
    return [(b.start, b.size, b.members, b.dirty) for b in buckets]


@settings(max_examples=400, deadline=None)
@given(
    page_size=st.integers(1, 6),
    shape=st.lists(st.tuples(st.integers(0, 14), st.booleans()), min_size=1, max_size=14),
)
def test_normalising_the_window_run_by_run_is_normalising_the_whole(
    page_size: int, shape: list[tuple[int, bool]]
) -> None:
    """Any sizes, recorded buckets too small or too large included: each run of the window (every
    dirty bucket and its neighbours, and the first two) normalised alone, the rest kept, equals
    normalising every bucket, or the window says it cannot settle."""
    sizes, dirty = [size for size, _ in shape], [flag for _, flag in shape]
    inside = {0, 1} | {n for i, d in enumerate(dirty) if d for n in (i - 1, i, i + 1)}
    inside &= set(range(len(sizes)))
    buckets = _buckets(sizes, dirty)
    runs: list[list[Bucket]] = []
    for index, bucket in enumerate(buckets):
        if index in inside:
            if index - 1 not in inside:
                runs.append([])
            runs[-1].append(bucket)
    window = Window(runs, len(sizes), sum(sizes))
    settled = window.normalise(page_size, _load)
    expected = normalise(_buckets(sizes, dirty), page_size, _load)
    if settled is None:  # the first run merged into one bucket still too small to stand
        assert 2 * sum(sizes[index] for index in range(len(runs[0]))) < page_size
        return
    kept = [bucket for index, bucket in enumerate(buckets) if index not in inside]
    result = sorted(kept + settled, key=lambda bucket: bucket.start)  # the runs' key ranges
    assert _shape(result) == _shape(expected)


def test_a_window_that_cannot_settle_plans_the_playlist_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a recorded bucket under half a page leaves the first run unsettled, which no publish
    records; whatever made it, the publish then reads the playlist whole, with the same result."""
    db = _catalog(tmp_path, 120, 2)
    out = tmp_path / "out"
    _publish(db, out)
    read_whole = _record_whole_reads(monkeypatch)
    monkeypatch.setattr(Window, "normalise", lambda self, page_size, load: None)
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [_hashed_id(5)])
    _publish(db, out)
    assert ["videos.json"] in read_whole
    copy, fresh = _rebuilt_copy(db, tmp_path, "fresh")
    assert fresh_differences(read_all(out), out, read_all(fresh), fresh) == []
    assert _state(db) == _state(copy)
