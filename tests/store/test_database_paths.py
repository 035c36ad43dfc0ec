"""A wrong ``--db`` or an empty file never becomes an empty database, let alone an empty site.

Only ``sync`` and ``run`` create a database, and only where no file exists; every other command
on a missing or empty database is one line and exit 2, and creates nothing, anywhere.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli import all_commands
from wistia_sync.cli.app import app

VIDEO = "2uj5nqq36y"  # a video of the demo catalog

# Every command that takes --db, with the arguments that get it as far as opening the database.
# A new command with --db fails ``test_every_command_with_a_database_is_checked`` until added.
NON_CREATING: dict[str, list[str]] = {
    "status": [],
    "publish": [],
    "site": [],
    "log": [],
    "videos list": [],
    "videos show": [VIDEO],
    "tag add": [VIDEO, "Launch"],
    "tag remove": [VIDEO, "Launch"],
    "tag list": [],
    "tag rename": ["Launch", "Start"],
    "tag delete": ["Launch", "--yes"],
    "visibility hide": [VIDEO],
    "visibility show": [VIDEO],
    "visibility toggle": [VIDEO],
    "visibility list": [],
    "deliver": ["--purge", "command:true"],
    "verify": ["--base-url", "http://127.0.0.1:9/", "--purge", "command:true"],
    "webhook serve": [],
    # A targeted refresh (what the webhook worker runs) needs the mirror it refreshes.
    "sync --media": ["--demo", "--media", VIDEO],
    # Where the copy would go: never reached, the database is checked first.
    "backup": ["/nonexistent/wistia-sync-backups"],
}
CREATING = {"sync", "run"}
# Writes the database from a backup, where none may exist (the disk died): tests/ops/.
RESTORING = {"restore"}
# Takes --db only to refuse an output folder that would serve it (test_output_placement.py).
NAMES_ONLY = {"nginx-config"}


def commands_with_a_database() -> set[str]:
    import typer.main
    from typer._click.core import Context

    found = set()
    for path in all_commands():
        command: Any = typer.main.get_command(app)
        for name in path:
            command = command.get_command(Context(command), name)
        if any("--db" in getattr(param, "opts", ()) for param in command.params):
            found.add(" ".join(path))
    return found


def test_every_command_with_a_database_is_checked() -> None:
    checked = (
        {name.removesuffix(" --media") for name in NON_CREATING} | CREATING | NAMES_ONLY | RESTORING
    )
    assert commands_with_a_database() == checked


def invoke(args: list[str], env: dict[str, str]) -> Any:
    command = args[0].removesuffix(" --media").split() + args[1:]
    return CliRunner().invoke(app, command, env={"WISTIA_SYNC_WEBHOOK_SECRET": "s3cret", **env})


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256: what must not change."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real published site (the demo catalog), as the live folder nginx serves."""
    root = tmp_path_factory.mktemp("live")
    result = CliRunner().invoke(
        app,
        ["run", "--demo", "--quiet", "--db", str(root / "real.db"), "--output", str(root / "out")],
    )
    assert result.exit_code == 0, result.output
    return root / "out"


def one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("name", sorted(NON_CREATING))
def test_a_misspelt_db_is_exit_2_and_creates_nothing(
    name: str, tmp_path: Path, live_site: Path
) -> None:
    """``publish --db typo.db`` with $WISTIA_SYNC_OUTPUT set to the live folder emptied the site."""
    typo = tmp_path / "wistai.db"
    live_before = snapshot(live_site)
    result = invoke(
        [name, *NON_CREATING[name], "--db", str(typo)], {"WISTIA_SYNC_OUTPUT": str(live_site)}
    )
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert f"no database at {typo}" in line and "--db" in line
    assert list(tmp_path.iterdir()) == []  # no database, no -wal, no lock file
    assert snapshot(live_site) == live_before


def test_a_misspelt_db_from_the_environment_is_exit_2(tmp_path: Path, live_site: Path) -> None:
    typo = tmp_path / "wistia.bd"
    result = invoke(
        ["publish"], {"WISTIA_SYNC_DB": str(typo), "WISTIA_SYNC_OUTPUT": str(live_site)}
    )
    assert result.exit_code == 2
    assert "WISTIA_SYNC_DB" in one_line(result)
    assert not typo.exists()


@pytest.mark.parametrize("name", sorted([*NON_CREATING, "sync", "run"]))
def test_an_empty_database_file_is_refused_by_every_command(
    name: str, tmp_path: Path, live_site: Path
) -> None:
    """A 0-byte file (a failed copy, a ``touch``) is not a new database: ``run`` on one once
    republished hidden videos and dropped editors' tags."""
    empty = tmp_path / "wistia.db"
    empty.touch()
    live_before = snapshot(live_site)
    args = NON_CREATING.get(name, ["--demo"])
    result = invoke([name, *args, "--db", str(empty)], {"WISTIA_SYNC_OUTPUT": str(live_site)})
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert str(empty) in line and "empty" in line and "wistia-sync sync" in line
    assert empty.stat().st_size == 0
    assert not Path(f"{empty}-wal").exists()
    assert snapshot(live_site) == live_before


@pytest.mark.parametrize("name", ["sync", "run", "status", "publish"])
def test_an_sqlite_file_with_no_tables_is_refused(name: str, tmp_path: Path) -> None:
    path = tmp_path / "wistia.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 1")  # a valid, table-less SQLite file
    connection.close()
    before = path.read_bytes()
    args = NON_CREATING.get(name, ["--demo"])
    result = invoke([name, *args, "--db", str(path)], {"WISTIA_SYNC_OUTPUT": str(tmp_path / "out")})
    assert result.exit_code == 2, result.output
    assert "empty SQLite file" in one_line(result)
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["sync", "run"])
def test_sync_and_run_create_a_database_where_no_file_exists(name: str, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = invoke([name, "--demo", "--quiet", "--db", str(path)], {})
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT count(*) FROM videos").fetchone()[0] > 0
    connection.close()
    # Built beside it and linked into place: no temp file left behind.
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".new")]


def test_two_syncs_creating_one_database_at_once_both_succeed(tmp_path: Path) -> None:
    """The database is created whole, so a second process never finds a half-made (empty) one."""
    path = tmp_path / "new.db"
    command = [sys.executable, "-m", "wistia_sync", "sync", "--demo", "--quiet", "--db", str(path)]
    processes = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], errors


@pytest.mark.parametrize("name", ["run", "sync", "status", "publish"])
def test_a_db_in_a_missing_folder_is_exit_2_and_creates_no_folder(
    name: str, tmp_path: Path
) -> None:
    """``run --db <missing folder>/w.db`` said "unexpected FileNotFoundError", exit 1."""
    missing = tmp_path / "no" / "such" / "w.db"
    args = NON_CREATING.get(name, ["--demo"])
    result = invoke(
        [name, *args, "--db", str(missing)], {"WISTIA_SYNC_OUTPUT": str(tmp_path / "out")}
    )
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert str(missing.parent) in line and "does not exist" in line
    assert not (tmp_path / "no").exists()
    assert not (tmp_path / "out").exists()


def test_a_lock_file_that_cannot_be_made_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder where the lock file cannot be made (read-only, no permission) is a setup
    mistake, named in one line; the permission error is injected (root may write anywhere)."""
    db = tmp_path / "w.db"
    assert invoke(["sync", "--demo", "--quiet", "--db", str(db)], {}).exit_code == 0
    real_open = os.open

    def refuse_lock(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".run.lock"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_lock)
    result = invoke(["run", "--demo", "--db", str(db)], {"WISTIA_SYNC_OUTPUT": str(tmp_path / "o")})
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert f"{db}.run.lock" in line and "writable" in line


def test_without_hard_links_a_database_another_process_made_first_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without hard links the new database is placed over an exclusive claim of its name, so a
    database another process made meanwhile is kept and opened, never replaced (a guard: the
    exists()-then-rename this replaced lost only a narrower race, which no test can time)."""
    import errno
    import os
    import sqlite3

    from wistia_sync.store.db import open_database

    path = tmp_path / "wistia.db"
    open_database(tmp_path / "other.db", create=True).conn.close()

    def no_hard_links(source: object, target: object) -> None:
        # The other process wins the race: its database (with an editor's change) appears now.
        os.rename(tmp_path / "other.db", path)  # noqa: PTH104
        with sqlite3.connect(path) as other:
            other.execute("INSERT INTO sync_state (key, value) VALUES ('marker', 'theirs')")
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_hard_links)
    db = open_database(path, create=True)

    marker = db.execute("SELECT value FROM sync_state WHERE key = 'marker'").fetchone()
    assert marker == ("theirs",)
