"""The parts of storing a crawled page, from two source trees, side by side, in the same run.

    git archive 811fbf6 wistia_sync | tar -x -C /tmp/before
    python benchmarks/crawl_parts.py --before /tmp/before [--media 10000] [--repeat 3]

Each tree, in its own process (``cwd`` the tree, so its own ``wistia_sync`` is imported),
generates the same catalog with its own fake Wistia, then measures single-thread CPU
(``time.process_time``): parsing each list page's bytes (``parse_answer``), reading its records
(``read_records``), storing each page into a fresh database (``store_media_page``, reading
included) and storing them all again unchanged, and ``format_timestamp``. The trees run
alternately ``--repeat`` times; the table gives medians and the ratio after / before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a tree's process; prints one JSON object of figures.
MEASURE = """
import json, sys, tempfile, time, timeit
from datetime import UTC, datetime
import httpx
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store.db import open_database
from wistia_sync.store.timestamps import format_timestamp
from wistia_sync.sync.pages import store_media_page
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import MediaPage
from wistia_sync.wistia.jsonbody import parse_answer
from wistia_sync.wistia.records import read_records

api = FakeWistia(*generate_catalog(int(sys.argv[1]), seed=1), token="t")
bodies = []
while True:
    request = httpx.Request(
        "GET",
        "https://api.wistia.com/modern/medias?archived=false&per_page=100&sort_by=created"
        f"&sort_direction=1&page={len(bodies) + 1}",
        headers={"Authorization": "Bearer t"},
    )
    bodies.append(api.handle(request).content)
    if len(json.loads(bodies[-1])) < 100:
        break
del api
count = len(bodies)
def per_page(work):
    started = time.process_time()
    work()
    return 1000 * (time.process_time() - started) / count
figures = {"pages": count}
parse_answer(bodies[0])  # warm: a decoder built on first use is not a page's cost
figures["parse a page (ms)"] = per_page(lambda: [parse_answer(b) for b in bodies])
pages = [parse_answer(b) for b in bodies]
figures["read a page's records (ms)"] = per_page(
    lambda: [read_records(p, archived_hint=False) for p in pages]
)
with tempfile.TemporaryDirectory() as folder:
    db = open_database(f"{folder}/wistia.db", create=True)
    db.execute("PRAGMA synchronous = NORMAL")  # as a sync's page stores run
    for label in ("store a new page (ms)", "store an unchanged page (ms)"):
        summary = SyncSummary(mode="full")
        figures[label] = per_page(
            lambda: [
                store_media_page(db, MediaPage(p), SyncOptions(), summary, archived_hint=False)
                for p in pages
            ]
        )
    db.conn.close()
moment = datetime(2025, 1, 6, 11, 44, 37, tzinfo=UTC)
figures["format_timestamp (us)"] = min(
    timeit.repeat(lambda: format_timestamp(moment), number=20_000, repeat=5)
) / 20_000 * 1e6
print(json.dumps(figures))
"""


def measure(tree: Path, media: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA")}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(media)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {tree} failed: {done.stderr.strip()}")
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(arguments.repeat):
        for name, tree in trees.items():
            runs[name].append(measure(tree, arguments.media))
    load_after = os.getloadavg()[0]
    print(
        f"{arguments.media:,} media ({runs['after'][0]['pages']:.0f} list pages), "
        f"{arguments.repeat} runs each (medians); {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, load average {load_before:.1f} at start, "
        f"{load_after:.1f} at the end"
    )
    print()
    print("| single-thread CPU | before | after | after / before |")
    print("|---|---:|---:|---:|")
    for figure in runs["after"][0]:
        if figure == "pages":
            continue
        before = statistics.median(run[figure] for run in runs["before"])
        after = statistics.median(run[figure] for run in runs["after"])
        print(f"| {figure} | {before:.2f} | {after:.2f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
