"""Golden files: the demo catalog, synced and published, gives exactly these bytes.

A change to the JSON contract shows up here as a diff to review. After an intended change,
regenerate with ``UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and commit the new files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wistia_sync.cli import app

GOLDEN = Path(__file__).parent / "golden"
# One file of every kind; the paging variants come from a small page size.
FILES = [
    "videos.json",
    "videos.2.json",
    "tags.json",
    "folders.json",
    "tags/onboarding.json",
    "tags/cafe.json",
    "folders/4d23503f70.json",
    "videos/2uj5nqq36y.json",
    "manifest.json",
]


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--demo",
            "--quiet",
            "--page-size",
            "25",
            "--db",
            str(folder / "wistia.db"),
            "--output",
            str(folder / "output"),
        ],
    )
    assert result.exit_code == 0, result.output
    return folder / "output"


def normalised(path: str, content: bytes) -> bytes:
    """The manifest's ``updated_at`` is the publish time: the one value not from the database."""
    if path != "manifest.json":
        return content
    manifest = json.loads(content)
    manifest["updated_at"] = "<publish time>"
    return json.dumps(manifest, indent=1, ensure_ascii=False).encode() + b"\n"


@pytest.mark.parametrize("path", FILES)
def test_demo_output_matches_golden_file(demo_output: Path, path: str) -> None:
    actual = normalised(path, (demo_output / path).read_bytes())
    golden = GOLDEN / path.replace("/", "__")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(actual)
    assert actual == golden.read_bytes()
