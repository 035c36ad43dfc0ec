"""The mass-unpublish guard: no publish takes most of the live site down by mistake.

Like the sync's mass-delete guard: a publish that would unpublish more than half of the videos
the output holds (and more than 10) stops with one line, exit 1, changing no file, unless
``--allow-mass-unpublish`` (``run`` and ``publish``). It guards every publishing path; videos an
editor hid never count (an explicit, logged decision).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.fakewistia import FakeWistiaServer
from tests.support.fakewistia.plugin import FAKE_TOKEN
from wistia_sync.cli.app import app
from wistia_sync.demo.api import FakeWistia
from wistia_sync.store.db import open_database

MASS_UNPUBLISH_MIN_COUNT = 10  # the "and more than 10 videos"


class Site:
    """A database and its live output folder, synced from the fake Wistia."""

    def __init__(self, root: Path, server: FakeWistiaServer) -> None:
        self.db, self.out = root / "wistia.db", root / "out"
        self.env = {
            "WISTIA_SYNC_DB": str(self.db),
            "WISTIA_SYNC_OUTPUT": str(self.out),
            "WISTIA_API_URL": server.url,
            "WISTIA_API_TOKEN": FAKE_TOKEN,
            "WISTIA_SYNC_HTTP_BACKOFF": "0.01",
        }

    def cli(self, *args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(app, list(args), env=self.env, input=input)

    def files(self) -> dict[str, str]:
        return {
            str(path.relative_to(self.out)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.out.rglob("*"))
            if path.is_file()
        }

    def published(self) -> set[str]:
        """The videos the output's videos.json lists (inline and on its pages)."""
        playlist = json.loads((self.out / "videos.json").read_bytes())
        videos = list(playlist["videos"])
        for page in playlist["pages"]:
            videos += json.loads((self.out / page["url"]).read_bytes())["videos"]
        return {video["hashed_id"] for video in videos}


@pytest.fixture
def site(tmp_path: Path, fake_server: FakeWistiaServer) -> Site:
    live = Site(tmp_path, fake_server)
    result = live.cli("run", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(live.published()) > 2 * (MASS_UNPUBLISH_MIN_COUNT + 1)
    return live


def guard_line(result: Any) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "--allow-mass-unpublish" in lines[0] and "nothing was published" in lines[0]
    return lines[0]


def test_publishing_an_empty_database_over_the_live_site_is_refused(
    site: Site, tmp_path: Path
) -> None:
    empty = tmp_path / "other.db"
    open_database(empty, create=True).close()  # a database whose first sync never ran
    before, held = site.files(), len(site.published())
    for command in (["publish"], ["run", "--api-url", "http://127.0.0.1:9/"]):
        result = site.cli(*command, "--db", str(empty))
        line = guard_line(result)
        assert f"would unpublish {held} of the {held} videos {site.out}" in line
        assert "is --db the database of this --output?" in line
        assert site.files() == before
    assert "the sync failed too: Wistia is unavailable" in line  # the run's own failure
    allowed = site.cli("publish", "--db", str(empty), "--allow-mass-unpublish")
    assert allowed.exit_code == 0, allowed.output
    assert site.published() == set()


def test_wistia_archiving_most_videos_stops_every_publish_until_allowed(
    site: Site, fake_wistia: FakeWistia
) -> None:
    published = sorted(site.published())
    archived = published[: len(published) * 2 // 3]
    for hashed_id in archived:
        fake_wistia.archive(hashed_id)
    before = site.files()
    ran = site.cli("run")
    assert f"would unpublish {len(archived)} of the {len(published)} videos" in guard_line(ran)
    assert site.files() == before
    assert guard_line(site.cli("publish"))
    # An editor's change is kept, but its publish would carry the archiving: refused too.
    tagged = site.cli("tag", "add", published[-1], "Launch")
    assert "Launch" in guard_line(tagged) and "publish` to catch up" in tagged.stderr
    assert site.files() == before

    allowed = site.cli("run", "--allow-mass-unpublish", "--quiet")
    assert allowed.exit_code == 0, allowed.output
    assert site.published() == set(published) - set(archived)
    assert site.cli("run", "--quiet").exit_code == 0  # nothing left to guard


def test_a_few_videos_leaving_never_trip_the_guard(site: Site, fake_wistia: FakeWistia) -> None:
    published = sorted(site.published())
    for hashed_id in published[: MASS_UNPUBLISH_MIN_COUNT + 1]:  # more than 10, under half
        fake_wistia.archive(hashed_id)
    result = site.cli("run", "--quiet")
    assert result.exit_code == 0, result.output
    assert site.published() == set(published[MASS_UNPUBLISH_MIN_COUNT + 1 :])


def test_an_editor_hiding_most_videos_is_not_stopped(site: Site) -> None:
    published = sorted(site.published())
    hidden = published[: len(published) * 2 // 3]
    result = site.cli("visibility", "hide", "-", input="\n".join(hidden) + "\n")
    assert result.exit_code == 0, result.output
    assert site.published() == set(published) - set(hidden)
    # ...nor is a later publish of hides made with --no-publish.
    site.cli("visibility", "show", "-", "--no-publish", input="\n".join(hidden) + "\n")
    site.cli("visibility", "hide", "-", "--no-publish", input="\n".join(hidden) + "\n")
    assert site.cli("publish").exit_code == 0
