import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.deliver.conftest import bucket, s3_env, seaweed  # noqa: F401 - fixtures

runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A demo site's database (its output beside it), with one editorial change logged; made
    by processes of their own, as in production (see ``cli``)."""
    db = tmp_path / "wistia.db"
    ran = cli("run", "--demo", "-q", "--db", str(db), "--output", str(tmp_path / "out"))
    assert ran.returncode == 0, ran.stderr
    edit(db, "first")
    return db


def edit(db: Path, tag: str) -> None:
    """An editor tags the first video: one change-log row."""
    import sqlite3

    conn = sqlite3.connect(db)
    video = conn.execute("SELECT hashed_id FROM videos ORDER BY hashed_id LIMIT 1").fetchone()[0]
    conn.close()
    tagged = cli("tag", "add", video, tag, "--db", str(db), "--no-publish")
    assert tagged.returncode == 0, tagged.stderr


def change_ids(db: Path) -> list[int]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM change_log ORDER BY id")]
    finally:
        conn.close()


def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as cron or an operator runs it: an in-process
    runner would find this test process's own earlier connections holding the database."""
    return subprocess.run(
        [sys.executable, "-m", "wistia_sync", *arguments], capture_output=True, text=True
    )
