"""``benchmarks/floor_publish.py`` writes exactly what ``publish --force`` writes into an empty
folder, two-level page lists and file list included (``bench_rebuild.py`` relies on it).

Small sizes (in both, alike) make a few hundred videos cut as tens of thousands would.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from wistia_sync.publish import pagelists, publish_site, shardlists, shards
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _tree(root: Path) -> dict[str, bytes]:
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".wistia-sync-tmp"]
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


@pytest.mark.parametrize(
    ("page_list_size", "shard_size", "shard_list_size", "inline_shards"),
    [(64, 128, 32, 64), (3, 16, 2, 4)],
    ids=["default sizes", "small sizes"],
)
def test_floor_writes_what_publish_force_writes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    page_list_size: int,
    shard_size: int,
    shard_list_size: int,
    inline_shards: int,
) -> None:
    floor = _module("floor_publish")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    bench_publish = _module("bench_publish")
    for module, name, size in [
        (pagelists, "CHUNK_SIZE", page_list_size),
        (floor, "PAGE_LIST_SIZE", page_list_size),
        (shards, "SHARD_SIZE", shard_size),
        (floor, "SHARD_SIZE", shard_size),
        (shardlists, "LIST_SIZE", shard_list_size),
        (floor, "SHARD_LIST_SIZE", shard_list_size),
        (shardlists, "INLINE_SHARDS", inline_shards),
        (floor, "INLINE_SHARDS", inline_shards),
    ]:
        monkeypatch.setattr(module, name, size)
    database = tmp_path / "wistia.db"
    bench_publish.build_catalog(database, 300)
    db = open_database(database)
    change_site_settings(db, page_size=1)  # a page a video: 280-odd pages in videos.json

    publish_site(db, tmp_path / "published", lock_path=tmp_path / "lock", force=True)
    db.conn.close()
    floor.main(str(database), str(tmp_path / "floor"))

    published, floored = _tree(tmp_path / "published"), _tree(tmp_path / "floor")
    assert sorted(floored) == sorted(published)
    assert [path for path in published if published[path] != floored[path]] == []
    chunked = page_list_size < 64
    assert any(path.startswith("page-lists/") for path in published)
    assert any(path.startswith("shard-lists/") for path in published) == chunked
