"""The file list ordered by key (m027): a search file's key puts its kind and place first, so the
file an edit writes in place of one sorts beside it; every other file's key is its path.

Small shards (file list and search index) make a hundred videos behave like a large catalog.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.publish.test_publish_properties import read_all
from tests.support.factories import add_video, tag_video
from wistia_sync.contract.filelist import (
    expand_index,
    local_shard_reader,
    parse_file_index,
    parse_shard,
    read_local_file_list,
    read_local_index,
    shards_covering,
)
from wistia_sync.contract.layout import SEARCH_SHARD_PATH
from wistia_sync.publish import publish_site, search_index, shardlists, shards
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database, write_transaction

PLACES = "SELECT kind, start_number, path FROM search_shards"
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "SHARD_SIZE", 4)  # 2 to 8 files a shard
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 16)  # many term shards


def publish(db: Database, out: Path, **options: Any) -> Any:
    return publish_site(db, out, lock_path=out.parent / "lock", **options)


def catalog(folder: Path, videos: int = 90) -> Database:
    folder.mkdir(parents=True, exist_ok=True)
    db = open_database(folder / "wistia.db", create=True)
    change_site_settings(db, takedown_grace=timedelta(0))
    with write_transaction(db):
        for i in range(videos):
            name = f"{WORDS[i % 12]} {WORDS[(i * 5) % 12]} {WORDS[(i * 7) % 12]} n{i}"
            add_video(db, f"v{i:04d}", name=name, created=f"2024-02-{i % 28 + 1:02d}T00:00:00Z")
    return db


def edit(db: Database, step: int) -> None:
    target = f"v{(step * 37) % 90:04d}"
    with write_transaction(db):
        if step % 3 == 0:
            db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [target])
        elif step % 3 == 1:
            tag_video(db, target, f"Topic {step % 4}", source="editor")
        else:
            db.execute(
                "UPDATE videos SET name = ? WHERE hashed_id = ?", [f"{WORDS[step % 12]} x", target]
            )


def expected_keys(db: Database) -> dict[str, str]:
    """The oracle: each current search file's key from the search index's own record of it
    (its kind and place, spelt out as the README does), every other file's its path."""
    rows = db.execute(PLACES)
    keys = {path: f"search/{kind}{place:06x}/{path[7:]}" for kind, place, path in rows}
    return {
        path: keys.get(path, path)
        for (path,) in db.execute("SELECT path FROM published_files WHERE expires_at IS NULL")
    }


def assert_ordered_by_key(db: Database, out: Path) -> None:
    """The list read as a reader reads it: its shards, in order, hold the files in key order,
    each shard from its ``first`` (its first file's key) up to the next one's."""
    index, _ = read_local_index(out)
    read = local_shard_reader(out)
    recorded = dict(db.execute("SELECT path, key FROM published_files"))
    oracle = expected_keys(db)
    keys: list[str] = []
    for number, ref in enumerate(index.shards):
        paths = list(parse_shard(read(ref), ref, ref.path))
        shard_keys = [recorded[path] for path in paths]
        assert shard_keys == sorted(shard_keys)
        assert ref.first == ("" if number == 0 else shard_keys[0])
        keys += shard_keys
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for path, key in oracle.items():  # current files: the key the rule gives
        assert recorded[path] == key
    kinds = {key[len("search/")] for path, key in oracle.items() if key != path}
    assert kinds == {"t", "r", "l"}  # the catalog has every kind of search file


def test_the_list_is_ordered_by_key_through_edits_and_a_rebuild_rewrites_nothing(
    tmp_path: Path,
) -> None:
    db = catalog(tmp_path)
    out = tmp_path / "out"
    publish(db, out)
    assert_ordered_by_key(db, out)
    for step in range(12):
        edit(db, step)
        publish(db, out)
        assert_ordered_by_key(db, out)
    before = read_all(out)
    assert publish(db, out, force=True).written == []
    assert read_all(out) == before


def test_a_search_file_an_edit_writes_sorts_beside_the_one_it_replaces(tmp_path: Path) -> None:
    """A hide rewrites the term shards of the terms the video had, its record block and their
    list: each new file's key has the kind and place of one it replaced, so the two fall in the
    same or adjacent shards of the list."""
    db = catalog(tmp_path)
    out = tmp_path / "out"
    publish(db, out)
    before = dict(db.execute("SELECT path, key FROM published_files WHERE key != path"))
    edit(db, 0)  # a hide
    publish(db, out)
    after = dict(
        db.execute("SELECT path, key FROM published_files WHERE key != path AND expires_at IS NULL")
    )
    new = {after[path] for path in after.keys() - before.keys()}
    old_places = {key.rpartition("/")[0] for key in before.values()}
    assert new and all(key.rpartition("/")[0] in old_places for key in new)


def test_a_reader_finds_a_search_file_by_its_path(tmp_path: Path) -> None:
    """``shards_covering`` (what a delivery reads to look paths up) finds every listed file,
    search files included, though their keys are not their paths."""
    db = catalog(tmp_path)
    out = tmp_path / "out"
    publish(db, out)
    raw = (out / "files.json").read_bytes()
    read = local_shard_reader(out)
    index = expand_index(parse_file_index(raw, "files.json"), read, "files.json")
    ordered = sorted(index.shards, key=lambda ref: ref.first)
    listed = read_local_file_list(out)[0].files
    assert any(SEARCH_SHARD_PATH.fullmatch(path) for path in listed)
    for path in listed:
        found: dict[str, Any] = {}
        for ref in shards_covering(ordered, path):
            found.update(parse_shard(read(ref), ref, ref.path))
        assert path in found


def as_an_earlier_release_published(db_path: Path) -> None:
    """The database as the release before m027 leaves it: no key column, m027 not applied."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("DROP INDEX published_files_key")
        conn.execute("ALTER TABLE published_files DROP COLUMN key")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm027_file_list_keys'")
    conn.close()


def test_a_site_published_by_path_converges_on_its_next_edit_and_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site an earlier release published (its list ordered by path) keeps working: the
    upgrade gives its search files their keys, the next edit cuts the list again by key, and
    after it a ``--force`` writes nothing."""
    db = catalog(tmp_path)
    out = tmp_path / "out"
    with monkeypatch.context() as earlier:
        earlier.setattr(search_index, "search_file_key", lambda kind, path, place: path)
        publish(db, out)
        edit(db, 0)
        publish(db, out)
    assert db.execute("SELECT count(*) FROM published_files WHERE key != path").fetchone() == (0,)
    db.close()
    as_an_earlier_release_published(tmp_path / "wistia.db")

    db = open_database(tmp_path / "wistia.db")
    assert expected_keys(db) == dict(
        db.execute("SELECT path, key FROM published_files WHERE expires_at IS NULL")
    )
    edit(db, 1)
    publish(db, out)
    assert_ordered_by_key(db, out)
    before = read_all(out)
    assert publish(db, out, force=True).written == []
    assert read_all(out) == before
