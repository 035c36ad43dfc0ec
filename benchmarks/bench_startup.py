"""Measure what editors and cron wait for at start-up, against the floor of the same run.

    python benchmarks/bench_startup.py [--sizes 1000,10000,100000] [--repeat 7]

For each catalog size it builds a database the way ``bench_publish.py`` does (500 tags, ~3 a
video, 50 folders, 5% hidden, 3% archived) and publishes it once; then it runs the installed
``wistia-sync`` in subprocesses, start to exit, ``--repeat`` times each:

- the floor, ``wistia-sync --version`` (answered before Typer is imported), ``--help``, and a
  bare interpreter (``python -c pass``);
- ``tag add VIDEO TAG`` and ``visibility hide VIDEO`` (republish included), a new video each time;
- ``publish`` with nothing changed.

Each figure is the median wall time and the median CPU time (user + system, from ``wait4``: it
depends far less on how busy the machine is), with its target (issue 19: an editor command
within the floor + 0.1 s, a no-op ``publish`` within the floor + 0.05 s, both measured in the same
run) and the ratio of what it adds to the floor to what the target allows. Then it breaks
the imports of ``tag add`` and of a no-op ``publish`` down with ``python -X importtime`` (the
least of 5 runs per module), into the groups docs/benchmarks.md reports.

The package is byte-compiled first, as an installed one is: an editable install under
``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every module on every run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from measured import run_measured

ENTRY = Path(sys.executable).parent / "wistia-sync"
EDITOR_OVER_FLOOR = 0.1  # issue 19: tag add / visibility hide, above the floor, at every size
NOOP_OVER_FLOOR = 0.05  # issue 19: publish with nothing to do, above the floor
HELP_TARGET = 0.12  # issue 11: --help and --version, median seconds

# How the import breakdown groups modules: the first prefix that matches a top-level import.
GROUPS = [
    ("typer (its vendored click, inspect, subprocess…)", ("typer",)),
    (
        "interpreter start-up and `site` (editable-install finder included)",
        ("site", "encodings", "_frozen_importlib_external", "zipimport", "_signal", "io", "runpy"),
    ),
    ("wistia_sync.cli (our command modules, coercion)", ("wistia_sync.cli",)),
    (
        "editing, browse, tags, db",
        ("wistia_sync.catalog.editing", "wistia_sync.catalog.videos", "wistia_sync.store.db"),
    ),
    ("the publisher (wistia_sync.job → publish/)", ("wistia_sync.job", "wistia_sync.publish")),
]


def run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process, start to exit; it must succeed."""
    measured = run_measured(args, env, cwd)
    return measured.wall, measured.cpu


def medians(runs: list[list[str]], env: dict[str, str]) -> tuple[float, float]:
    measured = [run(args, env) for args in runs]
    return (
        statistics.median(wall for wall, _ in measured),
        statistics.median(cpu for _, cpu in measured),
    )


def import_breakdown(args: list[str], env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Milliseconds of import time per group (the least of ``runs`` runs for each module).

    Each module's own time goes to the group of the nearest module, itself or an importer,
    that a group names: ``inspect`` imported by ``typer._click.core`` counts as Typer's.
    """
    least: dict[str, int] = defaultdict(lambda: 10**12)
    parents: dict[str, str | None] = {}
    for _ in range(runs):
        process = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "wistia_sync", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        waiting: list[tuple[int, str]] = []  # imported, not yet given to their importer
        for line in process.stderr.splitlines():
            found = re.match(r"import time:\s+(\d+) \|\s+\d+ \| (\s*)(\S+)", line)
            if not found:
                continue
            depth, module = len(found[2]) // 2, found[3]
            least[module] = min(least[module], int(found[1]))
            while waiting and waiting[-1][0] > depth:
                parents[waiting.pop()[1]] = module  # printed before the module importing it
            waiting.append((depth, module))
            parents.setdefault(module, None)

    def group_of(module: str | None) -> str:
        while module is not None:
            for name, prefixes in GROUPS:
                if module.startswith(prefixes):
                    return name
            module = parents.get(module)
        return "everything else"

    grouped: dict[str, float] = defaultdict(float)
    for module, micros in least.items():
        grouped[group_of(module)] += micros / 1000
    grouped["all imports"] = sum(least.values()) / 1000
    return grouped


def measure(size: int, repeat: int, base_env: dict[str, str]) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as folder:
        db, out = Path(folder) / "wistia.db", Path(folder) / "out"
        published = build_catalog(db, size)
        env = {**base_env, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
        run([str(ENTRY), "publish", "--force", "--quiet"], env)
        picks = random.Random(size).sample(published, 2 * repeat + 1)
        figures = {
            "floor": medians([[str(ENTRY), "--version"]] * repeat, env),
            "tag_add": medians(
                [[str(ENTRY), "tag", "add", video, "Benchmark tag"] for video in picks[:repeat]],
                env,
            ),
            "hide": medians(
                [[str(ENTRY), "visibility", "hide", video] for video in picks[repeat:-1]], env
            ),
            "noop": medians([[str(ENTRY), "publish", "--quiet"]] * repeat, env),
        }
        if size == SIZES_FOR_BREAKDOWN[0]:
            BREAKDOWNS["tag add"] = import_breakdown(["tag", "add", picks[-1], "Another"], env)
            BREAKDOWNS["publish, nothing changed"] = import_breakdown(["publish", "--quiet"], env)
        return figures


SIZES_FOR_BREAKDOWN: list[int] = []
BREAKDOWNS: dict[str, dict[str, float]] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    SIZES_FOR_BREAKDOWN.append(sizes[0])
    compileall.compile_dir(ROOT / "wistia_sync", quiet=1)
    env = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
    load_before = os.getloadavg()
    repeat = arguments.repeat
    bare = medians([[sys.executable, "-c", "pass"]] * repeat, env)
    version = medians([[str(ENTRY), "--version"]] * repeat, env)
    help_ = medians([[str(ENTRY), "--help"]] * repeat, env)
    results = {size: measure(size, repeat, env) for size in sizes}
    load_after = os.getloadavg()

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(f"load average: {load_before[0]:.2f} at start, {load_after[0]:.2f} at the end")
    print()
    print("| figure | wall (median) | CPU (median) | target | ratio (wall) | ratio (CPU) |")
    print("|---|---:|---:|---|---:|---:|")
    print(f"| bare interpreter (`python -c pass`) | {bare[0]:.3f} s | {bare[1]:.3f} s | | | |")
    for name, (wall, cpu) in (("`--version`", version), ("`--help`", help_)):
        ratios = f"{wall / HELP_TARGET:.2f} | {cpu / HELP_TARGET:.2f}"
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | ≤ {HELP_TARGET} s | {ratios} |")
    for size in sizes:
        figures = results[size]
        floor_wall, floor_cpu = figures["floor"]
        label = f"{size:,} videos: floor (`--version`)"
        print(f"| {label} | {floor_wall:.3f} s | {floor_cpu:.3f} s | | | |")
        for key, label, limit in (
            ("tag_add", "`tag add`", EDITOR_OVER_FLOOR),
            ("hide", "`visibility hide`", EDITOR_OVER_FLOOR),
            ("noop", "`publish`, nothing changed", NOOP_OVER_FLOOR),
        ):
            wall, cpu = figures[key]
            extra, extra_cpu = wall - floor_wall, cpu - floor_cpu
            cells = [
                f"{size:,} videos: {label}",
                f"{wall:.3f} s = floor + {extra:.3f} s",
                f"{cpu:.3f} s = floor + {extra_cpu:.3f} s",
                f"≤ floor + {limit} s",
                f"{extra / limit:.2f}",
                f"{extra_cpu / limit:.2f}",
            ]
            print("| " + " | ".join(cells) + " |")
    print()
    print(f"Imports at {sizes[0]:,} videos (ms, least of 5 runs; `python -X importtime`):")
    print()
    commands = list(BREAKDOWNS)
    print("| imported | " + " | ".join(f"`{name}`" for name in commands) + " |")
    print("|---|" + "---:|" * len(commands))
    for group in [*(name for name, _ in GROUPS), "everything else", "all imports"]:
        cells = [f"{BREAKDOWNS[name].get(group, 0.0):.1f}" for name in commands]
        print(f"| {group} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
