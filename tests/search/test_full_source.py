"""A rebuild's postings, cut at the shards' starts: each term's postings sorted once, whatever
the number of shards it spans (sorting the remainder again for each shard made a rebuild's cost
grow faster than the catalog)."""

from __future__ import annotations

import builtins
from array import array
from collections.abc import Iterable
from typing import Any

import pytest

from wistia_sync.publish import search_index


def test_a_term_spanning_many_shards_is_sorted_once_and_cut_at_their_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = list(range(1000))
    number_of = array("l", [(row * 7919) % 1000 for row in rows])  # numbers out of row order
    inverted = {
        "alpha": (array("l", [3, 1, 2]), bytearray([1, 2, 4])),
        "common": (array("l", rows), bytearray(row % 5 for row in rows)),
        "zeta": (array("l", [9]), bytearray([8])),
    }
    expected = sorted(
        (term, number_of[row], mask)
        for term, (term_rows, masks) in inverted.items()
        for row, mask in zip(term_rows, masks, strict=True)
    )
    starts = [("", 0)] + [("common", n) for n in range(100, 1000, 100)]
    sorted_items: list[int] = []

    def counting_sorted(items: Iterable[Any], **kwargs: Any) -> list[Any]:
        result = builtins.sorted(items, **kwargs)
        sorted_items.append(len(result))
        return result

    source = search_index._FullSource(inverted, starts, number_of)
    monkeypatch.setattr(search_index, "sorted", counting_sorted, raising=False)
    shards = [list(source(index)) for index in range(len(starts))]

    assert [posting for shard in shards for posting in shard] == expected
    for index, shard in enumerate(shards):
        end = starts[index + 1] if index + 1 < len(starts) else None
        assert all(starts[index] <= (t, n) and (end is None or (t, n) < end) for t, n, _ in shard)
    assert sum(sorted_items) == 1000 + 3 + 1  # every posting sorted once, not once a shard
