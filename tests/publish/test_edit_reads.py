"""What an edit's publish reads of the publisher's state: the buckets of each playlist it touches
by start, size and page, without stepping through every bucket's members (m025). At 100k
``videos.json`` has ~2,300 buckets of ~1.3 kB of members each; reading their members too made the
read of the bucket list grow with the catalog twenty times faster than the list itself."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from tests.support.factories import add_video, tag_video
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.store.state import PAGE_SIZE_KEY, set_state


def _published_catalog(path: Path, videos: int) -> tuple[Database, Path]:
    db = open_database(path, create=True)
    with write_transaction(db):
        set_state(db, PAGE_SIZE_KEY, "4")
        for n in range(videos):
            hashed_id = f"vid{n:06d}"
            add_video(db, hashed_id, created=f"2024-01-{1 + n % 28:02d}T00:00:{n % 60:02d}Z")
            tag_video(db, hashed_id, f"Tag {n % 3}")
    out = path.parent / "out"
    publish_site(db, out, lock_path=publish_lock_path(path), force=True)
    return db, out


def _plans_of_bucket_reads(db: Database, statements: list[str]) -> list[str]:
    """The query plan of every traced statement that reads the recorded buckets' pages."""
    return [
        detail
        for statement in statements
        if statement.startswith("SELECT")
        and "FROM publish_buckets" in statement
        and "members" not in statement.split("FROM")[0]
        for *_, detail in db.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
        if "publish_buckets" in detail
    ]


def test_an_edit_reads_its_playlists_buckets_without_their_members(tmp_path: Path) -> None:
    database = tmp_path / "wistia.db"
    db, out = _published_catalog(database, 80)
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'vid000031'")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        publish_site(db, out, lock_path=publish_lock_path(database))
    finally:
        db.conn.set_trace_callback(None)
    plans = _plans_of_bucket_reads(db, statements)
    assert plans  # the edit read its playlists' buckets
    assert all("USING COVERING INDEX publish_bucket_pages" in plan for plan in plans), plans
