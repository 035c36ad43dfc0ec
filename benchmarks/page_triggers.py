"""What m014 saves: a recrawl's ``last_seen`` update with and without the update triggers of
``videos`` running a trigger program a row.

    python benchmarks/page_triggers.py [--media 10000] [--repeat 7]

Two databases in one process, one migrated up to m014 and one with every migration, each
holding ``--media`` videos; then, alternately, ``--repeat`` rounds of what an unchanged page of
100 costs a recrawl in SQL: ``UPDATE videos SET last_seen = ? WHERE hashed_id IN (…)`` for
every page, one transaction a page. Single-thread CPU (``time.process_time``) a page, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlite_utils import Database

from wistia_sync.store import migrations as schema

BEFORE_M014 = "m014_update_triggers_of_published_columns"
PER_PAGE = 100


def database(folder: Path, name: str, media: int, *, m014: bool) -> Database:
    db = Database(folder / f"{name}.db")
    db.execute("PRAGMA journal_mode = WAL")
    if m014:
        schema.migrations.real.apply(db)
    else:
        schema.migrations.real.apply(db, stop_before=BEFORE_M014)
    db.execute("PRAGMA synchronous = NORMAL")  # as a sync's page stores run
    db.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO videos (hashed_id, id, name, type, status, created, updated, first_seen, "
        "last_seen) VALUES (?, ?, 'A video', 'Video', 'ready', 'c', 'u', 'f', 'l')",
        [(f"h{i:07d}", i) for i in range(media)],
    )
    db.execute("COMMIT")
    return db


def last_seen_round(db: Database, media: int, moment: str) -> float:
    """CPU milliseconds a page of moving ``last_seen`` of every video, page by page."""
    pages = media // PER_PAGE
    started = time.process_time()
    for page in range(pages):
        ids = json.dumps([f"h{page * PER_PAGE + i:07d}" for i in range(PER_PAGE)])
        db.execute("BEGIN")
        db.execute(
            "UPDATE videos SET last_seen = ? WHERE hashed_id IN (SELECT value FROM json_each(?))",
            [moment, ids],
        )
        db.execute("COMMIT")
    return 1000 * (time.process_time() - started) / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        dbs = {
            "before m014": database(folder, "before", arguments.media, m014=False),
            "with m014": database(folder, "after", arguments.media, m014=True),
        }
        figures: dict[str, list[float]] = {name: [] for name in dbs}
        for round_number in range(arguments.repeat):
            for name, db in dbs.items():
                figures[name].append(last_seen_round(db, arguments.media, f"t{round_number}"))
        for db in dbs.values():
            db.conn.close()
    before, after = (statistics.median(figures[name]) for name in dbs)
    print(
        f"{arguments.media:,} videos, pages of {PER_PAGE}, {arguments.repeat} rounds each "
        f"(medians); {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("| single-thread CPU | before m014 | with m014 | with / before |")
    print("|---|---:|---:|---:|")
    print(
        f"| `last_seen` of an unchanged page (ms) | {before:.3f} | {after:.3f} | "
        f"{after / before:.2f} |"
    )


if __name__ == "__main__":
    main()
