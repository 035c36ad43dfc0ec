"""What a fresh database holds, pinned: the migrations are frozen (each spells out its own
columns and state keys), so editing shared code can never make a fresh database differ from one
upgraded migration by migration. A real schema change is a new migration, and this file is
regenerated with ``UPDATE_GOLDEN=1 pytest tests/store/test_schema.py`` and committed with it."""

from __future__ import annotations

import os
from pathlib import Path

from wistia_sync.store.db import open_database

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "schema" / "fresh.sql"


def fresh_schema(path: Path) -> str:
    db = open_database(path, create=True)
    try:
        rows = db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ).fetchall()
        migrations = db.execute(
            "SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid"
        ).fetchall()
        state = db.execute("SELECT key, value FROM sync_state ORDER BY key").fetchall()
    finally:
        db.conn.close()
    lines = [f"-- {kind} {name}\n{sql};" for kind, name, sql in rows]
    lines += [f"-- migration {migration_set}.{name}" for migration_set, name in migrations]
    lines += [f"-- state {key} = {value}" for key, value in state]
    return "\n".join(lines) + "\n"


def test_a_fresh_database_is_what_the_frozen_migrations_make(tmp_path: Path) -> None:
    schema = fresh_schema(tmp_path / "fresh.db")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(schema, encoding="utf-8")
    assert schema == GOLDEN.read_text(encoding="utf-8")
