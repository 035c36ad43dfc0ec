"""A backup taken while 20 editors and a cron run write: restored, it passes the integrity check
and holds every change committed before the backup began."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.ops.conftest import cli

EDITORS = 20
# Each editor tags one video again and again, printing when each commit had returned.
_EDITOR = """
import sys, time
from pathlib import Path
from wistia_sync.catalog.editing import add_tags
from wistia_sync.store.db import open_database
db_path, number, video = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
PAUSE = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
db = open_database(db_path)
n = 0
while not (db_path.parent / "stop").exists():
    tag = f"editor {number} edit {n}"
    add_tags(db, [video], [tag], actor=f"editor{number}")
    print(time.time(), tag, flush=True)
    n += 1
    time.sleep(PAUSE)
"""


def test_a_backup_under_load_holds_every_change_committed_before_it(
    site: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(site)
    videos = [row[0] for row in conn.execute("SELECT hashed_id FROM videos LIMIT 20")]
    conn.close()
    logs = [(tmp_path / f"editor{i}.log").open("w") for i in range(EDITORS)]
    editors = [
        subprocess.Popen(
            [sys.executable, "-c", _EDITOR, str(site), str(i), videos[i % len(videos)]],
            stdout=logs[i],
        )
        for i in range(EDITORS)
    ]
    dest = tmp_path / "backups"
    dest.mkdir()
    try:
        while min(_lines(tmp_path / f"editor{i}.log") for i in range(EDITORS)) < 2:
            time.sleep(0.05)  # every editor is writing
        cron = subprocess.Popen(
            [sys.executable, "-m", "wistia_sync", "run", "--demo", "-q", "--full",
             "--db", str(site), "--output", str(tmp_path / "out")],
        )  # fmt: skip
        began = time.time()
        taken = cli("backup", str(dest), "--db", str(site))
        assert taken.returncode == 0, taken.stderr
        assert cron.wait(timeout=300) == 0
    finally:
        (tmp_path / "stop").touch()
        for editor in editors:
            editor.wait(timeout=120)
        for log in logs:
            log.close()
    committed_before = {
        tag
        for i in range(EDITORS)
        for at, tag in _entries(tmp_path / f"editor{i}.log")
        if at < began
    }
    restored = tmp_path / "restored.db"
    assert cli("restore", str(dest), "--db", str(restored)).returncode == 0
    conn = sqlite3.connect(restored)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    logged = {str(row[0]) for row in conn.execute("SELECT tag FROM change_log")}
    conn.close()
    assert len(committed_before) >= 2 * EDITORS
    assert committed_before <= logged


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def _entries(path: Path) -> list[tuple[float, str]]:
    entries = []
    for line in path.read_text().splitlines():
        at, _, tag = line.partition(" ")
        entries.append((float(at), tag))
    return entries
