"""Mirroring the output folder to a real S3-compatible server (SeaweedFS, signatures checked)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from tests.deliver.conftest import s3_objects
from tests.support.seaweed import SeaweedS3
from tests.support.sitefolder import DEFAULT_VIDEOS, publish_sample
from wistia_sync.contract.cache_policy import (
    ENTRY_CACHE_CONTROL_PURGED,
    IMMUTABLE_CACHE_CONTROL,
    cache_policy,
)
from wistia_sync.deliver.s3 import make_s3_client, mirror_to_s3
from wistia_sync.deliver.targets import S3Location, TargetError, parse_target

POLICY = cache_policy(purge_configured=True)


def local_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        # The publisher's own dot-folder (staging, the mtime clock) is never delivered.
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    }


def record_calls(client: Any) -> list[tuple[str, str]]:
    """(operation, key) of every PutObject and DeleteObjects, in the order they were sent."""
    calls: list[tuple[str, str]] = []

    def on_put(params: dict[str, Any], **_: Any) -> None:
        calls.append(("put", params["Key"]))

    def on_delete(params: dict[str, Any], **_: Any) -> None:
        calls.extend(("delete", item["Key"]) for item in params["Delete"]["Objects"])

    client.meta.events.register("provide-client-params.s3.PutObject", on_put)
    client.meta.events.register("provide-client-params.s3.DeleteObjects", on_delete)
    return calls


def test_bucket_equals_the_output_byte_for_byte_with_headers_and_tags(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "site/")
    report = mirror_to_s3(root, location, POLICY, client=client)
    objects = s3_objects(client, bucket, "site/")
    assert {key.removeprefix("site/"): obj["body"] for key, obj in objects.items()} == local_files(
        root
    )
    assert sorted(report.uploaded) == sorted(set(local_files(root)) - {"files.json"})
    for key, obj in objects.items():
        path = key.removeprefix("site/")
        html = path == "index.html"
        assert (
            obj["content_type"] == f"{'text/html' if html else 'application/json'}; charset=utf-8"
        )
        if path.startswith("pages/"):
            assert obj["cache_control"] == IMMUTABLE_CACHE_CONTROL
            assert "cache-tags" not in obj["metadata"]
        else:
            assert obj["cache_control"] == ENTRY_CACHE_CONTROL_PURGED
    assert objects["site/index.html"]["metadata"]["cache-tags"] == "wistia-sync,preview"
    tags = objects["site/tags/onboarding.json"]["metadata"]["cache-tags"]
    assert tags == "wistia-sync,tag-onboarding,video-abc123,video-def456"


def test_a_second_delivery_uploads_nothing(tmp_path: Path, s3_env: SeaweedS3, bucket: str) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(root, location, POLICY, client=client)
    calls = record_calls(client)
    report = mirror_to_s3(root, location, POLICY, client=client)
    assert report.uploaded == [] and report.removed == []
    assert calls == []


def test_a_changed_cache_policy_resends_every_object_with_new_headers(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(root, location, cache_policy(purge_configured=False), client=client)
    report = mirror_to_s3(root, location, POLICY, client=client)
    assert len(report.uploaded) == len(local_files(root)) - 1
    videos = s3_objects(client, bucket)["videos.json"]
    assert videos["cache_control"] == ENTRY_CACHE_CONTROL_PURGED
    assert mirror_to_s3(root, location, POLICY, client=client).uploaded == []


def test_a_change_uploads_only_what_changed_in_a_safe_order(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    before = publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "p/")
    mirror_to_s3(root, location, POLICY, client=client)
    hidden = [video for video in DEFAULT_VIDEOS if video.hashed_id != "jkl012"]  # "hide" one
    after = publish_sample(root, hidden, generation="gen-2")
    calls = record_calls(client)
    report = mirror_to_s3(root, location, POLICY, client=client)

    changed = {
        path
        for path, entry in after["files"].items()
        if before["files"].get(path, {}).get("sha256") != entry["sha256"]
    }
    removed = set(before["files"]) - set(after["files"])
    assert set(report.uploaded) == changed
    assert set(report.removed) == removed
    assert {"videos/jkl012.json", "folders/fold2.json"} <= removed
    keys = [key.removeprefix("p/") for _, key in calls]
    puts = [key.removeprefix("p/") for op, key in calls if op == "put"]
    pages = [i for i, key in enumerate(puts) if key.startswith("pages/")]
    entries = [i for i, key in enumerate(puts) if not key.startswith("pages/")]
    assert not pages or max(pages) < min(entries)
    assert keys[-1] == "files.json"
    assert puts[-2] == "manifest.json"
    deletes = [i for i, (op, _) in enumerate(calls) if op == "delete"]
    assert min(deletes) > keys.index("manifest.json")
    objects = s3_objects(client, bucket, "p/")
    assert {key.removeprefix("p/"): o["body"] for key, o in objects.items()} == local_files(root)


def test_a_failure_part_way_keeps_the_previous_manifest_and_the_next_run_converges(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(root, location, POLICY, client=client)
    old = s3_objects(client, bucket)
    publish_sample(root, DEFAULT_VIDEOS[:2], generation="gen-2")

    def fail_on_videos_json(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == "videos.json":
            raise ConnectionError("network cable unplugged")

    failing = make_s3_client(s3_env.endpoint_url)
    failing.meta.events.register("provide-client-params.s3.PutObject", fail_on_videos_json)
    with pytest.raises(TargetError, match=r"network error .*next delivery completes it"):
        mirror_to_s3(root, location, POLICY, client=failing)
    now = s3_objects(client, bucket)
    assert now["manifest.json"]["body"] == old["manifest.json"]["body"]
    assert now["files.json"]["body"] == old["files.json"]["body"]
    assert "videos/jkl012.json" in now  # nothing removed before the manifest

    mirror_to_s3(root, location, POLICY, client=client)
    final = s3_objects(client, bucket)
    assert {key: obj["body"] for key, obj in final.items()} == local_files(root)


def test_a_file_changed_during_delivery_stops_before_the_manifest(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    (root / "videos.json").write_bytes(b'{"changed": true}\n')  # after files.json was written
    client = make_s3_client(s3_env.endpoint_url)
    with pytest.raises(TargetError, match=r"changed .* during the delivery"):
        mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=client)
    assert "manifest.json" not in s3_objects(client, bucket)


def test_wrong_secret_is_one_clear_line(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(TargetError) as caught:
        mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=make_s3_client())
    assert "credentials were refused (SignatureDoesNotMatch)" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_bucket_is_one_clear_line(tmp_path: Path, s3_env: SeaweedS3) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    with pytest.raises(TargetError, match="the bucket no-such-bucket does not exist"):
        mirror_to_s3(root, S3Location("no-such-bucket", ""), POLICY, client=make_s3_client())


def test_clock_skew_is_one_clear_line(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.auth

    root = tmp_path / "output"
    publish_sample(root)
    an_hour_behind = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(
        hours=1
    )
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: an_hour_behind)
    client = make_s3_client()
    with pytest.raises(TargetError, match="clock is too far from the server's"):
        mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=client)


def test_an_unreadable_remote_file_list_is_replaced_by_a_listing_of_the_bucket(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client()
    client.put_object(Bucket=bucket, Key="files.json", Body=json.dumps({"files": "../../x"}))
    report = mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=client)
    assert len(report.uploaded) == len(local_files(root)) - 1
    assert report.warnings and "comparing with a listing of the bucket" in report.warnings[0]
    assert report.reconciled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("s3://my-bucket", S3Location("my-bucket", "")),
        ("s3://my-bucket/", S3Location("my-bucket", "")),
        ("s3://my-bucket/site/v2", S3Location("my-bucket", "site/v2/")),
    ],
)
def test_target_parsing(text: str | None, expected: S3Location | None) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["ftp://x", "s3://A_B", "s3://ok-bucket/../x", "s3://b/a b"])
def test_bad_targets_are_configuration_errors(text: str) -> None:
    from wistia_sync.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_target(text)


def test_a_sharded_file_list_delivers_an_edit_by_reading_and_sending_a_few_shards(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    """A real publish of 600 videos (several shards): one edit re-reads and re-sends only the
    shards holding what changed, the new shards go before files.json, the old ones after."""
    from tests.support.factories import add_video
    from wistia_sync.contract.filelist import read_local_index
    from wistia_sync.publish import publish_site
    from wistia_sync.store.db import open_database

    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(600):
        add_video(db, f"v{number:04d}", created=f"2024-01-{number % 28 + 1:02d}T00:00:00Z")
    root, lock = tmp_path / "output", tmp_path / "lock"
    publish_site(db, root, lock_path=lock)
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    mirror_to_s3(root, location, POLICY, client=client)
    before = {ref.path for ref in read_local_index(root)[0].shards}
    assert len(before) >= 4

    db.execute("UPDATE videos SET name = 'Renamed' WHERE hashed_id = 'v0300'")
    result = publish_site(db, root, lock_path=lock)
    index = read_local_index(root)[0]
    after = {ref.path for ref in index.shards}
    reads: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )
    calls = record_calls(client)
    report = mirror_to_s3(root, location, POLICY, client=client)

    new, old = sorted(after - before), sorted(before - after)
    assert new and len(new) < len(after)
    assert sorted(result.new_shards) == new
    assert sorted(reads) == sorted(["files.json", *old])  # the shards both lists share: unread
    keys = [key for _, key in calls]
    assert set(report.uploaded) == set(result.written) - {"files.json"}
    assert max(keys.index(shard) for shard in new) < keys.index("files.json")
    assert [("delete", shard) for shard in old] == calls[keys.index("files.json") + 1 :]
    assert set(s3_objects(client, bucket, "")) == set(local_files(root))


def test_uploads_go_phase_by_phase_in_link_order(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    from wistia_sync.contract.layout import DELIVERY_PHASES, delivery_phase

    root = tmp_path / "output"
    publish_sample(root)
    client = make_s3_client(s3_env.endpoint_url)
    calls = record_calls(client)
    mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=client)
    puts = [key for op, key in calls if op == "put"]
    assert puts[-1] == "files.json"
    ranks = [DELIVERY_PHASES.index(delivery_phase(key)) for key in puts[:-1]]
    assert ranks == sorted(ranks)
    assert {"tags.json", "tags/onboarding.json", "manifest.json"} <= set(puts)


def test_what_a_failed_delivery_sent_is_sent_again_whatever_the_lists_say(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    """The issue's sequence in the library: a delivery fails on the manifest after the new
    files went up; the output goes back to the bytes the bucket's files.json records; the
    journal makes the next delivery remove and re-send what the failed one changed."""
    from wistia_sync.deliver.s3 import MemoryJournal

    root = tmp_path / "output"
    publish_sample(root, DEFAULT_VIDEOS[:3])
    client = make_s3_client(s3_env.endpoint_url)
    location = S3Location(bucket, "")
    journal = MemoryJournal()
    mirror_to_s3(root, location, POLICY, client=client, journal=journal)
    publish_sample(root, DEFAULT_VIDEOS, generation="gen-2")  # jkl012 shown

    def refuse_the_manifest(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == "manifest.json":
            raise ConnectionError("refused")

    failing = make_s3_client(s3_env.endpoint_url)
    failing.meta.events.register("provide-client-params.s3.PutObject", refuse_the_manifest)
    with pytest.raises(TargetError):
        mirror_to_s3(root, location, POLICY, client=failing, journal=journal)
    assert "videos/jkl012.json" in s3_objects(client, bucket) and journal.paths
    publish_sample(root, DEFAULT_VIDEOS[:3], generation="gen-3")  # hidden again
    report = mirror_to_s3(root, location, POLICY, client=client, journal=journal)
    assert "videos/jkl012.json" in report.removed
    assert {key: obj["body"] for key, obj in s3_objects(client, bucket).items()} == local_files(
        root
    )
    assert journal.paths == set()
