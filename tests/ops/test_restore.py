"""``restore SRC``: refuses a database in use or ahead of the backup, replaces it whole."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import change_ids, cli, edit, runner
from wistia_sync.cli.app import app
from wistia_sync.store.lock import hold_lock, run_lock_path


@pytest.fixture
def backed_up(site: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "backups"
    dest.mkdir()
    assert cli("backup", str(dest), "--db", str(site)).returncode == 0
    return dest


def test_a_database_ahead_of_the_backup_is_kept_unless_forced(site: Path, backed_up: Path) -> None:
    edit(site, "after")
    ids = change_ids(site)
    refused = cli("restore", str(backed_up), "--db", str(site))
    assert refused.returncode == 2
    assert "newer than the backup" in refused.stderr and "--force" in refused.stderr
    assert change_ids(site) == ids
    assert sorted(p.name for p in site.parent.glob("wistia.db.replaced-*")) == []
    forced = cli("restore", str(backed_up), "--db", str(site), "--force")
    assert forced.returncode == 0, forced.stderr
    assert change_ids(site) == ids[:-1]
    (kept,) = site.parent.glob("wistia.db.replaced-*")
    assert change_ids(kept) == ids  # nothing is ever lost: the replaced file stays beside it
    reopened = runner.invoke(app, ["log", "--db", str(site), "--json"])
    assert reopened.exit_code == 0


def test_a_database_in_use_is_not_replaced(site: Path, backed_up: Path) -> None:
    with hold_lock(run_lock_path(site), wait=False):
        held = cli("restore", str(backed_up), "--db", str(site))
    assert held.returncode == 75 and "in use" in held.stderr
    # Any process with the file open (the webhook server between batches) counts too.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('select count(*) from videos').fetchone(); print('open', flush=True); "
         "sys.stdin.read()", str(site)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        busy = cli("restore", str(backed_up), "--db", str(site))
    finally:
        holder.communicate("")
    assert busy.returncode == 75 and "in use" in busy.stderr
    assert not list(site.parent.glob("wistia.db.replaced-*"))
    done = cli("restore", str(backed_up), "--db", str(site))
    assert done.returncode == 0, done.stderr


def test_changes_left_in_the_wal_by_a_killed_writer_count_as_newer(
    site: Path, backed_up: Path
) -> None:
    """A process killed after committing leaves its work in -wal only: it is the database's."""
    code = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('PRAGMA wal_autocheckpoint=0'); "
        "c.execute(\"INSERT INTO change_log (at, actor, action) VALUES ('2026-12-07T00:00:00Z', "
        "'killed', 'tag add')\"); os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", code, str(site)], check=False)
    assert Path(f"{site}-wal").stat().st_size > 0
    refused = cli("restore", str(backed_up), "--db", str(site))
    assert refused.returncode == 2 and "newer than the backup" in refused.stderr
    assert change_ids(site)[-1] > change_ids(next(backed_up.iterdir()))[-1]


def test_a_damaged_database_is_replaced_with_force_and_its_wal_never_replayed(
    site: Path, backed_up: Path
) -> None:
    code = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('PRAGMA wal_autocheckpoint=0'); "
        'c.execute("DELETE FROM videos"); os._exit(9)'
    )
    subprocess.run([sys.executable, "-c", code, str(site)], check=False)
    assert Path(f"{site}-wal").stat().st_size > 0
    site.write_bytes(b"not an sqlite file at all" * 4000)  # the disk's damage
    refused = cli("restore", str(backed_up), "--db", str(site))
    assert refused.returncode == 2 and "--force" in refused.stderr
    forced = cli("restore", str(backed_up), "--db", str(site), "--force")
    assert forced.returncode == 0, forced.stderr
    conn = sqlite3.connect(site)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The killed writer's -wal (every video deleted) was not replayed into the restored file.
    assert conn.execute("SELECT count(*) FROM videos").fetchone()[0] > 0
    conn.close()
    status = runner.invoke(app, ["status", "--db", str(site)])
    assert status.exit_code == 0 and f"last backup: {next(backed_up.iterdir())}" in status.output


def test_a_bad_source_changes_nothing(site: Path, tmp_path: Path) -> None:
    before = site.read_bytes()
    for source, message in (
        (tmp_path / "missing", "is not a folder"),
        (tmp_path / "out" / "manifest.json", "not SQLite"),
    ):
        refused = cli("restore", str(source), "--db", str(site))
        assert refused.returncode != 0 and message in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no backup in" in cli("restore", str(empty), "--db", str(site)).stderr
    assert site.read_bytes() == before
    assert not [path for path in tmp_path.iterdir() if ".restore-" in path.name]


def test_a_newer_wistia_syncs_backup_is_refused(site: Path, backed_up: Path) -> None:
    (copy,) = backed_up.iterdir()
    conn = sqlite3.connect(copy)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "SELECT migration_set, 'm999_from_the_future', applied_at FROM _sqlite_migrations LIMIT 1"
    )
    conn.commit()
    conn.close()
    refused = cli("restore", str(copy), "--db", str(site), "--force")
    assert refused.returncode == 1 and "newer wistia-sync" in refused.stderr


def test_restores_where_no_database_is(backed_up: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "elsewhere.db"
    restored = cli("restore", str(backed_up), "--db", str(fresh))
    assert restored.returncode == 0, restored.stderr
    assert change_ids(fresh) == change_ids(next(backed_up.iterdir()))


def test_a_plain_copy_of_a_database_restores_and_status_still_reads(
    site: Path, tmp_path: Path
) -> None:
    """A copy not made by `backup` (cp of a quiesced file) has no backup time to record."""
    plain = tmp_path / "copy.db"
    conn = sqlite3.connect(site)
    conn.execute("VACUUM INTO ?", [str(plain)])
    conn.close()
    restored = tmp_path / "from-copy.db"
    assert cli("restore", str(plain), "--db", str(restored)).returncode == 0
    shown = cli("status", "--db", str(restored))
    assert shown.returncode == 0, shown.stderr
    assert "no backup yet" in shown.stdout
