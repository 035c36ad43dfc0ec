"""Scenario 9: readers walking every playlist over real HTTP while editors and cron change it.

The output folder is served on 127.0.0.1 (a threaded static server, as nginx would serve it).
Readers start from an entry file (``videos.json``, each tag's and folder's playlist, found
through ``manifest.json``, ``tags.json`` and ``folders.json``) and fetch every page it lists,
resolving links against the URL of the file holding them. Meanwhile editors hide, show and tag
videos in a loop (each change republishes, in parallel processes) and cron's ``run`` syncs.

Each traversal must see exactly one publish: no video skipped (the number fetched is the entry
file's ``count``), none twice, every page byte-identical to what its content-addressed name
promises (a page from another publish would not hash to the listed name), the playlist's order
intact, and no listed page answering 404.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import Ledger, published_ids

SCENARIO = "9. readers during edits"
READERS = 3
EDITORS = 2


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class ReaderTally:
    traversals: int = 0
    pages: int = 0
    skipped: int = 0
    duplicated: int = 0
    mixed: int = 0
    missing_pages: int = 0
    problems: list[str] = field(default_factory=list)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def _traverse(base: str, entry: str, tally: ReaderTally) -> None:
    """One reader's walk of one playlist, checked as it goes."""
    entry_url = urljoin(base, entry)
    try:
        document = json.loads(_get(entry_url))
    except urllib.error.HTTPError as error:
        if error.code == 404:  # the playlist went away (its last video hidden): not a page
            return
        raise
    ids = [video["hashed_id"] for video in document["videos"]]
    keys = [(video["created"], video["hashed_id"]) for video in document["videos"]]
    for page in document["pages"]:
        page_url = urljoin(entry_url, page["url"])
        try:
            content = _get(page_url)
        except urllib.error.HTTPError as error:
            tally.missing_pages += 1
            tally.problems.append(f"{entry}: listed page {page['url']} answered {error.code}")
            continue
        tally.pages += 1
        name = page_url.rsplit("/", 1)[-1].removesuffix(".json")
        videos = json.loads(content)["videos"]
        if hashlib.sha256(content).hexdigest()[: len(name)] != name or len(videos) != page["count"]:
            tally.mixed += 1
            tally.problems.append(f"{entry}: page {page['url']} is not the one listed")
        ids += [video["hashed_id"] for video in videos]
        keys += [(video["created"], video["hashed_id"]) for video in videos]
        _check_captions(base, entry, videos, tally)
    _check_captions(base, entry, document["videos"], tally)
    tally.traversals += 1
    if len(set(ids)) != len(ids):
        tally.duplicated += len(ids) - len(set(ids))
        tally.problems.append(f"{entry}: a video twice")
    if len(ids) < document["count"]:
        tally.skipped += document["count"] - len(ids)
        tally.problems.append(f"{entry}: {document['count'] - len(ids)} videos skipped")
    if keys != sorted(keys, key=lambda key: (_descending(key[0]), key[1])):
        tally.mixed += 1
        tally.problems.append(f"{entry}: videos out of playlist order")


def _check_captions(base: str, entry: str, videos: list[Any], tally: ReaderTally) -> None:
    """Every caption file a video object links to (relative to the site's root) is there."""
    for video in videos:
        for caption in video.get("captions", []):
            try:
                _get(urljoin(base, caption["url"]))
            except urllib.error.HTTPError as error:
                tally.missing_pages += 1
                tally.problems.append(f"{entry}: caption {caption['url']} answered {error.code}")


def _traverse_search(base: str, tally: ReaderTally) -> None:
    """The search index from its entry: every shard, record list and record block it leads to
    is the file its content-addressed name promises (issue 21). A takedown removes the search
    files holding a video at once: a file gone sends the reader back to the entry, as the
    client does, and only one missing from a fresh entry counts."""
    for _ in range(5):
        if _search_snapshot(base, tally):
            return
    tally.missing_pages += 1
    tally.problems.append("search: a listed file answered 404 five entries in a row")


def _search_snapshot(base: str, tally: ReaderTally) -> bool:
    entry_url = urljoin(base, "search/index.json")
    entry = json.loads(_get(entry_url))
    linked = [urljoin(entry_url, url) for _, _, url in entry["shards"]]
    for _, list_url in entry["record_lists"]:
        url = urljoin(entry_url, list_url)
        linked.append(url)
        try:
            blocks = json.loads(_get(url))["blocks"]
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        linked += [urljoin(url, block_url) for _, block_url in blocks]
    for url in linked:
        try:
            content = _get(url)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        tally.pages += 1
        name = url.rsplit("/", 1)[-1].removesuffix(".json")
        if hashlib.sha256(content).hexdigest()[: len(name)] != name:
            tally.mixed += 1
            tally.problems.append(f"search: {url} is not the file listed")
    return True


def _descending(created: str) -> str:
    return created.translate(str.maketrans("0123456789", "9876543210"))


def _reader(base: str, stop: threading.Event, tally: ReaderTally) -> None:
    while not stop.is_set():
        try:
            manifest = json.loads(_get(urljoin(base, "manifest.json")))
            entries = [manifest["videos"]]
            for index, key in (("tags", "tags"), ("folders", "folders")):
                listing = json.loads(_get(urljoin(base, manifest[index])))
                entries += [item["url"] for item in listing[key]]
            for entry in entries:
                _traverse(base, entry, tally)
            _traverse_search(base, tally)
        except Exception as error:  # a reader must never see a broken file
            tally.problems.append(f"reader: {type(error).__name__}: {error}")
            time.sleep(0.05)


def test_readers_see_one_consistent_snapshot_while_editors_and_cron_work(
    scene: MakeScene, ledger: Ledger
) -> None:
    current = scene(80, 909)
    ws = current.ws
    assert ws.cli("site", "--page-size", "4").returncode == 0
    assert ws.cli("publish").returncode == 0
    videos = published_ids(ws.db)
    handler = functools.partial(_QuietHandler, directory=str(ws.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    tallies = [ReaderTally() for _ in range(READERS)]
    readers = [
        threading.Thread(target=_reader, args=(base, stop, tally), daemon=True) for tally in tallies
    ]
    edits: list[int] = []

    def editor(number: int) -> None:
        mine = videos[number::EDITORS][:8]
        step = 0
        while not stop.is_set():
            video = mine[step % len(mine)]
            action = step % 3
            if action == 0:
                result = ws.cli("visibility", "hide", video, "--quiet")
            elif action == 1:
                result = ws.cli("tag", "add", video, f"Reader test {number}", "--quiet")
            else:
                result = ws.cli("visibility", "show", video, "--quiet")
            edits.append(result.returncode)
            step += 1

    def cron() -> None:
        while not stop.is_set():
            edits.append(ws.cli("run", "--quiet").returncode)

    workers = [threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)]
    workers.append(threading.Thread(target=cron))
    try:
        for thread in [*readers, *workers]:
            thread.start()
        time.sleep(12)
    finally:
        stop.set()
        for thread in [*workers, *readers]:
            thread.join(timeout=120)
        server.shutdown()
        server.server_close()

    total = ReaderTally()
    for tally in tallies:
        for name in ("traversals", "pages", "skipped", "duplicated", "mixed", "missing_pages"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
        total.problems += tally.problems
    ledger.record(
        SCENARIO,
        f"{READERS} readers walking every playlist over HTTP while {EDITORS} editors hide, "
        "show and tag and cron runs",
        times=total.traversals,
        runs=len(edits),
        files_checked=total.pages,
        lost_changes=0,
        invalid_files=total.skipped + total.duplicated + total.mixed + total.missing_pages,
        held=f"{total.traversals} traversals ({total.pages} pages): {total.skipped} skipped, "
        f"{total.duplicated} duplicated, {total.mixed} mixed, {total.missing_pages} listed "
        "pages missing",
    )
    assert edits and all(code in (0, 75) for code in edits), edits
    assert total.traversals > 20 and total.pages > 20, total
    assert not total.problems, total.problems[:10]
