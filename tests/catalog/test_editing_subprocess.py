"""Editor commands as real processes: the installed entry point, a terminal, start-up imports,
and editors working while a sync writes to the same database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import add_folder, add_video, tag_video
from tests.support.fresh_compare import files_in_grace, fresh_differences
from wistia_sync import config
from wistia_sync.publish import publish_playlists
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path

ENTRY_POINT = Path(sys.executable).parent / "wistia-sync"
TIMEOUT = 120


def entry_point() -> str:
    if ENTRY_POINT.exists():
        return str(ENTRY_POINT)
    found = shutil.which("wistia-sync")
    if found is None:
        pytest.skip("wistia-sync is not installed (pip install -e .)")
    return found


def environment(db_path: Path, out: Path, actor: str = "alice") -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
    env.update(
        {
            config.DB_ENV: str(db_path),
            config.OUTPUT_ENV: str(out),
            config.ACTOR_ENV: actor,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_cli(
    args: Sequence[str], env: dict[str, str], **options: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [entry_point(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        **options,
    )


def file_bytes(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def small_catalog(tmp_path: Path) -> tuple[Path, Path]:
    db_path, out = tmp_path / "wistia.db", tmp_path / "output"
    db = open_database(db_path, create=True)
    add_folder(db, "fold0onbrd", "Onboarding")
    add_video(db, "welcome001", name="Welcome to Acme", folder_hashed_id="fold0onbrd")
    add_video(db, "setup00002", name="Setting Up", created="2024-02-01T00:00:00Z")
    tag_video(db, "welcome001", "Onboarding")
    tag_video(db, "setup00002", "Temporary", source="editor")
    db.close()
    return db_path, out


def test_installed_entry_point_tags_and_republishes(small_catalog: tuple[Path, Path]) -> None:
    db_path, out = small_catalog
    env = environment(db_path, out)

    result = run_cli(["tag", "add", "welcome001", "Launch"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('tagged 1 video with "Launch"; published ')
    assert result.stderr == ""
    playlist = json.loads((out / "tags/launch.json").read_text(encoding="utf-8"))
    assert [video["hashed_id"] for video in playlist["videos"]] == ["welcome001"]

    again = run_cli(["tag", "add", "welcome001", "launch"], env)
    assert (again.returncode, again.stdout) == (
        0,
        'nothing to change: 1 video already tagged "Launch"\n',
    )


def test_installed_entry_point_reports_usage_errors_without_a_traceback(
    small_catalog: tuple[Path, Path],
) -> None:
    db_path, out = small_catalog
    result = run_cli(["tag", "remove", "welcome001", "Onboarding"], environment(db_path, out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "comes from Wistia" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


IMPORT_PROBE = """
import json, sys
from wistia_sync.cli.app import app

commands, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
first_imported_by = {name: "startup" for name in watched if name in sys.modules}
for arguments in commands:
    try:
        app(arguments, prog_name="wistia-sync")
    except SystemExit as done:
        if done.code not in (0, None):
            raise SystemExit(f"{arguments} exited with {done.code}")
    for name in watched:
        if name in sys.modules:
            first_imported_by.setdefault(name, " ".join(arguments))
print(json.dumps(first_imported_by))
"""

# What an editor command or a publish with nothing to do must not import, each costing tens of
# milliseconds of start-up (docs/benchmarks.md, "Start-up"): the HTTP client and the sync, Typer's
# pydantic coercion (wistia_sync.cli.coercion), sqlite-utils once the schema is current
# (wistia_sync.store.lazydb), the plugin scan of importlib.metadata, rich for a plain line, and the
# delivery code without a target or purge.
NEVER_IMPORTED = [
    "httpx",
    "httpcore",
    "wistia_sync.wistia.client",
    "wistia_sync.sync",
    "wistia_sync.demo",
    "msgspec",  # the sync's JSON decoder and record types (wistia_sync.wistia)
    "pydantic",
    "typer._adapters",
    "sqlite_utils",
    "click",
    "pluggy",
    "importlib.metadata",
    "rich",
    "wistia_sync.deliver.delivery",
]


def imported_by(commands: list[list[str]], env: dict[str, str]) -> dict[str, str]:
    """Which of ``NEVER_IMPORTED`` one process running ``commands`` in turn imported, each with
    the command that first did."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(commands), json.dumps(NEVER_IMPORTED)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.splitlines()[-1]))


def test_editor_commands_import_none_of_the_heavy_modules(small_catalog: tuple[Path, Path]) -> None:
    """Editors feel every 100 ms of start-up; httpx alone costs more than that."""
    db_path, out = small_catalog
    commands = [
        ["tag", "add", "welcome001", "Launch"],
        ["tag", "add", "--tag", "Batch", "welcome001", "setup00002"],
        ["tag", "remove", "--tag", "Batch", "setup00002"],
        ["tag", "list"],
        ["tag", "list", "welcome001"],
        ["tag", "rename", "Launch", "Launch Week"],
        ["tag", "delete", "Batch", "--yes"],
        ["visibility", "hide", "setup00002"],
        ["visibility", "toggle", "setup00002"],
        ["visibility", "list", "--hidden"],
        ["videos", "list", "--search", "welcome"],
        ["videos", "show", "welcome001", "--json"],
        ["log", "--limit", "5"],
    ]
    published = run_cli(["publish"], environment(db_path, out))  # the schema is current too
    assert published.returncode == 0, published.stderr

    assert imported_by(commands, environment(db_path, out)) == {}


def test_publish_with_nothing_to_do_imports_none_of_the_heavy_modules(
    small_catalog: tuple[Path, Path],
) -> None:
    db_path, out = small_catalog
    env = environment(db_path, out)
    first = run_cli(["publish"], env)
    assert first.returncode == 0, first.stderr

    assert imported_by([["publish"], ["publish", "--quiet"], ["publish", "--json"]], env) == {}
    again = run_cli(["publish"], env)
    assert (again.returncode, again.stdout) == (0, "published 0 files, removed 0, 0 unchanged\n")


def test_the_probe_sees_a_heavy_import(small_catalog: tuple[Path, Path]) -> None:
    """The two tests above can fail: a command that needs sqlite-utils and rich is seen."""
    db_path, out = small_catalog
    imported = imported_by([["status", "--json"]], environment(db_path, out))
    assert "sqlite_utils" in imported and "rich" in imported


def _delete_at_a_terminal(db_path: Path, out: Path, answer: bytes) -> tuple[int, str]:
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [entry_point(), "tag", "delete", "Temporary"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment(db_path, out),
            text=True,
        )
        os.close(terminal)
        os.write(controller, answer)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        os.close(controller)
    return process.returncode, stderr


def _editor_links(db_path: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute(
            "SELECT vt.hashed_id, t.name FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
            "WHERE vt.source = 'editor'"
        ).fetchall()
    finally:
        connection.close()


def test_tag_delete_asks_at_a_terminal_and_declining_changes_nothing(
    small_catalog: tuple[Path, Path],
) -> None:
    db_path, out = small_catalog

    code, stderr = _delete_at_a_terminal(db_path, out, b"n\n")
    assert code == 1
    assert 'Delete "Temporary" from 1 video?' in stderr
    assert _editor_links(db_path) == [("setup00002", "Temporary")]

    code, stderr = _delete_at_a_terminal(db_path, out, b"y\n")
    assert code == 0, stderr
    assert _editor_links(db_path) == []


# -- editors and the sync at the same time -----------------------------------------------------

SYNC_SIMULATION = """
import sys, time
from pathlib import Path
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.publish import publish_playlists
from wistia_sync.catalog.tags import delete_orphan_tags, ensure_tag

db_path, out, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
db = open_database(db_path, create=True)
print(time.time(), flush=True)
videos = [row[0] for row in db.execute("SELECT hashed_id FROM videos ORDER BY hashed_id")]
for number in range(rounds):
    # Like one page of a sync: Wistia-owned columns and Wistia tags, in one slow transaction.
    with write_transaction(db):
        db.execute("UPDATE videos SET plays = coalesce(plays, 0) + 1")
        db.execute("DELETE FROM video_tags WHERE source = 'wistia' AND tag_id IN "
                   "(SELECT id FROM tags WHERE key = 'synced')")
        tag_id = ensure_tag(db, "Synced")
        db.execute("INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
                   "VALUES (?, ?, 'wistia', '2026-01-01T00:00:00Z')",
                   [videos[number % len(videos)], tag_id])
        delete_orphan_tags(db)
        time.sleep(0.2)  # holding the write lock: editors must wait, never fail
    publish_playlists(db, out, lock_path=publish_lock_path(db_path))
print(time.time(), flush=True)
"""

EDITORS = 4
SYNC_ROUNDS = 12


@dataclass(frozen=True)
class EditorPlan:
    """What one editor does: tag three videos with its own tag, hide one, tag one more."""

    tagged: list[str]
    hidden: str
    solo: str


def _published_video_ids(db_path: Path) -> list[str]:
    from wistia_sync.publish import PUBLISHED_VIDEO_CONDITION

    connection = sqlite3.connect(db_path)
    try:
        return [
            row[0]
            for row in connection.execute(
                f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION} "
                "ORDER BY v.hashed_id"
            )
        ]
    finally:
        connection.close()


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API), so a fresh publish leaves the original alone."""
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        original.backup(copy)
    finally:
        original.close()
        copy.close()


def test_editors_and_a_sync_at_the_same_time_lose_nothing_and_output_matches_the_database(
    tmp_path: Path,
) -> None:
    db_path, out = tmp_path / "wistia.db", tmp_path / "output"
    seeded = run_cli(["run", "--demo", "--quiet"], environment(db_path, out))
    assert seeded.returncode == 0, seeded.stderr
    videos = _published_video_ids(db_path)
    assert len(videos) >= EDITORS * 4

    # Each editor tags three videos with its own tag, hides a fourth, then tags one more.
    plans = {
        editor: EditorPlan(
            tagged=videos[editor * 4 : editor * 4 + 3],
            hidden=videos[editor * 4 + 3],
            solo=videos[-1 - editor],
        )
        for editor in range(EDITORS)
    }
    results: list[subprocess.CompletedProcess[str]] = []
    editor_spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def work_as(editor: int) -> None:
        plan = plans[editor]
        env = environment(db_path, out, actor=f"editor{editor}")
        commands = [
            ["tag", "add", "--tag", f"Editor {editor}", *plan.tagged],
            ["visibility", "hide", plan.hidden],
            ["tag", "add", plan.solo, f"Solo {editor}"],
        ]
        for command in commands:
            started = time.time()
            result = run_cli(command, env)
            with lock:
                results.append(result)
                editor_spans.append((started, time.time()))

    def sync_for_real() -> None:
        result = run_cli(["run", "--demo", "--full", "--quiet"], environment(db_path, out))
        with lock:
            results.append(result)

    simulation = subprocess.Popen(
        [sys.executable, "-c", SYNC_SIMULATION, str(db_path), str(out), str(SYNC_ROUNDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    threads = [threading.Thread(target=work_as, args=(editor,)) for editor in range(EDITORS)]
    threads.append(threading.Thread(target=sync_for_real))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    simulation_times, simulation_errors = simulation.communicate(timeout=TIMEOUT)

    assert simulation.returncode == 0, simulation_errors
    sync_started, sync_ended = map(float, simulation_times.split())
    overlapping = [span for span in editor_spans if span[0] < sync_ended and span[1] > sync_started]
    assert len(overlapping) >= EDITORS, "the editors did not run while the sync was writing"
    assert len(results) == EDITORS * 3 + 1
    for result in results:
        assert result.returncode == 0, (result.args, result.stderr)
        assert "locked" not in result.stderr.lower()

    db = open_database(db_path, create=True)
    for editor, plan in plans.items():
        tagged = {
            row[0]
            for row in db.execute(
                "SELECT vt.hashed_id FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
                "WHERE t.name = ? AND vt.source = 'editor'",
                [f"Editor {editor}"],
            )
        }
        assert tagged == set(plan.tagged)
        hidden = db.execute(
            "SELECT visibility FROM videos WHERE hashed_id = ?", [plan.hidden]
        ).fetchone()[0]
        assert hidden == "hidden"
        assert not (out / f"videos/{plan.hidden}.json").exists()
        playlist = json.loads((out / f"tags/editor-{editor}.json").read_text(encoding="utf-8"))
        assert {video["hashed_id"] for video in playlist["videos"]} == set(plan.tagged)
        assert (
            db.execute(
                "SELECT count(*) FROM change_log WHERE actor = ?", [f"editor{editor}"]
            ).fetchone()[0]
            == 5
        )
    db.close()

    # The output is exactly what a fresh publish of the final database gives.
    fresh_db_path, fresh_out = tmp_path / "fresh.db", tmp_path / "fresh-output"
    _copy_database(db_path, fresh_db_path)
    fresh_db = open_database(fresh_db_path, create=True)
    publish_playlists(fresh_db, fresh_out, lock_path=publish_lock_path(fresh_db_path))
    fresh_db.close()
    published, fresh = file_bytes(out), file_bytes(fresh_out)
    # the search index's shards each edit replaced stay for their grace (tests/search), listed
    # by the published folder's file list alone
    assert all(path.startswith("search/") for path in files_in_grace(published, fresh))
    assert (
        fresh_differences(
            {path: data for path, data in published.items() if path != "manifest.json"},
            out,
            {path: data for path, data in fresh.items() if path != "manifest.json"},
            fresh_out,
        )
        == []
    )
    # The manifest's updated_at says when content last changed, the one value not derived
    # from the database; everything else in it must agree.
    manifest, fresh_manifest = (
        json.loads(published["manifest.json"]),
        json.loads(fresh["manifest.json"]),
    )
    manifest.pop("updated_at")
    fresh_manifest.pop("updated_at")
    assert manifest == fresh_manifest
