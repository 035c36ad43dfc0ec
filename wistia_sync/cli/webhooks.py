"""``wistia-sync webhook serve``: receive Wistia's webhooks and apply them within seconds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli import syncing
from wistia_sync.cli.console import notice
from wistia_sync.cli.options import DURATION, DbPath, OutputDir, seconds

if TYPE_CHECKING:
    from sqlite_utils import Database

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
    token_file: syncing.TokenFile = None,
    api_url: syncing.ApiUrl = config.DEFAULT_API_URL,
    api_version: syncing.ApiVersion = config.DEFAULT_API_VERSION,
    rate_limit: syncing.RateLimit = DEFAULT_WEBHOOK_RATE_LIMIT,
    default_visibility: syncing.DefaultVisibility = "public",
) -> None:
    """Serve POST /webhooks/wistia and GET /healthz until interrupted (SIGINT or SIGTERM)."""
    from wistia_sync.errors import UsageError

    try:  # before anything imports them: the extra may not be installed
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            "webhook serve needs the webhooks extra: pip install 'wistia-sync[webhooks]'"
        ) from None
    from wistia_sync.deliver.delivery import DeliverySettings
    from wistia_sync.job import publish_and_deliver
    from wistia_sync.publish import publish_due
    from wistia_sync.store.db import open_database
    from wistia_sync.webhooks.app import WEBHOOK_PATH, ReceiverSettings
    from wistia_sync.webhooks.guard import (
        ConnectionLimits,
        connections_within,
        raise_descriptor_limit,
    )
    from wistia_sync.webhooks.logs import configure_server_logging
    from wistia_sync.webhooks.server import ServeSettings, refresh_then_publish, serve
    from wistia_sync.webhooks.worker import Debounce

    quiet_seconds = seconds(debounce, "--debounce", maximum=60)
    delay_seconds = seconds(max_delay, "--max-delay", maximum=600)
    request_seconds = seconds(request_timeout, "--request-timeout", minimum=1, maximum=300)
    if delay_seconds < quiet_seconds:
        raise UsageError(f"--max-delay ({max_delay}) must be at least --debounce ({debounce})")
    options = syncing.sync_options(False, config.DEFAULT_FULL_EVERY, 0, False, default_visibility)
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
        ),
        host=host,
        port=port,
        debounce=Debounce(quiet_seconds=quiet_seconds, max_delay_seconds=delay_seconds),
        limits=ConnectionLimits(request_seconds=request_seconds, max_connections=connections),
    )
    open_database(db)  # fail now, with one clear line, if it cannot be opened
    if secret_file is not None and (warning := config.secret_file_warning(secret_file, "secret")):
        notice(warning)
    if connections < max_connections:
        notice(
            f"at most {connections} connections at once: open files are limited to "
            f"{descriptors} (ulimit -n)"
        )

    delivery = DeliverySettings.from_environment()

    def publish_if_behind(database: Database) -> None:
        if publish_due(database, output, check_files=False):
            publish_and_deliver(database, output, delivery=delivery)

    configure_server_logging(debug=logging.getLogger().isEnabledFor(logging.DEBUG))
    with syncing.open_client(False, token_file, api_url, api_version, rate_limit) as client:
        notice(f"listening on http://{host}:{port}{WEBHOOK_PATH} (GET /healthz); Ctrl-C stops")
        serve(
            settings,
            lambda: open_database(db),
            refresh_then_publish(client, options, publish_if_behind, stats_budget=stats_budget),
        )
