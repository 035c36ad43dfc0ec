"""The generation (the manifest's id of the published content) costs the same at every size."""

from __future__ import annotations

from pathlib import Path

from wistia_sync.publish.build import generation_of
from wistia_sync.publish.state import generation
from wistia_sync.store.db import open_database

HASHED = {
    "videos.json": "a" * 64,
    "tags.json": "b" * 64,
    "folders.json": "c" * 64,
    "schema/manifest.schema.json": "d" * 64,
    "schema/playlist.schema.json": "e" * 64,
}
# Recorded files the generation does not hash, sorting around the schema folder.
NEIGHBOURS = ["schema.json", "schema0/x.json", "schemas/x.json", "Schema/x.json", "pages/x.json"]


def steps_of_generation(tmp_path: Path, other_files: int) -> tuple[str, int]:
    """The generation of a database recording ``HASHED``, the neighbours and ``other_files``
    pages, and the SQLite virtual-machine steps computing it took."""
    db = open_database(tmp_path / f"{other_files}.db", create=True)
    rows = [
        *HASHED.items(),
        *((path, "f" * 64) for path in NEIGHBOURS),
        *((f"pages/{index:032x}.json", "0" * 64) for index in range(other_files)),
    ]
    db.conn.executemany(
        "INSERT INTO published_files (path, sha256, bytes, mtime_ns) VALUES (?, ?, 1, 1)", rows
    )
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.conn.set_progress_handler(count, 1)
    try:
        return generation(db), steps
    finally:
        db.conn.set_progress_handler(None, 1)
        db.close()


def test_generation_hashes_the_indexes_and_the_schemas_only(tmp_path: Path) -> None:
    found, _ = steps_of_generation(tmp_path, 0)
    assert found == generation_of([f"{path} {digest}" for path, digest in sorted(HASHED.items())])


def test_generation_reads_no_other_recorded_file(tmp_path: Path) -> None:
    """An edit's publish computes it: it must not scan a row per page of the catalog."""
    few, few_steps = steps_of_generation(tmp_path, 10)
    many, many_steps = steps_of_generation(tmp_path, 5000)
    assert few == many
    assert many_steps == few_steps
