"""Cache-Control per cache class and cache tags per entry file."""

from __future__ import annotations

import pytest

from tests.support.sitefolder import encode, site_files
from wistia_sync.contract.cache_policy import (
    ENTRY_CACHE_CONTROL_PURGED,
    ENTRY_CACHE_CONTROL_UNPURGED,
    IMMUTABLE_CACHE_CONTROL,
    MAX_TAG_HEADER_BYTES,
    cache_policy,
    cache_tags,
    content_type,
    path_tag,
)
from wistia_sync.errors import ConfigError


def test_defaults_depend_on_whether_a_purge_is_configured() -> None:
    purged = cache_policy(purge_configured=True)
    unpurged = cache_policy(purge_configured=False)
    assert purged.cache_control("immutable") == IMMUTABLE_CACHE_CONTROL
    assert unpurged.cache_control("immutable") == IMMUTABLE_CACHE_CONTROL
    assert purged.cache_control("entry") == ENTRY_CACHE_CONTROL_PURGED
    assert unpurged.cache_control("entry") == ENTRY_CACHE_CONTROL_UNPURGED
    assert "s-maxage=3600" in ENTRY_CACHE_CONTROL_PURGED


def test_overrides_are_used_and_checked() -> None:
    policy = cache_policy(purge_configured=False, entry="public, max-age=5", immutable="no-cache")
    assert policy.cache_control("entry") == "public, max-age=5"
    assert policy.cache_control("immutable") == "no-cache"
    with pytest.raises(ConfigError):
        cache_policy(purge_configured=False, entry="public\r\nSet-Cookie: x=1")


def test_content_type_is_json_utf8() -> None:
    assert content_type("tags/x.json") == "application/json; charset=utf-8"
    assert content_type("index.html") == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("videos.json", "all"),
        ("tags.json", "tags"),
        ("folders.json", "folders"),
        ("manifest.json", "manifest"),
        ("tags/getting-started.json", "tag-getting-started"),
        ("folders/fold1.json", "folder-fold1"),
        ("videos/abc123.json", "video-abc123"),
        ("schema/video.schema.json", "schema"),
        ("pages/0a1b.json", None),
    ],
)
def test_each_file_is_tagged_with_what_it_is(path: str, tag: str | None) -> None:
    assert path_tag(path) == tag


def test_playlist_tags_name_every_video_it_shows_but_not_folders() -> None:
    files = site_files()
    tags = cache_tags("tags/onboarding.json", files["tags/onboarding.json"])
    assert tags == ["wistia-sync", "tag-onboarding", "video-abc123", "video-def456"]
    folder_tags = cache_tags("folders/fold1.json", files["folders/fold1.json"])
    assert "video-fold1" not in folder_tags
    assert cache_tags("videos/abc123.json", files["videos/abc123.json"]) == [
        "wistia-sync",
        "video-abc123",
    ]


def test_unsafe_ids_and_bad_json_give_no_video_tags() -> None:
    body = encode({"videos": [{"hashed_id": "a b,c"}, {"hashed_id": 7}, "x"]})
    assert cache_tags("videos.json", body) == ["wistia-sync", "all"]
    assert cache_tags("videos.json", b"\xff{") == ["wistia-sync", "all"]


def test_tag_header_stays_within_cdn_limits() -> None:
    body = encode({"videos": [{"hashed_id": f"video{i:06d}"} for i in range(5000)]})
    tags = cache_tags("videos.json", body)
    assert len(",".join(tags)) <= MAX_TAG_HEADER_BYTES
    assert tags[:3] == ["wistia-sync", "all", "video-video000000"]
