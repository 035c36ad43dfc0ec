"""Reading the database for a publish: one read transaction, indexed queries only.

An incremental publish reads the pending changes, the rows of the videos they touch, and the
publisher's own state for the buckets they fall in, never a whole table. A full rebuild reads
every published video in a handful of queries.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.publish.build import (
    RenderedVideo,
    TagOrder,
    VideoRow,
    dumps,
    render_video_tagged,
)
from wistia_sync.publish.captions import EMPTY_EXTRAS, video_extras
from wistia_sync.publish.file_records import FileRecords

if TYPE_CHECKING:
    from sqlite_utils import Database


_VIDEO_COLUMNS = """
    v.hashed_id, v.name, v.description, v.duration, v.created, v.updated,
    v.thumbnail_url, v.plays, f.hashed_id, f.name, v.width, v.height
"""
_IDS = "(SELECT value FROM json_each(?))"
_TAGS_QUERY = "SELECT id, name, slug FROM tags"
_PLAYLIST = operator.itemgetter(0)


@contextmanager
def read_transaction(db: Database) -> Iterator[None]:
    """Every query inside sees the same snapshot (WAL keeps it while writers go on)."""
    if db.conn.in_transaction:  # the caller's transaction already gives one snapshot
        yield
        return
    db.execute("BEGIN")
    try:
        yield
    finally:
        if db.conn.in_transaction:
            db.execute("COMMIT")


class PendingChanges:
    __slots__ = ("last_id", "videos")

    def __init__(self, last_id: int, videos: set[str]) -> None:
        self.last_id = last_id  # the publish consumes change rows up to this id
        self.videos = videos


def pending_changes(db: Database, *, full: bool = False) -> PendingChanges:
    """The videos whose published form may have changed, tag and folder changes fanned out.

    ``full``: a rebuild reads every video anyway, so only the last change id is read.
    """
    if full:
        last = db.execute("SELECT max(id) FROM publish_changes").fetchone()[0]
        return PendingChanges(last or 0, set())
    rows = db.execute("SELECT id, kind, key FROM publish_changes ORDER BY id").fetchall()
    videos: set[str] = set()
    tags: set[str] = set()
    folders: set[str] = set()
    for _, kind, key in rows:
        {"video": videos, "tag": tags, "folder": folders}[kind].add(key)
    if tags:
        videos.update(
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT hashed_id FROM video_tags WHERE tag_id IN {_IDS}",
                [json.dumps(sorted(int(tag) for tag in tags))],
            ).fetchall()
        )
    if folders:
        videos.update(
            row[0]
            for row in db.execute(
                f"SELECT hashed_id FROM videos WHERE folder_hashed_id IN {_IDS}",
                [json.dumps(sorted(folders))],
            ).fetchall()
        )
    return PendingChanges(rows[-1][0] if rows else 0, videos)


def has_pending_changes(db: Database) -> bool:
    return db.execute("SELECT 1 FROM publish_changes LIMIT 1").fetchone() is not None


def published_videos(db: Database, hashed_ids: Iterable[str] | None) -> dict[str, RenderedVideo]:
    """The published form of the given videos (all published videos for None).

    A video that is not published (or cannot be published safely) is simply absent. Videos and
    their tag links are both read in hashed_id order and merged as they come: rendered as they
    are read, with no table of every video's tags held first (nor a join of every link with its
    video); each tag's (name, slug) is one object, however many videos carry it.
    """
    where = PUBLISHED_VIDEO_CONDITION
    links_where = ""
    parameters: list[str] = []
    if hashed_ids is not None:
        hashed_ids = sorted(hashed_ids)  # read twice below
        where += f" AND v.hashed_id IN {_IDS}"
        links_where = f" WHERE hashed_id IN {_IDS}"
        parameters.append(json.dumps(hashed_ids))
    order = TagOrder(db.execute(_TAGS_QUERY))
    rank = order.rank
    # No DISTINCT (a sort of every row): a tag from two sources is deduplicated when rendered.
    links = db.execute(
        f"SELECT hashed_id, tag_id FROM video_tags{links_where} ORDER BY hashed_id", parameters
    )
    link = next(links, None)
    extras = video_extras(db, hashed_ids)
    # Slugs too are read in step (a dict of every video's slug beside every rendered video was
    # ~45 MB at 300k, the peak's); sorted by SQLite (``+``: its hashed_id index would cost a
    # table lookup a row, 3x the CPU).
    slugs = db.execute(
        f"SELECT hashed_id, slug FROM video_slugs{links_where} ORDER BY +hashed_id", parameters
    )
    slug_row = next(slugs, None)
    rendered = {}
    for row in db.execute(
        f"SELECT {_VIDEO_COLUMNS} FROM videos v LEFT JOIN folders f "
        f"ON f.hashed_id = v.folder_hashed_id WHERE {where} ORDER BY v.hashed_id",
        parameters,
    ):
        hashed_id = row[0]
        # Both in SQLite's binary order, which is Python's order of the decoded text too.
        while link is not None and link[0] < hashed_id:  # an unpublished video's links
            link = next(links, None)
        ranks = set()
        while link is not None and link[0] == hashed_id:
            tag = rank.get(link[1])
            if tag is not None:
                ranks.add(tag)
            link = next(links, None)
        extra = extras.get(hashed_id)
        while slug_row is not None and slug_row[0] < hashed_id:  # an unpublished video's slug
            slug_row = next(slugs, None)
        slug = slug_row[1] if slug_row is not None and slug_row[0] == hashed_id else None
        video = render_video_tagged(
            VideoRow(*row),
            order.of(ranks),
            (EMPTY_EXTRAS if extra is None else extra.json)
            + ("" if slug is None else f',"slug":{dumps(slug)}'),
            () if extra is None else extra.files,
        )
        if video is not None:
            rendered[hashed_id] = video
    return rendered


def memberships(
    db: Database, hashed_ids: Iterable[str] | None, *, leaving_out: Container[str] = ()
) -> dict[str, dict[str, str]]:
    """What the last publish put where: video -> {playlist entry path: sort key} (a video has one
    sort key, the same in each of its playlists); the videos in ``leaving_out`` are not read."""
    sql = "SELECT hashed_id, sort_key, playlists FROM publish_videos"
    parameters: list[str] = []
    if hashed_ids is not None:
        sql += f" WHERE hashed_id IN {_IDS}"
        parameters.append(json.dumps(sorted(hashed_ids)))
    # Each playlist's path is one string however many videos name it: a rebuild reads every
    # video's line, and a split makes a new string a path (a third of what it would hold).
    paths: dict[str, str] = {}
    share = paths.setdefault
    return {
        hashed_id: {share(path, path): key for path in playlists.split("\n")}
        for hashed_id, key, playlists in db.execute(sql, parameters)
        if key is not None and playlists and hashed_id not in leaving_out
    }


def video_texts(db: Database, hashed_ids: Iterable[str]) -> dict[str, str]:
    """The JSON text the last publish recorded for each of these videos."""
    return dict(
        db.execute(
            f"SELECT hashed_id, json FROM publish_videos WHERE hashed_id IN {_IDS}",
            [json.dumps(sorted(hashed_ids))],
        ).fetchall()
    )


# (playlist, start key, size, page): a recorded bucket as SQLite gives it (a rebuild's state
# and an edit of a long playlist read thousands; no object a row beyond SQLite's own tuple).
RecordedBucket = tuple[str, str, int, str | None]


def buckets(db: Database, playlists: Iterable[str] | None) -> dict[str, list[RecordedBucket]]:
    """The recorded buckets of each playlist, in playlist order."""
    sql = "SELECT playlist, start_key, size, page FROM publish_buckets"
    parameters: list[str] = []
    if playlists is not None:
        sql += f" WHERE playlist IN {_IDS}"
        parameters.append(json.dumps(sorted(playlists)))
    rows = db.execute(sql + " ORDER BY playlist, start_key", parameters).fetchall()
    return {playlist: list(group) for playlist, group in itertools.groupby(rows, _PLAYLIST)}


def bucket_members(db: Database, playlist: str, start: str) -> list[tuple[str, str]] | None:
    """(sort key, hashed_id) of the last publish's members of one bucket, in order (None: the
    bucket's members were not recorded)."""
    row = db.execute(
        "SELECT members FROM publish_buckets WHERE playlist = ? AND start_key = ?",
        [playlist, start],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [(key, key[key.rindex(" ") + 1 :]) for key in row[0].split("\n")] if row[0] else []


class RecordedPlaylist:
    __slots__ = ("count", "title")

    def __init__(self, title: str, count: int) -> None:
        self.title = title
        self.count = count


def any_playlist(db: Database) -> bool:
    """Whether the last publish recorded a playlist (one row read, where ``playlists`` reads
    all)."""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM publish_playlists)").fetchone()[0])


def playlists(db: Database) -> dict[str, RecordedPlaylist]:
    """Every playlist the last publish wrote (one row per tag and folder: a few hundred)."""
    return {
        path: RecordedPlaylist(title, count)
        for path, title, count in db.execute("SELECT playlist, title, count FROM publish_playlists")
    }


def file_records(
    db: Database,
    paths: Iterable[str] | None,
    *,
    expiring: bool = False,
    leaving_out: tuple[str, str] | None = None,
) -> FileRecords:
    """The records of ``paths`` (every file for None); ``expiring``: only those that expire;
    ``leaving_out``: not those whose path is in that range (``low <= path < high``)."""
    sql = "SELECT path, sha256, bytes, mtime_ns, expires_at FROM published_files"
    conditions: list[str] = []
    parameters: list[str] = []
    if paths is not None:
        conditions.append(f"path IN {_IDS}")
        parameters.append(json.dumps(sorted(paths)))
    if expiring:
        conditions.append("expires_at IS NOT NULL")
    if leaving_out is not None:
        conditions.append("NOT (path >= ? AND path < ?)")
        parameters += leaving_out
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    records = FileRecords()  # a rebuild reads every record: held compactly
    add = records.add
    for path, digest, size, mtime_ns, expires_at in db.execute(sql, parameters):
        add(path, digest, size, mtime_ns, expires_at)
    return records


def expired_pages(db: Database, now: str) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "SELECT path FROM published_files WHERE expires_at IS NOT NULL AND expires_at <= ? "
            "ORDER BY path",
            [now],
        )
    ]


def pages_holding(
    db: Database, hashed_ids: Iterable[str], retiring: Iterable[str]
) -> dict[str, str | None]:
    """``{page: expires_at}`` of the recorded pages that hold any of these videos, among those
    already retired (expiring) and ``retiring`` (pages this publish retires): a page still listed
    by a playlist the publish leaves alone keeps its place whatever it holds."""
    ids = set(hashed_ids)
    if not ids:
        return {}
    expiring = db.execute(
        "SELECT f.path, f.expires_at, p.videos FROM published_files f "
        "JOIN publish_pages p ON p.page = f.path WHERE f.expires_at IS NOT NULL"
    ).fetchall()
    retired = db.execute(
        "SELECT f.path, f.expires_at, p.videos FROM publish_pages p "
        f"JOIN published_files f ON f.path = p.page WHERE p.page IN {_IDS}",
        [json.dumps(sorted(retiring))],
    ).fetchall()
    return {
        page: expires_at
        for page, expires_at, videos in [*expiring, *retired]
        if not ids.isdisjoint(videos.split("\n"))
    }
