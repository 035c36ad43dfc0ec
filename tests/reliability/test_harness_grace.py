"""The harness's comparison with a fresh publish allows exactly the files the publisher keeps in
their grace period: retired pages, page-list chunks, caption files and search files, which
files.json still lists; any other extra file is a problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.publish.test_interrupted_publish_links import set_captions
from tests.reliability.harness import fresh_publish, output_differences, output_problems
from tests.support.factories import add_video
from wistia_sync.contract.filelist import read_local_index
from wistia_sync.contract.layout import CAPTION_PATH, PAGE_LIST_PATH, PAGE_PATH
from wistia_sync.publish import publish_site, shardlists
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database


def test_files_in_grace_are_allowed_and_an_unlisted_one_is_not(tmp_path: Path) -> None:
    db_path, out, lock = tmp_path / "wistia.db", tmp_path / "out", tmp_path / "publish.lock"
    db = open_database(db_path, create=True)
    change_site_settings(db, page_size=1)  # a page a video: the page list is cut in chunks
    for number in range(200):
        add_video(db, f"v{number:03d}")
    set_captions(db, "v005", "First words.")
    publish_site(db, out, lock_path=lock)
    add_video(db, "v999")  # the last page and the chunk listing it are cut again
    set_captions(db, "v005", "Other words.")
    retired = publish_site(db, out, lock_path=lock).retired
    for family in (PAGE_PATH, PAGE_LIST_PATH, CAPTION_PATH):
        assert any(family.fullmatch(path) for path in retired), family.pattern

    expected = fresh_publish(db_path, tmp_path / "fresh")
    assert output_differences(out, expected) == []
    assert output_problems(out, converged=True).problems == []

    chunk = next(path for path in sorted(retired) if PAGE_LIST_PATH.fullmatch(path))
    stray = f"page-lists/{'0' * 32}.json"  # what no publish recorded, so files.json omits
    (out / stray).write_bytes((out / chunk).read_bytes())
    assert output_differences(out, expected) == [f"extra {stray}"]
    assert any(stray in problem for problem in output_problems(out, converged=True).problems)


def test_a_file_list_is_compared_at_every_level_of_its_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """files.json of a large site lists chunks, not shards: the comparison follows them, so a
    shard two levels down that no reader would accept is a difference (it was not looked at)."""
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)  # 1 to 4 shards a chunk
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)  # files.json lists at most 4 itself
    db_path, out, lock = tmp_path / "wistia.db", tmp_path / "out", tmp_path / "publish.lock"
    db = open_database(db_path, create=True)
    for number in range(120):
        add_video(db, f"v{number:03d}")
    publish_site(db, out, lock_path=lock)
    index, _ = read_local_index(out)
    assert index.lists, "the file list is two-level"
    expected = fresh_publish(db_path, tmp_path / "fresh")
    assert output_differences(out, expected) == []

    shard = out / index.shards[-1].path  # listed by a chunk, not by files.json
    listed = json.loads(shard.read_bytes())
    path = sorted(listed["files"])[0]
    listed["files"][path]["sha256"] = "0" * 64
    shard.write_text(json.dumps(listed))
    assert output_differences(out, expected) == [
        f"files.json → {index.shards[-1].path} is not the shard its files.json lists"
    ]
