"""The last publish's file records held compactly (``publish.file_records``): every record reads
back as it was stored, whatever it holds, and a record costs far less than a ``FileRecord`` with
its hex digest did (a rebuild at 300k videos holds 345k of them)."""

from __future__ import annotations

import hashlib
import random
import tracemalloc

from wistia_sync.publish.file_records import FileRecord, FileRecords


def _fields(record: FileRecord | None) -> tuple[object, ...] | None:
    if record is None:
        return None
    return (record.sha256, record.size, record.mtime_ns, record.expires_at)


def _digest(number: int) -> str:
    return hashlib.sha256(str(number).encode()).hexdigest()


def test_records_read_back_as_stored_like_a_dict() -> None:
    rng = random.Random(19)
    odd_digests = ["", "abc", _digest(1).upper(), " " + _digest(2)[1:], "zz" * 32, _digest(3)]
    expected: dict[str, FileRecord] = {}
    records = FileRecords()
    for number in range(400):
        path = f"folder{number % 7}/file{rng.randrange(300)}.json"  # some paths come again
        digest = rng.choice(odd_digests) if number % 10 == 0 else _digest(number)
        size = rng.choice([0, 1, 255, 70_000, 2**63 - 1, 2**63, -1])
        mtime_ns = rng.choice([1_700_000_000_123_456_789, 0, 2**64])
        expires_at = rng.choice([None, None, "2026-12-08T00:00:00Z"])
        if number % 3:
            records.add(path, digest, size, mtime_ns, expires_at)
        else:
            records[path] = FileRecord(digest, size, mtime_ns, expires_at)
        expected[path] = FileRecord(digest, size, mtime_ns, expires_at)
    gone = sorted(expected)[:5]
    for path in gone:
        del records[path]
        del expected[path]

    assert len(records) == len(expected)
    assert sorted(records) == sorted(expected)
    for path, record in expected.items():
        assert path in records
        assert _fields(records.get(path)) == _fields(record)
        assert _fields(records[path]) == _fields(record)
    assert records.get("missing.json") is None and "missing.json" not in records
    assert set(records.keys()) - set(gone) == set(expected)


def test_a_record_is_held_in_under_half_the_memory_of_a_file_record_and_its_hex_digest() -> None:
    paths = [f"videos/v{number:09d}.json" for number in range(5000)]
    rows = [
        (path, _digest(n), 700 + n % 50, 1_765_000_000_000_000_000) for n, path in enumerate(paths)
    ]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        records = FileRecords()
        for path, digest, size, mtime_ns in rows:
            records.add(path, digest, size, mtime_ns, None)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    per_record = (held - before) / len(rows)
    # A FileRecord (64 bytes) and its hex digest (113) held ~177 bytes a record beside the path
    # and its dict slot; a packed record is one 81-byte bytes object and a dict slot.
    assert per_record < 140, per_record
    assert _fields(records.get(paths[7])) == (rows[7][1], rows[7][2], rows[7][3], None)
