"""``wistia-sync deliver``: mirror the published folder to a target and purge the CDN."""

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
    site_delivery_with,
)
from wistia_sync.cli.options import DbPath, Json, OutputDir, Quiet

Changed = Annotated[
    list[str] | None,
    typer.Option(
        "--changed",
        help="An entry file (path in the output folder) to purge; repeat it. The mirror's own "
        "uploads and removals are purged too.",
    ),
]
Reconcile = Annotated[
    bool,
    typer.Option(
        "--reconcile",
        help="Compare with a listing of the bucket (one request per 1,000 objects) instead of "
        "its files.json: uploads what differs and removes the publisher's own objects the "
        "output lacks, whatever earlier deliveries left. `run` does it daily by itself.",
    ),
]


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
    reconcile: Reconcile = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Mirror the published folder to --target and purge changed entry files from --purge."""
    import json

    from wistia_sync.deliver.delivery import DeliverySettings, deliver
    from wistia_sync.errors import DeliveryOwed
    from wistia_sync.store.db import open_database

    database = open_database(db)
    given = delivery_settings(
        target, s3_endpoint_url, purge, purge_budget, base_url,
        cache_control_immutable, cache_control_entry,
    )  # fmt: skip
    settings = site_delivery_with(database, given, quiet=quiet) or DeliverySettings()
    if reconcile and not settings.target:
        from wistia_sync.errors import ConfigError

        raise ConfigError(
            "--reconcile needs a target (--target, or the site's: wistia-sync site --target): "
            "the bucket to compare with the output"
        )
    report = deliver(
        output,
        db=database,
        settings=settings,
        changed_entry_paths=changed,
        reconcile=reconcile,
    )
    for warning in report.warnings:
        notice(f"warning: {warning}")
    if as_json:
        stdout_console().print_json(json.dumps(report.as_dict()))
    elif not quiet:
        for line in report.lines() or [f"{report.target}: nothing to deliver"]:
            stdout_console().print(line, markup=False)
    if owed := report.owed():
        raise DeliveryOwed(owed)
