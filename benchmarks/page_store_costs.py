"""Where a stored page's CPU goes, statement by statement, early in a crawl and late, two trees.

    git archive main wistia_sync | tar -x -C /tmp/main
    python benchmarks/page_store_costs.py --before /tmp/main [--media 100000] [--pages 100]
        [--repeat 3]

Generates the demo catalog once (``--media``) and takes its active list pages as a crawl gets
them; this tree stores all but the last ``--pages`` into a database, once, on tmpfs where there
is one. Then each tree, in its own process (``cwd`` the tree, so its own ``wistia_sync`` is
imported), alternately ``--repeat`` times, stores with ``store_media_page`` (one transaction a
page, ``synchronous=NORMAL`` as a sync's page stores run):

- "early": the first ``--pages`` pages into a fresh database (the catalog's first media);
- "late": the last ``--pages`` pages into a copy of the database holding all the others.

It reports single-thread CPU (``time.process_time``) a page: the whole store, reading the
records alone (``read_records``, part of the store), and each statement the store ran (its
``execute`` or ``executemany`` call, triggers and index updates included; ``COMMIT`` is where
the transaction's dirty B-tree pages are written to the log). Medians; ratio after / before.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# Run in a tree's process: argv = pages pickle, "early"/"late", database to use (a copy of the
# late base, or a fresh path). Prints one JSON object: label -> ms a page.
MEASURE = """
import collections, json, pickle, sys, time
from wistia_sync.store.db import open_database
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.records import read_records

pages = pickle.load(open(sys.argv[1], "rb"))
costs = collections.defaultdict(float)

class Timed:
    def __init__(self, conn):
        self._conn = conn
    def __getattr__(self, name):
        return getattr(self._conn, name)
    def _timed(self, call, sql, *args):
        started = time.process_time()
        result = getattr(self._conn, call)(sql, *args)
        costs[" ".join(sql.split())[:60]] += time.process_time() - started
        return result
    def execute(self, sql, *args):
        return self._timed("execute", sql, *args)
    def executemany(self, sql, *args):
        return self._timed("executemany", sql, *args)

db = open_database(sys.argv[3], create=sys.argv[2] == "early")
db.execute("PRAGMA synchronous = NORMAL")
started = time.process_time()
for page in pages:
    read_records(page, archived_hint=False)
costs["(reading the records alone)"] = time.process_time() - started
db.conn = Timed(db.conn)
summary = SyncSummary(mode="full")
started = time.process_time()
for page in pages:
    store_media_page(db, MediaPage(page), SyncOptions(), summary, archived_hint=False)
costs["(the whole store)"] = time.process_time() - started
print(json.dumps({label: 1000 * seconds / len(pages) for label, seconds in costs.items()}))
"""


def list_pages(media: int) -> list[list[object]]:
    from crawl_growth import list_pages as pages_of

    return pages_of(media)


def late_base(pages: list[list[object]], path: Path) -> None:
    """A database holding ``pages``, stored by this tree, checkpointed."""
    from wistia_sync.store.db import open_database
    from wistia_sync.sync.pages import store_media_page
    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import MediaPage

    db = open_database(path, create=True)
    db.execute("PRAGMA synchronous = NORMAL")
    summary = SyncSummary(mode="full")
    for page in pages:
        store_media_page(db, MediaPage(page), SyncOptions(), summary, archived_hint=False)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def measure(tree: Path, pages_file: Path, point: str, database: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA")}
    env["PYTHONPATH"] = str(tree)
    answer = subprocess.run(
        [sys.executable, "-c", MEASURE, str(pages_file), point, str(database)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(answer.stdout)
    return figures


def fresh(path: Path, base: Path | None) -> Path:
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    if base is not None:
        shutil.copyfile(base, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    scratch_root = "/dev/shm" if Path("/dev/shm").is_dir() else None
    pages = list_pages(arguments.media)
    count = arguments.pages
    load_before = os.getloadavg()[0]
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        folder = Path(scratch)
        for point, chosen in (("early", pages[:count]), ("late", pages[-count:])):
            (folder / f"{point}.pkl").write_bytes(pickle.dumps(chosen))
        late_base(pages[:-count], folder / "base.db")
        for _ in range(arguments.repeat):
            for point in ("early", "late"):
                base = folder / "base.db" if point == "late" else None
                for name, tree in trees.items():
                    database = fresh(folder / "run.db", base)
                    figures = measure(tree, folder / f"{point}.pkl", point, database)
                    results.setdefault((name, point), []).append(figures)
    load_after = os.getloadavg()[0]
    print(
        f"{arguments.media:,} media, {count} pages early (fresh database) and late (holding "
        f"the other {len(pages) - count}), {arguments.repeat} runs each (medians); "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {load_after:.1f} at the end"
    )
    for point in ("early", "late"):
        print()
        print(f"| {point}: CPU a page (ms) | before | after | after / before |")
        print("|---|---:|---:|---:|")
        labels = {label for name in trees for run in results[(name, point)] for label in run}
        medians = {
            name: {
                label: statistics.median(run.get(label, 0.0) for run in results[(name, point)])
                for label in labels
            }
            for name in trees
        }
        for label in sorted(labels, key=lambda label: -medians["before"][label]):
            before, after = medians["before"][label], medians["after"][label]
            if max(before, after) < 0.02:
                continue
            ratio = f"{after / before:.2f}" if before else ""
            print(f"| {label} | {before:.3f} | {after:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
