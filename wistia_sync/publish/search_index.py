"""The search index as published (issue 21): ``search/index.json`` and immutable shards.

Every indexed video has a stable number (``search_videos``), given in ``created`` order as
videos arrive, so a higher number is a newer video: the client breaks ranking ties with it
(recency) without a byte more. The index is three families of content-addressed files, all
``search/<hash>.json``:

- **term shards**: postings ``(term, number, mask)`` in key order, cut into stable ranges of
  the key ``(term, number)`` that split past ``2 * TERM_SHARD_POSTINGS`` and merge below half
  of it, like playlist buckets. A term found in most videos spans several shards, so an edit
  rewrites the shard holding its own posting, never the whole list: what an edit writes stays
  flat as the catalog grows, and so does every shard a query fetches.
- **record blocks**: display records of ``RECORD_BLOCK`` consecutive numbers;
- **record lists**: the blocks of ``RECORD_LIST_BLOCKS`` consecutive blocks (the entry lists
  these, not every block, so it stays small at 100k).

The entry lists the term shards by start key and the record lists. An edit reads the changed
videos' old terms (``search_videos``) and new ones, and rewrites only the shards holding a
posting that changed, the record block of a changed record, its list, and the entry.
"""

from __future__ import annotations

import bisect
import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeAlias

from wistia_sync.contract.layout import (
    SEARCH_CLIENT_PATH,
    SEARCH_FOLDER,
    SEARCH_INDEX_PATH,
    link,
    search_file_key,
    search_shard_path,
)
from wistia_sync.contract.search import FIELD_WEIGHTS, MAX_TERM_LENGTH
from wistia_sync.publish import heap, snapshot
from wistia_sync.publish.build import dumps, encode, sha256
from wistia_sync.publish.search_documents import Document, read_documents
from wistia_sync.publish.staged_rows import SEARCH_SHARDS, SEARCH_VIDEOS
from wistia_sync.publish.term_shard_text import (
    Posting,
    TermChange,
    parse_term_shard,
    render_term_shard,
    splice_term_shard,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.file_records import FileRecord
    from wistia_sync.publish.output import OutputFolder

INDEX_VERSION = 1
# A shard holds 2,048 to 8,192 postings. Twice as many, an edit's terms shared a few shards at
# 10k and each had its own at 100k: what a hide wrote grew with the catalog (docs/benchmarks.md).
TERM_SHARD_POSTINGS = 4096
RECORD_BLOCK = 32
RECORD_LIST_BLOCKS = 128
_IDS = "(SELECT value FROM json_each(?))"
_STAGE_EVERY = 256  # videos' rows staged at once in a rebuild

Key = tuple[str, int]
# (path, content, role): role "shard" (links nothing), "records" (links video files), "list"
# (links record blocks), "entry" (links shards and lists): the order they are written in.
AddFile = Callable[[str, bytes, str], None]


ShardRow = tuple[str, str, int, str, int, str | None]


class SearchPlan:
    """The index's state as this publish leaves it, and its files to retire.

    A rebuild (``full``) holds its rows in the publish's temp tables (``staged_rows``) rather
    than here: every video's terms and record, every term shard's text. ``videos``, ``shards``
    and ``gone_*`` are an edit's."""

    def __init__(self, *, full: bool, db: Database | None = None) -> None:
        self.full = full
        self.db = db  # a rebuild's: where its rows are staged
        self.videos: list[tuple[str, int, str, str]] = []  # hashed_id, number, terms, record
        self.gone_videos: list[str] = []
        self.shards: list[ShardRow] = []
        self.gone_shards: list[tuple[str, str, int]] = []
        self.replaced: set[str] = set()  # files the entry no longer reaches
        self.written: set[str] = set()  # files the entry reaches that this publish planned
        self.takedown = False  # a video indexed before is not published now
        self.keys: dict[str, str] = {}  # the file list's sort key of each search file planned

    def add_shard(self, row: ShardRow) -> None:
        kind, _, place, path = row[:4]
        self.keys[path] = search_file_key(kind, path, place)
        if self.db is not None:
            self.db.conn.execute(f"INSERT INTO {SEARCH_SHARDS} VALUES (?, ?, ?, ?, ?, ?)", row)
        else:
            self.shards.append(row)


class _Shard:
    __slots__ = ("path", "postings", "start")

    def __init__(self, start: Key, path: str, postings: int) -> None:
        self.start, self.path, self.postings = start, path, postings


def plan_search(
    db: Database, changed: set[str] | None, add: AddFile, *, entry_stale: bool = False
) -> SearchPlan:
    """Plan the index's files for these changed videos (None: rebuild it all); ``entry_stale``:
    the entry on disk is not the recorded one, so it is planned even if nothing changed."""
    if changed is None:
        return _plan_full(db, add)
    plan = SearchPlan(full=False)
    old = _indexed(db, changed)
    documents = {d.hashed_id: d for d in read_documents(db, changed)}
    plan.takedown = any(hashed_id not in documents for hashed_id in old)
    numbers = _numbers(db, old, documents)
    blocks = _plan_videos(plan, old, documents, numbers)
    shards = _recorded_shards(db)
    source_delta = _Delta(old, documents, numbers)
    dirty = source_delta.dirty([s.start for s in shards])
    source = _IncrementalSource(db, shards, source_delta)
    new_shards = _plan_term_shards(plan, shards, dirty, source, add, source.spliced)
    lists = _plan_records(db, plan, sorted(blocks.items()), add)
    # Also when the entry on disk is not the recorded one: a publish killed between renaming its
    # files into place and recording them leaves an entry its records do not name, which the
    # planner puts back only if it is planned.
    if dirty or lists or entry_stale:
        _plan_entry(db, new_shards, lists, add, full=False)
    return plan


def _plan_full(db: Database, add: AddFile) -> SearchPlan:
    """A rebuild: every file of the index. Each document is let go once its terms are inverted
    and its row staged (``SEARCH_VIDEOS``), each term shard once its file is planned and its row
    staged (``SEARCH_SHARDS``): what stays is the postings (compact arrays) and the paths."""
    plan = SearchPlan(full=True, db=db)
    for table in (SEARCH_VIDEOS, SEARCH_SHARDS):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(
        f"CREATE TABLE {SEARCH_VIDEOS} (row INTEGER PRIMARY KEY, hashed_id TEXT, created TEXT, "
        "number INTEGER, terms TEXT, record TEXT)"
    )
    db.execute(
        f"CREATE TABLE {SEARCH_SHARDS} (kind TEXT, start_term TEXT, start_number INTEGER, "
        "path TEXT, postings INTEGER, body TEXT)"
    )
    inverted = _stage_documents(db)
    number_of = _number_staged(db)
    plan.takedown = bool(
        db.execute(
            "SELECT EXISTS (SELECT 1 FROM search_videos WHERE hashed_id NOT IN "
            f"(SELECT hashed_id FROM {SEARCH_VIDEOS}))"
        ).fetchone()[0]
    )
    shards = _recorded_shards(db)
    source = _FullSource(inverted, [s.start for s in shards], number_of)
    del inverted
    new_shards = _plan_term_shards(plan, shards, set(range(len(shards))), source, add)
    del source
    heap.release()  # the documents' and postings' memory, before the records are rendered
    lists = _plan_records(db, plan, _staged_blocks(db), add)
    _plan_entry(db, new_shards, lists, add, full=True)
    return plan


# A term's postings as a rebuild inverts the documents: one posting (most terms: a video's number,
# a rare word) as one int, ``row << 8 | mask``; more as (rows, masks), 5 bytes a posting. A term a
# tuple of two arrays took ~230 bytes before its first posting (55 MB of 300k singletons).
Inverted: TypeAlias = "dict[str, int | tuple[array[int], bytearray]]"
_MASK = 0xFF  # a mask is a byte (``bytearray``)


def _stage_documents(db: Database) -> Inverted:
    """Stage every document's row (its number to come) and invert its terms: term -> postings
    (``Inverted``), a row being the document's place in ``SEARCH_VIDEOS`` (``_number_staged``)."""
    inverted: Inverted = {}
    rows: list[tuple[int, str, str, str, str]] = []
    insert = f"INSERT INTO {SEARCH_VIDEOS} (row, hashed_id, created, terms, record) VALUES " + (
        "(?, ?, ?, ?, ?)"
    )
    for row, document in enumerate(read_documents(db, None)):
        for term, mask in document.terms.items():
            entry = inverted.get(term)
            if entry is None:
                inverted[term] = row << 8 | mask
            elif isinstance(entry, int):  # its second posting
                inverted[term] = (array("i", (entry >> 8, row)), bytearray((entry & _MASK, mask)))
            else:
                entry[0].append(row)
                entry[1].append(mask)
        rows.append(
            (row, document.hashed_id, document.created, dumps(document.terms), document.record)
        )
        if len(rows) >= _STAGE_EVERY:
            db.conn.executemany(insert, rows)
            rows.clear()
    db.conn.executemany(insert, rows)
    return inverted


def _number_staged(db: Database) -> array[int]:
    """Number the staged documents (as ``_numbers`` does an edit's): a video indexed before
    keeps its number, the others take the next, oldest first. Row -> number."""
    db.execute(
        f"UPDATE {SEARCH_VIDEOS} SET number = (SELECT s.number FROM search_videos s "
        f"WHERE s.hashed_id = {SEARCH_VIDEOS}.hashed_id)"
    )
    highest = db.execute("SELECT max(number) FROM search_videos").fetchone()[0]
    following = 0 if highest is None else highest + 1
    arriving = db.execute(
        f"SELECT row FROM {SEARCH_VIDEOS} WHERE number IS NULL ORDER BY created, hashed_id"
    ).fetchall()
    db.conn.executemany(
        f"UPDATE {SEARCH_VIDEOS} SET number = ? WHERE row = ?",
        ((following + offset, row) for offset, (row,) in enumerate(arriving)),
    )
    del arriving
    db.execute(f"CREATE INDEX {SEARCH_VIDEOS}_number ON {SEARCH_VIDEOS.split('.')[1]} (number)")
    number_of = array("l")
    for row, number in db.execute(f"SELECT row, number FROM {SEARCH_VIDEOS} ORDER BY row"):
        if row != len(number_of):
            raise ValueError(f"search: staged row {row} out of order")
        number_of.append(number)
    return number_of


def _staged_blocks(db: Database) -> Iterator[tuple[int, dict[int, str | None]]]:
    """The staged records by block, in number order."""
    block, records = -1, dict[int, str | None]()
    for number, record in db.execute(f"SELECT number, record FROM {SEARCH_VIDEOS} ORDER BY number"):
        if number // RECORD_BLOCK != block:
            if records:
                yield block, records
            block, records = number // RECORD_BLOCK, {}
        records[number] = record
    if records:
        yield block, records


def client_files(db: Database, folder: OutputFolder, *, full: bool) -> dict[str, bytes]:
    """The JavaScript client, published beside the index (``search.js``), for the publish to
    plan: in a rebuild, or when the file on disk is not this package's (a new version)."""
    from pathlib import Path

    content = (Path(__file__).parent.parent / "templates" / "search.js").read_bytes()
    record = snapshot.file_records(db, [SEARCH_CLIENT_PATH]).get(SEARCH_CLIENT_PATH)
    if (
        not full
        and record is not None
        and record.sha256 == sha256(content)
        and folder.matches_record(SEARCH_CLIENT_PATH, record.size, record.mtime_ns)
    ):
        return {}
    return {SEARCH_CLIENT_PATH: content}


def record_state(db: Database, plan: SearchPlan) -> None:
    """Record the index's state (inside the publish's write transaction)."""
    if plan.full:
        db.execute("DELETE FROM search_videos")
        db.execute("DELETE FROM search_shards")
        db.execute(
            "INSERT INTO search_videos (hashed_id, number, terms, record) "
            f"SELECT hashed_id, number, terms, record FROM {SEARCH_VIDEOS} ORDER BY number"
        )
        db.execute(
            "INSERT OR REPLACE INTO search_shards "
            "(kind, start_term, start_number, path, postings, body) "
            f"SELECT * FROM {SEARCH_SHARDS} ORDER BY rowid"
        )
        return
    db.execute(
        f"DELETE FROM search_videos WHERE hashed_id IN {_IDS}",
        [json.dumps(plan.gone_videos + [v[0] for v in plan.videos])],
    )
    db.conn.executemany(
        "DELETE FROM search_shards WHERE kind = ? AND start_term = ? AND start_number = ?",
        plan.gone_shards,
    )
    plan.videos.sort(key=_by_number)  # appended in key order: cheaper for the b-tree
    db.conn.executemany(
        "INSERT INTO search_videos (hashed_id, number, terms, record) VALUES (?, ?, ?, ?)",
        plan.videos,
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO search_shards "
        "(kind, start_term, start_number, path, postings, body) VALUES (?, ?, ?, ?, ?, ?)",
        plan.shards,
    )


def _by_number(row: tuple[str, int, str, str]) -> int:
    return row[1]


def retire_search_files(
    plan: SearchPlan,
    record: Callable[[str], FileRecord | None],
    retiring: dict[str, str | None],
    *,
    expires: str,
) -> tuple[dict[str, str], set[str], list[str]]:
    """``(retire, revive, remove)``: files no longer reached expire after the grace; files
    reached again stop expiring. When a video left the index, every search file it may be in
    goes at once instead (those this publish replaces and every one counting down its grace),
    as its own ``videos/<id>.json`` does: a client holding an older entry meets a 404 and reads
    the entry again (``search.js`` does).

    ``retiring`` is every recorded search file with its expiry (None: listed)."""
    retire: dict[str, str] = {}
    revive = set()
    for path in plan.written:
        found = record(path)
        if found is not None and found.expires_at is not None:
            revive.add(path)
    gone = [path for path in sorted(plan.replaced - plan.written) if path in retiring]
    if plan.takedown:
        older = [p for p, at in retiring.items() if at is not None and p not in plan.written]
        return retire, revive, sorted({*gone, *older})
    for path in gone:
        if retiring[path] is None:
            retire[path] = expires
    return retire, revive, []


def retiring_search_files(db: Database, plan: SearchPlan) -> dict[str, str | None]:
    """The recorded files of the index's folder ``retire_search_files`` asks about, with when
    each expires (None: listed): after a rebuild every one; after an edit those it replaced and
    those counting down their grace (not the thousands listed at 100k)."""
    prefix = f"{SEARCH_FOLDER}/"
    folder = "path >= ? AND path < ?"
    bounds = [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    if plan.full:
        query = f"SELECT path, expires_at FROM published_files WHERE {folder}"
        return dict(db.execute(query, bounds).fetchall())
    return dict(
        db.execute(
            f"SELECT path, expires_at FROM published_files WHERE path IN {_IDS} UNION ALL "
            f"SELECT path, expires_at FROM published_files WHERE expires_at IS NOT NULL AND "
            f"{folder} AND path NOT IN {_IDS}",
            [json.dumps(sorted(plan.replaced)), *bounds, json.dumps(sorted(plan.replaced))],
        ).fetchall()
    )


# -- videos and numbers ------------------------------------------------------------------------


def _indexed(db: Database, changed: set[str] | None) -> dict[str, tuple[int, str, str]]:
    """What the last publish indexed of these videos (all for None): number, terms, record.
    A rebuild reads numbers only (it renders every shard from the documents)."""
    if changed is None:
        return {
            h: (n, "", "") for h, n in db.execute("SELECT hashed_id, number FROM search_videos")
        }
    return {
        hashed_id: (number, terms, record)
        for hashed_id, number, terms, record in db.execute(
            f"SELECT hashed_id, number, terms, record FROM search_videos WHERE hashed_id IN {_IDS}",
            [json.dumps(sorted(changed))],
        )
    }


def _numbers(
    db: Database, old: dict[str, tuple[int, str, str]], documents: dict[str, Document]
) -> dict[str, int]:
    """Each document's number: its own if it has one, else the next, oldest first."""
    numbers = {h: old[h][0] for h in documents if h in old}
    highest = db.execute("SELECT max(number) FROM search_videos").fetchone()[0]
    following = 0 if highest is None else highest + 1
    arriving = sorted((d.created, d.hashed_id) for h, d in documents.items() if h not in old)
    for offset, (_, hashed_id) in enumerate(arriving):
        numbers[hashed_id] = following + offset
    return numbers


def _plan_videos(
    plan: SearchPlan,
    old: dict[str, tuple[int, str, str]],
    documents: dict[str, Document],
    numbers: dict[str, int],
) -> dict[int, dict[int, str | None]]:
    """The rows to record, and the record blocks that change: block -> {number: record or
    None (gone)}."""
    blocks: dict[int, dict[int, str | None]] = {}
    for hashed_id, document in documents.items():
        number = numbers[hashed_id]
        terms = dumps(document.terms)
        plan.videos.append((hashed_id, number, terms, document.record))
        previous = old.get(hashed_id)
        if plan.full or previous is None or previous[2] != document.record:
            blocks.setdefault(number // RECORD_BLOCK, {})[number] = document.record
    for hashed_id, (number, _, _) in old.items():
        if hashed_id not in documents:
            plan.gone_videos.append(hashed_id)
            blocks.setdefault(number // RECORD_BLOCK, {})[number] = None
    return blocks


# -- term shards -------------------------------------------------------------------------------


def _recorded_shards(db: Database) -> list[_Shard]:
    shards = [
        _Shard((term, number), path, postings)
        for term, number, path, postings in db.execute(
            "SELECT start_term, start_number, path, postings FROM search_shards "
            "WHERE kind = 't' ORDER BY start_term, start_number"
        )
    ]
    if not shards or shards[0].start != ("", 0):
        return [_Shard(("", 0), "", 0)]  # nothing recorded yet: one shard holds every key
    return shards


class _Delta:
    """The postings the changed videos take away and bring."""

    def __init__(
        self,
        old: dict[str, tuple[int, str, str]],
        documents: dict[str, Document],
        numbers: dict[str, int],
    ) -> None:
        self.removed: set[Key] = set()
        self.added: dict[Key, int] = {}
        for hashed_id in old.keys() | documents.keys():
            before: dict[str, int] = json.loads(old[hashed_id][1]) if hashed_id in old else {}
            document = documents.get(hashed_id)
            after = document.terms if document is not None else {}
            if hashed_id in old:
                number = old[hashed_id][0]
                self.removed.update(
                    (term, number) for term, mask in before.items() if after.get(term) != mask
                )
            if document is not None:
                number = numbers[hashed_id]
                for term, mask in after.items():
                    if before.get(term) != mask:
                        self.added[(term, number)] = mask

    def dirty(self, starts: list[Key]) -> set[int]:
        return {bisect.bisect_right(starts, key) - 1 for key in self.removed | self.added.keys()}


class _IncrementalSource:
    """A recorded shard's postings with the delta applied."""

    def __init__(self, db: Database, shards: list[_Shard], delta: _Delta) -> None:
        self.db, self.shards, self.delta = db, shards, delta
        self.starts = starts = [s.start for s in shards]
        self.added: dict[int, list[Posting]] = {}
        for (term, number), mask in delta.added.items():
            index = bisect.bisect_right(starts, (term, number)) - 1
            self.added.setdefault(index, []).append((term, number, mask))

    def __call__(self, index: int) -> Iterable[Posting]:
        shard = self.shards[index]
        postings = []
        if shard.path:
            removed = self.delta.removed
            postings = [
                p for p in parse_term_shard(self._body(shard)) if (p[0], p[1]) not in removed
            ]
        postings += self.added.get(index, [])
        postings.sort()
        return postings

    def spliced(self, index: int) -> tuple[Key, str, int] | None:
        """Shard ``index``'s start, its text with the delta applied in place, and its postings
        now; None when it must be cut instead (it would split, merge, or has no text
        recorded)."""
        shard = self.shards[index]
        if not shard.path:
            return None
        changes: dict[str, TermChange] = {}
        for term, number in self.delta.removed:
            if bisect.bisect_right(self.starts, (term, number)) - 1 == index:
                changes.setdefault(term, (set(), {}))[0].add(number)
        for term, number, mask in self.added.get(index, []):
            changes.setdefault(term, (set(), {}))[1][number] = mask
        spliced = splice_term_shard(self._body(shard), changes)
        if spliced is None:
            return None
        text, gained = spliced
        postings = shard.postings + gained
        last = index == len(self.shards) - 1
        if postings <= 0 or postings > 2 * TERM_SHARD_POSTINGS:
            return None
        if postings < TERM_SHARD_POSTINGS // 2 and not last:
            return None  # it absorbs the next shard: ``_cut`` does
        start = shard.start
        if start != ("", 0) and start in self.delta.removed and start not in self.delta.added:
            # the posting its range starts at is gone: the range now starts at its first
            # posting, so a hidden video's term is not left in the entry or a term list
            term, number, _ = parse_term_shard(text)[0]
            start = (term, number)
        return start, text, postings

    def _body(self, shard: _Shard) -> str:
        row = self.db.execute(
            "SELECT body FROM search_shards WHERE kind = 't' AND start_term = ? "
            "AND start_number = ?",
            list(shard.start),
        ).fetchone()
        if row is None:
            raise ValueError(f"search shard {shard.start!r} has no recorded body")
        body: str = row[0]
        return body


class _FullSource:
    """Every posting, from the documents, cut at the recorded shards' starts. ``inverted``
    holds staged rows, ``number_of`` their numbers. A term spanning several shards is sorted
    once: what the next shard needs of it is kept sorted in ``rest`` (sorting the remainder
    again for every shard it spans made a rebuild's cost grow faster than the catalog)."""

    def __init__(
        self,
        inverted: Inverted,
        starts: list[Key],
        number_of: array[int],
    ):
        self.inverted = inverted
        self.rest: dict[str, list[tuple[int, int]]] = {}
        self.terms = sorted(inverted)
        self.starts = starts
        self.number_of = number_of

    def __call__(self, index: int) -> Iterator[Posting]:
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else None
        position = bisect.bisect_left(self.terms, start[0])
        while position < len(self.terms):
            term = self.terms[position]
            if end is not None and term > end[0]:
                return
            ordered = self._ordered(term)
            if ordered is None:  # every posting of it went to the shards before
                position += 1
                continue
            for offset, (number, mask) in enumerate(ordered):
                key = (term, number)
                if key < start:
                    continue
                if end is not None and key >= end:
                    # the rest of this term belongs to the next shard: keep it for that one
                    self.rest[term] = ordered[offset:]
                    return
                yield term, number, mask
            position += 1

    def _ordered(self, term: str) -> list[tuple[int, int]] | None:
        """The term's postings not yet given out, as (number, mask) by number; None when none
        are left."""
        rest = self.rest.pop(term, None)
        if rest is not None:
            return rest
        held = self.inverted.pop(term, None)
        if held is None:
            return None
        number_of = self.number_of
        if isinstance(held, int):
            return [(number_of[held >> 8], held & _MASK)]
        rows, masks = held
        return sorted(zip([number_of[row] for row in rows], masks, strict=True))


def _plan_term_shards(
    plan: SearchPlan,
    shards: list[_Shard],
    dirty: set[int],
    source: Callable[[int], Iterable[Posting]],
    add: AddFile,
    spliced: Callable[[int], tuple[Key, str, int] | None] | None = None,
) -> list[_Shard]:
    """Re-cut the dirty shards (absorbing a neighbour when one runs small); the final list.
    ``spliced``: a dirty shard's new text and postings when it keeps its range (an edit's)."""
    final: list[_Shard] = []

    def written(start: Key, text: str, postings: int) -> None:
        content = encode(text)
        path = search_shard_path(sha256(content))
        add(path, content, "shard")
        plan.written.add(path)
        plan.add_shard(("t", start[0], start[1], path, postings, text))
        final.append(_Shard(start, path, postings))

    def piece(start: Key, postings: list[Posting]) -> None:
        if start != ("", 0):
            if not postings:
                return  # an emptied shard: its range joins the one before
            # a range starts at its first posting: a recorded start whose posting is gone (a
            # hidden video's term) is not published
            start = (postings[0][0], postings[0][1])
        written(start, render_term_shard(postings), len(postings))

    index = 0
    while index < len(shards):
        shard = shards[index]
        if index not in dirty:
            final.append(shard)
            index += 1
            continue
        in_place = None if spliced is None else spliced(index)
        if in_place is not None:
            plan.replaced.add(shard.path)
            written(*in_place)
            index += 1
            continue
        index = _cut(shards, index, source, plan, piece)
    kept = {shard.start for shard in final}
    plan.gone_shards += [("t", *s.start) for s in shards if s.start not in kept and s.path]
    return final


def _cut(
    shards: list[_Shard],
    index: int,
    source: Callable[[int], Iterable[Posting]],
    plan: SearchPlan,
    piece: Callable[[Key, list[Posting]], None],
) -> int:
    """Give ``piece`` each piece shard ``index`` becomes (with the shards it absorbs), as it is
    cut (a rebuild's first publish cuts every posting from one range: never all held); the
    next index."""
    most, least = 2 * TERM_SHARD_POSTINGS, TERM_SHARD_POSTINGS // 2
    pending: tuple[Key, list[Posting]] | None = None  # the last piece cut: the tail may join it
    start = shards[index].start
    current: list[Posting] = []
    while True:
        if shards[index].path:
            plan.replaced.add(shards[index].path)
        for posting in source(index):
            current.append(posting)
            if len(current) > most:
                if pending is not None:
                    piece(*pending)
                pending = (start, current[:TERM_SHARD_POSTINGS])
                current = current[TERM_SHARD_POSTINGS:]
                start = (current[0][0], current[0][1])
        index += 1
        if len(current) >= least or pending is not None or index >= len(shards):
            break
        # too small: the next shard's range joins this one
    if pending is not None and len(current) < least:
        piece(pending[0], pending[1] + current)
    else:
        if pending is not None:
            piece(*pending)
        piece(start, current)
    return index


# -- records and the entry ---------------------------------------------------------------------


def _plan_records(
    db: Database,
    plan: SearchPlan,
    blocks: Iterable[tuple[int, dict[int, str | None]]],
    add: AddFile,
) -> dict[int, str | None]:
    """Write the changed record blocks (given in block order) and their lists; the lists now:
    chunk -> path or None."""
    if plan.full:
        recorded_blocks = dict(
            db.execute("SELECT start_number, path FROM search_shards WHERE kind = 'r'")
        )
        plan.replaced.update(recorded_blocks.values())
    else:  # those of the record lists the changed blocks are in
        blocks = list(blocks)
        recorded_blocks = {}
        for chunk in sorted({block // RECORD_LIST_BLOCKS for block, _ in blocks}):
            recorded_blocks.update(
                db.execute(
                    "SELECT start_number, path FROM search_shards WHERE kind = 'r' "
                    "AND start_term = '' AND start_number >= ? AND start_number < ?",
                    [chunk * RECORD_LIST_BLOCKS, (chunk + 1) * RECORD_LIST_BLOCKS],
                )
            )
    block_paths: dict[int, str | None] = {}
    for block, changed in blocks:
        records = {} if plan.full else _recorded_records(db, block)
        records.update(changed)
        kept = sorted((n, r) for n, r in records.items() if r is not None)
        if block in recorded_blocks:
            plan.replaced.add(recorded_blocks[block])
        if not kept:
            block_paths[block] = None
            if block in recorded_blocks:
                plan.gone_shards.append(("r", "", block))
            continue
        body = ",".join(f'{{"id":{n},{record[1:]}' for n, record in kept)
        content = encode(f'{{"records":[{body}]}}')
        path = search_shard_path(sha256(content))
        add(path, content, "records")
        plan.written.add(path)
        plan.add_shard(("r", "", block, path, len(kept), None))
        block_paths[block] = path
    if plan.full:
        recorded_blocks = {}
    chunks = {block // RECORD_LIST_BLOCKS for block in block_paths}
    lists: dict[int, str | None] = {}
    recorded_lists = dict(
        db.execute("SELECT start_number, path FROM search_shards WHERE kind = 'l'")
    )
    if plan.full:
        plan.replaced.update(recorded_lists.values())
    for chunk in sorted(chunks):
        low, high = chunk * RECORD_LIST_BLOCKS, (chunk + 1) * RECORD_LIST_BLOCKS
        listed = {b: p for b, p in recorded_blocks.items() if low <= b < high}
        listed.update({b: p for b, p in block_paths.items() if low <= b < high})
        entries = [[b, _sibling(p)] for b, p in sorted(listed.items()) if p]
        if chunk in recorded_lists:
            plan.replaced.add(recorded_lists[chunk])
        if not entries:
            lists[chunk] = None
            if chunk in recorded_lists:
                plan.gone_shards.append(("l", "", chunk))
            continue
        content = encode(dumps({"blocks": entries}))
        path = search_shard_path(sha256(content))
        add(path, content, "list")
        plan.written.add(path)
        plan.add_shard(("l", "", chunk, path, len(entries), None))
        lists[chunk] = path
    return lists


def _recorded_records(db: Database, block: int) -> dict[int, str | None]:
    low = block * RECORD_BLOCK
    return dict(
        db.execute(
            "SELECT number, record FROM search_videos WHERE number >= ? AND number < ?",
            [low, low + RECORD_BLOCK],
        ).fetchall()
    )


def _sibling(path: str) -> str:
    """A search file's link from the entry (``link``'s answer, for the hundreds an entry
    lists): every search file is in the entry's folder."""
    folder = SEARCH_FOLDER + "/"
    return path[len(folder) :] if path.startswith(folder) else link(SEARCH_INDEX_PATH, path)


def _plan_entry(
    db: Database, shards: list[_Shard], lists: dict[int, str | None], add: AddFile, *, full: bool
) -> None:
    recorded: dict[int, str | None] = {}
    if not full:
        recorded.update(
            db.execute("SELECT start_number, path FROM search_shards WHERE kind = 'l'").fetchall()
        )
    recorded.update(lists)
    entry = {
        "version": INDEX_VERSION,
        "fields": FIELD_WEIGHTS,
        "max_term_length": MAX_TERM_LENGTH,
        "record_block": RECORD_BLOCK,
        "record_list_blocks": RECORD_LIST_BLOCKS,
        "shards": [[shard.start[0], shard.start[1], _sibling(shard.path)] for shard in shards],
        "record_lists": [
            [chunk, _sibling(path)] for chunk, path in sorted(recorded.items()) if path
        ],
    }
    add(SEARCH_INDEX_PATH, encode(dumps(entry)), "entry")
