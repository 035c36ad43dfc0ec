"""What one edit writes stays small in bytes, not only in files (issue 19, target 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.publish.test_publish import Publish
from tests.publish.test_publish import db as db  # the fixtures, used by name
from tests.publish.test_publish import out as out
from tests.publish.test_publish import publish as publish
from tests.support.factories import add_video
from wistia_sync.contract.filelist import read_local_index
from wistia_sync.publish import shards
from wistia_sync.publish.shards import EXACT_STARTS_KEY, SHARDS_TABLE


def test_a_shard_of_the_file_list_holds_8_to_32_files(
    db: Database, out: Path, publish: Publish
) -> None:
    """An edit rewrites the shards listing the paths it touched (a new page's path falls in
    any of them): each is a few KB, not tens."""
    for number in range(600):
        add_video(db, f"v{number:04d}")
    publish()
    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0300'")
    result = publish()

    index, _ = read_local_index(out)
    assert len(index.shards) > 1 and all(8 <= shard.count <= 32 for shard in index.shards)
    written = [path for path in result.new_shards if path.startswith("files/")]
    assert written and all((out / path).stat().st_size < 6_000 for path in written)


def test_a_list_cut_in_larger_shards_is_re_cut_where_an_edit_touches_it_and_by_a_rebuild(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site an earlier release published (shards of 16 to 64 files): an edit splits only the
    shards past the new bound it rewrites anyway, the others keep their files; a ``--force``
    splits the rest past it once, and the one after it writes nothing."""
    monkeypatch.setattr(shards, "SHARD_SIZE", 32)
    for number in range(600):
        add_video(db, f"v{number:04d}")
    publish()
    before, _ = read_local_index(out)
    assert any(shard.count > 32 for shard in before.shards)
    monkeypatch.setattr(shards, "SHARD_SIZE", 16)

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0300'")
    edited = publish()

    written = [path for path in edited.new_shards if path.startswith("files/")]
    assert 0 < len(written) <= 8
    after, _ = read_local_index(out)
    kept = {shard.path for shard in after.shards} & {shard.path for shard in before.shards}
    assert len(kept) >= len(before.shards) - 4
    forced = publish(force=True)
    assert len([path for path in forced.written if path.startswith("files/")]) > len(written)
    rebuilt, _ = read_local_index(out)
    assert all(8 <= shard.count <= 32 for shard in rebuilt.shards)
    assert publish(force=True).written == []


def test_no_shard_range_starts_at_a_video_no_longer_published(
    db: Database, out: Path, publish: Publish
) -> None:
    """A shard's ``first`` is published: hiding the video whose file starts a shard moves the
    start to the next path, rather than keeping the hidden video's id in ``files.json``."""
    for number in range(600):
        add_video(db, f"v{number:04d}")
    publish()
    index, _ = read_local_index(out)
    starts = [shard.first for shard in index.shards if shard.first.startswith("videos/")]
    hidden = [start.removeprefix("videos/").removesuffix(".json") for start in starts[:3]]
    for hashed_id in hidden:
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [hashed_id])
    publish()

    index, raw = read_local_index(out)
    assert hidden and not any(hashed_id.encode() in raw for hashed_id in hidden)
    for shard in index.shards:  # the chunks' shards too
        assert not any(hashed_id in shard.first for hashed_id in hidden)
    assert publish(force=True).written == []  # a rebuild starts the ranges there too


def test_a_list_recorded_by_an_earlier_release_loses_a_stale_first_at_the_next_edit(
    db: Database, out: Path, publish: Publish
) -> None:
    """An earlier release kept a shard's start when its path went: its recorded list may name a
    hidden video as a shard's ``first``. The next publish, whatever it touches, rewrites those
    shards (once: the state then says the starts are exact)."""
    for number in range(600):
        add_video(db, f"v{number:04d}")
    publish()
    index, _ = read_local_index(out)
    start = next(s.first for s in index.shards[1:] if s.first.startswith("videos/"))
    hidden = start.removeprefix("videos/").removesuffix(".json")
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [hidden])
    publish()
    # What an earlier release left after that publish: the range still starting at the hidden
    # video's path, and no word that the starts are exact.
    # The shard that started there starts at the next path since.
    db.execute(
        f"UPDATE {SHARDS_TABLE} SET start = ? WHERE start = "
        f"(SELECT min(start) FROM {SHARDS_TABLE} WHERE start > ?)",
        [start, start],
    )
    db.execute("DELETE FROM sync_state WHERE key = ?", [EXACT_STARTS_KEY])
    add_video(db, "w0001")  # an edit elsewhere in the list
    publish()

    index, raw = read_local_index(out)
    assert hidden.encode() not in raw
    assert all(hidden not in shard.first for shard in index.shards)
    assert db.execute(
        "SELECT value FROM sync_state WHERE key = ?", [EXACT_STARTS_KEY]
    ).fetchone() == ("1",)
