"""Every publishing path delivers: ``run``, ``publish`` and the editor commands mirror the output
folder to an S3 target (a real SeaweedFS) after their local publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.deliver.conftest import s3_objects
from tests.support.seaweed import SeaweedS3
from wistia_sync.cli.app import app
from wistia_sync.contract.cache_policy import IMMUTABLE_CACHE_CONTROL
from wistia_sync.deliver.s3 import make_s3_client

runner = CliRunner()


def local_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    }


def bucket_files(seaweed: SeaweedS3, bucket: str) -> dict[str, bytes]:
    objects = s3_objects(make_s3_client(seaweed.endpoint_url), bucket, "site/")
    return {key.removeprefix("site/"): obj["body"] for key, obj in objects.items()}


def test_run_and_editor_commands_keep_the_bucket_equal_to_the_output(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    monkeypatch.setenv("WISTIA_SYNC_DB", str(db))
    monkeypatch.setenv("WISTIA_SYNC_OUTPUT", str(output))
    target = f"s3://{bucket}/site/"

    assert runner.invoke(app, ["sync", "--demo", "-q"]).exit_code == 0
    assert runner.invoke(app, ["site", "--page-size", "5"]).exit_code == 0  # pages beyond 1
    first = runner.invoke(app, ["run", "--demo", "--json", "--target", target])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["delivery"]["uploaded"]
    assert bucket_files(s3_env, bucket) == local_files(output)

    again = runner.invoke(app, ["run", "--demo", "--json", "--target", target])
    assert again.exit_code == 0, again.output
    delivery = json.loads(again.stdout)["delivery"]
    assert (delivery["uploaded"], delivery["removed"]) == ([], [])

    objects = s3_objects(make_s3_client(s3_env.endpoint_url), bucket, "site/")
    page = next(obj for key, obj in objects.items() if key.startswith("site/pages/"))
    entry = objects["site/videos.json"]
    assert page["cache_control"] == IMMUTABLE_CACHE_CONTROL
    assert entry["content_type"] == "application/json; charset=utf-8"
    assert "max-age=60" in entry["cache_control"]
    preview = objects["site/index.html"]
    assert preview["content_type"] == "text/html; charset=utf-8"
    assert preview["cache_control"] == entry["cache_control"]
    assert preview["metadata"]["cache-tags"] == "wistia-sync,preview"

    # An editor command reads the same target from the environment.
    hidden = next(key for key in objects if key.startswith("site/videos/"))
    hashed_id = hidden.removeprefix("site/videos/").removesuffix(".json")
    monkeypatch.setenv("WISTIA_SYNC_TARGET", target)
    hide = runner.invoke(app, ["visibility", "hide", hashed_id])
    assert hide.exit_code == 0, hide.output
    after = bucket_files(s3_env, bucket)
    assert f"videos/{hashed_id}.json" not in after
    assert after == local_files(output)
    assert all(hashed_id.encode() not in body for path, body in after.items()
               if not path.startswith("pages/"))  # fmt: skip


def test_publish_to_a_missing_bucket_fails_clearly_after_the_local_publish(
    tmp_path: Path, s3_env: SeaweedS3
) -> None:
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    assert runner.invoke(app, ["sync", "--demo", "-q", "--db", str(db)]).exit_code == 0
    result = runner.invoke(
        app,
        ["publish", "--db", str(db), "--output", str(output), "--target", "s3://no-such-bucket/x"],
    )
    assert result.exit_code == 3
    assert "no-such-bucket" in result.output
    assert "published locally, but the delivery is owed" in result.stderr
    assert "Traceback" not in result.output
    assert (output / "manifest.json").exists()  # the local folder was published first


def test_run_purges_what_changed_and_status_shows_the_spend(tmp_path: Path) -> None:
    db, output, sink = tmp_path / "wistia.db", tmp_path / "output", tmp_path / "purged.txt"
    purger = tmp_path / "purger.sh"
    purger.write_text(f'#!/bin/sh\ncat >> "{sink}"\n')
    purger.chmod(0o755)
    args = ["--db", str(db)]
    run = runner.invoke(
        app, ["run", "--demo", *args, "--output", str(output), "--purge", f"command:{purger}"]
    )
    assert run.exit_code == 0, run.output
    purged = sink.read_text().split()
    assert "manifest.json" in " ".join(purged)
    status = runner.invoke(app, ["status", *args])
    assert status.exit_code == 0, status.output
    # The provider's kind, never its command line.
    assert f"purges command: {len(purged)} paths in 1 call this month" in status.output
    assert str(purger) not in status.output


def test_run_verify_waits_until_the_public_url_serves_the_publish(tmp_path: Path) -> None:
    from tests.support.nginxserver import free_port, require_nginx, running_nginx

    require_nginx()
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    output.mkdir()
    port = free_port()
    config = runner.invoke(
        app, ["nginx-config", "--output", str(output), "--listen", f"127.0.0.1:{port}"]
    )
    assert config.exit_code == 0, config.output
    base = f"http://127.0.0.1:{port}/"
    args = ["--db", str(db), "--output", str(output), "--base-url", base]
    with running_nginx(tmp_path / "nginx", config.stdout):
        run = runner.invoke(app, ["run", "--demo", *args, "--verify", "--verify-wait", "20"])
        assert run.exit_code == 0, run.output
        assert "served everywhere" in run.stderr
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert "publish → served everywhere (last 1 verified)" in status.output
    refused = runner.invoke(app, ["run", "--demo", "--db", str(db), "--verify"])
    assert refused.exit_code == 2
    assert "--verify needs --base-url" in refused.output
