"""A rebuild (``publish --force`` into an empty folder) beside the floor script, in the same run.

    python benchmarks/bench_rebuild.py [--sizes 10000,100000] [--where shm,disk] [--repeat 7]
        [--before /tmp/before] [--published]

For each catalog size (``bench_publish.py``'s catalog) and each place (``shm``: tmpfs under
/dev/shm, where file creation costs what the CPU does; ``disk``: a folder beside this script's
temp files on the machine's disk), it builds the catalog once, publishes a copy of it once (a
warm-up, and the database the floor reads, for ``manifest.json``'s ``updated_at``), runs
``floor_publish.py`` on it and compares the two trees file by file (the same set of paths, the
same bytes: any difference stops the run).

Then each repeat runs, in turn, ``floor_publish.py`` and ``python -m wistia_sync publish --force
--quiet`` from this tree (and from the ``--before`` tree, ``git archive REV wistia_sync | tar -x
-C /tmp/before``, on its own catalog), the order rotating each repeat, every run prepared the
same way: a fresh copy of its database in a folder of its own (read once, so the page cache
holds it), an empty output folder, and nothing left of the previous run (its folder, database
and tree are removed before the next starts: a file system holding another run's 100k-file tree
makes file creation cost more). With ``--published`` each publish rebuilds the database its
tree published once, as an operator's ``publish --force`` does (the last publish's records and
places are read); without it, the never-published catalog. The floor's CPU moves with the
machine's state as much as the publish's does, so each publish is set beside the floor run next
to it: the table gives the median of each figure, the median of those paired ratios and their
spread (lowest to highest).

CPU seconds are user + system from ``wait4``; peak RSS is ``ru_maxrss`` of the child (the
largest over the repeats; this process stays small: a child started by ``vfork`` reports its
parent's peak too); wall seconds are the load's.
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
from collections.abc import Callable
from pathlib import Path

from measured import Measured, run_measured

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
PUBLISH = [sys.executable, "-m", "wistia_sync", "publish", "--force", "--quiet"]


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


def copy_database(source: Path, target: Path) -> None:
    """A fresh copy of a closed database (no WAL beside it), read once into the page cache."""
    shutil.copyfile(source, target)
    with target.open("rb") as handle:
        while handle.read(1 << 20):
            pass


def publish_env(env: dict[str, str], database: Path, out: Path) -> dict[str, str]:
    return {**env, "WISTIA_SYNC_DB": str(database), "WISTIA_SYNC_OUTPUT": str(out)}


def checkpointed(database: Path) -> None:
    """Fold the WAL a publish left into the database file, so a plain copy of it is whole."""
    code = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint')"
    subprocess.run([sys.executable, "-c", code, str(database)], check=True)


def prepare(
    size: int, base: Path, trees: dict[str, Path], env: dict[str, str], *, published: bool
) -> dict[str, Path]:
    """Each tree's catalog (``published``: as that tree published it once), and the database
    the floor reads: the catalog published once (its tree checked against the floor's, byte
    for byte)."""
    sources = {}
    for name, tree in trees.items():
        database = base / f"{name}.db"
        creating = [sys.executable, "-c", CREATE_DATABASE, str(database), str(size), str(BENCH)]
        subprocess.run(creating, cwd=tree, check=True)
        sources[name] = database
        once, out, floor_out = base / f"{name}-published.db", base / "out", base / "floor-out"
        copy_database(database, once)
        run_measured(PUBLISH, publish_env(env, once, out), tree)
        checkpointed(once)
        run_measured([sys.executable, str(FLOOR), str(once), str(floor_out)], env, ROOT)
        files = compare(floor_out, out, f"{name}, {size:,} videos")
        print(f"  {name}: {files:,} files, byte-identical to the floor's", flush=True)
        shutil.rmtree(out)
        shutil.rmtree(floor_out)
        if name == "after":
            sources["floor"] = once
        if published:
            sources[name] = once
        elif name != "after":
            once.unlink()
    return sources


def measure(
    size: int,
    base: Path,
    trees: dict[str, Path],
    repeat: int,
    env: dict[str, str],
    *,
    published: bool,
) -> dict[str, list[Measured]]:
    sources = prepare(size, base, trees, env, published=published)
    names = ["floor", *trees]
    runs: dict[str, list[Measured]] = {name: [] for name in names}
    for attempt in range(repeat):
        turn = attempt % len(names)
        for name in names[turn:] + names[:turn]:
            folder = base / "run"
            folder.mkdir()
            database, out = folder / "catalog.db", folder / "out"
            copy_database(sources[name], database)
            if name == "floor":
                measured = run_measured(
                    [sys.executable, str(FLOOR), str(database), str(out)], env, ROOT
                )
            else:
                measured = run_measured(PUBLISH, publish_env(env, database, out), trees[name])
            runs[name].append(measured)
            shutil.rmtree(folder)
        row = "  ".join(f"{name} {runs[name][-1].cpu:.2f}" for name in names)
        print(f"  repeat {attempt + 1}: CPU s {row}", flush=True)
    return runs


def spread(values: list[float], show: Callable[[float], str]) -> str:
    return f"{show(statistics.median(values))} ({show(min(values))}-{show(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--where", default="shm,disk")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--before", type=Path, help="a tree holding wistia_sync/ to compare")
    parser.add_argument(
        "--published",
        action="store_true",
        help="rebuild the database each tree published once (an operator's publish --force: "
        "the last publish's records and places are read), not a never-published catalog",
    )
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
                results[size, where] = measure(
                    size, Path(folder), trees, arguments.repeat, env, published=arguments.published
                )
            loads.append(os.getloadavg()[0])
    print()
    print(f"load average (1 min) from {min(loads):.1f} to {max(loads):.1f}; medians of "
          f"{arguments.repeat} runs (lowest-highest), peak RSS the largest; each ratio is a "
          "publish's over the floor run beside it")  # fmt: skip
    print()
    print("| videos | where | run | wall s | CPU s | peak RSS MB | wall / floor | CPU / floor |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for (size, where), runs in results.items():
        floor = runs["floor"]
        for name in ["floor", *trees]:
            ours = runs[name]
            peak = max(r.peak_mb for r in ours)
            label = "floor script" if name == "floor" else f"`publish --force` ({name})"
            wall = spread([r.wall for r in ours], "{:.2f}".format)
            cpu = spread([r.cpu for r in ours], "{:.2f}".format)
            if name == "floor":
                ratios = "1.00 | 1.00"
            else:
                wall_ratio = spread(
                    [r.wall / f.wall for r, f in zip(ours, floor, strict=True)], "{:.2f}".format
                )
                cpu_ratio = spread(
                    [r.cpu / f.cpu for r, f in zip(ours, floor, strict=True)], "{:.2f}".format
                )
                ratios = f"{wall_ratio} | **{cpu_ratio}**"
            print(f"| {size:,} | {where} | {label} | {wall} | {cpu} | {peak:.0f} | {ratios} |")


if __name__ == "__main__":
    main()
