"""The start-up figures of two source trees side by side, in the same run, on the same catalog.

    git archive 0475059 wistia_sync | tar -x -C /tmp/before
    python benchmarks/compare_startup.py --before /tmp/before [--size 1000] [--repeat 7]

Runs ``python -m wistia_sync`` from the ``--before`` tree and from this one, alternating, for
``tag add``, ``visibility hide``, a no-op ``publish`` and ``--version`` on the same catalog
(``bench_publish.py``'s, in a database each tree migrates itself, so trees whose schemas differ
compare too), and prints median wall and CPU seconds and the CPU ratio. Both trees are
byte-compiled first, as installed packages are.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from bench_startup import run

# Run from a tree: its own code creates and migrates a database. The module moved in issue 17,
# and the tree must be asked which it has: an editable install would serve the other.
CREATE_DATABASE = """
import importlib, sys
importlib.import_module(sys.argv[1]).open_database(sys.argv[2], create=True).conn.close()
"""
COMMANDS = ("tag add", "visibility hide", "publish, nothing changed", "--version")


def run_in(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``python -m wistia_sync ARGS`` run from ``tree``."""
    return run([sys.executable, "-m", "wistia_sync", *args], env, cwd=tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    for tree in trees.values():
        if not (tree / "wistia_sync" / "__init__.py").exists():
            raise SystemExit(f"{tree} holds no wistia_sync/")
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        base = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
        envs: dict[str, dict[str, str]] = {}
        for name, tree in trees.items():
            db, out = Path(folder) / f"{name}.db", Path(folder) / f"{name}-out"
            # Each tree creates and migrates its own database (an older one refuses a newer
            # schema), then both get the same rows.
            module = "store.db" if (tree / "wistia_sync/store/db.py").exists() else "db"
            creating = [sys.executable, "-c", CREATE_DATABASE, f"wistia_sync.{module}", str(db)]
            run(creating, base, cwd=tree)
            published = build_catalog(db, arguments.size, migrate=False)
            envs[name] = {**base, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
            run_in(tree, ["publish", "--force", "--quiet"], envs[name])
        picks = iter(random.Random(1).sample(published, 4 * arguments.repeat))
        measured: dict[str, dict[str, list[tuple[float, float]]]] = {
            name: {command: [] for command in COMMANDS} for name in trees
        }
        for _ in range(arguments.repeat):
            lines = {
                "tag add": ["tag", "add", next(picks), "Benchmark tag"],
                "visibility hide": ["visibility", "hide", next(picks)],
                "publish, nothing changed": ["publish", "--quiet"],
                "--version": ["--version"],
            }
            for name, tree in trees.items():  # the same change in each tree's database
                for command, args in lines.items():
                    measured[name][command].append(run_in(tree, args, envs[name]))
    load_after = os.getloadavg()[0]
    load = f"load average {load_before:.1f} at start, {load_after:.1f} at the end"
    print(f"{arguments.size:,} videos, {arguments.repeat} runs each, {load}")
    print()
    print("| command | before: wall / CPU | after: wall / CPU | CPU after / before |")
    print("|---|---:|---:|---:|")
    for command in COMMANDS:
        cells, cpus = [], []
        for name in trees:
            runs = measured[name][command]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            cells.append(f"{wall:.3f} s / {cpu:.3f} s")
            cpus.append(cpu)
        print(f"| `{command}` | " + " | ".join(cells) + f" | {cpus[1] / cpus[0]:.2f} |")


if __name__ == "__main__":
    main()
