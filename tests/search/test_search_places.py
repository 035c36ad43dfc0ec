"""Term shards in places (``search/t<start number, hex>/<hash>.json``): the file replacing a
shard sorts beside it in the file list, a place goes with its last file, and a site whose term
shards are beside the entry (the earlier layout) keeps working and moves over."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.search.reader import PublishedIndex
from tests.search.test_search_index import WORDS, _assert_index_matches_database
from tests.support.factories import add_video
from wistia_sync.contract import layout
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.contract.layout import (
    RECORDED_PATH,
    SEARCH_SHARD_PATH,
    cache_class,
    published_path,
    search_place,
    search_shard_path,
    term_shard_path,
)
from wistia_sync.publish import publish_site, search_index
from wistia_sync.publish.output import OutputFolder, UnsafeOutputError
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database, write_transaction


def _catalog(root: Path, size: int = 80) -> Database:
    db = open_database(root / "wistia.db", create=True)
    change_site_settings(db, grace=timedelta(0))
    with write_transaction(db):
        for i in range(size):
            words = " ".join(WORDS[(i * k) % 26] for k in (1, 3, 7))
            created = f"2024-01-{i % 28 + 1:02d}T00:00:{i % 60:02d}Z"
            add_video(db, f"vid{i:04d}", name=f"{words} common", created=created)
    return db


def _linked(out: Path) -> list[str]:
    """Every search file the entry reaches, by its path from the output."""
    index = PublishedIndex(out)
    paths = [path for _, _, path in index.term_shards()]
    for _, url in index.entry["record_lists"]:
        listed = index.resolve("search/index.json", url)
        paths.append(listed)
        paths += [index.resolve(listed, block) for _, block in index.read(listed)["blocks"]]
    return paths


def _places(out: Path) -> list[Path]:
    return sorted(path for path in (out / "search").iterdir() if path.is_dir())


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, Path, Path]:
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 8)
    db = _catalog(tmp_path)
    out, lock = tmp_path / "out", tmp_path / "lock"
    publish_site(db, out, lock_path=lock)
    return db, out, lock


def test_a_term_shard_is_in_the_place_of_its_start_named_by_its_hash(
    site: tuple[Database, Path, Path],
) -> None:
    """Each term shard the entry lists is ``t<its start number, hex>/<sha256 prefix>.json``:
    the name is still the content's hash (the readers' rule), the folder its range's start."""
    _, out, _ = site
    index = PublishedIndex(out)
    assert len(index.term_shards()) > 20
    for _, number, path in index.term_shards():
        content = (out / path).read_bytes()
        assert path == term_shard_path(hashlib.sha256(content).hexdigest(), number)
        assert path.split("/")[1] == search_place(number)
        assert SEARCH_SHARD_PATH.fullmatch(path) and RECORDED_PATH.fullmatch(path)
        assert published_path().fullmatch(path) and cache_class(path) == "immutable"
    for path in _linked(out):  # record blocks and lists stay beside the entry
        if "/t" not in path:
            assert path.count("/") == 1 and SEARCH_SHARD_PATH.fullmatch(path)
    listed = set(read_local_file_list(out)[0].files)
    assert set(_linked(out)) <= listed


def test_the_shard_an_edit_writes_replaces_one_in_the_same_place(
    site: tuple[Database, Path, Path],
) -> None:
    """An edit that keeps a shard's range writes its new version in the same folder, so both
    fall in the same stretch of the file list; once the grace is over the old one goes, and a
    place left empty goes with it."""
    db, out, lock = site
    before = {number: path for _, number, path in PublishedIndex(out).term_shards()}
    with write_transaction(db):
        db.execute("UPDATE videos SET name = 'alpha zulu renamed' WHERE hashed_id = 'vid0040'")
    edited = publish_site(db, out, lock_path=lock)
    written = [p for p in edited.new_pages if p.startswith("search/t")]
    assert written
    after = {number: path for _, number, path in PublishedIndex(out).term_shards()}
    replaced = [number for number in after if number in before and after[number] != before[number]]
    assert replaced
    for number in replaced:
        assert after[number].rpartition("/")[0] == before[number].rpartition("/")[0]
    publish_site(db, out, lock_path=lock, force=True)  # the grace (0) is over: they go
    linked = set(_linked(out))
    on_disk = {p.relative_to(out).as_posix() for p in (out / "search").rglob("*.json")}
    assert on_disk - {"search/index.json"} == linked
    assert all(any(place.iterdir()) for place in _places(out))  # no empty place is left
    _assert_index_matches_database(db, out)


def test_a_hidden_video_takes_its_places_when_they_empty(
    site: tuple[Database, Path, Path],
) -> None:
    """A takedown removes every search file that may hold the video at once; the places they
    leave empty go too, and no file anywhere under the search folder names it."""
    db, out, lock = site
    index = PublishedIndex(out)
    numbers = [number for _, number, _ in index.term_shards()]
    alone = next(n for n in numbers if n and numbers.count(n) == 1)  # a place of one shard
    hidden = index.records[alone]["hashed_id"]
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [hidden])
    publish_site(db, out, lock_path=lock)
    assert not (out / "search" / search_place(alone)).exists()  # its range starts further on
    for path in (out / "search").rglob("*.json"):
        assert hidden.encode() not in path.read_bytes()
    assert all(any(place.iterdir()) for place in _places(out))
    now = {number for _, number, _ in PublishedIndex(out).term_shards()}
    assert {place.name for place in _places(out)} == {search_place(n) for n in now}
    _assert_index_matches_database(db, out)


def test_a_site_with_term_shards_beside_the_entry_keeps_working_and_moves_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site the earlier layout published (every term shard ``search/<hash>.json``): an edit
    writes the shards it changes in their places and links the others where they are (the
    entry leads to both, each named by its hash); a rebuild moves the rest, their old files go
    after the grace, and the rebuild after it writes nothing."""
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 8)
    db = _catalog(tmp_path)
    out, lock = tmp_path / "out", tmp_path / "lock"
    with monkeypatch.context() as earlier:
        flat_path = lambda digest, _: search_shard_path(digest)  # noqa: E731
        earlier.setattr(search_index, "term_shard_path", flat_path)
        publish_site(db, out, lock_path=lock)
    flat = [path for _, _, path in PublishedIndex(out).term_shards()]
    assert flat and all(path.count("/") == 1 for path in flat) and not _places(out)

    with write_transaction(db):
        db.execute("UPDATE videos SET name = 'bravo yankee renamed' WHERE hashed_id = 'vid0033'")
    publish_site(db, out, lock_path=lock)
    mixed = [path for _, _, path in PublishedIndex(out).term_shards()]
    assert any(p.count("/") == 2 for p in mixed) and any(p.count("/") == 1 for p in mixed)
    for path in _linked(out):
        name = path.rpartition("/")[2].removesuffix(".json")
        assert hashlib.sha256((out / path).read_bytes()).hexdigest().startswith(name)
    _assert_index_matches_database(db, out)

    publish_site(db, out, lock_path=lock, force=True)
    assert all(p.count("/") == 2 for _, _, p in PublishedIndex(out).term_shards())
    publish_site(db, out, lock_path=lock, force=True)  # the grace (0) is over: the flat go
    assert publish_site(db, out, lock_path=lock, force=True).written == []
    on_disk = {p.relative_to(out).as_posix() for p in (out / "search").rglob("*.json")}
    assert on_disk - {"search/index.json"} == set(_linked(out))
    _assert_index_matches_database(db, out)


def test_the_sweep_takes_an_orphan_in_a_place_and_an_empty_place_never_a_foreign_file(
    site: tuple[Database, Path, Path],
) -> None:
    """A term shard no record names (a crash between its rename and the commit) is swept from
    its place by the next rebuild once past the grace, and its place with it; an empty place
    (a crash between making it and the rename) goes; a file the publisher never names stays."""
    db, out, lock = site
    orphan = out / term_shard_path("ab" * 32, 0xFFFFF0)
    orphan.parent.mkdir()
    orphan.write_bytes(b"{}")
    empty = out / "search" / search_place(0xFFFFF1)
    empty.mkdir()
    foreign = out / "search" / search_place(0xFFFFF2) / "notes.json"
    foreign.parent.mkdir()
    foreign.write_bytes(b"mine")
    old = 1_000_000_000
    for path in (orphan, foreign):
        os.utime(path, (old, old))
    publish_site(db, out, lock_path=lock, force=True)
    assert not orphan.exists() and not orphan.parent.exists() and not empty.exists()
    assert foreign.read_bytes() == b"mine"


def test_a_place_that_is_a_symlink_is_never_written_or_removed_through(tmp_path: Path) -> None:
    """A place is a folder the publisher makes: one replaced by a symlink is refused for a
    write and left alone by a removal, so nothing outside the output is touched."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ("cd" * 10 + ".json")).write_bytes(b"not ours")
    folder = OutputFolder(out)
    folder.prepare()
    (out / "search").mkdir()
    place = out / "search" / search_place(7)
    place.symlink_to(elsewhere, target_is_directory=True)
    path = f"search/{search_place(7)}/{'cd' * 10}.json"
    folder.remove(path)
    assert (elsewhere / ("cd" * 10 + ".json")).read_bytes() == b"not ours"
    staged = folder.stage(path, b"{}")
    with pytest.raises(UnsafeOutputError):
        folder.place(path, staged)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["cd" * 10 + ".json"]


def test_the_names_of_a_folder_include_its_places(site: tuple[Database, Path, Path]) -> None:
    """A rebuild knows what is on disk from one scan a folder, the places included: a term
    shard already there with its bytes is not written again."""
    _, out, _ = site
    names = OutputFolder(out).names()
    shards = [path for _, _, path in PublishedIndex(out).term_shards()]
    assert shards and set(shards) <= names
    assert layout.SEARCH_PLACE.fullmatch(shards[0].split("/")[1])
    assert json.loads((out / shards[0]).read_bytes())["terms"]
