"""The schema, as ordered migrations: each runs once per database, in order.

Migrations are frozen: each spells out the columns and state keys it uses, as they were when it
was written, so a fresh database and an upgraded one always end up alike
(``tests/store/test_schema.py`` checks both against ``tests/golden/schema/fresh.sql``). A new
table or column is a new migration at the end, never an edit of one above.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from wistia_sync.store.lazydb import MigrationSet
from wistia_sync.store.timestamps import format_timestamp, utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

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
    takedown = format_timestamp(datetime.now(UTC) + timedelta(seconds=_m008_takedown_grace(db)))
    db.execute(
        "UPDATE published_files SET expires_at = ? WHERE expires_at > ? AND path LIKE 'pages/%'",
        [takedown, takedown],
    )
    _m008_fold_tag_keys(db)
    db.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('publish_full_rebuild', '1')"
    )


def _m008_takedown_grace(db: Database) -> int:
    """The site's takedown grace as m008 found it (its key and default, frozen here)."""
    row = db.execute(
        "SELECT value FROM sync_state WHERE key = 'site_takedown_grace_seconds'"
    ).fetchone()
    try:
        return max(int(row[0]), 0) if row else 600
    except ValueError:
        return 600


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


@migrations()
def m011_delivery_intents(db: Database) -> None:
    """What a delivery to a target set out to change, until the target's ``files.json`` says it
    is done, and when each target was last compared with a listing of its objects.

    ``delivery_intents`` holds the target's "dirty" paths (files to upload or objects to remove,
    shards included), written before the first request and removed only once ``files.json`` is
    in place: a delivery that failed or was killed leaves them, and the next one re-sends them
    whatever the two file lists say. ``delivery_reconciles`` records each reconcile by listing.
    """
    db.executescript(
        """
        CREATE TABLE delivery_intents (
            target TEXT NOT NULL,
            path TEXT NOT NULL,
            intended_at TEXT NOT NULL,
            PRIMARY KEY (target, path)
        ) WITHOUT ROWID;
        CREATE TABLE delivery_reconciles (
            target TEXT PRIMARY KEY,
            reconciled_at TEXT NOT NULL,
            objects INTEGER NOT NULL
        );
        """
    )


def _m012_purge_key(spec: str) -> str:
    # Frozen copy of deliver.purge.kinds.purge_key as it was, lenient: a spec it cannot read
    # keeps its kind (or the whole text) rather than stopping the upgrade.
    kind, _, argument = spec.strip().partition(":")
    if kind == "command":
        return "command"
    if kind in ("cloudfront", "cloudflare", "fastly"):
        identifier = argument.partition(":")[0]
        return f"{kind}:{identifier}" if identifier else kind
    return spec


@migrations()
def m012_site_delivery(db: Database) -> None:
    """Owed purges and spend keyed by the provider's kind and zone, and deliveries owed.

    ``purge_pending`` and ``purge_spend`` were keyed by the exact ``--purge`` string, so fixing a
    command's arguments (or switching Cloudflare to tags) stranded the paths owed: rows are
    re-keyed (``cloudflare:ZONE``, ``cloudfront:DISTRIBUTION``, ``fastly:SERVICE``, ``command``)
    and merged, the oldest failure and the most attempts kept, spend summed.
    ``delivery_owed`` holds one row per target whose last delivery failed (or ran out of
    time), until a delivery to it completes: ``status`` shows its age, and the webhook worker
    retries it. The delivery settings themselves are ``sync_state`` keys (``site_delivery_*``).
    """
    pending = db.execute(
        "SELECT provider, path, first_failed_at, last_error, attempts FROM purge_pending"
    ).fetchall()
    merged: dict[tuple[str, str], list[object]] = {}
    for provider, path, first_failed_at, last_error, attempts in pending:
        key = (_m012_purge_key(str(provider)), str(path))
        row = merged.get(key)
        if row is None:
            merged[key] = [first_failed_at, last_error, attempts]
        else:
            row[0] = min(str(row[0]), str(first_failed_at))
            row[2] = max(int(str(row[2])), int(attempts))
    spend: dict[tuple[str, str], list[int]] = {}
    for month, provider, paths, calls in db.execute(
        "SELECT month, provider, paths, calls FROM purge_spend"
    ).fetchall():
        total = spend.setdefault((str(month), _m012_purge_key(str(provider))), [0, 0])
        total[0] += int(paths)
        total[1] += int(calls)
    db.execute("DELETE FROM purge_pending")
    db.execute("DELETE FROM purge_spend")
    db.conn.executemany(
        "INSERT INTO purge_pending (provider, path, first_failed_at, last_error, attempts) "
        "VALUES (?, ?, ?, ?, ?)",
        [(provider, path, *row) for (provider, path), row in merged.items()],
    )
    db.conn.executemany(
        "INSERT INTO purge_spend (month, provider, paths, calls) VALUES (?, ?, ?, ?)",
        [(month, provider, *total) for (month, provider), total in spend.items()],
    )
    db.execute(
        "CREATE TABLE delivery_owed (target TEXT PRIMARY KEY, first_failed_at TEXT NOT NULL, "
        "last_failed_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1, "
        "last_error TEXT NOT NULL)"
    )


# The published columns of ``videos`` as m008 left them (frozen here for m013).
_M013_VIDEO_COLUMNS = (
    "name", "description", "type", "status", "archived", "duration", "created", "updated",
    "thumbnail_url", "folder_hashed_id", "plays", "deleted_at", "visibility", "width", "height",
    "protected",
)  # fmt: skip
_M013_PAUSED = "NOT EXISTS (SELECT 1 FROM change_tracking_paused)"


@migrations()
def m013_page_change_tracking(db: Database) -> None:
    """Let a sync record a page's changes with one statement, not two trigger statements a row.

    ``change_tracking_paused`` holds a row only inside a sync's page transaction (inserted and
    deleted in it, so never committed and never seen by another connection): while it does,
    the triggers a page store fires on ``videos`` and ``video_tags`` stand aside, and the sync
    writes the same ``publish_changes`` (one row per changed video) and one ``content_version``
    bump itself. Every other writer, editors and other tools included, is tracked as before.
    """
    db.execute(
        "CREATE TABLE change_tracking_paused (paused INTEGER PRIMARY KEY CHECK (paused = 1))"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _M013_VIDEO_COLUMNS)
    bump = "UPDATE sync_state SET value = value + 1 WHERE key = 'content_version';"
    record = "INSERT INTO publish_changes (kind, key) VALUES ('video', {row}.hashed_id);"
    new, old = record.format(row="NEW"), record.format(row="OLD")
    triggers = {
        "videos_content_insert": ("INSERT ON videos", _M013_PAUSED, bump),
        "videos_changes_insert": ("INSERT ON videos", _M013_PAUSED, new),
        "videos_content_update": ("UPDATE ON videos", f"{_M013_PAUSED} AND ({changed})", bump),
        "videos_changes_update": (
            "UPDATE ON videos",
            f"{_M013_PAUSED} AND ({changed})",
            f"{old} {new}",
        ),
        "video_tags_content_insert": ("INSERT ON video_tags", _M013_PAUSED, bump),
        "video_tags_changes_insert": ("INSERT ON video_tags", _M013_PAUSED, new),
        "video_tags_content_delete": ("DELETE ON video_tags", _M013_PAUSED, bump),
        "video_tags_changes_delete": ("DELETE ON video_tags", _M013_PAUSED, old),
    }
    for name, (event, when, body) in triggers.items():
        db.execute(f"DROP TRIGGER {name}")
        db.execute(f"CREATE TRIGGER {name} AFTER {event} WHEN {when} BEGIN {body} END")


# The published columns of ``videos`` as m008 left them (frozen here for m014).
_M014_VIDEO_COLUMNS = (
    "name", "description", "type", "status", "archived", "duration", "created", "updated",
    "thumbnail_url", "folder_hashed_id", "plays", "deleted_at", "visibility", "width", "height",
    "protected",
)  # fmt: skip
_M014_PAUSED = "NOT EXISTS (SELECT 1 FROM change_tracking_paused)"


@migrations()
def m014_update_triggers_of_published_columns(db: Database) -> None:
    """The triggers noticing a change to a published column of ``videos`` run only for an update
    that sets one (``UPDATE OF``): SQLite runs an ``AFTER UPDATE`` trigger once a row, even when
    its ``WHEN`` is false, so a recrawl moving ``last_seen`` of every unchanged media ran two
    trigger programs a row for nothing. An update that sets none of these columns changed none
    of them, which the ``WHEN`` said already: what is recorded, and when, is as before.
    """
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _M014_VIDEO_COLUMNS)
    bump = "UPDATE sync_state SET value = value + 1 WHERE key = 'content_version';"
    record = "INSERT INTO publish_changes (kind, key) VALUES ('video', {row}.hashed_id);"
    published = ", ".join(_M014_VIDEO_COLUMNS)
    for name, body in (
        ("videos_content_update", bump),
        ("videos_changes_update", f"{record.format(row='OLD')} {record.format(row='NEW')}"),
    ):
        db.execute(f"DROP TRIGGER {name}")
        db.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE OF {published} ON videos "
            f"WHEN {_M014_PAUSED} AND ({changed}) BEGIN {body} END"
        )


@migrations()
def m015_captions(db: Database) -> None:
    """Captions and chapters of each video, as read from Wistia (issue 20).

    - ``video_captions``: one finished (never draft) caption per video and language, its cues
      already cleaned (``[[start_ms, end_ms, text], …]`` JSON), the digest naming its published
      WebVTT file (``contract.vtt.cues_digest``) and its plain-text transcript.
    - ``caption_sync``: per video, its chapters (``[[title, start_seconds], …]`` JSON), the
      ``updated`` it was last read at (a later one makes it due again), when, in which full
      crawl's round (a later full crawl makes it due again), what reading it repaired
      (``notes``), and its failures in a row with the time of the next retry.

    Triggers record a ``publish_changes`` row for the video and bump ``content_version`` when
    its captions or chapters change, whoever changes them.
    """
    db.executescript(
        """
        CREATE TABLE video_captions (
            hashed_id TEXT NOT NULL,
            lang TEXT NOT NULL,
            label TEXT NOT NULL,
            wistia_id TEXT,
            cues TEXT NOT NULL,
            digest TEXT NOT NULL,
            transcript TEXT NOT NULL,
            PRIMARY KEY (hashed_id, lang)
        ) WITHOUT ROWID;
        CREATE TABLE caption_sync (
            hashed_id TEXT PRIMARY KEY,
            chapters TEXT NOT NULL DEFAULT '[]',
            synced_updated TEXT,
            synced_at TEXT,
            full_round INTEGER NOT NULL DEFAULT 0,
            notes TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            retry_at TEXT
        );
        CREATE INDEX caption_sync_retry ON caption_sync(retry_at) WHERE retry_at IS NOT NULL;
        """
    )
    bump = "UPDATE sync_state SET value = value + 1 WHERE key = 'content_version';"
    record = "INSERT INTO publish_changes (kind, key) VALUES ('video', {row}.hashed_id);"
    new, old = record.format(row="NEW"), record.format(row="OLD")
    triggers = {
        "video_captions_changes_insert": ("INSERT ON video_captions", "1", f"{new} {bump}"),
        "video_captions_changes_delete": ("DELETE ON video_captions", "1", f"{old} {bump}"),
        "video_captions_changes_update": (
            "UPDATE ON video_captions",
            "OLD.label IS NOT NEW.label OR OLD.cues IS NOT NEW.cues OR OLD.lang IS NOT NEW.lang",
            f"{old} {new} {bump}",
        ),
        "caption_sync_changes_insert": (
            "INSERT ON caption_sync",
            "NEW.chapters != '[]'",
            f"{new} {bump}",
        ),
        "caption_sync_changes_delete": (
            "DELETE ON caption_sync",
            "OLD.chapters != '[]'",
            f"{old} {bump}",
        ),
        "caption_sync_changes_update": (
            "UPDATE ON caption_sync",
            "OLD.chapters IS NOT NEW.chapters",
            f"{new} {bump}",
        ),
    }
    for name, (event, when, body) in triggers.items():
        db.execute(f"CREATE TRIGGER {name} AFTER {event} WHEN {when} BEGIN {body} END")


@migrations()
def m016_search_index(db: Database) -> None:
    """The search index's state as the last publish left it (issue 21).

    - ``search_videos``: each indexed (published) video, its stable number in the index, its
      terms with the mask of fields each is found in (``{term: mask}`` JSON, so an edit knows
      the terms it takes away) and its display record (JSON).
    - ``search_shards``: each shard the entry lists. ``kind`` ``t``: postings from the key
      (``start_term``, ``start_number``) up to the next shard's, ``body`` its file's text (an
      edit reads the few it rewrites); ``r``: display records of block ``start_number``;
      ``l``: the list of the record blocks of chunk ``start_number``.
    """
    db.executescript(
        """
        CREATE TABLE search_videos (
            hashed_id TEXT PRIMARY KEY,
            number INTEGER NOT NULL UNIQUE,
            terms TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE TABLE search_shards (
            kind TEXT NOT NULL,
            start_term TEXT NOT NULL,
            start_number INTEGER NOT NULL,
            path TEXT NOT NULL,
            postings INTEGER NOT NULL,
            body TEXT,
            PRIMARY KEY (kind, start_term, start_number)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m017_video_slugs(db: Database) -> None:
    """Issue 22: each video's slug, assigned once when the video is first published and kept
    for as long as the database keeps the video (a rename keeps it; a slug is never reused).

    - ``seq``: the order slugs were assigned in: a video's sitemap file is ``seq // 1000``
      (``publish.sitemaps``), so a video never moves between sitemap files.
    - ``shard``: which ``slugs/<shard>.json`` lookup file lists it (``catalog.slugs``).

    The next publish rebuilds every file, which gives every published video its slug.
    """
    db.executescript(
        """
        CREATE TABLE video_slugs (
            seq INTEGER PRIMARY KEY,
            hashed_id TEXT NOT NULL UNIQUE,
            slug TEXT NOT NULL UNIQUE,
            shard INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX video_slugs_shard ON video_slugs(shard);
        INSERT OR REPLACE INTO sync_state (key, value) VALUES ('publish_full_rebuild', '1');
        """
    )


@migrations()
def m018_publish_state_by_bucket(db: Database) -> None:
    """The publisher's state as a row a bucket, a row a page and a row a video (issue 19).

    A rebuild recorded a row a member of every playlist (``publish_members``, five or so a
    video) and a row a video of every page (``publish_page_videos``), each with an index: most
    of what a rebuild cost beyond writing its files. Now:

    - ``publish_buckets.members``: the bucket's sort keys in order, one a line (a sort key ends
      with its video's hashed_id, so it names the member too);
    - ``publish_videos.sort_key`` and ``.playlists`` (entry paths, one a line): where each
      published video is, so a changed video's old buckets are still found from the video;
    - ``publish_pages``: the hashed_ids each immutable page holds, one a line, so a page retired
      earlier is still found and taken down when a video it holds stops being published.

    The old rows are carried over, then their tables dropped.
    """
    db.executescript(
        """
        ALTER TABLE publish_buckets ADD COLUMN members TEXT;
        ALTER TABLE publish_videos ADD COLUMN sort_key TEXT;
        ALTER TABLE publish_videos ADD COLUMN playlists TEXT;
        UPDATE publish_videos SET
            sort_key = (SELECT min(m.sort_key) FROM publish_members m
                        WHERE m.hashed_id = publish_videos.hashed_id),
            playlists = (SELECT group_concat(m.playlist, char(10)) FROM publish_members m
                         WHERE m.hashed_id = publish_videos.hashed_id);
        UPDATE publish_buckets SET members = coalesce((
            SELECT group_concat(sort_key, char(10)) FROM (
                SELECT m.sort_key FROM publish_members m
                WHERE m.playlist = publish_buckets.playlist
                AND m.sort_key >= publish_buckets.start_key
                AND NOT EXISTS (
                    SELECT 1 FROM publish_buckets b
                    WHERE b.playlist = publish_buckets.playlist
                    AND b.start_key > publish_buckets.start_key AND b.start_key <= m.sort_key
                )
                ORDER BY m.sort_key
            )
        ), '');
        CREATE TABLE publish_pages (
            page TEXT PRIMARY KEY,
            videos TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO publish_pages (page, videos)
            SELECT page, group_concat(hashed_id, char(10)) FROM (
                SELECT page, hashed_id FROM publish_page_videos ORDER BY page, hashed_id
            ) GROUP BY page;
        DROP TABLE publish_members;
        DROP TABLE publish_page_videos;
        """
    )


@migrations()
def m019_file_list_ranges(db: Database) -> None:
    """Keep the file list's shard ranges and its index's chunks as rows, not one JSON value; pin
    the page size of a site that has published already.

    ``publish_file_shards``: a row per shard of ``files.json``'s list (its first path, entries,
    file, fingerprint); ``publish_file_lists``: a row per chunk of the list of shards (its range
    start, shards, files, first shard's start, file (NULL: inline in ``files.json``),
    fingerprint). An edit then reads and rewrites the few rows it touches, where it loaded and
    dumped every range. The JSON values an earlier release kept are moved into the rows.

    The default page size becomes 40 (it was 100) with this release: a site that has published
    and never set one keeps 100 (``site_page_size``), so an upgrade re-cuts no playlist.
    """
    db.executescript(
        """
        CREATE TABLE publish_file_shards (
            start TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            page TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE publish_file_lists (
            start TEXT PRIMARY KEY,
            shards INTEGER NOT NULL,
            files INTEGER NOT NULL,
            first TEXT NOT NULL,
            page TEXT,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO publish_file_shards (start, size, page, sha256, bytes)
            SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'),
                   json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'),
                   json_extract(r.value, '$[4]')
            FROM sync_state s, json_each(s.value) r
            WHERE s.key = 'publish_file_shards' AND json_valid(s.value)
                AND json_type(r.value, '$[0]') = 'text' AND json_type(r.value, '$[2]') = 'text';
        INSERT OR IGNORE INTO publish_file_lists (start, shards, files, first, page, sha256, bytes)
            SELECT c.start, c.shards,
                (SELECT coalesce(sum(f.size), 0) FROM publish_file_shards f
                    WHERE f.start >= c.start AND (c.next IS NULL OR f.start < c.next)),
                coalesce((SELECT min(f.start) FROM publish_file_shards f
                    WHERE f.start >= c.start AND (c.next IS NULL OR f.start < c.next)), c.start),
                c.page, c.sha256, c.bytes
            FROM (SELECT json_extract(r.value, '$[0]') AS start,
                         json_extract(r.value, '$[1]') AS shards,
                         json_extract(r.value, '$[2]') AS page,
                         coalesce(json_extract(r.value, '$[3]'), '') AS sha256,
                         coalesce(json_extract(r.value, '$[4]'), 0) AS bytes,
                         lead(json_extract(r.value, '$[0]')) OVER
                             (ORDER BY json_extract(r.value, '$[0]')) AS next
                  FROM sync_state s, json_each(s.value) r
                  WHERE s.key = 'publish_file_shard_lists' AND json_valid(s.value)
                      AND json_type(r.value, '$[0]') = 'text') c;
        DELETE FROM sync_state WHERE key IN ('publish_file_shards', 'publish_file_shard_lists');
        INSERT INTO sync_state (key, value)
            SELECT 'site_page_size', '100'
            WHERE EXISTS (SELECT 1 FROM publish_playlists)
                AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'site_page_size');
        """
    )


@migrations()
def m021_file_list_tree(db: Database) -> None:
    """Keep the file list's index as a tree of small chunks, a row per chunk at every level.

    ``publish_file_nodes``: a row per chunk (``level`` 1 lists shards, ``level`` n lists chunks
    of level n - 1), with its range start, shards and files under it, first path, file (NULL:
    the root, inline in ``files.json``) and fingerprint. It replaces ``publish_file_lists`` (the
    chunks of the two-level index): the next publish cuts the tree from the shards' rows, which
    rewrites the index's chunks once (never a shard or a page).
    """
    db.executescript(
        """
        CREATE TABLE publish_file_nodes (
            level INTEGER NOT NULL,
            start TEXT NOT NULL,
            shards INTEGER NOT NULL,
            files INTEGER NOT NULL,
            first TEXT NOT NULL,
            page TEXT,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            PRIMARY KEY (level, start)
        ) WITHOUT ROWID;
        DROP TABLE publish_file_lists;
        """
    )


@migrations()
def m023_search_shard_starts(db: Database) -> None:
    """Issue 19 target 5: an edit reads every term shard's start, path and postings (to find
    the shards its postings fall in) but the text of a few: an index holding the first without
    the texts (``body``, tens of kB a row) reads them in a tenth of the time."""
    db.execute(
        "CREATE INDEX search_shard_starts ON search_shards "
        "(kind, start_term, start_number, path, postings)"
    )


@migrations()
def m025_publish_bucket_pages(db: Database) -> None:
    """Issue 19 target 5: an edit reads every bucket's start, size and page of each playlist it
    touches (2,300 rows for ``videos.json`` at 100k) but the members of a few; the table holds
    each bucket's members inline (~1.3 kB a row), so reading the rest stepped through ~3 MB of
    pages. An index holding the rest without the members reads a twentieth of it."""
    db.execute(
        "CREATE INDEX publish_bucket_pages ON publish_buckets (playlist, start_key, size, page)"
    )


@migrations()
def m027_file_list_keys(db: Database) -> None:
    """Issue 19 target 4: the file list is ordered by a sort key, not by path.

    ``published_files.key``: the path, but for a search file, whose key puts its kind and place
    first (``search/<kind><place, 6+ hex digits>/<name>``: ``t`` a term shard and the number its
    postings start at, ``r`` a record block and its block, ``l`` a record list and its list; the
    rule is ``contract.layout.search_file_key``, spelt out here as it is today): the file an
    edit writes in place of one sorts beside it, where their content-hash names fell in two
    random shards of the list. The recorded search files get their keys from
    ``search_shards``; the file list is then cut again whole by the next publish (its shards
    were ranges of paths).
    """
    db.executescript(
        """
        ALTER TABLE published_files ADD COLUMN key TEXT;
        UPDATE published_files SET key = path;
        UPDATE published_files SET key = (
            SELECT 'search/' || s.kind || printf('%06x', s.start_number) || '/'
                || substr(published_files.path, 8)
            FROM search_shards s WHERE s.path = published_files.path
        ) WHERE path IN (SELECT path FROM search_shards);
        CREATE UNIQUE INDEX published_files_key ON published_files(key);
        INSERT OR REPLACE INTO sync_state (key, value)
            SELECT 'publish_files_list_dirty', '1'
            WHERE EXISTS (SELECT 1 FROM publish_file_shards);
        """
    )
