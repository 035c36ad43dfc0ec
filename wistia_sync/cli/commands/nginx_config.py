"""``wistia-sync nginx-config``: an nginx server block serving the published folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import stdout_console
from wistia_sync.cli.delivery_options import EntryCacheControl, ImmutableCacheControl, Purge
from wistia_sync.cli.options import DbPath, OutputDir

Listen = Annotated[str, typer.Option("--listen", help="nginx listen address (host:port).")]
ServerName = Annotated[str, typer.Option("--server-name", help="nginx server_name.")]
PathPrefix = Annotated[
    str, typer.Option("--path-prefix", help="URL path the folder is served under (/ or /x/).")
]
CorsOrigin = Annotated[
    str, typer.Option("--cors-origin", help="Access-Control-Allow-Origin: * or one origin.")
]


def nginx_config_command(
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    db: DbPath = Path(config.DEFAULT_DB),
    listen: Listen = "127.0.0.1:8080",
    server_name: ServerName = "_",
    path_prefix: PathPrefix = "/",
    cors_origin: CorsOrigin = "*",
    purge: Purge = None,
    cache_control_immutable: ImmutableCacheControl = None,
    cache_control_entry: EntryCacheControl = None,
) -> None:
    """Print an nginx server block serving the output folder with cache headers and CORS.

    Refused when --db is inside that folder (nginx would serve the database's folder).
    """
    from wistia_sync.contract.cache_policy import cache_policy
    from wistia_sync.deliver.nginx import NginxSite, render_nginx_config

    policy = cache_policy(
        purge_configured=bool(purge),
        immutable=cache_control_immutable,
        entry=cache_control_entry,
    )
    site = NginxSite(
        root=output,
        policy=policy,
        listen=listen,
        server_name=server_name,
        prefix=path_prefix,
        cors_origin=cors_origin,
    )
    stdout_console().out(render_nginx_config(site), end="", highlight=False)
