"""Account for every byte one edit writes: each file, its kind and the playlist it belongs to.

    python benchmarks/edit_accounting.py [--sizes 10000,100000] [--repeat 3] [--baseline REF]

Builds ``bench_publish.py``'s catalog (500 tags, about 3 a video, 50 folders) at each size,
publishes it, makes the same ``repeat`` ``tag add`` and ``visibility hide`` edits as
``bench_publish.py --edit-bytes`` and prints, for the median edit, every file it wrote with its
size, by kind, and the playlist each entry file, page and page-list chunk belongs to.
``--baseline REF`` does the same with that commit's CLI on the same catalog (``--tree DIR``:
with the ``wistia_sync`` package in DIR instead). Bytes do not depend on the load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import EDIT_KINDS, build_catalog, create_in, edit_kind, extract_tree, run_tree

from wistia_sync.contract.filelist import read_local_file_list


@dataclass
class Written:
    path: str
    kind: str
    playlist: str
    size: int


def playlist_of(out: Path, path: str) -> str:
    """The playlist (kind:key) a page, page-list chunk or entry file belongs to; else ``-``."""
    if path.startswith(("pages/", "page-lists/")):
        body = json.loads((out / path).read_bytes())
        return f"{body['kind']}:{body['key']}"
    if path == "videos.json":
        return "all"
    if path.startswith(("tags/", "folders/")):
        folder, _, name = path.partition("/")
        return f"{folder[:-1]}:{name.removesuffix('.json')}"
    return "-"


def region(path: str) -> str:
    """The part of the file list a path is in: its folder (``/``: the root)."""
    return path.rpartition("/")[0] or "/"


def shard_regions(out: Path, files: list[Written]) -> str:
    """How many file-list shards the edit rewrote in each region (a shard spanning two counts in
    each)."""
    counts: dict[str, int] = {}
    for file in files:
        if file.kind == "file-list shards":
            listed = json.loads((out / file.path).read_bytes())["files"]
            for name in sorted({region(path) for path in listed}):
                counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def account(
    db_path: Path, work: Path, published: list[str], size: int, repeat: int, tree: Path | None
) -> None:
    name = "current" if tree is None else tree.name
    db, out = work / f"{name}.db", work / f"{name}-out"
    source, target = sqlite3.connect(db_path), sqlite3.connect(db)
    source.backup(target)
    source.close(), target.close()
    env = {**os.environ, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
    run_tree(tree, ["publish", "--force", "--quiet"], env)
    picks = random.Random(size + 3).sample(published, 2 * repeat)  # as bench_publish.py
    edits = {
        "tag add": [["tag", "add", video, "Edit bytes", "--json"] for video in picks[:repeat]],
        "hide": [["visibility", "hide", video, "--json"] for video in picks[repeat:]],
    }
    for edit, commands in edits.items():
        runs: list[tuple[int, str, list[Written], str]] = []
        for args in commands:
            listed = set(read_local_file_list(out)[0].files)
            paths = json.loads(run_tree(tree, args, env))["publish"]["cache"]
            moved = listed ^ set(read_local_file_list(out)[0].files)
            files = [
                Written(path, edit_kind(path), playlist_of(out, path), (out / path).stat().st_size)
                for path in paths
            ]
            regions = f"{shard_regions(out, files)}; paths the list gained or lost: " + ", ".join(
                f"{name} {count}" for name, count in sorted(Counter(map(region, moved)).items())
            )
            runs.append((sum(file.size for file in files), args[2], files, regions))
        runs.sort(key=lambda run: run[0])
        total, video, files, regions = runs[len(runs) // 2]
        print(f"\n### {size:,}, {name}: `{edit}` of {video}: {total / 1000:.1f} KB in {len(files)}")
        print("every edit's total (KB): " + ", ".join(f"{run[0] / 1000:.1f}" for run in runs))
        print(f"file-list shards rewritten, by the regions they hold: {regions}")
        for kind in [kind for kind, _ in EDIT_KINDS] + ["other"]:
            items = sorted((f for f in files if f.kind == kind), key=lambda f: -f.size)
            if items:
                kb = sum(item.size for item in items) / 1000
                print(f"- {kind}: {kb:.1f} KB in {len(items)}")
                for item in items:
                    print(f"    {item.size / 1000:7.1f}  {item.playlist:<20} {item.path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="a commit measured alongside, on the same catalog")
    parser.add_argument("--tree", help="a folder holding a wistia_sync package to measure instead")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trees: list[Path | None] = [Path(arguments.tree)] if arguments.tree else [None]
        if arguments.baseline:
            tree = Path(folder) / f"baseline-{arguments.baseline}"
            tree.mkdir()
            extract_tree(arguments.baseline, tree)
            trees.insert(0, tree)
        for size in [int(size) for size in arguments.sizes.split(",")]:
            work = Path(folder) / str(size)
            work.mkdir()
            for number, tree in enumerate(trees):
                # Each tree migrates its own database (an older one refuses a newer schema).
                db = work / f"catalog-{number}.db"
                if tree is not None:
                    create_in(tree, db)
                published = build_catalog(db, size, migrate=tree is None)
                account(db, work, published, size, arguments.repeat, tree)


if __name__ == "__main__":
    main()
