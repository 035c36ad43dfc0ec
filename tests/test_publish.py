"""Behaviour of the publisher, driven through its library API on temporary databases and folders."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from sqlite_utils import Database

from tests.factories import add_folder, add_tag, add_video, slug_of, tag_video
from wistia_sync import publish as publish_module
from wistia_sync.contract import export_schemas, render_schema_files
from wistia_sync.db import open_database
from wistia_sync.errors import UsageError
from wistia_sync.lock import hold_lock
from wistia_sync.publish import (
    PUBLISHED_VIDEO_CONDITION,
    PublishResult,
    output_is_stale,
    publish_playlists,
)

REPO = Path(__file__).resolve().parent.parent
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\.json")

Publish = Callable[..., PublishResult]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def publish(db: Database, out: Path, tmp_path: Path) -> Publish:
    """Publish ``db`` into ``out`` (or another folder) with the test's lock file."""

    def run(output_dir: Path | None = None, **options: Any) -> PublishResult:
        return publish_playlists(
            db, output_dir or out, lock_path=tmp_path / "publish.lock", **options
        )

    return run


def read(out: Path, path: str) -> Any:
    return json.loads((out / path).read_text(encoding="utf-8"))


def published(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` by output-relative path (foreign files included)."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def inodes(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file: an atomic rewrite always changes the inode."""
    result = {}
    for path, _ in published(out).items():
        info = (out / path).stat()
        result[path] = (info.st_ino, info.st_mtime_ns)
    return result


def schema_name_for(path: str) -> str:
    if path == "manifest.json":
        return "manifest.schema.json"
    if path in ("tags.json", "folders.json"):
        return path.replace(".json", ".schema.json")
    if path.startswith("videos/"):
        return "video.schema.json"
    return "playlist.schema.json"


def validate_against_schemas(out: Path) -> int:
    """Validate every data file with the schema published next to it; returns how many."""
    schemas = {path.name: json.loads(path.read_bytes()) for path in (out / "schema").iterdir()}
    checked = 0
    for path in published(out):
        if path.startswith("schema/"):
            continue
        schema = schemas[schema_name_for(path)]
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        validator.validate(read(out, path))
        checked += 1
    return checked


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
    )
    tag_video(db, "abc123", "zebra")
    tag_video(db, "abc123", "Alpha", source="editor")
    tag_video(db, "abc123", "beta")

    publish()

    assert read(out, "videos/abc123.json") == {
        "schema_version": 1,
        "video": {
            "hashed_id": "abc123",
            "name": "Quarterly review",
            "description": "<p>Walkthrough</p>",
            "duration": 187.32,
            "created": "2026-03-02T15:04:05Z",
            "updated": "2026-03-05T09:12:44Z",
            "thumbnail_url": "https://embed-ssl.wistia.com/deliveries/0f1e.jpg",
            "embed_url": "https://fast.wistia.net/embed/iframe/abc123",
            "hls_url": "https://fast.wistia.com/embed/medias/abc123.m3u8",
            "folder": {"hashed_id": "fold1", "name": "Marketing"},
            "tags": ["Alpha", "beta", "zebra"],
            "plays": 42,
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
        "schema_version": 1,
        "kind": "all",
        "key": None,
        "title": "All videos",
        "count": 4,
        "page": 1,
        "pages": 1,
        "next": None,
        "prev": None,
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
        "schema_version": 1,
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
    assert read(out, "videos/both1.json")["video"]["tags"] == ["Sales"]


def test_folders_index_and_folder_playlist(db: Database, out: Path, publish: Publish) -> None:
    add_folder(db, "fB", "beta")
    add_folder(db, "fA", "Alpha")
    add_video(db, "a1", folder_hashed_id="fA")
    add_video(db, "b1", folder_hashed_id="fB")
    add_video(db, "b2", folder_hashed_id="fB")

    publish()

    assert read(out, "folders.json") == {
        "schema_version": 1,
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
    add_tag(db, "Unused")

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


def test_manifest_lists_every_other_file_with_its_hash_and_size(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1")
    add_video(db, "v1", folder_hashed_id="f1")
    tag_video(db, "v1", "One")

    publish()

    manifest = read(out, "manifest.json")
    files = published(out)
    assert set(manifest) == {"schema_version", "updated_at", "counts", "files"}
    assert manifest["counts"] == {"videos": 1, "tags": 1, "folders": 1}
    assert sorted(manifest["files"]) == list(manifest["files"])
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    import hashlib

    for path, entry in manifest["files"].items():
        assert entry == {
            "sha256": hashlib.sha256(files[path]).hexdigest(),
            "bytes": len(files[path]),
        }
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


def test_committed_schemas_match_the_models() -> None:
    committed = {path.name: path.read_bytes() for path in (REPO / "docs" / "schema").glob("*.json")}
    assert committed == render_schema_files(), "run: python scripts/export_schemas.py"


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


def test_pages_link_to_each_other_at_dot_n_paths(db: Database, out: Path, publish: Publish) -> None:
    for number in range(5):
        add_video(db, f"v{number}", created=f"2024-01-0{number + 1}T00:00:00Z")
        tag_video(db, f"v{number}", "Onboarding")

    publish(page_size=2)

    pages = [read(out, path) for path in ("videos.json", "videos.2.json", "videos.3.json")]
    assert [(page["page"], page["pages"], page["count"]) for page in pages] == [
        (1, 3, 5),
        (2, 3, 5),
        (3, 3, 5),
    ]
    assert [(page["prev"], page["next"]) for page in pages] == [
        (None, "videos.2.json"),
        ("videos.json", "videos.3.json"),
        ("videos.2.json", None),
    ]
    assert [[video["hashed_id"] for video in page["videos"]] for page in pages] == [
        ["v4", "v3"],
        ["v2", "v1"],
        ["v0"],
    ]
    assert read(out, "tags/onboarding.json")["next"] == "tags/onboarding.2.json"
    assert read(out, "tags/onboarding.3.json")["prev"] == "tags/onboarding.2.json"
    assert not (out / "videos.4.json").exists()


def test_every_link_in_every_file_leads_to_a_published_file(
    db: Database, out: Path, publish: Publish
) -> None:
    add_folder(db, "f1")
    for number in range(7):
        add_video(db, f"v{number}", folder_hashed_id="f1")
        tag_video(db, f"v{number}", f"tag {number % 3}")

    publish(page_size=2)

    files = published(out)
    links = [
        link
        for path in files
        if not path.startswith("schema/") and path != "manifest.json"
        for link in _links(read(out, path))
    ]
    assert links
    assert all(link in files for link in links)


def _links(document: dict[str, Any]) -> Iterator[str]:
    for key in ("next", "prev"):
        if document.get(key):
            yield document[key]
    for entry in document.get("tags", []) + document.get("folders", []):
        if isinstance(entry, dict):
            yield entry["url"]


def test_empty_catalog_still_publishes_page_one(db: Database, out: Path, publish: Publish) -> None:
    publish(page_size=2)
    playlist = read(out, "videos.json")
    assert (playlist["count"], playlist["page"], playlist["pages"], playlist["videos"]) == (
        0,
        1,
        1,
        [],
    )
    assert (playlist["next"], playlist["prev"]) == (None, None)


def test_page_size_below_one_is_refused(publish: Publish) -> None:
    with pytest.raises(UsageError):
        publish(page_size=0)


def test_pages_no_longer_needed_are_removed(db: Database, out: Path, publish: Publish) -> None:
    for number in range(5):
        add_video(db, f"v{number}")
    publish(page_size=2)
    assert (out / "videos.3.json").exists()

    result = publish(page_size=3)

    assert result.removed == ["videos.3.json"]
    assert not (out / "videos.3.json").exists()
    assert read(out, "videos.2.json")["next"] is None


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
    assert result.unchanged == len(before_files)
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
    monkeypatch.setattr(publish_module, "utc_now", lambda: "2024-01-01T00:00:00Z")
    publish()
    before = inodes(out)

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v1'")
    monkeypatch.setattr(publish_module, "utc_now", lambda: "2024-02-02T00:00:00Z")
    result = publish()

    assert result.written == ["folders/f1.json", "videos.json", "videos/v1.json", "manifest.json"]
    assert read(out, "manifest.json")["updated_at"] == "2024-02-02T00:00:00Z"
    after = inodes(out)
    assert {path for path in before if before[path] != after[path]} == set(result.written)


def test_manifest_updated_at_is_kept_when_nothing_changed(
    db: Database, out: Path, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_video(db, "v1")
    monkeypatch.setattr(publish_module, "utc_now", lambda: "2024-01-01T00:00:00Z")
    publish()
    monkeypatch.setattr(publish_module, "utc_now", lambda: "2030-01-01T00:00:00Z")

    publish()
    publish(force=True)
    (out / "videos" / "v1.json").unlink()
    publish()

    assert read(out, "manifest.json")["updated_at"] == "2024-01-01T00:00:00Z"


def test_force_rewrites_every_file_with_the_same_bytes(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    publish()
    before_files, before_stats = published(out), inodes(out)

    result = publish(force=True)

    assert sorted(result.written) == sorted(before_files)
    assert result.unchanged == 0
    assert published(out) == before_files
    after = inodes(out)
    assert all(after[path][0] != before_stats[path][0] for path in before_files)


# --- removal -------------------------------------------------------------------------------


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

    assert result.removed == ["tags/only-hide1.json", "videos/hide1.json"]
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
        "videos/.keep": b"",
        "schema/custom.json": b"{}",
    }
    for path, content in foreign.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(content)
    add_video(db, "v1")
    publish()
    db.execute("UPDATE videos SET archived = 1")

    result = publish()

    assert result.removed == ["videos/v1.json"]
    files = published(out)
    assert {path: files[path] for path in foreign} == foreign


def test_stale_managed_files_are_removed_even_without_a_record(
    db: Database, out: Path, publish: Publish
) -> None:
    for path in ("tags/old-tag.json", "tags/old-tag.2.json", "videos/gone.json", "videos.9.json"):
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text("{}")

    result = publish()

    assert result.removed == [
        "tags/old-tag.2.json",
        "tags/old-tag.json",
        "videos.9.json",
        "videos/gone.json",
    ]


# --- repair and interrupted publishes ------------------------------------------------------


def test_file_deleted_by_hand_is_restored(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    original = (out / "videos" / "v1.json").read_bytes()
    (out / "videos" / "v1.json").unlink()
    assert output_is_stale(db, out)

    result = publish()

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

    result = publish()

    assert result.written == ["videos.json"]
    assert (out / "videos.json").read_bytes() == original


def test_file_touched_by_hand_is_rewritten(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    os.utime(out / "tags.json", ns=(0, 1_000_000_000))
    assert output_is_stale(db, out)

    assert publish().written == ["tags.json"]


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
    leftovers = [
        out / ".videos.json.0123456789abcdef.tmp",
        out / "videos" / ".v1.json.fedcba9876543210.tmp",
        out / "tags" / ".x.2.json.00000000deadbeef.tmp",
    ]
    keep = [out / ".gitignore", out / ".videos.json.tmp", out / ".editor.swp"]
    for path in leftovers + keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("partial")

    result = publish()

    assert not result.changed
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
    real_replace = Path.replace

    def failing_replace(self: Path, target: Any) -> Path:
        nonlocal replaced
        replaced += 1
        if replaced == 4:
            raise OSError("disk full")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        publish(page_size=2)
    monkeypatch.setattr(Path, "replace", real_replace)

    for path in published(out):
        assert not Path(path).name.startswith("."), "no temp file is left behind"
        read(out, path)  # every file is whole JSON, old or new
    publish(page_size=2)
    publish(tmp_path / "fresh", page_size=2)
    assert published(out) == published(tmp_path / "fresh")


# --- dry run, summary, permissions, locking, scale -----------------------------------------


def test_dry_run_reports_changes_but_touches_nothing(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1")
    add_video(db, "v2")
    publish()
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'v2'")
    db.execute("UPDATE videos SET name = 'New name' WHERE hashed_id = 'v1'")
    (out / ".videos.json.0123456789abcdef.tmp").write_text("partial")
    before_files, before_stats = published(out), inodes(out)
    changes_before = db.conn.total_changes

    result = publish(dry_run=True)

    assert result.dry_run
    assert result.written == ["videos.json", "videos/v1.json", "manifest.json"]
    assert result.removed == ["videos/v2.json"]
    assert result.summary().startswith("would publish 3 files, remove 1,")
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
            PublishResult(["a", "b", "c", "d"], ["e"], 1203, False),
            "published 4 files, removed 1, 1,203 unchanged",
        ),
        (PublishResult(["a"], [], 0, False), "published 1 file, removed 0, 0 unchanged"),
        (
            PublishResult(["a"] * 1500, ["x"] * 2, 7, True),
            "would publish 1,500 files, remove 2, 7 unchanged",
        ),
    ],
)
def test_summary_reads_like_a_sentence(result: PublishResult, summary: str) -> None:
    assert result.summary() == summary


def test_changed_is_false_only_when_nothing_was_written_or_removed() -> None:
    assert not PublishResult([], [], 5, False).changed
    assert PublishResult([], ["x"], 5, False).changed
    assert PublishResult(["x"], [], 5, True).changed


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
            target=lambda: results.append(publish_playlists(db, out, lock_path=lock_path))
        )
        worker.start()
        time.sleep(0.3)
        assert not results, "the publisher waits for the lock"
        add_video(db, "late")  # committed while the other publisher still holds the lock
    worker.join(timeout=10)

    assert [video["hashed_id"] for video in read(out, "videos.json")["videos"]] == ["early", "late"]


def test_query_count_does_not_grow_with_the_catalog(tmp_path: Path) -> None:
    def statements_for(videos: int) -> int:
        db = open_database(tmp_path / f"{videos}.db")
        add_folder(db, "f1")
        for number in range(videos):
            add_video(db, f"v{number}", folder_hashed_id="f1")
            tag_video(db, f"v{number}", f"tag {number % 5}")
        executed: list[str] = []
        db.conn.set_trace_callback(executed.append)
        publish_playlists(db, tmp_path / f"out{videos}", lock_path=tmp_path / "l", dry_run=True)
        return len(executed)

    assert statements_for(5) == statements_for(60)


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
            SAFE_FILE_NAME.fullmatch(part) or part in {"tags", "videos", "schema"}
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
    assert (video["folder"], video["tags"]) == (None, ["Fine"])
    assert read(out, "manifest.json")["counts"] == {"videos": 1, "tags": 1, "folders": 0}
    data = b"".join(content for path, content in files.items() if not path.startswith("schema/"))
    for leak in (b"escape", b"has.dot", b"Evil"):
        assert leak not in data
