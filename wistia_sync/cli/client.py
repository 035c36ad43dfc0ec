"""Reaching Wistia from a command: the options that say how, and the client they build.

Used by ``sync``, ``run`` and ``webhook serve``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import notice
from wistia_sync.cli.options import MAX_COUNT

if TYPE_CHECKING:
    from wistia_sync.wistia.client import WistiaClient

TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        help=f"File holding the API token (default: ${config.TOKEN_ENV}).",
        dir_okay=False,
    ),
]
ApiUrl = Annotated[
    str, typer.Option("--api-url", envvar=config.API_URL_ENV, help="Wistia API base URL.")
]
ApiVersion = Annotated[
    str,
    typer.Option(
        "--api-version", envvar=config.API_VERSION_ENV, help="X-Wistia-Api-Version header."
    ),
]
RateLimit = Annotated[
    int,
    typer.Option(
        "--rate-limit",
        min=1,
        max=MAX_COUNT,
        help="Requests a minute this process may send (lower it if other tools share the account).",
    ),
]
Demo = Annotated[
    bool, typer.Option("--demo", help="Sync the built-in demo catalog instead of Wistia.")
]
# What the demo client sends as its token. Every client's token is redacted from messages, so it
# must be a string no message contains ("demo" would turn "--demo" into "--***").
DEMO_TOKEN = "wistia-sync-demo-catalog-token"


@contextmanager
def open_client(
    demo: bool,
    token_file: Path | None,
    api_url: str,
    api_version: str,
    rate_limit: int,
    *,
    quiet: bool = False,
) -> Iterator[WistiaClient]:
    """A client for Wistia, or for the in-process demo catalog (no token, no network).

    Every setting is checked first: a mistake in one is a configuration error (exit 2), never
    five failed requests reported as "Wistia is unavailable".
    """
    from wistia_sync.wistia.client import (
        BACKOFF_INITIAL_SECONDS,
        MAX_RESPONSE_BYTES,
        TIMEOUT_SECONDS,
        ClientSettings,
        WistiaClient,
    )

    config.check_api_version(api_version)
    if demo:
        from wistia_sync.demo import demo_transport

        settings = ClientSettings(token=DEMO_TOKEN, api_version=api_version, rate_limit=rate_limit)
        client = WistiaClient(settings, transport=demo_transport())
    else:
        token = config.read_token(token_file)
        warning = config.token_file_warning(token_file) if token_file is not None else None
        if warning is not None:
            notice(warning)  # printed even with --quiet, as ssh does: it is about the secret
        settings = ClientSettings(
            token=token,
            api_url=config.check_api_url(api_url),
            api_version=api_version,
            rate_limit=rate_limit,
            timeout=config.seconds_from_env(config.HTTP_TIMEOUT_ENV, TIMEOUT_SECONDS),
            backoff=config.seconds_from_env(config.HTTP_BACKOFF_ENV, BACKOFF_INITIAL_SECONDS),
            max_response_bytes=config.count_from_env(
                config.MAX_RESPONSE_BYTES_ENV, MAX_RESPONSE_BYTES
            ),
        )
        client = WistiaClient(settings)
    with client:
        yield client
