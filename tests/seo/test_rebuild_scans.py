"""A rebuild that drops a whole family of files (watch pages switched off) decides each file once:
the work of deciding does not grow with the square of the files it removes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import turn_on
from tests.support.factories import add_video
from wistia_sync.publish import plan as plan_module
from wistia_sync.publish.seo_settings import change_seo_settings


class _CountedList(list[str]):
    """A list that counts the entries each ``in`` looks through."""

    looked_through = 0

    def __contains__(self, item: object) -> bool:
        _CountedList.looked_through += len(self)
        return super().__contains__(item)


@pytest.fixture
def counted_removals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original = plan_module.Plan.__init__

    def counting_init(self: plan_module.Plan, *, full: bool, last_change_id: int) -> None:
        original(self, full=full, last_change_id=last_change_id)
        self.to_remove = _CountedList()

    monkeypatch.setattr(plan_module.Plan, "__init__", counting_init)
    _CountedList.looked_through = 0
    yield


def test_switching_watch_pages_off_removes_each_page_without_searching_the_removals(
    db: Database, out: Path, publish: Publish, counted_removals: None
) -> None:
    videos = 60
    for number in range(videos):
        add_video(db, f"v{number:02d}", created=f"2024-01-01T00:00:{number:02d}Z")
    turn_on(db)
    publish()
    assert len(list((out / "watch").glob("*.html"))) == videos
    _CountedList.looked_through = 0

    change_seo_settings(db, watch_pages=False)
    result = publish()

    assert len([path for path in result.removed if path.startswith("watch/")]) == videos
    assert not any((out / "watch").glob("*.html"))
    # Searching the list of removals per removed page looked through ~videos²/2 entries.
    assert _CountedList.looked_through <= videos
