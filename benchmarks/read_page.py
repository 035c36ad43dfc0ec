"""Parsing and reading a page of 100 media records, from two source trees, alternately.

    git archive main wistia_sync | tar -x -C /dev/shm/before
    python benchmarks/read_page.py --before /dev/shm/before [--repeat 7] [--pages 300]

A page is 100 records of the demo catalog as the fake Wistia serves them (``json.dumps``). Each
run is a fresh process on one tree that parses the page's bytes (``jsonbody.parse_answer``, as
the client does on a fetching thread) and reads its records (``records.read_records``, as the
storing thread does) ``--pages`` times, and prints the CPU (``time.process_time``) a page of
each step. Medians over ``--repeat`` runs a tree, trees alternating, and "after ÷ before".
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

READ = """
import json, sys, time
from wistia_sync.demo import generate_catalog
from wistia_sync.wistia.jsonbody import parse_answer
from wistia_sync.wistia.records import read_records
pages = int(sys.argv[1])
content = json.dumps(generate_catalog(100, seed=3)[0]).encode()
records = parse_answer(content)
read_records(records)
started = time.process_time()
for _ in range(pages):
    parse_answer(content)
parsed = time.process_time()
for _ in range(pages):
    read_records(records)
read = time.process_time()
print((parsed - started) / pages * 1000, (read - parsed) / pages * 1000)
"""


def run(tree: Path, pages: int) -> tuple[float, float]:
    """(parse, read) CPU milliseconds a page, measured in a fresh process on ``tree``."""
    # cwd: ``-c`` puts the working folder first on sys.path, before PYTHONPATH.
    output = subprocess.run(
        [sys.executable, "-c", READ, str(pages)],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    parse, read = (float(number) for number in output.split())
    return parse, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the baseline's source tree")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    print(f"load before: {os.getloadavg()[0]:.2f}")
    for _ in range(args.repeat):
        for name, tree in trees.items():
            runs[name].append(run(tree, args.pages))
    print(f"load after: {os.getloadavg()[0]:.2f}")
    medians = {
        name: (statistics.median(p for p, _ in rows), statistics.median(r for _, r in rows))
        for name, rows in runs.items()
    }
    print(json.dumps({name: {"parse_ms": p, "read_ms": r} for name, (p, r) in medians.items()}))
    (before_parse, before_read), (after_parse, after_read) = medians["before"], medians["after"]
    print(
        f"after / before: parse {after_parse / before_parse:.3f}, read "
        f"{after_read / before_read:.3f}, both "
        f"{(after_parse + after_read) / (before_parse + before_read):.3f}"
    )


if __name__ == "__main__":
    main()
