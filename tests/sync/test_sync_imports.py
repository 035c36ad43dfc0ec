"""A sync creates its database and stores what it reads with plain SQL: it never imports
sqlite-utils (about 0.17 s of every cron run's start), whose handle it has no use for; and
records in the shape Wistia sends never need pydantic's timestamp parser (about 0.1 s)."""

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
print("sqlite_utils" in sys.modules, "pydantic" in sys.modules)
"""


def imported_by_a_sync(database: Path) -> list[str]:
    """Which of sqlite-utils and pydantic a demo sync into ``database`` imported."""
    result = subprocess.run(
        [sys.executable, "-c", SYNC_THEN_REPORT, str(database)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    flags = result.stdout.split()[-2:]
    return [
        name
        for name, flag in zip(("sqlite_utils", "pydantic"), flags, strict=True)
        if flag == "True"
    ]


def test_a_first_sync_and_the_next_import_neither_sqlite_utils_nor_pydantic(
    tmp_path: Path,
) -> None:
    database = tmp_path / "wistia.db"
    assert imported_by_a_sync(database) == []  # creates the database, stores every page
    assert imported_by_a_sync(database) == []  # a database that exists, re-crawled
