"""An edit's window on a long playlist: the recorded buckets around what changed, not all of them.

An edit changes a few keys of a playlist that may have thousands of buckets (``videos.json`` has
~2,300 at 100k). ``buckets.normalise`` reshapes only dirty buckets, and a dirty bucket reaches no
further than its neighbours: a too-small one merges with the bucket before it, and a too-small
first bucket absorbs the one after it. So an edit reads, for each changed key, the bucket holding
it and one bucket either side (and the first two buckets), and normalises each run of consecutive
buckets read on its own; every other bucket is as recorded. A run other than the first starts
with an untouched bucket, which ``normalise`` keeps as it is, so a merge never reaches past a
run's start; the one case a run cannot settle (the first bucket still too small after absorbing
its neighbour, which only a recorded bucket smaller than half a page allows) falls back to
reading the whole playlist. Every count the entry file gives of what lies outside the window
comes from aggregates over ``publish_bucket_pages`` (m025), not from reading its rows.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wistia_sync.publish.buckets import Bucket, Loader, normalise
from wistia_sync.publish.build import PageRef, dumps

if TYPE_CHECKING:
    from sqlite_utils import Database

# Past this many changed keys for each recorded bucket, the window is most of the playlist and
# reading it whole (one statement) is cheaper than two statements a key.
_KEYS_A_BUCKET = 1 / 3

_TOTALS = "SELECT count(*), coalesce(sum(size), 0) FROM publish_buckets WHERE playlist = ?"
_ROWS = "SELECT start_key, size, page FROM publish_buckets WHERE playlist = ?"
_FIRST = f"{_ROWS} ORDER BY start_key LIMIT 3"  # the first two and the second's end
_HOLDING = f"{_ROWS} AND start_key <= ? ORDER BY start_key DESC LIMIT 2"  # and the one before
_AFTER = f"{_ROWS} AND start_key > ? ORDER BY start_key LIMIT 2"  # the next and its end
# The videos of each range [start, end), in order: each bound read once, both bounding the index
# search (an ``end IS NULL OR`` would leave the search open to the playlist's end).
_RANGE_VIDEOS = (
    "WITH ranges (number, low, high) AS (SELECT key, json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]') FROM json_each(?)) "
    "SELECT (SELECT coalesce(sum(size), 0) FROM publish_buckets WHERE playlist = ? "
    "AND start_key >= low AND start_key < high) FROM ranges ORDER BY number"
)
# Past every sort key (an inverted timestamp's digits, a space, a hashed_id: ASCII).
_LAST = "\U0010ffff"

_START = operator.itemgetter(0)


class Window:
    """A playlist's recorded buckets around the changed keys, in runs of consecutive buckets."""

    def __init__(self, runs: list[list[Bucket]], buckets: int, videos: int) -> None:
        self.runs = runs
        self.recorded_buckets = buckets  # in the whole playlist, as recorded
        self.recorded_videos = videos

    @property
    def buckets(self) -> list[Bucket]:
        return [bucket for run in self.runs for bucket in run]

    def ranges(self) -> list[tuple[str, str | None]]:
        """The key range [start, end) each run covers (end None: to the playlist's end)."""
        return [(run[0].start, run[-1].end) for run in self.runs]

    def normalise(self, page_size: int, load: Loader) -> list[Bucket] | None:
        """The window's buckets after ``buckets.normalise``, exactly as normalising the whole
        playlist would leave them (None: the first run cannot settle; read the whole)."""
        final: list[Bucket] = []
        for number, run in enumerate(self.runs):
            settled = normalise(run, page_size, load)
            if number == 0 and run[-1].end is not None and _still_leading(settled, page_size):
                return None
            final += settled
        return final


def _still_leading(settled: list[Bucket], page_size: int) -> bool:
    """Whether a run from the first bucket ended with that bucket still too small to stand:
    over the whole playlist it would go on to absorb the bucket after the run."""
    return len(settled) == 1 and 2 * settled[0].size < page_size


def read_window(db: Database, playlist: str, keys: Iterable[str]) -> Window | None:
    """The window around ``keys`` (sort keys that leave or join the playlist), each bucket holding
    one marked dirty (None: no recorded buckets, or so many keys that reading all is cheaper)."""
    wanted = sorted(set(keys))
    buckets, videos = db.execute(_TOTALS, [playlist]).fetchone()
    if buckets == 0 or len(wanted) > buckets * _KEYS_A_BUCKET:
        return None
    first = db.execute(_FIRST, [playlist]).fetchall()
    if first[0][0] != "":
        return None  # not a state this publish can trust: the whole read reports it
    read = {row[0]: row for row in first}
    inside = {row[0] for row in first[:2]}
    holding: set[str] = set()
    for key in wanted:
        before = db.execute(_HOLDING, [playlist, key]).fetchall()
        after = db.execute(_AFTER, [playlist, key]).fetchall()
        read.update((row[0], row) for row in (*before, *after))
        holding.add(before[0][0])  # the first bucket starts at "": one always holds the key
        inside.update(row[0] for row in (*before, *after[:1]))
    return Window(_runs(sorted(read.values(), key=_START), inside, holding), buckets, videos)


def _runs(
    rows: list[tuple[str, int, str | None]], inside: set[str], dirty: set[str]
) -> list[list[Bucket]]:
    """The window's buckets in runs of consecutive ones. Every row read is a recorded bucket,
    and the one after each bucket of the window was read too, so the next row read is the next
    bucket (none: the playlist's last)."""
    runs: list[list[Bucket]] = []
    previous: Bucket | None = None
    for start, size, page in rows:
        if previous is not None:
            previous.end = start
        if start not in inside:
            previous = None
            continue
        bucket = Bucket(start, size, page, dirty=start in dirty)
        if previous is None:
            runs.append([])
        runs[-1].append(bucket)
        previous = bucket
    return runs


class ListedPages:
    """Every page of a playlist, in order, as its plan made them (a playlist planned whole)."""

    def __init__(self, pages: list[tuple[str, PageRef]]) -> None:
        self.pages = pages
        self.starts = [start for start, _ in pages]

    def between(self, start: str, end: str | None) -> list[tuple[str, PageRef]]:
        low = bisect.bisect_left(self.starts, start)
        high = len(self.pages) if end is None else bisect.bisect_left(self.starts, end)
        return self.pages[low:high]

    def videos(self, ranges: list[tuple[str, str | None]]) -> list[int]:
        return [sum(page.count for _, page in self.between(*bounds)) for bounds in ranges]


class WindowPages:
    """A playlist's pages when only a window of it was planned: the recorded buckets' pages
    outside the window's runs, the window's own pages inside them."""

    def __init__(
        self,
        db: Database,
        playlist: str,
        window: list[tuple[str, str | None]],
        pages: list[tuple[str, PageRef]],
    ) -> None:
        self.db, self.playlist = db, playlist
        self.window = window
        self.window_starts = [start for start, _ in window]
        self.pages = ListedPages(pages)

    def _in_window(self, key: str) -> bool:
        index = bisect.bisect_right(self.window_starts, key) - 1
        if index < 0:
            return False
        end = self.window[index][1]
        return end is None or key < end

    def between(self, start: str, end: str | None) -> list[tuple[str, PageRef]]:
        sql, parameters = f"{_ROWS} AND start_key >= ?", [self.playlist, start]
        if end is not None:
            sql, parameters = f"{sql} AND start_key < ?", [*parameters, end]
        recorded = []
        for key, size, page in self.db.execute(sql, parameters).fetchall():
            if not self._in_window(key):
                assert page is not None  # only the first bucket may have no page: in the window
                recorded.append((key, PageRef(page, size)))
        return sorted(recorded + self.pages.between(start, end), key=_START)

    def videos(self, ranges: list[tuple[str, str | None]]) -> list[int]:
        """The videos of each range, which holds none of the window's changed buckets."""
        if not ranges:
            return []
        bounds = dumps([[start, _LAST if end is None else end] for start, end in ranges])
        rows = self.db.execute(_RANGE_VIDEOS, [bounds, self.playlist]).fetchall()
        return [count for (count,) in rows]
