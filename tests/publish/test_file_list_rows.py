"""The file list's ranges as table rows (m019, m021): an upgrade keeps the shards' (the index's
chunks are cut again once), an edit reads only its own.

Small shards and chunks make a few hundred videos behave as a catalog of tens of thousands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.publish.test_publish_properties import read_all
from tests.support.factories import add_video
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.publish import publish_site, rangerows, shardlists, shards
from wistia_sync.publish.buckets import Bucket
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store import state
from wistia_sync.store.db import open_database

SHARDS = "SELECT * FROM publish_file_shards ORDER BY start"
LISTS = "SELECT * FROM publish_file_nodes ORDER BY level, start"


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "SHARD_SIZE", 4)  # 2 to 8 files a shard
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)  # 1 to 4 shards a chunk
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)


def publish(db: Database, out: Path, **options: Any) -> Any:
    return publish_site(db, out, lock_path=out.parent / "lock", **options)


def site(tmp_path: Path, videos: int) -> tuple[Database, Path]:
    tmp_path.mkdir(exist_ok=True)
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(videos):
        add_video(db, f"v{number:04d}")
    out = tmp_path / "out"
    publish(db, out)
    return db, out


def as_an_earlier_release_kept_them(db: Database) -> None:
    """The ranges as one JSON value each in ``sync_state``, and m019 and m021 not yet
    applied (the chunks as that release cut them: one level)."""
    shard_rows = [list(row) for row in db.execute(SHARDS)]
    chunk_rows = [
        [start, count, page, digest, size]
        for _, start, count, _, _, page, digest, size in db.execute(LISTS + " LIMIT 3")
    ]
    db.execute(
        "INSERT INTO sync_state (key, value) VALUES ('publish_file_shards', ?), "
        "('publish_file_shard_lists', ?)",
        [json.dumps(shard_rows), json.dumps(chunk_rows)],
    )
    db.execute("DROP TABLE publish_file_shards")
    db.execute("DROP TABLE publish_file_nodes")
    db.execute(
        "DELETE FROM _sqlite_migrations "
        "WHERE name IN ('m019_file_list_ranges', 'm021_file_list_tree')"
    )


def test_an_upgrade_moves_the_recorded_ranges_into_rows_and_rewrites_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site an earlier release published (at its default page size, 100, never set) keeps
    its page size and its shards: the first publish after the upgrade rewrites no page and no
    shard, only the index's chunks (cut again as a tree, m021) and files.json, and only once."""
    with monkeypatch.context() as earlier:
        earlier.setattr(state, "DEFAULT_PAGE_SIZE", 100)
        db, out = site(tmp_path, 120)
    shard_rows, chunk_rows = db.execute(SHARDS).fetchall(), db.execute(LISTS).fetchall()
    assert len(chunk_rows) > 2  # the index is a tree: the rows say what each chunk covers
    before = read_all(out)
    as_an_earlier_release_kept_them(db)
    db.close()

    db = open_database(tmp_path / "wistia.db")
    assert db.execute(SHARDS).fetchall() == shard_rows
    assert db.execute(LISTS).fetchall() == []  # cut again by the next publish
    assert db.execute(
        "SELECT count(*) FROM sync_state WHERE key GLOB 'publish_file_shard*s'"
    ).fetchone() == (0,)
    assert state.page_size(db) == 100  # pinned: the new default (40) would re-cut every page
    upgraded = publish(db, out, force=True).written
    assert all(path == "files.json" or path.startswith("shard-lists/") for path in upgraded)
    assert len(db.execute(LISTS).fetchall()) > 2
    assert publish(db, out, force=True).written == []
    assert read_all(out) == before

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0060'")
    publish(db, out)
    assert "videos/v0060.json" in read_local_file_list(out)[0].files
    after_edit = read_all(out)
    assert publish(db, out, force=True).written == []
    assert read_all(out) == after_edit


def test_a_new_site_has_the_new_default_page_size_and_a_set_one_is_kept(tmp_path: Path) -> None:
    fresh = open_database(tmp_path / "fresh.db", create=True)
    assert state.page_size(fresh) == 40
    fresh.close()
    db, out = site(tmp_path, 3)
    change_site_settings(db, page_size=7)
    publish(db, out)
    as_an_earlier_release_kept_them(db)
    db.close()
    db = open_database(tmp_path / "wistia.db")
    assert state.page_size(db) == 7


def cost_of_an_edit_list(
    tmp_path: Path, videos: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, int]:
    """SQLite's virtual-machine steps planning the file list after renaming one video, the
    ranges (shards and chunks) it made objects of, and the shards of the list it rewrote times
    the levels of ranges (the shards' and each of the index's tree): what an edit's work is
    proportional to."""
    db, out = site(tmp_path, videos)
    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0001'")
    steps, ranges = 0, 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    class Counted(Bucket):
        __slots__ = ()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            nonlocal ranges
            ranges += 1
            super().__init__(*args, **kwargs)

    original = shards.plan_shards

    def counted(db: Database, touched: Any) -> shards.ShardPlan:
        db.conn.set_progress_handler(count, 1)
        try:
            return original(db, touched)
        finally:
            db.conn.set_progress_handler(None, 1)

    with monkeypatch.context() as patched:
        patched.setattr(shards, "plan_shards", counted)
        for module in (shards, shardlists, rangerows):
            patched.setattr(module, "Bucket", Counted)
        written = publish(db, out).written
    assert "Renamed" in (out / "videos" / "v0001.json").read_text()
    (levels,) = db.execute("SELECT max(level) FROM publish_file_nodes").fetchone()
    db.close()
    rewritten = len([path for path in written if path.startswith("files/")])
    return steps, ranges, rewritten * (1 + levels)


def test_an_edit_plans_the_file_list_from_the_rows_it_touches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither its SQLite work nor the ranges it holds grow with the shards and chunks but by
    the index's depth: five times the catalog (five times the rows, a level more) costs what
    the smaller one does a shard and a level, within a margin.

    Both are counted a shard the edit rewrote: the search index's files it writes have
    content-hashed names, so they fall in different shards (3 or 4 here) from run to run."""
    few_steps, few_ranges, few_shards = cost_of_an_edit_list(tmp_path / "few", 200, monkeypatch)
    many_steps, many_ranges, many_shards = cost_of_an_edit_list(
        tmp_path / "many", 1000, monkeypatch
    )
    shard_rows = open_database(tmp_path / "many" / "wistia.db").execute(SHARDS).fetchall()
    assert len(shard_rows) > 4 * many_ranges
    assert many_ranges / many_shards <= few_ranges / few_shards + 1
    assert many_steps / many_shards < 1.2 * few_steps / few_shards
