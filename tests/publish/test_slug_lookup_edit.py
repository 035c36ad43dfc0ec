"""An edit splices its videos into the slug lookup file the last publish wrote (issue 19, target
5): the rest of the shard is read from that file, checked against its record, not joined again
row by row; a file that is not the recorded one is rebuilt from the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from tests.publish.test_publish_properties import read_all
from tests.support.factories import add_video
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database, write_transaction


def _published(root: Path, videos: int) -> tuple[Database, Path]:
    db = open_database(root / "wistia.db", create=True)
    with write_transaction(db):
        for number in range(videos):
            add_video(db, f"slug{number:04d}qz", name=f"Video number {number}")
    out = root / "out"
    publish_site(db, out, lock_path=root / "lock")
    return db, out


def _shard_file(db: Database, hashed_id: str) -> str:
    (shard,) = db.execute(
        "SELECT shard FROM video_slugs WHERE hashed_id = ?", [hashed_id]
    ).fetchone()
    return f"slugs/{shard:02x}.json"


def _edit_and_publish(db: Database, out: Path, sql: str, *parameters: Any) -> list[str]:
    """Apply the edit, publish, and return every statement the publish ran."""
    with write_transaction(db):
        db.execute(sql, list(parameters))
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        publish_site(db, out, lock_path=out.parent / "lock")
    finally:
        db.conn.set_trace_callback(None)
    return statements


def _reads_a_whole_shard(statements: list[str]) -> bool:
    return any("FROM video_slugs s" in s and "s.shard IN" in s for s in statements)


def _fresh(db: Database, root: Path) -> dict[str, bytes]:
    fresh = root / "fresh"
    publish_site(db, fresh, lock_path=root / "lock")
    return read_all(fresh)


def test_a_hide_and_a_show_splice_the_recorded_lookup_file(tmp_path: Path) -> None:
    db, out = _published(tmp_path, 1200)  # ~5 videos a shard
    target = "slug0421qz"
    path = _shard_file(db, target)
    hide = "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?"
    assert not _reads_a_whole_shard(_edit_and_publish(db, out, hide, target))
    assert target not in json.loads((out / path).read_bytes())["slugs"].values()
    show = "UPDATE videos SET visibility = 'public' WHERE hashed_id = ?"
    assert not _reads_a_whole_shard(_edit_and_publish(db, out, show, target))
    assert target in json.loads((out / path).read_bytes())["slugs"].values()
    current = read_all(out)
    assert {p: current[p] for p in current if p.startswith("slugs/")} == {
        p: data for p, data in _fresh(db, tmp_path).items() if p.startswith("slugs/")
    }


def test_a_lookup_file_that_is_not_the_recorded_one_is_rebuilt_from_the_database(
    tmp_path: Path,
) -> None:
    db, out = _published(tmp_path, 1200)
    target = "slug0777qz"
    path = _shard_file(db, target)
    original = (out / path).read_bytes()
    forged = json.loads(original)
    forged["slugs"]["planted-by-someone"] = "slug9999qz"
    (out / path).write_text(json.dumps(forged))  # the record's size and hash no longer match
    hide = "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?"
    assert _reads_a_whole_shard(_edit_and_publish(db, out, hide, target))
    slugs = json.loads((out / path).read_bytes())["slugs"]
    assert "planted-by-someone" not in slugs and target not in slugs.values()
    assert (out / path).read_bytes() == _fresh(db, tmp_path)[path]
