"""Issue 21: our static search index beside Pagefind fed the same records.

    python benchmarks/bench_search.py [--sizes 10000,100000] [--edit-sizes 1000,10000,100000]
        [--quality-only] [--no-pagefind]

Needs ``pip install -e ".[bench]"`` (Pagefind, Selenium) and Debian's ``chromium`` and
``chromium-driver`` (the queries run in headless Chromium: both clients, cold, in a fresh page).

- **Catalogs**: ``bench_publish.build_catalog`` (the publish benchmark's), with a transcript for
  one video in five (``video_captions``: 120 words drawn from a 5,000-word vocabulary, Zipf-like).
- **Cold query bytes**: each query in a fresh page, every file its client fetches: ours gzipped
  at level 6 (as a server compressing on the fly sends them: ``search.js``, the entry, the term
  shards, the record lists and blocks of the top 10), Pagefind's as it writes them (its index
  files are gzipped already; ``pagefind.js``, the wasm, the entry, the meta index, the chunks
  and the fragments of the top 10).
- **Build**: CPU seconds (user + sys) and peak RSS of a child process building the whole index
  from the database: ours (``search_index.plan_search`` over every video, files written), and
  Pagefind's (records handed over one HTML file a video, as a site generator would, its
  service process's figures included).
- **Edit**: files and bytes the search part of one publish writes after renaming one video;
  Pagefind must rebuild: its whole bundle.
- **Quality**: ``benchmarks/search_queries.json`` over a catalog with real words: recall@10 and
  first-result hit rate of each.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import json
import mimetypes
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

QUERIES_FILE = ROOT / "benchmarks" / "search_queries.json"
VOCABULARY = 5000
TRANSCRIPT_SHARE = 5  # one video in five has a transcript
TRANSCRIPT_WORDS = 120


def vocabulary() -> list[str]:
    """Pronounceable made-up words: distinct, stable, not English (no stemming to favour)."""
    rng = random.Random(21)
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < VOCABULARY:
        size = rng.randrange(2, 5)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(size)))
    return sorted(words)


def add_transcripts(db_path: Path) -> None:
    words = vocabulary()
    weights = [1 / (rank + 1) for rank in range(len(words))]
    rng = random.Random(5)
    conn = sqlite3.connect(db_path)
    ids = [row[0] for row in conn.execute("SELECT hashed_id FROM videos ORDER BY hashed_id")]
    rows = []
    for index, hashed_id in enumerate(ids):
        if index % TRANSCRIPT_SHARE:
            continue
        text = " ".join(rng.choices(words, weights, k=TRANSCRIPT_WORDS))
        rows.append(
            (hashed_id, "eng", "English", None, json.dumps([[0, 1000, text]]), "0" * 64, text)
        )
    with conn:
        conn.executemany("INSERT INTO video_captions VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def catalog(size: int, cache: Path) -> Path:
    """The benchmark catalog of ``size`` videos with transcripts, built once under ``cache``."""
    from bench_publish import build_catalog

    path = cache / f"search-{size}.db"
    if not path.exists():
        temp = cache / f"search-{size}.tmp.db"
        temp.unlink(missing_ok=True)
        build_catalog(temp, size)
        add_transcripts(temp)
        temp.rename(path)
    return path


# -- documents, as both indexes get them -----------------------------------------------------


def documents(db_path: Path) -> Iterator[dict[str, Any]]:
    """Every published video's text, as our index reads it (the same records for Pagefind)."""
    from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION

    conn = sqlite3.connect(db_path)
    tags: dict[str, list[tuple[str, str]]] = {}
    for hashed_id, name, slug in conn.execute(
        "SELECT vt.hashed_id, t.name, t.slug FROM video_tags vt JOIN tags t ON t.id = vt.tag_id"
    ):
        tags.setdefault(hashed_id, []).append((name, slug))
    transcripts = dict(conn.execute("SELECT hashed_id, transcript FROM video_captions"))
    for hashed_id, name, description, folder_id, folder in conn.execute(
        "SELECT v.hashed_id, v.name, v.description, f.hashed_id, f.name FROM videos v "
        f"LEFT JOIN folders f ON f.hashed_id = v.folder_hashed_id WHERE {PUBLISHED_VIDEO_CONDITION}"
    ):
        yield {
            "hashed_id": hashed_id,
            "name": name,
            "description": description or "",
            "tags": tags.get(hashed_id, []),
            "folder": (folder_id, folder) if folder_id else None,
            "transcript": transcripts.get(hashed_id, ""),
        }
    conn.close()


def pagefind_html(doc: dict[str, Any]) -> str:
    """One page a video, weighted like ours: name, then tags and folder, then description,
    then the transcript; its tags and folder as filters."""
    from html import escape

    tags = "".join(
        f'<span data-pagefind-filter="tag:{escape(slug)}" data-pagefind-weight="5">'
        f"{escape(name)}</span> "
        for name, slug in doc["tags"]
    )
    folder = ""
    if doc["folder"]:
        folder = (
            f'<p data-pagefind-filter="folder:{escape(doc["folder"][0])}" '
            f'data-pagefind-weight="3">{escape(doc["folder"][1])}</p>'
        )
    return (
        f"<html><head><title>{escape(doc['name'])}</title></head><body>"
        f'<h1 data-pagefind-meta="title" data-pagefind-weight="10">{escape(doc["name"])}</h1>'
        f"<p>{tags}</p>{folder}<p>{escape(doc['description'])}</p>"
        f'<p data-pagefind-weight="0.5">{escape(doc["transcript"])}</p></body></html>'
    )


# -- building each index in a child process --------------------------------------------------

_OURS = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from sqlite_utils import Database
from wistia_sync.publish.search_index import plan_search
out = Path({out!r})
(out / "search").mkdir(parents=True, exist_ok=True)
def add(path, content, role):
    (out / path).write_bytes(content)
plan_search(Database({db!r}), None, add)
(out / "search.js").write_bytes(Path({client!r}).read_bytes())
"""


_MEASURED = """
import json, resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([usage.ru_utime + usage.ru_stime, usage.ru_maxrss]))
"""


def build_in_child(command: list[str]) -> dict[str, float]:
    """CPU seconds and peak RSS (MB, its largest process) of a command and its children,
    measured by a process of its own (so no other child of this one counts)."""
    started = time.perf_counter()
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command],
        check=True,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    cpu, peak_kib = json.loads(measured.stdout.strip().splitlines()[-1])
    return {"cpu_s": cpu, "wall_s": wall, "peak_mb": peak_kib / 1024}


def build_ours(db: Path, out: Path) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    work = out.parent / (out.name + ".db")
    shutil.copy(db, work)  # the index's own state starts empty, as a first publish's
    client = ROOT / "wistia_sync" / "templates" / "search.js"
    script = _OURS.format(root=str(ROOT), out=str(out), db=str(work), client=str(client))
    figures = build_in_child([sys.executable, "-c", script])
    work.unlink()
    return figures


def build_pagefind(db: Path, out: Path) -> dict[str, float]:
    """Pagefind's CLI over one HTML file a video (written first, as a site generator would
    have them: not counted), its index written to ``out/pagefind``."""
    import pagefind_bin_extended

    shutil.rmtree(out, ignore_errors=True)
    pages = out.parent / (out.name + "-html")
    shutil.rmtree(pages, ignore_errors=True)
    for doc in documents(db):
        folder = pages / "v" / doc["hashed_id"]
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(pagefind_html(doc))
    binary = Path(pagefind_bin_extended.__file__).parent / "pagefind_extended"
    command = [str(binary), "--site", str(pages), "--output-path", str(out / "pagefind")]
    figures = build_in_child(command)
    shutil.rmtree(pages)
    return figures


def tree_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# -- cold queries in Chromium ------------------------------------------------------------------


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    mimetypes.add_type("application/wasm", ".wasm")
    mimetypes.add_type("text/javascript", ".js")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


REQUESTED: list[str] = []  # every path the server was asked for (a worker's fetches too)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        REQUESTED.append(self.path.split("?")[0])
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"),
        options=options,
    )
    driver.set_script_timeout(600)
    try:
        yield driver
    finally:
        driver.quit()


_OUR_QUERY = """
const [base, text, done] = arguments;
import(base + "search.js").then(async (client) => {
  const found = await client.createSearch(base + "search/index.json").query(text, { limit: 10 });
  const fetched = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
  done({ ids: found.results.map((r) => r.hashed_id), fetched });
}).catch((error) => done({ error: String(error) }));
"""

_PAGEFIND_QUERY = """
const [base, text, done] = arguments;
import(base + "pagefind/pagefind.js").then(async (pagefind) => {
  await pagefind.options({ baseUrl: "/" });
  const search = await pagefind.search(text);
  const data = await Promise.all(search.results.slice(0, 10).map((r) => r.data()));
  const fetched = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
  done({ ids: data.map((d) => d.url.split("/")[2]), fetched });
}).catch((error) => done({ error: String(error) }));
"""


def cold_query(driver: Any, base: str, folder: Path, text: str, *, ours: bool) -> dict[str, Any]:
    """One query in a fresh page with an empty cache: results and bytes transferred."""
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(base + "blank.html")
    REQUESTED.clear()
    found = driver.execute_async_script(_OUR_QUERY if ours else _PAGEFIND_QUERY, base, text)
    if "error" in found:
        raise RuntimeError(found["error"])
    found["fetched"] = list(REQUESTED)  # Pagefind fetches its index from a web worker
    sent = 0
    for path in found["fetched"]:
        if not (folder / path.lstrip("/")).is_file():
            continue  # a favicon the browser asked for
        content = (folder / path.lstrip("/")).read_bytes()
        # ours is compressed on the fly; Pagefind's index files are gzipped on disk already,
        # its JS and wasm compressed on the fly too
        compressible = ours or path.endswith((".js", ".json", ".wasm"))
        sent += len(gzip.compress(content, 6)) if compressible else len(content)
    return {"ids": found["ids"], "bytes": sent, "files": len(found["fetched"])}


def site_folder(ours: Path, pagefind: Path | None, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    (into / "blank.html").write_text("<!doctype html><title>cold</title>")
    shutil.copytree(ours / "search", into / "search")
    shutil.copy(ours / "search.js", into / "search.js")
    if pagefind is not None:
        shutil.copytree(pagefind / "pagefind", into / "pagefind")
    return into


# -- edits ------------------------------------------------------------------------------------


def edit_figures(db: Path, scratch: Path) -> dict[str, float]:
    """Files and bytes of the search index one rename writes, after a first publish."""
    from wistia_sync.publish import publish_site
    from wistia_sync.store.db import open_database, write_transaction

    work = scratch / "edit.db"
    shutil.copy(db, work)
    out = scratch / "edit-out"
    shutil.rmtree(out, ignore_errors=True)
    database = open_database(work)
    publish_site(database, out, lock_path=scratch / "lock")
    target = database.execute(
        "SELECT hashed_id FROM search_videos ORDER BY number LIMIT 1 OFFSET ?",
        [database.execute("SELECT count(*) FROM search_videos").fetchone()[0] // 2],
    ).fetchone()[0]
    with write_transaction(database):
        database.execute(
            "UPDATE videos SET name = 'Renamed video about nothing' WHERE hashed_id = ?", [target]
        )
    result = publish_site(database, out, lock_path=scratch / "lock")
    database.conn.close()
    files = [p for p in result.written if p.startswith("search/")]
    shards = [p for p in files if p != "search/index.json"]
    figures = {
        "files": len(files),
        "bytes": sum((out / p).stat().st_size for p in files),
        "shard_bytes": sum((out / p).stat().st_size for p in shards),
        "entry_bytes": (out / "search/index.json").stat().st_size,
    }
    shutil.rmtree(out)
    work.unlink()
    return figures


# -- main -------------------------------------------------------------------------------------


def quality(scratch: Path, with_pagefind: bool) -> dict[str, Any]:
    """recall@10 and first-result hits of the judged queries, over their own catalog."""
    judged = json.loads(QUERIES_FILE.read_text())
    db = scratch / "quality.db"
    db.unlink(missing_ok=True)
    _quality_catalog(db, judged["catalog"])
    ours, pf = scratch / "q-ours", scratch / "q-pagefind"
    build_ours(db, ours)
    if with_pagefind:
        build_pagefind(db, pf)
    folder = site_folder(ours, pf if with_pagefind else None, scratch / "q-site")
    figures: dict[str, Any] = {}
    with serving(folder) as base, chromium() as driver:
        for name, is_ours in (("ours", True), ("pagefind", False)):
            if name == "pagefind" and not with_pagefind:
                continue
            recall, first, misses = 0.0, 0, []
            for query in judged["queries"]:
                found = cold_query(driver, base, folder, query["q"], ours=is_ours)["ids"]
                expected = query["expect"]  # every relevant video
                right_first = query.get("first", expected[:1])  # acceptable first results
                recall += len(set(found) & set(expected)) / len(expected)
                hit = bool(found) and found[0] in right_first
                first += hit
                if not hit:
                    misses.append(query["q"])
            count = len(judged["queries"])
            figures[name] = {
                "recall_at_10": recall / count,
                "first_hit": first / count,
                "queries": count,
                "misses": misses,
            }
    return figures


def _quality_catalog(db_path: Path, spec: dict[str, Any]) -> None:
    """The judged catalog: the planted videos of the query file among generated ones."""
    from wistia_sync.store.db import open_database

    open_database(db_path, create=True).conn.close()
    conn = sqlite3.connect(db_path)
    now = "2026-01-01T00:00:00Z"
    rng = random.Random(3)
    words = spec["filler_words"]
    with conn:
        for n, folder in enumerate(spec["folders"]):
            conn.execute(
                "INSERT INTO folders (hashed_id, id, name) VALUES (?, ?, ?)",
                [folder[0], n, folder[1]],
            )
        tag_ids: dict[str, int] = {}
        videos = list(spec["videos"])
        for n in range(spec["fillers"]):
            name = " ".join(rng.sample(words, 3)).capitalize()
            videos.append(
                {
                    "id": f"fill{n:05d}",
                    "name": name,
                    "description": " ".join(rng.sample(words, 8)),
                    "tags": rng.sample(spec["filler_tags"], 1),
                    "folder": rng.choice(spec["filler_folders"]),
                    "transcript": " ".join(rng.choices(words, k=40)) if n % 4 == 0 else "",
                }
            )
        for n, video in enumerate(videos):
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1.5e9 + n * 3600))
            conn.execute(
                "INSERT INTO videos (hashed_id, id, name, description, type, status, archived, "
                "duration, created, updated, thumbnail_url, folder_hashed_id, plays, first_seen, "
                "last_seen, visibility) VALUES (?, ?, ?, ?, 'Video', 'ready', 0, 60, ?, ?, ?, ?, "
                "0, ?, ?, 'public')",
                [video["id"], n, video["name"], video.get("description", ""), created, created,
                 f"https://embed-ssl.wistia.com/deliveries/{video['id']}.jpg",
                 video.get("folder"), now, now],
            )  # fmt: skip
            for tag in video.get("tags", []):
                if tag not in tag_ids:
                    tag_ids[tag] = len(tag_ids) + 1
                    slug = "-".join(tag.lower().split())
                    conn.execute(
                        "INSERT INTO tags (id, name, key, slug, created_at) VALUES (?, ?, ?, ?, ?)",
                        [tag_ids[tag], tag, tag.lower(), slug, now],
                    )
                conn.execute(
                    "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
                    "VALUES (?, ?, 'wistia', ?)",
                    [video["id"], tag_ids[tag], now],
                )
            if video.get("transcript"):
                text = video["transcript"]
                conn.execute(
                    "INSERT INTO video_captions VALUES (?, 'eng', 'English', NULL, ?, ?, ?)",
                    [video["id"], json.dumps([[0, 1000, text]]), "0" * 64, text],
                )
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--edit-sizes", default="1000,10000,100000")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "bench-search"))
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--no-pagefind", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    with_pagefind = not args.no_pagefind
    report: dict[str, Any] = {"load_before": os.getloadavg()}
    if not args.skip_quality:
        report["quality"] = quality(cache, with_pagefind)
        print(json.dumps(report["quality"], indent=1), flush=True)
    if args.quality_only:
        return
    words = vocabulary()
    queries = {
        "one word": words[40],  # a common transcript word (rank 40 of 5,000)
        "one word, rare": words[3000],
        "three words": f"video number {words[40]}",
        "every video": "video",
    }
    for size in [int(s) for s in args.sizes.split(",") if s]:
        db = catalog(size, cache)
        ours_out, pf_out = cache / f"ours-{size}", cache / f"pagefind-{size}"
        entry: dict[str, Any] = {"ours_build": build_ours(db, ours_out)}
        print(size, "ours build", entry["ours_build"], flush=True)
        if with_pagefind:
            entry["pagefind_build"] = build_pagefind(db, pf_out)
            print(size, "pagefind build", entry["pagefind_build"], flush=True)
        entry["ours_files"] = tree_bytes(ours_out)
        if with_pagefind:
            entry["pagefind_files"] = tree_bytes(pf_out)
        folder = site_folder(ours_out, pf_out if with_pagefind else None, cache / f"site-{size}")
        with serving(folder) as base, chromium() as driver:
            for label, text in queries.items():
                entry[f"ours {label}"] = cold_query(driver, base, folder, text, ours=True)
                if with_pagefind:
                    try:
                        entry[f"pagefind {label}"] = cold_query(
                            driver, base, folder, text, ours=False
                        )
                    except Exception as error:  # a timeout at 100k: recorded, not fatal
                        entry[f"pagefind {label}"] = {"ids": [], "error": type(error).__name__}
                print(label, entry[f"ours {label}"], entry.get(f"pagefind {label}"), flush=True)
                for key in (f"ours {label}", f"pagefind {label}"):
                    if key in entry:
                        entry[key].pop("ids")
        report[str(size)] = entry
        print(size, json.dumps(entry, indent=1), flush=True)
    for size in [int(s) for s in args.edit_sizes.split(",") if s]:
        report[f"edit {size}"] = edit_figures(catalog(size, cache), cache)
        print(size, report[f"edit {size}"], flush=True)
    report["load_after"] = os.getloadavg()
    (cache / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
