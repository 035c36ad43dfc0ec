"""The SQLite database: opening it safely, its schema (ordered migrations), write transactions.

Cron and editors share one file, so the database runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later tries to write
fails with "database is locked" at once instead of waiting for the busy timeout.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.errors import DatabaseBusy, DatabaseError, DatabaseUnusable
from wistia_sync.store.lazydb import MIGRATIONS_TABLE, MigrationSet, as_database

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_SECONDS = 30.0
BUSY_TIMEOUT_ENV = "WISTIA_SYNC_BUSY_TIMEOUT"  # seconds; tests shorten it
_DAMAGED_ERROR_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
MIGRATION_SET = "wistia_sync"

# sqlite-utils' Migrations, recorded without importing sqlite-utils: opening a database whose
# schema is current needs one query, not the package (see wistia_sync.store.lazydb).
migrations = MigrationSet(MIGRATION_SET)


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
# Migrations are frozen: each spells out the columns and state keys it uses, as they were when it
# was written, so a fresh database and an upgraded one always end up alike
# (tests/golden/schema.sql pins what a fresh one holds).
_V1_PUBLISHED_COLUMNS = {
    "videos": (
        "name", "description", "type", "status", "archived", "duration", "created", "updated",
        "thumbnail_url", "folder_hashed_id", "plays", "deleted_at", "visibility",
    ),
    "tags": ("name", "slug"),
    "folders": ("name",),
    "video_tags": ("hashed_id", "tag_id", "source"),
}  # fmt: skip
CONTENT_VERSION_KEY = "content_version"
FULL_REBUILD_KEY = "publish_full_rebuild"  # set: the next publish rebuilds every file
PUBLISHED_VERSION_KEY = "published_content_version"


@migrations()
def m002_content_version(db: Database) -> None:
    """Count every change to what the output shows, whoever makes it and however it ends.

    A run killed after committing part of a sync, a publish that failed on a full disk, an editor
    command run with ``--no-publish``: each leaves the output behind the database, and the next
    ``run`` cannot tell from its own sync. Triggers bump ``content_version`` in the same
    transaction as the change; a publish records the version it published.
    """
    bump = "UPDATE sync_state SET value = value + 1 WHERE key = 'content_version';"
    statements = ["INSERT OR IGNORE INTO sync_state (key, value) VALUES ('content_version', '0')"]
    for table, columns in _V1_PUBLISHED_COLUMNS.items():
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
def m003_rejected_media(db: Database) -> None:
    """Quarantine for media records that cannot be stored safely, and a run's warnings.

    A record is kept with the reason and its raw JSON (for a person to read, never published)
    under its hashed id, or a digest of the record when it has no usable one. Tag keys become
    NFC (``Café`` and ``Cafe\u0301`` are one tag from now on); a key that would then collide
    with another tag's keeps its old spelling rather than merging two editors' tags silently.
    """
    db.execute(
        "CREATE TABLE rejected_media (key TEXT PRIMARY KEY, hashed_id TEXT, reason TEXT NOT NULL, "
        "raw TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL)"
    )
    db.execute("ALTER TABLE sync_runs ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sync_runs ADD COLUMN warnings TEXT")
    keys = {str(row[1]): int(row[0]) for row in db.execute("SELECT id, key FROM tags")}
    for key, tag_id in keys.items():
        normal = unicodedata.normalize("NFC", key)
        if normal != key and normal not in keys:
            db.execute("UPDATE tags SET key = ? WHERE id = ?", [normal, tag_id])


# What each change to a published column means for the publisher: which video, tag or folder to
# look at again. Tag and folder changes fan out to their videos when the publisher reads them.
_CHANGE_SUBJECTS = {
    "videos": ("video", "hashed_id"),
    "video_tags": ("video", "hashed_id"),
    "tags": ("tag", "id"),
    "folders": ("folder", "hashed_id"),
}


@migrations()
def m004_publish_v2(db: Database) -> None:
    """Publish v2: record *which* videos, tags and folders changed, and the publisher's state.

    - ``publish_changes``: one row per change to a published column, written by triggers in the
      same transaction as the change (whoever makes it), consumed by the publish that applied it.
    - ``publish_members``, ``publish_buckets``, ``publish_playlists``: what the last publish put
      in each playlist and which bucket (page) holds which range of it, so the next publish
      rebuilds only the buckets a change touches; ``publish_videos``: each published video's
      JSON text, so refilling a bucket does not render its unchanged neighbours again.
    - ``published_files.cache`` (``entry`` or ``immutable``) and ``expires_at`` (when a retired
      immutable page may be removed: after the grace period, never while an entry file lists it).
    """
    db.executescript(
        """
        CREATE TABLE publish_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'tag', 'folder')),
            key TEXT NOT NULL
        );
        CREATE TABLE publish_members (
            playlist TEXT NOT NULL,
            sort_key TEXT NOT NULL,
            hashed_id TEXT NOT NULL,
            PRIMARY KEY (playlist, sort_key)
        ) WITHOUT ROWID;
        CREATE INDEX publish_members_video ON publish_members(hashed_id);
        CREATE TABLE publish_videos (
            hashed_id TEXT PRIMARY KEY,
            json TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE publish_buckets (
            playlist TEXT NOT NULL,
            start_key TEXT NOT NULL,
            size INTEGER NOT NULL,
            page TEXT,
            PRIMARY KEY (playlist, start_key)
        ) WITHOUT ROWID;
        CREATE TABLE publish_playlists (
            playlist TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            count INTEGER NOT NULL
        );
        ALTER TABLE published_files ADD COLUMN cache TEXT NOT NULL DEFAULT 'entry';
        ALTER TABLE published_files ADD COLUMN expires_at TEXT;
        CREATE INDEX published_files_expiry ON published_files(expires_at)
            WHERE expires_at IS NOT NULL;
        """
    )
    for table, columns in _V1_PUBLISHED_COLUMNS.items():
        kind, key = _CHANGE_SUBJECTS[table]
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        record = "INSERT INTO publish_changes (kind, key) VALUES ('{kind}', {row}.{key});"
        new, old = (
            record.format(kind=kind, row="NEW", key=key),
            record.format(kind=kind, row="OLD", key=key),
        )
        db.execute(f"CREATE TRIGGER {table}_changes_insert AFTER INSERT ON {table} BEGIN {new} END")
        db.execute(f"CREATE TRIGGER {table}_changes_delete AFTER DELETE ON {table} BEGIN {old} END")
        db.execute(
            f"CREATE TRIGGER {table}_changes_update AFTER UPDATE ON {table} "
            f"WHEN {changed} BEGIN {old} {new} END"
        )
    # The first v2 publish rebuilds everything (v1 left no bucket state).
    db.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('publish_full_rebuild', '1')"
    )


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


@migrations()
def m006_webhook_inbox(db: Database) -> None:
    """Wistia's webhook deliveries, stored before they are acknowledged, drained by a worker.

    ``uuid`` deduplicates repeated deliveries. Times are Unix seconds (``REAL``) because the
    debounce window and the event → published latency are measured in fractions of a second.
    """
    db.executescript(
        """
        CREATE TABLE webhook_events (
            uuid TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            hashed_id TEXT,
            account_id TEXT,
            generated_at TEXT,
            received_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'applied', 'ignored', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            applied_at REAL
        );
        CREATE INDEX webhook_events_state ON webhook_events(state, received_at);
        """
    )


def _remake_video_update_triggers(db: Database, columns: tuple[str, ...]) -> None:
    """Make again the triggers that notice a change to a published column of ``videos``, for
    these ``columns`` (each migration that publishes a new column passes them all)."""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    bump = "UPDATE sync_state SET value = value + 1 WHERE key = 'content_version';"
    record = "INSERT INTO publish_changes (kind, key) VALUES ('video', {row}.hashed_id);"
    for name, body in (
        ("videos_content_update", bump),
        ("videos_changes_update", f"{record.format(row='OLD')} {record.format(row='NEW')}"),
    ):
        db.execute(f"DROP TRIGGER {name}")
        db.execute(f"CREATE TRIGGER {name} AFTER UPDATE ON videos WHEN {changed} BEGIN {body} END")


@migrations()
def m007_media_dimensions(db: Database) -> None:
    """A video's width and height in pixels (from Wistia's assets; null when it gives none).

    They are published, so the triggers that notice a change to a published column of
    ``videos`` are made again with them. The next run crawls in full (every media gets its
    dimensions, not only those an incremental run lists) and the next publish rebuilds every
    file (each video object gains the two fields).
    """
    for column in ("width", "height"):
        db.execute(f"ALTER TABLE videos ADD COLUMN {column} INTEGER")
    _remake_video_update_triggers(db, (*_V1_PUBLISHED_COLUMNS["videos"], "width", "height"))
    db.execute("DELETE FROM sync_state WHERE key = 'last_full_crawl'")
    db.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('publish_full_rebuild', '1')"
    )


@migrations()
def m008_protected_media(db: Database) -> None:
    """Nothing private stays published: protected media, and the videos each page holds.

    ``videos.protected``: whether Wistia protects a media (a password or other authentication to
    view), 1 or 0. A protected media is never published, so a change to the column is a change
    to published content, and the update triggers are made again with it. Rows stored before
    this migration read 0, as they were published until now; the next run crawls in full, so
    every media's real value is stored (and a protected one unpublished) by the first run after
    upgrading.

    ``publish_page_videos``: which videos each immutable page holds, so a page retired earlier
    (still on disk for its grace period) is found and taken down when a video it holds stops
    being published. The next publish rebuilds every file and so records every listed page;
    pages already retired, whose videos are not known, keep at most the takedown grace.
    """
    db.execute("ALTER TABLE videos ADD COLUMN protected INTEGER NOT NULL DEFAULT 0")
    _remake_video_update_triggers(
        db, (*_V1_PUBLISHED_COLUMNS["videos"], "width", "height", "protected")
    )
    db.execute("DELETE FROM sync_state WHERE key = 'last_full_crawl'")
    db.execute(
        "CREATE TABLE publish_page_videos (hashed_id TEXT NOT NULL, page TEXT NOT NULL, "
        "PRIMARY KEY (hashed_id, page)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX publish_page_videos_page ON publish_page_videos(page)")
    takedown = format_timestamp(datetime.now(UTC) + timedelta(seconds=takedown_grace_seconds(db)))
    db.execute(
        "UPDATE published_files SET expires_at = ? WHERE expires_at > ? AND path LIKE 'pages/%'",
        [takedown, takedown],
    )
    _m008_fold_tag_keys(db)
    db.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('publish_full_rebuild', '1')"
    )


def _m008_fold_tag_keys(db: Database) -> None:
    """Tag keys become NFKC (a fullwidth ``TAG`` is ``TAG``); tags whose keys now meet are
    merged into the oldest, which keeps its name and slug (as ``tag rename`` merges), every
    video keeping the tag, each merge in the change log."""
    rows = db.execute("SELECT id, name FROM tags ORDER BY id").fetchall()
    survivors: dict[str, tuple[int, str]] = {}
    now = utc_now()
    for tag_id, name in rows:
        folded = unicodedata.normalize(
            "NFKC", unicodedata.normalize("NFKC", name).strip().casefold()
        )
        survivor = survivors.setdefault(folded, (tag_id, name))
        if survivor[0] == tag_id:
            continue
        hashed_ids = [
            row[0]
            for row in db.execute(
                "SELECT DISTINCT hashed_id FROM video_tags WHERE tag_id = ? ORDER BY hashed_id",
                [tag_id],
            )
        ]
        db.execute(
            "INSERT OR IGNORE INTO video_tags (hashed_id, tag_id, source, added_at) "
            "SELECT hashed_id, ?, source, added_at FROM video_tags WHERE tag_id = ?",
            [survivor[0], tag_id],
        )
        db.execute("DELETE FROM video_tags WHERE tag_id = ?", [tag_id])
        db.execute("DELETE FROM tags WHERE id = ?", [tag_id])
        db.conn.executemany(
            "INSERT INTO change_log (at, actor, action, hashed_id, tag, before, after) "
            "VALUES (?, 'wistia-sync upgrade', 'tag merge', ?, ?, ?, ?)",
            [(now, hashed_id, survivor[1], name, survivor[1]) for hashed_id in hashed_ids],
        )
    # Two steps, so no key is ever held twice on the way (the column is unique).
    db.execute("UPDATE tags SET key = char(0) || id")
    db.conn.executemany(
        "UPDATE tags SET key = ? WHERE id = ?",
        [(folded, tag_id) for folded, (tag_id, _) in survivors.items()],
    )


@migrations()
def m009_media_failures(db: Database) -> None:
    """Requests about one media that failed on every attempt, each retried with a backoff.

    ``endpoint`` is ``stats`` (its play counts) or ``media`` (the check that confirms a deletion);
    ``retry_at`` is when the next run may ask again. A success removes the row.
    """
    db.execute(
        "CREATE TABLE media_failures (hashed_id TEXT NOT NULL, "
        "endpoint TEXT NOT NULL CHECK (endpoint IN ('stats', 'media')), "
        "failures INTEGER NOT NULL, first_failed_at TEXT NOT NULL, last_failed_at TEXT NOT NULL, "
        "retry_at TEXT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (hashed_id, endpoint))"
    )


@migrations()
def m010_webhook_retry(db: Database) -> None:
    """Deletions a webhook reported, until Wistia confirms or denies them.

    A ``media.deleted`` is recorded here when it is stored, and forgotten once the worker (or
    ``run``, by ``GET /medias/{id}``) has asked Wistia: a deletion the worker could not confirm
    (Wistia down for longer than its retries) is confirmed by the next ``run``, not left to the
    daily full crawl while the video stays public.
    """
    db.executescript(
        """
        CREATE TABLE webhook_deletions (
            hashed_id TEXT PRIMARY KEY,
            reported_at REAL NOT NULL,
            checks INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        """
    )


def utc_now() -> str:
    """The current time as the ISO 8601 UTC text every table stores."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


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
                migrations.apply(db)
        except (sqlite3.DatabaseError, DatabaseError) as error:
            cause = error.__cause__ if isinstance(error, DatabaseError) else error
            if not isinstance(cause, sqlite3.Error):
                raise
            raise explain_sqlite_error(cause, path) or DatabaseError(
                f"cannot create the database {path}: {cause}"
            ) from error
        finally:
            conn.close()  # the last connection: SQLite checkpoints and removes temp's -wal
        _fsync(temp)
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
        _fsync(path.parent)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
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
        with db.atomic():
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


# -- site settings: one value for cron and every editor, changed by `wistia-sync site` -------------

PAGE_SIZE_KEY = "site_page_size"
GRACE_KEY = "site_grace_seconds"
TAKEDOWN_GRACE_KEY = "site_takedown_grace_seconds"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_GRACE_SECONDS = 24 * 3600
DEFAULT_TAKEDOWN_GRACE_SECONDS = 600


def _int_state(db: Database, key: str, default: int) -> int:
    value = get_state(db, key)
    try:
        return default if value is None else int(value)
    except ValueError:
        return default


def page_size(db: Database) -> int:
    """Videos per playlist page (bucket target size): a setting of the site, not of a command."""
    return min(max(_int_state(db, PAGE_SIZE_KEY, DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)


def grace_seconds(db: Database) -> int:
    """How long a retired immutable page stays, for readers holding an older entry file."""
    return max(_int_state(db, GRACE_KEY, DEFAULT_GRACE_SECONDS), 0)


def takedown_grace_seconds(db: Database) -> int:
    """How long a retired page holding a video that is no longer published may stay."""
    return max(_int_state(db, TAKEDOWN_GRACE_KEY, DEFAULT_TAKEDOWN_GRACE_SECONDS), 0)


def full_rebuild_pending(db: Database) -> bool:
    return get_state(db, FULL_REBUILD_KEY) == "1"
