"""sqlite-utils on first use: a database handle and a migration set that import it only when a
caller needs more than SQL.

Importing sqlite-utils and building its ``Database`` costs ~0.17 s a process (its module, click
and pluggy, then an ``importlib.metadata`` scan for its plugins), more than everything else an
editor command does. Yet once the schema is current, every module of ours uses its database
only to run SQL: ``execute``, ``conn``, ``close``. So ``open_database`` hands out a
``LazyDatabase``: those run on the sqlite3 connection itself, and any other attribute
(``db["videos"]``, ``atomic()``, ``executescript``, ``table()``…) builds the real
``sqlite_utils.Database`` on that same connection and answers from it, so every caller gets
sqlite-utils' behaviour, only later. Migrations still run through sqlite-utils' ``Migrations``;
``MigrationSet`` records them without importing it, so that opening a current database can
check its schema version with one query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

# ``sqlite_utils.Migrations.migrations_table``: where sqlite-utils records applied migrations.
MIGRATIONS_TABLE = "_sqlite_migrations"

Parameters = Sequence[Any] | dict[str, Any]


class LazyDatabase:
    """A ``sqlite_utils.Database`` whose sqlite-utils part is built on first use.

    ``execute`` is what ``Database.execute`` does on a connection in autocommit mode (the only
    kind ``open_database`` makes, ``isolation_level=None``): it never opens a transaction
    implicitly, so there is none to commit or roll back after the statement.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        if conn.isolation_level is not None:
            raise ValueError("LazyDatabase needs a connection in autocommit mode")
        self.conn = conn
        self._full: Database | None = None
        # What sqlite_utils.Database() does to every connection it wraps.
        conn.execute("PRAGMA recursive_triggers=on;")

    def execute(self, sql: str, parameters: Parameters | None = None) -> sqlite3.Cursor:
        if parameters is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql, parameters)

    def close(self) -> None:
        self.conn.close()

    @property
    def full(self) -> Database:
        """The real ``sqlite_utils.Database`` on this connection (imports sqlite-utils)."""
        if self._full is None:
            from sqlite_utils import Database

            # No plugins: a sqlite-utils plugin installed for the CLI has no business changing
            # our connection (and looking for them scans every installed package).
            self._full = Database(self.conn, execute_plugins=False)
        return self._full

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_full", "conn"):
            raise AttributeError(name)
        return getattr(self.full, name)

    def __getitem__(self, table_name: str) -> Any:
        return self.full[table_name]

    def __enter__(self) -> LazyDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LazyDatabase {self.conn!r}>"


def as_database(conn: sqlite3.Connection) -> Database:
    """A handle that behaves as a ``sqlite_utils.Database`` on ``conn`` (see ``LazyDatabase``)."""
    return cast("Database", LazyDatabase(conn))


def full_database(db: Database) -> Database:
    """The real ``sqlite_utils.Database`` behind a handle (itself if it is one already)."""
    handle: object = db
    return handle.full if isinstance(handle, LazyDatabase) else db


MigrationFunction = Callable[["Database"], None]


class MigrationSet:
    """``sqlite_utils.Migrations`` registered without importing sqlite-utils.

    ``@migrations()`` records a migration as ``Migrations`` would (its name, its function, whether
    it runs in a transaction); ``names`` and ``applied_names`` answer from that record and one
    query; anything else (``apply``, ``pending``, ``applied``…) goes to the real ``Migrations``,
    built with the same registrations on first use.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._recorded: list[tuple[str, MigrationFunction, bool]] = []
        self._real: Migrations | None = None

    def __call__(
        self, *, name: str | None = None, transactional: bool = True
    ) -> Callable[[MigrationFunction], MigrationFunction]:
        def record(function: MigrationFunction) -> MigrationFunction:
            migration_name = name or function.__name__
            if migration_name in self.names:
                raise ValueError(f"migration {migration_name!r} is already registered")
            if self._real is not None:
                self._real(name=migration_name, transactional=transactional)(function)
            self._recorded.append((migration_name, function, transactional))
            return function

        return record

    @property
    def names(self) -> list[str]:
        """Every registered migration, in order."""
        return [name for name, _, _ in self._recorded]

    def applied_names(self, db: Database) -> list[str]:
        """The migrations of this set the database records as applied, in order: what
        ``Migrations.applied`` lists, read with one query."""
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE]
        ).fetchone()
        if not exists:
            return []
        rows = db.execute(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
            [self.name],
        ).fetchall()
        return [str(row[0]) for row in rows]

    def apply(self, db: Database) -> None:
        self.real.apply(full_database(db))

    @property
    def real(self) -> Migrations:
        """The ``sqlite_utils.Migrations`` holding the same migrations (imports sqlite-utils)."""
        if self._real is None:
            from sqlite_utils import Migrations

            real = Migrations(self.name)
            for name, function, transactional in self._recorded:
                real(name=name, transactional=transactional)(function)
            self._real = real
        return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_real", "_recorded", "name"):
            raise AttributeError(name)
        return getattr(self.real, name)
