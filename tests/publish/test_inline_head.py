"""An entry file with further pages holds only the head of its first bucket inline (issue 19).

A playlist of one bucket is wholly inline, as it always was; a playlist of several keeps the
first quarter page inline and the rest of its first bucket on a page of its own (the tail), so an
edit to any later page rewrites a small entry file rather than a whole page of videos.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.publish.test_publish import Publish, playlist_ids, read
from tests.publish.test_publish import db as db  # the fixtures, used by name
from tests.publish.test_publish import out as out
from tests.publish.test_publish import publish as publish
from tests.support.factories import add_video
from wistia_sync.publish import site as site_module

PAGE_SIZE = 8  # buckets of 4 to 16 videos; a head of 2


def add_videos(db: Database, numbers: range) -> list[str]:
    """Videos v00.. created one a day: the newest (highest number) come first in a playlist."""
    ids = []
    for number in numbers:
        day = f"2024-0{number // 28 + 1}-{number % 28 + 1:02d}T00:00:00Z"
        add_video(db, f"v{number:02d}", created=day)
        ids.append(f"v{number:02d}")
    return ids


def newest_first(ids: list[str]) -> list[str]:
    return sorted(ids, reverse=True)


def test_a_playlist_of_one_bucket_is_wholly_inline(
    db: Database, out: Path, publish: Publish
) -> None:
    ids = add_videos(db, range(2 * PAGE_SIZE))  # a bucket holds up to twice the page size

    publish(page_size=PAGE_SIZE)

    entry = read(out, "videos.json")
    assert [video["hashed_id"] for video in entry["videos"]] == newest_first(ids)
    assert entry["pages"] == []


def test_a_playlist_with_pages_holds_a_quarter_page_inline_and_the_rest_on_pages(
    db: Database, out: Path, publish: Publish
) -> None:
    ids = add_videos(db, range(40))

    publish(page_size=PAGE_SIZE)

    entry = read(out, "videos.json")
    assert [video["hashed_id"] for video in entry["videos"]] == newest_first(ids)[:2]
    # Five buckets of 8: the first one's tail (6), then the other four.
    assert [page["count"] for page in entry["pages"]] == [6, 8, 8, 8, 8]
    assert playlist_ids(out, "videos.json") == newest_first(ids)


def test_an_edit_on_a_later_page_rewrites_that_page_and_a_small_entry_file(
    db: Database, out: Path, publish: Publish
) -> None:
    ids = newest_first(add_videos(db, range(40)))
    publish(page_size=PAGE_SIZE)
    pages_before = [page["url"] for page in read(out, "videos.json")["pages"]]

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = ?", [ids[20]])
    result = publish()

    pages_after = [page["url"] for page in read(out, "videos.json")["pages"]]
    changed = [i for i, (a, b) in enumerate(zip(pages_before, pages_after, strict=True)) if a != b]
    assert changed == [2]  # the third bucket's page only: the first bucket's tail is kept
    # (and the search index's shards holding its terms: tests/search)
    assert [p for p in result.new_pages if not p.startswith("search/")] == [pages_after[2]]
    entry_bytes = (out / "videos.json").stat().st_size
    assert entry_bytes < (out / pages_after[2]).stat().st_size / 2


def test_hiding_a_video_in_the_head_retires_the_tail_with_the_normal_grace(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old tail does not hold the hidden video (the head did): a reader holding the older
    entry file keeps its pages for the whole grace, not only the takedown grace."""
    ids = newest_first(add_videos(db, range(40)))
    monkeypatch.setattr(site_module, "utc_now", lambda: "2024-06-01T00:00:00Z")
    publish(page_size=PAGE_SIZE)
    old_tail = read(out, "videos.json")["pages"][0]["url"]

    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [ids[0]])
    result = publish()

    assert old_tail in result.retired
    expires = db.execute(
        "SELECT expires_at FROM published_files WHERE path = ?", [old_tail]
    ).fetchone()[0]
    assert expires == "2024-06-02T00:00:00Z"  # 24 h, not the 10 minutes of a takedown
    assert playlist_ids(out, "videos.json") == ids[1:]

    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [ids[5]])
    second_tail = read(out, "videos.json")["pages"][0]["url"]
    publish()
    expires = db.execute(
        "SELECT expires_at FROM published_files WHERE path = ?", [second_tail]
    ).fetchone()[0]
    assert expires == "2024-06-01T00:10:00Z"  # it holds the video hidden: the takedown grace


def test_the_tail_comes_and_goes_with_the_pages_and_edits_equal_a_rebuild(
    db: Database, out: Path, publish: Publish
) -> None:
    add_videos(db, range(2 * PAGE_SIZE))
    publish(page_size=PAGE_SIZE)
    assert read(out, "videos.json")["pages"] == []

    add_videos(db, range(2 * PAGE_SIZE, 2 * PAGE_SIZE + 3))  # the only bucket splits
    publish()
    grown = read(out, "videos.json")
    assert len(grown["videos"]) == 2 and len(grown["pages"]) == 2
    assert publish(force=True).written == []  # a rebuild cuts the same files

    for number in range(2 * PAGE_SIZE + 3):
        if number % 3:
            db.execute(
                "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [f"v{number:02d}"]
            )
    publish()  # back to one bucket: wholly inline again
    shrunk = read(out, "videos.json")
    assert shrunk["pages"] == [] and len(shrunk["videos"]) == shrunk["count"] == 7
    assert publish(force=True).written == []
