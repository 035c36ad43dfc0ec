"""What a page store asks of SQLite: every statement searches by key, none scans a table (the
cost of a page must not grow with the catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.sync.test_change_tracking import edit_wistia
from tests.sync.test_sync import TOKEN, sync
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store.db import open_database
from wistia_sync.sync import pages

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def page_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[list[str]], list[list[str]]]:
    """The statements of each page store of a first crawl and of a full re-crawl after
    ``edit_wistia`` (retagged, tags dropped, renamed, archived, new), as SQLite ran them
    (parameters filled in): the first crawl's stores, then the re-crawl's."""
    fake = FakeWistia(*generate_catalog(250, seed=7), token=TOKEN)
    db = open_database(tmp_path / "wistia.db", create=True)
    stores: list[list[str]] = []
    write_page = pages._write_page

    def traced(*args: Any, **kwargs: Any) -> None:
        stores.append([])
        db.conn.set_trace_callback(stores[-1].append)
        try:
            write_page(*args, **kwargs)
        finally:
            db.conn.set_trace_callback(None)

    monkeypatch.setattr(pages, "_write_page", traced)
    sync(db, fake, stats_budget=0)
    first_crawl = len(stores)
    edit_wistia(fake, db)
    sync(db, fake, stats_budget=0, full=True)
    db.conn.close()
    statements = [_statements(store) for store in stores]
    return statements[:first_crawl], statements[first_crawl:]


def _statements(traced: list[str]) -> list[str]:
    """Each statement once: SQLite traces a statement again for each trigger program it runs
    (with the statement's own text), and transaction control is not a page's work."""
    statements: list[str] = []
    for text in traced:
        if statements and text == statements[-1]:
            continue
        if not text.startswith("--") and not text.startswith(TRANSACTION_CONTROL):
            statements.append(text)
    return statements


def test_a_page_store_searches_by_key_and_scans_no_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_crawl, recrawl = page_statements(tmp_path, monkeypatch)
    statements = [s for store in first_crawl + recrawl for s in store]
    assert any(s.startswith("DELETE FROM video_tags") for s in statements)  # tags dropped
    assert any(s.startswith("INSERT INTO video_tags") for s in statements)
    assert any(s.startswith("INSERT INTO videos") for s in statements)
    db = open_database(tmp_path / "wistia.db")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    scans = [
        (statement, detail)
        for statement in statements
        for *_, detail in db.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
        if detail.startswith("SCAN ") and detail.split()[1] in tables
    ]
    assert scans == []


def test_only_media_stored_before_a_page_have_their_wistia_tags_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first crawl's pages hold only new media, which can have no tag links yet (a link's
    video is a row of ``videos``): they skip the look-up. A re-crawl reads the links of the
    media it stored before, and replaces them (the edits of ``edit_wistia`` are kept by
    tests/sync/test_change_tracking.py)."""
    first_crawl, recrawl = page_statements(tmp_path, monkeypatch)

    def reads_links(store: list[str]) -> bool:
        return any(s.startswith("SELECT") and "FROM video_tags" in s for s in store)

    assert first_crawl and recrawl
    assert not any(reads_links(store) for store in first_crawl)
    assert all(
        reads_links(store)
        for store in recrawl
        if any("INSERT INTO videos" in s or "UPDATE videos" in s for s in store)
    )
