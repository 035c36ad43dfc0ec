"""A page retired by one publish and listed again by the next stops expiring (it stays)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.publish.test_publish import Publish, read
from tests.publish.test_publish import db as db  # the fixtures, used by name
from tests.publish.test_publish import out as out
from tests.publish.test_publish import publish as publish
from tests.support.factories import add_video
from wistia_sync.publish import site as site_module


def pages_of(out: Path) -> list[str]:
    return [page["url"] for page in read(out, "videos.json")["pages"]]


def expiry(db: Database, path: str) -> str | None:
    row = db.execute("SELECT expires_at FROM published_files WHERE path = ?", [path]).fetchone()
    assert row is not None, f"{path} is not recorded"
    return str(row[0]) if row[0] is not None else None


def test_a_page_listed_again_stops_expiring_and_outlives_its_grace(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(40):
        created = f"2024-01-{number % 28 + 1:02d}T{number:02d}:00:00Z"
        add_video(db, f"v{number:02d}", created=created)
    publish(page_size=4)
    rename = "UPDATE videos SET name = ? WHERE hashed_id = 'v00'"
    db.execute(rename, ["Renamed"])
    publish()
    before = pages_of(out)
    db.execute(rename, ["Video v00"])
    publish()
    retired = sorted(set(before) - set(pages_of(out)))
    assert len(retired) == 1 and expiry(db, retired[0]) is not None
    # Listed by no entry file, it is expiring; say a publish lists it again untouched (an
    # interrupted publish left it so): the next edit elsewhere must make it stay.
    kept = pages_of(out)[0]  # the newest videos: v00 is on the last page
    db.execute(
        "UPDATE published_files SET expires_at = '2000-01-01T00:00:00Z' WHERE path = ?", [kept]
    )
    db.execute(rename, ["Renamed again"])
    publish()

    assert kept in pages_of(out)
    assert expiry(db, kept) is None
    monkeypatch.setattr(site_module, "utc_now", lambda: "2099-01-01T00:00:00Z")  # past any grace
    db.execute(rename, ["Renamed once more"])
    publish()
    assert (out / kept).exists()
