"""Behaviour of the publisher (contract v2), through its library API on temporary databases."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema  # type: ignore[import-untyped]
import pytest
from sqlite_utils import Database

from tests.support.factories import add_folder, add_video, slug_of, tag_video
from tests.support.fresh_compare import files_in_grace, fresh_differences
from tests.support.previewpage import preview_page_problem
from wistia_sync.contract.filelist import read_local_file_list, read_local_index
from wistia_sync.contract.layout import SEARCH_SHARD_PATH
from wistia_sync.contract.schemas import export_schemas, render_schema_files
from wistia_sync.errors import UsageError, WistiaSyncError
from wistia_sync.publish import (
    PUBLISHED_VIDEO_CONDITION,
    PublishResult,
    cache_class,
    output_is_stale,
    pagelists,
    publish_site,
    search_index,
    shardlists,
    shards,
    sweep_output,
)
from wistia_sync.publish import site as site_module
from wistia_sync.publish.output import OutputFolder, UnsafeOutputError
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import hold_lock

REPO = Path(__file__).resolve().parents[2]
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\.json|index\.html|search\.js")
BASE = "https://cdn.example/some/prefix/"

Publish = Callable[..., PublishResult]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def publish(db: Database, out: Path, tmp_path: Path) -> Publish:
    """Publish ``db`` into ``out`` (or another folder) with the test's lock file."""

    def run(
        output_dir: Path | None = None, page_size: int | None = None, **options: Any
    ) -> PublishResult:
        if page_size is not None:
            change_site_settings(db, page_size=page_size)
        return publish_site(db, output_dir or out, lock_path=tmp_path / "publish.lock", **options)

    return run


def read(out: Path, path: str) -> Any:
    return json.loads((out / path).read_text(encoding="utf-8"))


def published(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` by output-relative path (foreign files included, temp excluded)."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".wistia-sync-tmp" not in path.parts
    }


def inodes(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file: an atomic rewrite always changes the inode."""
    result = {}
    for path in published(out):
        info = (out / path).stat()
        result[path] = (info.st_ino, info.st_mtime_ns)
    return result


def lookup_of(db: Database, hashed_id: str) -> str:
    """The slug lookup file that lists (or listed) this video."""
    (shard,) = db.execute(
        "SELECT shard FROM video_slugs WHERE hashed_id = ?", [hashed_id]
    ).fetchone()
    return f"slugs/{shard:02x}.json"


def schema_name_for(path: str) -> str:
    if path in ("manifest.json", "files.json", "tags.json", "folders.json"):
        return path.replace(".json", ".schema.json")
    if path.startswith("videos/"):
        return "video.schema.json"
    if path.startswith("pages/"):
        return "page.schema.json"
    if path.startswith("files/"):
        return "files-shard.schema.json"
    if path.startswith("slugs/"):
        return "slugs.schema.json"
    if path == "search/index.json":
        return "search-index.schema.json"
    if path.startswith("search/"):
        return "search-shard.schema.json"
    return "playlist.schema.json"


def validate_against_schemas(out: Path) -> int:
    """Validate every data file with the strict schemas (unknown fields refused); how many."""
    schemas = export_schemas(strict=True)
    checked = 0
    for path, content in published(out).items():
        if path.startswith("schema/"):
            continue
        if path == "index.html":
            assert preview_page_problem(content) == ""
            checked += 1
            continue
        if path == "search.js":  # the search client (tests/search drive it in a browser)
            checked += 1
            continue
        schema = schemas[schema_name_for(path)]
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        validator.validate(read(out, path))
        checked += 1
    return checked


def playlist_ids(out: Path, entry: str) -> list[str]:
    """A reader's traversal: the entry file's videos, then every listed page's, in order."""
    document = read(out, entry)
    ids = [video["hashed_id"] for video in document["videos"]]
    for page in document["pages"]:
        target = urljoin(BASE + entry, page["url"]).removeprefix(BASE)
        ids += [video["hashed_id"] for video in read(out, target)["videos"]]
    assert len(ids) == document["count"]
    return ids


def tag_names(video: dict[str, Any]) -> list[str]:
    return [tag["name"] for tag in video["tags"]]


# --- the contract: every file kind ---------------------------------------------------------


def test_video_file_holds_every_contract_field(db: Database, out: Path, publish: Publish) -> None:
    add_folder(db, "fold1", "Marketing")
    add_video(
        db,
        "abc123",
        name="Quarterly review",
        description="<p>Walkthrough</p>",
        duration=187.32,
        created="2026-03-02T15:04:05Z",
        updated="2026-03-05T09:12:44Z",
        thumbnail_url="https://embed-ssl.wistia.com/deliveries/0f1e.jpg",
        folder_hashed_id="fold1",
        plays=42,
        width=1080,
        height=1920,
    )
    tag_video(db, "abc123", "zebra")
    tag_video(db, "abc123", "Alpha", source="editor")
    tag_video(db, "abc123", "beta")

    publish()

    assert read(out, "videos/abc123.json") == {
        "schema_version": 2,
        "video": {
            "hashed_id": "abc123",
            "name": "Quarterly review",
            "description": "<p>Walkthrough</p>",
            "duration": 187.32,
            "width": 1080,
            "height": 1920,
            "created": "2026-03-02T15:04:05Z",
            "updated": "2026-03-05T09:12:44Z",
            "thumbnail_url": "https://embed-ssl.wistia.com/deliveries/0f1e.jpg",
            "embed_url": "https://fast.wistia.net/embed/iframe/abc123",
            "hls_url": "https://fast.wistia.com/embed/medias/abc123.m3u8",
            "folder": {"hashed_id": "fold1", "name": "Marketing"},
            "tags": [
                {"name": "Alpha", "slug": "alpha"},
                {"name": "beta", "slug": "beta"},
                {"name": "zebra", "slug": "zebra"},
            ],
            "plays": 42,
            "captions": [],
            "chapters": [],
            "slug": "quarterly-review",
        },
    }


def test_video_without_folder_plays_or_duration_has_nulls(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "bare1", duration=None, thumbnail_url=None, plays=None)
    publish()
    video = read(out, "videos/bare1.json")["video"]
    assert (video["folder"], video["plays"], video["duration"], video["thumbnail_url"]) == (
        None,
        None,
        None,
        None,
    )
    assert video["tags"] == []


def test_all_videos_playlist_is_newest_first_then_by_hashed_id(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "old1", created="2024-01-01T00:00:00Z")
    add_video(db, "newb", created="2024-06-01T00:00:00Z")
    add_video(db, "newa", created="2024-06-01T00:00:00Z")
    add_video(db, "mid1", created="2024-03-01T00:00:00Z")

    publish()

    playlist = read(out, "videos.json")
    assert {key: playlist[key] for key in playlist if key != "videos"} == {
        "schema_version": 2,
        "kind": "all",
        "key": None,
        "title": "All videos",
        "count": 4,
        "pages": [],
    }
    assert [video["hashed_id"] for video in playlist["videos"]] == ["newa", "newb", "mid1", "old1"]


def test_timestamps_are_published_as_utc_with_z(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "tz1", created="2024-01-01T02:00:00+02:00", updated="2024-01-02T00:00:00Z")
    publish()
    video = read(out, "videos/tz1.json")["video"]
    assert (video["created"], video["updated"]) == ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def test_tags_index_counts_published_videos_only_sorted_case_insensitively(
    db: Database, out: Path, publish: Publish
) -> None:
    for hashed_id in ("v1", "v2", "v3"):
        add_video(db, hashed_id)
    add_video(db, "gone1", visibility="hidden")
    tag_video(db, "v1", "banana")
    tag_video(db, "v2", "Apple")
    tag_video(db, "v3", "apricot")
    tag_video(db, "v3", "banana")
    tag_video(db, "gone1", "banana")

    publish()

    assert read(out, "tags.json") == {
        "schema_version": 2,
        "tags": [
            {"name": "Apple", "slug": "apple", "count": 1, "url": "tags/apple.json"},
            {"name": "apricot", "slug": "apricot", "count": 1, "url": "tags/apricot.json"},
            {"name": "banana", "slug": "banana", "count": 2, "url": "tags/banana.json"},
        ],
    }


def test_tag_playlist_holds_wistia_and_editor_tagged_videos(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "w1", created="2024-01-01T00:00:00Z")
    add_video(db, "e1", created="2024-02-01T00:00:00Z")
    tag_video(db, "w1", "Onboarding", source="wistia")
    tag_video(db, "e1", "onboarding", source="editor")

    publish()

    playlist = read(out, "tags/onboarding.json")
    assert (playlist["kind"], playlist["key"], playlist["title"], playlist["count"]) == (
        "tag",
        "onboarding",
        "Onboarding",
        2,
    )
    assert [video["hashed_id"] for video in playlist["videos"]] == ["e1", "w1"]


def test_tag_linked_by_wistia_and_editor_counts_once(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "both1")
    tag_video(db, "both1", "Sales", source="wistia")
    tag_video(db, "both1", "Sales", source="editor")

    publish()

    assert read(out, "tags.json")["tags"][0]["count"] == 1
    assert read(out, "tags/sales.json")["count"] == 1
    assert read(out, "videos/both1.json")["video"]["tags"] == [{"name": "Sales", "slug": "sales"}]


def test_folders_index_and_folder_playlist(db: Database, out: Path, publish: Publish) -> None:
    add_folder(db, "fB", "beta")
    add_folder(db, "fA", "Alpha")
    add_video(db, "a1", folder_hashed_id="fA")
    add_video(db, "b1", folder_hashed_id="fB")
    add_video(db, "b2", folder_hashed_id="fB")

    publish()

    assert read(out, "folders.json") == {
        "schema_version": 2,
        "folders": [
            {"hashed_id": "fA", "name": "Alpha", "count": 1, "url": "folders/fA.json"},
            {"hashed_id": "fB", "name": "beta", "count": 2, "url": "folders/fB.json"},
        ],
    }
    playlist = read(out, "folders/fB.json")
    assert (playlist["kind"], playlist["key"], playlist["title"], playlist["count"]) == (
        "folder",
        "fB",
        "beta",
        2,
    )


def test_folder_and_tag_without_published_video_get_no_file(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "fempty", "Drafts folder")
    add_video(db, "draft1", status="processing", folder_hashed_id="fempty")
    tag_video(db, "draft1", "Drafts tag")
    tag_video(db, "draft1", "Unused")

    publish()

    assert read(out, "folders.json")["folders"] == []
    assert read(out, "tags.json")["tags"] == []
    assert not (out / "folders" / "fempty.json").exists()
    assert not (out / "tags").exists() or not any((out / "tags").iterdir())
    assert read(out, "manifest.json")["counts"] == {"videos": 0, "tags": 0, "folders": 0}


@pytest.mark.parametrize(
    "overrides",
    [
        {"visibility": "hidden"},
        {"archived": 1},
        {"deleted_at": "2024-02-01T00:00:00Z"},
        {"status": "processing"},
        {"status": "failed"},
        {"type": "Audio"},
        {"type": "Image"},
    ],
    ids=lambda overrides: "-".join(f"{key}={value}" for key, value in overrides.items()),
)
def test_unpublished_video_appears_in_no_file(
    db: Database, out: Path, publish: Publish, overrides: dict[str, Any]
) -> None:
    add_folder(db, "secretfolder", "Secret folder name")
    add_video(db, "pub1")
    tag_video(db, "pub1", "Shared")
    add_video(
        db, "secret1", name="Secret title", folder_hashed_id="secretfolder", plays=777, **overrides
    )
    tag_video(db, "secret1", "Shared")
    tag_video(db, "secret1", "Exclusive secret tag")

    publish()

    everything = b"".join(published(out).values())
    for leak in (b"secret1", b"Secret title", b"Exclusive secret tag", b"Secret folder name"):
        assert leak not in everything
    assert read(out, "manifest.json")["counts"] == {"videos": 1, "tags": 1, "folders": 0}
    assert read(out, "tags/shared.json")["count"] == 1


def test_published_condition_is_the_one_the_files_use(db: Database, publish: Publish) -> None:
    add_video(db, "yes1")
    add_video(db, "no1", visibility="hidden")
    rows = db.execute(f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}")
    assert [row[0] for row in rows.fetchall()] == ["yes1"]


def test_manifest_is_small_and_files_json_lists_every_other_file(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1")
    for number in range(5):
        add_video(db, f"v{number}", folder_hashed_id="f1")
        tag_video(db, f"v{number}", "One")

    publish(page_size=2)

    manifest = read(out, "manifest.json")
    assert manifest == {
        "schema_version": 2,
        "generation": manifest["generation"],
        "updated_at": manifest["updated_at"],
        "counts": {"videos": 5, "tags": 1, "folders": 1},
        "videos": "videos.json",
        "tags": "tags.json",
        "folders": "folders.json",
        "files": "files.json",
    }
    index = read(out, "files.json")
    files = published(out)
    assert (index["schema_version"], index["generation"]) == (2, manifest["generation"])
    shards = [ref["url"] for ref in index["shards"]]
    assert index["count"] == sum(ref["count"] for ref in index["shards"])
    listing: dict[str, Any] = {"files": {}}
    for ref in index["shards"]:
        content = files[ref["url"]]
        assert (hashlib.sha256(content).hexdigest(), len(content)) == (ref["sha256"], ref["bytes"])
        assert ref["url"] == f"files/{ref['sha256'][:32]}.json"
        shard = json.loads(content)
        assert shard["schema_version"] == 2 and len(shard["files"]) == ref["count"]
        assert all(path >= ref["first"] for path in shard["files"])
        listing["files"].update(shard["files"])
    assert sorted(listing["files"]) == list(listing["files"])
    assert set(listing["files"]) == set(files) - {"files.json", *shards}
    assert read_local_file_list(out)[0].files.keys() == listing["files"].keys()
    for path, entry in listing["files"].items():
        assert entry == {
            "sha256": hashlib.sha256(files[path]).hexdigest(),
            "bytes": len(files[path]),
            "cache": "immutable"
            if path.startswith("pages/") or SEARCH_SHARD_PATH.fullmatch(path)
            else "entry",
        }
        assert cache_class(path) == entry["cache"]
    assert any(path.startswith("pages/") for path in listing["files"])
    assert {path for path in files if path.startswith("schema/")} == {
        f"schema/{name}" for name in export_schemas()
    }


def test_every_output_file_validates_against_the_exported_schemas(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1", "Folder ünïcode")
    for number in range(5):
        add_video(db, f"v{number}", folder_hashed_id="f1", plays=number, name=f"Vidéo {number} 🎬")
        tag_video(db, f"v{number}", "Tag" if number % 2 else "Other")
    add_video(db, "nofold")

    publish(page_size=2)

    assert validate_against_schemas(out) == len(published(out)) - len(export_schemas())


def test_committed_and_packaged_schemas_match_the_models() -> None:
    for folder in (REPO / "docs" / "schema", REPO / "wistia_sync" / "contract" / "schema"):
        committed = {path.name: path.read_bytes() for path in folder.glob("*.json")}
        assert committed == render_schema_files(), "run: python scripts/export_schemas.py"


def test_published_schemas_accept_unknown_properties_and_strict_ones_refuse_them() -> None:
    published_form = json.dumps(export_schemas())
    assert '"additionalProperties": false' not in published_form
    strict = export_schemas(strict=True)["video.schema.json"]
    validator = jsonschema.Draft202012Validator(strict)
    open_validator = jsonschema.Draft202012Validator(export_schemas()["video.schema.json"])
    document = {
        "schema_version": 2,
        "video": {
            "hashed_id": "abc",
            "name": "n",
            "description": "",
            "duration": None,
            "created": "2024-01-01T00:00:00Z",
            "updated": "2024-01-01T00:00:00Z",
            "thumbnail_url": None,
            "embed_url": "https://fast.wistia.net/embed/iframe/abc",
            "hls_url": "https://fast.wistia.com/embed/medias/abc.m3u8",
            "folder": None,
            "tags": [],
            "plays": None,
            "added_in_a_later_version": 1,
        },
    }
    assert not open_validator.is_valid({**document, "schema_version": 1})
    assert open_validator.is_valid(document)
    assert not validator.is_valid(document)


def test_published_schemas_are_the_committed_ones(
    db: Database, out: Path, publish: Publish
) -> None:
    publish()
    for name, content in render_schema_files().items():
        assert (out / "schema" / name).read_bytes() == content
        assert (REPO / "docs" / "schema" / name).read_bytes() == content


def test_files_are_compact_utf8_with_a_final_newline(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "u1", name="Café ☕ <b>")
    publish()
    raw = (out / "videos" / "u1.json").read_bytes()
    assert raw.endswith(b"}\n") and raw.count(b"\n") == 1
    assert "Café ☕ <b>".encode() in raw
    assert b": " not in raw and b", " not in raw.replace(b"Caf\xc3\xa9 \xe2\x98\x95 <b>", b"")


# --- pagination ----------------------------------------------------------------------------


def test_entry_file_holds_the_head_of_the_first_bucket_and_lists_immutable_pages(
    db: Database, out: Path, publish: Publish
) -> None:
    for number in range(9):
        add_video(db, f"v{number}", created=f"2024-01-0{number + 1}T00:00:00Z")
        tag_video(db, f"v{number}", "Onboarding")

    publish(page_size=4)

    entry = read(out, "videos.json")
    # Buckets of 4, 5: the first quarter page inline, the rest of the first bucket a page.
    assert [video["hashed_id"] for video in entry["videos"]] == ["v8"]
    assert [page["count"] for page in entry["pages"]] == [3, 5]
    assert entry["count"] == 9
    assert all(re.fullmatch(r"pages/[0-9a-f]{32}\.json", page["url"]) for page in entry["pages"])
    tag_entry = read(out, "tags/onboarding.json")
    assert all(page["url"].startswith("../pages/") for page in tag_entry["pages"])
    assert playlist_ids(out, "videos.json") == [f"v{n}" for n in range(8, -1, -1)]
    assert playlist_ids(out, "tags/onboarding.json") == playlist_ids(out, "videos.json")
    page = read(out, entry["pages"][0]["url"])
    assert set(page) == {"schema_version", "kind", "key", "videos"}
    content = (out / entry["pages"][0]["url"]).read_bytes()
    assert entry["pages"][0]["url"] == f"pages/{hashlib.sha256(content).hexdigest()[:32]}.json"


def test_every_link_resolves_against_the_url_of_the_file_holding_it(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1")
    for number in range(7):
        add_video(db, f"v{number}", folder_hashed_id="f1")
        tag_video(db, f"v{number}", f"tag {number % 3}")

    publish(page_size=2)

    files = published(out)
    links = [
        (path, link)
        for path in files
        # index.html links to nothing; the search index's links: tests/search/reader.py
        if not path.startswith(("schema/", "search")) and path != "index.html"
        for link in _links(read(out, path))
    ]
    assert len(links) > 10
    for path, link in links:
        resolved = urljoin(BASE + path, link)
        assert resolved.startswith(BASE), (path, link)
        assert resolved.removeprefix(BASE) in files, (path, link)


def _links(document: dict[str, Any]) -> Iterator[str]:
    for key in ("videos", "tags", "folders", "files"):
        if isinstance(document.get(key), str):
            yield document[key]
    for page in document.get("pages", []):
        yield page["url"]
    for entry in document.get("tags", []) + document.get("folders", []):
        if isinstance(entry, dict) and "url" in entry:
            yield entry["url"]


def test_empty_catalog_still_publishes_videos_json(
    db: Database, out: Path, publish: Publish
) -> None:
    publish(page_size=2)
    playlist = read(out, "videos.json")
    assert (playlist["count"], playlist["pages"], playlist["videos"]) == (0, [], [])


def test_page_size_below_one_is_refused(db: Database) -> None:
    with pytest.raises(UsageError):
        change_site_settings(db, page_size=0)


def test_a_new_page_size_recuts_every_playlist_once(
    db: Database, out: Path, publish: Publish
) -> None:
    for number in range(12):
        add_video(db, f"v{number:02d}")
    publish(page_size=2)
    assert len(read(out, "videos.json")["pages"]) == 6  # the first bucket's tail, 5 more

    result = publish(page_size=4)

    assert [page["count"] for page in read(out, "videos.json")["pages"]] == [3, 4, 4]
    assert result.full and result.retired and not result.removed
    assert publish().written == []


# --- determinism and only-changed writes ---------------------------------------------------


def test_same_database_gives_byte_identical_folders(
    db: Database, tmp_path: Path, publish: Publish
) -> None:
    add_folder(db, "f1", "Ordner")
    for number in range(12):
        add_video(db, f"v{number:02d}", folder_hashed_id="f1", created="2024-01-01T00:00:00Z")
        tag_video(db, f"v{number:02d}", ["Ä", "a", "B", "ß"][number % 4])

    publish(tmp_path / "one", page_size=5)
    publish(tmp_path / "two", page_size=5)

    assert published(tmp_path / "one") == published(tmp_path / "two")


def test_republishing_unchanged_database_writes_nothing(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    tag_video(db, "v1", "One")
    publish()
    before_files, before_stats = published(out), inodes(out)
    changes_before = db.conn.total_changes

    result = publish()

    assert (result.written, result.removed, result.changed) == ([], [], False)
    assert published(out) == before_files
    assert inodes(out) == before_stats
    assert db.conn.total_changes == changes_before, "a no-op publish does not write the database"


def test_changed_video_rewrites_only_the_files_that_show_it(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_folder(db, "f1")
    add_video(db, "v1", folder_hashed_id="f1")
    add_video(db, "v2")
    tag_video(db, "v2", "Other")
    monkeypatch.setattr(site_module, "utc_now", lambda: "2024-01-01T00:00:00Z")
    publish()
    before = inodes(out)

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v1'")
    monkeypatch.setattr(site_module, "utc_now", lambda: "2024-02-02T00:00:00Z")
    result = publish()

    # (and the search index's entry and the shards holding its terms: tests/search)
    assert [p for p in result.changed_entries if not p.startswith("search/")] == [
        "videos/v1.json",
        "folders/f1.json",
        "videos.json",
        "manifest.json",
        "files.json",
    ]
    assert all(SEARCH_SHARD_PATH.fullmatch(path) for path in result.new_pages)
    assert read(out, "manifest.json")["updated_at"] == "2024-02-02T00:00:00Z"
    after = inodes(out)
    assert {path for path in after if before.get(path) != after[path]} == set(result.written)


def test_manifest_updated_at_is_kept_when_nothing_changed(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_video(db, "v1")
    monkeypatch.setattr(site_module, "utc_now", lambda: "2024-01-01T00:00:00Z")
    publish()
    monkeypatch.setattr(site_module, "utc_now", lambda: "2030-01-01T00:00:00Z")

    publish()
    publish(force=True)
    (out / "videos" / "v1.json").unlink()
    publish(repair=True)

    assert read(out, "manifest.json")["updated_at"] == "2024-01-01T00:00:00Z"


def test_force_rebuilds_byte_identical_and_rewrites_nothing_unchanged(
    db: Database, out: Path, publish: Publish
) -> None:
    for number in range(30):
        add_video(db, f"v{number:02d}", created=f"2024-01-{number % 28 + 1:02d}T00:00:00Z")
        tag_video(db, f"v{number:02d}", f"tag {number % 4}")
    publish(page_size=3)
    for number in range(0, 30, 4):  # incremental edits: splits, merges, removals
        db.execute(
            "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [f"v{number:02d}"]
        )
        publish()
    for number in range(30, 40):
        add_video(db, f"v{number:02d}", created="2025-01-01T00:00:00Z")
        tag_video(db, f"v{number:02d}", "tag 1")
        publish()
    before_files, before_stats = published(out), inodes(out)

    result = publish(force=True)

    assert (result.written, result.removed) == ([], [])
    assert published(out) == before_files
    assert inodes(out) == before_stats


@pytest.mark.parametrize("planted", ["fifo", "symlink", "other bytes", "same size"])
def test_force_replaces_whatever_stands_in_a_video_files_place_without_blocking(
    db: Database, out: Path, publish: Publish, tmp_path: Path, planted: str
) -> None:
    """A rebuild reads back every file it could write: a FIFO there must not block it (nothing
    writes to it), a symlink is not followed, and other bytes are rewritten."""
    add_video(db, "v1")
    publish()
    path = out / "videos" / "v1.json"
    original = path.read_bytes()
    outside = tmp_path / "outside.json"
    outside.write_bytes(original)
    path.unlink()
    if planted == "fifo":
        os.mkfifo(path)
    elif planted == "symlink":
        path.symlink_to(outside)  # the right bytes, but not a file of the output folder
    elif planted == "other bytes":
        path.write_bytes(b"{}")
    else:
        path.write_bytes(original.replace(b"v1", b"v2"))

    result = publish(force=True)

    assert "videos/v1.json" in result.written
    assert not path.is_symlink() and path.is_file() and path.read_bytes() == original
    assert outside.read_bytes() == original


# --- removal -------------------------------------------------------------------------------


def test_a_rebuild_removes_recorded_shards_no_list_names(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    publish()
    old = {path for path in published(out) if path.startswith("files/")}
    db.execute("DELETE FROM publish_file_shards")  # its state lost
    add_video(db, "v2")
    publish(force=True)
    now = {path for path in published(out) if path.startswith("files/")}
    assert now and not now & old
    assert now == {ref.path for ref in read_local_index(out)[0].shards}
    recorded = db.execute("SELECT path FROM published_files WHERE path GLOB 'files/*'").fetchall()
    assert {path for (path,) in recorded} == now


def test_a_shard_an_interrupted_publish_left_is_removed_by_the_next_list(
    db: Database, out: Path, publish: Publish
) -> None:
    """A publish killed after renaming a new shard into place, before its commit, leaves a shard
    that no record and no files.json names; it may name a video hidden since. The next publish
    that replaces the list removes it at once (no reader can reach it: no index lists it)."""
    add_video(db, "v1")
    add_video(db, "hidden1")
    publish()
    stray = "files/" + "c" * 32 + ".json"
    # As the killed publish put it there: staged (which moves the folder's clock on), renamed.
    killed = OutputFolder(out)
    content = b'{"schema_version":2,"files":{"videos/hidden1.json":{}}}'
    killed.place(stray, killed.stage(stray, content))
    foreign = out / "files" / "notes.json"
    foreign.write_bytes(b"{}")
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'hidden1'")

    result = publish()

    assert not (out / stray).exists()
    assert stray in result.removed
    assert foreign.read_bytes() == b"{}"
    listed = {ref.path for ref in read_local_index(out)[0].shards}
    on_disk = {f"files/{p.name}" for p in (out / "files").iterdir()}
    assert on_disk == listed | {"files/notes.json"}


def test_runs_sweep_removes_an_unlisted_unrecorded_shard_at_once_and_keeps_listed_ones(
    db: Database, out: Path, publish: Publish, tmp_path: Path
) -> None:
    """Between a killed publish and the next change, `run`'s sweep removes the shard it left
    (no files.json lists it, no record names it) without waiting for the grace period."""
    add_video(db, "v1")
    publish()
    listed = {ref.path for ref in read_local_index(out)[0].shards}
    db.execute("DELETE FROM published_files WHERE path GLOB 'files/*'")  # listed, unrecorded
    stray = "files/" + "d" * 32 + ".json"
    (out / stray).write_bytes(b'{"schema_version":2,"files":{}}')

    removed = sweep_output(db, out, lock_path=tmp_path / "sweep.lock")

    assert removed == [stray]
    assert {f"files/{p.name}" for p in (out / "files").iterdir()} == listed


def test_orphans_of_an_interrupted_publish_are_swept_after_the_grace_and_nothing_else(
    db: Database, out: Path, publish: Publish, tmp_path: Path
) -> None:
    for number in range(6):
        add_video(db, f"v{number}")
    publish(page_size=2)
    recorded_page = next(path for path in published(out) if path.startswith("pages/"))
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"{}")
    old = time.time() - 2 * 24 * 3600  # past the 24 h grace
    orphans = {
        "pages/" + "a" * 32 + ".json": old,  # a page no record names: a crash left it
        "files/" + "b" * 32 + ".json": old,  # a shard of the file list, likewise
        "search/" + "b" * 20 + ".json": old,  # a search shard, record block or list, likewise
        "captions/v1.eng." + "b" * 32 + ".vtt": old,  # a caption file, likewise
        ".videos.json.0123456789abcdef.tmp": old,  # the v1 publisher's temp files
        "tags/.x.json.0123456789abcdef.tmp": old,
    }
    kept = {
        "pages/" + "c" * 32 + ".json": time.time(),  # within the grace: a reader may need it
        "pages/notes.json": old,  # foreign: not the publisher's pattern
        "search/" + "c" * 20 + ".json": time.time(),  # within the grace
        "search/notes.json": old,
        "captions/notes.vtt": old,
        "pages/" + "d" * 31 + ".json": old,
        ".notes.tmp": old,
        "videos/.custom.json.tmp": old,
        "pages/.x.json.0123456789abcdef.tmp": old,  # v1 never wrote in pages/: not its file
    }
    for path, mtime in {**orphans, **kept}.items():
        (out / path).parent.mkdir(exist_ok=True)
        (out / path).write_bytes(b"{}")
        os.utime(out / path, (mtime, mtime))
    link = out / "pages" / ("e" * 32 + ".json")
    link.symlink_to(outside)  # never followed, never removed
    os.utime(link, (old, old), follow_symlinks=False)

    assert sweep_output(db, out, lock_path=tmp_path / "publish.lock") == sorted(orphans)
    for path in orphans:
        assert not (out / path).exists(), path
    for path in kept:
        assert (out / path).exists(), path
    assert link.is_symlink() and outside.read_bytes() == b"{}"
    assert (out / recorded_page).exists()
    assert publish(force=True).removed == []  # nothing left to sweep; the site is intact
    (out / "pages" / ("f" * 32 + ".json")).write_bytes(b"{}")
    os.utime(out / "pages" / ("f" * 32 + ".json"), (old, old))
    assert publish(force=True).removed == ["pages/" + "f" * 32 + ".json"]  # a rebuild sweeps


def test_hidden_video_loses_its_file_and_its_last_tag(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "keep1")
    add_video(db, "hide1")
    tag_video(db, "keep1", "Shared")
    tag_video(db, "hide1", "Shared")
    tag_video(db, "hide1", "Only hide1")
    publish()
    assert (out / "videos" / "hide1.json").exists()
    assert (out / "tags" / "only-hide1.json").exists()

    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'hide1'")
    result = publish()

    # (and the search files that held it, at once: tests/search)
    assert [p for p in result.removed if not p.startswith("search/")] == [
        "tags/only-hide1.json",
        "videos/hide1.json",
        lookup_of(db, "hide1"),  # its slug's lookup file lists no other video
    ]
    assert not (out / "videos" / "hide1.json").exists()
    assert not (out / "tags" / "only-hide1.json").exists()
    assert [tag["slug"] for tag in read(out, "tags.json")["tags"]] == ["shared"]
    assert b"hide1" not in b"".join(published(out).values())


def test_foreign_files_in_the_output_folder_are_never_touched(
    db: Database, out: Path, publish: Publish
) -> None:
    foreign = {
        ".gitignore": b"*\n!.gitignore\n",
        "index.html": b"<html></html>",
        "notes.json": b"{}",
        "tags.2.json": b"{}",
        "tags/README.txt": b"hello",
        "tags/my-notes.json": b"{}",
        "videos/custom.json": b"{}",
        "videos/.keep": b"",
        "pages/0123456789abcdef0123456789abcdef.json": b"{}",
        "schema/custom.json": b"{}",
    }
    for path, content in foreign.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(content)
    add_video(db, "v1")
    publish()
    db.execute("UPDATE videos SET archived = 1")

    result = publish()
    publish(force=True)

    removed = [p for p in result.removed if not p.startswith("search/")]
    assert removed == ["videos/v1.json", lookup_of(db, "v1")]
    files = published(out)
    assert {path: files[path] for path in foreign} == foreign


@pytest.mark.parametrize("managed", ["tags", "videos", "pages", "folders", ".wistia-sync-tmp"])
def test_a_symlinked_managed_folder_is_refused_and_nothing_written_through_it(
    db: Database, out: Path, publish: Publish, tmp_path: Path, managed: str
) -> None:
    add_video(db, "v1")
    tag_video(db, "v1", "One")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "one.json").write_text("precious")
    out.mkdir()
    (out / managed).symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(UnsafeOutputError, match="symlink"):
        publish()

    assert [path.name for path in elsewhere.iterdir()] == ["one.json"]
    assert (elsewhere / "one.json").read_text() == "precious"


# --- repair and interrupted publishes ------------------------------------------------------


def test_file_deleted_by_hand_is_restored(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    original = (out / "videos" / "v1.json").read_bytes()
    (out / "videos" / "v1.json").unlink()
    assert output_is_stale(db, out)

    result = publish(repair=True)

    assert result.written == ["videos/v1.json"]
    assert (out / "videos" / "v1.json").read_bytes() == original
    assert not output_is_stale(db, out)


def test_file_edited_by_hand_is_restored(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    original = (out / "videos.json").read_bytes()
    stats = (out / "videos.json").stat()
    (out / "videos.json").write_bytes(b'{"hacked": true}\n')
    os.utime(out / "videos.json", ns=(stats.st_atime_ns, stats.st_mtime_ns))  # size alone differs

    result = publish(force=True)

    assert result.written == ["videos.json"]
    assert (out / "videos.json").read_bytes() == original


def test_file_touched_by_hand_is_rewritten(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    os.utime(out / "tags.json", ns=(0, 1_000_000_000))
    assert output_is_stale(db, out)

    assert publish(repair=True).written == []  # same bytes: its stat is recorded again
    assert not output_is_stale(db, out)


def test_output_is_stale_until_first_publish_then_fresh(
    db: Database, out: Path, publish: Publish
) -> None:
    assert output_is_stale(db, out)
    publish()
    assert not output_is_stale(db, out)


def test_leftover_temp_files_are_removed_and_foreign_dotfiles_kept(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    publish()
    leftovers = [out / ".wistia-sync-tmp" / "0123456789abcdef.videos.json"]
    keep = [out / ".gitignore", out / ".videos.json.tmp", out / ".editor.swp"]
    for path in leftovers + keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("partial")
    add_video(db, "v2")

    publish()

    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in keep)


def test_failed_publish_leaves_whole_files_and_the_next_one_converges(
    db: Database, out: Path, publish: Publish, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(6):
        add_video(db, f"v{number}")
    publish(page_size=2)
    for number in range(6, 12):
        add_video(db, f"v{number}")
    replaced = 0
    real_replace = os.replace

    def failing_replace(source: Any, target: Any) -> None:
        nonlocal replaced
        replaced += 1
        if replaced == 4:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WistiaSyncError, match="disk full"):
        publish()
    monkeypatch.setattr(os, "replace", real_replace)

    for path, content in published(out).items():
        assert not Path(path).name.startswith("."), "no temp file is left behind"
        if path == "index.html":
            assert preview_page_problem(content) == ""
        elif path == "search.js":
            assert content == search_index.client_files(db, OutputFolder(out), full=True)[path]
        else:
            read(out, path)  # every file is whole JSON, old or new
    publish()
    publish(tmp_path / "fresh", force=True)
    fresh, converged = published(tmp_path / "fresh"), published(out)
    assert fresh_differences(converged, out, fresh, tmp_path / "fresh") == []
    in_grace = files_in_grace(converged, fresh)
    assert all(p.startswith("pages/") or SEARCH_SHARD_PATH.fullmatch(p) for p in in_grace)


# --- dry run, summary, permissions, locking, scale -----------------------------------------


def test_dry_run_reports_changes_but_touches_nothing(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    add_video(db, "v2")
    publish()
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'v2'")
    db.execute("UPDATE videos SET name = 'New name' WHERE hashed_id = 'v1'")
    before_files, before_stats = published(out), inodes(out)
    changes_before = db.conn.total_changes

    result = publish(dry_run=True)

    assert result.dry_run
    assert lookup_of(db, "v1") != lookup_of(db, "v2")  # so v2's lookup file goes
    # (and the search files holding the two videos' terms: tests/search)
    assert [p for p in result.written if not p.startswith("search/")] == [
        "videos/v1.json",
        "videos.json",
    ]
    removed = [p for p in result.removed if not p.startswith("search/")]
    assert removed == ["videos/v2.json", lookup_of(db, "v2")]
    searched = len([p for p in result.written if p.startswith("search/")])
    gone = len(result.removed)  # its files, and the search files that held the hidden video
    assert result.summary().startswith(f"would publish {2 + searched} files, remove {gone},")
    assert published(out) == before_files
    assert inodes(out) == before_stats
    assert db.conn.total_changes == changes_before


def test_dry_run_on_a_missing_folder_creates_nothing(
    db: Database, out: Path, publish: Publish
) -> None:
    result = publish(dry_run=True)
    assert "videos.json" in result.written
    assert not out.exists()


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        (
            PublishResult(["a", "b", "c"], ["pages/d"], ["e"], 1203, "g"),
            "published 4 files, removed 1, 1,203 unchanged",
        ),
        (PublishResult(["a"], [], [], 0, "g"), "published 1 file, removed 0, 0 unchanged"),
        (
            PublishResult(["a"] * 1500, [], ["x"] * 2, 7, "", dry_run=True),
            "would publish 1,500 files, remove 2, 7 unchanged",
        ),
    ],
)
def test_summary_reads_like_a_sentence(result: PublishResult, summary: str) -> None:
    assert result.summary() == summary


def test_changed_is_false_only_when_nothing_was_written_or_removed() -> None:
    assert not PublishResult([], [], [], 5, "g").changed
    assert PublishResult([], [], ["x"], 5, "g").changed
    assert PublishResult([], ["pages/x"], [], 5, "g").changed
    assert PublishResult(["x"], [], [], 5, "g", dry_run=True).changed


def test_files_are_world_readable_and_folders_traversable(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1")
    add_video(db, "v1", folder_hashed_id="f1")
    tag_video(db, "v1", "One")
    old_umask = os.umask(0o077)
    try:
        publish()
    finally:
        os.umask(old_umask)
    for path in published(out):
        assert stat.S_IMODE((out / path).stat().st_mode) == 0o644, path
    for folder in (out, out / "tags", out / "videos", out / "schema", out / "folders"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder


def test_publisher_reads_the_database_only_after_taking_the_lock(
    db: Database, out: Path, tmp_path: Path
) -> None:
    add_video(db, "early")
    lock_path = tmp_path / "publish.lock"
    results: list[PublishResult] = []
    with hold_lock(lock_path, wait=True):
        worker = threading.Thread(
            target=lambda: results.append(publish_site(db, out, lock_path=lock_path))
        )
        worker.start()
        time.sleep(0.3)
        assert not results, "the publisher waits for the lock"
        add_video(db, "late")  # committed while the other publisher still holds the lock
    worker.join(timeout=10)

    assert [video["hashed_id"] for video in read(out, "videos.json")["videos"]] == ["early", "late"]


def test_an_edit_costs_the_same_statements_and_files_whatever_the_catalog_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O(change): one tag added to one video, in a catalog of 300 or of 3,000.

    Chunks of 2 to 8 pages (or shards) make both catalogs' lists two-level, as a real site's
    are from about 6,000 videos (or 500 files) on: then no file an edit writes grows with it
    (the index's tree gains a level: a chunk more). Shards of 64 to 256 files keep the index's
    share of the bytes what it is in a real site (a real site's shards are a quarter of that,
    and its chunks twice as long).
    """
    monkeypatch.setattr(pagelists, "CHUNK_SIZE", 4)
    monkeypatch.setattr(shardlists, "LIST_SIZE", 4)
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 8)
    monkeypatch.setattr(shards, "SHARD_SIZE", 128)

    def cost(videos: int) -> tuple[int, int, int]:
        db = open_database(tmp_path / f"{videos}.db", create=True)
        change_site_settings(db, page_size=20)
        add_folder(db, "f1")
        for number in range(videos):
            add_video(db, f"v{number:05d}", folder_hashed_id="f1")
            tag_video(db, f"v{number:05d}", f"tag {number % 5}")
        lock = tmp_path / "lock"
        publish_site(db, tmp_path / f"out{videos}", lock_path=lock)
        tag_video(db, f"v{videos // 2:05d}", "tag 3", source="editor")
        tag_video(db, f"v{videos // 2:05d}", "Brand new")
        executed: list[str] = []
        db.conn.set_trace_callback(executed.append)
        result = publish_site(db, tmp_path / f"out{videos}", lock_path=lock)
        db.conn.set_trace_callback(None)
        # The file list's shards: as many as the touched paths fall in (fewer in a small
        # catalog, whose few shards each hold more of them), never more than they are.
        shard_statements = [sql for sql in executed if "'files/" in sql]
        touched = len(result.written) + len(result.removed)
        assert len(result.new_shards) <= touched
        assert len(shard_statements) <= 3 * touched
        out = tmp_path / f"out{videos}"
        # (the search index's files grow to their shard size over the first few thousand
        # videos, then stay flat: tests/search measures them with small shards)
        written = sum(
            (out / path).stat().st_size
            for path in result.written
            if path not in result.new_shards and not path.startswith("search")
        )
        published = sum(path.stat().st_size for path in out.rglob("*.json"))
        written_bytes.append(written)
        assert written < published / 5, "an edit writes a few small files, not the whole list"
        # A playlist lists a page through a chunk in the larger catalog only (the smaller
        # one's tag playlists fit in their entry files): each costs its own few statements
        # (recorded before its rename, recorded, the one it replaces retired, the ranges).
        chunks = [path for path in result.new_pages if path.startswith("page-lists/")]
        # the search index's files: as many as the shards its changed terms fall in (fewer in
        # a small catalog, as the file list's shards), bounded in tests/search
        pages = [path for path in result.new_pages if not SEARCH_SHARD_PATH.fullmatch(path)]
        assert len(chunks) <= len(pages) - len(chunks)  # a chunk per page at most
        # The index's tree: a few statements a level and a chunk rewritten (a level more in
        # the larger catalog).
        tree = [sql for sql in executed if "publish_file_nodes" in sql and "'files/" not in sql]
        (levels,) = db.execute("SELECT coalesce(max(level), 0) FROM publish_file_nodes").fetchone()
        rewritten = [path for path in result.new_shards if path.startswith("shard-lists/")]
        assert len(tree) <= 4 + 8 * levels + 2 * len(rewritten)
        # Each term shard the edit rewrites costs its own few statements (its text read to
        # splice, its row, its file's record read, recorded before its rename and after, the
        # file it replaces retired): as many as the shards its terms fall in, fewer in the
        # small catalog (they share a shard there).
        search_files = [
            path
            for path in [*result.new_pages, *result.retired]
            if SEARCH_SHARD_PATH.fullmatch(path)
        ]
        searching = [
            sql
            for sql in executed
            if sql.startswith("SELECT body FROM search_shards")
            or ("'files/" not in sql and any(path in sql for path in search_files))
        ]
        rest = len(executed) - len(shard_statements) - len(tree) - len(searching)
        counts.append((rest, len(chunks)))
        return len(pages) - len(chunks), len(result.changed_entries)

    written_bytes: list[int] = []
    counts: list[tuple[int, int]] = []
    small, large = cost(300), cost(3000)
    assert small == large
    (statements, chunks), (more_statements, more_chunks) = counts
    assert abs(more_statements - statements) <= 8 * max(chunks, more_chunks)
    # Ten times the catalog: the touched paths fall in more shards (fewer share one), but every
    # other file an edit rewrites (entry files, pages, chunks of the lists) keeps its size.
    assert written_bytes[1] < 1.2 * written_bytes[0]
    # A page in each of its 4 playlists that existed (all, its folder, its 2 old tags' minus the
    # new one, inline); entries: its file, 4 playlists, the new tag's, tags.json, the search
    # index's entry, manifest, files.
    assert small == (4, 10)


# --- hostile names -------------------------------------------------------------------------


HOSTILE_TAG_NAMES = [
    "../x",
    "../../etc/passwd",
    ".hidden",
    "CON",
    "",
    "🎬🔥",
    "x" * 500,
    "<script>alert(1)</script>",
    "a/b\\c",
    "tags/../../escape",
    " spaced  out ",
    "NUL.json",
]


def test_hostile_tag_names_give_safe_files_inside_tags(
    db: Database, out: Path, publish: Publish
) -> None:
    for number, name in enumerate(HOSTILE_TAG_NAMES):
        add_video(db, f"v{number}")
        tag_video(db, f"v{number}", name)

    publish()

    tag_files = sorted(path.name for path in (out / "tags").iterdir())
    slugs = [slug_of(db, name) for name in HOSTILE_TAG_NAMES]
    assert len(set(slugs)) == len(HOSTILE_TAG_NAMES)
    assert tag_files == sorted(f"{slug}.json" for slug in slugs)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug) and len(slug) <= 60, slug
    for path in published(out):
        assert all(
            SAFE_FILE_NAME.fullmatch(part)
            or part in {"tags", "videos", "schema", "pages", "files", "slugs", "search"}
            for part in path.split("/")
        ), path
    assert not (out.parent / "x.json").exists()
    names = {tag["name"] for tag in read(out, "tags.json")["tags"]}
    assert "<script>alert(1)</script>" in names
    assert validate_against_schemas(out) > 0


def test_unsafe_names_in_the_database_are_never_written(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "../evil", "Evil folder")
    add_video(db, "good1", folder_hashed_id="../evil")
    add_video(db, "../escape")
    add_video(db, "has.dot")
    add_video(db, "new\nline")
    tag_id = tag_video(db, "good1", "Evil tag")
    db.execute("UPDATE tags SET slug = '../../evil' WHERE id = ?", [tag_id])
    tag_video(db, "good1", "Fine")

    publish()

    files = published(out)
    assert "videos/good1.json" in files
    assert not any(("evil" in path or "escape" in path or "dot" in path) for path in files)
    assert not (out.parent / "evil.json").exists() and not (out.parent / "escape.json").exists()
    video = read(out, "videos/good1.json")["video"]
    assert (video["folder"], tag_names(video)) == (None, ["Fine"])
    assert read(out, "manifest.json")["counts"] == {"videos": 1, "tags": 1, "folders": 0}
    data = b"".join(content for path, content in files.items() if not path.startswith("schema/"))
    for leak in (b"escape", b"has.dot", b"Evil"):
        assert leak not in data
