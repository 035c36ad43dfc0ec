"""The SQLite database: opening it safely (migrating it, refusing what is not ours), transactions.

Cron and editors share one file, so the database runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later tries to write
fails with "database is locked" at once instead of waiting for the busy timeout.
"""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.errors import DatabaseBusy, DatabaseError, DatabaseUnusable
from wistia_sync.store.lazydb import MIGRATIONS_TABLE, as_database
from wistia_sync.store.migrations import MIGRATION_SET, migrations

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_SECONDS = 30.0
BUSY_TIMEOUT_ENV = "WISTIA_SYNC_BUSY_TIMEOUT"  # seconds; tests shorten it
_DAMAGED_ERROR_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def open_database(path: str | Path, *, verify: bool = False, create: bool = False) -> Database:
    """Open and migrate the wistia-sync database at ``path``; ``create`` makes one if no file
    is there (``sync`` and ``run`` only: a misspelt ``--db`` must never become an empty site).

    Refuses, without changing it, a missing file (unless ``create``), an empty one (0 bytes, or
    SQLite with no tables: not a database this tool made), a file that is not SQLite, whose
    header or schema is damaged, that belongs to another application, or that holds migrations
    newer than this version of wistia-sync knows. ``verify`` also reads every page
    (``check_integrity``): the cron ``run`` does, editor commands do not, since that costs about
    5 ms per thousand videos on every command. A missing folder, a read-only file or folder, a
    full disk and a database kept busy by another process each give one line naming the file
    and what to do.
    """
    path = Path(path)
    check_database_path(path, create=create)
    if create and not path.exists():
        _create_database(path)
    conn = _connect(path, must_exist=True)
    try:
        db = as_database(conn)
        # These checks come before anything that writes: a refused file stays as it was.
        _refuse_non_sqlite(db, path)
        if verify:
            check_integrity(db, path)
        else:
            _check_schema_readable(db)
        _refuse_foreign(db, path)
        applied = _refuse_newer_schema(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        if set(migrations.names) - set(applied):
            with write_transaction(db):
                migrations.apply(db)
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorcode", None) in _DAMAGED_ERROR_CODES:
            raise DatabaseError(
                f"{path} is damaged (SQLite: {error}); left untouched: restore it from a backup"
            ) from error
        raise explain_sqlite_error(error, path) or DatabaseError(
            f"cannot open database {path}: {error}"
        ) from error
    except BaseException:
        conn.close()
        raise
    return db


def check_database_path(path: Path, *, create: bool = False) -> None:
    """Refuse, before anything touches the disk, a ``--db`` that cannot be the database.

    ``run`` calls it before taking its lock (the lock file lives next to the database).
    """
    if path.is_dir():
        raise DatabaseUnusable(f"database path {path} is a folder, not a file")
    folder_missing = not path.parent.is_dir()
    if create and folder_missing:
        raise DatabaseUnusable(
            f"cannot create the database {path}: the folder {path.parent} does not exist; "
            "create it or pass another --db"
        )
    if not create and not path.exists():
        from wistia_sync.config import DB_ENV

        why = f" (the folder {path.parent} does not exist)" if folder_missing else ""
        raise DatabaseUnusable(
            f"no database at {path}{why}: pass the right --db (or ${DB_ENV}); only "
            "`wistia-sync sync` and `wistia-sync run` create one"
        )
    try:
        empty = path.stat().st_size == 0
    except FileNotFoundError:
        return  # not there yet: created below (``create``)
    except OSError as error:
        raise DatabaseUnusable(f"cannot use the database {path}: {error.strerror}") from None
    if empty:
        raise DatabaseUnusable(
            f"{path} is an empty file (0 bytes), not a wistia-sync database; left untouched: "
            "pass the right --db, or remove the file to let `wistia-sync sync` create a new one"
        )


def _create_database(path: Path) -> None:
    """Build a new database beside ``path``, then link it into place only if no file is there.

    Nobody ever sees a half-made database (an empty file is refused by every command), and a
    file another process created meanwhile is opened, never replaced.
    """
    import tempfile  # only sync and run create a database: editor commands never import it

    from wistia_sync.store.snapshot import create_schema

    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    except OSError as error:
        raise DatabaseUnusable(
            f"cannot create the database {path}: {error.strerror}; check that the folder "
            f"{path.parent} is writable and not full, or pass another --db"
        ) from None
    os.close(fd)  # mkstemp makes it owner-only: editors' work is not world-writable
    temp = Path(temp_name)
    try:
        conn = _connect(temp)
        try:
            db = as_database(conn)
            db.execute("PRAGMA journal_mode=WAL")
            with write_transaction(db):
                create_schema(db)
        except (sqlite3.DatabaseError, DatabaseError) as error:
            cause = error.__cause__ if isinstance(error, DatabaseError) else error
            if not isinstance(cause, sqlite3.Error):
                raise
            raise explain_sqlite_error(cause, path) or DatabaseError(
                f"cannot create the database {path}: {cause}"
            ) from error
        finally:
            conn.close()  # the last connection: SQLite checkpoints and removes temp's -wal
        fsync_path(temp)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process created it first: open that one
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
                raise _os_error(error, path) from None
            # No hard links on this file system: claim the name exclusively (a file another
            # process made first is kept and opened), then put the database over the claim.
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            else:
                temp.replace(path)
        fsync_path(path.parent)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename in it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_error(error: OSError, path: Path | str) -> DatabaseError:
    """The one line for an operating-system failure on a database file (or one beside it)."""
    if error.errno == errno.ENOSPC or error.errno == errno.EDQUOT:
        return DatabaseError(f"no space left on the disk holding {path}; free some space")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DatabaseUnusable(
            f"cannot write {path}: {error.strerror}; make it and its folder writable"
        )
    return DatabaseError(f"cannot use {path}: {error.strerror or error}")


def explain_sqlite_error(error: sqlite3.Error, path: Path | str) -> DatabaseError | None:
    """The clear error for a failure of the environment (busy, read-only, cannot open, full),
    or None for anything else (a bug must not be disguised as a setup problem)."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusy(
            f"the database {path} is busy: another process kept it locked for more than "
            f"{busy_timeout():g} s; try again later"
        )
    if code == sqlite3.SQLITE_READONLY:
        return DatabaseUnusable(
            f"the database {path} is read-only: make the file and its folder writable "
            f"(SQLite also writes {path}-wal and {path}-shm next to it)"
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        return DatabaseUnusable(
            f"cannot open the database {path}: check that it and its folder are readable and "
            "writable (SQLite writes its -wal and -shm files there)"
        )
    if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        # SQLite reports ENOSPC as SQLITE_FULL only for the database file itself; growing its
        # -wal or -shm file on a full disk is a plain "disk I/O error".
        free = _free_bytes(Path(path).parent)
        if code == sqlite3.SQLITE_FULL or (free is not None and free < _FULL_DISK_BYTES):
            return DatabaseError(
                f"no space left on the disk holding the database {path}: free some space and "
                "try again (nothing already committed is lost)"
            )
        return DatabaseError(
            f"the disk holding the database {path} failed to read or write it (SQLite: "
            f"{error}); check the disk and its free space"
        )
    if code == sqlite3.SQLITE_PERM or code == sqlite3.SQLITE_AUTH:
        return DatabaseUnusable(f"no permission to use the database {path}")
    return None


_FULL_DISK_BYTES = 1024 * 1024  # less free space than this, and an I/O error means "full"


def _free_bytes(folder: Path) -> int | None:
    try:
        info = os.statvfs(folder)
    except OSError:
        return None
    return info.f_bavail * info.f_frsize


def busy_timeout() -> float:
    from wistia_sync.config import seconds_from_env

    return seconds_from_env(BUSY_TIMEOUT_ENV, BUSY_TIMEOUT_SECONDS)


def _connect(path: Path, *, must_exist: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode; ``must_exist``: SQLite itself refuses to create the file
    (``mode=rw``), so a database deleted after ``check_database_path`` is not made anew."""
    target, uri = (
        (f"{path.absolute().as_uri()}?mode=rw", True) if must_exist else (str(path), False)
    )
    try:
        return sqlite3.connect(
            target, timeout=busy_timeout(), isolation_level=None, check_same_thread=False, uri=uri
        )
    except sqlite3.DatabaseError as error:
        raise explain_sqlite_error(error, path) or DatabaseError(
            f"cannot open database {path}: {error}"
        ) from error


def _refuse_non_sqlite(db: Database, path: Path) -> None:
    """Refuse a file that is not SQLite, asking SQLite itself to read its header.

    Reading the header with ``open()`` would be wrong: closing any file descriptor of the
    database file drops every POSIX lock this process holds on it, so a second connection
    opened while a first is active would make another process take the first one's WAL for
    abandoned, and what the first connection wrote next would be lost.
    """
    try:
        db.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_NOTADB:
            raise
        raise DatabaseError(
            f"{path} is not a wistia-sync database (not an SQLite file); left untouched"
        ) from None


def check_integrity(db: Database, path: Path) -> None:
    """Refuse a damaged file (a bad copy, a bad sector) before a write spreads the damage.

    SQLite alone notices damage only on the pages a statement reads, so a sync could commit
    into a broken file. ``quick_check`` reads every page: about 5 ms per thousand videos, which
    the cron ``run`` pays once per run and editor commands do not pay at all.
    """
    verdict = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    if verdict != ["ok"]:
        raise DatabaseError(
            f"{path} is damaged (SQLite: {verdict[0]}); left untouched: restore it from a backup"
        )


def _refuse_foreign(db: Database, path: Path) -> None:
    """Refuse an SQLite file another application made: its tables are not ours to migrate."""
    tables = {
        str(row[0])
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    }
    if not tables:  # databases are made whole by ``_create_database``: this one was not
        raise DatabaseUnusable(
            f"{path} is an empty SQLite file, not a wistia-sync database; left untouched: pass "
            "the right --db, or remove the file to let `wistia-sync sync` create a new one"
        )
    ours = (
        MIGRATIONS_TABLE in tables
        and db.execute(
            f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE migration_set = ? LIMIT 1",
            [MIGRATION_SET],
        ).fetchone()
    )
    if not ours:
        shown = ", ".join(sorted(tables)[:5])
        raise DatabaseError(
            f"{path} is an SQLite database of another application (tables: {shown}), not a "
            "wistia-sync database; left untouched: pass another --db"
        )


def _check_schema_readable(db: Database) -> None:
    """The cheap check on every open: the header and the schema pages parse (a constant cost).

    A truncated copy or a damaged first page fails here with SQLITE_CORRUPT or SQLITE_NOTADB,
    which ``open_database`` turns into one clear line.
    """
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _refuse_newer_schema(db: Database, path: Path) -> list[str]:
    """The migrations the database has applied; refused if it has one this version lacks."""
    applied = migrations.applied_names(db)
    unknown = sorted(set(applied) - set(migrations.names))
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer wistia-sync (unknown migration {unknown[-1]}); "
            "upgrade wistia-sync to use it"
        )
    return applied


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    Nested use becomes a savepoint, so library functions can be composed inside one transaction.
    """
    if db.conn.in_transaction:
        with _savepoint(db):
            yield db
        return
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
    except sqlite3.DatabaseError as error:
        where = database_file(db)
        explained = _damage_error(error, where) or explain_sqlite_error(error, where)
        if explained is None:
            raise
        raise explained from error


_savepoint_numbers = itertools.count(1)


@contextmanager
def _savepoint(db: Database) -> Iterator[None]:
    """What sqlite-utils' ``Database.atomic()`` does inside a transaction, without importing
    sqlite-utils (0.17 s a process) for it: a savepoint, rolled back to if the block fails."""
    name = f"wistia_sync_{next(_savepoint_numbers)}"
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        # An error such as a RAISE(ROLLBACK) trigger can end the whole transaction, savepoints
        # included: cleaning up then would hide the error behind "no such savepoint".
        if db.conn.in_transaction:
            db.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            db.conn.execute(f"RELEASE SAVEPOINT {name}")
        raise
    db.conn.execute(f"RELEASE SAVEPOINT {name}")


def _damage_error(error: sqlite3.DatabaseError, where: str) -> DatabaseError | None:
    """A clear error for damage a statement ran into (only ``run`` reads every page up front)."""
    if getattr(error, "sqlite_errorcode", None) not in _DAMAGED_ERROR_CODES:
        return None
    return DatabaseError(
        f"{where} is damaged (SQLite: {error}); the change was rolled back: restore it from a "
        "backup"
    )


def database_file(db: Database) -> str:
    """The file of the main database (for messages)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file) or ":memory:"
    return "the database"
