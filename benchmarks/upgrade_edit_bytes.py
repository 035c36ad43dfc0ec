"""What an existing site's first edit after an upgrade writes, once, beside the next edit.

    python benchmarks/upgrade_edit_bytes.py [--sizes 10000,100000] [--baseline main]

Builds ``bench_publish.py``'s catalog at each size and publishes it with the baseline's CLI, then
makes two ``visibility hide`` edits with this checkout's CLI: the first re-cuts what it touches
of a state the baseline cut (term shards and file-list shards past this release's sizes are
split where the edit rewrites them anyway), the second is an ordinary edit; then a ``publish
--force``, which re-cuts the rest once. Prints the bytes and files each wrote, by kind.
Bytes do not depend on the load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_publish import build_catalog, create_in, edit_kind, extract_tree, run_tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--baseline", default="main")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline"
        baseline.mkdir()
        extract_tree(arguments.baseline, baseline)
        for size in [int(size) for size in arguments.sizes.split(",")]:
            db, out = Path(folder) / f"{size}.db", Path(folder) / f"out-{size}"
            create_in(baseline, db)
            published = build_catalog(db, size, migrate=False)
            env = {**os.environ, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
            run_tree(baseline, ["publish", "--force", "--quiet"], env)
            hides = random.Random(size).sample(published, 2)
            runs = [
                ("first hide after the upgrade", ["visibility", "hide", hides[0], "--json"]),
                ("the next hide", ["visibility", "hide", hides[1], "--json"]),
                ("a --force after them", ["publish", "--force", "--json"]),
            ]
            for label, args in runs:
                report = json.loads(run_tree(None, args, env))
                written = report.get("publish", report)["cache"]
                kinds: dict[str, list[int]] = {}
                for path in written:
                    kind = "search files" if path.startswith("search/") else edit_kind(path)
                    kinds.setdefault(kind, []).append((out / path).stat().st_size)
                total = sum(sum(sizes) for sizes in kinds.values())
                print(f"{size:,}, {label}: {total / 1000:,.1f} KB in {len(written)} files")
                for kind, sizes in sorted(kinds.items(), key=lambda item: -sum(item[1])):
                    print(f"    {kind}: {sum(sizes) / 1000:,.1f} KB in {len(sizes)}")


if __name__ == "__main__":
    main()
