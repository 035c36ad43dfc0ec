"""Delivery converges whatever failed (issue 18): real ``wistia-sync`` processes deliver the demo
site to a real SeaweedFS through a fault-injecting proxy; after each scenario ONE successful
``wistia-sync deliver`` must leave the bucket equal to the output (every key, its bytes, its
Cache-Control and Content-Type), with no object naming a video that is not published.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.test_editing_subprocess import entry_point, environment
from tests.deliver.conftest import s3_objects
from tests.reliability.harness import LEDGER_ENV, Ledger
from tests.support.faultproxy import FaultProxy, running_fault_proxy
from tests.support.seaweed import SeaweedS3
from wistia_sync import config
from wistia_sync.contract.cache_policy import cache_policy, content_type
from wistia_sync.contract.filelist import read_local_file_list, read_local_index
from wistia_sync.contract.layout import FILES_PATH, cache_class
from wistia_sync.deliver.s3 import make_s3_client

PREFIX = "site/"
TIMEOUT = 120
POLICY = cache_policy(purge_configured=False)  # no purge configured in these scenarios
SCENARIO = "12. delivery convergence"  # its rows in docs/reliability.md
HELD = "one `deliver` left the bucket equal to the output; no object names an unpublished video"


@pytest.fixture
def proxy(seaweed: SeaweedS3) -> Iterator[FaultProxy]:
    with running_fault_proxy(seaweed.endpoint_url) as running:
        yield running


@dataclass
class Site:
    """The demo account synced into a database, delivered through the proxy to ``bucket``."""

    db: Path
    output: Path
    bucket: str
    env: dict[str, str]
    proxy: FaultProxy
    runs: int = 0  # wistia-sync processes started
    checked: int = 0  # bucket objects and output files the invariant read

    def record(self, injected: str, times: int, test: str) -> None:
        path = os.environ.get(LEDGER_ENV)
        Ledger(Path(path) if path else None).record(
            SCENARIO, injected, times=times, runs=self.runs, files_checked=self.checked,
            lost_changes=0, invalid_files=0, held=HELD, test=f"test_convergence.py::{test}",
        )  # fmt: skip

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        return subprocess.run(
            [entry_point(), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.cli(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        self.runs += 1
        return subprocess.Popen(
            [entry_point(), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def published(self) -> set[str]:
        from wistia_sync.publish import PUBLISHED_VIDEO_CONDITION

        sql = f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}"
        return {row[0] for row in self.query(sql)}

    def tagged_video(self) -> str:
        """A published video with a tag and a folder: its hide or show touches every kind."""
        rows = self.query(
            "SELECT v.hashed_id FROM videos v JOIN video_tags vt ON vt.hashed_id = v.hashed_id "
            "WHERE v.folder_hashed_id IS NOT NULL ORDER BY v.hashed_id"
        )
        published = self.published()
        return next(row[0] for row in rows if row[0] in published)


@pytest.fixture
def site(tmp_path: Path, s3_env: SeaweedS3, bucket: str, proxy: FaultProxy) -> Site:
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    env = environment(db, output)
    env.update(
        {
            config.TARGET_ENV: f"s3://{bucket}/{PREFIX}",
            "AWS_ENDPOINT_URL": proxy.url,  # every wistia-sync process goes through the proxy
            "AWS_ACCESS_KEY_ID": s3_env.access_key,
            "AWS_SECRET_ACCESS_KEY": s3_env.secret_key,
        }
    )
    site = Site(db, output, bucket, env, proxy)
    site.ok("sync", "--demo", "-q")
    site.ok("publish", "-q")
    assert_converged(site)
    return site


@pytest.fixture(params=[False, True], ids=["plain", "site-settings"])
def any_site(request: pytest.FixtureRequest, site: Site) -> Site:
    """The site, and the same site with site settings on (origin, watch URL, watch pages): its
    sitemaps, JSON-LD, watch pages and slug lookup delivered too (issue 22)."""
    if request.param:
        site.ok("site", "--origin", "https://watch.example", "--watch-url", "/videos/{slug}",
                "--watch-pages")  # fmt: skip
        site.ok("publish", "-q")
        assert (site.output / "sitemap.xml").exists()
        assert "sitemap.xml" in bucket_objects(site)
        assert_converged(site)
    return site


def bucket_objects(site: Site) -> dict[str, dict[str, Any]]:
    """Every object under the prefix, read from SeaweedFS directly (not through the proxy)."""
    client = make_s3_client(os.environ["AWS_ENDPOINT_URL"])
    found = s3_objects(client, site.bucket, PREFIX)
    return {key.removeprefix(PREFIX): value for key, value in found.items()}


def output_files(output: Path) -> dict[str, bytes]:
    """The output as delivered: every file its file list names, its shards and files.json."""
    listing, raw = read_local_file_list(output)
    shards = [ref.path for ref in read_local_index(output)[0].shards]
    files = {path: (output / path).read_bytes() for path in [*listing.files, *shards]}
    return files | {FILES_PATH: raw}


def assert_converged(site: Site) -> None:
    """The invariant, over every object in the bucket and every file of the output."""
    objects = bucket_objects(site)
    local = output_files(site.output)
    assert sorted(objects) == sorted(local), "the bucket's keys are not the output's"
    for path, body in local.items():
        obj = objects[path]
        assert obj["body"] == body, f"{path} differs"
        assert obj["cache_control"] == POLICY.cache_control(cache_class(path)), path
        assert obj["content_type"] == content_type(path), path
    every = {row[0] for row in site.query("SELECT hashed_id FROM videos")}
    unpublished = every - site.published()
    assert unpublished, "a scenario must leave some video unpublished to check anything"
    for where, files in (("bucket", {p: o["body"] for p, o in objects.items()}), ("output", local)):
        for path, body in files.items():
            text = body.decode("utf-8")
            named = sorted(hashed_id for hashed_id in unpublished if hashed_id in text)
            assert not named, f"{where} {path} names unpublished {named}"
    site.checked += len(objects) + len(local)


def hide_one_first(site: Site) -> str:
    """Hide a tagged video and deliver, so that there is always an unpublished video to find."""
    hidden = site.tagged_video()
    site.ok("visibility", "hide", hidden, "-q")
    return hidden


def test_a_failed_delivery_then_a_hide_is_repaired_by_the_next_delivery(any_site: Site) -> None:
    """503 on manifest.json while an editor shows a video: the new video's files are up, the
    delivery fails; the editor hides it again (the output goes back to what the bucket's old
    files.json records). The old code then uploaded nothing, ever: the video stayed."""
    site = any_site
    video = hide_one_first(site)
    site.proxy.add("PUT", rf"/{PREFIX}manifest\.json", "slow_down")
    shown = site.cli("visibility", "show", video)
    assert shown.returncode == 3, shown.stderr  # published locally, delivery owed
    assert f"videos/{video}.json" in bucket_objects(site)  # sent before the manifest failed
    site.proxy.clear()
    site.cli("visibility", "hide", video)  # its own delivery may already repair the bucket
    site.ok("deliver")
    assert_converged(site)
    assert "next delivery completes it" in shown.stderr  # not "the previous files are in place"
    site.record("HTTP 503 SlowDown on every PUT of manifest.json, then the video hidden", 1,
                "test_a_failed_delivery_then_a_hide_is_repaired_by_the_next_delivery")  # fmt: skip


def test_two_editors_at_once_converge(site: Site) -> None:
    """B's `show X` is slow uploading tags.json while A hides X (two real processes)."""
    video = hide_one_first(site)
    slow = site.proxy.add("PUT", rf"/{PREFIX}tags\.json", "delay", times=1, seconds=4)
    editor_b = site.start("visibility", "show", video)
    deadline = time.monotonic() + 60
    while slow.fired == 0:
        assert editor_b.poll() is None, editor_b.communicate()
        assert time.monotonic() < deadline, "B never uploaded tags.json"
        time.sleep(0.05)
    editor_a = site.cli("visibility", "hide", video)
    _, b_errors = editor_b.communicate(timeout=TIMEOUT)
    site.ok("deliver")
    assert_converged(site)
    assert editor_a.returncode == 0, editor_a.stderr  # A waited for B's delivery to end
    assert editor_b.returncode == 0, b_errors  # B started again from A's publish
    site.record("two editors: B's show slowed 4 s on tags.json while A hides the video", 1,
                "test_two_editors_at_once_converge")  # fmt: skip


def test_a_refused_entry_upload_never_leaves_an_index_linking_to_it(site: Site) -> None:
    """A new tag's playlist PUT is refused: tags.json must never reach the bucket before it."""
    hide_one_first(site)
    video = site.tagged_video()
    refused = site.proxy.add("PUT", rf"/{PREFIX}tags/brand-new\.json", "slow_down")
    mark = len(site.proxy.log)
    tagged = site.cli("tag", "add", video, "Brand New")
    assert tagged.returncode == 3, tagged.stderr
    assert refused.fired >= 1
    # While the fault holds: tags.json was never even sent, and the bucket's links resolve.
    assert site.proxy.requests("PUT", rf"/{PREFIX}tags\.json", since=mark) == []
    objects = bucket_objects(site)
    assert "tags/brand-new.json" not in objects
    assert b"brand-new" not in objects["tags.json"]["body"]
    assert b"brand-new" not in objects["manifest.json"]["body"]
    site.proxy.clear()
    site.ok("deliver")
    assert_converged(site)
    site.record("HTTP 503 SlowDown on every PUT of a new tag's playlist", refused.fired,
                "test_a_refused_entry_upload_never_leaves_an_index_linking_to_it")  # fmt: skip


@pytest.mark.parametrize("fault", ["503", "garbage"])
def test_an_unreadable_remote_file_list_still_removes_a_hidden_video(
    site: Site, fault: str
) -> None:
    """The bucket's files.json answers 503 (every attempt) or holds garbage while a video is
    hidden: the delivery compares with a listing instead, so the hidden video's file goes."""
    hide_one_first(site)
    video = site.tagged_video()
    if fault == "503":
        site.proxy.add("GET", rf"/{PREFIX}files\.json", "slow_down")
    else:
        client = make_s3_client(os.environ["AWS_ENDPOINT_URL"])
        client.put_object(Bucket=site.bucket, Key=f"{PREFIX}files.json", Body=b"not json")
    hidden = site.cli("visibility", "hide", video)
    site.ok("deliver")  # the fault still holds
    assert_converged(site)
    assert f"videos/{video}.json" not in bucket_objects(site)
    assert hidden.returncode == 0, hidden.stderr
    assert "listing" in hidden.stderr
    injected = "HTTP 503 SlowDown on every GET" if fault == "503" else "garbage in the bucket's"
    site.record(f"{injected} files.json while a video is hidden", 1,
                "test_an_unreadable_remote_file_list_still_removes_a_hidden_video")  # fmt: skip


def test_kill_9_at_random_moments_of_20_deliveries_then_one_converges(any_site: Site) -> None:
    """Each round edits the database, then a publish-and-deliver is killed (SIGKILL) after a
    random number of its requests (each held 0.1 s by the proxy): between uploads, after the
    new shards, before or after files.json. Then one delivery must converge, stray shards and
    hidden videos' files included."""
    site = any_site
    rng = random.Random(18)
    hide_one_first(site)
    candidates = sorted(site.published())[:12]
    site.proxy.add(None, rf"^/{site.bucket}", "delay", seconds=0.1)
    killed = 0
    for _ in range(20):
        video = rng.choice(candidates)
        action = rng.choice(["hide", "show", "tag"])
        if action == "tag":
            site.ok("tag", "add", video, f"Round {rng.randrange(4)}", "--no-publish", "-q")
        else:
            site.ok("visibility", action, video, "--no-publish", "-q")
        before = site.proxy.arrived
        after_requests = rng.randrange(1, 12)
        process = site.start("publish", "-q")
        while process.poll() is None and site.proxy.arrived < before + after_requests:
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.communicate(timeout=TIMEOUT)
    assert killed >= 10  # most rounds were killed mid-delivery
    site.proxy.clear()
    site.ok("deliver")
    assert_converged(site)
    site.record("kill -9 at a random request of 20 deliveries (seeded)", killed,
                "test_kill_9_at_random_moments_of_20_deliveries_then_one_converges")  # fmt: skip


def test_reconcile_removes_stray_objects_of_the_publishers_and_never_foreign_ones(
    site: Site,
) -> None:
    """Objects the bucket's files.json does not know of (a shard a killed delivery left, a hidden
    video's file put there by hand) are found by --reconcile; a foreign key is left alone."""
    hidden = hide_one_first(site)
    client = make_s3_client(os.environ["AWS_ENDPOINT_URL"])
    stray = {
        f"{PREFIX}files/{'0' * 32}.json": b'{"files": {}}',
        f"{PREFIX}videos/{hidden}.json": b'{"hashed_id": "' + hidden.encode() + b'"}',
    }
    for key, body in {**stray, f"{PREFIX}notes/readme.txt": b"not ours"}.items():
        client.put_object(Bucket=site.bucket, Key=key, Body=body)
    plain = site.ok("deliver", "--json")
    assert '"removed": []' in plain.stdout  # the file lists agree: nothing known to remove
    reconciled = site.ok("deliver", "--reconcile")
    assert "reconciled with a listing" in reconciled.stdout
    objects = bucket_objects(site)
    assert objects.pop("notes/readme.txt")["body"] == b"not ours"
    client.delete_object(Bucket=site.bucket, Key=f"{PREFIX}notes/readme.txt")
    assert_converged(site)


def test_run_reconciles_by_listing_once_a_day(site: Site) -> None:
    # The first delivery found no files.json in the bucket: it compared with a listing.
    assert site.query("SELECT count(*) FROM delivery_reconciles") == [(1,)]
    again = site.ok("run", "--demo")
    assert "reconciled" not in again.stdout
    connection = sqlite3.connect(site.db)
    with connection:
        connection.execute("UPDATE delivery_reconciles SET reconciled_at = '2000-01-01T00:00:00Z'")
    connection.close()
    assert "reconciled with a listing" in site.ok("run", "--demo").stdout


def test_an_editor_waiting_for_another_delivery_gives_up_with_75_and_keeps_its_change(
    site: Site,
) -> None:
    from wistia_sync.store.lock import deliver_lock_path, hold_lock

    video = site.tagged_video()
    lock = deliver_lock_path(site.db, f"s3://{site.bucket}/{PREFIX}")
    with hold_lock(lock, wait=False):
        waited = site.cli("visibility", "hide", video, WISTIA_SYNC_DELIVERY_LOCK_WAIT="1")
    assert waited.returncode == 75, waited.stderr
    errors = [line for line in waited.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "another delivery to" in errors[0]  # one line
    assert video not in site.published()  # the change was kept
    site.ok("deliver")
    assert_converged(site)
