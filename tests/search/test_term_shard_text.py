"""A term shard changed in place gives the very text a render of its new postings gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wistia_sync.publish.term_shard_text import (
    TermChange,
    parse_term_shard,
    render_term_shard,
    splice_term_shard,
)

TERMS = ["a", "ab", "abc", "b", "video", "vidéo", "東", "#t:tag-1", "#f:Folder9", "z9"]
Key = tuple[str, int]

postings_by_key = st.dictionaries(
    st.tuples(st.sampled_from(TERMS), st.integers(0, 60)), st.integers(0, 31), max_size=80
)


@settings(max_examples=300, deadline=None)
@given(before=postings_by_key, after=postings_by_key)
def test_a_spliced_shard_is_byte_identical_to_its_postings_rendered(
    before: dict[Key, int], after: dict[Key, int]
) -> None:
    changes: dict[str, TermChange] = {}
    for (term, number), mask in before.items():
        if after.get((term, number)) != mask:
            changes.setdefault(term, (set(), {}))[0].add(number)
    for (term, number), mask in after.items():
        if before.get((term, number)) != mask:
            changes.setdefault(term, (set(), {}))[1][number] = mask
    text = render_term_shard(sorted((t, n, m) for (t, n), m in before.items()))

    spliced = splice_term_shard(text, changes)

    expected = sorted((t, n, m) for (t, n), m in after.items())
    assert spliced == (render_term_shard(expected), len(after) - len(before))
    assert parse_term_shard(spliced[0]) == expected


def test_a_change_that_does_not_fit_the_text_is_refused() -> None:
    text = render_term_shard([("alpha", 3, 16), ("alpha", 9, 16), ("beta", 4, 1)])
    assert splice_term_shard(text, {"alpha": ({4}, {})}) is None  # no posting 4 to remove
    assert splice_term_shard(text, {"beta": (set(), {4: 2})}) is None  # posting 4 is there
    assert splice_term_shard(text, {'quo"te': (set(), {1: 1})}) is None  # not plain text
    assert splice_term_shard(text, {"gamma": (set(), {1: 32})}) is None  # no such mask
    assert splice_term_shard("not a shard", {"alpha": ({3}, {})}) is None


@pytest.mark.parametrize(
    ("removed", "added"),
    [
        ({0}, {}),  # the first posting: the next delta becomes its number
        ({2997}, {}),  # the last
        ({1500}, {}),
        (set(), {1: 16}),  # between the first two
        (set(), {5000: 16}),  # after the last
        (set(), {1501: 2}),  # a mask of its own: the masks are written one a posting
        ({1500}, {1500: 8, 1501: 16}),
        (set(range(0, 3000, 60)), {n: 16 for n in range(1, 3000, 70) if n % 3}),  # a bulk edit
    ],
)
def test_a_term_in_thousands_of_videos_is_changed_where_its_postings_change(
    removed: set[int], added: dict[int, int]
) -> None:
    before = {("a", 5): 1} | {("video", n): 16 for n in range(0, 3000, 3)} | {("z", 1): 2}
    after = {k: m for k, m in before.items() if not (k[0] == "video" and k[1] in removed)}
    after |= {("video", n): m for n, m in added.items()}
    text = render_term_shard(sorted((t, n, m) for (t, n), m in before.items()))

    spliced = splice_term_shard(text, {"video": (removed, added)})

    expected = render_term_shard(sorted((t, n, m) for (t, n), m in after.items()))
    assert spliced == (expected, len(after) - len(before))
