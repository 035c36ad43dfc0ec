"""``FakeWistia`` behind a real HTTP server on 127.0.0.1, with scripted faults.

A ``FaultPlan`` decides, request by request, whether to answer normally or to misbehave the way
a real API and network do: rate limiting with ``Retry-After``, 5xx, slow answers, answers slower
than the client's timeout, dropped connections, truncated or invalid JSON, an empty first page,
a token revoked mid-run; and hostile answers: records rewritten into whatever a test needs
(``rewrite``), error bodies echoing the ``Authorization`` header, a body trickled a byte at a
time, an enormous body. Its ``on_request`` hook may change the account between two requests of
one crawl (media added, updated, archived or deleted between pages).

Every request is logged with its arrival time (``time.monotonic``) and the status sent, so a test
can count requests and check that a client waited as long as ``Retry-After`` asked.

Example::

    plan = FaultPlan().at(2, rate_limited(retry_after=0.2), path=LIST).at(1, truncated_json())
    with FakeWistiaServer(api, faults=plan) as server:
        ...  # point a client at server.url
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from wistia_sync.demo.api import FakeWistia

HOST = "127.0.0.1"  # never anything else: tests must not listen on a reachable address

# Path patterns (regular expressions searched in the request path) for rules.
ANY = ""
LIST = r"/medias/?$"
SHOW = r"/medias/[^/]+/?$"
STATS = r"/medias/[^/]+/stats/?$"

DEFAULT_TIMEOUT_DELAY = 1.0  # seconds a ``timeout()`` fault stalls: more than a test client waits
TRUNCATED_BODY = b'[{"hashed_id": '


# -- faults -------------------------------------------------------------------------------------


Rewrite = Callable[[Any], Any]


@dataclass(frozen=True)
class Fault:
    """One way of answering badly. Build them with the functions below."""

    kind: str
    status: int = 200
    retry_after: float | str | None = None
    seconds: float = 0.0
    rewrite: Rewrite | None = None  # ``rewrite``: the answer's JSON body in, the body to send out
    size: int = 0  # ``oversized``: bytes of body to send
    error_body: dict[str, str] | None = None  # ``unauthorized``: the JSON error body
    body_rewrite: Callable[[bytes], bytes] | None = None  # ``rewrite_body``: bytes in, bytes out
    body: bytes = b""  # ``answer``: the body to send

    def applies_to(self, request: httpx.Request) -> bool:
        """Whether this fault can happen to ``request`` (an empty *first* page needs page 1)."""
        if self.kind == "empty_first_page":
            page = request.url.params.get("page", "1")
            return bool(re.search(LIST, request.url.path)) and page == "1"
        return True


def rate_limited(status: int = 429, retry_after: float | str | None = 1) -> Fault:
    """429 (or 503) with ``Retry-After`` (seconds, or a verbatim string such as an HTTP date)."""
    if status not in (429, 503):
        raise ValueError("Wistia rate-limits with 429 or 503")
    return Fault("rate_limited", status=status, retry_after=retry_after)


def server_error(status: int = 500) -> Fault:
    return Fault("server_error", status=status)


def slow(seconds: float) -> Fault:
    """Answer normally after ``seconds``."""
    return Fault("slow", seconds=seconds)


def timeout(seconds: float = DEFAULT_TIMEOUT_DELAY) -> Fault:
    """Stall ``seconds`` (set it above the client's timeout), then answer to nobody."""
    return Fault("timeout", seconds=seconds)


def drop_connection() -> Fault:
    """Close the connection without answering."""
    return Fault("drop_connection")


def truncated_json() -> Fault:
    """Send the real answer's headers (full Content-Length) but half its body, then close."""
    return Fault("truncated_json")


def invalid_json() -> Fault:
    """200 with a body that is not JSON."""
    return Fault("invalid_json")


def empty_first_page() -> Fault:
    """200 ``[]`` for page 1 of a listing (only listing requests for page 1 count)."""
    return Fault("empty_first_page")


def unauthorized(
    code: str = "unauthorized_credentials", error: str = "Invalid credentials."
) -> Fault:
    """401 as for a revoked token (or, with ``code="unauthorized_scope"``, a token lacking a
    permission); use with ``FaultPlan.starting_at`` for "from the Nth on"."""
    return Fault("unauthorized", status=401, error_body={"code": code, "error": error})


def rewrite(change: Rewrite) -> Fault:
    """The normal answer with its JSON body replaced by ``change(body)`` (status kept)."""
    return Fault("rewrite", rewrite=change)


def rewrite_records(change: Callable[[dict[str, Any]], Any]) -> Fault:
    """The normal answer with each media record of a list (or the one of a show) changed."""

    def apply(body: Any) -> Any:
        if isinstance(body, list):
            return [change(record) for record in body]
        return change(body) if isinstance(body, dict) and "hashed_id" in body else body

    return Fault("rewrite", rewrite=apply)


def rewrite_body(change: Callable[[bytes], bytes]) -> Fault:
    """The normal answer (status kept) with its body replaced by ``change(body)``, bytes to
    bytes: for what ``json.dumps`` cannot write, such as a record nested 5,000 levels deep."""
    return Fault("rewrite_body", body_rewrite=change)


def answer(status: int, body: bytes) -> Fault:
    """``status`` with ``body`` sent as JSON, whatever was asked."""
    return Fault("answer", status=status, body=body)


def echo_authorization(status: int) -> Fault:
    """``status`` with an error body quoting the request's ``Authorization`` header, as some
    misconfigured gateways do."""
    return Fault("echo_authorization", status=status)


def trickle(seconds: float) -> Fault:
    """The normal answer, its body sent one byte every ``seconds`` (each read is quick, the
    whole answer slow)."""
    return Fault("trickle", seconds=seconds)


def oversized(size: int) -> Fault:
    """200 with a JSON body of ``size`` bytes (a list holding one enormous string)."""
    return Fault("oversized", size=size)


OnRequest = Callable[[int, httpx.Request, FakeWistia], None]


@dataclass
class _Rule:
    fault: Fault
    pattern: re.Pattern[str]
    first: int
    last: int | None  # None: no end
    seen: int = 0


@dataclass
class _RandomRule:
    rate: float
    kinds: tuple[Fault, ...]
    pattern: re.Pattern[str]
    rng: random.Random = field(repr=False)


class FaultPlan:
    """Which requests get which fault; thread-safe and deterministic for one arrival order.

    Rules count the requests whose path matches their pattern (and that the fault applies to);
    the first rule that claims a request wins, explicit rules before random ones.
    ``on_request(n, request, api)`` runs when request ``n`` (1-based, all paths) arrives, before
    it is answered: mutate ``api`` there to change the account mid-crawl.
    """

    def __init__(self, *, on_request: OnRequest | None = None) -> None:
        self.on_request = on_request
        self._rules: list[_Rule] = []
        self._random: list[_RandomRule] = []
        self._lock = threading.Lock()
        # Faults chosen so far, by kind: counted when decided, before a stalled answer is logged.
        self.injected: Counter[str] = Counter()

    def at(self, n: int, fault: Fault, *, path: str = ANY, times: int = 1) -> FaultPlan:
        """The ``n``-th request matching ``path`` (and ``times - 1`` after it) gets ``fault``."""
        if n < 1 or times < 1:
            raise ValueError("n and times count from 1")
        self._rules.append(_Rule(fault, re.compile(path), n, n + times - 1))
        return self

    def starting_at(self, n: int, fault: Fault, *, path: str = ANY) -> FaultPlan:
        """Every request matching ``path`` from the ``n``-th on gets ``fault``."""
        if n < 1:
            raise ValueError("n counts from 1")
        self._rules.append(_Rule(fault, re.compile(path), n, None))
        return self

    def mixing(
        self, rate: float, kinds: Sequence[Fault], *, seed: int = 0, path: str = ANY
    ) -> FaultPlan:
        """A share ``rate`` of the requests matching ``path`` get one of ``kinds``, at random."""
        if not 0.0 <= rate <= 1.0 or not kinds:
            raise ValueError("rate must be within [0, 1] and kinds not empty")
        self._random.append(_RandomRule(rate, tuple(kinds), re.compile(path), random.Random(seed)))
        return self

    def decide(self, request: httpx.Request) -> Fault | None:
        """The fault for this request, or None to answer normally."""
        path = request.url.path
        chosen: Fault | None = None
        with self._lock:
            for rule in self._rules:
                if rule.pattern.search(path) and rule.fault.applies_to(request):
                    rule.seen += 1
                    in_range = rule.first <= rule.seen and (
                        rule.last is None or rule.seen <= rule.last
                    )
                    if in_range and chosen is None:
                        chosen = rule.fault
            for mix in self._random:
                if not mix.pattern.search(path):
                    continue
                # Draw on every matching request, so the sequence depends on the seed alone.
                hit, kind = mix.rng.random() < mix.rate, mix.rng.choice(mix.kinds)
                if hit and chosen is None and kind.applies_to(request):
                    chosen = kind
            if chosen is not None:
                self.injected[chosen.kind] += 1
        return chosen


def steady_rate(
    rate: float, kinds: Sequence[Fault], seed: int = 0, *, path: str = ANY
) -> FaultPlan:
    """A plan mixing ``kinds`` into a share ``rate`` of the requests, reproducibly for ``seed``."""
    return FaultPlan().mixing(rate, kinds, seed=seed, path=path)


# -- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerLogEntry:
    """One request the server received, in arrival order ``n`` (1-based)."""

    n: int
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    arrived: float  # time.monotonic() when the request line and headers were read
    status: int | None  # None: the connection was dropped before any answer
    fault: str | None
    answered: float  # time.monotonic() when the answer (or the dropped connection) was decided

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


class FakeWistiaServer:
    """Serves ``api`` over HTTP/1.1 on 127.0.0.1 at a free port; ``url`` ends in ``/modern``.

    ``faults`` may be replaced while the server runs. ``api.request_log`` records what reached
    the account; ``log`` records every request, faulted ones included. An exception in an
    ``on_request`` hook or in the fake is answered with 500 and kept in ``errors``.
    """

    def __init__(
        self, api: FakeWistia, *, faults: FaultPlan | None = None, latency: float = 0.0
    ) -> None:
        self.api = api
        self.faults = faults or FaultPlan()
        # Seconds each answer waits before it leaves, as a distant API's round trip would;
        # concurrent requests wait side by side (one thread each), not one after another.
        self.latency = latency
        self._lock = threading.Lock()
        self._log: list[ServerLogEntry] = []
        self.errors: list[Exception] = []  # exceptions raised while answering (answered 500)
        self._count = 0
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._origin = ""

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> FakeWistiaServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already started")
        self._httpd = _HTTPServer(self)
        self._origin = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-wistia:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: interrupt stalled answers, close open connections, join the threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()  # joins the request threads
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeWistiaServer:
        return self if self._httpd is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API base URL, like ``https://api.wistia.com/modern``."""
        return f"http://{HOST}:{self.port}/modern"

    # -- the log ------------------------------------------------------------------------------

    @property
    def log(self) -> list[ServerLogEntry]:
        """A snapshot of the requests answered so far, in arrival order."""
        with self._lock:
            return sorted(self._log, key=lambda entry: entry.n)

    def requests(self, path: str = ANY) -> list[ServerLogEntry]:
        """The logged requests whose path matches the regular expression ``path``."""
        pattern = re.compile(path)
        return [entry for entry in self.log if pattern.search(entry.path)]

    # -- answering (runs on the request threads) ----------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        arrived = time.monotonic()
        with self._lock:
            self._count += 1
            n = self._count
        request = _to_httpx(handler, self._origin)
        plan = self.faults
        fault = None
        try:
            if plan.on_request is not None:
                plan.on_request(n, request, self.api)
            fault = plan.decide(request)
            response, truncate = self._response(request, fault)
        except Exception as error:  # a bug in a test's hook or in the fake: say so, loudly
            with self._lock:
                self.errors.append(error)
            body = {"error": f"fake server error: {type(error).__name__}: {error}"}
            response, truncate = _json(500, body), False
        entry = ServerLogEntry(
            n=n,
            method=request.method,
            path=request.url.path,
            params=tuple(request.url.params.multi_items()),
            arrived=arrived,
            status=None if response is None else response.status_code,
            fault=fault.kind if fault else None,
            answered=time.monotonic(),
        )
        with self._lock:  # logged before the answer leaves: a client never outruns the log
            self._log.append(entry)
        if self.latency > 0 and self._stopping.wait(self.latency):
            response = None  # stopping: nobody waits for this answer any more
        if response is None:
            handler.close_connection = True
        else:
            trickled = fault.seconds if fault is not None and fault.kind == "trickle" else 0.0
            handler.send(response, truncate=truncate, trickle=trickled, stopping=self._stopping)

    def _response(
        self, request: httpx.Request, fault: Fault | None
    ) -> tuple[httpx.Response | None, bool]:
        """What to send (None: close without answering) and whether to cut the body short."""
        kind = fault.kind if fault else None
        if fault is None or kind in ("slow", "timeout"):
            if fault is not None and self._stopping.wait(fault.seconds):
                return None, False  # stopping: nobody waits for this answer any more
            return self.api.handle(request), False
        if kind == "rate_limited":
            wait = fault.retry_after
            headers = {} if wait is None else {"Retry-After": _seconds(wait)}
            if fault.status == 429:  # the spec's one declared 429 is text/plain
                return _text(429, "Rate limit exceeded", headers), False
            return _json(503, {"error": "Service Unavailable"}, headers), False
        if kind == "server_error":
            return _json(fault.status, {"error": "Internal server error"}), False
        if kind == "drop_connection":
            return None, False
        if kind == "truncated_json":
            return self.api.handle(request), True
        if kind == "invalid_json":
            return httpx.Response(200, content=TRUNCATED_BODY, headers=_JSON), False
        if kind == "empty_first_page":
            return httpx.Response(200, content=b"[]", headers=_JSON), False
        if kind == "unauthorized":
            return _json(401, fault.error_body), False
        if kind == "rewrite":
            assert fault.rewrite is not None
            normal = self.api.handle(request)
            changed = fault.rewrite(normal.json())
            content = json.dumps(changed).encode()  # \ud800 escapes: valid JSON, as Wistia sends
            return httpx.Response(normal.status_code, content=content, headers=_JSON), False
        if kind == "rewrite_body":
            assert fault.body_rewrite is not None
            normal = self.api.handle(request)
            content = fault.body_rewrite(normal.content)
            return httpx.Response(normal.status_code, content=content, headers=_JSON), False
        if kind == "answer":
            return httpx.Response(fault.status, content=fault.body, headers=_JSON), False
        if kind == "echo_authorization":
            header = request.headers.get("Authorization", "")
            body = {"error": f"Malformed request: header Authorization={header!r} rejected"}
            return _json(fault.status, body), False
        if kind == "trickle":
            return self.api.handle(request), False
        if kind == "oversized":
            filler = b"x" * max(0, fault.size - 4)
            return httpx.Response(200, content=b'["' + filler + b'"]', headers=_JSON), False
        raise ValueError(f"unknown fault {kind!r}")


_JSON = {"Content-Type": "application/json"}
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={**_JSON, **(headers or {})}
    )


def _text(status: int, body: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "text/plain", **headers}
    )


def _seconds(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _to_httpx(handler: BaseHTTPRequestHandler, origin: str) -> httpx.Request:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    return httpx.Request(
        handler.command,
        origin + handler.path,
        headers=list(handler.headers.items()),
        content=body,
    )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins them: nothing outlives stop()
    block_on_close = True

    def __init__(self, owner: FakeWistiaServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((HOST, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished (killed, timed out) is normal here; anything else is not."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API behind a load balancer
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the
    # body until the client's delayed ACK (about 40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: _HTTPServer
    timeout = 30  # an idle keep-alive connection ends after this

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self.server.owner._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send(
        self,
        response: httpx.Response,
        *,
        truncate: bool = False,
        trickle: float = 0.0,
        stopping: threading.Event | None = None,
    ) -> None:
        """Write ``response``; with ``truncate``, only half the body under the full length; with
        ``trickle``, one byte every ``trickle`` seconds (until the client gives up)."""
        content = response.content
        try:
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if trickle:
                self.wfile.flush()
                for index in range(len(content)):
                    if stopping is not None and stopping.wait(trickle):
                        break
                    self.wfile.write(content[index : index + 1])
                    self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(content[: len(content) // 2] if truncate else content)
            self.wfile.flush()
        except OSError:  # the client gave up (timed out) before the answer
            self.close_connection = True
        if truncate:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the log that matters is ``FakeWistiaServer.log``."""
