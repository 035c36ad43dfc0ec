"""What a fresh database holds, pinned: the migrations are frozen (each spells out its own
columns and state keys), so editing shared code can never make a fresh database differ from one
upgraded migration by migration (checked here too, from the first migration on). A real schema
change is a new migration, and the golden file is regenerated with
``UPDATE_GOLDEN=1 pytest tests/store/test_schema.py`` and committed with it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database

from wistia_sync.store import migrations as schema
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


def schema_objects(db: Database) -> tuple[list[tuple[str, str, str, str]], list[str], list[str]]:
    """The tables, indexes and triggers (their SQL with whitespace normalised), the migrations
    applied and the state keys of a database."""
    objects = [
        (str(kind), str(name), str(table), " ".join(str(sql).split()))
        for kind, name, table, sql in db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "ORDER BY type, name"
        ).fetchall()
    ]
    applied = [str(row[0]) for row in db.execute("SELECT name FROM _sqlite_migrations").fetchall()]
    keys = [str(row[0]) for row in db.execute("SELECT key FROM sync_state ORDER BY key").fetchall()]
    return objects, applied, keys


def test_a_database_upgraded_one_migration_at_a_time_is_a_fresh_one(tmp_path: Path) -> None:
    """As an old install was: m001 applied, the file opened again for each later migration."""
    path = tmp_path / "upgraded.db"
    names = schema.migrations.names
    for next_name in [*names[1:], None]:
        db = Database(path)
        try:
            if next_name is None:
                schema.migrations.real.apply(db)
            else:
                schema.migrations.real.apply(db, stop_before=next_name)
                applied = schema.migrations.applied_names(db)
                assert applied == names[: names.index(next_name)]
            upgraded = schema_objects(db)
        finally:
            db.conn.close()
    fresh = open_database(tmp_path / "fresh.db", create=True)
    try:
        assert upgraded == schema_objects(fresh)
    finally:
        fresh.conn.close()
