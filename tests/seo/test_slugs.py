"""Video slugs (issue 22): stable, unique, assigned once; and the slug lookup files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.support.factories import add_video
from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.catalog.slugs import MAX_VIDEO_SLUG_LENGTH, VIDEO_SLUG, slug_shard
from wistia_sync.contract.schemas import export_schemas


def slug(out: Path, hashed_id: str) -> str:
    return str(json.loads((out / "videos" / f"{hashed_id}.json").read_text())["video"]["slug"])


def lookup(out: Path) -> dict[str, str]:
    """Every slug -> hashed_id the lookup files hold, checking each file's shard and schema."""
    schema = export_schemas(strict=True)["slugs.schema.json"]
    found: dict[str, str] = {}
    for path in sorted((out / "slugs").glob("*.json")) if (out / "slugs").exists() else []:
        document = json.loads(path.read_text())
        jsonschema.validate(document, schema)
        for name, hashed_id in document["slugs"].items():
            assert f"{slug_shard(name):02x}.json" == path.name
            found[name] = hashed_id
    return found


def published_ids(db: Database) -> set[str]:
    rows = db.execute(f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}")
    return {row[0] for row in rows}


def test_a_video_gets_its_slug_from_its_name_and_keeps_it_through_a_rename(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "abc123", name="Quarterly Review: Q3 — Café")
    publish()
    assert slug(out, "abc123") == "quarterly-review-q3-cafe"

    db.execute("UPDATE videos SET name = 'Something else entirely' WHERE hashed_id = 'abc123'")
    publish()

    assert slug(out, "abc123") == "quarterly-review-q3-cafe"
    assert lookup(out) == {"quarterly-review-q3-cafe": "abc123"}


def test_a_hidden_video_leaves_the_lookup_in_the_same_publish_and_keeps_its_slug(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "keep1", name="Kept")
    add_video(db, "hide1", name="Hidden later")
    publish()
    assert lookup(out) == {"kept": "keep1", "hidden-later": "hide1"}

    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'hide1'")
    publish()
    assert lookup(out) == {"kept": "keep1"}
    assert b"hidden-later" not in b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())

    add_video(db, "new1", name="Hidden later")  # the slug stays taken while hide1 exists
    db.execute("UPDATE videos SET visibility = 'public' WHERE hashed_id = 'hide1'")
    publish()
    assert lookup(out) == {"kept": "keep1", "hidden-later": "hide1", "hidden-later-new1": "new1"}


def test_collisions_reserved_words_and_hostile_names_get_deterministic_fallbacks(
    db: Database, out: Path, publish: Publish
) -> None:
    names = {
        "a1": "Same name",
        "a2": "Same name",
        "a3": "SAME  name!",
        "e1": "🎉🎉🎉",
        "e2": "",
        "e3": "!!! ???",
        "r1": "Sitemap",
        "r2": "index",
        "l1": "word " * 2000,
        "x1": "</script><script>alert(1)</script>",
        "u1": "日本語のビデオ",
    }
    for index, (hashed_id, name) in enumerate(names.items()):
        add_video(db, hashed_id, name=name, created=f"2024-01-01T00:00:{index:02d}Z")
    publish()

    slugs = {hashed_id: slug(out, hashed_id) for hashed_id in names}
    assert slugs["a1"] == "same-name"  # the first created claims it
    assert slugs["a2"] == "same-name-a2"
    assert slugs["a3"] == "same-name-a3"
    assert slugs["e1"] == "video-e1"
    assert slugs["e2"] == "video-e2"
    assert slugs["e3"] == "video-e3"
    assert slugs["r1"] == "sitemap-r1"
    assert slugs["r2"] == "index-r2"
    assert slugs["x1"] == "script-script-alert-1-script"
    assert len(set(slugs.values())) == len(names)
    for value in slugs.values():
        assert VIDEO_SLUG.fullmatch(value), value
        assert len(value) <= MAX_VIDEO_SLUG_LENGTH + 1 + len("x1"), value
    assert lookup(out) == {value: hashed_id for hashed_id, value in slugs.items()}


def test_the_same_catalog_gives_the_same_slugs_in_another_database(tmp_path: Path) -> None:
    from wistia_sync.publish import publish_site
    from wistia_sync.store.db import open_database

    results = []
    for name in ("one", "two"):
        db = open_database(tmp_path / f"{name}.db", create=True)
        for number in range(30):
            add_video(db, f"v{number:02d}", name=f"Clip {number % 4}")
        publish_site(db, tmp_path / name, lock_path=tmp_path / f"{name}.lock")
        results.append(dict(db.execute("SELECT hashed_id, slug FROM video_slugs").fetchall()))
    assert results[0] == results[1]


def test_a_dry_run_assigns_no_slug_for_good(db: Database, out: Path, publish: Publish) -> None:
    add_video(db, "v1")
    publish()
    add_video(db, "v2")

    result = publish(dry_run=True)

    assert "videos/v2.json" in result.written
    assert db.execute("SELECT count(*) FROM video_slugs").fetchone()[0] == 1


@pytest.mark.parametrize("change", ["archive", "delete", "hide", "protect"])
def test_the_lookup_lists_exactly_the_published_videos_after_every_change(
    db: Database, out: Path, publish: Publish, change: str
) -> None:
    for number in range(40):
        add_video(db, f"v{number:02d}", name=f"Video {number % 7}")
    publish()
    sql = {
        "archive": "UPDATE videos SET archived = 1",
        "delete": "UPDATE videos SET deleted_at = '2024-02-01T00:00:00Z'",
        "hide": "UPDATE videos SET visibility = 'hidden'",
        "protect": "UPDATE videos SET protected = 1",
    }[change]
    db.execute(f"{sql} WHERE hashed_id IN ('v03', 'v17', 'v29')")
    publish()
    assert set(lookup(out).values()) == published_ids(db)
    publish(force=True)
    assert set(lookup(out).values()) == published_ids(db)


def test_the_readmes_javascript_shard_function_agrees_with_the_publisher() -> None:
    import re
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the README's JavaScript cannot be run")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```js\n\s*(function slugShard.*?)```", readme, re.DOTALL)
    assert match, "the README shows slugShard in a js block"
    slugs = ["a", "hello-world", "automations-tour", "video-x1", "z" * 60]
    script = match.group(1) + f"\nconsole.log(JSON.stringify({slugs!r}.map(slugShard)));"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [f"{slug_shard(slug):02x}" for slug in slugs]
