"""Backup and restore: time and size at each catalog size, beside a plain copy in the same run.

    python benchmarks/bench_backup.py [--sizes 10000,100000] [--repeat 3] [--no-litestream]

For each size it builds a catalog (``bench_publish.build_catalog``) and, alternating the
methods on every repetition so the machine's load falls on all of them alike, measures:

- ``cp``: ``shutil.copyfile`` of the quiesced file (nobody writing): the floor, and the baseline
  every other figure is a ratio to;
- ``VACUUM INTO`` and ``sqlite3.Connection.backup`` (``ops.copies.copy_database``): the two
  online copies ``backup`` could use, in this process;
- ``wistia-sync backup DEST``, ``backup DEST --verify`` (the drill) and ``restore DEST --db NEW``
  as processes, start to exit (wall, and CPU seconds from wait4);
- with SeaweedFS and Litestream installed (the test extras), Litestream's RTO: ``litestream
  restore`` of the replicated database to a new file.

Sizes are the files' bytes. Times are medians. It prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_publish import build_catalog
from benchmarks.measured import run_measured
from wistia_sync.ops.copies import copy_database

ENTRY = str(Path(sys.executable).parent / "wistia-sync")
LITESTREAM = Path(sys.executable).parent / "litestream"


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_process(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_now()
    action()
    return time.perf_counter() - wall, cpu_now() - cpu


def add_change_log(db: Path, rows: int) -> None:
    """Editors' history: what a backup exists for."""
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO change_log (at, actor, action, hashed_id, tag, before, after) "
            "VALUES ('2026-12-01T00:00:00Z', 'editor', 'tag add', ?, 'Tag 1', NULL, 'Tag 1')",
            [(f"v{n:09d}",) for n in range(rows)],
        )
    conn.close()


def measure(size: int, repeat: int, litestream: bool) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, list[float]]] = {}

    def record(name: str, wall: float, cpu: float, size_bytes: int | None = None) -> None:
        entry = results.setdefault(name, {"wall": [], "cpu": [], "bytes": []})
        entry["wall"].append(wall)
        entry["cpu"].append(cpu)
        if size_bytes is not None:
            entry["bytes"].append(size_bytes)

    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as folder:
        work = Path(folder)
        db = work / "wistia.db"
        build_catalog(db, size)
        add_change_log(db, 2000)
        backups = work / "backups"
        backups.mkdir()
        for round_ in range(repeat):
            target = work / f"cp-{round_}.db"
            wall, cpu = in_process(partial(shutil.copyfile, db, target))
            record("cp (baseline)", wall, cpu, target.stat().st_size)
            for method in ("vacuum", "backup-api"):
                copy = work / f"{method}-{round_}.db"
                live = sqlite3.connect(db)
                wall, cpu = in_process(partial(copy_database, live, copy, method))
                live.close()
                name = "VACUUM INTO" if method == "vacuum" else "Connection.backup"
                record(name, wall, cpu, copy.stat().st_size)
                copy.unlink()
            target.unlink()
            floor = run_measured([ENTRY, "--version"], env)
            record("wistia-sync --version (start-up)", floor.wall, floor.cpu)
            taken = run_measured(
                [ENTRY, "backup", str(backups), "--db", str(db), "--keep", "1"], env
            )
            (latest,) = backups.iterdir()
            record("wistia-sync backup", taken.wall, taken.cpu, latest.stat().st_size)
            drilled = run_measured(
                [ENTRY, "backup", str(backups), "--verify", "--db", str(db)], env
            )
            record("wistia-sync backup --verify", drilled.wall, drilled.cpu)
            restored = work / f"restored-{round_}.db"
            done = run_measured([ENTRY, "restore", str(backups), "--db", str(restored)], env)
            record("wistia-sync restore", done.wall, done.cpu, restored.stat().st_size)
            restored.unlink()
        if litestream:
            for name, figures in measure_litestream(db, work, repeat).items():
                for wall, cpu in figures:
                    record(name, wall, cpu)
    return {
        name: {key: statistics.median(values) if values else 0.0 for key, values in fig.items()}
        for name, fig in results.items()
    }


def measure_litestream(db: Path, work: Path, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Replicate once to SeaweedFS, then time ``litestream restore`` (the RTO)."""
    from tests.support.seaweed import running_seaweed

    figures: dict[str, list[tuple[float, float]]] = {}
    with running_seaweed(work / "seaweed") as s3:
        env = {name: value for name, value in os.environ.items() if name != "AWS_CA_BUNDLE"}
        env |= {
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        import boto3

        boto3.client(
            "s3", endpoint_url=s3.endpoint_url, aws_access_key_id=s3.access_key,
            aws_secret_access_key=s3.secret_key, region_name="us-east-1",
        ).create_bucket(Bucket="replica")  # fmt: skip
        config = work / "litestream.yml"
        config.write_text(
            f"dbs:\n  - path: {db}\n    replica:\n      type: s3\n      bucket: replica\n"
            f"      path: wistia-sync\n      endpoint: {s3.endpoint_url}\n"
            "      region: us-east-1\n      force-path-style: true\n"
        )
        sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").fetchone()
        run_measured([str(LITESTREAM), "replicate", "-once", "-config", str(config)], env)
        for round_ in range(repeat):
            out = work / f"litestream-{round_}.db"
            done = run_measured(
                [str(LITESTREAM), "restore", "-config", str(config), "-o", str(out), str(db)], env
            )
            check = sqlite3.connect(out)
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            check.close()
            figures.setdefault("litestream restore (RTO)", []).append((done.wall, done.cpu))
            out.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-litestream", action="store_true")
    args = parser.parse_args()
    litestream = not args.no_litestream and LITESTREAM.exists()
    print(f"load before: {os.getloadavg()[0]:.1f}")
    for size in (int(s) for s in args.sizes.split(",")):
        figures = measure(size, args.repeat, litestream)
        base = figures["cp (baseline)"]
        print(f"\n### {size:,} videos (medians of {args.repeat})\n")
        print("| step | wall s | CPU s | wall / cp | size MB | size / cp |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, fig in figures.items():
            size_cells = (
                f"{fig['bytes'] / 1e6:.1f} | {fig['bytes'] / base['bytes']:.2f}"
                if fig["bytes"]
                else "— | —"
            )
            print(
                f"| {name} | {fig['wall']:.3f} | {fig['cpu']:.3f} | "
                f"{fig['wall'] / base['wall']:.1f} | {size_cells} |"
            )
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
