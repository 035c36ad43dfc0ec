"""The database handle and migration set that import sqlite-utils only when needed
(``wistia_sync.store.lazydb``) behave as sqlite-utils' own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database, Migrations

from wistia_sync.store import migrations as migrations_module
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lazydb import MIGRATIONS_TABLE, LazyDatabase, MigrationSet, full_database
from wistia_sync.store.migrations import migrations


def test_migration_set_records_what_sqlite_utils_migrations_would() -> None:
    assert Migrations.migrations_table == MIGRATIONS_TABLE
    real = migrations.real
    assert isinstance(real, Migrations)
    assert [m.name for m in real._migrations] == migrations.names
    assert migrations.names[0] == "m001_initial"
    assert migrations.names == sorted(migrations.names)
    assert all(callable(getattr(migrations_module, name)) for name in migrations.names)


def test_applied_names_is_what_sqlite_utils_lists(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    empty = open_database(fresh, create=True)
    assert migrations.applied_names(empty) == [m.name for m in migrations.applied(empty)]
    assert migrations.applied_names(empty) == migrations.names
    empty.close()
    plain = sqlite3.connect(":memory:", isolation_level=None)
    assert migrations.applied_names(LazyDatabase(plain)) == []  # type: ignore[arg-type]


def test_a_database_missing_a_migration_gets_it_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_database(path, create=True).close()
    # The webhook inbox's migration: undone by dropping its one table, whatever comes after it.
    (inbox_migration,) = [name for name in migrations.names if "webhook_inbox" in name]
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("DROP TABLE webhook_events")
        connection.execute(f"DELETE FROM {MIGRATIONS_TABLE} WHERE name = ?", [inbox_migration])
    connection.close()

    db = open_database(path, create=True)
    assert inbox_migration in migrations.applied_names(db)
    assert db.execute("SELECT count(*) FROM webhook_events").fetchone() == (0,)
    db.close()


def test_a_migration_registered_twice_is_refused() -> None:
    recorded = MigrationSet("test")

    @recorded()
    def m001_one(db: Database) -> None:
        pass

    with pytest.raises(ValueError, match="already registered"):
        recorded(name="m001_one")(m001_one)


def test_migrations_registered_after_the_real_set_was_built_reach_it() -> None:
    recorded = MigrationSet("test")
    recorded()(lambda db: None)
    assert [m.name for m in recorded.real._migrations] == ["<lambda>"]

    @recorded(transactional=False)
    def m002_later(db: Database) -> None:
        pass

    assert [(m.name, m.transactional) for m in recorded.real._migrations] == [
        ("<lambda>", True),
        ("m002_later", False),
    ]


def test_handle_runs_sql_itself_and_everything_else_through_sqlite_utils(tmp_path: Path) -> None:
    open_database(tmp_path / "w.db", create=True).close()  # created (from the schema snapshot)
    db = open_database(tmp_path / "w.db", create=True)
    handle = db
    assert isinstance(handle, LazyDatabase)
    assert handle._full is None  # a current schema: checked with plain SQL
    db.execute("INSERT INTO folders (hashed_id, name) VALUES (?, ?)", ["f1", "One"])
    assert db.execute("SELECT name FROM folders").fetchall() == [("One",)]
    assert handle._full is None  # plain SQL needed no sqlite-utils

    assert db["folders"].count == 1
    assert "folders" in db.table_names()
    full = full_database(db)
    assert isinstance(full, Database) and full.conn is db.conn
    with write_transaction(db), write_transaction(db):  # nested: sqlite-utils' savepoint
        db.execute("INSERT INTO folders (hashed_id, name) VALUES ('f2', 'Two')")
    assert db["folders"].count == 2
    assert db.execute("PRAGMA recursive_triggers").fetchone() == (1,)
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("SELECT 1")


def test_handle_needs_an_autocommit_connection() -> None:
    with pytest.raises(ValueError, match="autocommit"):
        LazyDatabase(sqlite3.connect(":memory:"))


def test_a_failed_statement_leaves_no_transaction_open(tmp_path: Path) -> None:
    db = open_database(tmp_path / "w.db", create=True)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO folders (hashed_id, name) VALUES ('f', NULL)")
    assert not db.conn.in_transaction
    db.execute("INSERT INTO folders (hashed_id, name) VALUES ('f', 'ok')")
    other = sqlite3.connect(tmp_path / "w.db")
    assert other.execute("SELECT name FROM folders").fetchall() == [("ok",)]  # committed
    other.close()
    db.close()


def test_a_nested_transaction_that_fails_undoes_only_itself(tmp_path: Path) -> None:
    db = open_database(tmp_path / "w.db", create=True)
    with write_transaction(db):
        db.execute("INSERT INTO folders (hashed_id, name) VALUES ('outer', 'kept')")
        with pytest.raises(RuntimeError), write_transaction(db):
            db.execute("INSERT INTO folders (hashed_id, name) VALUES ('inner', 'undone')")
            raise RuntimeError("the inner block fails")
        assert db.conn.in_transaction  # the outer transaction goes on
        with write_transaction(db):
            db.execute("INSERT INTO folders (hashed_id, name) VALUES ('second', 'kept')")
    names = db.execute("SELECT hashed_id FROM folders ORDER BY hashed_id").fetchall()
    assert names == [("outer",), ("second",)]
    assert isinstance(db, LazyDatabase) and db._full is None  # no sqlite-utils for it
    db.close()
