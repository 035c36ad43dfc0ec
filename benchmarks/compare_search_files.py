"""Whether two source trees publish the same search index, byte for byte, through edits.

    git archive main wistia_sync | tar -x -C /tmp/before
    python benchmarks/compare_search_files.py --before /tmp/before [--size 10000] [--edits 12]

Builds ``bench_publish.py``'s catalog once per tree (each in a database its own code migrates),
publishes it whole with each (``publish --force``), then runs the same editor lines in both
(``visibility hide`` and ``tag add`` alternating, a new video each, republish included) and after
each compares every file under ``search/`` and ``search.js``: the trees must agree on every
byte. Prints the CPU seconds of each tree's first publish (median of the build, one a tree) and
of the edits (median), and the search files and bytes an edit wrote.
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
from compare_startup import CREATE_DATABASE, run_in


def search_files(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every search file: bytes and mtime (to tell which an edit wrote)."""
    found = {}
    for path in [*sorted((out / "search").glob("*.json")), out / "search.js"]:
        if path.exists():
            found[str(path.relative_to(out))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def contents(out: Path) -> dict[str, bytes]:
    return {path: content for path, (content, _) in search_files(out).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=12)
    arguments = parser.parse_args()
    trees = {"before": arguments.before.resolve(), "after": ROOT}
    for tree in trees.values():
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        base = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
        envs, outs, builds = {}, {}, {}
        published: list[str] = []
        for name, tree in trees.items():
            db, outs[name] = Path(folder) / f"{name}.db", Path(folder) / f"{name}-out"
            creating = [sys.executable, "-c", CREATE_DATABASE, "wistia_sync.store.db", str(db)]
            run(creating, base, cwd=tree)
            published = build_catalog(db, arguments.size, migrate=False)
            envs[name] = {**base, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(outs[name])}
            builds[name] = run_in(tree, ["publish", "--force", "--quiet"], envs[name])[1]
        if contents(outs["before"]) != contents(outs["after"]):
            raise SystemExit("the rebuilds differ")
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        written: list[tuple[int, int]] = []
        for step, video in enumerate(random.Random(5).sample(published, arguments.edits)):
            line = ["visibility", "hide", video] if step % 2 else ["tag", "add", video, "Topic"]
            previous = search_files(outs["after"])
            for name, tree in trees.items():
                cpu[name].append(run_in(tree, [*line, "--quiet"], envs[name])[1])
            if contents(outs["before"]) != contents(outs["after"]):
                raise SystemExit(f"the search files differ after `{' '.join(line[:2])}`")
            new = [
                content
                for path, (content, mtime) in search_files(outs["after"]).items()
                if previous.get(path, (b"", -1))[1] != mtime
            ]
            written.append((len(new), sum(len(content) for content in new)))
    print(f"{arguments.size:,} videos, {arguments.edits} edits, load average {load:.1f} at start")
    print("every search file byte-identical after the rebuild and after each edit")
    print()
    print("| | before | after | after / before |")
    print("|---|---:|---:|---:|")
    print(
        f"| `publish --force`, CPU | {builds['before']:.2f} s | {builds['after']:.2f} s "
        f"| {builds['after'] / builds['before']:.2f} |"
    )
    edits = {name: statistics.median(values) for name, values in cpu.items()}
    print(
        f"| an edit, CPU (median) | {edits['before']:.3f} s | {edits['after']:.3f} s "
        f"| {edits['after'] / edits['before']:.2f} |"
    )
    files = statistics.median(f for f, _ in written)
    size = statistics.median(b for _, b in written)
    print(f"\nsearch files an edit wrote (median): {files:.0f}, {size / 1000:.1f} kB")


if __name__ == "__main__":
    main()
