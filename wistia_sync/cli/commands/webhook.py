"""``wistia-sync webhook serve``: receive Wistia's webhooks and apply them within seconds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.client import ApiUrl, ApiVersion, RateLimit, TokenFile, open_client
from wistia_sync.cli.console import notice
from wistia_sync.cli.options import DURATION, DbPath, OutputDir, seconds
from wistia_sync.cli.sync_options import DefaultVisibility, sync_options

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlite_utils import Database

    from wistia_sync.webhooks.server import ServeSettings

webhook_app = typer.Typer(
    name="webhook",
    help="Receive Wistia's webhooks: each event refetches its media and republishes in seconds.",
    no_args_is_help=True,
)

DEFAULT_WEBHOOK_RATE_LIMIT = 100  # a minute: leaves the rest of Wistia's 600 to cron's run


@webhook_app.command("serve")
def serve_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            dir_okay=False,
            help=f"File holding the webhook's secret key (default: ${config.WEBHOOK_SECRET_ENV}).",
        ),
    ] = None,
    account_id: Annotated[
        str | None,
        typer.Option(
            "--account-id",
            envvar=config.WEBHOOK_ACCOUNT_ENV,
            help="Ignore events of any other Wistia account: its hashed id, as events carry it "
            "(e.g. 0sxav1wj8o), not the Data API's number.",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8787,
    debounce: Annotated[
        str,
        typer.Option("--debounce", metavar=DURATION, help="Quiet before applying (at most 60s)."),
    ] = "0.5s",
    max_delay: Annotated[
        str,
        typer.Option(
            "--max-delay",
            metavar=DURATION,
            help="Longest an event waits during a burst (at most 10m).",
        ),
    ] = "3s",
    max_body: Annotated[
        int,
        typer.Option("--max-body", min=1024, max=64 * 1024 * 1024, help="Largest body, bytes."),
    ] = 1024 * 1024,
    request_timeout: Annotated[
        str,
        typer.Option(
            "--request-timeout",
            metavar=DURATION,
            help="How long a connection has to send a whole request before it is closed "
            "(1s to 5m).",
        ),
    ] = "10s",
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            min=16,
            max=100_000,
            help="Connections open at once; past it the longest idle one is closed.",
        ),
    ] = 500,
    stats_budget: Annotated[
        int,
        typer.Option(
            "--stats-budget",
            min=0,
            max=1000,
            help="Play counts fetched per batch, for videos that have none yet.",
        ),
    ] = 10,
    captions_budget: Annotated[
        int,
        typer.Option(
            "--captions-budget",
            min=0,
            max=1000,
            help="Videos whose captions and chapters a batch reads (two requests each).",
        ),
    ] = 20,
    token_file: TokenFile = None,
    api_url: ApiUrl = config.DEFAULT_API_URL,
    api_version: ApiVersion = config.DEFAULT_API_VERSION,
    rate_limit: RateLimit = DEFAULT_WEBHOOK_RATE_LIMIT,
    default_visibility: DefaultVisibility = "public",
) -> None:
    """Serve POST /webhooks/wistia and GET /healthz until interrupted (SIGINT or SIGTERM)."""
    require_webhooks_extra()
    from wistia_sync.store.db import open_database
    from wistia_sync.webhooks.app import WEBHOOK_PATH
    from wistia_sync.webhooks.logs import configure_server_logging
    from wistia_sync.webhooks.server import refresh_then_publish, serve

    options = sync_options(False, config.DEFAULT_FULL_EVERY, 0, False, default_visibility)
    settings, descriptors = serve_settings(
        secret_file=secret_file,
        account_id=account_id,
        host=host,
        port=port,
        debounce=debounce,
        max_delay=max_delay,
        max_body=max_body,
        request_timeout=request_timeout,
        max_connections=max_connections,
    )
    open_database(db)  # fail now, with one clear line, if it cannot be opened
    if secret_file is not None and (warning := config.secret_file_warning(secret_file, "secret")):
        notice(warning)
    if (connections := settings.limits.max_connections) < max_connections:
        notice(
            f"at most {connections} connections at once: open files are limited to "
            f"{descriptors} (ulimit -n)"
        )
    publish = publish_when_due(output)
    configure_server_logging(debug=logging.getLogger().isEnabledFor(logging.DEBUG))
    with open_client(False, token_file, api_url, api_version, rate_limit) as client:
        notice(f"listening on http://{host}:{port}{WEBHOOK_PATH} (GET /healthz); Ctrl-C stops")
        serve(
            settings,
            lambda: open_database(db),
            refresh_then_publish(
                client,
                options,
                publish,
                stats_budget=stats_budget,
                captions_budget=captions_budget,
            ),
        )


def require_webhooks_extra() -> None:
    """Refuse, with the command to fix it, when the webhooks extra is not installed."""
    from wistia_sync.errors import UsageError

    try:  # before anything imports them: the extra may not be installed
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            "webhook serve needs the webhooks extra: pip install 'wistia-sync[webhooks]'"
        ) from None


def serve_settings(
    *,
    secret_file: Path | None,
    account_id: str | None,
    host: str,
    port: int,
    debounce: str,
    max_delay: str,
    max_body: int,
    request_timeout: str,
    max_connections: int,
) -> tuple[ServeSettings, int]:
    """The server's settings from the options, checked, and the open-files limit raised as far
    as it goes (which may cap the connections below ``max_connections``)."""
    from wistia_sync.errors import UsageError
    from wistia_sync.webhooks.app import ReceiverSettings
    from wistia_sync.webhooks.guard import (
        ConnectionLimits,
        connections_within,
        raise_descriptor_limit,
    )
    from wistia_sync.webhooks.server import ServeSettings
    from wistia_sync.webhooks.worker import Debounce

    quiet_seconds = seconds(debounce, "--debounce", maximum=60)
    delay_seconds = seconds(max_delay, "--max-delay", maximum=600)
    request_seconds = seconds(request_timeout, "--request-timeout", minimum=1, maximum=300)
    if delay_seconds < quiet_seconds:
        raise UsageError(f"--max-delay ({max_delay}) must be at least --debounce ({debounce})")
    secret = config.read_webhook_secret(secret_file)
    if account_id is not None and account_id.strip() == "":
        account_id = None  # an empty WISTIA_SYNC_WEBHOOK_ACCOUNT_ID: every account
    descriptors = raise_descriptor_limit()
    connections = connections_within(descriptors, max_connections)
    settings = ServeSettings(
        receiver=ReceiverSettings(
            secret=secret,
            account_id=None if account_id is None else config.check_webhook_account_id(account_id),
            max_body_bytes=max_body,
            metrics=render_metrics,
        ),
        host=host,
        port=port,
        debounce=Debounce(quiet_seconds=quiet_seconds, max_delay_seconds=delay_seconds),
        limits=ConnectionLimits(request_seconds=request_seconds, max_connections=connections),
    )
    return settings, descriptors


def render_metrics(db: Database) -> bytes:
    """``GET /metrics``: what ``run --metrics-file`` writes (prometheus_client on first use)."""
    from wistia_sync.ops.metrics import render

    return render(db)


def publish_when_due(output: Path) -> Callable[[Database], None]:
    """What the worker runs after each batch (and each retry): publish when due, and deliver
    the site's way when it published or a delivery or purge is still owed. A delivery left
    owed raises ``DeliveryOwed``, so the batch stays pending and is retried (with backoff)
    until it is delivered, instead of being marked applied with the bucket behind."""
    from wistia_sync.job import publish_and_deliver, site_delivery
    from wistia_sync.publish import publish_due

    noticed: set[str] = set()

    def publish(database: Database) -> None:
        delivery, site_notice = site_delivery(database, environment=True, interactive=True)
        if site_notice and site_notice not in noticed:
            noticed.add(site_notice)
            logging.getLogger(__name__).warning("%s", site_notice)
        due = publish_due(database, output, check_files=False)
        if not due and (delivery is None or not _delivery_owed(database)):
            return
        published = publish_and_deliver(database, output, delivery=delivery, due=due)
        owed = None if published.delivery is None else published.delivery.owed()
        if owed is not None:
            from wistia_sync.errors import DeliveryOwed

            raise DeliveryOwed(owed)

    return publish


def _delivery_owed(database: Database) -> bool:
    row = database.execute(
        "SELECT EXISTS (SELECT 1 FROM delivery_owed) OR EXISTS (SELECT 1 FROM purge_pending)"
    ).fetchone()
    return bool(row[0])
