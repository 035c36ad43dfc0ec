"""Debian's nginx run unprivileged-style for tests: a temp prefix, 127.0.0.1, a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_RESERVED = Path(tempfile.gettempdir()) / "wistia-sync-test-ports"
RESERVATION_SECONDS = 120.0  # far longer than any server takes to bind the port it was given
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
READY_TIMEOUT_SECONDS = 10.0


def require_nginx() -> str:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    return NGINX


def free_port() -> int:
    """A port no other test was given in the last minutes: the kernel's choice, reserved.

    The kernel may hand the port it just freed here to another test (another xdist worker,
    another run on the machine) before this test's server binds it; the server that loses then
    fails to bind. A file per port, created exclusively in a folder every test process shares,
    keeps two tests apart until their servers hold their ports (then the kernel does).
    """
    _RESERVED.mkdir(exist_ok=True)
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        marker = _RESERVED / str(port)
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return port
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - marker.stat().st_mtime > RESERVATION_SECONDS:
                    marker.unlink()  # a lapsed reservation: the next pick may take it


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
        if set(ports) <= _listening_ports(process.pid):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not start listening on {ports}")


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports this process itself listens on (not merely ports that accept connections:
    another process's server on a port would accept them too)."""
    try:
        links = [str(fd.readlink()) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:  # the process is exiting: the caller sees it at its next poll
        return set()
    inodes = {link[len("socket:[") : -1] for link in links if link.startswith("socket:[")}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
