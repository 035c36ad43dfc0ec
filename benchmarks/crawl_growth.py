"""Why storing a crawled page costs more as the database grows, and what grouping pages saves.

    python benchmarks/crawl_growth.py [--media 100000] [--repeat 2]

Generates the demo catalog (``--media``), takes its active list pages as a crawl gets them,
and stores them all into a fresh database twice per round, alternately: one transaction a page
(as a sync does) and grouped, ``GROUP`` pages a transaction (each page a savepoint). For each it
reports single-thread CPU (``time.process_time``) a page over the whole crawl and over its first
and last tenth, and the write-ahead log frames a page (deterministic: the log is checkpointed,
then measured over 40 pages, with automatic checkpoints off) near the start, middle and end. A
frame is one 4 KiB B-tree page a commit changed; media are keyed by random hashed ids, so once
an index holds more leaves than a page has media each new media dirties a leaf of its own.
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
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.jsonbody import parse_answer

WINDOW = 40  # pages a frame count is averaged over
GROUP = 8  # pages a transaction, grouped


def list_pages(media: int) -> list[list[Any]]:
    api = FakeWistia(*generate_catalog(media, seed=1), token="t")
    pages: list[list[Any]] = []
    while True:
        request = httpx.Request(
            "GET",
            "https://api.wistia.com/modern/medias?archived=false&per_page=100&sort_by=created"
            f"&sort_direction=1&page={len(pages) + 1}",
            headers={"Authorization": "Bearer t"},
        )
        pages.append(parse_answer(api.handle(request).content))
        if len(pages[-1]) < 100:
            return pages


def store_pages(db: Database, pages: list[list[Any]], grouped: bool, summary: SyncSummary) -> float:
    """CPU seconds storing ``pages``, commits included: one transaction a page, or up to
    ``GROUP`` pages a transaction (each page still its own savepoint)."""
    options = SyncOptions()
    size = GROUP if grouped else 1
    started = time.process_time()
    for first in range(0, len(pages), size):
        with write_transaction(db):
            for page in pages[first : first + size]:
                store_media_page(db, MediaPage(page), options, summary, archived_hint=False)
    return time.process_time() - started


def crawl(pages: list[list[Any]], grouped: bool) -> dict[str, float]:
    """Store every page into a fresh database: CPU a page overall and in the first and last
    tenth, and log frames a page over windows at the start, middle and end."""
    tenth = len(pages) // 10
    points = [0, (len(pages) // 2) // 8 * 8, (len(pages) - WINDOW - 1) // 8 * 8]
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"{folder}/wistia.db", create=True)
        db.execute("PRAGMA synchronous = NORMAL")  # as a sync's page stores run
        summary = SyncSummary(mode="full")
        first = store_pages(db, pages[:tenth], grouped, summary)
        middle = store_pages(db, pages[tenth:-tenth], grouped, summary)
        last = store_pages(db, pages[-tenth:], grouped, summary)
        db.conn.close()
        db = open_database(f"{folder}/frames.db", create=True)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA wal_autocheckpoint = 0")
        wal = Path(f"{folder}/frames.db-wal")
        summary = SyncSummary(mode="full")
        frames: dict[str, float] = {}
        done = 0
        for point in points:
            store_pages(db, pages[done:point], grouped, summary)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            before = wal.stat().st_size
            store_pages(db, pages[point : point + WINDOW], grouped, summary)
            frame = 24 + db.execute("PRAGMA page_size").fetchone()[0]
            frames[f"log frames a page, pages {point}-{point + WINDOW}"] = (
                (wal.stat().st_size - before) / frame / WINDOW
            )
            done = point + WINDOW
        db.conn.close()
    return {
        "CPU a page (ms)": 1000 * (first + middle + last) / len(pages),
        "CPU a page, first tenth (ms)": 1000 * first / tenth,
        "CPU a page, last tenth (ms)": 1000 * last / tenth,
        **frames,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    arguments = parser.parse_args()
    load_before = os.getloadavg()[0]
    pages = list_pages(arguments.media)
    if len(pages) < 4 * WINDOW:
        raise SystemExit(f"--media gives {len(pages)} pages; {4 * WINDOW} at least are needed")
    runs: dict[str, list[dict[str, float]]] = {"one a transaction": [], "grouped": []}
    for _ in range(arguments.repeat):
        runs["one a transaction"].append(crawl(pages, grouped=False))
        runs["grouped"].append(crawl(pages, grouped=True))
    load_after = os.getloadavg()[0]
    print(
        f"{arguments.media:,} media ({len(pages)} list pages), up to {GROUP} "
        f"pages a transaction grouped, {arguments.repeat} runs each (medians); "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {load_after:.1f} at the end"
    )
    print()
    print("| storing every page of a fresh crawl | one a transaction | grouped | grouped / one |")
    print("|---|---:|---:|---:|")
    for figure in runs["grouped"][0]:
        one = statistics.median(run[figure] for run in runs["one a transaction"])
        grouped = statistics.median(run[figure] for run in runs["grouped"])
        print(f"| {figure} | {one:.2f} | {grouped:.2f} | {grouped / one:.2f} |")
    print(json.dumps({"pages": len(pages)}), file=sys.stderr)


if __name__ == "__main__":
    main()
