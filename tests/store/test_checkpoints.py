"""The write-ahead log checkpointed from a thread of its own while a crawl commits pages."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

from sqlite_utils import Database

from wistia_sync.store.checkpoints import checkpoints_in_background
from wistia_sync.store.db import open_database, write_transaction

WAIT_SECONDS = 30.0  # how long a test waits for the thread before it fails (not a timing claim)


def main_file_rows(path: Path, copy: Path) -> int:
    """The folders the main database file holds by itself, without its write-ahead log: what
    has been checkpointed into it."""
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute("SELECT count(*) FROM folders").fetchone()[0])
    finally:
        conn.close()


def store_folders(db: Database, start: int, count: int) -> None:
    for n in range(start, start + count):
        with write_transaction(db):
            db.execute(
                "INSERT INTO folders (hashed_id, id, name) VALUES (?, ?, ?)",
                [f"f{n}", n, f"folder {n}"],
            )


def test_commits_reach_the_database_file_without_the_writer_checkpointing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wistia.db"
    db = open_database(path, create=True)
    db.execute("PRAGMA wal_autocheckpoint = 0")  # the writer never checkpoints by itself
    store_folders(db, 0, 5)
    assert main_file_rows(path, tmp_path / "copy0.db") == 0  # all five only in the log

    with checkpoints_in_background(db, interval=0.01):
        store_folders(db, 5, 5)
        deadline = time.monotonic() + WAIT_SECONDS
        while main_file_rows(path, tmp_path / "copy.db") < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert main_file_rows(path, tmp_path / "copy.db") == 10
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
    db.conn.close()


def test_the_thread_stops_with_the_block_even_when_it_raises(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    try:
        with checkpoints_in_background(db, interval=0.01):
            store_folders(db, 0, 2)
            raise KeyError("stop")
    except KeyError:
        pass
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
    assert db.execute("SELECT count(*) FROM folders").fetchone()[0] == 2
    db.conn.close()


def test_a_database_not_in_wal_mode_gets_no_thread(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    db.execute("PRAGMA journal_mode = DELETE")
    with checkpoints_in_background(db, interval=0.01):
        assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
        store_folders(db, 0, 1)
    db.conn.close()
