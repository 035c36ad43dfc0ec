"""Golden files: the demo catalog, synced and published, gives exactly these bytes.

A change to the JSON contract shows up here as a diff to review. After an intended change,
regenerate with ``UPDATE_GOLDEN=1 pytest tests/publish/test_golden.py`` and commit the new files.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wistia_sync.cli.app import app
from wistia_sync.contract.filelist import FileEntry, read_local_file_list
from wistia_sync.publish.preview import render_preview_page
from wistia_sync.publish.settings import DEFAULT_PREVIEW_TITLE
from wistia_sync.store.db import open_database

GOLDEN = Path(__file__).parent.parent / "golden"
# One file of every kind; the paging comes from a small page size. "first page of X" is the
# first immutable page X lists (its name is its content hash, so it changes with its bytes);
# "first caption of X" the first caption file video file X links to.
FILES = [
    "videos.json",
    "first page of videos.json",
    "tags.json",
    "folders.json",
    "tags/onboarding.json",
    "tags/cafe.json",
    "folders/4d23503f70.json",
    "videos/2uj5nqq36y.json",
    "first caption of videos/2uj5nqq36y.json",
    "manifest.json",
    "files.json",
]


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    open_database(folder / "wistia.db", create=True).close()  # only sync/run create one
    site = CliRunner().invoke(app, ["site", "--page-size", "10", "--db", str(folder / "wistia.db")])
    assert site.exit_code == 0, site.output
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--demo",
            "--quiet",
            "--db",
            str(folder / "wistia.db"),
            "--output",
            str(folder / "output"),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder / "output"


def normalised(path: str, content: bytes, output: Path) -> bytes:
    """The manifest's ``updated_at`` is the publish time: the one value not from the database
    (and so the manifest's fingerprint in files.json, and the name and hash of its shard).
    files.json is compared as its index (shards' slices and counts) and the list they hold.
    The preview page's bytes carry the package version, so its fingerprint is checked
    against the template's output instead."""
    if path == "manifest.json":
        manifest = json.loads(content)
        manifest["updated_at"] = "<publish time>"
        return json.dumps(manifest, indent=1, ensure_ascii=False).encode() + b"\n"
    if path == "files.json":
        index = json.loads(content)
        files: dict[str, object] = {}
        for shard in index["shards"]:
            files.update(json.loads((output / shard["url"]).read_bytes())["files"])
            for key in ("url", "sha256", "bytes"):
                shard[key] = "<shard fingerprint>"
        files["manifest.json"] = "<manifest fingerprint>"
        files["index.html"] = "<preview page fingerprint>"
        listing = {"index": index, "files": files}
        return json.dumps(listing, indent=1).encode() + b"\n"
    return content


def resolve(output: Path, name: str) -> str:
    if name.startswith("first caption of "):  # a WebVTT file, linked from the site's root
        video = json.loads((output / name.removeprefix("first caption of ")).read_bytes())
        return str(video["video"]["captions"][0]["url"])
    if not name.startswith("first page of "):
        return name
    entry = name.removeprefix("first page of ")
    url = json.loads((output / entry).read_bytes())["pages"][0]["url"]
    return url.removeprefix("../")


@pytest.mark.parametrize("name", FILES)
def test_demo_output_matches_golden_file(demo_output: Path, name: str) -> None:
    path = resolve(demo_output, name)
    actual = normalised(path, (demo_output / path).read_bytes(), demo_output)
    golden = GOLDEN / name.replace("/", "__").replace(" ", "_")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(actual)
    assert actual == golden.read_bytes()


def test_demo_output_lists_the_preview_page_the_template_renders(demo_output: Path) -> None:
    page = (demo_output / "index.html").read_bytes()
    assert page == render_preview_page(DEFAULT_PREVIEW_TITLE)
    listed = read_local_file_list(demo_output)[0].files["index.html"]
    assert listed == FileEntry(
        path="index.html", sha256=hashlib.sha256(page).hexdigest(), bytes=len(page), cache="entry"
    )
