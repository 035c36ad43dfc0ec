"""Where a ``publish --force`` with site settings spends its CPU, per video, at two sizes.

    python benchmarks/profile_seo_force.py profile SIZE seo|sitemaps|plain [--work DIR]
    python benchmarks/profile_seo_force.py compare SMALL.prof BIG.prof SMALL BIG [PATTERN]

``profile`` copies ``catalog-SIZE.db`` (``bench_seo.py``'s, under ``--work``), turns site
settings and watch pages on (``seo``), site settings without watch pages (``sitemaps``) or
nothing (``plain``), publishes once, then profiles a
``publish --force`` with cProfile into ``<kind>-SIZE.prof``. ``compare`` prints each function's
cumulative µs per video at both sizes, the largest growth first (only names matching PATTERN):
a function whose per-video time grows with the catalog is what to look at.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def profile(size: int, kind: str, work: Path) -> None:
    from wistia_sync.publish import publish_site
    from wistia_sync.publish.seo_settings import change_seo_settings
    from wistia_sync.store.db import open_database

    db_path = work / f"profiled-{kind}-{size}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(work / f"catalog-{size}.db", db_path)
    db = open_database(db_path)
    if kind in ("seo", "sitemaps"):
        change_seo_settings(
            db,
            origin="https://example.com",
            watch_url="/videos/{slug}",
            watch_pages=kind == "seo",
        )
    out, lock = work / f"profiled-out-{kind}-{size}", work / "profiled-lock"
    shutil.rmtree(out, ignore_errors=True)
    publish_site(db, out, lock_path=lock)
    before = os.times()
    profiler = cProfile.Profile(time.process_time)  # CPU: the load does not count
    profiler.enable()
    publish_site(db, out, lock_path=lock, force=True)
    profiler.disable()
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    print(f"{kind} {size:,}: {cpu:.2f} CPU s profiled, load {os.getloadavg()[0]:.2f}")
    profiler.dump_stats(str(work / f"{kind}-{size}.prof"))


def per_video(path: str, videos: int) -> dict[str, float]:
    found = {}
    for (file, line, name), (_, _, _, cumulative, _) in pstats.Stats(path).stats.items():  # type: ignore[attr-defined]
        found[f"{file.rpartition('wistia_sync/')[2]}:{line}({name})"] = cumulative / videos * 1e6
    return found


def compare(small: str, big: str, small_size: int, big_size: int, pattern: str) -> None:
    a, b = per_video(small, small_size), per_video(big, big_size)
    rows = sorted(
        ((b.get(k, 0.0) - a.get(k, 0.0), k) for k in a.keys() | b.keys() if re.search(pattern, k)),
        reverse=True,
    )
    print("growth µs/video | µs/video small | µs/video big | function")
    for growth, key in rows[:40]:
        print(f"{growth:9.2f} {a.get(key, 0.0):9.2f} {b.get(key, 0.0):9.2f}  {key}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[0] == "profile":
        work = (
            Path(arguments[4])
            if arguments[3:4] == ["--work"]
            else Path("/tmp/wistia-sync-bench-seo")
        )
        profile(int(arguments[1]), arguments[2], work)
    else:
        compare(
            arguments[1],
            arguments[2],
            int(arguments[3]),
            int(arguments[4]),
            (arguments[5:] or [""])[0],
        )
