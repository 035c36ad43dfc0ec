"""A publish interrupted at every point it touches the output folder, then the publishes after it.

The promise: an interrupted publish leaves no broken public file, and the next publish converges.
Here that is checked over every file the file list names: each exists, with the listed sha256,
after the interruption and after the next publishes (which see more changes first, as a real
next run does, so they need not write the pages the interrupted one meant to).

An interruption is a ``BaseException`` raised from the output folder's own operations (a rename
into place, a removal, a folder's fsync, making a batch durable), the ``n``-th such call of the
publish: what it leaves in the database and the folder is what a ``kill -9`` at that moment
leaves (the write transaction is not committed; its temp files go with the next publish's start).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.support.factories import add_video, tag_video
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.publish import PublishResult, publish_site
from wistia_sync.publish.output import OutputFolder
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database

FAULT_POINTS = ("make_durable", "place_temp", "place", "remove", "sync_folders")


class Killed(BaseException):
    """The publish's process dies here."""


class Faults:
    """Counts the output folder's operations; raises ``Killed`` at the ``at``-th (None: never)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at: int | None = None
        self.calls = 0
        for name in FAULT_POINTS:
            monkeypatch.setattr(OutputFolder, name, self._counted(getattr(OutputFolder, name)))

    def _counted(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(folder: OutputFolder, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.at is not None and self.calls > self.at:
                self.at = None
                raise Killed
            return method(folder, *args, **kwargs)

        return counted


class Site:
    def __init__(self, root: Path) -> None:
        root.mkdir()
        self.db = open_database(root / "wistia.db", create=True)
        self.out = root / "out"
        self.lock = root / "publish.lock"

    def publish(self, **options: Any) -> PublishResult:
        return publish_site(self.db, self.out, lock_path=self.lock, **options)


def listing_problems(out: Path, *, exact: bool = True) -> list[str]:
    """Every file files.json (through its shards) names that is missing or (``exact``) holds other
    bytes. Right after an interruption an entry file may be newer than the list (entry files are
    renamed into place before the list is), so only its existence is checked then."""
    listing, _ = read_local_file_list(out)
    problems = []
    for path, entry in sorted(listing.files.items()):
        try:
            content = (out / path).read_bytes()
        except FileNotFoundError:
            problems.append(f"files.json lists {path}, which does not exist")
            continue
        if exact and hashlib.sha256(content).hexdigest() != entry.sha256:
            problems.append(f"files.json lists {path} with another sha256")
    return problems


def published_site(root: Path) -> Site:
    """Seven videos, two to a page, two of them tagged: pages in two playlists."""
    site = Site(root)
    change_site_settings(site.db, page_size=2)
    for number in range(7):
        add_video(site.db, f"v{number}")
    for hashed_id in ("v1", "v4"):
        tag_video(site.db, hashed_id, "News")
    site.publish()
    return site


def change(db: Database, name: str) -> None:
    """A new video in both playlists: every page from its place on is cut again."""
    add_video(db, name)
    tag_video(db, name, "News")


def fault_points_of_one_publish(root: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    site = published_site(root)
    change(site.db, "a1")
    faults = Faults(monkeypatch)
    site.publish()
    monkeypatch.undo()
    return faults.calls


@pytest.mark.parametrize("force", [False, True], ids=["incremental", "force"])
def test_a_publish_killed_at_any_point_leaves_a_file_list_that_holds_and_the_next_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    points = fault_points_of_one_publish(tmp_path / "count", monkeypatch)
    assert points > 10  # renames stage by stage, fsyncs, the list's shards, removals
    problems = []
    for at in range(points):
        site = published_site(tmp_path / f"killed-at-{at}")
        change(site.db, "a1")
        faults = Faults(monkeypatch)
        faults.at = at
        with pytest.raises(Killed):
            site.publish(force=force)
        monkeypatch.undo()
        problems += [f"killed at {at}: {p}" for p in listing_problems(site.out, exact=False)]
        change(site.db, "a2")  # the next run sees more changes: other pages than those planned
        site.publish()
        problems += [f"killed at {at}, next publish: {p}" for p in listing_problems(site.out)]
        site.publish(force=True)
        problems += [f"killed at {at}, then --force: {p}" for p in listing_problems(site.out)]
    assert not problems, "\n".join(problems)


def test_a_rebuild_repairs_a_recorded_page_missing_on_disk(tmp_path: Path) -> None:
    """A page the records name but the folder lost (listed, or retired and counting down its
    grace): ``--force`` and a repair (what ``run`` does when a recorded file is missing) put back
    the one still listed and forget the other, so files.json names only files that exist."""
    for options in ({"force": True}, {"repair": True}):
        site = published_site(tmp_path / next(iter(options)))
        listed_before = set(read_local_file_list(site.out)[0].files)
        change(site.db, "a1")
        retired = site.publish().retired
        assert retired
        gone = sorted(retired)[0]
        kept = next(
            path
            for path in sorted(read_local_file_list(site.out)[0].files)
            if path.startswith("pages/") and path not in retired
        )
        assert gone in listed_before
        (site.out / gone).unlink()
        (site.out / kept).unlink()

        site.publish(**options)

        assert listing_problems(site.out) == []
        assert (site.out / kept).exists()
        assert gone not in read_local_file_list(site.out)[0].files
