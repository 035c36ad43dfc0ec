"""Scenario 8: a database file that is not one this version can use.

A corrupt file (garbage, a text file, a truncated copy, a damaged page) or one written by a newer
wistia-sync is refused by every command with one clear line, before any request to Wistia, and
the file is left byte for byte as it was (no migration, no repair attempt, no journal switch).
"""

from __future__ import annotations

import hashlib
import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import Ledger, failure_problems, published_ids

SCENARIO = "8. malformed database"
PAGE = 4096


def garbage(path: Path) -> None:
    path.write_bytes(random.Random(8).randbytes(64 * 1024))


def text_file(path: Path) -> None:
    path.write_text("hashed_id,name\nabc123,not a database\n", encoding="utf-8")


def truncated(path: Path) -> None:
    """The first pages of a real database: a valid header, the rest cut off (a bad copy)."""
    data = path.read_bytes()
    path.write_bytes(data[: 3 * PAGE])


def damaged_page(path: Path) -> None:
    """A real database with one page in the middle overwritten (a bad sector)."""
    data = bytearray(path.read_bytes())
    middle = (len(data) // PAGE // 2) * PAGE
    data[middle : middle + PAGE] = random.Random(9).randbytes(PAGE)
    path.write_bytes(bytes(data))


def newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('wistia_sync', 'm999_from_a_newer_version', '2030-01-01')"
        )
    conn.close()
    checkpointed(path)


MALFORMATIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "random bytes": (garbage, "not an SQLite file"),
    "a text file": (text_file, "not an SQLite file"),
    "a truncated copy": (truncated, "is damaged"),
    "a damaged page": (damaged_page, "is damaged"),
    "a newer schema": (newer_schema, "newer wistia-sync"),
}
# Damage to a page that only some statements read: SQLite notices it only when one does, so a
# command could write into the damaged file. One root page per table or index at risk.
DAMAGED_OBJECTS = (
    "videos",
    "sqlite_autoindex_tags_2",
    "video_tags_tag",
    "change_log_video",
    "published_files",
    "sync_runs",
)


def commands(video: str) -> list[tuple[str, ...]]:
    return [
        ("run",),
        ("sync",),
        ("publish",),
        ("status",),
        ("videos", "list"),
        ("tag", "add", video, "Editor pick"),
        ("visibility", "hide", video),
    ]


def checkpointed(path: Path) -> None:
    """Fold the WAL into the file, as a cleanly closed database is, then drop the WAL."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def damage_root_page_of(name: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        conn = sqlite3.connect(path)
        (page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", [name]
        ).fetchone()
        conn.close()
        data = bytearray(path.read_bytes())
        start = (page - 1) * PAGE
        data[start : start + PAGE] = random.Random(page).randbytes(PAGE)
        path.write_bytes(bytes(data))

    return damage


def refusal_problems(
    scene: MakeScene, damage: Callable[[Path], None], message: str, *, only: set[str] | None
) -> tuple[list[str], int]:
    server, ws = (s := scene(120, 41)).server, s.ws
    video = published_ids(ws.db)[0]
    checkpointed(ws.db)
    damage(ws.db)
    before = hashlib.sha256(ws.db.read_bytes()).hexdigest()
    output_before = {p: p.read_bytes() for p in ws.output.rglob("*") if p.is_file()}
    problems = []
    tried = 0
    for command in commands(video):
        if only is not None and command[0] not in only:
            continue
        tried += 1
        result = ws.cli(*command)
        name = " ".join(command[:2])
        problems += [f"{name}: {p}" for p in failure_problems(result)]
        if not re.search(message, result.stderr):
            problems.append(f"{name}: does not say {message!r}: {result.stderr.strip()!r}")
        if hashlib.sha256(ws.db.read_bytes()).hexdigest() != before:
            problems.append(f"{name} changed the database file")
            before = hashlib.sha256(ws.db.read_bytes()).hexdigest()
    output_after = {p: p.read_bytes() for p in ws.output.rglob("*") if p.is_file()}
    if output_after != output_before:
        problems.append("the output folder changed")
    if server.log:
        problems.append(f"{len(server.log)} requests reached Wistia")
    return problems, tried


def record(ledger: Ledger, what: str, tried: int, problems: list[str]) -> None:
    ledger.record(
        SCENARIO,
        what,
        times=tried,
        runs=tried,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="every command refused it with one clear line, before any request; "
        "file byte-identical, output untouched",
    )


# Damage anywhere in the file is found by the whole-file check, which `run` and `sync` pay once
# per run; editor commands check only the header and the schema on open (a constant cost, issue
# 9), and refuse damage a statement of theirs runs into (see the editor test below).
WHOLE_FILE_CHECKED = {"run", "sync"}
SCHEMA_CHECKED = {"random bytes", "a text file", "a newer schema"}


@pytest.mark.parametrize("malformation", list(MALFORMATIONS), ids=str)
def test_malformed_database_is_refused_by_every_command_and_left_untouched(
    malformation: str, scene: MakeScene, ledger: Ledger
) -> None:
    damage, message = MALFORMATIONS[malformation]
    only = None if malformation in SCHEMA_CHECKED else WHOLE_FILE_CHECKED
    problems, tried = refusal_problems(scene, damage, message, only=only)
    record(ledger, f"database file: {malformation}", tried, problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("damaged", DAMAGED_OBJECTS, ids=str)
def test_damage_only_some_statements_read_is_refused_before_any_write(
    damaged: str, scene: MakeScene, ledger: Ledger
) -> None:
    problems, tried = refusal_problems(
        scene, damage_root_page_of(damaged), "is damaged", only=WHOLE_FILE_CHECKED
    )
    record(ledger, "database file: a damaged page (one per table or index)", tried, problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("damaged", ["video_tags_tag", "change_log_video", "videos"], ids=str)
def test_an_editor_command_meeting_damage_says_so_and_changes_nothing(
    damaged: str, scene: MakeScene
) -> None:
    ws = scene(120, 41).ws
    video = published_ids(ws.db)[0]
    checkpointed(ws.db)
    damage_root_page_of(damaged)(ws.db)
    before = hashlib.sha256(ws.db.read_bytes()).hexdigest()
    result = ws.cli("tag", "add", video, "Editor pick")
    assert result.returncode == 1 and "is damaged" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    checkpointed(ws.db)
    assert hashlib.sha256(ws.db.read_bytes()).hexdigest() == before
