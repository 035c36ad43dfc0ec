"""Measure what publishing costs, end to end, against the start-up floor of the same run.

    python benchmarks/bench_publish.py [--sizes 1000,10000,100000] [--repeat 5]

For each catalog size it builds a database directly (500 tags, about 3 tags a video, 50
folders, 5% hidden, 3% archived), then runs the CLI in subprocesses as an editor or cron would:

- ``wistia-sync --version``: the start-up floor every command pays;
- ``publish --force`` from an empty output folder (time and the process's peak memory);
- ``publish`` with nothing changed;
- ``tag add VIDEO TAG`` and ``visibility hide VIDEO`` (process start to exit, republish included);
- ``publish`` after a sync-like change to 50 videos (names and play counts, through SQL);
- files written by one ``tag add``, and the sizes of ``manifest.json`` and ``files.json``;
- bytes written by one ``tag add`` and one ``visibility hide``, by kind of file
  (``--edit-bytes`` measures only these; ``--baseline REF`` measures them for that commit too,
  in the same run on the same catalog, and prints each figure's ratio to it);
- one batch of files made durable by one ``syncfs`` against one ``fsync`` per file;
- the library's own cost, in this process (no CLI start-up): ``publish_site`` with ``force``
  into an empty folder, with nothing changed, after 50 changed videos, and ``add_tags`` +
  ``publish_and_deliver`` (what ``tag add`` runs), each as wall and CPU seconds (user + system).

CLI figures are wall seconds with the process's CPU seconds beside them (from ``wait4``): CPU
seconds barely move with the load of a shared machine, wall seconds do. It prints a Markdown
table with each figure, its target and the ratio (figure / target), so a run can be pasted
into docs/benchmarks.md. Times are medians; the machine matters (see there).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wistia_sync.publish import publish_site
from wistia_sync.publish.output import OutputFolder
from wistia_sync.store.db import open_database

ENTRY = Path(sys.executable).parent / "wistia-sync"
TAGS, FOLDERS, TAGS_PER_VIDEO = 500, 50, 3


def build_catalog(db_path: Path, videos: int, seed: int = 7, *, migrate: bool = True) -> list[str]:
    """A catalog written straight into a migrated database; returns the published hashed_ids.

    ``migrate=False``: the database at ``db_path`` is migrated already (by another version's
    code, say, whose schema this one must not change)."""
    if migrate:
        open_database(db_path, create=True).conn.close()  # migrations, triggers
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path)
    now = "2026-01-01T00:00:00Z"
    with conn:
        conn.executemany(
            "INSERT INTO folders (hashed_id, id, name) VALUES (?, ?, ?)",
            [(f"fold{n:06d}", n, f"Folder {n}") for n in range(FOLDERS)],
        )
        conn.executemany(
            "INSERT INTO tags (id, name, key, slug, created_at) VALUES (?, ?, ?, ?, ?)",
            [(n + 1, f"Tag {n}", f"tag {n}", f"tag-{n}", now) for n in range(TAGS)],
        )
        rows, links, published = [], [], []
        for n in range(videos):
            hashed_id = f"v{n:09d}"
            hidden = rng.random() < 0.05
            archived = rng.random() < 0.03
            day = rng.randrange(3000)
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1.4e9 + day * 86400 + n))
            rows.append(
                (hashed_id, n, f"Video number {n}", "A description " * 5, "Video", "ready",
                 int(archived), 60.5 + n % 600, created, created,
                 f"https://embed-ssl.wistia.com/deliveries/{hashed_id}.jpg",
                 f"fold{rng.randrange(FOLDERS):06d}", n % 1000, now, now,
                 "hidden" if hidden else "public")
            )  # fmt: skip
            for tag in rng.sample(range(TAGS), TAGS_PER_VIDEO):
                links.append((hashed_id, tag + 1, "wistia", now))
            if not hidden and not archived:
                published.append(hashed_id)
        conn.executemany(
            "INSERT INTO videos (hashed_id, id, name, description, type, status, archived, "
            "duration, created, updated, thumbnail_url, folder_hashed_id, plays, first_seen, "
            "last_seen, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) VALUES (?, ?, ?, ?)",
            links,
        )
    conn.close()
    return published


CPU: dict[str, float] = {}  # CLI figure -> CPU seconds of its (median) process


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, stdout) of one CLI process, start to exit (CPU in LAST_CPU)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ENTRY), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"wistia-sync {' '.join(args)} failed: {err.strip()}")
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss // 1024, out


LAST_CPU = [0.0]


def median_of(repeat: int, make_args: list[list[str]], env: dict[str, str], key: str = "") -> float:
    runs = []
    for args in make_args[:repeat]:
        runs.append((timed(args, env)[0], LAST_CPU[0]))
    runs.sort()
    if key:
        CPU[key] = runs[len(runs) // 2][1]
    return runs[len(runs) // 2][0]


def in_process(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call in this process."""
    before, started = os.times(), time.perf_counter()
    action()
    after = os.times()
    return time.perf_counter() - started, (after.user - before.user) + (
        after.system - before.system
    )


def measure_library(db_path: Path, folder: Path, published: list[str], size: int) -> dict:
    """The library's own cost: the same operations as the CLI figures, without start-up."""
    from wistia_sync.catalog.editing import add_tags
    from wistia_sync.job import publish_and_deliver
    from wistia_sync.store.lock import publish_lock_path

    copy = folder / "library.db"
    source = sqlite3.connect(db_path)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close(), target.close()
    db = open_database(copy)
    out, lock = folder / "library-out", publish_lock_path(copy)
    figures: dict[str, tuple[float, float]] = {}
    figures["force_empty"] = in_process(lambda: publish_site(db, out, lock_path=lock, force=True))
    figures["noop"] = in_process(lambda: publish_site(db, out, lock_path=lock))
    picks = random.Random(size + 2).sample(published, 51)
    for video in picks[:50]:
        db.execute(
            "UPDATE videos SET name = name || ' (renamed)', plays = plays + 1 WHERE hashed_id = ?",
            [video],
        )
    db.conn.commit()
    figures["sync50"] = in_process(lambda: publish_site(db, out, lock_path=lock))

    def tag_add() -> None:
        add_tags(db, [picks[50]], ["Library tag"], actor="bench")
        publish_and_deliver(db, out)

    figures["tag_add"] = in_process(tag_add)
    db.conn.close()
    return figures


def durability_ratio(files: int = 2000) -> tuple[float, float]:
    """(seconds with one fsync per file, seconds with one syncfs for the batch)."""
    content = b"x" * 2500
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        for n in range(files):
            with (root / f"a{n}.json").open("wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        per_file = time.perf_counter() - started
        output = OutputFolder(root / "out")
        output.prepare()
        started = time.perf_counter()
        staged = [output.stage(f"b{n}.json", content) for n in range(files)]
        output.make_durable([file.temp for file in staged])
        batch = time.perf_counter() - started
    return per_file, batch


def measure(size: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        db, out = Path(folder) / "wistia.db", Path(folder) / "out"
        published = build_catalog(db, size)
        env = {**os.environ, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
        env.pop("WISTIA_SYNC_PAGE_SIZE", None)
        figures: dict[str, Any] = {}
        figures["floor"] = median_of(repeat, [["--version"]] * repeat, env, "floor")
        seconds, peak, _ = timed(["publish", "--force", "--quiet"], env)
        figures["force_empty"], figures["force_peak_mb"] = seconds, peak
        CPU["force_empty"] = LAST_CPU[0]
        figures["noop"] = median_of(repeat, [["publish", "--quiet"]] * repeat, env, "noop")
        picks = random.Random(size).sample(published, 2 * repeat + 1)
        figures["tag_add"] = median_of(
            repeat,
            [["tag", "add", video, "Benchmark tag"] for video in picks[:repeat]],
            env,
            "tag_add",
        )
        figures["hide"] = median_of(
            repeat,
            [["visibility", "hide", video] for video in picks[repeat : 2 * repeat]],
            env,
            "hide",
        )
        _, _, report = timed(["tag", "add", picks[-1], "Another tag", "--json"], env)
        change = json.loads(report)["publish"]
        figures["tag_add_files"] = sum(
            len(change.get(key, [])) for key in ("changed_entries", "new_pages", "new_shards")
        )
        conn = sqlite3.connect(db)
        with conn:
            for video in random.Random(size + 1).sample(published, 50):
                conn.execute(
                    "UPDATE videos SET name = name || ' (renamed)', plays = plays + 1 "
                    "WHERE hashed_id = ?",
                    [video],
                )
        conn.close()
        figures["sync50"], _, _ = timed(["publish", "--quiet"], env)
        CPU["sync50"] = LAST_CPU[0]
        figures["manifest_kb"] = (out / "manifest.json").stat().st_size / 1024
        figures["files_json_kb"] = (out / "files.json").stat().st_size / 1024
        shards = [
            out / ref["url"] for ref in json.loads((out / "files.json").read_bytes())["shards"]
        ]
        figures["shards"] = len(shards)
        figures["shard_kb"] = sum(path.stat().st_size for path in shards) / len(shards) / 1024
        figures["cpu"] = dict(CPU)  # type: ignore[assignment]
        CPU.clear()
        figures["library"] = measure_library(db, Path(folder), published, size)  # type: ignore[assignment]
        figures["entry_kb"] = (out / "videos.json").stat().st_size / 1024
        figures["file_count"] = sum(1 for path in out.rglob("*.json"))
        return figures


EDIT_KINDS = (
    ("playlist entry files", lambda p: p == "videos.json" or p.startswith(("tags/", "folders/"))),
    ("pages", lambda p: p.startswith("pages/")),
    ("page-list chunks", lambda p: p.startswith("page-lists/")),
    ("video files", lambda p: p.startswith("videos/")),
    ("tags.json, folders.json", lambda p: p in ("tags.json", "folders.json")),
    ("manifest.json", lambda p: p == "manifest.json"),
    ("files.json", lambda p: p == "files.json"),
    ("file-list shards", lambda p: p.startswith("files/")),
    ("file-list chunks", lambda p: p.startswith("shard-lists/")),
    ("search entry", lambda p: p == "search/index.json"),
    ("search files", lambda p: p.startswith("search/")),
    ("slug lookup", lambda p: p.startswith("slugs/")),
)


def edit_kind(path: str) -> str:
    return next((name for name, matches in EDIT_KINDS if matches(path)), "other")


def tree_command(tree: Path | None) -> tuple[list[str], dict[str, str], Path | None]:
    """How to run the CLI of ``tree`` (None: this checkout's installed entry point)."""
    if tree is None:
        return [str(ENTRY)], {}, None
    import sysconfig

    # -S: no site hooks, so the editable install of this checkout cannot shadow ``tree``.
    path = f"{tree}{os.pathsep}{sysconfig.get_paths()['purelib']}"
    code = "import sys; from wistia_sync.cli.entry import main; sys.argv[0] = 'wistia-sync'; main()"
    return [sys.executable, "-S", "-c", code], {"PYTHONPATH": path}, tree


def extract_tree(revision: str, into: Path) -> None:
    """The ``wistia_sync`` package of git revision ``revision`` of this repository, in ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "wistia_sync"],
        capture_output=True, check=True,
    )  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def run_tree(tree: Path | None, args: list[str], env: dict[str, str]) -> str:
    command, extra, cwd = tree_command(tree)
    process = subprocess.run(
        [*command, *args], env={**env, **extra}, cwd=cwd, capture_output=True, text=True
    )
    if process.returncode != 0:
        raise SystemExit(f"wistia-sync {' '.join(args)} failed: {process.stderr.strip()}")
    return process.stdout


def create_in(tree: Path, db: Path) -> None:
    """A database created and migrated by ``tree``'s own code (run from it: ``-c`` puts the
    working folder first on the path)."""
    _, extra, _ = tree_command(tree)
    code = "import sys; from wistia_sync.store.db import open_database; "
    code += "open_database(sys.argv[1], create=True)"
    command = [sys.executable, "-S", "-c", code, str(db)]
    subprocess.run(command, env={**os.environ, **extra}, cwd=tree, check=True)


def edit_bytes(
    db_path: Path,
    folder: Path,
    published: list[str],
    size: int,
    repeat: int,
    tree: Path | None,
    page_size: int | None = None,
) -> dict[str, dict[str, float]]:
    """Bytes written by one ``tag add`` and one ``visibility hide`` (medians over ``repeat``
    edits of different videos), in all and by kind of file, for the CLI of ``tree``."""
    name = "current" if tree is None else "baseline"
    db, out = folder / f"{name}.db", folder / f"{name}-out"
    source, target = sqlite3.connect(db_path), sqlite3.connect(db)
    source.backup(target)
    source.close(), target.close()
    env = {**os.environ, "WISTIA_SYNC_DB": str(db), "WISTIA_SYNC_OUTPUT": str(out)}
    if page_size is not None:
        run_tree(tree, ["site", "--page-size", str(page_size)], env)
    run_tree(tree, ["publish", "--force", "--quiet"], env)
    picks = random.Random(size + 3).sample(published, 2 * repeat)
    edits = {
        "tag add": [["tag", "add", video, "Edit bytes", "--json"] for video in picks[:repeat]],
        "hide": [["visibility", "hide", video, "--json"] for video in picks[repeat:]],
    }
    figures: dict[str, dict[str, float]] = {}
    for edit, commands in edits.items():
        runs = []
        for args in commands:
            written = json.loads(run_tree(tree, args, env))["publish"]["cache"]
            kinds: dict[str, float] = {}
            sizes = {path: (out / path).stat().st_size for path in written}
            for path, size in sizes.items():
                kinds[edit_kind(path)] = kinds.get(edit_kind(path), 0) + size
            kinds["total"] = sum(kinds.values())
            kinds["files"] = len(sizes)
            kinds["largest file"] = max(sizes.values(), default=0)
            runs.append(kinds)
        runs.sort(key=lambda kinds: kinds["total"])
        figures[edit] = runs[len(runs) // 2]  # the median edit, with its breakdown
    return figures


def main_edit_bytes(
    sizes: list[int], repeat: int, baseline: str | None, page_size: int | None
) -> None:
    """Bytes one edit writes at each size (and for ``baseline``), with the ratios."""
    import shutil

    with tempfile.TemporaryDirectory() as folder:
        trees: dict[str, Path | None] = {"current": None}
        if baseline:
            tree = Path(folder) / "baseline-tree"
            tree.mkdir()
            extract_tree(baseline, tree)
            trees = {"baseline": tree, **trees}
        results: dict[tuple[str, int], dict[str, dict[str, float]]] = {}
        for size in sizes:
            work = Path(folder) / str(size)
            work.mkdir()
            for name, tree in trees.items():
                # Each tree migrates its own database (an older one refuses a newer schema),
                # then both get the same rows.
                db = work / f"{name}-catalog.db"
                if tree is not None:
                    create_in(tree, db)
                published = build_catalog(db, size, migrate=tree is None)
                results[name, size] = edit_bytes(db, work, published, size, repeat, tree, page_size)
            shutil.rmtree(work)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; load "
          f"{os.getloadavg()[0]:.1f}; medians of {repeat} edits; KB = 1,000 bytes; page size "
          f"{page_size or 'default'}")  # fmt: skip
    for edit in ("tag add", "hide"):
        print(f"\nBytes written by one `{edit}` (KB):")
        print("| file kind | " + " | ".join(f"{n} {s:,}" for s in sizes for n in trees) + " |")
        print("|---|" + "---:|" * (len(sizes) * len(trees)))
        for kind in [*(name for name, _ in EDIT_KINDS), "other", "total", "largest file", "files"]:
            scale = 1 if kind == "files" else 1000
            cells = [
                f"{results[name, size][edit].get(kind, 0) / scale:.{0 if scale == 1 else 1}f}"
                for size in sizes
                for name in trees
            ]
            if any(cell != "0.0" for cell in cells):
                print(f"| {kind} | " + " | ".join(cells) + " |")
        for name in trees:
            totals = [results[name, size][edit]["total"] for size in sizes]
            steps = ", ".join(
                f"{b:,}/{a:,}: {tb / ta:.2f}x"
                for (a, ta), (b, tb) in zip(
                    zip(sizes, totals, strict=True),
                    list(zip(sizes, totals, strict=True))[1:],
                    strict=False,
                )
            )
            print(f"- {name}: {steps}")
        if baseline:
            ratios = ", ".join(
                f"{size:,}: {results['current', size][edit]['total'] / results['baseline', size][edit]['total']:.2f}x"  # noqa: E501
                for size in sizes
            )
            print(f"- current / baseline ({baseline}): {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--edit-bytes", action="store_true", help="only the bytes an edit writes")
    parser.add_argument("--baseline", help="a commit whose edits' bytes are measured alongside")
    parser.add_argument("--page-size", type=int, help="the site's page size (--edit-bytes)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    if arguments.edit_bytes:
        main_edit_bytes(sizes, arguments.repeat, arguments.baseline, arguments.page_size)
        return
    results = {size: measure(size, arguments.repeat) for size in sizes}
    per_file, batch = durability_ratio()

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    header = "| figure | target | " + " | ".join(f"{size:,} videos" for size in sizes) + " |"
    print(header)
    print("|---|---|" + "---:|" * len(sizes))

    def row(name: str, target: str, values: list[str]) -> None:
        print(f"| {name} | {target} | " + " | ".join(values) + " |")

    def over_floor(key: str, limits: dict[int, float]) -> list[str]:
        cells = []
        for size in sizes:
            extra = results[size][key] - results[size]["floor"]
            limit = limits.get(size)
            ratio = f" ({extra / limit:.2f}x target)" if limit else ""
            cells.append(f"{results[size][key]:.3f} s = floor + {extra:.3f} s{ratio}")
        return cells

    def plain(key: str, unit: str, limits: dict[int, float], digits: int = 3) -> list[str]:
        cells = []
        for size in sizes:
            value = results[size][key]
            limit = limits.get(size)
            ratio = f" ({value / limit:.2f}x target)" if limit else ""
            cells.append(f"{value:.{digits}f} {unit}{ratio}")
        return cells

    row("start-up floor (`--version`)", "—", plain("floor", "s", {}))
    row("`tag add` end to end", "floor + 0.1 s (10k), + 0.15 s (100k)",
        over_floor("tag_add", {10_000: 0.1, 100_000: 0.15}))  # fmt: skip
    row("`visibility hide` end to end", "as `tag add`",
        over_floor("hide", {10_000: 0.1, 100_000: 0.15}))  # fmt: skip
    row("files written by one `tag add`", "O(1)", plain("tag_add_files", "", {}, 0))
    row("`publish --force` from empty", "≤ 1.5 s (10k), ≤ 15 s (100k)",
        plain("force_empty", "s", {10_000: 1.5, 100_000: 15.0}))  # fmt: skip
    row("peak memory of that publish", "≤ 150 MB (10k)",
        plain("force_peak_mb", "MB", {10_000: 150}, 0))  # fmt: skip
    row("`publish`, nothing changed", "≤ 0.15 s (10k)", plain("noop", "s", {10_000: 0.15}))
    row("`publish` after a sync changed 50 videos", "≤ 0.3 s (10k)",
        plain("sync50", "s", {10_000: 0.3}))  # fmt: skip
    row("`manifest.json` size", "a few KB", plain("manifest_kb", "KB", {}, 2))
    row("`videos.json` (entry) size", "—", plain("entry_kb", "KB", {}, 1))
    row("`files.json` (index) size", "—", plain("files_json_kb", "KB", {}, 0))
    row("shards of the file list", "—", plain("shards", "", {}, 0))
    row("mean shard size", "—", plain("shard_kb", "KB", {}, 1))
    row("files in the output", "—", plain("file_count", "", {}, 0))
    print()
    print("CPU seconds (user + system) of the same CLI processes:")
    print("| figure | " + " | ".join(f"{size:,} videos" for size in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for key in ("floor", "force_empty", "noop", "sync50", "tag_add", "hide"):
        cells = [f"{results[size]['cpu'].get(key, float('nan')):.3f} s" for size in sizes]
        print(f"| {key} | " + " | ".join(cells) + " |")
    print()
    print("Library, in process (no CLI start-up): wall seconds / CPU seconds:")
    print("| figure | target | " + " | ".join(f"{size:,} videos" for size in sizes) + " |")
    print("|---|---|" + "---:|" * len(sizes))
    targets = {
        "force_empty": "≤ 1.5 s (10k), ≤ 15 s (100k), CLI",
        "noop": "≤ 0.15 s (10k), CLI",
        "sync50": "≤ 0.3 s (10k), CLI",
        "tag_add": "floor + 0.1 s (10k), CLI",
    }
    for key, target in targets.items():
        cells = []
        for size in sizes:
            wall, cpu = results[size]["library"][key]
            cells.append(f"{wall:.3f} / {cpu:.3f} s")
        print(f"| {key} | {target} | " + " | ".join(cells) + " |")
    library_growth = (
        results[sizes[-1]]["library"]["tag_add"][1] / results[sizes[0]]["library"]["tag_add"][1]
    )
    print(f"library `tag add` CPU at {sizes[-1]:,} / at {sizes[0]:,}: {library_growth:.2f}x")
    print(f"load average at the end: {os.getloadavg()}")
    tag_growth = (results[sizes[-1]]["tag_add"]) / results[sizes[0]]["tag_add"]
    print()
    print(f"`tag add` at {sizes[-1]:,} / at {sizes[0]:,}: {tag_growth:.2f}x (target ≤ 1.20x)")
    print(
        f"durability, 2,000 files: one fsync per file {per_file:.3f} s, one syncfs for the batch "
        f"{batch:.3f} s ({per_file / batch:.1f}x faster)"
    )


if __name__ == "__main__":
    main()
