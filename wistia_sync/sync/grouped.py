"""Storing a crawl's pages several to a transaction when they are already fetched.

Each transaction's commit writes every B-tree page it changed to the write-ahead log (and a
checkpoint later copies them into the database). Media are keyed by random hashed ids, so a
page of 100 new media changes about one leaf of the ``videos`` key index and one and a half of
``video_tags``'s per media once those indexes outgrow 100 leaves: at 100,000 media a commit a
list page wrote 270 log frames (1.1 MB), against 41 on an empty database. Pages stored in one
transaction share the leaves they change, and the tables' and indexes' hot last pages: eight to
a transaction write a third to a half of the frames (``benchmarks/crawl_growth.py``).

Each page is still stored atomically (a savepoint inside the group), and a page is only added
to an open transaction when it has already been fetched: the write lock is never held while
waiting on the network. When storing or fetching a page fails, the pages before it in the
group are committed before the error is raised, as if each had its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlite_utils import Database

from wistia_sync.store.db import sqlite_errors_explained, write_transaction
from wistia_sync.wistia.client import MediaPage

MAX_PAGES_A_TRANSACTION = 8  # bounds how long other writers may wait: about 0.1 s of storing


def store_grouped(
    db: Database,
    pages: Iterator[MediaPage],
    next_page_ready: Callable[[], bool],
    store: Callable[[MediaPage], bool],
) -> None:
    """``store`` each page in order (it returns False to stop), several pages to a transaction
    while ``next_page_ready()`` says the next one is in; it waits for a page outside them."""
    for first in pages:
        failure: Exception | None = None
        more = True
        with write_transaction(db):
            try:
                more = _store_atomically(db, store, first)
                stored = 1
                while more and stored < MAX_PAGES_A_TRANSACTION and next_page_ready():
                    page = next(pages, None)
                    if page is None:
                        break
                    more = _store_atomically(db, store, page)
                    stored += 1
            except Exception as error:
                failure = error
        if failure is not None:
            with sqlite_errors_explained(db):
                raise failure
        if not more:
            return


def _store_atomically(db: Database, store: Callable[[MediaPage], bool], page: MediaPage) -> bool:
    with write_transaction(db):  # a savepoint: a page that fails leaves nothing behind
        return store(page)
