"""The nginx fixture itself: a test runs against its own server or fails, never another's."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.nginxserver import free_port, require_nginx, running_nginx


def test_a_port_another_server_holds_fails_the_start_instead_of_serving_its_site(
    tmp_path: Path,
) -> None:
    require_nginx()
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()  # accepts connections: a readiness check by connecting is fooled
        taken = other.getsockname()[1]
        config = "".join(
            f"server {{\n    listen 127.0.0.1:{port};\n}}\n" for port in (free_port(), taken)
        )
        with pytest.raises(RuntimeError, match="nginx"), running_nginx(tmp_path / "nginx", config):
            pass


def test_free_port_never_gives_one_port_twice_in_a_run() -> None:
    ports = [free_port() for _ in range(100)]
    assert len(set(ports)) == len(ports)
