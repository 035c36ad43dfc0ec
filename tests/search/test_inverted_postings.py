"""A rebuild's inverted postings held compactly (a term of one posting as one int): the shards'
postings are those of the plain (rows, masks) form, and the staged documents' terms are all
there, each with its rows and masks."""

from __future__ import annotations

import random
from array import array
from pathlib import Path

from tests.support.factories import add_video, tag_video
from wistia_sync.publish import search_index, staged_rows
from wistia_sync.publish.search_documents import read_documents
from wistia_sync.store.db import open_database


def _plain(inverted: search_index.Inverted) -> dict[str, list[tuple[int, int]]]:
    """term -> [(row, mask)] whatever form each term is held in."""
    plain: dict[str, list[tuple[int, int]]] = {}
    for term, held in inverted.items():
        if isinstance(held, int):
            plain[term] = [(held >> 8, held & 0xFF)]
        else:
            plain[term] = list(zip(held[0], held[1], strict=True))
    return plain


def test_postings_of_single_and_many_posting_terms_are_those_of_the_plain_form() -> None:
    rng = random.Random(21)
    rows = 500
    number_of = array("l", rng.sample(range(10_000), rows))
    tuples: search_index.Inverted = {}
    mixed: search_index.Inverted = {}
    for index in range(300):
        term = f"t{index:03d}"
        chosen = rng.sample(range(rows), rng.choice([1, 1, 1, 2, 7, 60]))
        masks = [rng.randrange(1, 256) for _ in chosen]
        tuples[term] = (array("i", chosen), bytearray(masks))
        if len(chosen) == 1:
            mixed[term] = chosen[0] << 8 | masks[0]
        else:
            mixed[term] = (array("i", chosen), bytearray(masks))
    starts = [("", 0), ("t050", 0), ("t100", 5000), ("t200", 0), ("t250", 9000)]

    def shards(inverted: search_index.Inverted) -> list[list[tuple[str, int, int]]]:
        source = search_index._FullSource(dict(inverted), starts, number_of)
        return [list(source(index)) for index in range(len(starts))]

    assert shards(mixed) == shards(tuples)
    assert sum(map(len, shards(mixed))) == sum(len(v) for v in _plain(tuples).values())


def test_staged_documents_hold_every_term_once_a_term_of_one_posting_as_an_int(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(5):
        add_video(db, f"v{number}", name=f"Shared word{number}")
        tag_video(db, f"v{number}", "Common")
    staged_rows.reset(db)
    for table in (staged_rows.SEARCH_VIDEOS, staged_rows.SEARCH_SHARDS):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(
        f"CREATE TABLE {staged_rows.SEARCH_VIDEOS} (row INTEGER PRIMARY KEY, hashed_id TEXT, "
        "created TEXT, number INTEGER, terms TEXT, record TEXT)"
    )

    inverted = search_index._stage_documents(db)

    expected: dict[str, list[tuple[int, int]]] = {}
    for row, document in enumerate(read_documents(db, None)):
        for term, mask in document.terms.items():
            expected.setdefault(term, []).append((row, mask))
    assert _plain(inverted) == expected
    singles = [term for term, postings in expected.items() if len(postings) == 1]
    assert singles and all(isinstance(inverted[term], int) for term in singles)
    assert all(not isinstance(inverted[t], int) for t, p in expected.items() if len(p) > 1)
