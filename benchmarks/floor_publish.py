"""The floor of a rebuild: a plain script writing what ``publish --force`` writes, nothing more.

    python benchmarks/floor_publish.py DATABASE OUTPUT

It reads the catalog tables of the same database and writes the same files with the same bytes
into an empty OUTPUT: every video file, every playlist's entry file, pages and page-list
chunks, ``tags.json``, ``folders.json``, the schemas, ``index.html``, the search index,
``manifest.json``, the
file list's shards, its shard-list chunks and ``files.json``. Pages, page lists, shards and
shard lists are cut as a first publish cuts them (one range, split into balanced pieces past
twice its size: what ``buckets.normalise`` does from an empty state). Each file is written as a
temp file (with the publish's mtime, as ours), the batch is made durable with one ``syncfs``,
then renamed into place and the folders fsynced: atomic and durable, as ours is.

It keeps no publisher state, applies none of the untrusted-input rules (bidirectional controls,
unsafe names, odd timestamps: the benchmark's catalog has none, and the byte-identity check of
``bench_rebuild.py`` would show it if it had) and holds every video's JSON text in memory.
``manifest.json``'s ``updated_at`` is read from the database (``publish_updated_at``) when a
publish recorded one, so the benchmark can compare the trees byte for byte; else it is now.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import importlib.util
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wistia_sync"
VERSION = 2
EMBED = "https://fast.wistia.net/embed/iframe/{}"
HLS = "https://fast.wistia.com/embed/medias/{}.m3u8"
PUBLISHED = (
    "v.deleted_at IS NULL AND v.type IS 'Video' AND v.status IS 'ready' AND v.archived IS 0 "
    "AND v.protected IS 0 AND v.visibility IS 'public'"
)
INVERT = str.maketrans("0123456789", "9876543210")
SHARD_SIZE = 16  # files a shard lists (``publish.shards``)
PAGE_LIST_SIZE = 64  # page links a page-list chunk holds (``publish.pagelists``)
SHARD_LIST_SIZE = 8  # links a chunk of the index's tree holds (``publish.shardlists``)
INLINE_SHARDS = 128  # up to this many shards, files.json lists them all (``publish.shardlists``)
T = TypeVar("T")
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def main(database: str, output: str) -> None:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    state = dict(conn.execute("SELECT key, value FROM sync_state"))
    page_size = min(max(int(state.get("site_page_size") or 40), 1), 1000)
    out = Path(output)
    temp = out / ".wistia-sync-tmp"
    temp.mkdir(parents=True)
    stamp = time.time_ns() // 1_000_000_000 * 1_000_000_000
    staged: list[tuple[str, str]] = []  # (temp path, final relative path), in write order
    listed: dict[str, tuple[str, int, str]] = {}  # path -> (sha256, bytes, cache class)

    def write(path: str, content: bytes, cache: str = "entry") -> str:
        digest = hashlib.sha256(content).hexdigest()
        name = f"{temp}/{len(staged)}"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, content)
        os.utime(fd, ns=(stamp, stamp))
        os.close(fd)
        staged.append((name, path))
        listed[path] = (digest, len(content), cache)
        return digest

    def immutable(folder: str, content: bytes) -> tuple[str, str]:
        """Write a content-addressed file: (its path, its sha256)."""
        digest = hashlib.sha256(content).hexdigest()
        path = f"{folder}/{digest[:32]}.json"
        write(path, content, "immutable")
        return path, digest

    def page(playlist_header: str, texts: list[str]) -> str:
        content = f'{{{playlist_header},"videos":[{",".join(texts)}]}}\n'.encode()
        return immutable("pages", content)[0]

    def page_list(playlist_header: str, links: list[dict[str, object]]) -> str:
        return immutable("page-lists", f'{{{playlist_header},"pages":{dumps(links)}}}\n'.encode())[
            0
        ]

    # Videos, their tags, their playlists.
    vtts: dict[str, bytes] = {}
    tags: dict[str, list[tuple[str, str]]] = {}
    for hashed_id, name, slug in conn.execute(
        "SELECT vt.hashed_id, t.name, t.slug FROM video_tags vt JOIN tags t ON t.id = vt.tag_id"
    ):
        tags.setdefault(hashed_id, []).append((name, slug))
    # Captions (issue 20): WebVTT files named by the stored digest, and chapters.
    vtt = _vtt_module()
    captions: dict[str, list[dict[str, str]]] = {}
    for hid, lang, label, cues, digest in conn.execute(
        "SELECT hashed_id, lang, label, cues, digest FROM video_captions ORDER BY hashed_id, lang"
    ):
        url = f"captions/{hid}.{lang}.{digest[:32]}.vtt"
        captions.setdefault(hid, []).append({"lang": lang, "label": label, "url": url})
        vtts[url] = vtt.render_vtt(json.loads(cues))
    chapters = {
        hid: [{"title": t, "start": float(start)} for t, start in json.loads(stored)]
        for hid, stored in conn.execute(
            "SELECT hashed_id, chapters FROM caption_sync WHERE chapters != '[]'"
        )
    }
    # Slugs (issue 22): assigned by a publish (the floor only reads them), and their lookup.
    slugs = dict(conn.execute("SELECT hashed_id, slug FROM video_slugs"))
    shard_of = dict(conn.execute("SELECT hashed_id, shard FROM video_slugs"))
    lookup: dict[int, list[tuple[str, str]]] = {}
    texts: dict[str, str] = {}
    members: dict[str, list[tuple[str, str]]] = {}
    titles = {"videos.json": "All videos"}
    for row in conn.execute(
        "SELECT v.hashed_id, v.name, v.description, v.duration, v.width, v.height, v.created, "
        "v.updated, v.thumbnail_url, f.hashed_id, f.name, v.plays FROM videos v "
        f"LEFT JOIN folders f ON f.hashed_id = v.folder_hashed_id WHERE {PUBLISHED}"
    ):
        hid, name, desc, duration, width, height, created, updated, thumb, fid, fname, plays = row
        video_tags = sorted(set(tags.get(hid, ())), key=lambda t: (t[0].casefold(), t[0], t[1]))
        sizes = (width, height) if width and height else (None, None)
        text = dumps(
            {
                "hashed_id": hid,
                "name": name,
                "description": desc,
                "duration": None if duration is None else float(duration),
                "width": sizes[0],
                "height": sizes[1],
                "created": created,
                "updated": updated,
                "thumbnail_url": thumb,
                "embed_url": EMBED.format(hid),
                "hls_url": HLS.format(hid),
                "folder": None if fid is None else {"hashed_id": fid, "name": fname},
                "tags": [{"name": n, "slug": s} for n, s in video_tags],
                "plays": plays,
                "captions": captions.get(hid, []),
                "chapters": chapters.get(hid, []),
                **({"slug": slugs[hid]} if hid in slugs else {}),
            }
        )
        if hid in slugs:
            lookup.setdefault(shard_of[hid], []).append((slugs[hid], hid))
        texts[hid] = text
        for caption in captions.get(hid, []):
            write(caption["url"], vtts[caption["url"]], "immutable")
        write(f"videos/{hid}.json", f'{{"schema_version":{VERSION},"video":{text}}}\n'.encode())
        key = f"{created.translate(INVERT)} {hid}"
        members.setdefault("videos.json", []).append((key, hid))
        if fid is not None:
            members.setdefault(f"folders/{fid}.json", []).append((key, hid))
            titles[f"folders/{fid}.json"] = fname
        for n, s in video_tags:
            members.setdefault(f"tags/{s}.json", []).append((key, hid))
            titles[f"tags/{s}.json"] = n

    # Playlists: pages cut as a first publish cuts them (balanced, page_size to 1.5x), the
    # first inline in the entry file (only its first quarter page when there are more: the rest
    # of it is a page too); the other pages' links cut the same way into chunks of
    # PAGE_LIST_SIZE to 1.5x, the first inline (``pages``), the rest in ``page-lists/``
    # (``page_lists``); entry files after their pages, indexes after them.
    entries: list[tuple[str, bytes]] = []
    counts: dict[str, int] = {}
    for playlist in sorted(members.keys() | {"videos.json"}):
        ordered = sorted(members.get(playlist, []))
        chunks = cut(ordered, page_size)
        head = max(1, page_size // 4)  # ``buckets.inline_head``
        if len(chunks) > 1 and len(chunks[0]) > head:  # the first bucket's tail: a page too
            chunks = [chunks[0][:head], chunks[0][head:], *chunks[1:]]
        kind, _, rest = playlist.partition("/")
        if playlist == "videos.json":
            header, prefix = f'"schema_version":{VERSION},"kind":"all","key":null', ""
        else:
            identity = rest[: -len(".json")]
            header = f'"schema_version":{VERSION},"kind":"{kind[:-1]}","key":{dumps(identity)}'
            prefix = "../"
        pages = [(page(header, [texts[h] for _, h in chunk]), len(chunk)) for chunk in chunks[1:]]
        page_chunks = cut(pages, PAGE_LIST_SIZE)
        refs = [{"url": prefix + path, "count": count} for path, count in page_chunks[0]]
        lists = [
            {
                "url": prefix
                + page_list(header, [{"url": f"../{path}", "count": n} for path, n in chunk]),
                "count": sum(n for _, n in chunk),
                "pages": len(chunk),
            }
            for chunk in page_chunks[1:]
        ]
        tail = f',"page_lists":{dumps(lists)}' if lists else ""
        first = ",".join(texts[h] for _, h in chunks[0])
        entries.append(
            (
                playlist,
                f'{{{header},"title":{dumps(titles[playlist])},"count":{len(ordered)},'
                f'"pages":{dumps(refs)}{tail},"videos":[{first}]}}\n'.encode(),
            )
        )
        counts[playlist] = len(ordered)
    for path, content in entries:
        if path != "videos.json":
            write(path, content)
    for shard, pairs in sorted(lookup.items()):
        text = f'{{"schema_version":{VERSION},"slugs":{dumps(dict(sorted(pairs)))}}}\n'
        write(f"slugs/{shard:02x}.json", text.encode())

    def index(kind: str, field: str) -> bytes:
        rows = [
            {
                "name" if field == "slug" else "hashed_id": path[len(kind) + 1 : -5],
                "count": count,
                "title": titles[path],
                "url": path,
            }
            for path, count in counts.items()
            if path.startswith(kind + "/")
        ]
        key = "name" if field == "slug" else "hashed_id"
        shaped = [
            {"name": r["title"], "slug": r[key], "count": r["count"], "url": r["url"]}
            if field == "slug"
            else {"hashed_id": r[key], "name": r["title"], "count": r["count"], "url": r["url"]}
            for r in rows
        ]
        shaped.sort(key=lambda e: (str(e["name"]).casefold(), str(e["name"]), str(e[field])))
        return (dumps({"schema_version": VERSION, kind: shaped}) + "\n").encode()

    write("videos.json", dict(entries)["videos.json"])
    write("tags.json", index("tags", "slug"))
    write("folders.json", index("folders", "hashed_id"))
    for schema in sorted((PACKAGE / "contract" / "schema").glob("*.schema.json")):
        write(f"schema/{schema.name}", schema.read_bytes())
    if state.get("site_preview_page") != "0":
        write("index.html", _preview_page(state.get("site_preview_title")))
    keys = _search_index(conn, write)

    # The manifest, then the file list (every file above and the manifest, in shards).
    heads = sorted(
        f"{path} {listed[path][0]}"
        for path in listed
        if path in ("videos.json", "tags.json", "folders.json") or path.startswith("schema/")
    )
    generation = hashlib.sha256("\n".join(heads).encode()).hexdigest()[:20]
    updated_at = state.get("publish_updated_at") or time.strftime("%Y-%m-%dT%H:%M:%SZ")
    write(
        "manifest.json",
        (
            dumps(
                {
                    "schema_version": VERSION,
                    "generation": generation,
                    "updated_at": updated_at,
                    "counts": {
                        "videos": counts["videos.json"],
                        "tags": sum(p.startswith("tags/") for p in counts),
                        "folders": sum(p.startswith("folders/") for p in counts),
                    },
                    "videos": "videos.json",
                    "tags": "tags.json",
                    "folders": "folders.json",
                    "files": "files.json",
                }
            )
            + "\n"
        ).encode(),
    )
    # Shards cut like pages from the files in key order (a search file's key puts its kind and
    # place first: ``layout.search_file_key``); their links cut again into chunks of SHARD_LIST_SIZE
    # to 1.5x, those into chunks, and so on until one is left: the root, inline in files.json.
    paths = sorted(listed, key=lambda path: keys.get(path, path))
    shards: list[tuple[str, int, str, str, int]] = []  # (first key, entries, path, sha256, bytes)
    for i, chunk in enumerate(cut(paths, SHARD_SIZE)):
        lines = ",\n".join(
            f'{json.dumps(p)}:{{"sha256":"{listed[p][0]}","bytes":{listed[p][1]},'
            f'"cache":"{listed[p][2]}"}}'
            for p in chunk
        )
        content = f'{{"schema_version":{VERSION},"files":{{\n{lines}\n}}}}\n'.encode()
        path, digest = immutable("files", content)
        first = keys.get(chunk[0], chunk[0]) if i else ""
        shards.append((first, len(chunk), path, digest, len(content)))

    def shard_rows(rows: list[tuple[str, int, str, str, int]], prefix: str) -> str:
        return ",\n".join(
            f'{{"url":"{prefix}{path}","first":{dumps(first)},"count":{count},'
            f'"sha256":"{digest}","bytes":{size}}}'
            for first, count, path, digest, size in rows
        )

    def chunk_rows(rows: list[tuple[str, int, int, str, str, int]], beside: bool) -> str:
        return ",\n".join(
            f'{{"url":"{path.rpartition("/")[2] if beside else path}","first":{dumps(first)},'
            f'"count":{files},"shards":{count},"sha256":"{digest}","bytes":{size}}}'
            for first, files, count, path, digest, size in rows
        )

    Node = tuple[str, int, int, str, str, int]  # first path, files, shards, path, sha, bytes

    def chunk(key: str, body: str, first: str, files: int, count: int) -> Node:
        content = f'{{"schema_version":{VERSION},"{key}":[\n{body}\n]}}\n'.encode()
        path, digest = immutable("shard-lists", content)
        return (first, files, count, path, digest, len(content))

    small = len(shards) <= INLINE_SHARDS  # every shard inline in files.json, no chunk
    nodes = [
        chunk("shards", shard_rows(part, "../"), part[0][0], sum(s[1] for s in part), len(part))
        for part in ([] if small else cut(shards, SHARD_LIST_SIZE))
    ]
    while len(pieces := cut(nodes, SHARD_LIST_SIZE)) > 1:
        nodes = [
            chunk(
                "shard_lists",
                chunk_rows(part, beside=True),
                part[0][0],
                sum(n[1] for n in part),
                sum(n[2] for n in part),
            )
            for part in pieces
        ]
    tree = (
        f'"shards":[\n{shard_rows(shards, "")}\n]'
        if small
        else f'"shards":[],"shard_lists":[\n{chunk_rows(nodes, beside=False)}\n]'
    )
    write(
        "files.json",
        f'{{"schema_version":{VERSION},"generation":"{generation}","count":{len(paths)},'
        f"{tree}}}\n".encode(),
    )

    # Durable in one step, then in place, the folders fsynced.
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).syncfs(fd)
    os.close(fd)
    folders = {str(out)} | {f"{out}/{path.rpartition('/')[0]}" for _, path in staged}
    for folder in folders:
        os.makedirs(folder, exist_ok=True)  # noqa: PTH103 (plain strings, as fast as it gets)
    for name, path in staged:
        os.replace(name, f"{out}/{path}")  # noqa: PTH105
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(fd)
        os.close(fd)


def cut(items: list[T], size: int) -> list[list[T]]:
    """``items`` cut as a first publish cuts a range (``buckets.normalise`` from one bucket):
    whole up to twice ``size``, else into balanced pieces of ``size`` to 1.5 times ``size``."""
    pieces = len(items) // size if len(items) > 2 * size else 1
    return [items[i * len(items) // pieces : (i + 1) * len(items) // pieces] for i in range(pieces)]


def _search_index(
    conn: sqlite3.Connection, write: Callable[[str, bytes, str], str]
) -> dict[str, str]:
    """The search index (issue 21), by the package's own planner run as a first publish runs
    it: its tokenising, folding and cutting are the work itself, with nothing to leave out.
    Returns the file list's key of each search file (none from a package before the keys)."""
    from sqlite_utils import Database

    from wistia_sync.publish.search_index import plan_search

    def add(path: str, content: bytes, role: str) -> None:
        write(path, content, "entry" if role == "entry" else "immutable")

    plan = plan_search(Database(conn), None, add)
    write("search.js", (PACKAGE / "templates" / "search.js").read_bytes())
    keys: dict[str, str] = getattr(plan, "keys", {})
    return keys


def _vtt_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vtt", PACKAGE / "contract" / "vtt.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _preview_page(title: str | None) -> bytes:
    """``index.html``, by the package's own renderer (loaded alone: not the whole publisher)."""
    spec = importlib.util.spec_from_file_location("preview", PACKAGE / "publish" / "preview.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page: bytes = module.render_preview_page(title or module.DEFAULT_TITLE)
    return page


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1], sys.argv[2])
