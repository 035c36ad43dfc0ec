"""Scenario 3 with site settings on (issue 22): ``kill -9`` of publishes that write sitemaps,
VideoObject JSON-LD, watch pages and the slug lookup.

Each round people change the account, editors hide, show and tag videos (each change published
at once), then a ``run`` is killed a random moment after it takes the publish lock. After every
kill: every file a reader can reach is complete (the sitemaps well-formed XML whose links lead
to files, each watch page whole with one VideoObject), and no video an editor hid appears in any
of them, sitemaps, JSON-LD, watch pages and slug lookup included. Every third round the next
``run`` must converge: the output equals a fresh publish of the database, and the sitemaps and
JSON-LD list exactly the published videos.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import (
    EditorBook,
    Ledger,
    edit_some,
    fresh_publish,
    mutate_account,
    output_differences,
    output_problems,
    published_ids,
)
from tests.reliability.test_kill import after_kill, kill_during_publish

SCENARIO = "3. kill -9"
CATALOG_SIZE = 160
ROUNDS = 9
_PLAYER = re.compile(r"<video:player_loc>https://fast\.wistia\.net/embed/iframe/([A-Za-z0-9]+)<")


def listed_by_sitemaps(out: Path) -> set[str]:
    found: set[str] = set()
    for path in (out / "sitemaps").glob("*.xml"):
        found.update(_PLAYER.findall(path.read_text(encoding="utf-8")))
    return found


def test_kill_9_of_publishes_with_site_settings_never_shows_a_hidden_video(
    scene: MakeScene, ledger: Ledger
) -> None:
    rng = random.Random(2022)
    api, ws = (s := scene(CATALOG_SIZE, 22, seo=True)).api, s.ws
    assert (ws.output / "sitemap.xml").exists() and list((ws.output / "watch").glob("*.html"))
    book = EditorBook(ws.db)
    problems: list[str] = []
    kills = files_checked = converged = 0
    for round_ in range(ROUNDS):
        mutate_account(api, rng)
        edit_some(book, ws, rng, count=2)
        problems += [f"round {round_}, edited: {p}" for p in book.unpublished_in_output(ws.output)]
        killed, _ = kill_during_publish(ws, rng, force=round_ % 2 == 0)
        kills += killed
        found = after_kill(ws, api)
        files_checked += found.files
        problems += [f"round {round_}, killed: {p}" for p in found.problems]
        problems += [f"round {round_}, killed: {p}" for p in book.unpublished_in_output(ws.output)]
        if round_ % 3 == 2:
            converged += 1
            result = ws.cli("run", "--stats-budget", "5")
            if result.returncode != 0:
                problems.append(f"round {round_}: the next run failed: {result.describe()}")
            check = output_problems(ws.output, converged=True)
            files_checked += check.files
            problems += [f"round {round_} converged: {p}" for p in check.problems]
            fresh = fresh_publish(ws.db, ws.root / "fresh")
            differences = output_differences(ws.output, fresh)
            problems += [f"round {round_} converged: {p}" for p in differences[:5]]
            problems += [f"round {round_} converged: {p}" for p in book.lost()]
            problems += book.unpublished_in_output(ws.output)
            jsonld = {p.stem for p in (ws.output / "ld").glob("*.json")}
            published = set(published_ids(ws.db))
            if not jsonld <= published or listed_by_sitemaps(ws.output) != jsonld:
                problems.append(f"round {round_}: sitemaps and JSON-LD are not the published")
    ledger.record(
        SCENARIO,
        "kill -9 of `run` during a publish with site settings on (sitemaps, JSON-LD, watch pages)",
        times=kills,
        runs=kills + converged,
        files_checked=files_checked,
        lost_changes=0,
        invalid_files=0,
        held="every file a reader reaches complete; no hidden video in any of them, sitemaps, "
        "JSON-LD, watch pages and slug lookup included; converged to a fresh publish",
    )
    assert kills >= ROUNDS * 2 // 3, f"only {kills} of {ROUNDS} publishes were killed"
    assert not problems, "\n".join(problems[:30])
