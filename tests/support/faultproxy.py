"""A fault-injecting HTTP proxy for tests: 127.0.0.1, threaded, in front of the test SeaweedFS.

Clients (boto3, or a ``wistia-sync`` process) use the proxy's URL as their S3 endpoint. Every
request is forwarded with its headers untouched (the ``Host`` header included, so S3 signatures
still check out upstream) unless a rule, chosen by method and a regex searched in the path (query
included), says otherwise:

- ``slow_down``: answer 503 with the S3 ``SlowDown`` error body (boto3 retries it, then fails);
- ``drop``: close the connection without an answer;
- ``delay``: wait ``seconds``, then forward.

A rule fires ``times`` times (None: always) and can be added or removed while a test runs; boto3
retries (``deliver.s3.MAX_ATTEMPTS``), so a rule firing always is what makes a delivery fail.
``log`` records every request as (method, path, what happened), in the order they arrived.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Action = Literal["slow_down", "drop", "delay"]

SLOW_DOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Rule:
    method: str | None  # None: any
    path: re.Pattern[str]
    action: Action
    times: int | None = None  # None: always
    seconds: float = 0.0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))


@dataclass
class FaultProxy:
    url: str
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    arrived: int = 0  # requests received so far, answered or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        method: str | None,
        path: str,
        action: Action,
        *,
        times: int | None = None,
        seconds: float = 0.0,
    ) -> Rule:
        rule = Rule(method, re.compile(path), action, times, seconds)
        with self.lock:
            self.rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self.lock:
            self.rules.remove(rule)

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def requests(self, method: str, path: str, *, since: int = 0) -> list[str]:
        """What happened to each request whose path matches ``path`` (a regex), in order, from
        the ``since``-th request logged on."""
        pattern = re.compile(path)
        with self.lock:
            return [what for m, p, what in self.log[since:] if m == method and pattern.search(p)]

    def choose(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.arrived += 1
            for rule in self.rules:
                if rule.matches(method, path) and (rule.times is None or rule.fired < rule.times):
                    rule.fired += 1
                    return rule
        return None

    def record(self, method: str, path: str, what: str) -> None:
        with self.lock:
            self.log.append((method, path, what))


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rule = proxy.choose(self.command, self.path)
            if rule is not None and rule.action == "drop":
                proxy.record(self.command, self.path, "dropped")
                self.close_connection = True
                self.connection.close()
                return
            if rule is not None and rule.action == "slow_down":
                proxy.record(self.command, self.path, "503")
                self.send_response(503)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(SLOW_DOWN_BODY)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(SLOW_DOWN_BODY)
                return
            if rule is not None and rule.action == "delay":
                time.sleep(rule.seconds)
            status, headers, answer = self._forward(body)
            proxy.record(self.command, self.path, str(status))
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(
                upstream.hostname or "127.0.0.1", upstream.port, timeout=60
            )
            try:
                connection.putrequest(
                    self.command, self.path, skip_host=True, skip_accept_encoding=True
                )
                for name, value in self.headers.items():
                    if name.lower() not in _HOP_BY_HOP:
                        connection.putheader(name, value)
                connection.endheaders(body or None)
                response = connection.getresponse()
                answer = response.read()
                return response.status, response.getheaders(), answer
            finally:
                connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    return Handler


@contextmanager
def running_fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A proxy on a free port of 127.0.0.1 in front of ``upstream`` (http://host:port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    proxy = FaultProxy(url=f"http://127.0.0.1:{server.server_address[1]}", upstream=upstream)
    server.RequestHandlerClass = _handler(proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
