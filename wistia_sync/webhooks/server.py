"""``wistia-sync webhook serve``: the receiver under uvicorn, with the inbox worker beside it."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from wistia_sync.errors import PublishAborted, WistiaSyncError
from wistia_sync.sync.captions import refresh_captions_of
from wistia_sync.sync.media import refresh_media
from wistia_sync.sync.stats import fetch_missing_plays
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.webhooks.app import ReceiverSettings, create_app
from wistia_sync.webhooks.guard import (
    ACCEPT_BACKLOG,
    MAX_HEADER_BYTES,
    ConnectionLimits,
    guarded_protocol,
)
from wistia_sync.webhooks.worker import Apply, Debounce, InboxWorker
from wistia_sync.wistia.client import WistiaClient

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # behind a reverse proxy; never listen on every address by default
DEFAULT_PORT = 8787
SHUTDOWN_SECONDS = 30.0  # how long a shutdown waits for the batch in hand
DEFAULT_STATS_BUDGET = 10  # play counts a batch fetches; cron's run fetches the rest
DEFAULT_CAPTIONS_BUDGET = 20  # videos whose captions and chapters a batch reads (`webhook serve`)


@dataclass(frozen=True)
class ServeSettings:
    receiver: ReceiverSettings
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    debounce: Debounce = field(default_factory=Debounce)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)


def refresh_then_publish(
    client: WistiaClient,
    options: SyncOptions,
    publish: Callable[[Database], object],
    *,
    stats_budget: int = DEFAULT_STATS_BUDGET,
    captions_budget: int = 0,
) -> Apply:
    """What the worker does with a batch: refetch those media from Wistia, fetch the play count
    of up to ``stats_budget`` of them that have none (a new upload), read the captions and
    chapters of up to ``captions_budget`` of them (any event may mean they changed:
    ``media.transcript_updated`` says so, and Wistia does not say an edit moves ``updated``),
    then republish."""

    def apply(db: Database, hashed_ids: Sequence[str]) -> None:
        refresh_media(db, client, hashed_ids, options)
        try:
            fetch_missing_plays(db, client, hashed_ids, stats_budget, options)
        except WistiaSyncError as error:  # plays can wait for cron; the change itself cannot
            log.warning("fetching play counts failed (cron's run fetches them): %s", error)
        try:
            refresh_captions_of(db, client, hashed_ids, captions_budget, options)
        except WistiaSyncError as error:  # a full crawl reads them again
            log.warning("reading captions failed (cron's run reads them): %s", error)
        try:
            publish(db)
        except PublishAborted as error:
            # Retrying cannot change the guard's verdict: the change is stored, and cron's run
            # says the same until someone publishes with --allow-mass-unpublish.
            log.warning("%s", error)

    return apply


def build_app(
    settings: ServeSettings, open_db: Callable[[], Database], apply: Apply
) -> tuple[Starlette, InboxWorker]:
    """The receiver, whose lifespan runs the worker: started with the server, stopped with it."""
    worker = InboxWorker(open_db, apply, settings.debounce)

    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        thread = threading.Thread(target=worker.run, name="webhook-worker", daemon=True)
        thread.start()
        worker.notify()  # apply what an earlier process stored but did not apply
        try:
            yield
        finally:
            worker.stop()  # finish the batch in hand; what is still pending stays in the inbox
            await run_in_threadpool(thread.join, SHUTDOWN_SECONDS)

    app = create_app(settings.receiver, open_db, on_stored=worker.notify, lifespan=lifespan)
    return app, worker


def serve(settings: ServeSettings, open_db: Callable[[], Database], apply: Apply) -> None:
    """Serve until SIGINT or SIGTERM (uvicorn's graceful shutdown)."""
    import uvicorn

    app, _ = build_app(settings, open_db, apply)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(settings.limits),
        backlog=ACCEPT_BACKLOG,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_keep_alive=int(settings.limits.keep_alive_seconds),
        log_config=None,  # uvicorn's lines go through ours (logs.configure_server_logging)
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
    )
    uvicorn.Server(config).run()
