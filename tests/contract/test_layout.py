"""The output layout's one answer to "what cache class is this path?" (README, JSON contract).

Only content-addressed names are immutable: ``pages/<32 hex>.json`` and the file list's shards
``files/<32 hex>.json``. Everything else, odd names in those folders included, may change under
its URL: an entry file, purged when it changes.
"""

from __future__ import annotations

import pytest

from wistia_sync.contract.layout import cache_class, published_path

HASH = "0123456789abcdef0123456789abcdef"

CACHE_CLASSES = {
    # entry files at fixed URLs
    "manifest.json": "entry",
    "files.json": "entry",
    "videos.json": "entry",
    "tags.json": "entry",
    "folders.json": "entry",
    "index.html": "entry",
    "tags/onboarding.json": "entry",
    "folders/r3v9c1n6tz.json": "entry",
    "videos/2uj5nqq36y.json": "entry",
    "schema/playlist.schema.json": "entry",
    # content-addressed: never change under their URL
    f"pages/{HASH}.json": "immutable",
    f"files/{HASH}.json": "immutable",
    f"page-lists/{HASH}.json": "immutable",
    f"shard-lists/{HASH}.json": "immutable",
    # odd ones: in an immutable folder, but not named by a content hash
    "pages/notes.json": "entry",
    "pages/abc.json": "entry",
    f"pages/{HASH.upper()}.json": "entry",
    f"pages/{HASH}0.json": "entry",
    f"pages/{HASH}.json.gz": "entry",
    f"pages/sub/{HASH}.json": "entry",
    "files/notes.json": "entry",
    f"files/{HASH[:31]}.json": "entry",
    "page-lists/notes.json": "entry",
    f"shard-lists/{HASH}.json.tmp": "entry",
    # v1 layout and foreign names
    "videos.2.json": "entry",
    "tags/onboarding.2.json": "entry",
    "notes.json": "entry",
    f"{HASH}.json": "entry",
    f"tags/{HASH}.json": "entry",
}


@pytest.mark.parametrize(("path", "expected"), sorted(CACHE_CLASSES.items()))
def test_every_kind_of_path_has_the_cache_class_the_contract_gives_it(
    path: str, expected: str
) -> None:
    assert cache_class(path) == expected


def test_every_immutable_path_is_a_published_one() -> None:
    immutable = [path for path, cache in CACHE_CLASSES.items() if cache == "immutable"]
    assert all(published_path().fullmatch(path) for path in immutable)


def test_the_delivery_order_puts_every_file_after_what_it_links_to() -> None:
    from wistia_sync.contract.layout import DELIVERY_PHASES, delivery_phase, is_managed

    order = {phase: rank for rank, phase in enumerate(DELIVERY_PHASES)}
    rank = {
        path: order[delivery_phase(path)]
        for path in (
            f"pages/{'a' * 32}.json",
            f"files/{'b' * 32}.json",
            f"page-lists/{'c' * 32}.json",
            f"shard-lists/{'d' * 32}.json",
            "schema/video.schema.json",
            "videos/abc123.json",
            "tags/new.json",
            "folders/fold1.json",
            "videos.json",
            "tags.json",
            "folders.json",
            "index.html",
            "manifest.json",
        )
    }
    assert rank[f"pages/{'a' * 32}.json"] == rank[f"files/{'b' * 32}.json"] == 0
    assert rank["schema/video.schema.json"] == 0
    # Chunks of page lists link to pages (and of the shard list to shards): they come next.
    assert rank[f"page-lists/{'c' * 32}.json"] == rank[f"shard-lists/{'d' * 32}.json"] == 1
    assert rank["videos/abc123.json"] == rank["tags/new.json"] == rank["folders/fold1.json"] == 2
    assert rank["tags.json"] == rank["folders.json"] == rank["videos.json"] == 3
    assert rank["index.html"] == 3 and rank["manifest.json"] == 4
    assert is_managed("tags/new.json") and is_managed("files.json")
    assert is_managed(f"page-lists/{'c' * 32}.json") and is_managed(f"shard-lists/{'d' * 32}.json")
    assert not is_managed("notes/readme.txt") and not is_managed("config.json")
