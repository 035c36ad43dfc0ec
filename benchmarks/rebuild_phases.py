"""Where a rebuild's CPU goes, step by step: ``publish_site(force=True)`` into an empty folder.

    python benchmarks/rebuild_phases.py [--size 100000] [--where /dev/shm] [--catalog DB]

Builds ``bench_publish.py``'s catalog of ``--size`` videos in a temp folder under ``--where``
(tmpfs by default: file creation then costs what the CPU does), or copies ``--catalog`` there
(one built before, or published once: the database an operator's rebuild reads), publishes it
once in this process with each step below wrapped, and prints the CPU milliseconds (user +
system, from ``getrusage``: the process's, threads included) each step took. Steps nest
(``_carry_out`` holds ``_place_batch`` and the state), so the rows do not add up; ``total`` is
the publish. The modules are imported before the clock starts. Run it from two trees (``git
archive REV wistia_sync benchmarks``), before and after a change, and compare the rows: one run
on a shared machine moves by 10-20%.
"""

from __future__ import annotations

import argparse
import functools
import resource
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog

from wistia_sync.publish import plan, site, snapshot, staged_rows, state
from wistia_sync.publish.output import OutputFolder
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path

# (owner, attribute, label): each looked up where it is called from.
STEPS: list[tuple[Any, str, str]] = [
    (site, "_plan", "plan (read transaction)"),
    (snapshot, "file_records", "  the file records read"),
    (OutputFolder, "names", "  the folder's names"),
    (plan._Planner, "read_videos", "  read and render the videos"),
    (snapshot, "published_videos", "    published_videos"),
    (snapshot, "memberships", "    the recorded places"),
    (plan._Planner, "plan_playlists", "  plan the playlists"),
    (plan, "_deltas", "    the playlists' arrivals"),
    (plan, "_Loader", "    sort each playlist's members"),
    (plan._Planner, "_plan_pages", "    render and stage the pages"),
    (staged_rows, "add_members", "    hold the buckets and pages (temp tables)"),
    (plan._Planner, "plan_video_files", "  plan the video files"),
    (staged_rows, "add_texts", "    hold the texts (temp table)"),
    (plan._Planner, "plan_caption_files", "    caption files"),
    (plan._Planner, "plan_slug_lookup", "  the slug lookup"),
    (plan._Planner, "plan_search", "  the search index"),
    (plan._Planner, "retire_or_remove_unplanned_files", "  unplanned files"),
    (plan._Planner, "take_down_pages", "  pages taken down"),
    (plan._Planner, "remove_expired", "  expired pages"),
    (plan._Files, "add", "  hash, compare and stage every file"),
    (OutputFolder, "stage", "    write the temp files"),
    (site, "_carry_out", "carry out"),
    (site, "_place_batch", "  durable, then renamed into place"),
    (OutputFolder, "place_temp", "    renames"),
    (staged_rows, "record_pages", "    the new pages' rows"),
    (state, "record_state", "  the publisher's state"),
    (state, "record_files", "  the file records"),
    (site.shards, "plan_shards", "  the file list"),
    (site, "_place_shards", "  its shards placed"),
    (site, "_sweep", "sweep"),
    (site, "_result", "result"),
]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wrapped(function: Callable[..., Any], label: str, spent: dict[str, float]) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = _cpu()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += _cpu() - started

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--where", type=Path, default=Path("/dev/shm"))
    parser.add_argument(
        "--catalog", type=Path, help="a catalog built before (or published), copied"
    )
    arguments = parser.parse_args()
    spent: dict[str, float] = defaultdict(float)
    for owner, name, label in STEPS:
        if hasattr(owner, name):  # an older tree may lack a step: its row shows "-"
            setattr(owner, name, _wrapped(getattr(owner, name), label, spent))
    folder = Path(tempfile.mkdtemp(dir=arguments.where))
    try:
        database = folder / "catalog.db"
        if arguments.catalog:
            shutil.copyfile(arguments.catalog, database)
        else:
            open_database(database, create=True).conn.close()
            build_catalog(database, arguments.size, migrate=False)
        db = open_database(database)
        started = _cpu()
        site.publish_site(db, folder / "out", lock_path=publish_lock_path(database), force=True)
        total = _cpu() - started
        db.conn.close()
    finally:
        shutil.rmtree(folder)
    catalog = arguments.catalog or f"{arguments.size:,} videos"
    print(f"{catalog}, `publish --force` into an empty folder, in process")
    print()
    print("| step | CPU ms |")
    print("|---|---:|")
    for owner, name, label in STEPS:
        figure = f"{spent[label] * 1000:.0f}" if hasattr(owner, name) else "-"
        print(f"| {label.replace('  ', '· ')} | {figure} |")
    print(f"| total | {total * 1000:.0f} |")


if __name__ == "__main__":
    main()
