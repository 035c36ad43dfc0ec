"""The index of ``files.json``'s shards: a tree of small chunks, cut like pages at every level.

Level 1 cuts the shards, in key order, by their first keys with ``buckets.normalise`` (split
past twice ``LIST_SIZE``, merge below half); level 2 cuts the level-1 chunks the same way, and
so on until a level has one chunk: the root, inline in ``files.json`` (a small site, up to
``INLINE_SHARDS`` shards, has no chunk: ``files.json`` lists every shard). Every other chunk is an
immutable file ``shard-lists/<hash>.json``: at level 1 it lists shards (``"shards"``, links
``../files/<hash>.json``), above it lists chunks of the level below (``"shard_lists"``, links
``<hash>.json`` beside it). A chunk holding a child that was rewritten or went is rewritten;
the others keep their names.

Chunks are small and the tree's fan-out fixed, so what an edit writes of the index is a few
chunks per level and a root of at most ``2 * LIST_SIZE`` lines: a catalog ten times larger adds
a level (a chunk or two more), where a two-level index grew a line per chunk in ``files.json``
and had an edit's scattered paths fall in more chunks. The ranges are kept as rows of
``publish_file_nodes`` (by level, with what the parent says of each: its shards, files, first
path and fingerprint), so a rebuild cuts the same chunks and an edit reads only the rows around
the ones it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wistia_sync.contract.layout import link, shard_list_path
from wistia_sync.publish import rangerows
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import SCHEMA_VERSION, dumps, encode, sha256

if TYPE_CHECKING:
    from sqlite_utils import Database

LIST_SIZE = 8  # links a chunk holds: 4 to 16 of them (about 0.8 to 3.4 KB)
# Up to this many shards (about 2,000 files) files.json lists them all itself and there is no
# chunk: a small site's index is what it always was, read by any reader of the first form.
INLINE_SHARDS = 128
NODES_TABLE = "publish_file_nodes"  # a row per chunk: level, start, then _COLUMNS
_COLUMNS = "shards, files, first, page, sha256, bytes"
# A child as a chunk lists it, the same columns at every level: a shard is one shard.
_SHARDS_TABLE = "publish_file_shards"
_SHARD_CHILDREN = (
    f"SELECT start, 1, size, start, page, sha256, bytes FROM {_SHARDS_TABLE} WHERE start >= ?"
)


def _children_query(level: int) -> str:
    """The children of a level-``level`` chunk from its start on (bound: the start)."""
    if level == 1:
        return _SHARD_CHILDREN
    return f"SELECT start, {_COLUMNS} FROM {NODES_TABLE} WHERE level = {level - 1} AND start >= ?"


CHUNK_LINKS_FROM = shard_list_path("0")  # every chunk is in that folder: links do not vary

Child = tuple[str, int, int, str, str, str, int]  # start, shards, files, first, page, sha, bytes


def plan_chunks(
    db: Database, contents: dict[str, bytes], changed: set[str], *, rebuild: bool
) -> set[str]:
    """Cut again the chunks, level by level, holding a ``changed`` shard start (all:
    ``rebuild``), from the rows as this publish leaves them; add the chunk files that change
    to ``contents``, record the rows, and return the chunk files no longer listed."""
    (shards,) = db.execute(f"SELECT count(*) FROM {_SHARDS_TABLE}").fetchone()
    if shards <= INLINE_SHARDS:
        return _drop_levels_above(db, 0)
    dropped: set[str] = set()
    level = 1
    while True:
        rebuild = rebuild or not rangerows.starts_at_origin(db, NODES_TABLE, level)
        changed, gone, count = _plan_level(db, level, contents, changed, rebuild=rebuild)
        dropped |= gone
        if count <= 1:
            break
        level += 1
    return dropped | _drop_levels_above(db, level)


def _drop_levels_above(db: Database, level: int) -> set[str]:
    """Forget the chunks above ``level`` (every chunk for 0); return their files."""
    above = f"FROM {NODES_TABLE} WHERE level > ?"
    dropped = {page for (page,) in db.execute(f"SELECT page {above}", [level]) if page}
    db.execute(f"DELETE {above}", [level])
    return dropped


def _plan_level(
    db: Database, level: int, contents: dict[str, bytes], changed: set[str], *, rebuild: bool
) -> tuple[set[str], set[str], int]:
    """One level: (the starts of its chunks rewritten or gone, the files dropped, how many
    chunks the level has now)."""
    if rebuild:
        chunks, rows = rangerows.every(db, NODES_TABLE, _COLUMNS, level)
        for chunk in chunks:
            chunk.dirty = True
        if not chunks or chunks[0].start != "":
            chunks = [Bucket("", 0, dirty=True)]
    else:
        dirty = rangerows.holding(db, NODES_TABLE, changed, level)
        chunks, rows = rangerows.window(db, NODES_TABLE, _COLUMNS, dirty, level)
    before: set[str] = set()
    for chunk in chunks:
        if chunk.start in rows:
            chunk.size, chunk.page = rows[chunk.start][0], rows[chunk.start][3]
            if chunk.page:
                before.add(chunk.page)
    children: dict[str, Child] = {}  # a child's start -> its row, for the chunks read

    def load(chunk: Bucket) -> list[Member]:
        if chunk.members is None:
            sql, parameters = _children_query(level), [chunk.start]
            if chunk.end is not None:
                sql += " AND start < ?"
                parameters.append(chunk.end)
            chunk.members = []
            for row in db.execute(sql + " ORDER BY start", parameters):
                children[row[0]] = row
                chunk.members.append((row[0], row[0]))
        return chunk.members

    final = normalise(chunks, LIST_SIZE, load)
    written: list[rangerows.Row] = []
    for chunk in final:
        if not (chunk.dirty or chunk.page is None):
            written.append((chunk.start, *rows[chunk.start]))
            continue
        listed = [children[start] for start, _ in load(chunk)]
        content = chunk_file(level, listed)
        digest = sha256(content)
        page = shard_list_path(digest)
        contents[page] = content
        first = listed[0][3] if listed else chunk.start
        shards, files = sum(row[1] for row in listed), sum(row[2] for row in listed)
        written.append((chunk.start, shards, files, first, page, digest, len(content)))
    recorded_starts = {chunk.start for chunk in chunks}
    rangerows.replace(
        db, NODES_TABLE, _COLUMNS, recorded_starts, written, whole=rebuild, level=level
    )
    count = db.execute(f"SELECT count(*) FROM {NODES_TABLE} WHERE level = ?", [level]).fetchone()
    if count[0] == 1:  # the root: inline in files.json, no file of its own
        (root,) = db.execute(f"SELECT page FROM {NODES_TABLE} WHERE level = ?", [level])
        if root[0] is not None:
            if contents.pop(root[0], None) is None:
                before.add(root[0])
            db.execute(
                f"UPDATE {NODES_TABLE} SET page = NULL, sha256 = '', bytes = 0 WHERE level = ?",
                [level],
            )
        written = [(*row[:4], None, "", 0) for row in written]
    kept = {row[4] for row in written}
    unchanged = {row[0] for row in written if row[0] in rows and tuple(row[1:]) == rows[row[0]]}
    return (recorded_starts | {row[0] for row in written}) - unchanged, before - kept, count[0]


def shard_line(row: rangerows.Row, relative_to: str) -> str:
    """A shard as the index (or a chunk of it) lists it, from its row (start, size, page,
    sha256, bytes)."""
    start, size, page, digest, length = row
    return (
        f'{{"url":"{link(relative_to, page)}","first":{dumps(start)},'
        f'"count":{size},"sha256":"{digest}","bytes":{length}}}'
    )


def chunk_line(row: rangerows.Row, relative_to: str) -> str:
    """A chunk as its parent (or ``files.json``) lists it, from its row (start, then
    ``_COLUMNS``)."""
    _, shards, files, first, page, digest, size = row
    return (
        f'{{"url":"{link(relative_to, page)}","first":{dumps(first)},"count":{files},'
        f'"shards":{shards},"sha256":"{digest}","bytes":{size}}}'
    )


def child_lines(level: int, children: list[Child], relative_to: str) -> str:
    """The lines of a level-``level`` chunk's children: shards at level 1, chunks above."""
    if level == 1:
        lines = [
            shard_line((row[0], row[2], row[4], row[5], row[6]), relative_to) for row in children
        ]
    else:
        lines = [chunk_line(row, relative_to) for row in children]
    return ",\n".join(lines)


def chunk_file(level: int, children: list[Child]) -> bytes:
    """A chunk of the index: its bytes (its path is ``shard_list_path`` of their hash)."""
    key = "shards" if level == 1 else "shard_lists"
    body = child_lines(level, children, CHUNK_LINKS_FROM)
    return encode(f'{{"schema_version":{SCHEMA_VERSION},"{key}":[\n{body}\n]}}')


def root(db: Database) -> tuple[int, int, list[Child]]:
    """The root's level, the files listed in all, and the root's children (shards at level
    1, chunks above), in order."""
    row = db.execute(
        f"SELECT level, files FROM {NODES_TABLE} ORDER BY level DESC LIMIT 1"
    ).fetchone()
    if row is None:  # a small site: every shard inline
        row = db.execute(f"SELECT 1, coalesce(sum(size), 0) FROM {_SHARDS_TABLE}").fetchone()
    level, files = row
    return level, files, list(db.execute(_children_query(level) + " ORDER BY start", [""]))
