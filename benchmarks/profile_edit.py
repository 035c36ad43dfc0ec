"""Where an editor command's CPU goes once its modules are imported: the edit and each stage of
its publish.

    python benchmarks/profile_edit.py [--size 10000] [--edits 15] [--command tag|hide]

Builds ``bench_publish.py``'s catalog of ``--size`` videos and publishes it, then in this one
process runs ``--edits`` plain editor lines (``tag add VIDEO TAG`` or ``visibility hide VIDEO``,
a new video each, republish included) through ``cli.quickedit.run_quick_edit``, the function
the entry point runs, and prints the CPU milliseconds (``time.process_time``: every thread of
the process) an edit spends in each function named below, as a median. The modules are imported
once, before the first edit: their cost is ``bench_startup.py``'s import breakdown. Stages nest
(``publish_and_deliver`` holds the others), so the rows do not add up.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from measured import run_measured

# (module, attribute): functions looked up by the module that calls them, so each is replaced
# where it is called from.
STAGES = [
    ("wistia_sync.cli.editor", "editor_delivery"),
    ("wistia_sync.cli.editor", "change_tags"),
    ("wistia_sync.cli.editor", "change_visibility"),
    ("wistia_sync.job", "publish_and_deliver"),
    ("wistia_sync.publish.site", "_planned"),
    ("wistia_sync.publish.site", "preview_page_files"),
    ("wistia_sync.publish.plan", "tags_index_file"),
    ("wistia_sync.publish.site", "_carry_out"),
    ("wistia_sync.publish.site", "_place_batch"),
    ("wistia_sync.publish.site", "_place_shards"),
    ("wistia_sync.publish.shards", "plan_shards"),
    ("wistia_sync.publish.output", "_fdatasync_all"),
    ("wistia_sync.publish.state", "generation"),
    ("wistia_sync.publish.state", "record_state"),
    ("wistia_sync.publish.search_index", "_plan_term_shards"),
    ("wistia_sync.publish.search_index", "_plan_records"),
    ("wistia_sync.publish.search_index", "_plan_entry"),
    ("wistia_sync.publish.search_index", "client_files"),
    ("wistia_sync.publish.snapshot", "buckets"),
    ("wistia_sync.publish.site", "_place_if_changed"),
    ("wistia_sync.publish.site", "unlisted_shards"),
    ("wistia_sync.publish.shards", "listed_files"),
    ("wistia_sync.publish.plan", "slug_lookup_files"),
    ("wistia_sync.publish.pagelists", "plan_page_lists"),
    ("wistia_sync.publish.window", "read_window"),  # not in a tree before the windowed plan
]
PLANNER_STEPS = ("read_videos", "plan_playlists", "plan_video_files", "plan_indexes", "plan_search")


def timed(function: Callable[..., Any], name: str, spent: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(function)
    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started

    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--command", choices=("tag", "hide"), default="tag")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db, out = Path(folder) / "wistia.db", Path(folder) / "out"
        published = build_catalog(db, arguments.size)
        os.environ.update({"WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)})
        publish = [sys.executable, "-m", "wistia_sync", "publish", "--force", "--quiet"]
        run_measured(publish, dict(os.environ), ROOT)
        from wistia_sync.cli.quickedit import run_quick_edit
        from wistia_sync.publish import plan

        per_edit: dict[str, list[float]] = defaultdict(list)
        spent: dict[str, float] = defaultdict(float)
        for module_name, attribute in STAGES:
            try:  # the same script measures an older tree, which may lack a stage
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            original = getattr(module, attribute)
            setattr(module, attribute, timed(original, attribute, spent))
        for step in PLANNER_STEPS:
            original = getattr(plan._Planner, step)
            setattr(plan._Planner, step, timed(original, f"plan: {step}", spent))
        load_before = os.getloadavg()[0]
        for video in random.Random(arguments.size).sample(published, arguments.edits):
            spent.clear()
            line = ["tag", "add", video, "Benchmark tag"]
            if arguments.command == "hide":
                line = ["visibility", "hide", video]
            started = time.process_time()
            if run_quick_edit([*line, "--quiet"]) != 0:
                raise SystemExit(f"{line} failed")
            per_edit["the whole edit (run_quick_edit)"].append(time.process_time() - started)
            for name, seconds in spent.items():
                per_edit[name].append(seconds)
        load_after = os.getloadavg()[0]
    print(
        f"{arguments.size:,} videos, `{' '.join(line[:2])}`, median of {arguments.edits} edits, "
        f"load average {load_before:.1f} → {load_after:.1f}"
    )
    print()
    print("| stage | CPU (median) |")
    print("|---|---:|")
    for name, values in sorted(per_edit.items(), key=lambda item: -statistics.median(item[1])):
        print(f"| {name} | {1000 * statistics.median(values):.1f} ms |")


if __name__ == "__main__":
    main()
