"""The end of a run's cleanup of ``media_failures``: the same rows forgotten as the reference
statements forgot, without scanning ``videos`` or sending SQLite every media the run saw (a
full crawl's whole catalog), so its cost follows the failures, not the catalog."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.sync.failures import clear_failures, failing
from wistia_sync.sync.media import forget_answered_failures
from wistia_sync.sync.stats import STATS_ELIGIBLE
from wistia_sync.sync.summary import SyncSummary

if TYPE_CHECKING:
    from sqlite_utils import Database

NOW = "2026-12-07T22:00:00Z"


def _reference(db: Database, seen: set[str]) -> None:
    """What ``forget_answered_failures`` ran before: the seen ids sent as JSON, ``videos``
    scanned by each subquery."""
    db.execute(
        "DELETE FROM media_failures WHERE endpoint = 'media' AND hashed_id IN "
        "(SELECT value FROM json_each(?))",
        [json.dumps(sorted(seen))],
    )
    db.execute(
        "DELETE FROM media_failures WHERE hashed_id IN "
        "(SELECT hashed_id FROM videos WHERE deleted_at IS NOT NULL)"
    )
    db.execute(
        "DELETE FROM media_failures WHERE endpoint = 'stats' AND hashed_id IN "
        f"(SELECT v.hashed_id FROM videos v WHERE NOT ({STATS_ELIGIBLE}))"
    )


def _catalog(path: Path, rng: random.Random, size: int) -> tuple[list[str], set[str]]:
    """A database of ``size`` videos of every kind, failures recorded for some of them (and for
    ids no video has); returns every id and a random set the run saw."""
    db = open_database(path, create=True)
    ids = [f"v{n:09d}" for n in range(size)]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO videos (hashed_id, name, type, status, archived, created, updated, "
            "first_seen, last_seen, deleted_at) VALUES (?, 'n', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    h,
                    rng.choice(["Video", "Audio", "Image"]),
                    rng.choice(["ready", "queued", "processing", "failed"]),
                    rng.randrange(2),
                    NOW,
                    NOW,
                    NOW,
                    NOW,
                    rng.choice([None, None, NOW]),
                )
                for h in ids
            ],
        )
        failed = rng.sample(ids, size // 5) + [f"gone{n}" for n in range(5)]
        db.conn.executemany(
            "INSERT OR IGNORE INTO media_failures (hashed_id, endpoint, failures, "
            "first_failed_at, last_failed_at, retry_at, error) VALUES (?, ?, 1, ?, ?, ?, 'e')",
            [(h, rng.choice(["stats", "media"]), NOW, NOW, NOW) for h in failed],
        )
    db.conn.close()
    return ids, set(rng.sample(ids + [f"gone{n}" for n in range(5)], rng.randrange(size)))


def _failures(path: Path) -> list[tuple[str, str]]:
    db = open_database(path)
    rows = db.execute("SELECT hashed_id, endpoint FROM media_failures ORDER BY 1, 2").fetchall()
    db.conn.close()
    return [(str(h), str(e)) for h, e in rows]


def test_the_cleanup_forgets_what_the_reference_statements_forgot(tmp_path: Path) -> None:
    for seed in range(12):
        rng = random.Random(seed)
        _, seen = _catalog(tmp_path / f"{seed}.db", rng, rng.randrange(1, 300))
        for name in ("reference", "cleanup"):
            path = tmp_path / f"{seed}-{name}.db"
            path.write_bytes((tmp_path / f"{seed}.db").read_bytes())
            db = open_database(path)
            with write_transaction(db):
                if name == "reference":
                    _reference(db, seen)
                else:
                    summary = SyncSummary(mode="full")
                    summary.seen = set(seen)
                    forget_answered_failures(db, summary)
            db.conn.close()
        assert _failures(tmp_path / f"{seed}-cleanup.db") == _failures(
            tmp_path / f"{seed}-reference.db"
        ), seed


def test_clear_failures_takes_any_iterable_of_answered_ids(tmp_path: Path) -> None:
    rng = random.Random(3)
    ids, _ = _catalog(tmp_path / "wistia.db", rng, 200)
    before = _failures(tmp_path / "wistia.db")
    stats = [h for h, e in before if e == "stats"]
    db = open_database(tmp_path / "wistia.db")
    with write_transaction(db):
        clear_failures(db, "stats", iter(stats[:3] + ids[:1]))
    db.conn.close()
    gone = {(h, "stats") for h in stats[:3]} | {(ids[0], "stats")}
    assert _failures(tmp_path / "wistia.db") == [row for row in before if row not in gone]


def test_the_cleanup_neither_scans_videos_nor_sends_the_seen_media(tmp_path: Path) -> None:
    rng = random.Random(11)
    ids, _ = _catalog(tmp_path / "wistia.db", rng, 2_000)
    db = open_database(tmp_path / "wistia.db")
    checks = len(failing(db, "media"))
    statements: list[str] = []
    summary = SyncSummary(mode="full")
    summary.seen = set(ids)  # a full crawl listed every media
    with write_transaction(db):
        db.conn.set_trace_callback(statements.append)
        forget_answered_failures(db, summary)
        db.conn.set_trace_callback(None)
    work = [s for s in statements if not s.startswith("--")]
    assert any(s.startswith("DELETE FROM media_failures") for s in work)
    # Only the deletion checks cleared are sent, not the 2,000 media the run saw.
    assert max(sum(h in s for h in ids) for s in work) <= checks
    scans = [
        (statement, detail)
        for statement in work
        for *_, detail in db.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
        if detail.startswith("SCAN ") and detail.split()[1] in ("videos", "v")
    ]
    db.conn.close()
    assert scans == []
