"""A full crawl's CPU by thread and part, from two source trees, alternately, in the same run.

    git archive main wistia_sync | tar -x -C /tmp/before
    python benchmarks/crawl_threads.py --before /tmp/before [--media 100000] [--repeat 1]

``compare_crawl.py`` gives a crawl's CPU a page as a difference of two whole processes; this says
where it goes. Against one fake Wistia over real HTTP on 127.0.0.1 (served by this process, so
its work is not counted), it runs ``sync --full --stats-budget 0 --captions-budget 0`` in a child
process from each tree (``cwd`` the tree, so its own ``wistia_sync`` is imported), with a few
functions wrapped to add up their thread's CPU clock (``time.thread_time``, so another thread
running meanwhile is not counted in them):

- on the fetching threads, ``WistiaClient._get``: a request, its wait for the rate limit, its
  parse;
- on the storing (main) thread, ``store_media_page``; ``crawl._unseen`` (a page's records handed
  over once); the end of a run's clean-up, ``_confirm_missing`` and ``forget_answered_failures``;
- the cyclic garbage collector's collections by generation, on whichever thread ran them
  (``gc.callbacks``), and how many;
- the main thread's CPU and the process's (every thread) at exit.

Medians of ``--repeat`` runs, CPU seconds of the whole crawl. Both trees must define the wrapped
functions (they do from issue 19's sixth session on).
"""

from __future__ import annotations

import argparse
import compileall
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

from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog

# Run in the child, from a tree: wrap, run the CLI's crawl, print the costs at exit.
DRIVER = r"""
import atexit, collections, gc, json, sys, threading, time
costs = collections.defaultdict(float)
lock = threading.Lock()

def wrap(owner, name, label):
    original = getattr(owner, name)
    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                costs[label] += time.thread_time() - started
    setattr(owner, name, timed)

import wistia_sync.sync.account as account
import wistia_sync.wistia.client as client
import wistia_sync.wistia.crawl as crawl
wrap(client.WistiaClient, "_get", "fetching threads: _get (request, rate limit, parse)")
wrap(account, "store_media_page", "main: store_media_page")
wrap(crawl, "_unseen", "main: _unseen")
wrap(account, "_confirm_missing", "main: _confirm_missing (end of the run)")
wrap(account, "forget_answered_failures", "main: forget_answered_failures (end of the run)")

collecting = {}
def collected(phase, info):
    if phase == "start":
        collecting[threading.get_ident()] = time.thread_time()
        return
    started = collecting.pop(threading.get_ident(), None)
    if started is not None:
        with lock:
            costs[f"gc: generation {info['generation']}"] += time.thread_time() - started
            costs[f"gc: generation {info['generation']}, collections"] += 1
gc.callbacks.append(collected)

def report():
    costs["main thread"] = time.thread_time()
    costs["process (every thread)"] = time.process_time()
    print(json.dumps(costs))
atexit.register(report)
sys.argv = ["wistia-sync", "sync", "--full", "--stats-budget", "0", "--captions-budget", "0",
            "--quiet"]
from wistia_sync.cli.entry import main
main()
"""


def crawl(tree: Path, server: FakeWistiaServer, folder: Path) -> dict[str, float]:
    env = fresh_crawl_environment(server.url, folder, tree)
    before = len(server.log)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the crawl from {tree} failed: {done.stderr.strip()}")
    costs: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    costs["requests"] = len(server.log) - before
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    for tree in trees.values():
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    api = FakeWistia(*generate_catalog(arguments.media, seed=1), token=TOKEN)
    with tempfile.TemporaryDirectory() as scratch, FakeWistiaServer(api) as server:
        for _ in range(arguments.repeat):
            for name, tree in trees.items():
                runs[name].append(crawl(tree, server, Path(scratch)))
    load_after = os.getloadavg()[0]
    print(
        f"{arguments.media:,} media, 0 ms latency, medians of {arguments.repeat}; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{load_before:.1f} at start, {load_after:.1f} at the end"
    )
    print()
    print("| CPU seconds of the crawl | before | after | after / before |")
    print("|---|---:|---:|---:|")
    labels = sorted({label for name in trees for run in runs[name] for label in run})
    for label in labels:
        before, after = (
            statistics.median(run.get(label, 0.0) for run in runs[name]) for name in trees
        )
        ratio = f"{after / before:.2f}" if before else ""
        print(f"| {label} | {before:.3f} | {after:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
