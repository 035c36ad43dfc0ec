"""A fixed-name entry file on disk that is not the recorded one is put back by the next publish,
even when its own changes touch nothing in it (a publish killed between renaming its files into
place and recording them leaves such a file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.contract.layout import FOLDERS_INDEX_PATH, SEARCH_INDEX_PATH, TAGS_INDEX_PATH
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database, write_transaction


@pytest.mark.parametrize("path", [TAGS_INDEX_PATH, FOLDERS_INDEX_PATH, SEARCH_INDEX_PATH])
def test_an_entry_file_changed_on_disk_is_put_back_by_an_edit_that_does_not_touch_it(
    tmp_path: Path, path: str
) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    with write_transaction(db):
        add_folder(db, "fold01", "Customer Stories")
        add_video(db, "tagged01", name="Pricing", folder_hashed_id="fold01")
        add_video(db, "plain001", name="Onboarding")
        add_video(db, "secret01", name="Secret roadmap", visibility="hidden")
        tag_video(db, "tagged01", "Pricing", source="editor")
    out, lock = tmp_path / "out", tmp_path / "lock"
    publish_site(db, out, lock_path=lock)
    entry = out / path
    recorded = entry.read_bytes()
    entry.write_bytes(b'{"left": "by a killed publish"}\n')
    os.utime(entry, ns=(1, 1))

    with write_transaction(db):  # a hidden video renamed: no index holds it
        db.execute("UPDATE videos SET name = 'Secret plans' WHERE hashed_id = 'secret01'")
    written = publish_site(db, out, lock_path=lock).written

    assert entry.read_bytes() == recorded
    assert path in written
    with write_transaction(db):  # once put back, such an edit leaves it alone
        db.execute("UPDATE videos SET name = 'Secret ideas' WHERE hashed_id = 'secret01'")
    assert path not in publish_site(db, out, lock_path=lock).written
