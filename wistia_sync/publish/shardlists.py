"""The chunks of ``files.json``'s list of shards: stable ranges of the shards, cut like pages.

The shards, in path order, are cut by their first paths with ``buckets.normalise`` (split past
twice ``LIST_SIZE`` shards, merge below half). The first chunk's shards are inline in
``files.json``; every other chunk is an immutable file ``shard-lists/<hash>.json`` listing its
shards (links relative to itself, ``../files/<hash>.json``). A chunk holding a shard that was
rewritten or went is rewritten; the others keep their names. The ranges are kept as rows of
``publish_file_lists`` (with what ``files.json`` says of each: its shards, files, first shard
and fingerprint), so a rebuild cuts the same chunks and an edit reads only the rows it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wistia_sync.contract.layout import link, shard_list_path
from wistia_sync.publish import rangerows
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import SCHEMA_VERSION, dumps, encode, sha256

if TYPE_CHECKING:
    from sqlite_utils import Database

LIST_SIZE = 32  # shards a chunk lists: 16 to 64 of them (about 2 to 10 KB)
LISTS_TABLE = "publish_file_lists"
_COLUMNS = "shards, files, first, page, sha256, bytes"
_SHARDS = "SELECT start, size, page, sha256, bytes FROM publish_file_shards WHERE start >= ?"
CHUNK_LINKS_FROM = shard_list_path("0")  # every chunk is in that folder: links do not vary


def plan_chunks(
    db: Database, contents: dict[str, bytes], changed: set[str], *, rebuild: bool
) -> set[str]:
    """Cut again the chunks holding a ``changed`` shard start (all: ``rebuild``), from the
    shards' rows as this publish leaves them; add the chunk files that change to ``contents``,
    record the chunks' rows, and return the chunk files no longer listed."""
    rebuild = rebuild or not rangerows.starts_at_origin(db, LISTS_TABLE)
    if rebuild:
        chunks, rows = rangerows.every(db, LISTS_TABLE, _COLUMNS)
        for chunk in chunks:
            chunk.dirty = True
        if not chunks or chunks[0].start != "":
            chunks = [Bucket("", 0, dirty=True)]
    else:
        dirty = rangerows.holding(db, LISTS_TABLE, changed)
        chunks, rows = rangerows.window(db, LISTS_TABLE, _COLUMNS, dirty)
    before = set()
    for chunk in chunks:
        if chunk.start in rows:
            chunk.size, chunk.page = rows[chunk.start][0], rows[chunk.start][3]
            before.add(chunk.page)
    shards: dict[str, rangerows.Row] = {}  # shard path -> its row, for the chunks read

    def load(chunk: Bucket) -> list[Member]:
        if chunk.members is None:
            sql, parameters = _SHARDS, [chunk.start]
            if chunk.end is not None:
                sql += " AND start < ?"
                parameters.append(chunk.end)
            chunk.members = []
            for row in db.execute(sql + " ORDER BY start", parameters):
                shards[row[2]] = row
                chunk.members.append((row[0], row[2]))
        return chunk.members

    final = normalise(chunks, LIST_SIZE, load)
    written: list[rangerows.Row] = []
    for chunk in final:
        if not (chunk.dirty or chunk.page is None or chunk.start == ""):
            written.append((chunk.start, *rows[chunk.start]))
            continue
        listed = [shards[path] for _, path in load(chunk)]
        files = sum(row[1] for row in listed)
        first = listed[0][0] if listed else chunk.start
        chunk.page, digest, size = None, "", 0
        if chunk.start:  # the first chunk is inline in files.json
            content = chunk_file([shard_line(row, CHUNK_LINKS_FROM) for row in listed])
            digest, size = sha256(content), len(content)
            chunk.page = shard_list_path(digest)
            contents[chunk.page] = content
        written.append((chunk.start, len(listed), files, first, chunk.page, digest, size))
    recorded_starts = {chunk.start for chunk in chunks}
    rangerows.replace(db, LISTS_TABLE, _COLUMNS, recorded_starts, written, whole=rebuild)
    return before - {row[4] for row in written} - {None}


def shard_line(row: rangerows.Row, relative_to: str) -> str:
    """A shard as the index (or a chunk of it) lists it, from its row."""
    start, size, page, digest, length = row
    return (
        f'{{"url":"{link(relative_to, page)}","first":{dumps(start)},'
        f'"count":{size},"sha256":"{digest}","bytes":{length}}}'
    )


def chunk_file(lines: list[str]) -> bytes:
    """A chunk of the index: its bytes (its path is ``shard_list_path`` of their hash)."""
    body = ",\n".join(lines)
    return encode(f'{{"schema_version":{SCHEMA_VERSION},"shards":[\n{body}\n]}}')
