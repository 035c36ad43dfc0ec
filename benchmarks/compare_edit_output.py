"""The files two source trees publish for the same catalog and the same edits, compared.

    git archive <commit> wistia_sync | tar -x -C /tmp/before
    python benchmarks/compare_edit_output.py --before /tmp/before [--size 2000] [--edits 6]

Each tree creates and migrates its own database (``compare_startup.py``'s way), gets
``bench_publish.py``'s catalog and publishes it (``--force``), then both run the same editor
lines (``visibility hide`` and ``tag add``, alternating). After the rebuild and after each edit
the two output folders must hold the same paths with the same bytes, except what records the
clock: ``manifest.json``'s ``updated_at``, and the file list (``files.json``, ``files/``,
``shard-lists/``), which holds the manifest's hash. Exits non-zero at the first difference.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog
from compare_startup import CREATE_DATABASE
from measured import run_measured

CLOCKED = ("files.json", "files/", "shard-lists/", ".wistia-sync-tmp/")


def published(out: Path) -> dict[str, bytes]:
    """Every file in the folder but those recording the clock, manifest.json without it."""
    files: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).as_posix()
        if path.is_file() and not relative.startswith(CLOCKED):
            files[relative] = path.read_bytes()
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("updated_at")
    files["manifest.json (but updated_at)"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def compare(step: str, outs: list[Path]) -> int:
    before, after = (published(out) for out in outs)
    if before.keys() != after.keys():
        only = sorted(before.keys() ^ after.keys())[:5]
        raise SystemExit(f"{step}: the trees published different files, e.g. {only}")
    differing = sorted(path for path in before if before[path] != after[path])
    if differing:
        raise SystemExit(f"{step}: {len(differing)} files differ, e.g. {differing[:5]}")
    return len(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a tree holding wistia_sync/")
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=6)
    arguments = parser.parse_args()
    trees = [arguments.before.resolve(), ROOT]
    for tree in trees:
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    base = {name: value for name, value in os.environ.items() if not name.startswith("WISTIA")}
    with tempfile.TemporaryDirectory() as folder:
        envs, outs = [], []
        for index, tree in enumerate(trees):
            db, out = Path(folder) / f"{index}.db", Path(folder) / f"out-{index}"
            creating = [sys.executable, "-c", CREATE_DATABASE, "wistia_sync.store.db", str(db)]
            run_measured(creating, base, tree)
            published_ids = build_catalog(db, arguments.size, migrate=False)
            envs.append({**base, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)})
            outs.append(out)
            rebuild = [sys.executable, "-m", "wistia_sync", "publish", "--force"]
            run_measured(rebuild, envs[-1], tree)
        print(f"{arguments.size:,} videos: after the rebuild, {compare('rebuild', outs):,} files")
        picks = random.Random(3).sample(published_ids, arguments.edits)
        for number, video in enumerate(picks):
            line = ["visibility", "hide", video] if number % 2 else ["tag", "add", video, "Bench"]
            for tree, env in zip(trees, envs, strict=True):
                run_measured([sys.executable, "-m", "wistia_sync", *line, "--quiet"], env, tree)
            count = compare(" ".join(line[:2]), outs)
            print(f"after `{' '.join(line[:2])} {video}`: {count:,} files, byte-identical")


if __name__ == "__main__":
    main()
