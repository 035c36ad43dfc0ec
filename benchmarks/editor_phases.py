"""An editor process's CPU, split: interpreter start-up, imports, the command, and the exit.

    python benchmarks/editor_phases.py [--size 10000] [--repeat 7]

Builds ``bench_publish.py``'s catalog and publishes it, then runs ``visibility hide`` and ``tag
add`` (a new video each) as processes that take ``time.process_time`` before their imports,
after them (every module the command imports: ``cli.quickedit``, ``job``, ``publish.site``,
``store.db``, ``catalog.editing``), after ``run_quick_edit`` returns and in an ``atexit``
handler; the rest of the process's CPU (from ``wait4``) is what the interpreter spends tearing
down. Medians in milliseconds; what start-up costs is ``--version``'s floor in
``bench_startup.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from measured import run_measured

PROCESS = """
import atexit, os, sys, time
started = time.process_time()
from wistia_sync.cli import quickedit
import wistia_sync.catalog.editing, wistia_sync.job, wistia_sync.publish.site, wistia_sync.store.db
imported = time.process_time()
def report():
    phases = f"{started} {imported - started} {ran - imported} {time.process_time() - ran}"
    os.write(2, f"PHASES {phases}".encode())
atexit.register(report)
code = quickedit.run_quick_edit(sys.argv[1:])
ran = time.process_time()
sys.exit(code)
"""
PHASES = ("the process", "start-up", "imports", "the command", "exit")


def run_phases(args: list[str], env: dict[str, str]) -> list[float]:
    process = subprocess.Popen(
        [sys.executable, "-c", PROCESS, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stderr is not None
    error = process.stderr.read()
    if status != 0 or "PHASES " not in error:
        raise SystemExit(f"{args} failed: {error.strip()}")
    started, *phases = (float(value) for value in error.split("PHASES ")[1].split())
    whole = usage.ru_utime + usage.ru_stime
    return [whole, started, *phases[:2], whole - started - sum(phases[:2])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db, out = Path(folder) / "wistia.db", Path(folder) / "out"
        published = build_catalog(db, arguments.size)
        base = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
        env = {**base, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
        run_measured([sys.executable, "-m", "wistia_sync", "publish", "--force"], env, ROOT)
        picks = iter(random.Random(2).sample(published, 2 * arguments.repeat))
        measured: dict[str, list[list[float]]] = {"visibility hide": [], "tag add": []}
        load_before = os.getloadavg()[0]
        for _ in range(arguments.repeat):
            hide = ["visibility", "hide", next(picks), "--quiet"]
            measured["visibility hide"].append(run_phases(hide, env))
            tag = ["tag", "add", next(picks), "Benchmark tag", "--quiet"]
            measured["tag add"].append(run_phases(tag, env))
    load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    print(f"{arguments.size:,} videos, {arguments.repeat} runs each, {load}")
    print()
    print("| command | " + " | ".join(PHASES) + " |")
    print("|---|" + "---:|" * len(PHASES))
    for command, runs in measured.items():
        medians = [1000 * statistics.median(run[i] for run in runs) for i in range(len(PHASES))]
        print(f"| `{command}` | " + " | ".join(f"{value:.1f} ms" for value in medians) + " |")


if __name__ == "__main__":
    main()
