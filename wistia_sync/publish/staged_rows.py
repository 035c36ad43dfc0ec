"""What a publish rendered that only its recorded state needs, held by SQLite rather than in memory.

A rebuild renders every bucket of every playlist and every video's JSON text. The publisher
state needs them once the files are in place: each rendered bucket's members
(``publish_buckets``, a row a bucket), the videos of each page rendered (``publish_pages``, a
row a page), each changed video's text and where it is (``publish_videos``). Held in memory
until then they grew with the catalog. So each playlist's rendered buckets and pages go to temp
tables as soon as its pages are rendered, each video's text as soon as its file is, in the
order of the tables they are copied into (a b-tree appended to, not inserted into), and SQLite
copies them when the state is recorded.

The temp tables live on the publish's connection for as long as the publish (``held_for_state``);
they are not part of the database file, so a publish that fails leaves nothing of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.buckets import Bucket

BUCKETS = "temp.publish_rendered_buckets"
PAGES = "temp.publish_rendered_pages"
TEXTS = "temp.publish_rendered_texts"
# A rebuild's search index: each video's row, each shard's row with its text (made by
# ``search_index.plan_search``, which a floor script runs alone; dropped here with the others).
SEARCH_VIDEOS = "temp.publish_search_videos"
SEARCH_SHARDS = "temp.publish_search_shards"
_TABLES = (BUCKETS, PAGES, TEXTS, SEARCH_VIDEOS, SEARCH_SHARDS)
_IDS = "(SELECT value FROM json_each(?))"


@contextmanager
def held_for_state(db: Database) -> Iterator[None]:
    """The temp tables of one publish (made afresh by each plan: ``reset``), dropped at its end."""
    try:
        yield
    finally:
        for table in _TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table}")


def reset(db: Database) -> None:
    """Empty tables: a plan made again (the state out of step) starts from nothing."""
    for table in _TABLES:  # the search index's too, made by ``search_index`` in a rebuild
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(
        f"CREATE TABLE {BUCKETS} (playlist TEXT, start_key TEXT, size INTEGER, page TEXT, "
        "members TEXT)"
    )
    db.execute(f"CREATE TABLE {PAGES} (page TEXT, videos TEXT)")
    db.execute(f"CREATE TABLE {TEXTS} (hashed_id TEXT, json TEXT, sort_key TEXT, playlists TEXT)")


def add_members(
    db: Database,
    playlist: str,
    buckets: Iterable[Bucket],
    *,
    inline: int | None = None,
    keep: bool,
) -> None:
    """Hold the playlist's rendered buckets with their members, and the videos of their pages,
    and let the buckets go of their members (``keep=False``: a dry run, which records no state
    and changes no table, not even a temp one).

    A bucket's row is held when it is dirty (its recorded row is replaced), its page's videos
    whenever its members were loaded. ``inline``: how many of the first bucket's members are
    inline in the entry file, its tail being on its page; an inline member is on no page.
    """
    bucket_rows: list[tuple[str, str, int, str | None, str]] = []
    page_rows: list[tuple[str, str]] = []
    for index, bucket in enumerate(buckets):
        members = bucket.members
        if members is None:
            continue
        bucket.members = None
        if not keep:
            continue
        if bucket.dirty:
            keys = "\n".join([key for key, _ in members])
            bucket_rows.append((playlist, bucket.start, bucket.size, bucket.page, keys))
        if bucket.page is not None:
            head = inline if index == 0 and inline is not None else 0
            page_rows.append((bucket.page, "\n".join([h for _, h in members[head:]])))
    if bucket_rows:
        db.conn.executemany(f"INSERT INTO {BUCKETS} VALUES (?, ?, ?, ?, ?)", bucket_rows)
    if page_rows:
        db.conn.executemany(f"INSERT INTO {PAGES} VALUES (?, ?)", page_rows)


def add_texts(db: Database, texts: Iterable[tuple[str, str, str, str]]) -> None:
    """Hold (hashed_id, JSON text, sort key, playlists one a line) of changed videos, given in
    hashed_id order."""
    db.conn.executemany(f"INSERT INTO {TEXTS} VALUES (?, ?, ?, ?)", texts)


def record_texts(db: Database) -> None:
    """``publish_videos`` rows of the changed videos (the caller deleted their old rows)."""
    db.execute(
        "INSERT INTO publish_videos (hashed_id, json, sort_key, playlists) "
        f"SELECT * FROM {TEXTS} ORDER BY rowid"
    )


def record_buckets(db: Database) -> None:
    """``publish_buckets`` rows of the rendered buckets (replacing those recorded)."""
    db.execute(
        "INSERT OR REPLACE INTO publish_buckets (playlist, start_key, size, page, members) "
        f"SELECT * FROM {BUCKETS} ORDER BY rowid"
    )


def record_pages(db: Database, new_pages: Iterable[str], *, new: bool) -> None:
    """Which videos each rendered page holds (pages are immutable: rows never change, only go):
    those of ``new_pages`` (``new``), or of every other page rendered."""
    db.execute(
        f"INSERT OR IGNORE INTO publish_pages (page, videos) SELECT page, videos FROM {PAGES} "
        f"WHERE page {'IN' if new else 'NOT IN'} {_IDS} ORDER BY page",
        [json.dumps(sorted(new_pages))],
    )
