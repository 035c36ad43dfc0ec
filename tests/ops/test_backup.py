"""``backup DEST``, ``backup --verify`` and what ``status`` says of them, through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.ops.conftest import change_ids, edit, runner
from wistia_sync.cli.app import app


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("wistia-sync-*.db"))


def status(db: Path) -> dict:  # type: ignore[type-arg]
    shown = runner.invoke(app, ["status", "--db", str(db), "--json"])
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.output)["backup"]  # type: ignore[no-any-return]


def test_a_backup_is_a_checked_copy_recording_its_change_log_id(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    assert status(site)["last_backup"] is None
    taken = runner.invoke(app, ["backup", str(dest), "--db", str(site), "--json"])
    assert taken.exit_code == 0, taken.output
    (copy,) = backups(dest)
    assert list(dest.iterdir()) == [copy]  # nothing half-made left beside it
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    state = dict(conn.execute("SELECT key, value FROM sync_state WHERE key LIKE 'backup_%'"))
    conn.close()
    assert state["backup_change_log_id"] == str(change_ids(site)[-1])
    assert change_ids(copy) == change_ids(site)
    last = status(site)["last_backup"]
    assert last["where"] == str(copy) and last["change_log_id"] == change_ids(site)[-1]
    assert last["age_seconds"] < 3600
    text = runner.invoke(app, ["status", "--db", str(site)]).output
    assert f"last backup: {copy}" in text and "no restore drill yet" in text


def test_retention_keeps_the_newest_and_nothing_else_is_touched(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    for tag in ("a", "b", "c"):
        edit(site, tag)
        taken = runner.invoke(app, ["backup", str(dest), "--db", str(site), "--keep", "2"])
        assert taken.exit_code == 0
    kept = backups(dest)
    assert len(kept) == 2
    assert change_ids(kept[-1]) == change_ids(site)
    assert (dest / "notes.txt").read_text() == "mine"


def test_a_bad_destination_is_one_line_and_changes_nothing(site: Path, tmp_path: Path) -> None:
    before = site.read_bytes()
    missing = runner.invoke(app, ["backup", str(tmp_path / "nope"), "--db", str(site)])
    assert missing.exit_code == 2
    assert "is not a folder" in missing.output and len(missing.output.strip().splitlines()) == 1
    assert not (tmp_path / "nope").exists()
    no_db = runner.invoke(app, ["backup", str(tmp_path), "--db", str(tmp_path / "typo.db")])
    assert no_db.exit_code == 2 and not (tmp_path / "typo.db").exists()
    assert status(site)["last_backup"] is None
    assert site.read_bytes() == before


def test_a_bucket_prefix_inside_the_published_target_is_refused(site: Path) -> None:
    stored = runner.invoke(app, ["site", "--db", str(site), "--target", "s3://bucket/site"])
    assert stored.exit_code == 0, stored.output
    refused = runner.invoke(app, ["backup", "s3://bucket/site/backups", "--db", str(site)])
    assert refused.exit_code == 2
    assert "would be served to the world" in refused.output


def test_the_drill_passes_on_a_good_backup_and_status_says_so(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    assert runner.invoke(app, ["backup", str(dest), "--db", str(site)]).exit_code == 0
    edit(site, "after the backup")  # the live database moving on is not the backup's fault
    drilled = runner.invoke(app, ["backup", str(dest), "--verify", "--db", str(site)])
    assert drilled.exit_code == 0, drilled.output
    assert "drill passed" in drilled.output
    drill = status(site)["last_drill"]
    assert drill["ok"] is True
    assert len(backups(dest)) == 1  # the drill takes no backup


def test_the_drill_fails_when_the_backup_lost_editors_work(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    edit(site, "second")
    assert runner.invoke(app, ["backup", str(dest), "--db", str(site)]).exit_code == 0
    (copy,) = backups(dest)
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM change_log WHERE id = (SELECT max(id) FROM change_log)")
    conn.commit()
    conn.close()
    drilled = runner.invoke(app, ["backup", str(dest), "--verify", "--db", str(site)])
    assert drilled.exit_code == 1
    assert "drill failed" in drilled.output and "stops at" in drilled.output
    assert status(site)["last_drill"]["ok"] is False
    assert "last restore drill FAILED" in runner.invoke(app, ["status", "--db", str(site)]).output


def test_the_drill_fails_on_a_damaged_backup(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    assert runner.invoke(app, ["backup", str(dest), "--db", str(site)]).exit_code == 0
    (copy,) = backups(dest)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    copy.write_bytes(bytes(data))
    drilled = runner.invoke(app, ["backup", str(dest), "--verify", "--db", str(site)])
    assert drilled.exit_code == 1 and "drill failed" in drilled.output
    assert status(site)["last_drill"]["ok"] is False


def test_the_drill_without_any_backup_is_one_line(site: Path, tmp_path: Path) -> None:
    drilled = runner.invoke(app, ["backup", str(tmp_path), "--verify", "--db", str(site)])
    assert drilled.exit_code == 2 and "no backup in" in drilled.output
