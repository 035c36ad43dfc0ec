"""The sharded file list: ``files.json`` indexes immutable shards, so an edit rewrites a few.

Every file a publish recorded (but the list itself) is listed in exactly one shard: shards are
stable ranges of the files' sort keys (``published_files.key``: the path, but a search file's,
which puts its kind and place first: ``layout.search_file_key``), cut and kept like playlist
buckets (``buckets.normalise``: split past twice ``SHARD_SIZE``, merge below half), so a change
rewrites the shards holding the keys it touched and the index, whatever the catalog's size. A
search file an edit writes replaces one of the same place: ordered by path (content hashes) the
two would fall in two random shards of the list, by key they fall in one, and the term shards a
hide of video *n* rewrites in the terms most videos have (each starting just before *n*) sort
together. A shard is named by its content
hash (``files/<hash>.json``), so two lists naming the same shard agree on that whole range and
a delivery diffs only the shards they do not share. A replaced shard is removed as soon as the
new ``files.json`` is in place (it may name a video just hidden); a delivery that finds a shard
gone reads the new index again (``contract.filelist.read_local_file_list``). The ranges are kept
as rows of ``publish_file_shards`` (``rangerows``: an edit reads and rewrites the few around the
keys it touched), so a rebuild cuts the same shards (``--force`` is byte-identical).

The index's list of shards is a tree in turn, so ``files.json`` does not grow with the
catalog either (``shardlists``): the shards are cut into small chunks the same way, those
chunks into chunks, and so on up to one root, inline in ``files.json``; every other chunk is an
immutable file under ``shard-lists/``. An edit rewrites the chunks above a shard it replaced,
a few a level; they come and go like shards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import FILES_PATH, shard_path
from wistia_sync.publish import rangerows, shardlists
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import SCHEMA_VERSION, encode, sha256
from wistia_sync.store.state import get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

SHARD_SIZE = 16  # entries: a shard holds 8 to 32 of them (about 1 to 4.5 KB)
SHARDS_TABLE = "publish_file_shards"  # a row per shard: start (a key), size, page, sha256, bytes
_COLUMNS = "size, page, sha256, bytes"
# Set once every recorded shard starts at a listed file's key. An earlier release kept a start when
# its path went, so a list it recorded may name, as a shard's first, a video since hidden:
# checked once (``_stale_starts``), then every rewrite keeps starts exact.
EXACT_STARTS_KEY = "publish_file_shard_starts_exact"
# One line of a shard, built by SQLite: the path, JSON-quoted, then its fingerprint.
_LINE = (
    'json_quote(p.path) || \':{"sha256":"\' || p.sha256 || \'","bytes":\' || p.bytes '
    "|| ',\"cache\":\"' || p.cache || '\"}'"
)
_LISTED = (
    f"p.path != '{FILES_PATH}' AND p.path NOT GLOB 'files/*' AND p.path NOT GLOB 'shard-lists/*'"
)
_RECORDED_SHARDS = (
    "SELECT path FROM published_files WHERE path GLOB 'files/*' OR path GLOB 'shard-lists/*'"
)
# Sorts after every key (they are ASCII): the last shard's end, so each range is a bounded
# search of the primary key. CROSS JOIN keeps the ranges as the outer loop.
_END = "\uffff"
# The list's own files, never listed, hold a key range each (their keys are their paths): a
# shard's range skips them, or the
# first shard's (which holds manifest.json, touched by every edit) would step over every shard.
_UNLISTED_RANGES = (("files/", "files0"), ("shard-lists/", "shard-lists0"))
_RANGES_QUERY = (
    f"SELECT json_extract(r.value, '$[0]'), p.key, {_LINE} FROM json_each(?) r "
    "CROSS JOIN published_files p ON p.key >= json_extract(r.value, '$[1]') "
    "AND p.key < json_extract(r.value, '$[2]') "
    f"WHERE {_LISTED} ORDER BY p.key"
)


def _listed_ranges(shard: Bucket) -> list[tuple[str, str, str]]:
    """(shard start, low, high): the key ranges of ``shard`` that may hold listed files."""
    ranges, low, end = [], shard.start, shard.end or _END
    for skip_low, skip_high in _UNLISTED_RANGES:
        if skip_low >= end or skip_high <= low:
            continue  # no overlap
        if low < skip_low:
            ranges.append((shard.start, low, skip_low))
        low = skip_high
    if low < end:
        ranges.append((shard.start, low, end))
    return ranges


class ShardPlan:
    """What this publish changes in the list: the shards and chunks to write, those that went.

    The rows of ``publish_file_shards`` and ``publish_file_lists`` already say what the list is
    after it (``plan_shards`` writes them inside the publish's transaction)."""

    def __init__(self) -> None:
        self.contents: dict[str, bytes] = {}  # shards, then chunks (rebuilt)
        self.dropped: set[str] = set()  # shards and chunks no longer named


def plan_shards(db: Database, touched: Iterable[str] | None) -> ShardPlan:
    """Rebuild the shards holding ``touched`` keys (every shard for None), from the records,
    then the chunks of the index listing a shard rebuilt or gone; record both.

    Runs inside the publish's write transaction, after the records are updated.
    """
    rebuild = touched is None or not rangerows.starts_at_origin(db, SHARDS_TABLE)
    plan = ShardPlan()
    if rebuild:
        recorded, rows = rangerows.every(db, SHARDS_TABLE, _COLUMNS)
        for shard in recorded:
            shard.dirty = True
        if not recorded or recorded[0].start != "":
            recorded = [Bucket("", 0, dirty=True)]
        # A rebuild also drops recorded shards the last list did not name (its state was lost).
        before = {path for (path,) in db.execute(_RECORDED_SHARDS)}
    else:
        assert touched is not None
        dirty = rangerows.holding(db, SHARDS_TABLE, touched)
        if get_state(db, EXACT_STARTS_KEY) is None:
            dirty |= _stale_starts(db)
        recorded, rows = rangerows.window(db, SHARDS_TABLE, _COLUMNS, dirty)
        before = set()
    for shard in recorded:
        if shard.start in rows:
            shard.size, shard.page = rows[shard.start][0], rows[shard.start][1]
            before.add(shard.page or "")
    loader = _Loader(db, [shard for shard in recorded if shard.dirty])
    final = normalise(recorded, SHARD_SIZE, loader)
    recorded_starts = {shard.start for shard in recorded}  # before a start moves (below)
    written: list[rangerows.Row] = []
    for shard in final:
        if shard.dirty or shard.page is None:
            members = loader(shard)
            if shard.start and members:
                # A range starts at its first key: ``first`` is a listed file's, and a start
                # kept from an earlier cut may be the key of a video no longer published.
                shard.start = members[0][0]
            content = shard_file([line for _, line in members])
            digest = sha256(content)
            shard.page = shard_path(digest)
            shard.size = len(members)
            plan.contents[shard.page] = content
            written.append((shard.start, shard.size, shard.page, digest, len(content)))
        else:
            written.append((shard.start, *rows[shard.start]))
    gone = recorded_starts - {shard.start for shard in final}
    rangerows.replace(db, SHARDS_TABLE, _COLUMNS, recorded_starts, written, whole=rebuild)
    rewritten = {start for start, _, page, _, _ in written if page in plan.contents}
    chunks_dropped = shardlists.plan_chunks(db, plan.contents, gone | rewritten, rebuild=rebuild)
    listed = listed_files(db) if rebuild else {str(row[2]) for row in written}
    plan.dropped = (before - listed) | chunks_dropped
    return plan


def listed_files(db: Database) -> set[str]:
    """Every shard and chunk file the recorded list names (after ``plan_shards``: the new one)."""
    sql = (
        f"SELECT page FROM {SHARDS_TABLE} UNION ALL "
        f"SELECT page FROM {shardlists.NODES_TABLE} WHERE page IS NOT NULL"
    )
    return {page for (page,) in db.execute(sql)}


def record_shards(db: Database) -> None:
    """Once the new shards are in place: every recorded start is now a listed file's key."""
    set_state(db, EXACT_STARTS_KEY, "1")


def index_file(db: Database, generation: str) -> bytes:
    """files.json, the root of the index, read from the recorded rows: in a small site (one
    chunk of shards) every shard in key order, each with its first key, count and
    fingerprint (``shards``); in a larger one the root's chunks (``shard_lists``), each with
    its first key, the files and shards under it, and its fingerprint."""
    level, count, children = shardlists.root(db)
    body = shardlists.child_lines(level, children, FILES_PATH)
    inline = f'"shards":[\n{body}\n]'
    tree = inline if level == 1 else f'"shards":[],"shard_lists":[\n{body}\n]'
    return encode(
        f'{{"schema_version":{SCHEMA_VERSION},"generation":"{generation}","count":{count},{tree}}}'
    )


def shard_file(lines: list[str]) -> bytes:
    body = ",\n".join(lines)
    return encode(f'{{"schema_version":{SCHEMA_VERSION},"files":{{\n{body}\n}}}}')


def _stale_starts(db: Database) -> set[str]:
    """The shard starts (but the first) that are no longer a listed file's key."""
    sql = (
        f"SELECT s.start FROM {SHARDS_TABLE} s WHERE s.start != '' AND NOT EXISTS "
        f"(SELECT 1 FROM published_files p WHERE p.key = s.start AND {_LISTED})"
    )
    return {start for (start,) in db.execute(sql)}


class _Loader:
    """Reads the current records of shards: the dirty ones in one query, others when merged."""

    def __init__(self, db: Database, dirty: list[Bucket]) -> None:
        self.db = db
        self.preloaded: dict[str, list[Member]] = {shard.start: [] for shard in dirty}
        if dirty:
            for start, key, line in self._read(dirty):
                self.preloaded[start].append((key, line))

    def _read(self, shards: list[Bucket]) -> list[tuple[str, str, str]]:
        ranges = json.dumps([row for shard in shards for row in _listed_ranges(shard)])
        return self.db.execute(_RANGES_QUERY, [ranges]).fetchall()

    def __call__(self, shard: Bucket) -> list[Member]:
        if shard.members is None:
            if shard.recorded and shard.start in self.preloaded:
                shard.members = self.preloaded[shard.start]
            else:
                shard.members = self._query(shard)
        return shard.members

    def _query(self, shard: Bucket) -> list[Member]:
        return [(key, line) for _, key, line in self._read([shard])]
