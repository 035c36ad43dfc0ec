"""Backups in a bucket (SeaweedFS on 127.0.0.1), with the standard credential chain."""

from __future__ import annotations

from pathlib import Path

from tests.ops.conftest import change_ids, cli, edit
from tests.support.seaweed import SeaweedS3
from wistia_sync.deliver.s3 import make_s3_client


def test_backup_verify_and_restore_through_a_bucket(
    site: Path, bucket: str, s3_env: SeaweedS3, tmp_path: Path
) -> None:
    dest = f"s3://{bucket}/backups"
    for number in range(3):
        edit(site, f"tag {number}")
        taken = cli("backup", dest, "--db", str(site), "--keep", "2")
        assert taken.returncode == 0, taken.stderr
    listed = make_s3_client(s3_env.endpoint_url).list_objects_v2(Bucket=bucket)
    keys = sorted(item["Key"] for item in listed["Contents"])
    assert len(keys) == 2 and all(key.startswith("backups/wistia-sync-") for key in keys)
    drilled = cli("backup", dest, "--verify", "--db", str(site))
    assert drilled.returncode == 0 and "drill passed" in drilled.stdout, drilled.stderr
    elsewhere = tmp_path / "restored.db"
    restored = cli("restore", dest, "--db", str(elsewhere))
    assert restored.returncode == 0, restored.stderr
    assert change_ids(elsewhere) == change_ids(site)
    one = cli("restore", f"s3://{bucket}/{keys[0]}", "--db", str(tmp_path / "older.db"))
    assert one.returncode == 0, one.stderr
    assert change_ids(tmp_path / "older.db") == change_ids(site)[:-1]
