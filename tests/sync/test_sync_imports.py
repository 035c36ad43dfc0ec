"""A sync creates its database and stores what it reads with plain SQL: it never imports
sqlite-utils (about 0.17 s of every cron run's start), whose handle it has no use for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SYNC_THEN_REPORT = """
import runpy, sys
sys.argv = ["wistia-sync", "sync", "--demo", "--db", sys.argv[1], "--quiet"]
try:
    runpy.run_module("wistia_sync", run_name="__main__")
except SystemExit as end:
    if end.code:
        raise
print("sqlite_utils" in sys.modules)
"""


def sync_imports_sqlite_utils(database: Path) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", SYNC_THEN_REPORT, str(database)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.split()[-1] == "True"


def test_a_first_sync_and_the_next_never_import_sqlite_utils(tmp_path: Path) -> None:
    database = tmp_path / "wistia.db"
    assert not sync_imports_sqlite_utils(database)  # creates the database, stores every page
    assert not sync_imports_sqlite_utils(database)  # a database that exists, re-crawled
