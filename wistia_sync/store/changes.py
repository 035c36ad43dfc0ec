"""Recording the publisher's pending changes for a batch of writes with one statement.

The triggers of m004 (and the content version of m002) record every change to published
columns row by row, whoever makes it. A sync storing a page already knows which videos it
changed, so ``videos_changes_recorded_here`` stands the ``videos`` and ``video_tags`` triggers
aside for the page (m013) and writes what they would have: one ``publish_changes`` row per
changed video (the publisher reads them as a set) and one ``content_version`` bump.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


@contextmanager
def videos_changes_recorded_here(db: Database) -> Iterator[set[str]]:
    """Inside a write transaction: the ``videos`` and ``video_tags`` triggers stand aside, and
    the hashed ids the caller adds to the yielded set are recorded as changed videos instead.

    The marker row is deleted before the block ends, whatever happens, so it is never committed.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("changes are recorded by the caller only inside a write transaction")
    changed: set[str] = set()
    db.execute("INSERT INTO change_tracking_paused (paused) VALUES (1)")
    try:
        yield changed
    finally:
        db.execute("DELETE FROM change_tracking_paused")
    if changed:
        db.execute(
            "INSERT INTO publish_changes (kind, key) SELECT 'video', value FROM json_each(?)",
            [json.dumps(sorted(changed))],
        )
        db.execute("UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'")
