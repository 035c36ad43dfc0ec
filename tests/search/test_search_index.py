"""Issue 21: the static search index: what it holds, how it ranks, and what an edit writes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.search.reader import PublishedIndex, names
from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.contract.cache_policy import content_type
from wistia_sync.contract.layout import (
    SEARCH_INDEX_PATH,
    SEARCH_SHARD_PATH,
    cache_class,
    delivery_phase,
    is_managed,
)
from wistia_sync.contract.search import (
    MAX_TERM_LENGTH,
    MAX_TERMS_PER_VIDEO,
    fold,
    tokens,
)
from wistia_sync.publish import publish_site, search_index, staged_rows
from wistia_sync.publish.search_documents import read_documents
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database, write_transaction

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


def add_transcript(db: Database, hashed_id: str, text: str) -> None:
    db["video_captions"].insert(  # type: ignore[union-attr]
        {
            "hashed_id": hashed_id,
            "lang": "eng",
            "label": "English",
            "wistia_id": None,
            "cues": json.dumps([[0, 1000, text]]),
            "digest": "0" * 64,
            "transcript": text,
        },
        replace=True,
    )


@pytest.fixture
def library(tmp_path: Path) -> tuple[Database, Path]:
    db = open_database(tmp_path / "wistia.db", create=True)
    with write_transaction(db):
        add_folder(db, "fold01", "Customer Stories")
        add_video(db, "onboard01", name="Onboarding your team", created="2024-01-01T00:00:00Z")
        add_video(
            db,
            "cafe0001",
            name="Café culture in Zürich",
            description="<p>A <b>tour</b> of the old town&apos;s coffee houses</p>",
            created="2024-02-01T00:00:00Z",
            folder_hashed_id="fold01",
        )
        add_video(db, "tokyo001", name="東京の夜景", created="2024-03-01T00:00:00Z")
        add_video(db, "pricing1", name="Pricing explained", created="2024-04-01T00:00:00Z")
        add_video(
            db,
            "webinar1",
            name="Quarterly webinar",
            description="We talk about onboarding and pricing.",
            created="2024-05-01T00:00:00Z",
        )
        add_video(db, "secret01", name="Secret roadmap", visibility="hidden")
        tag_video(db, "pricing1", "Onboarding", source="editor")
        tag_video(db, "cafe0001", "Travel", source="editor")
        add_transcript(db, "webinar1", "today we cover the onboarding checklist in depth")
    publish_site(db, tmp_path / "out", lock_path=tmp_path / "lock")
    return db, tmp_path / "out"


def test_index_files_follow_the_contract(library: tuple[Database, Path]) -> None:
    _, out = library
    listed = json.loads((out / "files.json").read_bytes())
    assert (out / SEARCH_INDEX_PATH).is_file()
    assert cache_class(SEARCH_INDEX_PATH) == "entry"
    assert delivery_phase(SEARCH_INDEX_PATH) == "indexes"
    shards = sorted(p.relative_to(out).as_posix() for p in (out / "search").glob("*.json"))
    shards.remove(SEARCH_INDEX_PATH)
    assert shards
    for path in shards:
        assert SEARCH_SHARD_PATH.fullmatch(path)
        assert cache_class(path) == "immutable" and delivery_phase(path) == "linked"
        assert is_managed(path) and content_type(path).startswith("application/json")
    all_listed = set()
    for shard in listed["shards"]:
        all_listed |= set(json.loads((out / shard["url"]).read_bytes())["files"])
    assert {*shards, SEARCH_INDEX_PATH} <= all_listed


def test_words_are_found_by_any_case_accent_or_prefix(library: tuple[Database, Path]) -> None:
    index = PublishedIndex(library[1])
    assert names(index.search("cafe")) == ["Café culture in Zürich"]
    assert names(index.search("ZURICH")) == ["Café culture in Zürich"]
    assert names(index.search("zür")) == ["Café culture in Zürich"]
    assert names(index.search("coffee houses")) == ["Café culture in Zürich"]
    assert names(index.search("tour")) == ["Café culture in Zürich"]  # markup stripped
    assert names(index.search("b")) == []  # a tag's name is not a word of the description
    assert names(index.search("customer")) == ["Café culture in Zürich"]  # its folder
    assert names(index.search("東京")) == ["東京の夜景"]
    assert names(index.search("夜")) == ["東京の夜景"]
    assert names(index.search("secret")) == []  # hidden


def test_all_words_are_required_and_name_outranks_tag_description_transcript(
    library: tuple[Database, Path],
) -> None:
    index = PublishedIndex(library[1])
    assert names(index.search("onboarding")) == [
        "Onboarding your team",  # name
        "Pricing explained",  # tag
        "Quarterly webinar",  # description and transcript
    ]
    assert names(index.search("checklist")) == ["Quarterly webinar"]  # transcript
    assert names(index.search("onboarding pricing")) == ["Pricing explained", "Quarterly webinar"]
    assert names(index.search("onboarding zurich")) == []


def test_filters_by_tag_and_folder(library: tuple[Database, Path]) -> None:
    index = PublishedIndex(library[1])
    db = library[0]
    slug = db.execute("SELECT slug FROM tags WHERE name = 'Onboarding'").fetchone()[0]
    assert names(index.search("onboarding", tag=slug)) == ["Pricing explained"]
    assert names(index.search("", folder="fold01")) == ["Café culture in Zürich"]
    assert names(index.search("pricing", folder="fold01")) == []


def test_records_link_the_video_files_and_show_what_a_result_needs(
    library: tuple[Database, Path],
) -> None:
    index = PublishedIndex(library[1])
    (record,) = index.search("zurich")
    assert record["url"] == "videos/cafe0001.json"
    assert (library[1] / record["url"]).is_file()
    assert record["folder"] == {"hashed_id": "fold01", "name": "Customer Stories"}
    assert [tag["name"] for tag in record["tags"]] == ["Travel"]
    assert record["thumbnail_url"].endswith("cafe0001.jpg")


def test_untrusted_text_contributes_bounded_terms() -> None:
    assert fold("ÉCOLE Straße") == "ecole strasse"
    assert tokens("x" * 500) == ["x" * MAX_TERM_LENGTH]
    assert tokens("snake_case-word") == ["snake", "case", "word"]
    from wistia_sync.contract.search import video_terms

    many = " ".join(f"w{i}" for i in range(5000))
    terms = video_terms(name="Title", tags=[], folder=None, description=many, transcripts=[many])
    assert len(terms) == MAX_TERMS_PER_VIDEO and "title" in terms


def test_descriptions_are_read_as_text_and_han_and_kana_split_into_characters() -> None:
    from wistia_sync.contract.search import plain_text

    assert plain_text("<p>Caf&eacute; &amp; <b>bar</b></p>") == " Café &  bar  "
    assert plain_text("<p>no entity</p>") == " no entity "
    assert tokens("Caf&eacute;") == ["caf", "eacute"]  # a name is text, not markup
    assert tokens("東京の夜景 Tokyo") == ["東", "京", "の", "夜", "景", "tokyo"]
    assert tokens("Zürich ÅNGSTRÖM") == ["zurich", "angstrom"]


def test_the_index_always_equals_what_the_database_says(tmp_path: Path) -> None:
    """After edits of every kind, each published incrementally, the postings and records the
    entry reaches are exactly those of the published videos, and a forced rebuild rewrites no
    search file (an incremental publish leaves what a rebuild makes)."""
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, takedown_grace=timedelta(0))
    with write_transaction(db):
        for i in range(120):
            name = f"{WORDS[i % 26]} {WORDS[(i * 7) % 26]} number{i}"
            add_video(db, f"vid{i:04d}", name=name, created=f"2024-01-{i % 28 + 1:02d}T00:00:00Z")
    out, lock = tmp_path / "out", tmp_path / "lock"
    original = search_index.TERM_SHARD_POSTINGS
    search_index.TERM_SHARD_POSTINGS = 16  # many small shards, splitting and merging
    try:
        publish_site(db, out, lock_path=lock)
        for step in range(40):
            target = f"vid{(step * 37) % 120:04d}"
            with write_transaction(db):
                if step % 4 == 0:
                    db.execute(
                        "UPDATE videos SET name = ? WHERE hashed_id = ?",
                        [f"renamed {WORDS[step % 26]} {step}", target],
                    )
                elif step % 4 == 1:
                    db.execute(
                        "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [target]
                    )
                elif step % 4 == 2:
                    tag_video(db, target, f"Topic {step % 3}", source="editor")
                else:
                    add_transcript(db, target, f"{' '.join(WORDS[: step % 26])} spoken words")
            publish_site(db, out, lock_path=lock)
            _assert_index_matches_database(db, out)
        recorded = _search_state(db)
        forced = publish_site(db, out, lock_path=lock, force=True)
        assert [p for p in forced.written if p.startswith("search/")] == []
        # a rebuild records its rows from temp tables: the very rows the edits recorded
        assert _search_state(db) == recorded
    finally:
        search_index.TERM_SHARD_POSTINGS = original


def _search_state(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
        for table in ("search_videos", "search_shards")
    }


def test_a_rebuild_holds_the_index_rows_in_sqlite_not_in_its_plan(
    library: tuple[Database, Path],
) -> None:
    """A rebuild's plan keeps no video row and no shard text (they grew with the catalog): they
    are staged on the connection, and recording them gives the state the publish recorded."""
    db, _ = library
    recorded = _search_state(db)
    planned: list[str] = []
    plan = search_index.plan_search(db, None, lambda path, content, role: planned.append(path))
    assert plan.videos == [] and plan.shards == [] and plan.gone_videos == []
    staged = db.execute(
        f"SELECT count(*) FROM {staged_rows.SEARCH_SHARDS} WHERE body IS NOT NULL"
    ).fetchone()[0]
    assert staged == sum(1 for row in recorded["search_shards"] if row[0] == "t")
    with write_transaction(db):
        search_index.record_state(db, plan)
    assert _search_state(db) == recorded
    assert len(recorded["search_videos"]) == 5


def _assert_index_matches_database(db: Database, out: Path) -> None:
    index = PublishedIndex(out)
    documents = {d.hashed_id: d for d in read_documents(db, None)}
    by_id = {record["hashed_id"]: number for number, record in index.records.items()}
    assert set(by_id) == set(documents)
    expected = {
        (term, by_id[h], mask) for h, d in documents.items() for term, mask in d.terms.items()
    }
    found = {
        (term, n, mask) for term, postings in index.postings.items() for n, mask in postings.items()
    }
    assert found == expected
    most = 2 * search_index.TERM_SHARD_POSTINGS + 1
    assert all(size <= most for size in index.shard_sizes)


def _catalog(root: Path, size: int) -> Database:
    db = open_database(root / "wistia.db", create=True)
    with write_transaction(db):
        for i in range(size):
            words = " ".join(WORDS[(i * k) % 26] for k in (1, 3, 5))
            add_video(
                db,
                f"vid{i:05d}",
                name=f"{words} part {i}",
                description=f"{WORDS[i % 26]} and {WORDS[(i + 9) % 26]} explained",
                created=f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T00:00:00Z",
            )
    return db


@pytest.mark.parametrize("edit", ["rename", "tag", "hide", "transcript"])
def test_one_edit_rewrites_the_same_few_search_files_whatever_the_catalog_size(
    tmp_path: Path, edit: str
) -> None:
    original = search_index.TERM_SHARD_POSTINGS
    search_index.TERM_SHARD_POSTINGS = 64
    written: list[tuple[int, int]] = []
    try:
        for size in (300, 3000):
            root = tmp_path / str(size)
            root.mkdir()
            db = _catalog(root, size)
            publish_site(db, root / "out", lock_path=root / "lock")
            with write_transaction(db):
                target = "vid00150"
                if edit == "rename":
                    db.execute(
                        "UPDATE videos SET name = 'zulu yankee' WHERE hashed_id = ?", [target]
                    )
                elif edit == "tag":
                    tag_video(db, target, "Hotel Tango", source="editor")
                elif edit == "hide":
                    db.execute(
                        "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [target]
                    )
                else:
                    add_transcript(db, target, "kilo lima mike")
            result = publish_site(db, root / "out", lock_path=root / "lock")
            files = [p for p in result.written if p.startswith("search/")]
            assert SEARCH_INDEX_PATH in files
            # the entry lists every term shard (a line each): it grows with the catalog over the
            # shard size; the files an edit rewrites do not
            shards = [p for p in files if p != SEARCH_INDEX_PATH]
            written.append((len(files), sum((root / "out" / p).stat().st_size for p in shards)))
            db.close()
    finally:
        search_index.TERM_SHARD_POSTINGS = original
    (small_files, small_bytes), (large_files, large_bytes) = written
    # a shard a changed term, a record block, its list and the entry: bounded by the video's
    # own terms (a hide takes them all away), not by the catalog
    assert large_files <= small_files + 2 and large_files <= 14
    assert large_bytes <= 1.5 * small_bytes + 2_000


def test_a_hidden_video_leaves_every_search_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its record and terms leave the current files, and every search file that may hold it
    goes with the publish that hides it (those an earlier edit retired with the 24 h grace
    too), as its own file does; files retired without a takedown keep the grace an older
    entry's reader needs."""
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 8)
    db = open_database(tmp_path / "wistia.db", create=True)
    with write_transaction(db):
        for i in range(60):
            add_video(db, f"vid{i:04d}", name=f"{WORDS[i % 26]} {WORDS[(i * 5) % 26]}")
        add_video(db, "target01", name="Zanzibar secrets")
    out, lock = tmp_path / "out", tmp_path / "lock"
    publish_site(db, out, lock_path=lock)
    with write_transaction(db):
        db.execute("UPDATE videos SET name = 'Zanzibar plans' WHERE hashed_id = 'target01'")
    renamed = publish_site(db, out, lock_path=lock)
    retired = [p for p in renamed.retired if p.startswith("search/")]
    assert retired and all((out / p).exists() for p in retired)  # the grace for old readers
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'target01'")
    hidden = publish_site(db, out, lock_path=lock)
    reached = {p.name for p in (out / "search").iterdir()}  # those written again: current
    assert all(p in hidden.removed or p.removeprefix("search/") in reached for p in retired)
    assert PublishedIndex(out).search("zanzibar") == []
    for path in sorted((out / "search").iterdir()):
        content = path.read_bytes()
        assert b"target01" not in content and b"zanzibar" not in content, path.name


def test_an_entry_left_by_an_interrupted_publish_is_put_back_by_the_next(
    library: tuple[Database, Path], tmp_path: Path
) -> None:
    """A publish killed after renaming its search files into place, before recording them,
    leaves ``search/index.json`` newer than its record and linking files no record names. The
    next publish puts back the entry its records say, even when its own changes touch no
    search file (the sweep takes the unrecorded files after the grace)."""
    db, out = library
    entry = out / SEARCH_INDEX_PATH
    recorded = entry.read_bytes()
    stale = json.loads(recorded)
    stale["shards"][0][-1] = "0" * 20 + ".json"  # a file the killed publish wrote
    entry.write_bytes(json.dumps(stale).encode())
    with write_transaction(db):  # a change the index does not show: a hidden video's name
        db.execute("UPDATE videos SET name = 'Secret plans' WHERE hashed_id = 'secret01'")
    publish_site(db, out, lock_path=tmp_path / "lock")
    assert entry.read_bytes() == recorded


def test_a_hidden_video_whose_term_starts_a_shard_leaves_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard's range starts at a posting's key, which the entry shows: when that posting's
    video is hidden, the range starts at the shard's next posting instead, and a rebuild cuts
    the same shards."""
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 8)
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, takedown_grace=timedelta(0))
    with write_transaction(db):
        for i in range(60):
            add_video(db, f"vid{i:04d}", name=f"alpha{i:02d} common")
    out, lock = tmp_path / "out", tmp_path / "lock"
    publish_site(db, out, lock_path=lock)
    starts = [term for term, _, _ in PublishedIndex(out).term_shards()]
    hidden = [term for term in starts if term.startswith("alpha")][:2]
    assert len(hidden) == 2  # unique terms that start a shard
    for term in hidden:
        with write_transaction(db):
            db.execute(
                "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?",
                [f"vid{int(term.removeprefix('alpha')):04d}"],
            )
        publish_site(db, out, lock_path=lock)
        _assert_index_matches_database(db, out)
    for path in sorted((out / "search").iterdir()):
        content = path.read_bytes()
        assert not any(term.encode() in content for term in hidden), path.name
    recorded = _search_state(db)
    forced = publish_site(db, out, lock_path=lock, force=True)
    assert [p for p in forced.written if p.startswith("search/")] == []
    assert _search_state(db) == recorded
