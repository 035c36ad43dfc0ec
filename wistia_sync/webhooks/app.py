"""The ASGI receiver: verify, store, then answer — never a Wistia call on the request path.

``POST /webhooks/wistia``: a body over ``max_body_bytes`` gets 413, a missing or wrong
``X-Wistia-Signature`` 401, a body that is not a delivery 400, all with nothing stored. A valid
delivery's events are committed to the inbox (repeats are recognised by uuid) before the 200.
``GET /healthz`` answers 200 while the inbox database can be read. ``GET /metrics``, when the
settings carry a renderer, answers the Prometheus metrics ``run --metrics-file`` writes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wistia_sync.webhooks.inbox import (
    MalformedDelivery,
    StoredDelivery,
    parse_delivery,
    store_events,
)
from wistia_sync.webhooks.signature import SIGNATURE_HEADER, signature_matches

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/wistia"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' text format
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # a delivery of a few hundred events is ~100 KB


@dataclass(frozen=True)
class ReceiverSettings:
    secret: bytes
    account_id: str | None = None  # events for another account are stored as ignored
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # ``ops.metrics.render``, handed over by the CLI (ops sits beside webhooks, not below).
    metrics: Callable[[Database], bytes] | None = None


class _BodyTooLarge(Exception):
    pass


class _ThreadDatabases:
    """One SQLite connection per thread of the server's thread pool, opened on first use."""

    def __init__(self, open_db: Callable[[], Database]) -> None:
        self._open_db = open_db
        self._local = threading.local()

    def get(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open_db()
        return db


def create_app(
    settings: ReceiverSettings,
    open_db: Callable[[], Database],
    *,
    on_stored: Callable[[], None] = lambda: None,
    lifespan: Callable[[Starlette], AsyncIterator[None]] | None = None,
) -> Starlette:
    """The receiver. ``on_stored`` is called after new pending events were committed."""
    databases = _ThreadDatabases(open_db)

    async def receive(request: Request) -> Response:
        try:
            body = await _read_capped(request, settings.max_body_bytes)
        except _BodyTooLarge:
            return _error(413, f"body over {settings.max_body_bytes} bytes")
        except ClientDisconnect:  # gone, or cut off for sending too slowly: nobody to answer
            return _error(408, "the request was not received whole")
        if not signature_matches(settings.secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("refused a delivery with a missing or wrong %s", SIGNATURE_HEADER)
            return _error(401, "missing or wrong signature")
        try:
            events = parse_delivery(body)
        except MalformedDelivery as error:
            return _error(400, str(error))
        stored: StoredDelivery = await run_in_threadpool(
            lambda: store_events(databases.get(), events, account_id=settings.account_id)
        )
        if stored.pending:
            on_stored()
        return JSONResponse(
            {"stored": stored.new, "pending": stored.pending, "repeated": stored.repeated}
        )

    async def health(request: Request) -> Response:
        await run_in_threadpool(lambda: databases.get().execute("SELECT 1").fetchone())
        return JSONResponse({"ok": True})

    async def metrics(request: Request) -> Response:
        assert settings.metrics is not None
        render = settings.metrics
        body = await run_in_threadpool(lambda: render(databases.get()))
        return Response(body, media_type=METRICS_TYPE)

    routes = [
        Route(WEBHOOK_PATH, receive, methods=["POST"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
    ]
    if settings.metrics is not None:
        routes.append(Route(METRICS_PATH, metrics, methods=["GET"]))
    return Starlette(
        routes=routes,
        lifespan=asynccontextmanager(lifespan) if lifespan else None,
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)
