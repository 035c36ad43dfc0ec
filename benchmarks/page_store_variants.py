"""CPU a page storing a late crawl's pages under SQLite settings or batched transactions.

    python benchmarks/page_store_variants.py [--media 100000] [--pages 96] [--repeat 3] \
        "base;cache_size=-65536;batch16,nosavepoint,cache_size=-65536;page_size=2048"

Like ``page_store_costs.py``'s "late" point: this tree stores all but the last ``--pages`` list
pages of the demo catalog of ``--media`` into a database on tmpfs, once; then, for each variant
in turn, ``--repeat`` rounds, a fresh process stores the last pages into a copy of it with
``store_media_page`` (``synchronous=NORMAL``, as a sync's page stores run) and prints its CPU
(``time.process_time``) a page. A variant is ``base`` or comma-separated parts:

- ``NAME=VALUE``: ``PRAGMA NAME=VALUE`` on the connection before storing (``page_size`` instead
  rebuilds the copy with that page size, ``VACUUM`` in rollback-journal mode, then WAL again);
- ``batchN``: N pages a transaction (each page's own ``write_transaction`` is then a savepoint);
- ``nosavepoint``: with ``batchN``, the pages inside the batch without their savepoints, as a
  batching that gave up a page's own rollback would store them (measurement only).

Medians, and each variant over the first.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from page_store_costs import late_base, list_pages

MEASURE = """
import contextlib, pickle, sys, time
import wistia_sync.store.db as store_db
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import MediaPage

pages = pickle.load(open(sys.argv[1], "rb"))
db = open_database(sys.argv[2])
db.execute("PRAGMA synchronous = NORMAL")
batch = 1
for part in sys.argv[3].split(","):
    if part.startswith("batch"):
        batch = int(part[len("batch"):])
    elif part == "nosavepoint":
        store_db._savepoint = lambda db: contextlib.nullcontext()
    elif "=" in part and not part.startswith("page_size="):
        db.execute("PRAGMA " + part)
summary = SyncSummary(mode="full")
started = time.process_time()
for first in range(0, len(pages), batch):
    with write_transaction(db) if batch > 1 else contextlib.nullcontext():
        for page in pages[first:first + batch]:
            store_media_page(db, MediaPage(page), SyncOptions(), summary, archived_hint=False)
print(1000 * (time.process_time() - started) / len(pages))
"""


def with_page_size(base: Path, path: Path, page_size: int) -> None:
    shutil.copyfile(base, path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.execute(f"PRAGMA page_size={page_size}")
    connection.execute("VACUUM")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variants", help="variants separated by ';' (see above)")
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    variants = arguments.variants.split(";")
    scratch_root = "/dev/shm" if Path("/dev/shm").is_dir() else None
    pages = list_pages(arguments.media)
    results: dict[str, list[float]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        folder = Path(scratch)
        late = folder / "late.pkl"
        late.write_bytes(pickle.dumps(pages[-arguments.pages :]))
        late_base(pages[: -arguments.pages], folder / "base.db")
        bases = {}
        for variant in variants:
            sizes = [p.split("=")[1] for p in variant.split(",") if p.startswith("page_size=")]
            bases[variant] = folder / "base.db"
            if sizes:
                bases[variant] = folder / f"base-{sizes[0]}.db"
                with_page_size(folder / "base.db", bases[variant], int(sizes[0]))
        load_before = os.getloadavg()[0]
        for _ in range(arguments.repeat):
            for variant in variants:
                database = folder / "run.db"
                for stale in folder.glob("run.db*"):
                    stale.unlink()
                shutil.copyfile(bases[variant], database)
                out = subprocess.run(
                    [sys.executable, "-c", MEASURE, str(late), str(database), variant],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                results[variant].append(float(out))
    print(
        f"{arguments.media:,} media, the last {arguments.pages} pages into a database holding "
        f"the others, {arguments.repeat} runs each (medians); {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, load average {load_before:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("| variant | CPU a page (ms) | over the first |")
    print("|---|---:|---:|")
    first = statistics.median(results[variants[0]])
    for variant in variants:
        median = statistics.median(results[variant])
        print(f"| {variant} | {median:.2f} | {median / first:.2f} |")


if __name__ == "__main__":
    main()
