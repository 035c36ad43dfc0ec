"""The chunks of ``files.json``'s list of shards: stable ranges of the shards, cut like pages.

The shards, in path order, are cut by their first paths with ``buckets.normalise`` (split past
twice ``LIST_SIZE`` shards, merge below half). The first chunk's shards are inline in
``files.json``; every other chunk is an immutable file ``shard-lists/<hash>.json`` listing its
shards (links relative to itself, ``../files/<hash>.json``). A chunk holding a shard that was
rewritten or went is rewritten; the others keep their names. The ranges are kept in
``sync_state`` (``LISTS_KEY``), so a rebuild cuts the same chunks.
"""

from __future__ import annotations

import bisect
import itertools
import json
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import shard_list_path
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import SCHEMA_VERSION, dumps, encode, sha256
from wistia_sync.store.state import get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

LIST_SIZE = 32  # shards a chunk lists: 16 to 64 of them (about 2 to 10 KB)
# [[first path, shards, chunk path (None: inline), sha256, bytes], …] of the last index
LISTS_KEY = "publish_file_shard_lists"
CHUNK_LINKS_FROM = shard_list_path("0")  # every chunk is in that folder: links do not vary


def recorded(db: Database) -> tuple[list[Bucket], dict[str, tuple[str, int]]]:
    """The chunks the last index was cut into, and their fingerprints."""
    text = get_state(db, LISTS_KEY)
    rows = json.loads(text) if text else []
    if not rows or rows[0][0] != "":
        return [Bucket("", 0, dirty=True)], {}
    chunks = [Bucket(start, size, page) for start, size, page, _, _ in rows]
    for chunk, following in itertools.pairwise(chunks):
        chunk.end = following.start
    return chunks, {page: (digest, size) for _, _, page, digest, size in rows if page}


def plan_chunks(
    shards: list[Bucket], chunks: list[Bucket], changed: set[str], *, rebuild: bool
) -> list[Bucket]:
    """``chunks`` after cutting again those holding a ``changed`` shard start (all: rebuild).

    Every chunk's ``members`` are (first path, shard path) of the shards it lists.
    """
    starts = [chunk.start for chunk in chunks]
    for chunk in chunks:
        chunk.dirty = chunk.dirty or rebuild
    for start in changed:
        chunks[bisect.bisect_right(starts, start) - 1].dirty = True
    shard_starts = [shard.start for shard in shards]

    def load(chunk: Bucket) -> list[Member]:
        if chunk.members is None:
            low = bisect.bisect_left(shard_starts, chunk.start)
            high = len(shards) if chunk.end is None else bisect.bisect_left(shard_starts, chunk.end)
            chunk.members = [(shard.start, shard.page or "") for shard in shards[low:high]]
        return chunk.members

    final = normalise(chunks, LIST_SIZE, load)
    for chunk in final:
        chunk.size = len(load(chunk))
    final[0].page = None
    return final


def chunk_file(rows: list[str]) -> tuple[str, bytes]:
    """A chunk of the index: its path (from its content hash) and its bytes."""
    body = ",\n".join(rows)
    content = encode(f'{{"schema_version":{SCHEMA_VERSION},"shards":[\n{body}\n]}}')
    return shard_list_path(sha256(content)), content


def record(db: Database, chunks: list[Bucket], fingerprints: dict[str, tuple[str, int]]) -> None:
    rows = [
        [chunk.start, chunk.size, chunk.page, *fingerprints.get(chunk.page or "", ("", 0))]
        for chunk in chunks
    ]
    set_state(db, LISTS_KEY, dumps(rows))
