"""Two-level page lists: a long playlist's list of pages is cut into immutable chunks.

A playlist's pages, in order, are cut into stable ranges of their start keys exactly as videos
are cut into pages (``buckets.normalise``: split past twice ``CHUNK_SIZE`` pages, merge below
half). The first chunk is inline in the entry file (its ``pages``, as a short playlist's whole
list always was); every other chunk is an immutable, content-addressed file under
``page-lists/`` that the entry file lists in ``page_lists``. An edit rewrites the pages it
touches, the chunk listing them and the entry file, none of which grows with the playlist.

The chunks' ranges are kept in ``sync_state`` (one key per playlist, absent while the whole list
is inline), so a rebuild cuts the same chunks and ``publish --force`` stays byte-identical.
"""

from __future__ import annotations

import bisect
import itertools
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from wistia_sync.publish.buckets import Bucket, Member, normalise
from wistia_sync.publish.build import PageListRef, PageRef, dumps, page_list_file
from wistia_sync.store.state import get_state

if TYPE_CHECKING:
    from sqlite_utils import Database

CHUNK_SIZE = 64  # page links: a chunk (and the entry file's inline head) holds up to 128
STATE_PREFIX = "publish_page_lists:"  # + playlist path: [[start key, pages, chunk path], …]


class PageSource(Protocol):
    """A playlist's pages after this publish, read by key range [start, end) (end None: to the
    playlist's end), each with its bucket's start key."""

    def between(self, start: str, end: str | None) -> list[tuple[str, PageRef]]: ...

    def videos(self, ranges: list[tuple[str, str | None]]) -> list[int]:
        """The videos the pages of each range hold."""
        ...


class PageLists:
    """One playlist's page list after this publish."""

    def __init__(self, inline: list[PageRef]) -> None:
        self.inline = inline  # the first chunk's pages: the entry file's ``pages``
        self.lists: list[PageListRef] = []  # the other chunks: the entry file's ``page_lists``
        self.files: dict[str, bytes] = {}  # chunk files to write
        self.listed: set[str] = set()  # every chunk file the entry file lists
        self.retired: set[str] = set()  # chunk files it no longer lists
        self.state: str | None = None  # what to record (None: the whole list is inline)
        self.state_changed = True  # whether that differs from what is recorded


def state_key(playlist: str) -> str:
    return f"{STATE_PREFIX}{playlist}"


def recorded_chunk_files(db: Database, playlist: str) -> set[str]:
    """The chunk files the playlist's entry file lists now (for a playlist that goes)."""
    recorded = _recorded(get_state(db, state_key(playlist)), full=False)
    return {chunk.page for chunk in recorded if chunk.page}


def plan_page_lists(
    db: Database,
    playlist: str,
    pages: PageSource,
    changed: Iterable[str],
    *,
    full: bool,
) -> PageLists:
    """Cut the playlist's ``pages`` (the first bucket's tail first) into chunks, rewriting those
    holding a ``changed`` start key (a page written or gone). A chunk holding none is as
    recorded: only its videos are counted, its pages not read."""
    recorded_state = get_state(db, state_key(playlist))
    chunks = _recorded(recorded_state, full=full)
    before = {chunk.page for chunk in chunks if chunk.page}
    starts = [chunk.start for chunk in chunks]
    for key in changed:
        chunks[bisect.bisect_right(starts, key) - 1].dirty = True
    by_path: dict[str, PageRef] = {}

    def load(chunk: Bucket) -> list[Member]:
        if chunk.members is None:
            found = pages.between(chunk.start, chunk.end)
            by_path.update((page.path, page) for _, page in found)
            chunk.members = [(start, page.path) for start, page in found]
        return chunk.members

    final = normalise(chunks, CHUNK_SIZE, load)
    result = PageLists([by_path[path] for _, path in load(final[0])])
    final[0].page = None
    untouched = [chunk for chunk in final[1:] if chunk.members is None and chunk.page]
    counts = dict(
        zip(
            [chunk.start for chunk in untouched],
            pages.videos([(chunk.start, chunk.end) for chunk in untouched]),
            strict=True,
        )
    )
    for chunk in final[1:]:
        if chunk.start in counts and chunk.page:
            result.lists.append(PageListRef(chunk.page, counts[chunk.start], chunk.size))
            result.listed.add(chunk.page)
            continue
        refs = [by_path[path] for _, path in load(chunk)]
        if chunk.dirty or chunk.page is None:
            chunk.page, content = page_list_file(playlist, refs)
            result.files[chunk.page] = content
        chunk.size = len(refs)
        result.lists.append(PageListRef(chunk.page, sum(ref.count for ref in refs), len(refs)))
        result.listed.add(chunk.page)
    result.retired = before - result.listed
    if len(final) > 1:
        result.state = dumps([[chunk.start, chunk.size, chunk.page] for chunk in final])
    result.state_changed = full or result.state != recorded_state  # a rebuild records all
    return result


def _recorded(text: str | None, *, full: bool) -> list[Bucket]:
    rows = json.loads(text) if text else []
    if not rows or rows[0][0] != "":
        return [Bucket("", 0, dirty=True)]
    chunks = [Bucket(start, size, page, dirty=full) for start, size, page in rows]
    for chunk, following in itertools.pairwise(chunks):
        chunk.end = following.start
    return chunks
