"""Stable buckets: a playlist cut into pages so that an edit touches one page, not all that follow.

A playlist is a sorted sequence (see ``build.sort_key``). Each bucket is a range of that order,
named by its start key; the first bucket starts at ``""``. A video stays in its bucket when
others are added or removed elsewhere. A bucket that grows past twice the page size splits into
balanced pieces; one that shrinks below half the page size merges with a neighbour.

``normalise`` is the one rule: applied to every bucket (a full rebuild) or only to the buckets a
change touched (an incremental publish), it gives the same buckets, because a bucket nobody
touched is already within bounds. That is what makes ``publish --force`` byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable

Member = tuple[str, str]  # (sort key, hashed_id)


class Bucket:
    """A range of a sorted sequence, named by its start key (``start``), with ``size`` members."""

    __slots__ = ("dirty", "end", "members", "page", "recorded", "size", "start")

    def __init__(
        self,
        start: str,
        size: int,
        page: str | None = None,
        *,
        dirty: bool = False,
        members: list[Member] | None = None,
        recorded: bool = True,
    ) -> None:
        self.start = start
        self.size = size
        self.page = page  # the recorded page file (None for the first bucket, or new)
        self.end: str | None = None  # the next recorded bucket's start (recorded buckets only)
        self.dirty = dirty  # touched by this publish: its members must be read and rendered
        self.members = members
        self.recorded = recorded  # its members can be read from the last publish's state


Loader = Callable[[Bucket], list[Member]]


def inline_head(page_size: int) -> int:
    """How many videos an entry file holds inline when its playlist has further pages.

    A playlist of one bucket is wholly inline; one of several keeps only the first quarter page
    of its first bucket inline and the rest of that bucket on a page of its own (its tail), so
    an edit to a later page rewrites a small entry file, not a whole page of videos inline.
    """
    return max(1, page_size // 4)


def normalise(buckets: list[Bucket], page_size: int, load: Loader) -> list[Bucket]:
    """The buckets after splitting and merging every dirty one that is out of bounds."""
    result: list[Bucket] = []
    leading: Bucket | None = None  # a too-small first bucket, waiting to absorb the next one
    for original in buckets:
        bucket = original
        if leading is not None:
            bucket = _merged(leading, bucket, load)
            leading = None
        elif not bucket.dirty:
            result.append(bucket)
            continue
        size = len(load(bucket))
        if size > 2 * page_size:
            result.extend(_split(bucket, page_size, load))
        elif 2 * size < page_size and result:
            merged = _merged(result.pop(), bucket, load)
            result.extend(
                _split(merged, page_size, load) if merged.size > 2 * page_size else [merged]
            )
        elif 2 * size < page_size:
            leading = bucket
        else:
            bucket.size = size
            result.append(bucket)
    if leading is not None:  # the only bucket: it may be small, even empty
        leading.size = len(load(leading))
        result.append(leading)
    return result


def _merged(first: Bucket, second: Bucket, load: Loader) -> Bucket:
    members = load(first) + load(second)
    return Bucket(first.start, len(members), dirty=True, members=members, recorded=False)


def _split(bucket: Bucket, page_size: int, load: Loader) -> list[Bucket]:
    """Balanced pieces of page_size to 1.5 times page_size; the first keeps the bucket's start."""
    members = load(bucket)
    pieces = len(members) // page_size
    result = []
    for index in range(pieces):
        chunk = members[index * len(members) // pieces : (index + 1) * len(members) // pieces]
        start = bucket.start if index == 0 else chunk[0][0]
        result.append(Bucket(start, len(chunk), dirty=True, members=chunk, recorded=False))
    return result
