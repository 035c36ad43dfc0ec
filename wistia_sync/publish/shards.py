"""The sharded file list: ``files.json`` indexes immutable shards, so an edit rewrites a few.

Every file a publish recorded (but the list itself) is listed in exactly one shard: shards are
stable ranges of the sorted paths, cut and kept like playlist buckets (``buckets.normalise``:
split past twice ``SHARD_SIZE``, merge below half), so a change rewrites the shards holding the
paths it touched and the index, whatever the catalog's size. A shard is named by its content
hash (``files/<hash>.json``), so two lists naming the same shard agree on that whole range and
a delivery diffs only the shards they do not share. A replaced shard is removed as soon as the
new ``files.json`` is in place (it may name a video just hidden); a delivery that finds a shard
gone reads the new index again (``contract.filelist.read_local_file_list``). The ranges are kept in
``sync_state``, so a rebuild cuts the same shards (``--force`` is byte-identical).

The index's list of shards is two-level in turn, so ``files.json`` does not grow with the
catalog either: the shards are cut into chunks the same way (``LIST_SIZE``); the first chunk's
shards are inline in ``files.json`` (``shards``, all of them in a small site), every other
chunk is an immutable file under ``shard-lists/`` that ``files.json`` lists (``shard_lists``).
An edit rewrites the chunks holding a shard it replaced; they come and go like shards.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import FILES_PATH, link, shard_path
from wistia_sync.publish import shardlists
from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import SCHEMA_VERSION, dumps, encode, sha256
from wistia_sync.store.state import get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

SHARD_SIZE = 32  # entries: a shard holds 16 to 64 of them (about 2 to 9 KB)
# [[first path, entries, shard path, sha256, bytes], …] of the last list
SHARDS_KEY = "publish_file_shards"
# Set once every recorded shard starts at a listed path. An earlier release kept a start when
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
# Sorts after every path (they are ASCII): the last shard's end, so each range is a bounded
# search of the primary key. CROSS JOIN keeps the ranges as the outer loop.
_END = "\uffff"
_RANGES_QUERY = (
    f"SELECT json_extract(r.value, '$[0]'), p.path, {_LINE} FROM json_each(?) r "
    "CROSS JOIN published_files p ON p.path >= json_extract(r.value, '$[0]') "
    "AND p.path < json_extract(r.value, '$[1]') "
    f"WHERE {_LISTED} ORDER BY p.path"
)


class ShardPlan:
    """The list after this publish: every shard in order, which are new, which went."""

    def __init__(self, shards: list[Bucket]) -> None:
        self.shards = shards
        # shard or chunk path -> (sha256, bytes), listed
        self.fingerprints: dict[str, tuple[str, int]] = {}
        self.contents: dict[str, bytes] = {}  # shards, then chunks (rebuilt)
        self.dropped: set[str] = set()  # shards and chunks no longer named
        self.chunks: list[Bucket] = []  # the index's list, cut (first inline)
        self._by_page: dict[str | None, Bucket] | None = None

    def by_page(self) -> dict[str | None, Bucket]:
        """Each shard by its file, once the shards are final (made once: a chunk asks for its
        few shards, and the index has a chunk for every 32 shards)."""
        if self._by_page is None:
            self._by_page = {shard.page: shard for shard in self.shards}
        return self._by_page

    @property
    def listed(self) -> list[str]:
        return [part.page for part in [*self.shards, *self.chunks] if part.page]


def plan_shards(db: Database, touched: Iterable[str] | None) -> ShardPlan:
    """Rebuild the shards holding ``touched`` paths (every shard for None), from the records.

    Runs inside the publish's write transaction, after the records are updated.
    """
    recorded, fingerprints = _recorded(db)
    recorded_chunks, chunk_fingerprints = shardlists.recorded(db)
    before = {part.page for part in [*recorded, *recorded_chunks] if part.page}
    starts = [shard.start for shard in recorded]
    if touched is None:
        for shard in recorded:
            shard.dirty = True
        # A rebuild also drops recorded shards the last list did not name (its state was lost).
        before |= {path for (path,) in db.execute(_RECORDED_SHARDS)}
    else:
        for path in touched:
            recorded[bisect.bisect_right(starts, path) - 1].dirty = True
        if get_state(db, EXACT_STARTS_KEY) is None:
            stale = _stale_starts(db, starts[1:])
            for shard in recorded[1:]:
                shard.dirty = shard.dirty or shard.start in stale
    loader = _Loader(db, [shard for shard in recorded if shard.dirty])
    final = normalise(recorded, SHARD_SIZE, loader)
    plan = ShardPlan(final)
    recorded_starts = {shard.start for shard in recorded}  # before a start moves (below)
    for index, shard in enumerate(final):
        if shard.dirty or shard.page is None:
            members = loader(shard)
            if index and members:
                # A range starts at its first path: ``first`` is published, and a start kept
                # from an earlier cut may be the path of a video no longer published.
                shard.start = members[0][0]
            content = shard_file([line for _, line in members])
            digest = sha256(content)
            shard.page = shard_path(digest)
            shard.size = len(loader(shard))
            plan.contents[shard.page] = content
            plan.fingerprints[shard.page] = (digest, len(content))
        else:
            plan.fingerprints[shard.page] = fingerprints[shard.page]
    gone = recorded_starts - {shard.start for shard in final}
    rewritten = {shard.start for shard in final if shard.page in plan.contents}
    plan.chunks = shardlists.plan_chunks(
        final, recorded_chunks, gone | rewritten, rebuild=touched is None
    )
    for chunk in plan.chunks[1:]:
        if chunk.dirty or chunk.page not in chunk_fingerprints:
            rows = [
                _shard_row(shard, plan, shardlists.CHUNK_LINKS_FROM)
                for shard in chunk_shards(plan, chunk)
            ]
            chunk.page, content = shardlists.chunk_file(rows)
            plan.contents[chunk.page] = content
            plan.fingerprints[chunk.page] = (sha256(content), len(content))
        else:
            assert chunk.page is not None
            plan.fingerprints[chunk.page] = chunk_fingerprints[chunk.page]
    listed = set(plan.listed)
    plan.dropped = before - listed
    return plan


def chunk_shards(plan: ShardPlan, chunk: Bucket) -> list[Bucket]:
    """The shards a chunk of the index lists, in order."""
    by_page = plan.by_page()
    return [by_page[path] for _, path in chunk.members or []]


def record_shards(db: Database, plan: ShardPlan) -> None:
    rows = [[s.start, s.size, s.page, *plan.fingerprints[s.page or ""]] for s in plan.shards]
    set_state(db, SHARDS_KEY, dumps(rows))
    set_state(db, EXACT_STARTS_KEY, "1")
    shardlists.record(db, plan.chunks, plan.fingerprints)


def _shard_row(shard: Bucket, plan: ShardPlan, relative_to: str) -> str:
    assert shard.page is not None
    digest, size = plan.fingerprints[shard.page]
    return (
        f'{{"url":"{link(relative_to, shard.page)}","first":{dumps(shard.start)},'
        f'"count":{shard.size},"sha256":"{digest}","bytes":{size}}}'
    )


def index_file(generation: str, plan: ShardPlan) -> bytes:
    """files.json: the first chunk's shards in path order, each with its first path, count and
    fingerprint; then, in a large site, the other chunks (``shard_lists``), each with its first
    path, the files and shards it covers, and its fingerprint."""
    rows = [_shard_row(shard, plan, FILES_PATH) for shard in chunk_shards(plan, plan.chunks[0])]
    lists = []
    for chunk in plan.chunks[1:]:
        assert chunk.page is not None
        digest, size = plan.fingerprints[chunk.page]
        listed = chunk_shards(plan, chunk)
        files = sum(shard.size for shard in listed)
        # Where its first shard's slice starts (the chunk's own range may start before it).
        lists.append(
            f'{{"url":"{chunk.page}","first":{dumps(listed[0].start)},"count":{files},'
            f'"shards":{chunk.size},"sha256":"{digest}","bytes":{size}}}'
        )
    count = sum(shard.size for shard in plan.shards)
    body = ",\n".join(rows)
    tail = ',"shard_lists":[\n' + ",\n".join(lists) + "\n]" if lists else ""
    return encode(
        f'{{"schema_version":{SCHEMA_VERSION},"generation":"{generation}","count":{count},'
        f'"shards":[\n{body}\n]{tail}}}'
    )


def shard_file(lines: list[str]) -> bytes:
    body = ",\n".join(lines)
    return encode(f'{{"schema_version":{SCHEMA_VERSION},"files":{{\n{body}\n}}}}')


def _recorded(db: Database) -> tuple[list[Bucket], dict[str, tuple[str, int]]]:
    text = get_state(db, SHARDS_KEY)
    rows = json.loads(text) if text else []
    if not rows or rows[0][0] != "":
        return [Bucket("", 0, dirty=True)], {}
    shards = [Bucket(start, size, page) for start, size, page, _, _ in rows]
    for shard, following in itertools.pairwise(shards):
        shard.end = following.start
    return shards, {page: (digest, size) for _, _, page, digest, size in rows}


def _stale_starts(db: Database, starts: list[str]) -> set[str]:
    """The shard starts that are no longer a listed path."""
    sql = (
        "SELECT r.value FROM json_each(?) r WHERE NOT EXISTS "
        f"(SELECT 1 FROM published_files p WHERE p.path = r.value AND {_LISTED})"
    )
    return {start for (start,) in db.execute(sql, [json.dumps(starts)])}


class _Loader:
    """Reads the current records of shards: the dirty ones in one query, others when merged."""

    def __init__(self, db: Database, dirty: list[Bucket]) -> None:
        self.db = db
        self.preloaded: dict[str, list[Member]] = {shard.start: [] for shard in dirty}
        if dirty:
            ranges = json.dumps([[shard.start, shard.end or _END] for shard in dirty])
            for start, path, line in db.execute(_RANGES_QUERY, [ranges]):
                self.preloaded[start].append((path, line))

    def __call__(self, shard: Bucket) -> list[Member]:
        if shard.members is None:
            if shard.recorded and shard.start in self.preloaded:
                shard.members = self.preloaded[shard.start]
            else:
                shard.members = self._query(shard)
        return shard.members

    def _query(self, shard: Bucket) -> list[Member]:
        sql = f"SELECT p.path, {_LINE} FROM published_files p WHERE p.path >= ? AND {_LISTED}"
        parameters = [shard.start]
        if shard.end is not None:
            sql += " AND p.path < ?"
            parameters.append(shard.end)
        rows = self.db.execute(sql + " ORDER BY p.path", parameters)
        return [(path, line) for path, line in rows]
