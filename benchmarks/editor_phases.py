"""An editor process's CPU, split: interpreter start-up, imports, the command, and the exit.

    python benchmarks/editor_phases.py [--size 10000] [--repeat 7] [--before TREE]

Builds ``bench_publish.py``'s catalog and publishes it, then runs ``visibility hide`` and ``tag
add`` (a new video each) as processes that take ``time.process_time`` before their imports,
after them (every module the command imports: ``cli.quickedit``, ``job``, ``publish.site``,
``store.db``, ``catalog.editing``) and once the command is done, then end as the installed
command ends; the rest of the process's CPU (from ``wait4``) is the exit. A tree with
``cli.shortlived`` runs the command through ``entry.script`` (the command is done when
``shortlived.end_process`` is called: the exit is what that function and the kernel do); an
older one through ``run_quick_edit``, done when it returns, its exit the interpreter's teardown
after an ``atexit`` handler. ``--before TREE`` (a ``git archive`` of another revision's
``wistia_sync``) runs that tree too, alternating, each tree on its own copy of the catalog.
Medians in milliseconds; what start-up costs is ``--version``'s floor in ``bench_startup.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
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
def report(ran):
    phases = f"{started} {imported - started} {ran - imported}"
    os.write(2, f"PHASES {phases}".encode())
try:
    from wistia_sync.cli import shortlived
except ImportError:  # a tree before it: the command, then the interpreter's teardown
    code = quickedit.run_quick_edit(sys.argv[1:])
    ran = time.process_time()
    atexit.register(report, ran)
    sys.exit(code)
end_process = shortlived.end_process
def report_then_end(code, **options):
    report(time.process_time())
    end_process(code, **options)
shortlived.end_process = report_then_end
sys.argv[0] = "wistia-sync"
from wistia_sync.cli.entry import script
script()
"""
PHASES = ("the process", "start-up", "imports", "the command", "exit")


def run_phases(args: list[str], env: dict[str, str], tree: Path) -> list[float]:
    process = subprocess.Popen(
        [sys.executable, "-c", PROCESS, *args],
        env=env,
        cwd=tree,
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
    parser.add_argument("--before", type=Path, help="a tree holding another wistia_sync/")
    arguments = parser.parse_args()
    trees = {"after": ROOT}
    if arguments.before is not None:
        trees = {"before": arguments.before.resolve(), **trees}
    with tempfile.TemporaryDirectory() as folder:
        base = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
        db = Path(folder) / "wistia.db"
        published = build_catalog(db, arguments.size)
        envs: dict[str, dict[str, str]] = {}
        for name, tree in trees.items():
            copy, out = Path(folder) / f"{name}.db", Path(folder) / f"{name}-out"
            shutil.copy(db, copy)
            envs[name] = {**base, "WISTIA_SYNC_DB": str(copy), "WISTIA_SYNC_OUTPUT": str(out)}
            publish = [sys.executable, "-m", "wistia_sync", "publish", "--force"]
            run_measured(publish, envs[name], tree)
        picks = iter(random.Random(2).sample(published, 2 * arguments.repeat))
        measured: dict[tuple[str, str], list[list[float]]] = {
            (name, command): [] for name in trees for command in ("visibility hide", "tag add")
        }
        load_before = os.getloadavg()[0]
        for _ in range(arguments.repeat):
            hide = ["visibility", "hide", next(picks), "--quiet"]
            tag = ["tag", "add", next(picks), "Benchmark tag", "--quiet"]
            for name, tree in trees.items():  # the same change in each tree's copy
                measured[name, "visibility hide"].append(run_phases(hide, envs[name], tree))
                measured[name, "tag add"].append(run_phases(tag, envs[name], tree))
    load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    print(f"{arguments.size:,} videos, {arguments.repeat} runs each, {load}")
    print()
    print("| tree | command | " + " | ".join(PHASES) + " |")
    print("|---|---|" + "---:|" * len(PHASES))
    for (name, command), runs in measured.items():
        medians = [1000 * statistics.median(run[i] for run in runs) for i in range(len(PHASES))]
        cells = " | ".join(f"{value:.1f} ms" for value in medians)
        print(f"| {name} | `{command}` | {cells} |")


if __name__ == "__main__":
    main()
