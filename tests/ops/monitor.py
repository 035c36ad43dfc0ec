"""A stand-in for a healthchecks-style monitor on 127.0.0.1: records every request it gets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Ping:
    path: str
    run_id: str | None
    body: bytes


@dataclass
class Monitor:
    url: str
    pings: list[Ping] = field(default_factory=list)
    status: int = 200  # what it answers


@contextmanager
def running_monitor() -> Iterator[Monitor]:
    monitor = Monitor(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            run_id = parse_qs(parts.query).get("rid", [None])[0]
            monitor.pings.append(Ping(parts.path, run_id, body))
            self.send_response(monitor.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def do_GET(self) -> None:
            self.headers["Content-Length"] = "0"
            self.do_POST()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    monitor.url = f"http://127.0.0.1:{server.server_address[1]}/ping/check-key"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield monitor
    finally:
        server.shutdown()
        server.server_close()
