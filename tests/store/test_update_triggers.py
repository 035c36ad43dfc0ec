"""m014 runs the update triggers of ``videos`` only for updates of published columns: every
writer's changes are recorded exactly as before it (the same publish_changes rows, in order,
and the same content version), inside a paused page store and outside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from wistia_sync.store import migrations as schema

VIDEO = (
    "INSERT INTO videos (hashed_id, id, name, type, status, created, updated, first_seen, "
    "last_seen) VALUES ('{h}', 1, 'A video', 'Video', 'ready', '2026-01-01T00:00:00Z', "
    "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
)
WRITES = [
    "INSERT INTO folders (hashed_id, id, name) VALUES ('f1', 1, 'Folder')",
    VIDEO.format(h="aaa1"),
    VIDEO.format(h="bbb2"),
    "UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'aaa1'",
    "UPDATE videos SET name = name WHERE hashed_id = 'aaa1'",  # set, but not changed
    "UPDATE videos SET last_seen = '2026-02-01T00:00:00Z'",  # no published column
    "UPDATE videos SET id = 7, plays_fetched_at = 'x' WHERE hashed_id = 'bbb2'",
    "UPDATE videos SET plays = 5, last_seen = 'y' WHERE hashed_id = 'bbb2'",
    "UPDATE videos SET folder_hashed_id = 'f1', visibility = 'hidden'",
    "UPDATE videos SET deleted_at = '2026-03-01T00:00:00Z' WHERE hashed_id = 'bbb2'",
    "INSERT INTO tags (name, key, slug, created_at) VALUES ('T', 't', 't', 'now')",
    "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
    "SELECT hashed_id, 1, 'editor', 'now' FROM videos",
    "UPDATE video_tags SET source = 'wistia' WHERE hashed_id = 'aaa1'",
    "DELETE FROM video_tags WHERE hashed_id = 'bbb2'",
    "INSERT INTO videos (hashed_id, id, name, type, status, created, updated, first_seen, "
    "last_seen) VALUES ('aaa1', 1, 'Upserted', 'Video', 'ready', 'c', 'u', 'f', 'l') "
    "ON CONFLICT(hashed_id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen",
    "DELETE FROM video_tags",
    "DELETE FROM videos WHERE hashed_id = 'bbb2'",
]


def migrate(db: Database, *, m014: bool) -> None:
    """Every migration, or those before m014."""
    stop_before = None if m014 else "m014_update_triggers_of_published_columns"
    schema.migrations.real.apply(db, stop_before=stop_before)


def recorded(path: Path, *, m014: bool, paused: bool) -> tuple[list[tuple[str, str]], str]:
    db = Database(path)
    try:
        migrate(db, m014=m014)
        db.execute("DELETE FROM publish_changes")
        db.execute("BEGIN")
        if paused:
            db.execute("INSERT INTO change_tracking_paused (paused) VALUES (1)")
        for write in WRITES:
            db.execute(write)
        db.execute("DELETE FROM change_tracking_paused")
        db.execute("COMMIT")
        changes = db.execute("SELECT kind, key FROM publish_changes ORDER BY id").fetchall()
        version = db.execute(
            "SELECT value FROM sync_state WHERE key = 'content_version'"
        ).fetchone()[0]
        return [(str(kind), str(key)) for kind, key in changes], str(version)
    finally:
        db.conn.close()


@pytest.mark.parametrize("paused", [False, True], ids=["every writer", "a paused page store"])
def test_changes_are_recorded_as_before_m014(tmp_path: Path, paused: bool) -> None:
    before = recorded(tmp_path / "before.db", m014=False, paused=paused)
    after = recorded(tmp_path / "after.db", m014=True, paused=paused)
    assert after == before
    changes, version = after
    assert int(version) > 0 and changes  # (the writes did record something)


def test_an_update_of_no_published_column_runs_no_videos_trigger(tmp_path: Path) -> None:
    assert trigger_programs_run(tmp_path / "after.db", "last_seen = 'later'", m014=True) == 0
    assert trigger_programs_run(tmp_path / "before.db", "last_seen = 'later'", m014=False) > 0
    assert trigger_programs_run(tmp_path / "renamed.db", "name = 'Renamed'", m014=True) > 0


def trigger_programs_run(path: Path, assignment: str, *, m014: bool) -> int:
    """How many trigger programs ``UPDATE videos SET <assignment>`` ran on one video: SQLite
    traces a statement again, with its own text, for each trigger program it starts."""
    db = Database(path)
    try:
        migrate(db, m014=m014)
        db.execute(VIDEO.format(h="aaa1"))
        update = f"UPDATE videos SET {assignment}"
        ran: list[str] = []
        db.conn.set_trace_callback(ran.append)
        db.execute(update)
        db.conn.set_trace_callback(None)
        return ran.count(update) - 1
    finally:
        db.conn.close()
