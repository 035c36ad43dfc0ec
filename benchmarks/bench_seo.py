"""Issue 22's figures: what the files for search engines cost.

    python benchmarks/bench_seo.py [--rounds N] [--work DIR] [SIZES...]
    (default: 2 rounds; /tmp/wistia-sync-bench-seo; 1000 10000 100000)

For each catalog size (``bench_publish.build_catalog``, built once under /tmp and copied):

- **Edit bytes:** after a publish with site settings and watch pages on, one rename and one hide,
  each published alone: the files (and their bytes) written among sitemaps, JSON-LD and watch
  pages. Flat from 1k to 100k is the goal (within 20%).
- **Full build:** ``publish --force`` CPU seconds of three copies of the same database: without
  site settings (A, the baseline), with them (B: sitemaps and JSON-LD) and with watch pages too
  (C), alternating A, B, C, A, B, C in this process; B/A - 1 and C/A - 1 are what the
  search-engine files add (goal: at most 30%), from the least of each and, steadier on a loaded
  machine, the median of each round's own ratios (a round's three runs are seconds apart).
- **Index bytes:** the size of ``sitemap.xml``.

CPU seconds are user + system of this process (``os.times``), so the machine's load changes
wall time, not them; the load average is printed beside the figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_publish import build_catalog, in_process

from wistia_sync.publish import publish_site
from wistia_sync.publish.seo_settings import change_seo_settings
from wistia_sync.store.db import open_database

WORK = Path("/tmp/wistia-sync-bench-seo")
SEO = ("sitemap.xml", "sitemaps/", "ld/", "watch/")
ROUNDS = 2  # force builds of each copy, alternating (``--rounds``)


def catalog(size: int) -> Path:
    """A built catalog of ``size`` videos with its slugs assigned (built once, then reused)."""
    path = WORK / f"catalog-{size}.db"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):  # a build killed before left these
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(WORK / f"first-{size}", ignore_errors=True)
        build_catalog(partial, size)
        db = open_database(partial)
        publish_site(db, WORK / f"first-{size}", lock_path=WORK / "lock")  # slugs, once
        db.conn.close()
        shutil.rmtree(WORK / f"first-{size}")
        partial.rename(path)
    return path


def copy_of(size: int, name: str) -> Path:
    target = WORK / f"{name}-{size}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(catalog(size), target)
    return target


def seo_written(paths: list[str], out: Path) -> tuple[int, int]:
    chosen = [p for p in paths if p.startswith(SEO)]
    return len(chosen), sum((out / p).stat().st_size for p in chosen if (out / p).exists())


def measure(size: int) -> dict[str, Any]:
    names = ("plain", "sitemaps", "seo")
    dbs = {name: open_database(copy_of(size, name)) for name in names}
    for name, pages in (("sitemaps", False), ("seo", True)):
        change_seo_settings(
            dbs[name], origin="https://example.com", watch_url="/videos/{slug}", watch_pages=pages
        )
    outs = {name: WORK / f"out-{name}-{size}" for name in names}
    for out in outs.values():
        shutil.rmtree(out, ignore_errors=True)
    seo_db = dbs["seo"]
    for name, db in dbs.items():  # the first build of each folder, not measured
        publish_site(db, outs[name], lock_path=WORK / "lock")
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(ROUNDS):
        for name in names:
            db, out = dbs[name], outs[name]
            _, seconds = in_process(
                lambda db=db, out=out: publish_site(db, out, lock_path=WORK / "lock", force=True)
            )
            cpu[name].append(seconds)
    seo_out = outs["seo"]
    (hashed_id,) = seo_db.execute(
        "SELECT hashed_id FROM video_slugs ORDER BY seq LIMIT 1 OFFSET ?", [size // 2]
    ).fetchone()
    seo_db.execute(
        "UPDATE videos SET name = 'Renamed for the benchmark', "
        "updated = '2026-06-01T00:00:00Z' WHERE hashed_id = ?",
        [hashed_id],
    )
    rename = publish_site(seo_db, seo_out, lock_path=WORK / "lock")
    seo_db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [hashed_id])
    hide = publish_site(seo_db, seo_out, lock_path=WORK / "lock")
    rounds = range(len(cpu["plain"]))
    return {
        "size": size,
        "median_sitemaps": statistics.median(cpu["sitemaps"][i] / cpu["plain"][i] for i in rounds),
        "median_seo": statistics.median(cpu["seo"][i] / cpu["plain"][i] for i in rounds),
        "cpu_plain": min(cpu["plain"]),
        "cpu_seo": min(cpu["seo"]),
        "cpu_sitemaps": min(cpu["sitemaps"]),
        "rename": seo_written(rename.written, seo_out),
        "hide": seo_written(hide.written, seo_out),
        "hide_removed": len([p for p in hide.removed if p.startswith(SEO)]),
        "index_bytes": (seo_out / "sitemap.xml").stat().st_size,
        "sitemaps": len(list((seo_out / "sitemaps").glob("*.xml"))),
    }


def main(sizes: list[int]) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for size in sizes:
        started = time.perf_counter()
        row = measure(size)
        rows.append(row)
        print(
            f"{size:>7,} videos: force CPU {row['cpu_plain']:.2f} s without settings, "
            f"{row['cpu_sitemaps']:.2f} s with sitemaps and JSON-LD "
            f"(+{row['cpu_sitemaps'] / row['cpu_plain'] - 1:.0%}), "
            f"{row['cpu_seo']:.2f} s with watch pages too "
            f"(+{row['cpu_seo'] / row['cpu_plain'] - 1:.0%}); median of the rounds' ratios "
            f"+{row['median_sitemaps'] - 1:.0%} and +{row['median_seo'] - 1:.0%}; "
            f"rename writes {row['rename'][0]} files / {row['rename'][1]:,} B, "
            f"hide writes {row['hide'][0]} files / {row['hide'][1]:,} B and removes "
            f"{row['hide_removed']}; sitemap.xml {row['index_bytes']:,} B over "
            f"{row['sitemaps']} sitemaps ({time.perf_counter() - started:.0f} s wall, "
            f"load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    base = rows[0]
    for row in rows[1:]:
        print(
            f"{row['size']:,} vs {base['size']:,}: rename bytes x"
            f"{row['rename'][1] / base['rename'][1]:.2f}, hide bytes x"
            f"{row['hide'][1] / max(1, base['hide'][1]):.2f}"
        )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    while arguments[:1] in (["--rounds"], ["--work"]):  # --work: the catalogs' folder
        if arguments[0] == "--rounds":
            ROUNDS = int(arguments[1])
        else:
            WORK = Path(arguments[1])
        arguments = arguments[2:]
    main([int(arg) for arg in arguments] or [1000, 10_000, 100_000])
