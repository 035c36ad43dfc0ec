"""A full disk under the database: one line saying so and naming where, nothing lost.

SQLite reports ENOSPC as SQLITE_FULL only for the database file itself: growing its -wal or
-shm file on a full disk is a bare "disk I/O error", and the lock file beside the database
failed as "unexpected OSError". A small tmpfs makes the disk really fill up (root only, which
CI has); ``PRAGMA max_page_count`` makes SQLITE_FULL real, and an injected ENOSPC the lock
file's, on any machine.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import wistia_sync.store.db as db_module
from tests.reliability.harness import tmpfs
from wistia_sync.cli.app import app
from wistia_sync.store.db import open_database

VIDEO = "2uj5nqq36y"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return lines[0]


def catalog(path: Path) -> list[tuple[Any, ...]]:
    """What editors and the sync own, read by a plain connection."""
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA quick_check").fetchone() == ("ok",)
        return connection.execute(
            "SELECT hashed_id, name, visibility FROM videos ORDER BY hashed_id"
        ).fetchall()
    finally:
        connection.close()


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


def test_commands_on_a_full_database_disk_say_so_and_lose_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "volume", 2048) as volume:
        db = volume / "wistia.db"
        out = tmp_path / "out"
        assert (
            invoke("run", "--demo", "--quiet", "--db", str(db), "--output", str(out)).exit_code == 0
        )
        before = catalog(db)
        filler = fill(volume)
        for args in (
            ("run", "--demo", "--full", "--output", str(out)),
            ("sync", "--demo", "--full"),
            ("visibility", "hide", VIDEO, "--output", str(out)),
        ):
            result = invoke(*args, "--db", str(db))
            assert result.exit_code == 1, (args, result.output)
            line = one_line(result)
            assert "no space left" in line and str(volume) in line, line
        filler.unlink()
        assert catalog(db) == before
        hidden = invoke("visibility", "hide", VIDEO, "--db", str(db), "--output", str(out))
        assert hidden.exit_code == 0, hidden.output


@pytest.fixture
def tiny_database_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection may grow its database to 12 pages: SQLite then fails with SQLITE_FULL,
    exactly as on a full disk."""
    connect = db_module._connect

    def limited(path: Path, **options: Any) -> sqlite3.Connection:
        connection = connect(path, **options)
        connection.execute("PRAGMA max_page_count = 12")
        return connection

    monkeypatch.setattr(db_module, "_connect", limited)


@pytest.mark.usefixtures("tiny_database_limit")
def test_a_database_that_cannot_be_created_whole_leaves_no_file(tmp_path: Path) -> None:
    db = tmp_path / "wistia.db"
    result = invoke("sync", "--demo", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert list(tmp_path.iterdir()) == []  # no half-made (empty) database to refuse later
    line = one_line(result)
    assert "no space left" in line and str(db) in line


def test_a_sync_filling_the_database_disk_says_so_and_keeps_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wistia.db"
    open_database(db, create=True).close()
    fresh = sqlite3.connect(db)
    # Room for two more pages: the free pages a migration's dropped tables left count as room.
    pages = fresh.execute("PRAGMA page_count").fetchone()[0]
    pages -= fresh.execute("PRAGMA freelist_count").fetchone()[0]
    fresh.close()
    connect = db_module._connect

    def limited(path: Path, **options: Any) -> sqlite3.Connection:
        connection = connect(path, **options)
        connection.execute(f"PRAGMA max_page_count = {pages + 2}")
        return connection

    with monkeypatch.context() as patch:
        patch.setattr(db_module, "_connect", limited)
        result = invoke("sync", "--demo", "--db", str(db))
    assert result.exit_code == 1, result.output
    line = one_line(result)
    assert "no space left" in line and str(db) in line
    catalog(db)  # still a sound database
    again = invoke("sync", "--demo", "--quiet", "--db", str(db))
    assert again.exit_code == 0, again.output
    assert len(catalog(db)) > 0


def test_a_full_disk_under_the_lock_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, out = tmp_path / "wistia.db", tmp_path / "out"
    assert invoke("run", "--demo", "--quiet", "--db", str(db), "--output", str(out)).exit_code == 0
    before = catalog(db)

    def no_space(*args: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, "pwrite", no_space)
        result = invoke("run", "--demo", "--db", str(db), "--output", str(out))
    assert result.exit_code == 1, result.output
    line = one_line(result)
    assert "no space left" in line and f"{db}.run.lock" in line
    assert catalog(db) == before
    # The lock was let go: the next run starts.
    assert invoke("run", "--demo", "--quiet", "--db", str(db), "--output", str(out)).exit_code == 0
