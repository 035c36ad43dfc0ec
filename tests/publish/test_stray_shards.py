"""Stray shards of the file list: those a publish renamed into place and was killed before
committing. The next publish removes them; it looks for them (every listed shard and the
folders' names: ~3,000 at 100k) only when a publish staged a file since the last one that left
none, which the folder's clock tells (issue 19, target 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.support.factories import add_video
from wistia_sync.contract.filelist import read_local_index
from wistia_sync.contract.layout import FILES_PATH
from wistia_sync.publish import publish_site
from wistia_sync.publish import site as site_module
from wistia_sync.store.db import open_database, write_transaction


class Killed(Exception):
    """Stands for the kill: nothing after it runs, nothing of the transaction commits."""


def _published(root: Path) -> tuple[Database, Path]:
    db = open_database(root / "wistia.db", create=True)
    with write_transaction(db):
        for number in range(40):
            add_video(db, f"stray{number:03d}qz")
    out = root / "out"
    publish_site(db, out, lock_path=root / "lock")
    return db, out


def _hide(db: Database, out: Path, number: int) -> Any:
    with write_transaction(db):
        db.execute(
            "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [f"stray{number:03d}qz"]
        )
    return publish_site(db, out, lock_path=out.parent / "lock")


def _unlisted_shards(out: Path) -> set[str]:
    index, _ = read_local_index(out)
    listed = {ref.path for ref in [*index.shards, *index.lists]}
    on_disk = {
        f"{folder}/{path.name}"
        for folder in ("files", "shard-lists")
        if (out / folder).is_dir()
        for path in (out / folder).iterdir()
    }
    return on_disk - listed


def test_a_publish_killed_after_placing_its_shards_leaves_no_stray_past_the_next_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, out = _published(tmp_path)
    place_if_changed = site_module._place_if_changed

    def killed_before_files_json(db: Database, folder: Any, path: str, content: bytes) -> bool:
        if path == FILES_PATH:  # after the new shards are renamed into place
            raise Killed
        return place_if_changed(db, folder, path, content)

    monkeypatch.setattr(site_module, "_place_if_changed", killed_before_files_json)
    with pytest.raises(Killed):
        _hide(db, out, 3)
    assert _unlisted_shards(out)  # what the killed publish left
    monkeypatch.setattr(site_module, "_place_if_changed", place_if_changed)
    result = _hide(db, out, 7)
    assert _unlisted_shards(out) == set()
    assert any(path.startswith("files/") for path in result.removed)


def test_an_edit_after_a_committed_publish_does_not_look_for_strays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, out = _published(tmp_path)
    _hide(db, out, 1)  # an edit that staged files, committed
    looked: list[object] = []
    unlisted = site_module.unlisted_shards

    def recording(folder: Any, listed: Any) -> list[str]:
        looked.append(listed)
        return unlisted(folder, listed)

    monkeypatch.setattr(site_module, "unlisted_shards", recording)
    result = _hide(db, out, 2)
    assert result.changed_entries and looked == []
    assert _unlisted_shards(out) == set()
