"""What a publish rendered that only its recorded state needs, held by SQLite rather than in memory.

A rebuild renders every bucket of every playlist (five or so members a video) and every video's
JSON text. The publisher state needs them once the files are in place: the members of the
replaced videos (``publish_members``), the videos of each page rendered
(``publish_page_videos``), the texts of the changed videos (``publish_videos``). Held in memory
until then they grew with the catalog, and the members were inserted twice from Python. So
each playlist's rendered buckets go to a temp table as soon as its pages are rendered, each
video's text as soon as its file is, both in the order of the tables they are copied into (a
b-tree appended to, not inserted into), and SQLite copies them when the state is recorded.

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

MEMBERS = "temp.publish_rendered_members"
TEXTS = "temp.publish_rendered_texts"
_IDS = "(SELECT value FROM json_each(?))"
MEMBERS_VIDEO_INDEX = "publish_members_video"
PAGE_VIDEOS_PAGE_INDEX = "publish_page_videos_page"


@contextmanager
def held_for_state(db: Database) -> Iterator[None]:
    """The temp tables of one publish (made afresh by each plan: ``reset``), dropped at its end."""
    try:
        yield
    finally:
        for table in (MEMBERS, TEXTS):
            db.execute(f"DROP TABLE IF EXISTS {table}")


def reset(db: Database) -> None:
    """Empty tables: a plan made again (the state out of step) starts from nothing."""
    for table in (MEMBERS, TEXTS):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    # page: the page its bucket was rendered to (NULL: the first bucket, inline in the entry file)
    db.execute(f"CREATE TABLE {MEMBERS} (playlist TEXT, sort_key TEXT, hashed_id TEXT, page TEXT)")
    db.execute(f"CREATE TABLE {TEXTS} (hashed_id TEXT, json TEXT)")


def add_members(
    db: Database,
    playlist: str,
    buckets: Iterable[Bucket],
    *,
    inline: int | None = None,
    keep: bool,
) -> None:
    """Hold the members of the playlist's loaded buckets (the dirty ones and the first: those
    rendered), in key order, and let the buckets go of them (``keep=False``: a dry run, which
    records no state and changes no table, not even a temp one).

    ``inline``: how many of the first bucket's members are inline in the entry file, its tail
    being on its page (None: all of them when it has no page); an inline member is on no page.
    """
    sql = f"INSERT INTO {MEMBERS} VALUES (?, ?, ?, ?)"
    for index, bucket in enumerate(buckets):
        if bucket.members is not None:
            if keep:
                page = bucket.page
                head = inline if index == 0 and inline is not None else 0
                rows = [
                    (playlist, key, h, page if position >= head else None)
                    for position, (key, h) in enumerate(bucket.members)
                ]
                db.conn.executemany(sql, rows)
            bucket.members = None


def add_texts(db: Database, texts: Iterable[tuple[str, str]]) -> None:
    """Hold (hashed_id, JSON text) of changed videos, given in hashed_id order."""
    db.conn.executemany(f"INSERT INTO {TEXTS} VALUES (?, ?)", texts)


def record_texts(db: Database) -> None:
    """``publish_videos`` rows of the changed videos (the caller deleted their old rows)."""
    db.execute(f"INSERT INTO publish_videos (hashed_id, json) SELECT * FROM {TEXTS} ORDER BY rowid")


def record_members(db: Database, replaced: Iterable[str] | None) -> None:
    """``publish_members`` rows of the replaced videos (every one for None: a rebuild, which
    emptied the table: its index by video is built again after the rows, in one sort)."""
    columns = "playlist, sort_key, hashed_id"
    sql = f"INSERT INTO publish_members ({columns}) SELECT {columns} FROM {MEMBERS}"
    if replaced is None:
        index = drop_index(db, MEMBERS_VIDEO_INDEX)
        db.execute(f"{sql} ORDER BY rowid")
        if index is not None:
            db.execute(index)
        return
    db.execute(f"{sql} WHERE hashed_id IN {_IDS} ORDER BY rowid", [json.dumps(sorted(replaced))])


def record_page_videos(
    db: Database, new_pages: Iterable[str], *, new: bool, rebuild: bool = False
) -> None:
    """Which videos each rendered page holds (pages are immutable: rows never change, only go),
    in primary-key order: those of ``new_pages`` (``new``), or of every other page rendered.

    ``rebuild``: the index by page is dropped and built again after the rows, in one sort.
    """
    sql = (
        "INSERT OR IGNORE INTO publish_page_videos (hashed_id, page) "
        f"SELECT hashed_id, page FROM {MEMBERS} WHERE page IS NOT NULL "
        f"AND page {'IN' if new else 'NOT IN'} {_IDS} ORDER BY hashed_id, page"
    )
    index = drop_index(db, PAGE_VIDEOS_PAGE_INDEX) if rebuild else None
    db.execute(sql, [json.dumps(sorted(new_pages))])
    if index is not None:
        db.execute(index)


def drop_index(db: Database, name: str) -> str | None:
    """Drop the index, returning the statement that makes it again (None: there was none)."""
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [name]
    ).fetchone()
    if row is None:
        return None
    db.execute(f"DROP INDEX {name}")
    return str(row[0])
