"""What compiled bytecode is worth at start-up, in the same run: the package without
``__pycache__`` (an editable install under ``PYTHONDONTWRITEBYTECODE=1``, or a read-only
checkout, compiles every module in memory on every run) against the same files compiled.

    python benchmarks/bench_bytecode.py [--size 1000] [--repeat 9]

Two copies of ``wistia_sync/`` go to a temporary folder, one byte-compiled (``compileall``, what
``pip install .`` does), one not, and each runs ``python -m wistia_sync`` from its copy, with
``PYTHONDONTWRITEBYTECODE=1``, alternating: ``--version``, a no-op ``publish`` and ``tag add``
on a catalog built as ``bench_publish.py`` builds it. Prints the median CPU seconds (user +
system) of each, and the ratio compiled / not compiled.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from bench_startup import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        trees = {"compiled": Path(folder) / "compiled", "not compiled": Path(folder) / "plain"}
        for tree in trees.values():
            shutil.copytree(
                ROOT / "wistia_sync", tree / "wistia_sync", ignore=shutil.ignore_patterns("*.pyc")
            )
        compileall.compile_dir(trees["compiled"] / "wistia_sync", quiet=1)
        db, out = Path(folder) / "wistia.db", Path(folder) / "out"
        published = build_catalog(db, arguments.size)
        env = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
        env |= {"WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        python = [sys.executable, "-m", "wistia_sync"]
        run([*python, "publish", "--force", "--quiet"], env, cwd=trees["compiled"])
        picks = iter(random.Random(3).sample(published, 2 * arguments.repeat))
        commands = ("--version", "publish, nothing changed", "tag add")
        cpu: dict[str, dict[str, list[float]]] = {name: {c: [] for c in commands} for name in trees}
        for _ in range(arguments.repeat):
            for name, tree in trees.items():
                lines = {
                    "--version": ["--version"],
                    "publish, nothing changed": ["publish", "--quiet"],
                    "tag add": ["tag", "add", next(picks), "Benchmark tag", "--quiet"],
                }
                for command, line in lines.items():
                    cpu[name][command].append(run([*python, *line], env, cwd=tree)[1])
    load_after = os.getloadavg()[0]
    print(
        f"{arguments.size:,} videos, {arguments.repeat} runs each, PYTHONDONTWRITEBYTECODE=1, "
        f"load average {load_before:.1f} at start, {load_after:.1f} at the end"
    )
    print()
    print("| command | not compiled: CPU | compiled: CPU | compiled / not compiled |")
    print("|---|---:|---:|---:|")
    for command in commands:
        plain = statistics.median(cpu["not compiled"][command])
        compiled = statistics.median(cpu["compiled"][command])
        print(f"| `{command}` | {plain:.3f} s | {compiled:.3f} s | {compiled / plain:.2f} |")


if __name__ == "__main__":
    main()
