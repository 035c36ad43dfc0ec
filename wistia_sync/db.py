"""The SQLite database: opening it safely, its schema (ordered migrations), write transactions.

Cron and editors share one file, so the database runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later tries to write
fails with "database is locked" at once instead of waiting for the busy timeout.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database, Migrations

from wistia_sync.errors import DatabaseError

BUSY_TIMEOUT_SECONDS = 30.0
_DAMAGED_ERROR_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
MIGRATION_SET = "wistia_sync"

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE folders (
            hashed_id TEXT PRIMARY KEY,
            id INTEGER,
            name TEXT NOT NULL
        );
        CREATE TABLE videos (
            hashed_id TEXT PRIMARY KEY,
            id INTEGER,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0,
            duration REAL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            thumbnail_url TEXT,
            folder_hashed_id TEXT REFERENCES folders(hashed_id),
            plays INTEGER,
            plays_fetched_at TEXT,
            stats_error TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            deleted_at TEXT,
            visibility TEXT NOT NULL DEFAULT 'public'
                CHECK (visibility IN ('public', 'hidden'))
        );
        CREATE INDEX videos_folder ON videos(folder_hashed_id);
        CREATE INDEX videos_created ON videos(created DESC, hashed_id);
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            slug TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE video_tags (
            hashed_id TEXT NOT NULL REFERENCES videos(hashed_id),
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            source TEXT NOT NULL CHECK (source IN ('wistia', 'editor')),
            added_at TEXT NOT NULL,
            PRIMARY KEY (hashed_id, tag_id, source)
        );
        CREATE INDEX video_tags_tag ON video_tags(tag_id);
        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            mode TEXT NOT NULL,
            source TEXT NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'running',
            requests INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            stats_fetched INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE TABLE change_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            hashed_id TEXT,
            tag TEXT,
            before TEXT,
            after TEXT
        );
        CREATE INDEX change_log_video ON change_log(hashed_id);
        CREATE TABLE published_files (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL
        );
        """
    )


# What the published files show; a change to any of these columns makes the output out of date.
_PUBLISHED_COLUMNS = {
    "videos": (
        "name", "description", "type", "status", "archived", "duration", "created", "updated",
        "thumbnail_url", "folder_hashed_id", "plays", "deleted_at", "visibility",
    ),
    "tags": ("name", "slug"),
    "folders": ("name",),
    "video_tags": ("hashed_id", "tag_id", "source"),
}  # fmt: skip
CONTENT_VERSION_KEY = "content_version"
PUBLISHED_VERSION_KEY = "published_content_version"


@migrations()
def m002_content_version(db: Database) -> None:
    """Count every change to what the output shows, whoever makes it and however it ends.

    A run killed after committing part of a sync, a publish that failed on a full disk, an editor
    command run with ``--no-publish``: each leaves the output behind the database, and the next
    ``run`` cannot tell from its own sync. Triggers bump ``content_version`` in the same
    transaction as the change; a publish records the version it published.
    """
    bump = f"UPDATE sync_state SET value = value + 1 WHERE key = '{CONTENT_VERSION_KEY}';"
    statements = [
        f"INSERT OR IGNORE INTO sync_state (key, value) VALUES ('{CONTENT_VERSION_KEY}', '0')"
    ]
    for table, columns in _PUBLISHED_COLUMNS.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        statements += [
            f"CREATE TRIGGER {table}_content_insert AFTER INSERT ON {table} BEGIN {bump} END",
            f"CREATE TRIGGER {table}_content_delete AFTER DELETE ON {table} BEGIN {bump} END",
            f"CREATE TRIGGER {table}_content_update AFTER UPDATE ON {table} "
            f"WHEN {changed} BEGIN {bump} END",
        ]
    for statement in statements:
        db.execute(statement)


@migrations()
def m005_delivery(db: Database) -> None:
    """CDN purges: what each provider was sent this month, and purges still owed after a failure.

    ``purge_pending`` holds every output path a failed purge did not reach, per provider
    (``cloudfront:E123…``), so the next delivery retries it; ``deliveries`` records each one;
    ``freshness`` how long each publish took to be served everywhere (``verify --wait``).
    """
    # One statement at a time: executescript would commit the migration's transaction early.
    statements = (
        """
        CREATE TABLE purge_spend (
            month TEXT NOT NULL,
            provider TEXT NOT NULL,
            paths INTEGER NOT NULL DEFAULT 0,
            calls INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (month, provider)
        )
        """,
        """
        CREATE TABLE purge_pending (
            provider TEXT NOT NULL,
            path TEXT NOT NULL,
            first_failed_at TEXT NOT NULL,
            last_error TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (provider, path)
        )
        """,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            target TEXT NOT NULL,
            generation TEXT,
            uploaded INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            purge TEXT,
            purged INTEGER NOT NULL DEFAULT 0,
            purge_error TEXT
        )
        """,
        """
        CREATE TABLE freshness (
            generation TEXT NOT NULL,
            base_url TEXT NOT NULL,
            published_at TEXT NOT NULL,
            fresh_at TEXT NOT NULL,
            latency_seconds REAL NOT NULL,
            repurged INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (generation, base_url)
        )
        """,
    )
    for statement in statements:
        db.execute(statement)


def utc_now() -> str:
    """The current time as the ISO 8601 UTC text every table stores."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def open_database(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the database at ``path``.

    Refuses, without changing it, a file that is not SQLite, that is damaged, or that holds
    migrations newer than this version of wistia-sync knows.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise DatabaseError(f"database path {path} is a folder, not a file")
    _check_is_sqlite(path)
    new_file = not path.exists()
    if new_file:
        # Owner-only: the database holds nothing secret, but editors' work is not world-writable.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = _connect(path)
    try:
        db = Database(conn)
        # Both checks before anything that writes: a refused file stays byte for byte as it was.
        _refuse_damaged(db, path)
        _refuse_newer_schema(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        if migrations.pending(db):
            with write_transaction(db):
                migrations.apply(db)
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorcode", None) in _DAMAGED_ERROR_CODES:
            raise DatabaseError(
                f"{path} is damaged (SQLite: {error}); left untouched: restore it from a backup"
            ) from error
        raise DatabaseError(f"cannot open database {path}: {error}") from error
    except BaseException:
        conn.close()
        raise
    return db


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot open database {path}: {error}") from error


def _check_is_sqlite(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise DatabaseError(
            f"{path} is not a wistia-sync database (not an SQLite file); left untouched"
        )


def _refuse_damaged(db: Database, path: Path) -> None:
    """Refuse a damaged file (a bad copy, a bad sector) before a write spreads the damage.

    SQLite alone notices damage only on the pages a statement reads, so a sync or an editor
    command could commit into a broken file. ``quick_check`` reads every page: about 5 ms per
    thousand videos.
    """
    verdict = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    if verdict != ["ok"]:
        raise DatabaseError(
            f"{path} is damaged (SQLite: {verdict[0]}); left untouched: restore it from a backup"
        )


def _refuse_newer_schema(db: Database, path: Path) -> None:
    known = {migration.name for migration in migrations._migrations}
    applied = {migration.name for migration in migrations.applied(db)}
    unknown = sorted(applied - known)
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer wistia-sync (unknown migration {unknown[-1]}); "
            "upgrade wistia-sync to use it"
        )


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    Nested use becomes a savepoint, so library functions can be composed inside one transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


LAST_FULL_CRAWL_KEY = "last_full_crawl"


def watermark_key(pass_name: str) -> str:
    """The ``sync_state`` key of a listing pass's watermark (``active`` or ``archived``)."""
    return f"watermark:{pass_name}"


def get_state(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_state(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def content_version(db: Database) -> int:
    """How many changes to published content the database has seen (see m002)."""
    return int(get_state(db, CONTENT_VERSION_KEY) or 0)


def output_behind(db: Database) -> bool:
    """Whether the database changed since the content the last publish recorded."""
    published = get_state(db, PUBLISHED_VERSION_KEY)
    return published is None or int(published) < content_version(db)


def record_published_version(db: Database, version: int) -> None:
    """After a complete publish that read the database at ``version`` or later."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [PUBLISHED_VERSION_KEY, str(version)],
        )
