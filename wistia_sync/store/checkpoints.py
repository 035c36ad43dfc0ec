"""Checkpointing the write-ahead log on a thread of its own while a crawl commits page after page.

In WAL mode every commit appends the pages it changed to the log, and the commit that takes the
log past ``wal_autocheckpoint`` pages copies them back into the database file, with a flush
before and after, while the writer waits: at 10,000 media that is about one page store in
thirteen, and again in full when the last connection closes. ``checkpoints_in_background``
does that copying on a second connection from another thread instead (SQLite releases the GIL
while it does, so it runs beside the crawl on another core). A passive checkpoint never waits
for a lock and never blocks the writer; the writer's own automatic checkpoint stays on as a
fallback, and one that finds a checkpoint running simply skips. What a commit promises is
unchanged: a checkpoint only copies committed pages into place.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

INTERVAL_SECONDS = 0.05  # between passive checkpoints: a few page stores at most


@contextmanager
def checkpoints_in_background(db: Database, interval: float = INTERVAL_SECONDS) -> Iterator[None]:
    """While the block runs, checkpoint ``db``'s log every ``interval`` seconds from a thread.

    Nothing happens for a database not in WAL mode or not in a file. A checkpoint that fails
    (a full disk, say) stops the thread quietly: the writer's own statements report the cause.
    """
    path = _wal_file(db)
    if path is None or interval > 100:
        yield
        return
    try:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        yield
        return
    stop = threading.Event()

    def checkpoint() -> None:
        try:
            while not stop.wait(interval):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=checkpoint, name="wal-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _wal_file(db: Database) -> str | None:
    """The file of ``db``'s main database if it is one in WAL mode, else None."""
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        return None
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return str(file)
    return None
