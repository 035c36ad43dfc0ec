"""A rebuild's video-file records read in path order beside the plan (``RecordCursor``): each
path asked gets the record a plain lookup gives (in order, out of order, asked twice, not
recorded), and ``unasked`` gives exactly the records no one asked for."""

from __future__ import annotations

import random
from pathlib import Path

from wistia_sync.publish import snapshot
from wistia_sync.publish.file_records import FileRecord
from wistia_sync.publish.record_cursor import RecordCursor
from wistia_sync.store.db import open_database


def _fields(record: FileRecord | None) -> tuple[object, ...] | None:
    if record is None:
        return None
    return (record.sha256, record.size, record.mtime_ns, record.expires_at)


def test_records_asked_in_any_order_are_those_recorded_and_the_rest_is_unasked(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    rng = random.Random(28)
    recorded = sorted(f"videos/v{n:03d}.json" for n in rng.sample(range(300), 120))
    outside = ["videos.json", "videos0/x.json", "video/v001.json", "pages/abc.json"]
    for number, path in enumerate([*recorded, *outside]):
        db.execute(
            "INSERT INTO published_files (path, sha256, bytes, mtime_ns, cache, expires_at) "
            "VALUES (?, ?, ?, ?, 'entry', ?)",
            [path, f"{number:064x}", number, 10**18 + number, None if number % 4 else "2026"],
        )
    every = snapshot.file_records(db, None)

    for attempt in range(20):
        cursor = RecordCursor(db, "videos")
        candidates = sorted(f"videos/v{n:03d}.json" for n in range(0, 320, rng.choice([1, 2, 3])))
        asked = sorted(rng.sample(candidates, len(candidates) // 2))
        if attempt % 2:  # some asked again, some out of order
            asked += rng.sample(asked, 5) + sorted(rng.sample(candidates, 5))
        for path in asked:
            assert cursor.holds(path)
            assert _fields(cursor.get(path)) == _fields(every.get(path)), path
        found = {path for path in asked if path in every}
        assert sorted(cursor.unasked()) == sorted(set(recorded) - found)
        assert list(cursor.unasked()) == []
        assert _fields(cursor.get(recorded[0])) == _fields(every.get(recorded[0]))
    assert not any(RecordCursor(db, "videos").holds(path) for path in outside)
    rest = snapshot.file_records(db, None, leaving_out=(cursor.low, cursor.high))
    assert sorted(rest) == sorted(outside)
