"""``wistia-sync publish``, ``wistia-sync run`` (what cron calls) and ``wistia-sync site``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli import syncing
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
from wistia_sync.cli.tables import print_json

if TYPE_CHECKING:
    from wistia_sync.deliver.delivery import DeliveryReport, DeliverySettings
    from wistia_sync.publish import PublishResult

Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Rebuild every file from the database and compare it with the bytes on disk "
        "(files whose bytes are unchanged are left alone).",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")]
AllowMassUnpublish = Annotated[
    bool,
    typer.Option(
        "--allow-mass-unpublish",
        help="Accept a publish that takes more than half of the published videos off the site.",
    ),
]
SetPageSize = Annotated[
    int | None,
    typer.Option(
        "--page-size",
        min=1,
        max=1000,
        help="Videos per playlist page; changing it rebuilds every playlist once.",
        show_default=False,
    ),
]
SetGrace = Annotated[
    str | None,
    typer.Option(
        "--grace",
        metavar=DURATION,
        help="How long a replaced immutable page stays for readers of older entry files "
        "(default 24h; 600s, 10m, 24h, 7d).",
        show_default=False,
    ),
]
SetTakedownGrace = Annotated[
    str | None,
    typer.Option(
        "--takedown-grace",
        metavar=DURATION,
        help="The same for a page holding a video no longer published (default 10m).",
        show_default=False,
    ),
]
SetPreviewPage = Annotated[
    bool | None,
    typer.Option(
        "--preview-page/--no-preview-page",
        help="Publish index.html, a gallery reading the JSON (on by default); off removes it.",
        show_default=False,
    ),
]
SetPreviewTitle = Annotated[
    str | None,
    typer.Option("--preview-title", help="The preview page's title.", show_default=False),
]


def publish_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    force: Force = False,
    dry_run: DryRun = False,
    allow_mass_unpublish: AllowMassUnpublish = False,
    target: Target = None,
    s3_endpoint_url: S3EndpointUrl = None,
    purge: Purge = None,
    purge_budget: PurgeBudget = None,
    base_url: BaseUrl = None,
    cache_control_immutable: ImmutableCacheControl = None,
    cache_control_entry: EntryCacheControl = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Bring the JSON files in the output folder up to date with the database."""
    from wistia_sync.job import publish_and_deliver
    from wistia_sync.store.db import open_database

    delivery = None
    if target or purge:  # else there is nothing to deliver: no delivery code to import
        delivery = delivery_settings(
            target, s3_endpoint_url, purge, purge_budget, base_url,
            cache_control_immutable, cache_control_entry,
        )  # fmt: skip
    published = publish_and_deliver(
        open_database(db),
        output,
        delivery=delivery,
        force=force,
        dry_run=dry_run,
        allow_mass_unpublish=allow_mass_unpublish,
    )
    assert published.publish is not None  # due: always published
    print_publish_result(
        published.publish, quiet=quiet, as_json=as_json, delivery=published.delivery
    )


def print_publish_result(
    result: PublishResult, *, quiet: bool, as_json: bool, delivery: DeliveryReport | None = None
) -> None:
    if delivery is not None:
        for warning in delivery.warnings:
            notice(f"warning: {warning}")
    if as_json:
        data = result.as_dict()
        data["delivery"] = None if delivery is None else delivery.as_dict()
        print_json(data)  # the bytes rich's print_json writes to a pipe, without rich
    elif not quiet:
        # Plain lines of counts and paths we wrote: nothing to style, no rich to import.
        typer.echo(result.summary())
        for line in delivery.lines() if delivery else ():
            typer.echo(line)


def run_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    token_file: syncing.TokenFile = None,
    api_url: syncing.ApiUrl = config.DEFAULT_API_URL,
    api_version: syncing.ApiVersion = config.DEFAULT_API_VERSION,
    rate_limit: syncing.RateLimit = 600,
    full: syncing.Full = False,
    full_every: syncing.FullEvery = config.DEFAULT_FULL_EVERY,
    stats_budget: syncing.StatsBudget = 100,
    allow_mass_delete: syncing.AllowMassDelete = False,
    default_visibility: syncing.DefaultVisibility = "public",
    demo: syncing.Demo = False,
    force: Force = False,
    allow_mass_unpublish: AllowMassUnpublish = False,
    target: Target = None,
    s3_endpoint_url: S3EndpointUrl = None,
    purge: Purge = None,
    purge_budget: PurgeBudget = None,
    base_url: BaseUrl = None,
    cache_control_immutable: ImmutableCacheControl = None,
    cache_control_entry: EntryCacheControl = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Then check that --base-url serves this publish (re-purging what is stale, "
            "once) and record how long that took; exit 1 if still stale after --verify-wait.",
        ),
    ] = False,
    verify_wait: Annotated[
        str,
        typer.Option(
            "--verify-wait", metavar=DURATION, help="How long --verify may wait (at most 1h)."
        ),
    ] = "60s",
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Sync, then republish what changed. Exits 75 at once if another run holds the lock."""
    from wistia_sync.errors import ConfigError
    from wistia_sync.job import run_job

    wait = seconds(verify_wait, "--verify-wait", maximum=3600)
    if verify and not base_url:
        raise ConfigError(
            "--verify needs --base-url: the public URL the output folder is served at"
        )

    delivery = delivery_settings(
        target, s3_endpoint_url, purge, purge_budget, base_url,
        cache_control_immutable, cache_control_entry,
    )  # fmt: skip

    options = syncing.sync_options(
        full, full_every, stats_budget, allow_mass_delete, default_visibility
    )
    options.source = "demo" if demo else "wistia"
    report = run_job(
        db,
        output,
        open_client=lambda: syncing.open_client(
            demo, token_file, api_url, api_version, rate_limit, quiet=quiet
        ),
        options=options,
        sync=lambda database, client, opts: syncing.run_sync(database, client, opts, quiet=quiet),
        force=force,
        delivery=delivery,
        allow_mass_unpublish=allow_mass_unpublish,
    )
    result = report.publish
    for warning in report.delivery.warnings if report.delivery else ():
        notice(f"warning: {warning}")
    if report.sync_error is not None:
        if result is not None and result.changed and not quiet:
            stdout_console().print(f"republished from the last good database: {result.summary()}")
        raise report.sync_error
    assert report.sync is not None
    if as_json:
        data = report.sync.as_dict()
        data["publish"] = None if result is None else result.as_dict()
        data["delivery"] = None if report.delivery is None else report.delivery.as_dict()
        stdout_console().print_json(json.dumps(data))
    elif not quiet:
        stdout_console().print(report.sync.line(), markup=False)
        stdout_console().print(result.summary() if result else "output up to date", markup=False)
        for line in report.delivery.lines() if report.delivery else ():
            stdout_console().print(line, markup=False)
    if verify and base_url:
        verify_served(db, output, delivery, base_url, wait=wait, quiet=quiet)


def verify_served(
    db: Path, output: Path, delivery: DeliverySettings, base_url: str, *, wait: float, quiet: bool
) -> None:
    """``run --verify``: wait until the public URL serves this publish; exit 1 if it never does."""
    from wistia_sync.deliver.purge.providers import check_base_url, make_provider
    from wistia_sync.deliver.verify import verify_until_fresh
    from wistia_sync.store.db import open_database

    checked = check_base_url(base_url)
    assert checked is not None
    provider = make_provider(delivery.purge, base_url=checked) if delivery.purge else None
    fresh = verify_until_fresh(
        output, checked, db=open_database(db), wait_seconds=wait, purge=provider,
        purge_budget=delivery.purge_budget,
    )  # fmt: skip
    if fresh.latency_seconds is None:
        for line in fresh.report.lines():
            typer.echo(line)
        notice(f"warning: not served everywhere after {wait:g} s: {fresh.report.summary()}")
        raise typer.Exit(1)
    if not quiet:
        notice(f"served everywhere {fresh.latency_seconds:.1f} s after the publish")


def site_command(
    db: DbPath = Path(config.DEFAULT_DB),
    page_size: SetPageSize = None,
    grace: SetGrace = None,
    takedown_grace: SetTakedownGrace = None,
    preview_page: SetPreviewPage = None,
    preview_title: SetPreviewTitle = None,
    as_json: Json = False,
) -> None:
    """Show the site's publishing settings, or change them (cron and every editor share them)."""
    from wistia_sync.publish.settings import change_site_settings, read_site_settings
    from wistia_sync.store.db import open_database

    database = open_database(db)
    changes = (page_size, grace, takedown_grace, preview_page, preview_title)
    if any(change is not None for change in changes):
        change_site_settings(
            database,
            page_size=page_size,
            grace=None if grace is None else config.parse_duration(grace, name="--grace"),
            takedown_grace=None
            if takedown_grace is None
            else config.parse_duration(takedown_grace, name="--takedown-grace"),
            preview_page=preview_page,
            preview_title=preview_title,
        )
    settings = read_site_settings(database)
    if as_json:
        stdout_console().print_json(json.dumps(settings))
        return
    for name, value in settings.items():
        stdout_console().print(f"{name.replace('_', ' ')}: {value}", markup=False)
