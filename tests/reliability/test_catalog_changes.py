"""Scenario 2: the account changes while a crawl walks it.

Wistia lists media in offset pages with no snapshot: a media added, edited, archived or deleted
between two pages shifts the ones after it, so a crawl can miss a media or see one twice. The
fake server's ``on_request`` hook makes such changes between the pages of one ``run``. Whatever
happens, nothing Wistia still has is ever marked deleted, and after the next full crawl the
database mirrors the account exactly and the output is a fresh publish of it.
"""

from __future__ import annotations

import random
import re
import time
from typing import Any

from tests.reliability.conftest import MakeScene, MakeWorkspace, Serve, make_account
from tests.reliability.harness import (
    Ledger,
    Workspace,
    connect,
    fresh_publish,
    mirror_problems,
    output_differences,
    output_problems,
    prime,
    published_ids,
    state,
    wrongly_deleted,
)
from tests.support.fakewistia.server import LIST, FakeWistiaServer, FaultPlan
from wistia_sync.demo.api import FakeWistia

SCENARIO = "2. catalog changes mid-crawl"
CATALOG_SIZE = 260


class MidCrawlChanges:
    """Changes the account when chosen listing requests arrive, before they are answered."""

    def __init__(self, rng: random.Random, *, changes: int, pages: int) -> None:
        self.rng = rng
        self.at = sorted(rng.randint(2, pages) for _ in range(changes))
        self.listed = 0
        self.made: list[str] = []

    def on_request(self, n: int, request: Any, api: FakeWistia) -> None:
        if not re.search(LIST, request.url.path) or "hashed_ids[]" in request.url.params:
            return
        self.listed += 1
        for _ in range(self.at.count(self.listed)):
            self.made.append(self._change(api))

    def _change(self, api: FakeWistia) -> str:
        live = api.media()
        media = self.rng.choice(live)
        hashed_id = media["hashed_id"]
        kind = self.rng.choice(
            ("add", "rename", "retag", "archive", "unarchive", "protect", "unprotect", "delete")
        )
        if kind == "add":
            new_id = f"mid{len(self.made)}{self.rng.randrange(10**6):06d}"
            api.add({"hashed_id": new_id, "name": f"Uploaded mid-crawl {new_id}"})
        elif kind == "rename":
            api.update(hashed_id, name=f"{media['name']} (renamed)")
        elif kind == "retag":
            api.update(hashed_id, tags=["mid-crawl", *self.rng.sample(["a", "b", "c"], 1)])
        elif kind == "archive":
            api.update(hashed_id, archived=True)
        elif kind == "unarchive":
            api.update(hashed_id, archived=False)
        elif kind in ("protect", "unprotect"):
            api.update(hashed_id, protected=True if kind == "protect" else None)
        else:
            api.delete(hashed_id)
        return kind


def run_trial(scene: MakeScene, ledger: Ledger, seed: int, *, full: bool) -> None:
    rng = random.Random(seed)
    api, server, ws = (s := scene(CATALOG_SIZE, 21)).api, s.server, s.ws
    changes = MidCrawlChanges(rng, changes=rng.randint(3, 8), pages=5 if full else 2)
    server.faults = FaultPlan(on_request=changes.on_request)
    during = ws.cli("run", *(["--full"] if full else []), "--stats-budget", "5")
    problems = [] if during.returncode == 0 else [f"mid-crawl run failed: {during.describe()}"]
    problems += [f"marked deleted, still in Wistia: {h}" for h in wrongly_deleted(ws.db, api)]
    server.faults = FaultPlan()
    after = ws.cli("run", "--full", "--stats-budget", "5")
    if after.returncode != 0:
        problems.append(f"the next full crawl failed: {after.describe()}")
    problems += [f"marked deleted, still in Wistia: {h}" for h in wrongly_deleted(ws.db, api)]
    problems += mirror_problems(ws.db, api)
    check = output_problems(ws.output, converged=True)
    problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    mode = "full crawl" if full else "incremental run"
    ledger.record(
        SCENARIO,
        f"media added/renamed/retagged/archived/protected/deleted between pages ({mode})",
        times=len(changes.made),
        runs=2,
        files_checked=check.files,
        lost_changes=0,
        invalid_files=check.invalid,
        held="nothing present in Wistia marked deleted; after the next full crawl the "
        "database mirrors Wistia exactly",
        test=f"seed {seed}: {', '.join(changes.made)}",
    )
    assert changes.made, "no change happened mid-crawl: this trial proves nothing"
    assert not check.problems, check.problems
    assert not problems, problems


def test_changes_between_pages_of_a_full_crawl_never_delete_a_live_media(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    for seed in range(12 if soak else 3):
        run_trial(scene, ledger, seed, full=True)


def test_changes_between_pages_of_an_incremental_run_are_mirrored_after_the_next_full_crawl(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    for seed in range(100, 108 if soak else 102):
        run_trial(scene, ledger, seed, full=False)


def test_a_delete_on_a_walked_page_shifts_a_media_out_of_the_crawl_without_losing_it(
    scene: MakeScene, ledger: Ledger
) -> None:
    """Deleting a media on page 1 while page 2 is asked for moves the first media of page 2
    onto page 1, which the crawl already read: it is missing from the crawl, but the 200 of its
    confirmation request keeps it. The deleted media was listed before it went, so only the
    next full crawl deletes it. (Pages are fetched several at once: the deletion waits until
    page 1 was answered, so it lands between the two pages as the scenario needs.)"""
    api, server, ws = (s := scene(CATALOG_SIZE, 21)).api, s.server, s.ws
    by_created = sorted(
        (m for m in api.media() if not m["archived"]), key=lambda m: (m["created"], m["id"])
    )
    victim, shifted = by_created[0]["hashed_id"], by_created[100]["hashed_id"]

    def delete_on_page_two(n: int, request: Any, fake: FakeWistia) -> None:
        params = request.url.params
        page_two = params.get("page") == "2" and params.get("archived") == "false"
        if re.search(LIST, request.url.path) and page_two and fake.get(victim) is not None:
            deadline = time.monotonic() + 10
            while not any(
                r.param("page") == "1" and r.param("archived") == "false" for r in fake.request_log
            ):
                if time.monotonic() > deadline:
                    raise AssertionError("page 1 was never answered")
                time.sleep(0.005)
            fake.delete(victim)

    server.faults = FaultPlan(on_request=delete_on_page_two)
    result = ws.cli("run", "--full", "--stats-budget", "0")
    assert result.returncode == 0, result.describe()
    shows = [e.path for e in server.log if re.search(r"/medias/\w+$", e.path)]
    with connect(ws.db) as conn:
        rows = conn.execute("SELECT hashed_id FROM videos WHERE deleted_at IS NOT NULL")
        deleted = {row[0] for row in rows}
    ledger.record(
        SCENARIO,
        "a delete that shifts the next page (deterministic)",
        times=1,
        runs=2,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="the shifted media was confirmed by GET /medias/{id} and kept; the deleted one "
        "was soft-deleted by the next full crawl",
    )
    assert f"/modern/medias/{shifted}" in shows, "the shifted media was not confirmed"
    assert deleted == set()
    assert not mirror_problems(ws.db, api, deletions=False)
    server.faults = FaultPlan()
    assert ws.cli("run", "--full", "--stats-budget", "0").returncode == 0
    assert not mirror_problems(ws.db, api)


def test_a_video_deleted_between_full_crawls_does_not_fail_the_stats_of_an_incremental_run(
    scene: MakeScene, ledger: Ledger
) -> None:
    """Only a full crawl notices deletions; until then the video is still a stats candidate and
    its stats answer 404. That must be recorded, not fail every run until the next full crawl."""
    api, ws = (s := scene(CATALOG_SIZE, 21)).api, s.ws
    with connect(ws.db) as conn:
        victim = conn.execute(
            "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
            "AND archived = 0 ORDER BY hashed_id LIMIT 1"
        ).fetchone()[0]
    api.delete(victim)
    from wistia_sync.store.db import open_database

    db = open_database(ws.db, create=True)
    db.execute("UPDATE videos SET plays_fetched_at = NULL WHERE hashed_id = ?", [victim])
    db.conn.close()  # now the stalest: the first the stats budget picks
    result = ws.cli("run", "--stats-budget", "3")
    with connect(ws.db) as conn:
        error, deleted_at = conn.execute(
            "SELECT stats_error, deleted_at FROM videos WHERE hashed_id = ?", [victim]
        ).fetchone()
    full = ws.cli("run", "--full", "--stats-budget", "3")
    ledger.record(
        SCENARIO,
        "stats of a video deleted since the last full crawl (HTTP 404)",
        times=1,
        runs=2,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="recorded on the video, not fatal; the next full crawl deleted it",
    )
    assert result.returncode == 0, result.describe()
    assert "HTTP 404" in error and deleted_at is None
    assert full.returncode == 0, full.describe()
    assert not mirror_problems(ws.db, api)


def _synced_with_an_archive_larger_than_a_page(
    serve: Serve, workspace: MakeWorkspace
) -> tuple[FakeWistia, FakeWistiaServer, Workspace]:
    api = make_account(240, 17)
    for media in sorted(api.media(), key=lambda m: m["hashed_id"])[:130]:
        if not media["archived"]:
            api.archive(media["hashed_id"])
    server = serve(api)
    ws = workspace(server)
    prime(ws, stats_budget=0)
    return api, server, ws


def test_an_archive_whose_updated_went_backwards_leaves_the_site_at_the_next_incremental_run(
    serve: Serve, workspace: MakeWorkspace
) -> None:
    """Wistia archives a video but its ``updated`` goes back in time (older than the archived
    watermark), in an archive larger than one page: the incremental archived pass, which stops
    at its watermark, would not reach it, and the video would stay on the site until the next
    full crawl. The pass notices that Wistia lists more archived media than it holds."""
    api, server, ws = _synced_with_an_archive_larger_than_a_page(serve, workspace)
    victim = published_ids(ws.db)[0]
    was = state(ws.db)
    api.update(victim, archived=True, updated="2020-01-01T00:00:00+00:00")
    listed_before = len(server.requests(LIST))

    result = ws.cli("run", "--stats-budget", "0")
    assert result.returncode == 0, result.describe()
    assert state(ws.db)["last_full_crawl"] == was["last_full_crawl"]  # an incremental run
    assert victim not in published_ids(ws.db)
    assert not (ws.output / "videos" / f"{victim}.json").exists()
    assert not mirror_problems(ws.db, api)
    # The active pass (1), the archived pass (1), the count check (1), then the archive (2).
    assert len(server.requests(LIST)) - listed_before == 5
    assert "read the whole archive" in result.stderr

    # Nothing changed since: the check finds the counts equal and reads nothing more.
    listed_before = len(server.requests(LIST))
    again = ws.cli("run", "--stats-budget", "0")
    assert again.returncode == 0, again.describe()
    assert len(server.requests(LIST)) - listed_before == 3
    assert "warning" not in again.stderr


def test_a_record_rejected_from_the_active_listing_does_not_hide_an_archive(
    serve: Serve, workspace: MakeWorkspace
) -> None:
    """The count check counted every rejected record as archived: one rejected from the active
    listing made Wistia's archive, one larger since, look no larger than what the database held,
    and a video archived with an old ``updated`` stayed on the site until the full crawl."""
    api, _, ws = _synced_with_an_archive_larger_than_a_page(serve, workspace)
    with connect(ws.db) as conn:  # what the active pass quarantined: not an archived media
        conn.execute(
            "INSERT INTO rejected_media (key, hashed_id, reason, raw, first_seen, last_seen) "
            "VALUES ('digest-of-a-bad-record', NULL, 'invalid hashed_id', "
            '\'{"hashed_id": "not an id", "archived": false}\', '
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        conn.commit()
    victim = published_ids(ws.db)[0]
    api.update(victim, archived=True, updated="2020-01-01T00:00:00+00:00")

    result = ws.cli("run", "--stats-budget", "0")

    assert result.returncode == 0, result.describe()
    assert victim not in published_ids(ws.db)
    assert not (ws.output / "videos" / f"{victim}.json").exists()
