"""What one edit writes stays small in bytes, not only in files (issue 19, target 4)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from tests.publish.test_publish import Publish
from tests.publish.test_publish import db as db  # the fixtures, used by name
from tests.publish.test_publish import out as out
from tests.publish.test_publish import publish as publish
from tests.support.factories import add_video
from wistia_sync.contract.filelist import read_local_index


def test_a_shard_of_the_file_list_holds_16_to_64_files(
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
    assert len(index.shards) > 1 and all(16 <= shard.count <= 64 for shard in index.shards)
    written = [path for path in result.new_shards if path.startswith("files/")]
    assert written and all((out / path).stat().st_size < 10_000 for path in written)
