"""A new database created (``open_database(create=True)``) by two source trees, alternately.

    git archive main wistia_sync | tar -x -C /dev/shm/before
    TMPDIR=/dev/shm/tmp python benchmarks/fresh_database.py --before /dev/shm/before [--repeat 9]

Each run is a fresh process that imports the store, then creates a database in a new folder
under ``TMPDIR`` (put it on tmpfs: a shared disk's fsyncs would decide the figure); it prints the
CPU seconds (``time.process_time``) and wall seconds of the ``open_database`` call alone, and the
process's own CPU from ``wait4`` is kept beside them. Both trees are byte-compiled first.
Medians, and "after ÷ before" ratios of the same run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from measured import run_measured

CREATE = """
import sys, time
from wistia_sync.store.db import open_database
cpu, wall = time.process_time(), time.perf_counter()
open_database(sys.argv[1], create=True).conn.close()
print(time.process_time() - cpu, time.perf_counter() - wall)
"""


def create_once(tree: Path, folder: Path) -> tuple[float, float, float]:
    """(CPU of the call, wall of the call, CPU of the whole process) in seconds."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    database = Path(tempfile.mkdtemp(dir=folder)) / "wistia.db"
    # cwd: ``-c`` puts the working folder first on sys.path, before PYTHONPATH.
    measured = run_measured([sys.executable, "-c", CREATE, str(database)], env, tree)
    cpu, wall = (float(number) for number in measured.stdout.split())
    return cpu, wall, measured.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the baseline's source tree")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    for tree in trees.values():
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    print(f"load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeat):
            for name, tree in trees.items():
                results[name].append(create_once(tree, Path(scratch)))
    print(f"load after: {os.getloadavg()[0]:.2f}")
    medians = {
        name: [statistics.median(run[i] for run in runs) for i in range(3)]
        for name, runs in results.items()
    }
    print(f"{'tree':<8} {'call CPU s':>11} {'call wall s':>12} {'process CPU s':>14}")
    for name, (cpu, wall, process) in medians.items():
        print(f"{name:<8} {cpu:>11.4f} {wall:>12.4f} {process:>14.4f}")
    before, after = medians["before"], medians["after"]
    print(
        f"after / before: call CPU {after[0] / before[0]:.3f}, call wall "
        f"{after[1] / before[1]:.3f}, process CPU {after[2] / before[2]:.3f}"
    )


if __name__ == "__main__":
    main()
