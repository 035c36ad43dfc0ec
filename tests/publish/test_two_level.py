"""Two-level lists: a long playlist's pages and a large site's shards are listed through
immutable chunks, so no file an edit rewrites grows with the catalog (issue 19, target 4).

Small chunk sizes make a few hundred videos behave as a catalog of tens of thousands would.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from tests.publish.test_publish_properties import edits, hashed_id, read_all
from tests.support.factories import add_video
from tests.support.fresh_compare import files_in_grace, fresh_differences
from wistia_sync.contract import filelist
from wistia_sync.contract.filelist import (
    FileIndex,
    FileListError,
    ShardRef,
    expand_index,
    local_shard_reader,
    parse_file_index,
    read_local_file_list,
    read_local_index,
)
from wistia_sync.contract.layout import PAGE_LIST_PATH, SHARD_LIST_PATH, is_list_file
from wistia_sync.contract.schemas import FilesList, FilesShardList, Page, PageList, Playlist
from wistia_sync.publish import pagelists, publish_site, shardlists, shards
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database

VIDEOS = 400


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagelists, "CHUNK_SIZE", 3)  # 2 to 6 pages a chunk
    monkeypatch.setattr(shards, "SHARD_SIZE", 16)  # 8 to 48 files a shard
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)  # 1 to 4 shards a chunk
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)  # files.json lists at most 4 itself


@pytest.fixture
def db(tmp_path: Path, small_chunks: None) -> Database:
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, page_size=5)
    for number in range(VIDEOS):
        add_video(
            db, f"v{number:04d}", created=f"2024-{number % 12 + 1:02d}-01T00:00:{number % 60:02d}Z"
        )
    return db


def publish(db: Database, out: Path, **options: Any) -> Any:
    return publish_site(db, out, lock_path=out.parent / "lock", **options)


def load(out: Path, path: str) -> Any:
    return json.loads((out / path).read_bytes())


def follow(out: Path, entry: str) -> list[str]:
    """What a frontend reads: the inline videos, ``pages``, then each chunk's pages, in order;
    every file checked against the contract's strict models."""
    document = load(out, entry)
    Playlist.model_validate(document)
    videos = [video["hashed_id"] for video in document["videos"]]
    base = Path(entry).parent
    pages = [(base / page["url"]).as_posix() for page in document["pages"]]
    for chunk in document.get("page_lists", []):
        chunk_path = (base / chunk["url"]).as_posix()
        listed = load(out, chunk_path)
        PageList.model_validate(listed)
        assert len(listed["pages"]) == chunk["pages"]
        assert sum(page["count"] for page in listed["pages"]) == chunk["count"]
        pages += [_resolve(chunk_path, page["url"]) for page in listed["pages"]]
    for page in pages:
        content = load(out, _normal(page))
        Page.model_validate(content)
        videos += [video["hashed_id"] for video in content["videos"]]
    assert len(videos) == document["count"]
    return videos


def _resolve(source: str, link: str) -> str:
    return _normal((Path(source).parent / link).as_posix())


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def in_playlist_order(db: Database) -> list[str]:
    rows = db.execute("SELECT hashed_id FROM videos ORDER BY created DESC, hashed_id").fetchall()
    return [hashed_id for (hashed_id,) in rows]


def test_a_long_playlist_lists_its_first_pages_inline_and_the_rest_through_chunks(
    db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    entry = load(out, "videos.json")
    assert entry["page_lists"], "400 videos in pages of 5 to 10, chunks of 2 to 6 pages"
    assert len(entry["pages"]) <= 2 * pagelists.CHUNK_SIZE
    assert all(PAGE_LIST_PATH.fullmatch(chunk["url"]) for chunk in entry["page_lists"])
    assert follow(out, "videos.json") == in_playlist_order(db)


def test_a_short_playlist_looks_exactly_as_before(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(30):
        add_video(db, f"v{number:04d}")
    publish(db, tmp_path / "out")
    assert "page_lists" not in load(tmp_path / "out", "videos.json")
    assert "shard_lists" not in load(tmp_path / "out", "files.json")


def test_an_edit_rewrites_one_chunk_and_keeps_the_old_one_for_readers(
    db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    before = load(out, "videos.json")
    old_chunks = [chunk["url"] for chunk in before["page_lists"]]
    deep = in_playlist_order(db)[-3]  # on a page listed by the last chunk
    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = ?", [deep])
    result = publish(db, out)

    new_chunks = [path for path in result.new_pages if PAGE_LIST_PATH.fullmatch(path)]
    after = [chunk["url"] for chunk in load(out, "videos.json")["page_lists"]]
    assert new_chunks == [after[-1]] and after[:-1] == old_chunks[:-1]
    assert old_chunks[-1] in result.retired  # counting down its grace, still on disk
    assert (out / old_chunks[-1]).exists()
    # A reader holding the previous entry file still finds every chunk and page it lists.
    (out / "held.json").write_text(json.dumps(before))
    assert follow(out, "held.json") == in_playlist_order(db)
    assert follow(out, "videos.json") == in_playlist_order(db)


def test_a_rebuild_cuts_the_same_chunks_byte_for_byte(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(db, out)
    for number in range(0, VIDEOS, 37):
        db.execute(
            "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [f"v{number:04d}"]
        )
        publish(db, out)
    rebuilt = publish(db, out, force=True)
    assert rebuilt.written == [] and rebuilt.removed == []


def chunks_of(out: Path) -> dict[str, int]:
    """Every chunk of the index's tree files.json leads to, each with its level (the root's
    children deepest), every chunk checked against its schema."""
    found: dict[str, int] = {}

    def walk(urls: list[str], depth: int) -> None:
        for url in urls:
            assert SHARD_LIST_PATH.fullmatch(url)
            chunk = load(out, url)
            FilesShardList.model_validate(chunk)
            assert bool(chunk.get("shards")) != bool(chunk.get("shard_lists"))
            found[url] = depth
            walk([f"shard-lists/{c['url']}" for c in chunk.get("shard_lists", [])], depth + 1)

    walk([chunk["url"] for chunk in load(out, "files.json").get("shard_lists", [])], 1)
    return found


def test_a_large_file_list_is_a_tree_and_reads_back_whole(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(db, out)
    index = load(out, "files.json")
    FilesList.model_validate(index)
    assert index["shards"] == [] and len(index["shard_lists"]) <= 2 * shardlists.LIST_SIZE
    before = chunks_of(out)
    assert max(before.values()) >= 3  # a root, and chunks of chunks of shards below it
    listed = read_local_file_list(out)[0].files
    recorded = {
        path
        for (path,) in db.execute("SELECT path FROM published_files")
        if path != "files.json" and not path.startswith(("files/", "shard-lists/"))
    }
    assert set(listed) == recorded

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0200'")
    result = publish(db, out)
    chunks = [path for path in result.new_shards if SHARD_LIST_PATH.fullmatch(path)]
    rewritten = [path for path in result.new_shards if path.startswith("files/")]
    # At most one chunk a level above each shard rewritten (the root is files.json), and far
    # from every chunk.
    assert 0 < len(chunks) <= len(rewritten) * max(before.values()) < len(before)
    # A replaced chunk goes with the shards it listed, once the new files.json is in place.
    gone = set(before) - set(chunks_of(out))
    assert len(gone) == len(chunks) and not any((out / path).exists() for path in gone)
    assert set(read_local_file_list(out)[0].files) >= {"videos/v0200.json"}


def test_a_chunk_that_is_not_what_files_json_says_refuses_the_list(
    db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    raw = (out / "files.json").read_bytes()
    chunk = load(out, "files.json")["shard_lists"][0]["url"]
    # A chunk of the lowest level, the one listing shards (the root's children list chunks).
    while "shard_lists" in load(out, chunk):
        chunk = "shard-lists/" + load(out, chunk)["shard_lists"][0]["url"]
    content = (out / chunk).read_bytes()
    (out / chunk).write_bytes(content.replace(b'"count":', b'"count":1', 1))
    with pytest.raises(FileListError, match="not the chunk"):
        read_local_index(out)
    (out / chunk).write_bytes(content)
    top = load(out, "files.json")["shard_lists"][0]["url"]
    hostile = raw.replace(top.encode(), b"shard-lists/../../etc.json", 1)
    with pytest.raises(FileListError, match="unsafe shard list"):
        parse_file_index(hostile, "files.json")
    # A chunk whose links leave files/ is refused even when its fingerprint matches.
    index = parse_file_index(raw, "files.json")
    forged = content.replace(b'"../files/', b'"../pages/', 1)

    def reader(ref: Any) -> bytes:
        return forged if ref.path == chunk else (out / ref.path).read_bytes()

    with pytest.raises(FileListError):
        expand_index(index, reader, "files.json")
    assert expand_index(index, local_shard_reader(out), "files.json").shards


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.integers(0, 40), steps=edits, page_size=st.integers(1, 3))
def test_with_chunks_incremental_publishes_equal_a_full_rebuild_byte_for_byte(
    initial: int, steps: list[tuple[str, int, int]], page_size: int
) -> None:
    """Chunks split and merge as pages come and go; ``--force`` and a fresh folder agree, and a
    reader following the entry file gets exactly the playlist."""
    with (
        patch.object(pagelists, "CHUNK_SIZE", 1),
        patch.object(shardlists, "LIST_SIZE", 2),
        patch.object(shardlists, "INLINE_SHARDS", 4),
        patch.object(shards, "SHARD_SIZE", 2),
        tempfile.TemporaryDirectory() as scratch,
    ):
        root = Path(scratch)
        db = open_database(root / "wistia.db", create=True)
        change_site_settings(db, page_size=page_size)
        for index in range(initial):
            add_video(db, hashed_id(index), created=f"2024-01-{index % 28 + 1:02d}T00:00:00Z")
        out = root / "out"
        publish(db, out)
        count = initial
        for action, number, _ in steps:
            target = hashed_id(number % max(count, 1))
            if action == "upload" or count == 0:
                add_video(db, hashed_id(count), created=f"2024-02-{number % 28 + 1:02d}T00:00:00Z")
                count += 1
            else:
                visibility = "hidden" if action in ("hide", "untag") else "public"
                db.execute(
                    "UPDATE videos SET visibility = ? WHERE hashed_id = ?", [visibility, target]
                )
            publish(db, out)
            shown = [h for h in in_playlist_order(db) if _public(db, h)]
            assert follow(out, "videos.json") == shown
            recorded = {p for (p,) in db.execute("SELECT path FROM published_files")}
            listed = read_local_file_list(out)[0].files
            assert set(listed) == {p for p in recorded if p != "files.json" and not is_list_file(p)}
        current = read_all(out)
        forced = publish(db, out, force=True)
        assert (forced.written, forced.removed) == ([], [])
        assert read_all(out) == current
        fresh = root / "fresh"
        publish(db, fresh)
        rebuilt = read_all(fresh)
        assert fresh_differences(current, out, rebuilt, fresh) == []
        assert all(
            path.startswith(("pages/", "page-lists/", "search/"))
            for path in files_in_grace(current, rebuilt)
        )
        db.close()


def _public(db: Database, hashed_id: str) -> bool:
    row = db.execute("SELECT visibility FROM videos WHERE hashed_id = ?", [hashed_id]).fetchone()
    return bool(row and row[0] == "public")


def test_a_chunk_whose_first_shards_went_still_reads_back(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk keeps its range when the shards at its start go: files.json gives where its
    first remaining shard starts, which is what a reader checks."""
    monkeypatch.setattr(shards, "SHARD_SIZE", 2)
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)
    out = tmp_path / "out"
    publish(db, out)
    for start in range(100, 300, 50):
        db.execute(
            "UPDATE videos SET visibility = 'hidden' WHERE hashed_id BETWEEN ? AND ?",
            [f"v{start:04d}", f"v{start + 29:04d}"],
        )
        publish(db, out)
        assert "videos/v0050.json" in read_local_file_list(out)[0].files


def test_a_chunk_of_chunks_is_read_as_untrusted_input(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    index = parse_file_index((out / "files.json").read_bytes(), "files.json")
    top = index.lists[0].path
    content = (out / top).read_bytes()
    assert b'"shard_lists"' in content

    def with_chunk(forged: bytes) -> tuple[FileIndex, Callable[[ShardRef], bytes]]:
        """The index naming ``forged`` as its first chunk, fingerprint and all."""
        ref = replace(index.lists[0], sha256=hashlib.sha256(forged).hexdigest(), bytes=len(forged))

        def reader(wanted: ShardRef) -> bytes:
            return forged if wanted.path == top else (out / wanted.path).read_bytes()

        return replace(index, lists=(ref, *index.lists[1:])), reader

    # A link out of shard-lists/ is refused even when the chunk's fingerprint matches.
    escaping = re.sub(rb'"url":"([0-9a-f]{32}\.json)"', rb'"url":"../files/\1"', content, count=1)
    with pytest.raises(FileListError, match="unsafe shard list"):
        expand_index(*with_chunk(escaping), "files.json")
    # A chunk that claims more shards under it than its own chunks hold.
    inflated = re.sub(rb'"shards":(\d+)', rb'"shards":9\1', content, count=1)
    with pytest.raises(FileListError, match="does not hold"):
        expand_index(*with_chunk(inflated), "files.json")
    assert expand_index(*with_chunk(content), "files.json").shards
    # However well formed, a tree deeper than a reader allows is refused, not followed.
    monkeypatch.setattr(filelist, "MAX_LIST_DEPTH", 1)
    with pytest.raises(FileListError, match="deeper than 1 levels"):
        read_local_index(out)


def test_a_chunk_is_planned_after_every_shard_and_chunk_it_links_to(
    db: Database, tmp_path: Path
) -> None:
    """The publish places the list's files in the order planned (files.json after them all):
    a chunk only after what it links to, so no reader reaches a chunk before its children."""
    publish(db, tmp_path / "out")
    planned = shards.plan_shards(db, None).contents  # a rebuild: every shard and chunk again
    order = {path: number for number, path in enumerate(planned)}
    chunks = [path for path in planned if SHARD_LIST_PATH.fullmatch(path)]
    assert any(b'"shard_lists"' in planned[path] for path in chunks)
    for path in chunks:
        body = json.loads(planned[path])
        links = [f"shard-lists/{c['url']}" for c in body.get("shard_lists", [])]
        links += [shard["url"].removeprefix("../") for shard in body.get("shards", [])]
        assert links and all(order[link] < order[path] for link in links)
