"""Delivering two-level lists (issue 19, target 4) to a real S3-compatible server: a bucket the
previous release delivered (files.json listing every shard) is diffed, not uploaded again; an
edit reads and sends only the chunks it changed, each after what it links to."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.deliver.conftest import s3_objects
from tests.deliver.test_s3_target import POLICY, local_files, record_calls
from tests.support.factories import add_video
from tests.support.seaweed import SeaweedS3
from wistia_sync.contract.layout import (
    DELIVERY_PHASES,
    PAGE_LIST_PATH,
    SHARD_LIST_PATH,
    delivery_phase,
)
from wistia_sync.deliver.s3 import make_s3_client, mirror_to_s3
from wistia_sync.deliver.targets import S3Location
from wistia_sync.publish import pagelists, publish_site, shardlists, shards
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database


def test_a_bucket_of_the_one_level_form_is_diffed_then_edits_send_a_chunk_or_two(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "SHARD_SIZE", 16)
    monkeypatch.setattr(pagelists, "CHUNK_SIZE", 3)
    db = open_database(tmp_path / "wistia.db", create=True)
    change_site_settings(db, page_size=5)
    for number in range(300):
        add_video(db, f"v{number:04d}", created=f"2024-{number % 12 + 1:02d}-01T00:00:00Z")
    root, lock = tmp_path / "output", tmp_path / "lock"
    # As the previous release left it: every shard listed in files.json itself.
    monkeypatch.setattr(shardlists, "LIST_SIZE", 10_000)
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 10_000)
    publish_site(db, root, lock_path=lock)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(root, location, POLICY, client=client)

    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)
    rebuilt = publish_site(db, root, lock_path=lock, force=True)
    chunks = [path for path in rebuilt.new_shards if SHARD_LIST_PATH.fullmatch(path)]
    assert chunks and sorted(rebuilt.written) == sorted([*chunks, "files.json"])
    report = mirror_to_s3(root, location, POLICY, client=client)
    assert sorted(report.uploaded) == sorted(chunks)  # every shard was in the bucket already
    assert set(s3_objects(client, bucket, "")) == set(local_files(root))

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0150'")
    result = publish_site(db, root, lock_path=lock)
    reads: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )
    calls = record_calls(client)
    report = mirror_to_s3(root, location, POLICY, client=client)

    assert set(report.uploaded) == set(result.written) - {"files.json"}
    assert any(PAGE_LIST_PATH.fullmatch(path) for path in result.new_pages)
    assert any(SHARD_LIST_PATH.fullmatch(path) for path in result.new_shards)
    # Only files.json, the chunks the two lists do not share and the shards they alone list.
    assert len(reads) < 2 + 2 * len(result.new_shards)
    puts = [key for op, key in calls if op == "put"]
    assert puts[-1] == "files.json"
    ranks = [DELIVERY_PHASES.index(delivery_phase(key)) for key in puts[:-1]]
    assert ranks == sorted(ranks)
    assert set(s3_objects(client, bucket, "")) == set(local_files(root))


def as_the_two_level_release_left_it(root: Path, copy: Path) -> None:
    """``root`` copied to ``copy`` with the index as the release before the tree wrote it:
    the first lowest chunk's shards inline in files.json, the other lowest chunks (which list
    shards) in ``shard_lists``, and no chunk of chunks."""
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
    index = json.loads((copy / "files.json").read_bytes())
    lowest: list[dict[str, Any]] = []

    def walk(refs: list[dict[str, Any]], prefix: str) -> None:
        for ref in refs:
            path = prefix + ref["url"]
            chunk = json.loads((copy / path).read_bytes())
            if "shard_lists" in chunk:
                (copy / path).unlink()
                walk(chunk["shard_lists"], "shard-lists/")
            else:
                lowest.append({**ref, "url": path})

    walk(index["shard_lists"], "")
    first = copy / lowest[0]["url"]
    inline = [
        {**shard, "url": shard["url"].removeprefix("../")}
        for shard in json.loads(first.read_bytes())["shards"]
    ]
    first.unlink()
    older = {**index, "shards": inline, "shard_lists": lowest[1:]}
    (copy / "files.json").write_text(json.dumps(older))


def test_a_bucket_of_the_two_level_form_converges_to_the_tree_sending_only_the_index(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "SHARD_SIZE", 4)
    monkeypatch.setattr(shardlists, "LIST_SIZE", 2)
    monkeypatch.setattr(shardlists, "INLINE_SHARDS", 4)
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(200):
        add_video(db, f"v{number:04d}")
    root = tmp_path / "output"
    publish_site(db, root, lock_path=tmp_path / "lock")
    older = tmp_path / "older"
    as_the_two_level_release_left_it(root, older)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(older, location, POLICY, client=client)
    assert set(s3_objects(client, bucket, "")) == set(local_files(older))

    report = mirror_to_s3(root, location, POLICY, client=client)
    assert report.warnings == []  # diffed against the older index, not a listing
    missing = set(local_files(root)) - set(local_files(older))
    assert missing and all(SHARD_LIST_PATH.fullmatch(path) for path in missing)
    # No shard and no other file is sent again: only the chunks the older index lacked.
    assert set(report.uploaded) == missing
    assert set(s3_objects(client, bucket, "")) == set(local_files(root))
