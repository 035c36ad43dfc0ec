"""A page store records the publisher's pending changes itself, one row per changed video, and
they are exactly the videos the row-by-row triggers would have recorded (m013)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.sync.test_sync import TOKEN, sync
from wistia_sync.catalog.editing import add_tags
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store import changes
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.state import content_version
from wistia_sync.sync import pages


def pending(db: Database) -> list[str]:
    rows = db.execute("SELECT key FROM publish_changes WHERE kind = 'video' ORDER BY id")
    return [row[0] for row in rows.fetchall()]


def consume(db: Database) -> None:
    db.execute("DELETE FROM publish_changes")


def edit_wistia(fake: FakeWistia, db: Database) -> None:
    """One of each change a sync can see: renamed, retagged, tags dropped, archived, a change
    to a column that is not published (``id``, stored wrong), a deleted video that comes back,
    a new one."""
    media = [m for m in fake.media() if not m["archived"]]
    fake.update(media[0]["hashed_id"], name="Renamed in Wistia")
    fake.update(media[1]["hashed_id"], tags=[{"name": "brand-new-tag"}, {"name": "second"}])
    fake.update(media[2]["hashed_id"], tags=[])
    fake.archive(media[3]["hashed_id"])
    db.execute("UPDATE videos SET id = 1 WHERE hashed_id = ?", [media[4]["hashed_id"]])
    db.execute(
        "UPDATE videos SET deleted_at = '2026-01-01T00:00:00Z' WHERE hashed_id = ?",
        [media[5]["hashed_id"]],
    )
    new = dict(media[6], hashed_id="zzzznew001", id=123, name="New in Wistia")
    fake.add(new)


@contextlib.contextmanager
def triggers_only(db: Database) -> Iterator[set[str]]:
    """What the page store did before m013: leave every change to the triggers."""
    yield set()


def run_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The pending changes of a full re-crawl after ``edit_wistia``, recorded by the page
    store itself and by the triggers alone, each on its own copy of the same history."""
    results = []
    for name, recorder in (("own", changes.videos_changes_recorded_here), ("triggers", None)):
        with monkeypatch.context() as patch:
            if recorder is None:
                patch.setattr(pages, "videos_changes_recorded_here", triggers_only)
            fake = FakeWistia(*generate_catalog(250, seed=7), token=TOKEN)
            db = open_database(tmp_path / f"{name}.db", create=True)
            sync(db, fake, stats_budget=0)
            edit_wistia(fake, db)
            consume(db)  # (what the edits made by hand recorded)
            version = content_version(db)
            sync(db, fake, stats_budget=0, full=True)
            assert content_version(db) > version
            results.append(pending(db))
            db.conn.close()
    return results[0], results[1]


def test_a_recrawl_records_the_videos_the_triggers_would_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, by_triggers = run_both(tmp_path, monkeypatch)
    assert set(own) == set(by_triggers)
    assert len(set(own)) == 6  # the `id` change alone is not a published change
    assert len(own) == len(set(own))  # once each


def test_a_full_crawl_records_each_new_video_once_not_once_per_tag_link(db_path: Path) -> None:
    fake = FakeWistia(*generate_catalog(250, seed=7), token=TOKEN)
    db = open_database(db_path, create=True)
    sync(db, fake, stats_budget=0)
    changed = pending(db)
    assert sorted(changed) == sorted(m["hashed_id"] for m in fake.media())
    assert db.execute("SELECT count(*) FROM video_tags").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM change_tracking_paused").fetchone()[0] == 0


def test_writes_after_a_sync_and_a_failed_page_store_are_tracked_by_the_triggers(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeWistia(*generate_catalog(30, seed=3), token=TOKEN)
    db = open_database(db_path, create=True)
    sync(db, fake, stats_budget=0)
    consume(db)

    def broken(*args: object) -> set[str]:
        raise RuntimeError("storing the tags failed")

    fake.update(fake.media()[0]["hashed_id"], name="Renamed")
    with monkeypatch.context() as patch:
        patch.setattr(pages, "_replace_wistia_tags", broken)
        with pytest.raises(RuntimeError):
            sync(db, fake, stats_budget=0, full=True)
    assert db.execute("SELECT count(*) FROM change_tracking_paused").fetchone()[0] == 0
    assert pending(db) == []  # the page was rolled back

    video = fake.media()[1]["hashed_id"]
    version = content_version(db)
    add_tags(db, [video], ["editor-tag"], actor="editor")
    assert pending(db) == [video]
    assert content_version(db) > version
    with write_transaction(db):
        db.execute("UPDATE videos SET name = 'by hand' WHERE hashed_id = ?", [video])
    assert pending(db) == [video, video, video]  # the update trigger records OLD and NEW


def test_changes_are_recorded_here_only_inside_a_write_transaction(db_path: Path) -> None:
    db = open_database(db_path, create=True)
    with pytest.raises(RuntimeError), changes.videos_changes_recorded_here(db):
        pass


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wistia.db"
