"""Debian's nginx run unprivileged-style for tests: a temp prefix, 127.0.0.1, a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
READY_TIMEOUT_SECONDS = 10.0


def require_nginx() -> str:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    return NGINX


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_nginx(prefix: Path, server_config: str) -> Iterator[None]:
    """Run nginx in the foreground with ``server_config`` inside its http block."""
    nginx = require_nginx()
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(server_config)
    temp = {name: prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    temp_lines = "\n".join(f"{name}_temp_path {path};" for name, path in temp.items()).replace(
        "body_temp_path", "client_body_temp_path"
    )
    (prefix / "nginx.conf").write_text(
        f"""
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp_lines}
    include {prefix}/site.conf;
}}
"""
    )
    process = subprocess.Popen(
        [
            nginx,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "error.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_listening(process, server_config, prefix)
        yield
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace_seconds: float = 10) -> None:
    """Terminate a server this test started, killing it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], config: str, prefix: Path) -> None:
    ports = [
        int(line.split()[1].rstrip(";").rsplit(":", 1)[1])
        for line in config.splitlines()
        if line.strip().startswith("listen ")
    ]
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            log = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
            raise RuntimeError(f"nginx exited: {error}{log}")
        try:
            for port in ports:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")
