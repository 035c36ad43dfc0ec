"""Measure what a sync costs against a fake Wistia server over real HTTP on 127.0.0.1.

    python benchmarks/bench_sync.py [--media 10000]

Prints a Markdown table: requests and wall time for a full crawl, an incremental run with no
change in Wistia, an incremental run after edits, a publish, and an editor command's start-up.
The request counts are exact; the times depend on the machine (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakewistia.server import FakeWistiaServer  # noqa: E402
from wistia_sync.demo import FakeWistia, generate_catalog  # noqa: E402

TOKEN = "bench-token"


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "wistia_sync", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"wistia-sync {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--stats-budget", type=int, default=100)
    arguments = parser.parse_args()

    media, stats = generate_catalog(arguments.media, seed=1)
    api = FakeWistia(media, stats, token=TOKEN)
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api) as server:
        env = {
            **os.environ,
            "WISTIA_API_TOKEN": TOKEN,
            "WISTIA_API_URL": server.url,
            "WISTIA_SYNC_DB": f"{folder}/wistia.db",
            "WISTIA_SYNC_OUTPUT": f"{folder}/output",
        }
        budget = ["--stats-budget", str(arguments.stats_budget)]

        def measure(label: str, args: list[str]) -> None:
            before = len(server.log)
            seconds, _ = run(args, env)
            rows.append((label, len(server.log) - before, seconds))

        measure("full crawl (`sync --full`)", ["sync", "--full", "--quiet", *budget])
        measure("incremental, no change in Wistia", ["sync", "--quiet", "--stats-budget", "0"])
        measure("incremental, no change, with stats", ["sync", "--quiet", *budget])
        for item in api.media()[:50]:
            api.update(item["hashed_id"], name=item["name"] + " (edited)")
        measure("incremental after 50 edits", ["sync", "--quiet", "--stats-budget", "0"])
        measure("incremental, no change since", ["sync", "--quiet", "--stats-budget", "0"])
        measure("publish (first)", ["publish", "--quiet"])
        measure("publish (nothing changed)", ["publish", "--quiet"])
        measure("`run` with no change", ["run", "--quiet", "--stats-budget", "0"])
        startup, _ = run(["status", "--json"], env)
        rows.append(("editor-side command start-up (`status --json`)", 0, startup))

    print(
        f"{arguments.media:,} media; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    print("| what | requests | seconds |")
    print("|---|---:|---:|")
    for label, requests, seconds in rows:
        print(f"| {label} | {requests:,} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
