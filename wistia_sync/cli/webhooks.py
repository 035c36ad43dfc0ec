"""``wistia-sync webhook serve``: receive Wistia's webhooks and apply them within seconds."""

from __future__ import annotations

import logging
import sys
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
            help="Ignore events of any other Wistia account.",
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
    token_file: syncing.TokenFile = None,
    api_url: syncing.ApiUrl = "https://api.wistia.com/modern",
    api_version: syncing.ApiVersion = "2026-05",
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
    from wistia_sync.db import open_database
    from wistia_sync.delivery import DeliverySettings, deliver_publish
    from wistia_sync.job import publish_database
    from wistia_sync.publish import publish_due
    from wistia_sync.webhooks.app import WEBHOOK_PATH, ReceiverSettings
    from wistia_sync.webhooks.serve import ServeSettings, refresh_then_publish, serve
    from wistia_sync.webhooks.worker import Debounce

    quiet_seconds = seconds(debounce, "--debounce", maximum=60)
    delay_seconds = seconds(max_delay, "--max-delay", maximum=600)
    if delay_seconds < quiet_seconds:
        raise UsageError(f"--max-delay ({max_delay}) must be at least --debounce ({debounce})")
    options = syncing.sync_options(False, "24h", 0, False, default_visibility)
    settings = ServeSettings(
        receiver=ReceiverSettings(
            secret=config.read_webhook_secret(secret_file),
            account_id=account_id,
            max_body_bytes=max_body,
        ),
        host=host,
        port=port,
        debounce=Debounce(quiet_seconds=quiet_seconds, max_delay_seconds=delay_seconds),
    )
    open_database(db)  # fail now, with one clear line, if it cannot be opened

    delivery = DeliverySettings.from_environment()

    def publish_if_behind(database: Database) -> None:
        if publish_due(database, output, check_files=False):
            result = publish_database(database, db, output)
            deliver_publish(output, database, delivery, result)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    with syncing.open_client(False, token_file, api_url, api_version, rate_limit) as client:
        notice(f"listening on http://{host}:{port}{WEBHOOK_PATH} (GET /healthz); Ctrl-C stops")
        serve(
            settings,
            lambda: open_database(db),
            refresh_then_publish(client, options, publish_if_behind),
        )
