"""Where a rebuild's memory peaks, step by step: ``publish_site(force=True)`` into an empty folder.

    python benchmarks/rebuild_memory.py [--size 300000] [--where /dev/shm] [--catalog DB]

Builds ``bench_publish.py``'s catalog of ``--size`` videos in a temp folder under ``--where``
(or copies ``--catalog``, one built before), publishes it in this process with each step below
wrapped, and prints, for each step, the resident set size when it (first) started and the
highest while it ran (a thread reads ``/proc/self/statm`` every millisecond; the process's
``ru_maxrss`` is printed beside them). Steps nest, as in ``rebuild_phases.py``. Target 3 of
issue 19 is the whole process's peak: ``bench_rebuild.py`` measures that beside the floor script.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog

from wistia_sync.publish import plan, site, snapshot, state
from wistia_sync.publish.output import OutputFolder
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path

STEPS: list[tuple[Any, str, str]] = [
    (site, "assign_slugs", "slugs assigned"),
    (site, "_plan", "plan (read transaction)"),
    (snapshot, "pending_changes", "  the pending changes"),
    (snapshot, "file_records", "  the file records read"),
    (OutputFolder, "names", "  the folder's names"),
    (plan._Planner, "read_videos", "  read the videos"),
    (snapshot, "published_videos", "    rendered"),
    (snapshot, "memberships", "    the recorded places"),
    (plan._Planner, "plan_playlists", "  plan the playlists"),
    (plan._Planner, "plan_video_files", "  plan the video files"),
    (plan._Planner, "plan_slug_lookup", "  the slug lookup"),
    (plan._Planner, "plan_seo_files", "  files for search engines"),
    (plan._Planner, "plan_indexes", "  the indexes"),
    (plan._Planner, "plan_search", "  the search index"),
    (plan._Planner, "read_page_records", "  the page records"),
    (plan._Planner, "retire_or_remove_unplanned_files", "  unplanned files"),
    (site, "_carry_out", "carry out"),
    (site, "_place_batch", "  durable, then renamed into place"),
    (state, "record_state", "  the publisher's state"),
    (state, "record_files", "  the file records"),
    (site.shards, "plan_shards", "  the file list"),
    (site, "_sweep", "sweep"),
]
PAGE = os.sysconf("SC_PAGE_SIZE")
STATM = Path("/proc/self/statm")


def rss() -> int:
    return int(STATM.read_text().split()[1]) * PAGE


class Sampler:
    """The resident set size every millisecond, as (monotonic time, bytes)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(0.001):
            self.samples.append((time.monotonic(), rss()))

    def highest(self, start: float, end: float) -> int:
        return max((size for at, size in self.samples if start <= at <= end), default=0)


Spans = dict[str, list[tuple[float, float, int]]]  # label -> (start, end, RSS at its start)


def _wrapped(function: Callable[..., Any], label: str, spans: Spans) -> Any:
    @functools.wraps(function)
    def sampled(*args: Any, **kwargs: Any) -> Any:
        at_start, started = rss(), time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            spans.setdefault(label, []).append((started, time.monotonic(), at_start))

    return sampled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=300_000)
    parser.add_argument("--where", type=Path, default=Path("/dev/shm"))
    parser.add_argument("--catalog", type=Path, help="a catalog built before, copied")
    arguments = parser.parse_args()
    sampler = Sampler()
    spans: Spans = {}
    for owner, name, label in STEPS:
        if hasattr(owner, name):  # an older tree may lack a step: its row shows "-"
            setattr(owner, name, _wrapped(getattr(owner, name), label, spans))
    folder = Path(tempfile.mkdtemp(dir=arguments.where))
    try:
        database = folder / "catalog.db"
        if arguments.catalog:
            shutil.copyfile(arguments.catalog, database)
        else:
            open_database(database, create=True).conn.close()
            build_catalog(database, arguments.size, migrate=False)
        db = open_database(database)
        before = rss()
        sampler.thread.start()
        site.publish_site(db, folder / "out", lock_path=publish_lock_path(database), force=True)
        sampler.stopped.set()
        db.conn.close()
    finally:
        shutil.rmtree(folder)
    mb = 1 << 20
    print(f"`publish --force` into an empty folder, in process; RSS before it {before / mb:.0f} MB")
    print()
    print("| step | RSS at its start, MB | highest while it ran, MB |")
    print("|---|---:|---:|")
    for _, _, label in STEPS:
        row = "- | -"
        if label in spans:
            at_start = spans[label][0][2]
            highest = max(max(sampler.highest(start, end), at) for start, end, at in spans[label])
            row = f"{at_start / mb:.0f} | {highest / mb:.0f}"
        print(f"| {label.replace('  ', '· ')} | {row} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"| the process's peak (ru_maxrss) | | {peak / mb:.0f} |")


if __name__ == "__main__":
    main()
