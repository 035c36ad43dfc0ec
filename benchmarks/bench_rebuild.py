"""A rebuild (``publish --force`` into an empty folder) beside the floor script, in the same run.

    python benchmarks/bench_rebuild.py [--sizes 10000,100000] [--where shm,disk] [--repeat 3]
        [--before /tmp/before]

For each catalog size (``bench_publish.py``'s catalog) and each place (``shm``: tmpfs under
/dev/shm, where file creation costs what the CPU does; ``disk``: a folder beside this script's
temp files on the machine's disk), each repeat copies the database afresh, then runs
``python -m wistia_sync publish --force --quiet`` from this tree (and from the ``--before`` tree,
``git archive REV wistia_sync | tar -x -C /tmp/before``, on its own database), then
``floor_publish.py`` reading the database the publish left, each into an empty folder. The floor's
tree and each publish's are compared file by file (the same set of paths, the same bytes): any
difference stops the run. It prints the median wall and CPU seconds (user + system, from
``wait4``) and the largest peak RSS (``ru_maxrss`` of the child) of each, with the ratios to the
floor, and the load average.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measured import run_measured

ROOT = Path(__file__).resolve().parent.parent

BENCH = ROOT / "benchmarks"
FLOOR = BENCH / "floor_publish.py"
TEMP = ".wistia-sync-tmp"
# In a child: this process stays small, for a child's ``ru_maxrss`` counts the peak of the
# process it was started from (vfork shares it until the exec).
CREATE_DATABASE = """
import importlib, sys
from pathlib import Path
importlib.import_module("wistia_sync.store.db").open_database(sys.argv[1], create=True).conn.close()
sys.path.insert(0, sys.argv[3])
from bench_publish import build_catalog
build_catalog(Path(sys.argv[1]), int(sys.argv[2]), migrate=False)
"""


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one process; it must succeed."""
    measured = run_measured(args, env, cwd)
    return measured.wall, measured.cpu, measured.peak_mb


def paths_of(root: Path) -> set[str]:
    paths = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != TEMP]
        paths.update(os.path.relpath(os.path.join(folder, name), root) for name in names)  # noqa: PTH118
    return paths


def compare(floor: Path, ours: Path, label: str) -> int:
    """The number of files, after checking both trees hold the same paths with the same bytes
    (two files in memory at a time: this process stays small)."""
    expected, actual = paths_of(floor), paths_of(ours)
    if expected != actual:
        missing, extra = expected - actual, actual - expected
        raise SystemExit(f"{label}: not the floor's files: missing {missing}, extra {extra}")
    differing = sorted(
        path for path in expected if (floor / path).read_bytes() != (ours / path).read_bytes()
    )
    if differing:
        raise SystemExit(
            f"{label}: {len(differing)} files differ from the floor's: {differing[:5]}"
        )
    return len(expected)


def measure(
    size: int, base: Path, trees: dict[str, Path], repeat: int, env: dict[str, str]
) -> dict[str, list[tuple[float, float, float]]]:
    databases = {}
    for name, tree in trees.items():
        database = base / f"{name}.db"
        creating = [sys.executable, "-c", CREATE_DATABASE, str(database), str(size), str(BENCH)]
        subprocess.run(creating, cwd=tree, check=True)
        databases[name] = database
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in [*trees, "floor"]}
    for attempt in range(repeat):
        for name, tree in trees.items():
            database, out = base / f"{name}-run.db", base / f"{name}-out"
            shutil.rmtree(out, ignore_errors=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(databases[name], database)
            publish_env = {**env, "WISTIA_SYNC_DB": str(database), "WISTIA_SYNC_OUTPUT": str(out)}
            command = [sys.executable, "-m", "wistia_sync", "publish", "--force", "--quiet"]
            runs[name].append(run(command, publish_env, cwd=tree))
            if name != "after" and attempt > 0:
                continue
            floor_out = base / "floor-out"
            shutil.rmtree(floor_out, ignore_errors=True)
            # The floor reads the database the publish left (for manifest.json's updated_at).
            floor = run([sys.executable, str(FLOOR), str(database), str(floor_out)], env, ROOT)
            if name == "after":
                runs["floor"].append(floor)
            if attempt == 0:
                files = compare(floor_out, out, f"{name}, {size:,} videos")
                print(f"  {name}: {files:,} files, byte-identical to the floor's", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--where", default="shm,disk")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a tree holding wistia_sync/ to compare")
    arguments = parser.parse_args()
    trees = {"after": ROOT}
    if arguments.before:
        trees = {"before": arguments.before.resolve(), **trees}
    for tree in trees.values():
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    places = {"shm": Path("/dev/shm"), "disk": Path(tempfile.gettempdir())}
    env = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
    loads = [os.getloadavg()[0]]
    results = {}
    for size in [int(size) for size in arguments.sizes.split(",")]:
        for where in arguments.where.split(","):
            print(f"{size:,} videos on {where}", flush=True)
            with tempfile.TemporaryDirectory(dir=places[where]) as folder:
                results[size, where] = measure(size, Path(folder), trees, arguments.repeat, env)
            loads.append(os.getloadavg()[0])
    print()
    print(f"load average (1 min) from {min(loads):.1f} to {max(loads):.1f}; medians of "
          f"{arguments.repeat} runs, peak RSS the largest")  # fmt: skip
    print()
    print("| videos | where | run | wall s | CPU s | peak RSS MB | wall / floor | CPU / floor |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for (size, where), runs in results.items():
        floor_wall = statistics.median(r[0] for r in runs["floor"])
        floor_cpu = statistics.median(r[1] for r in runs["floor"])
        for name in ["floor", *trees]:
            wall = statistics.median(r[0] for r in runs[name])
            cpu = statistics.median(r[1] for r in runs[name])
            peak = max(r[2] for r in runs[name])
            label = "floor script" if name == "floor" else f"`publish --force` ({name})"
            print(
                f"| {size:,} | {where} | {label} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | "
                f"{wall / floor_wall:.2f} | {cpu / floor_cpu:.2f} |"
            )


if __name__ == "__main__":
    main()
