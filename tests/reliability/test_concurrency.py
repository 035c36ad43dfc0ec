"""Scenario 5: cron starts ``run`` every second while editors tag and hide in parallel.

Three editor threads each drive their own videos through real ``wistia-sync tag …`` and
``visibility …`` processes, back to back; a cron thread starts a ``run`` every second (one that
finds the previous still running exits 75, as cron's would); people keep changing the account in
Wistia; a reader keeps fetching random output files, as the CDN does. Afterwards: no process saw
"database is locked" or died with a traceback, every editor change is in the database and in the
output, no read ever got a partial file, and the output is exactly what a fresh publish of the
final database gives.
"""

from __future__ import annotations

import json
import random
import threading
import time
from subprocess import Popen

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import (
    EDITOR_TAGS,
    CliResult,
    EditorBook,
    Ledger,
    Workspace,
    fresh_publish,
    output_differences,
    output_problems,
    published_ids,
)
from wistia_sync.demo.api import FakeWistia

SCENARIO = "5. concurrency"
EDITORS = 3
VIDEOS_PER_EDITOR = 6


class Editor(threading.Thread):
    """Runs editor commands on its own videos until stopped; remembers what they must leave."""

    def __init__(self, index: int, ws: Workspace, videos: list[str], book: EditorBook) -> None:
        super().__init__(name=f"editor-{index}", daemon=True)
        self.rng = random.Random(index)
        self.ws, self.videos, self.book = ws, videos, book
        self.stop = threading.Event()
        self.results: list[CliResult] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            video = self.rng.choice(self.videos)
            action = self.rng.choice(("tag", "untag", "hide", "show", "toggle"))
            tag = self.rng.choice(EDITOR_TAGS)
            if action in ("tag", "untag"):
                verb = "add" if action == "tag" else "remove"
                result = self.ws.cli("tag", verb, video, tag)
            else:
                result = self.ws.cli("visibility", action, video)
            with self.lock:
                self.results.append(result)
                if result.returncode != 0:
                    continue
                if action in ("tag", "untag"):
                    self.book.expect_tag(video, tag, present=action == "tag")
                elif action == "toggle":
                    hidden = self.book.visibility.get(video, "public") == "hidden"
                    self.book.expect_visibility(video, "public" if hidden else "hidden")
                else:
                    self.book.expect_visibility(video, "hidden" if action == "hide" else "public")


def cron(ws: Workspace, stop: threading.Event, started: list[Popen[str]]) -> None:
    while not stop.is_set():
        tick = time.monotonic()
        started.append(ws.start("run", "--stats-budget", "5"))
        stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))


def people_in_wistia(api: FakeWistia, untouchable: set[str], stop: threading.Event) -> None:
    """Uploads, renames and plays in Wistia, on videos editors do not handle in this test."""
    rng = random.Random(99)
    count = 0
    while not stop.wait(0.4):
        count += 1
        others = [m for m in api.media() if m["hashed_id"] not in untouchable]
        api.add({"hashed_id": f"live{count:06d}", "name": f"Live upload {count}"})
        media = rng.choice(others)
        api.update(media["hashed_id"], name=f"Renamed live {count}")


class Reader(threading.Thread):
    """Fetches random output files like a CDN; counts reads that got a partial or bad file."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__(name="reader", daemon=True)
        self.ws = ws
        self.stop = threading.Event()
        self.reads = 0
        self.bad: list[str] = []
        self.rng = random.Random(5)

    def run(self) -> None:
        while not self.stop.is_set():
            # What a web server serves: no dot-file and nothing in a dot-folder (the publisher's
            # staging folder, denied by the nginx rule the README gives).
            paths = [
                p
                for p in self.ws.output.rglob("*.json")
                if not any(part.startswith(".") for part in p.relative_to(self.ws.output).parts)
            ]
            for path in self.rng.sample(paths, min(len(paths), 20)):
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue  # removed between listing and reading: a 404, not a bad file
                self.reads += 1
                try:
                    json.loads(data)
                except ValueError:
                    self.bad.append(f"{path.relative_to(self.ws.output)}: {len(data)} bytes")
            time.sleep(0.01)


def test_cron_every_second_with_parallel_editors_loses_nothing_and_output_matches_database(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    seconds = 60 if soak else 15
    api, ws = (s := scene(150, 101)).api, s.ws
    videos = published_ids(ws.db)
    book = EditorBook(ws.db)
    editors = [Editor(i, ws, videos[i::EDITORS][:VIDEOS_PER_EDITOR], book) for i in range(EDITORS)]
    untouchable = {video for editor in editors for video in editor.videos}
    stop = threading.Event()
    runs: list[Popen[str]] = []
    threads = [
        threading.Thread(target=cron, args=(ws, stop, runs), daemon=True),
        threading.Thread(target=people_in_wistia, args=(api, untouchable, stop), daemon=True),
    ]
    reader = Reader(ws)
    for thread in [*threads, *editors, reader]:
        thread.start()
    time.sleep(seconds)
    # On a loaded machine one run can take the whole period while the others find the lock
    # taken: go on (boundedly) until two runs have completed, so the overlap proves something.
    give_up = time.monotonic() + 8 * seconds
    while sum(run.poll() == 0 for run in list(runs)) < 2 and time.monotonic() < give_up:
        time.sleep(0.5)
    stop.set()
    for editor in editors:
        editor.stop.set()
    for thread in [*threads, *editors]:
        thread.join(timeout=120)
    codes = []
    for process in runs:
        _, err = process.communicate(timeout=120)
        codes.append(process.returncode)
        if process.returncode not in (0, 75) or "Traceback" in err or "database is locked" in err:
            reader.bad.append(f"run exited {process.returncode}: {err.strip()[-300:]}")
    reader.stop.set()
    reader.join(timeout=30)

    problems = list(reader.bad)
    edits = [r for editor in editors for r in editor.results]
    for result in edits:
        if result.returncode != 0 or "locked" in result.output or "Traceback" in result.output:
            problems.append(f"editor command failed: {result.describe()}")
    lost = book.lost() + book.unpublished_in_output(ws.output)
    check = output_problems(ws.output, converged=True)
    problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    ledger.record(
        SCENARIO,
        f"`run` every second for {seconds} s with {EDITORS} editors in parallel processes",
        times=len(edits) + len(runs),
        runs=len(edits) + len(runs),
        files_checked=check.files + reader.reads,
        lost_changes=len(lost),
        invalid_files=check.invalid + len(reader.bad),
        held=f"{len(edits)} editor commands and {codes.count(0)} runs (+{codes.count(75)} that "
        f"found the lock taken and exited 75): no 'database is locked', no partial read in "
        f"{reader.reads} reads, final output == fresh publish of the final database",
    )
    # Enough overlap to prove something, even on a loaded machine where each run is slow.
    assert len(edits) >= EDITORS and codes.count(0) >= 2, (len(edits), codes)
    assert not lost, lost
    assert not check.problems, check.problems
    assert not problems, "\n".join(problems[:20])
