"""How long an editor's write waits for the write lock while a full crawl runs, for two trees.

    git archive main wistia_sync | tar -x -C /tmp/before
    python benchmarks/editor_wait.py --before /tmp/before [--media 10000] [--latency-ms 50] \
        [--tree NAME=/tmp/other ...]

Against one fake Wistia over real HTTP (``tests/support/fakewistia/``, answering after
``--latency-ms``), each tree in turn runs ``python -m wistia_sync sync --full`` (list pages only)
into a fresh database. Meanwhile an "editor" thread of this process opens its own connection,
as an editor's command does (the busy timeout editors use), and every ``--every-ms`` takes the
write lock (``BEGIN IMMEDIATE``, what every editor's change starts with) and gives it back at
once; it records how long each took. It prints, per tree: the attempts, the median, the 99th
percentile and the longest wait, and the crawl's wall and CPU. The longest wait is what the
busy timeout (30 s) must stay far above. SQLite's busy handler sleeps 1, 2, 5, 10 ... 100 ms
between tries, so a wait may overshoot the lock's release by up to that step.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sync import TOKEN, fresh_crawl_environment
from measured import run_measured

from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog

BUSY_TIMEOUT = 30.0  # seconds: the editors' default (WISTIA_SYNC_BUSY_TIMEOUT)


class Editor(threading.Thread):
    """Takes and gives back the write lock every ``every`` seconds, timing each wait."""

    def __init__(self, database: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.every = every
        self.waits: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.database.exists() and not self.stop.is_set():
            time.sleep(0.01)
        connection = sqlite3.connect(self.database, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            while not self.stop.wait(self.every):
                started = time.perf_counter()
                try:
                    connection.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:
                    self.failures += 1  # (the schema not made yet, or busy past the timeout)
                    continue
                self.waits.append(time.perf_counter() - started)
                connection.execute("ROLLBACK")
        finally:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--every-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--tree", action="append", default=[], metavar="NAME=PATH", help="another tree to run"
    )
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    for named in arguments.tree:
        name, _, path = named.partition("=")
        trees[name] = Path(path).resolve()
    load_before = os.getloadavg()[0]
    waits: dict[str, list[float]] = {name: [] for name in trees}
    crawls: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    failures = dict.fromkeys(trees, 0)
    api = FakeWistia(*generate_catalog(arguments.media, seed=1), token=TOKEN)
    with (
        tempfile.TemporaryDirectory() as scratch,
        FakeWistiaServer(api, latency=arguments.latency_ms / 1000) as server,
    ):
        folder = Path(scratch)
        for _ in range(arguments.repeat):
            for name, tree in trees.items():
                env = fresh_crawl_environment(server.url, folder)
                editor = Editor(folder / "wistia.db", arguments.every_ms / 1000)
                editor.start()
                command = [sys.executable, "-m", "wistia_sync", "sync", "--full"]
                command += ["--stats-budget", "0", "--captions-budget", "0", "--quiet"]
                measured = run_measured(command, env, tree)
                editor.stop.set()
                editor.join()
                waits[name] += editor.waits
                failures[name] += editor.failures
                crawls[name].append((measured.wall, measured.cpu))
    print(
        f"{arguments.media:,} media, {arguments.latency_ms:g} ms latency, an editor taking the "
        f"write lock every {arguments.every_ms:g} ms, {arguments.repeat} crawls a tree; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print(
        "| tree | attempts | median wait (ms) | 99th percentile (ms) | longest (ms) | "
        "crawl wall (s) | crawl CPU (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in trees:
        found = sorted(waits[name])
        p99 = found[min(len(found) - 1, int(0.99 * len(found)))]
        wall = statistics.median(w for w, _ in crawls[name])
        cpu = statistics.median(c for _, c in crawls[name])
        print(
            f"| {name} | {len(found)} (+{failures[name]} refused) | "
            f"{1000 * statistics.median(found):.1f} | {1000 * p99:.1f} | {1000 * found[-1]:.1f} "
            f"| {wall:.2f} | {cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
