"""`deliver` (library and `wistia-sync deliver`): mirror, then purge exactly what changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.deliver.conftest import s3_objects
from tests.support.purging import purge_recorder, purged, set_recorder_exit
from tests.support.seaweed import SeaweedS3
from tests.support.sitefolder import DEFAULT_VIDEOS, changed_entry_paths, publish_sample
from wistia_sync.cli.app import app
from wistia_sync.deliver.delivery import DeliverySettings, deliver
from wistia_sync.deliver.purge.purger import pending_paths
from wistia_sync.deliver.s3 import make_s3_client
from wistia_sync.store.db import open_database

BASE = "https://cdn.example.com/site/"
runner = CliRunner()


def run_deliver(tmp_path: Path, *args: str) -> Any:
    open_database(tmp_path / "wistia.db", create=True).close()  # deliver needs one to exist
    return runner.invoke(
        app,
        ["deliver", "--db", str(tmp_path / "wistia.db"), "--output", str(tmp_path / "out"), *args],
    )


def test_deliver_mirrors_and_purges_exactly_the_changed_entry_files(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str
) -> None:
    first = publish_sample(tmp_path / "out")
    spec, out = purge_recorder(tmp_path)
    options = ["--target", f"s3://{bucket}/site", "--purge", spec, "--base-url", BASE]
    result = run_deliver(tmp_path, *options)
    assert result.exit_code == 0, result.output
    entry_files = sorted(p for p, f in first["files"].items() if f["cache"] == "entry")
    assert sorted(purged(out)) == sorted(BASE + path for path in entry_files)
    assert "uploaded" in result.stdout

    out.unlink()
    again = run_deliver(tmp_path, *options, "--json")
    assert again.exit_code == 0, again.output
    assert '"uploaded": []' in again.stdout
    assert purged(out) == []  # nothing changed: the CDN is not called

    second = publish_sample(tmp_path / "out", DEFAULT_VIDEOS[1:], generation="gen-2")
    result = run_deliver(tmp_path, *options)
    assert result.exit_code == 0, result.output
    assert sorted(purged(out)) == sorted(BASE + p for p in changed_entry_paths(first, second))
    client = make_s3_client()
    keys = {key.removeprefix("site/") for key in s3_objects(client, bucket, "site/")}
    assert keys == {*second["files"], "files.json"}


def test_publisher_reported_changes_are_purged_for_a_local_folder(tmp_path: Path) -> None:
    publish_sample(tmp_path / "out")
    spec, out = purge_recorder(tmp_path)
    report = deliver(
        tmp_path / "out",
        db=open_database(tmp_path / "wistia.db", create=True),
        settings=DeliverySettings(purge=spec),
        changed_entry_paths=[
            "videos.json",
            f"pages/{'a' * 32}.json",
            f"files/{'b' * 32}.json",
            "files.json",
            "../etc/passwd",
            "pages/notes.json",
        ],
    )
    # Content-addressed pages and shards never, files.json never, unsafe never; a file in
    # pages/ that is not named by its hash is an entry file like any other (README contract).
    assert sorted(purged(out)) == ["/pages/notes.json", "/videos.json"]
    assert report.upload is None and report.purge is not None and report.purge.error is None


def test_a_failed_purge_exits_3_is_owed_and_is_retried(tmp_path: Path) -> None:
    publish_sample(tmp_path / "out")
    spec, out = purge_recorder(tmp_path, exit_code=1)
    result = run_deliver(tmp_path, "--purge", spec, "--changed", "videos.json")
    assert result.exit_code == 3, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "purge via command is owed for 1 paths" in line and "retries it" in line
    db = open_database(tmp_path / "wistia.db", create=True)
    assert pending_paths(db, spec) == ["videos.json"]

    set_recorder_exit(tmp_path, 0)
    out.unlink()
    result = run_deliver(tmp_path, "--purge", spec, "--changed", "tags.json")
    assert result.exit_code == 0, result.output
    assert purged(out) == ["/tags.json", "/videos.json"]
    assert pending_paths(db, spec) == []


def test_wrong_credentials_exit_3_with_one_line_and_the_delivery_owed(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_sample(tmp_path / "out")
    open_database(tmp_path / "wistia.db", create=True).close()
    db = ["--db", str(tmp_path / "wistia.db")]
    assert runner.invoke(app, ["site", *db, "--target", f"s3://{bucket}/"]).exit_code == 0
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG")
    result = run_deliver(tmp_path)  # the site's target: no option, no notice
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "credentials were refused (InvalidAccessKeyId)" in result.stderr
    assert "the delivery is owed" in result.stderr
    status = runner.invoke(app, ["status", *db, "--json"])
    [owed] = json.loads(status.stdout)["deliveries_owed"]
    assert owed["target"] == f"s3://{bucket}/" and owed["attempts"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "ftp://x/y"],
        ["--target", "s3://Bad_Bucket/"],
        ["--purge", "akamai:123"],
        ["--purge", "cloudflare:zone"],  # no token, no base URL
        ["--base-url", "javascript:alert(1)", "--purge", "command:true"],
    ],
)
def test_bad_settings_exit_2_and_send_nothing(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, args: list[str]
) -> None:
    publish_sample(tmp_path / "out")
    result = run_deliver(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert s3_objects(make_s3_client(), bucket) == {}


def test_an_unpublished_folder_is_one_clear_line(tmp_path: Path, s3_env: SeaweedS3) -> None:
    (tmp_path / "out").mkdir()
    result = run_deliver(tmp_path, "--target", "s3://some-bucket/")
    assert result.exit_code == 1
    assert "files.json does not exist: publish to" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reconcile"], "--reconcile needs a target"),
        (["--reconcile", "--purge", "command:/bin/true"], "--reconcile needs a target"),
    ],
)
def test_reconcile_without_a_target_is_one_clear_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_deliver(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_bad_delivery_lock_wait_is_one_clear_line(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_sample(tmp_path / "out")
    monkeypatch.setenv("WISTIA_SYNC_DELIVERY_LOCK_WAIT", "soon")
    result = run_deliver(tmp_path, "--target", f"s3://{bucket}/site")
    assert result.exit_code == 2
    assert "WISTIA_SYNC_DELIVERY_LOCK_WAIT must be seconds from 0 to 3600" in result.output
