"""Video sitemaps (issue 22): parsed by a real sitemap parser, exactly the published videos,
stable ranges, Google's limits, and gone in the same publish as the video."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import (
    ORIGIN,
    published_ids,
    sitemap_urls,
    sitemap_videos,
    turn_on,
    watch_url,
)
from tests.support.factories import add_video
from wistia_sync.publish import seo_files
from wistia_sync.publish.seo_settings import change_seo_settings

SEO_FOLDERS = ("sitemaps", "ld", "watch")


def seo_paths(out: Path) -> set[str]:
    found = {p.relative_to(out).as_posix() for f in SEO_FOLDERS for p in (out / f).glob("*")}
    return found | ({"sitemap.xml"} if (out / "sitemap.xml").exists() else set())


def sitemaps_of(db: Database, monkeypatch: pytest.MonkeyPatch, *, size: int, videos: int) -> None:
    """``videos`` videos, one a second, in sitemap files of ``size``; sitemaps and JSON-LD on."""
    monkeypatch.setattr(seo_files, "SITEMAP_SIZE", size)
    for number in range(videos):
        add_video(db, f"v{number}", created=f"2024-01-01T00:00:{number:02d}Z")
    turn_on(db, watch_pages=False)


def test_nothing_for_search_engines_without_site_settings(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    publish()
    assert seo_paths(out) == set()


def test_the_sitemaps_list_exactly_the_published_videos_with_googles_fields(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1", name="A & B <c> \"d\" 'e'", description="<p>Line one</p><p>two</p>")
    add_video(db, "v2", name="Long", description="x " * 3000, duration=28_801)
    add_video(db, "v3", duration=0.2)
    add_video(db, "hid1", visibility="hidden")
    add_video(db, "nothumb", thumbnail_url=None)
    turn_on(db)
    publish()

    assert sorted(sitemap_urls(out)) == sorted(watch_url(db, h) for h in ("v1", "v2", "v3"))
    videos = sitemap_videos(out)
    first = videos[watch_url(db, "v1")]
    assert first["title"] == "A & B <c> \"d\" 'e'"
    assert first["description"] == "Line one two"
    assert first["player_loc"] == "https://fast.wistia.net/embed/iframe/v1"
    assert first["thumbnail_loc"] == "https://embed-ssl.wistia.com/deliveries/v1.jpg"
    assert first["duration"] == "60"  # 60.5 s, rounded to whole seconds
    long = videos[watch_url(db, "v2")]
    assert len(long["description"]) <= 2048
    assert "duration" not in long  # past 28,800 s: omitted, never clamped
    assert "duration" not in videos[watch_url(db, "v3")]  # under 1 s
    assert "description" in videos[watch_url(db, "v3")]  # none in Wistia: the title instead


def test_one_edit_rewrites_one_sitemap_file_and_the_index(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    sitemaps_of(db, monkeypatch, size=3, videos=10)
    publish()
    assert sorted(p.name for p in (out / "sitemaps").glob("*")) == [
        f"videos-{n}.xml" for n in range(4)
    ]

    db.execute("UPDATE videos SET name = 'Renamed', updated = '2025-01-01T00:00:00Z' "
               "WHERE hashed_id = 'v4'")  # fmt: skip
    result = publish()
    assert sorted(p for p in result.written if p in seo_paths(out)) == [
        "ld/v4.json",
        "sitemap.xml",
        "sitemaps/videos-1.xml",
    ]

    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'v7'")
    result = publish()
    assert watch_url(db, "v7") not in sitemap_urls(out)  # gone in the same publish
    # The index changes only if the file's newest ``updated`` did (here it did not).
    assert sorted(p for p in result.written if p in seo_paths(out)) == ["sitemaps/videos-2.xml"]
    assert "ld/v7.json" in result.removed
    assert sorted(sitemap_urls(out)) == sorted(watch_url(db, h) for h in published_ids(db))


def test_a_sitemap_file_left_empty_is_removed_and_the_index_forgets_it(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    sitemaps_of(db, monkeypatch, size=2, videos=4)
    publish()
    db.execute("UPDATE videos SET archived = 1 WHERE hashed_id IN ('v2', 'v3')")
    result = publish()
    assert "sitemaps/videos-1.xml" in result.removed
    assert "videos-1" not in (out / "sitemap.xml").read_text()
    assert sorted(sitemap_urls(out)) == sorted(watch_url(db, h) for h in ("v0", "v1"))


def test_turning_the_settings_off_removes_every_file_for_search_engines(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    turn_on(db)
    publish()
    assert seo_paths(out) == {
        "sitemap.xml",
        "sitemaps/videos-0.xml",
        "ld/v1.json",
        f"watch/{watch_url(db, 'v1').rsplit('/', 1)[1]}.html",
    }
    change_seo_settings(db, watch_pages=False)
    publish()
    assert not (out / "watch").exists() or not any((out / "watch").iterdir())
    change_seo_settings(db, origin="", watch_url="")
    publish()
    assert seo_paths(out) == set()


def test_the_index_points_at_the_base_url_the_output_is_served_at(
    db: Database, out: Path, publish: Publish
) -> None:
    from wistia_sync.deliver.site import change_site_delivery

    add_video(db, "v1")
    turn_on(db)
    change_site_delivery(db, {"base_url": "https://cdn.example.net/data"})
    publish(force=True)
    index = (out / "sitemap.xml").read_text()
    assert "<loc>https://cdn.example.net/data/sitemaps/videos-0.xml</loc>" in index
    assert ORIGIN + "/videos/" in (out / "sitemaps" / "videos-0.xml").read_text()


def test_a_rebuild_of_an_unchanged_site_rewrites_no_file_for_search_engines(
    db: Database, out: Path, publish: Publish
) -> None:
    for number in range(5):
        add_video(db, f"v{number}")
    turn_on(db)
    change_seo_settings(db, indexnow="https://api.indexnow.org/indexnow")
    publish()
    before = {p: (out / p).stat().st_mtime_ns for p in seo_paths(out)}

    result = publish(force=True)

    assert result.written == []
    assert {p: (out / p).stat().st_mtime_ns for p in seo_paths(out)} == before


def test_after_edits_the_index_is_what_a_fresh_build_writes(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from wistia_sync.publish import publish_site

    monkeypatch.setattr(seo_files, "SITEMAP_SIZE", 2)
    for number in range(7):
        add_video(db, f"v{number}", updated=f"2024-02-0{number + 1}T00:00:00Z")
    turn_on(db, watch_pages=False)
    publish()
    db.execute("UPDATE videos SET updated = '2025-05-05T00:00:00Z' WHERE hashed_id = 'v2'")
    publish()
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id IN ('v4', 'v5')")
    publish()

    fresh = tmp_path / "fresh"
    publish_site(db, fresh, lock_path=tmp_path / "fresh.lock", force=True)
    assert (out / "sitemap.xml").read_bytes() == (fresh / "sitemap.xml").read_bytes()
    assert "2025-05-05T00:00:00Z" in (out / "sitemap.xml").read_text()
