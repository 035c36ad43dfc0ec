"""A term shard changed in place gives the very text a render of its new postings gives."""

from __future__ import annotations

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
