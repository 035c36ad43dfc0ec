"""``wistia-sync verify``: check that the public URL serves what the last publish wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import notice, stdout_console
from wistia_sync.cli.delivery_options import Purge, PurgeBudget
from wistia_sync.cli.options import DURATION, DbPath, Json, OutputDir, Quiet, seconds

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
VerifyBaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="WISTIA_SYNC_BASE_URL",
        help="Public URL the output folder is served at, e.g. https://cdn.example.com/videos/ "
        "(default: the site's, `wistia-sync site --base-url`).",
        show_default=False,
    ),
]


def verify_command(
    base_url: VerifyBaseUrl = None,
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
    database = open_database(db) if db.exists() else None
    if database is not None:
        # The site's purge, with the options merged in (deliver.site's rules); the URL checked
        # is --base-url when given (an origin may be checked beside the CDN), else the site's.
        from wistia_sync.deliver.delivery import DeliverySettings
        from wistia_sync.deliver.site import resolve_delivery, site_delivery

        given = DeliverySettings(purge=purge, purge_budget=purge_budget)
        resolved = resolve_delivery(database, given)
        if resolved.notice and not quiet:
            notice(resolved.notice)
        site = resolved.settings or DeliverySettings()
        purge = site.purge or purge
        purge_budget = site.purge_budget if site.purge_budget is not None else purge_budget
        base_url = base_url or site_delivery(database).base_url
    checked_url = check_base_url(base_url)
    if checked_url is None:
        raise ConfigError(
            "--base-url is required (or `wistia-sync site --base-url URL`): the public URL the "
            "output folder is served at"
        )
    provider = make_provider(purge, base_url=checked_url) if purge else None
    if database is None and (provider or wait_seconds):
        database = open_database(db)
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
