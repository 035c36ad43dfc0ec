"""``wistia-sync nginx-config`` (and ``verify``): serving the published folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import notice, stdout_console
from wistia_sync.cli.delivery_options import (
    BaseUrl,
    EntryCacheControl,
    ImmutableCacheControl,
    Purge,
    PurgeBudget,
    S3EndpointUrl,
    Target,
    delivery_settings,
)
from wistia_sync.cli.options import DURATION, DbPath, Json, OutputDir, Quiet, seconds

Listen = Annotated[str, typer.Option("--listen", help="nginx listen address (host:port).")]
ServerName = Annotated[str, typer.Option("--server-name", help="nginx server_name.")]
PathPrefix = Annotated[
    str, typer.Option("--path-prefix", help="URL path the folder is served under (/ or /x/).")
]
CorsOrigin = Annotated[
    str, typer.Option("--cors-origin", help="Access-Control-Allow-Origin: * or one origin.")
]


Changed = Annotated[
    list[str] | None,
    typer.Option(
        "--changed",
        help="An entry file (path in the output folder) to purge; repeat it. The mirror's own "
        "uploads and removals are purged too.",
    ),
]


Concurrency = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, help="Requests in flight at once.")
]
Timeout = Annotated[
    str,
    typer.Option(
        "--timeout", metavar=DURATION, help="How long each request may take (0.1s to 10m)."
    ),
]
Wait = Annotated[
    str,
    typer.Option(
        "--wait",
        metavar=DURATION,
        help="Verify again until everything is fresh, up to this long (at most 1d), and record the "
        "publish → served latency (with --purge, what is stale is purged once).",
    ),
]
RequiredBaseUrl = Annotated[
    str,
    typer.Option(
        "--base-url",
        envvar="WISTIA_SYNC_BASE_URL",
        help="Public URL the output folder is served at, e.g. https://cdn.example.com/videos/.",
    ),
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


def deliver_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    target: Target = None,
    s3_endpoint_url: S3EndpointUrl = None,
    purge: Purge = None,
    purge_budget: PurgeBudget = None,
    base_url: BaseUrl = None,
    changed: Changed = None,
    cache_control_immutable: ImmutableCacheControl = None,
    cache_control_entry: EntryCacheControl = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Mirror the published folder to --target and purge changed entry files from --purge."""
    import json

    from wistia_sync.deliver.delivery import deliver
    from wistia_sync.store.db import open_database

    settings = delivery_settings(
        target, s3_endpoint_url, purge, purge_budget, base_url,
        cache_control_immutable, cache_control_entry,
    )  # fmt: skip
    report = deliver(output, db=open_database(db), settings=settings, changed_entry_paths=changed)
    for warning in report.warnings:
        notice(f"warning: {warning}")
    if as_json:
        stdout_console().print_json(json.dumps(report.as_dict()))
    elif not quiet:
        for line in report.lines() or [f"{report.target}: nothing to deliver"]:
            stdout_console().print(line, markup=False)


def verify_command(
    base_url: RequiredBaseUrl,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    purge: Purge = None,
    purge_budget: PurgeBudget = None,
    concurrency: Concurrency = 8,
    timeout: Timeout = "10s",
    wait: Wait = "0s",
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Check that BASE_URL serves what the last publish wrote; exit 1 if anything is stale.

    Lists stale files, listed files that 404, and any hidden, archived or deleted video still
    served. With --purge, purges what it found stale (it stays listed: run verify again).
    """
    import json

    from wistia_sync.deliver.purge.providers import check_base_url, make_provider
    from wistia_sync.deliver.purge.purger import purge_changed
    from wistia_sync.deliver.verify import verify_site, verify_until_fresh
    from wistia_sync.errors import ConfigError
    from wistia_sync.store.db import open_database

    request_timeout = seconds(timeout, "--timeout", minimum=0.1, maximum=600)
    wait_seconds = seconds(wait, "--wait", maximum=86400)
    checked_url = check_base_url(base_url)
    if checked_url is None:
        raise ConfigError("--base-url is required: the public URL the output folder is served at")
    provider = make_provider(purge, base_url=checked_url) if purge else None
    database = open_database(db) if db.exists() or provider or wait_seconds else None
    purge_report = None
    latency = None
    if wait_seconds and database is not None:
        fresh = verify_until_fresh(
            output, checked_url, db=database, wait_seconds=wait_seconds, purge=provider,
            purge_budget=purge_budget, concurrency=concurrency, timeout=request_timeout,
        )  # fmt: skip
        report, latency = fresh.report, fresh.latency_seconds
    else:
        report = verify_site(
            output, checked_url, db=database, concurrency=concurrency, timeout=request_timeout
        )
        if provider is not None and database is not None and report.needs_purge():
            purge_report = purge_changed(
                database, provider, report.needs_purge(), budget=purge_budget
            )
            if purge_report.error:
                notice(f"warning: {purge_report.summary()}")
    if as_json:
        data = report.as_dict()
        data["purge"] = None if purge_report is None else purge_report.summary()
        data["latency_seconds"] = latency
        stdout_console().print_json(json.dumps(data))
    elif report.unreachable:
        from wistia_sync.errors import SiteUnreachable

        raise SiteUnreachable(report.summary())
    else:
        for line in report.lines():
            typer.echo(line)
        if not quiet:
            notice(report.summary())
            if purge_report is not None and not purge_report.error:
                notice(purge_report.summary())
            if latency is not None:
                notice(f"served everywhere {latency:.1f} s after the publish")
    if not report.ok:
        raise typer.Exit(1)
