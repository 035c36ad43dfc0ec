"""A full crawl's CPU a page from two source trees, side by side, in the same run.

    git archive 811fbf6 wistia_sync | tar -x -C /tmp/before
    python benchmarks/compare_crawl.py --before /tmp/before [--media 10000] [--latency-ms 0] \
        [--tree NAME=/tmp/other ...]

Against one fake Wistia over real HTTP on 127.0.0.1 (``tests/support/fakewistia/``, answering
after ``--latency-ms``), it runs ``python -m wistia_sync sync --full --stats-budget 0
--captions-budget 0`` (list pages only) from the ``--before`` tree and from this one,
alternating, each into a fresh database: on the catalog of
``--media`` and on a small one (``--small``), so that the CPU a page is the difference of the
two CPU times over the difference of their requests (start-up, migrating and the final
transaction cancel out). In the same run: a fresh database created and migrated by each tree,
the naive sequential page loop (``bench_sync.naive_crawl``), and, past 600 requests, the least
time the rate limit allows (``bench_sync.rate_limit_bound``). CPU is user + system time of
the child process, so the fake server's work is not counted. Both trees are byte-compiled
first, as installed packages are. ``--tree`` adds more trees (a copy with one constant changed),
each run in turn after the two and compared with ``before``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sync import TOKEN, fresh_crawl_environment, naive_crawl, rate_limit_bound
from measured import run_measured

from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog

# Run from a tree: its own code creates and migrates a database.
CREATE_DATABASE = """
import sys, time
from wistia_sync.store.db import open_database
started = time.perf_counter()
open_database(sys.argv[1], create=True).conn.close()
print(time.perf_counter() - started)
"""


@dataclass
class Crawl:
    wall: float  # seconds, process start to exit
    cpu: float  # user + system seconds of the process
    requests: int


def crawl(tree: Path, server: FakeWistiaServer, folder: Path) -> Crawl:
    """One full crawl from ``tree`` into a fresh database."""
    env = fresh_crawl_environment(server.url, folder)
    before = len(server.log)
    # Play counts and captions are requests a video, not a page: left out of a crawl's figures.
    command = [
        *(sys.executable, "-m", "wistia_sync", "sync", "--full"),
        *("--stats-budget", "0", "--captions-budget", "0"),
    ]
    measured = run_measured([*command, "--quiet"], env, tree)
    wall, cpu = measured.wall, measured.cpu
    return Crawl(wall, cpu, len(server.log) - before)


def migrate(tree: Path, folder: Path) -> tuple[float, float]:
    """(seconds inside ``open_database``, CPU seconds of the process) creating a fresh database."""
    path = folder / "fresh.db"
    for stale in folder.glob("fresh.db*"):
        stale.unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA")}
    created = run_measured([sys.executable, "-c", CREATE_DATABASE, str(path)], env, tree)
    cpu, out = created.cpu, created.stdout
    return float(out.strip()), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="the small catalog's media")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tree", action="append", default=[], metavar="NAME=PATH", help="another tree to run"
    )
    arguments = parser.parse_args()
    latency = arguments.latency_ms / 1000
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    for named in arguments.tree:
        name, _, path = named.partition("=")
        trees[name] = Path(path).resolve()
    for tree in trees.values():
        if not (tree / "wistia_sync" / "__init__.py").exists():
            raise SystemExit(f"{tree} holds no wistia_sync/")
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    load_before = os.getloadavg()[0]
    crawls: dict[tuple[str, int], list[Crawl]] = {}
    migrations: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    naive: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for size in (arguments.media, arguments.small):
            api = FakeWistia(*generate_catalog(size, seed=1), token=TOKEN)
            with FakeWistiaServer(api, latency=latency) as server:
                for _ in range(arguments.repeat):
                    naive.setdefault(size, []).append(naive_crawl(server.url)[0])
                    for name, tree in trees.items():
                        crawls.setdefault((name, size), []).append(crawl(tree, server, folder))
        for _ in range(arguments.repeat):
            for name, tree in trees.items():
                migrations[name].append(migrate(tree, folder))
    load_after = os.getloadavg()[0]

    print(
        f"{arguments.media:,} media (and {arguments.small:,} for the fixed cost), "
        f"{arguments.latency_ms:g} ms latency, {arguments.repeat} runs each (medians); "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {load_before:.1f} at start, {load_after:.1f} at the end"
    )
    print()
    others = [name for name in trees if name != "before"]
    print(f"| figure | before | {' | '.join(f'{n} | {n} / before' for n in others)} |")
    print(f"|---|---:|{'---:|---:|' * len(others)}")
    figures: dict[str, dict[str, float]] = {name: {} for name in trees}
    naive_seconds = statistics.median(naive[arguments.media])
    for name in trees:
        big, small = crawls[(name, arguments.media)], crawls[(name, arguments.small)]
        cpu_big = statistics.median(c.cpu for c in big)
        cpu_small = statistics.median(c.cpu for c in small)
        pages = big[0].requests - small[0].requests
        per_page = (cpu_big - cpu_small) / pages
        wall = statistics.median(c.wall for c in big)
        figures[name] = {
            "requests": big[0].requests,
            "CPU of the crawl (s)": cpu_big,
            "CPU a page (ms)": 1000 * per_page,
            "fixed CPU (s)": cpu_small - per_page * small[0].requests,
            "wall (s)": wall,
            "wall / naive loop": wall / naive_seconds,
            "fresh database migrated (s, in open_database)": statistics.median(
                s for s, _ in migrations[name]
            ),
        }
        if big[0].requests > 600:
            bound = rate_limit_bound(big[0].requests, latency)
            figures[name]["wall / the 600-a-minute bound"] = wall / bound
    for figure in figures["after"]:
        before = figures["before"][figure]
        cells = []
        for name in others:
            value = figures[name][figure]
            cells.append(f"{value:.3f} | {f'{value / before:.2f}' if before else ''}")
        print(f"| {figure} | {before:.3f} | {' | '.join(cells)} |")
    print(f"| naive sequential loop (s) | {naive_seconds:.3f} | (same run) | |")


if __name__ == "__main__":
    main()
