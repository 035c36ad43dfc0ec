"""A new database is made from a snapshot of the migrations (``store/fresh_schema.py``), not by
running every migration in turn: both ways must give the same database, and the snapshot must be
what the migrations make today (regenerate it with ``python -m wistia_sync.store.snapshot``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from wistia_sync.store import fresh_schema
from wistia_sync.store import migrations as schema
from wistia_sync.store.db import open_database
from wistia_sync.store.snapshot import SNAPSHOT_MODULE, migrated_module, snapshot_statements

REGENERATE = "python -m wistia_sync.store.snapshot"


def everything(conn: sqlite3.Connection) -> dict[str, Any]:
    """What a reader can see of a database: every schema object's SQL as SQLite stores it,
    every row of every table (sqlite_sequence included), the migrations recorded in order
    (not when) and the header's user version."""
    objects = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    tables = [name for kind, name, _, _ in objects if kind == "table"]
    rows = {
        table: sorted(map(repr, conn.execute(f'SELECT * FROM "{table}"').fetchall()))
        for table in tables
        if table != "_sqlite_migrations"
    }
    applied = conn.execute(
        "SELECT id, migration_set, name FROM _sqlite_migrations ORDER BY rowid"
    ).fetchall()
    return {
        "objects": objects,
        "rows": rows,
        "applied": applied,
        "user_version": conn.execute("PRAGMA user_version").fetchone(),
    }


def migrated_in_turn(path: Path) -> dict[str, Any]:
    db = Database(path)
    try:
        schema.migrations.real.apply(db)
        return everything(db.conn)
    finally:
        db.conn.close()


def created(path: Path) -> dict[str, Any]:
    db = open_database(path, create=True)
    try:
        return everything(db.conn)
    finally:
        db.conn.close()


def test_the_snapshot_is_what_the_migrations_make() -> None:
    assert SNAPSHOT_MODULE.read_text(encoding="utf-8") == migrated_module(), (
        f"store/fresh_schema.py is stale: regenerate it with `{REGENERATE}`"
    )
    assert list(fresh_schema.MIGRATIONS) == schema.migrations.names


def test_a_new_database_is_the_one_every_migration_in_turn_makes(tmp_path: Path) -> None:
    expected = migrated_in_turn(tmp_path / "in_turn.db")
    assert expected["rows"]["sync_state"]  # the comparison covers rows, not only the schema
    assert created(tmp_path / "new.db") == expected


def test_a_new_database_runs_no_migration_and_never_imports_sqlite_utils(tmp_path: Path) -> None:
    """The snapshot path is the one taken: running migrations needs sqlite-utils."""
    script = (
        "import sys\n"
        "from wistia_sync.store.db import open_database\n"
        "db = open_database(sys.argv[1], create=True)\n"
        "print(db.execute('SELECT count(*) FROM _sqlite_migrations').fetchone()[0])\n"
        "print('sqlite_utils' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "new.db")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [str(len(schema.migrations.names)), "False"]


def test_migrations_after_a_stale_snapshot_run_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge that adds a migration without regenerating the snapshot: slower, not different."""
    names = schema.migrations.names
    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    schema.migrations.real.apply(db, stop_before=names[-1])
    monkeypatch.setattr(fresh_schema, "MIGRATIONS", tuple(names[:-1]))
    monkeypatch.setattr(fresh_schema, "STATEMENTS", tuple(snapshot_statements(db.conn)))
    db.conn.close()
    assert created(tmp_path / "new.db") == migrated_in_turn(tmp_path / "in_turn.db")


def test_a_snapshot_of_other_migrations_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fresh_schema, "MIGRATIONS", ("m000_not_ours",))
    monkeypatch.setattr(fresh_schema, "STATEMENTS", ("CREATE TABLE not_ours (x)",))
    assert created(tmp_path / "new.db") == migrated_in_turn(tmp_path / "in_turn.db")


def test_an_existing_database_still_migrates_in_turn(tmp_path: Path) -> None:
    """A database made before the last migration gets exactly that migration applied."""
    path = tmp_path / "old.db"
    names = schema.migrations.names
    db = Database(path)
    schema.migrations.real.apply(db, stop_before=names[-1])
    db.conn.close()
    db = open_database(path)
    try:
        upgraded = everything(db.conn)
    finally:
        db.conn.close()
    assert [name for _, _, name in upgraded["applied"]] == names
    expected = migrated_in_turn(tmp_path / "in_turn.db")
    assert upgraded == expected
