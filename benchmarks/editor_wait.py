"""How long an editor's write waits for the write lock while a full crawl runs, for two trees.

    git archive main wistia_sync | tar -x -C /tmp/before
    python benchmarks/editor_wait.py --before /tmp/before [--media 10000] [--latency-ms 50] \
        [--tree NAME=/tmp/other ...]

Against one fake Wistia over real HTTP (``tests/support/fakewistia/``, answering after
``--latency-ms``), each tree in turn runs ``python -m wistia_sync sync --full`` (list pages only)
into a fresh database. Meanwhile an "editor" process, from the same tree, opens the database as
an editor's command does (its ``open_database``, the busy timeout editors use) and every
``--every-ms`` runs an empty ``write_transaction`` (the write lock every editor's change takes,
given back at once), timing each. It prints, per tree: the attempts, the mean and median wait,
the 99th percentile and the longest, and the crawl's wall and CPU. The longest wait is what the
busy timeout (30 s) must stay far above.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sync import TOKEN, fresh_crawl_environment
from measured import run_measured

from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog

# The editor, run from the same tree as the crawl: every ``every`` seconds, its own
# ``write_transaction`` with nothing in it (``BEGIN IMMEDIATE`` ... ``COMMIT``), timed.
EDITOR = """
import json, os, sys, time
from wistia_sync.store.db import open_database, write_transaction
path, every, stop = sys.argv[1], float(sys.argv[2]), sys.argv[3]
while not os.path.exists(path):
    time.sleep(0.005)
db = open_database(path)
waits = []
while not os.path.exists(stop):
    time.sleep(every)
    started = time.perf_counter()
    with write_transaction(db):
        waits.append(time.perf_counter() - started)
print(json.dumps(waits))
"""


def start_editor(tree: Path, database: Path, every: float, stop: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA")}
    env["PYTHONPATH"] = str(tree)
    return subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(database), str(every), str(stop)],
        env=env,
        cwd=tree,
        stdout=subprocess.PIPE,
        text=True,
    )


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
    api = FakeWistia(*generate_catalog(arguments.media, seed=1), token=TOKEN)
    with (
        tempfile.TemporaryDirectory() as scratch,
        FakeWistiaServer(api, latency=arguments.latency_ms / 1000) as server,
    ):
        folder = Path(scratch)
        for _ in range(arguments.repeat):
            for name, tree in trees.items():
                env = fresh_crawl_environment(server.url, folder)
                stop = folder / "stop"
                stop.unlink(missing_ok=True)
                editor = start_editor(tree, folder / "wistia.db", arguments.every_ms / 1000, stop)
                command = [sys.executable, "-m", "wistia_sync", "sync", "--full"]
                command += ["--stats-budget", "0", "--captions-budget", "0", "--quiet"]
                measured = run_measured(command, env, tree)
                stop.touch()
                out, _ = editor.communicate(timeout=120)
                waits[name] += json.loads(out)
                crawls[name].append((measured.wall, measured.cpu))
    print(
        f"{arguments.media:,} media, {arguments.latency_ms:g} ms latency, an editor taking the "
        f"write lock every {arguments.every_ms:g} ms, {arguments.repeat} crawls a tree; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print(
        "| tree | attempts | mean wait (ms) | median (ms) | 99th percentile (ms) | longest (ms) | "
        "crawl wall (s) | crawl CPU (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in trees:
        found = sorted(waits[name])
        p99 = found[min(len(found) - 1, int(0.99 * len(found)))]
        wall = statistics.median(w for w, _ in crawls[name])
        cpu = statistics.median(c for _, c in crawls[name])
        print(
            f"| {name} | {len(found)} | {1000 * statistics.mean(found):.1f} | "
            f"{1000 * statistics.median(found):.1f} | {1000 * p99:.1f} | "
            f"{1000 * found[-1]:.1f} | {wall:.2f} | {cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
