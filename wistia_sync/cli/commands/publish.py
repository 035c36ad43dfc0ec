"""``wistia-sync publish``: bring the output folder up to date, then deliver it if asked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import notice, print_json
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
from wistia_sync.cli.options import AllowMassUnpublish, DbPath, Force, Json, OutputDir, Quiet

if TYPE_CHECKING:
    from wistia_sync.deliver.delivery import DeliveryReport
    from wistia_sync.publish import PublishResult

DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")]


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

    database = open_database(db)
    given = delivery_settings(
        target, s3_endpoint_url, purge, purge_budget, base_url,
        cache_control_immutable, cache_control_entry,
    )  # fmt: skip
    # The site's delivery (no delivery code imported when it has none and no option names one).
    delivery = site_delivery_with(database, given, quiet=quiet)
    published = publish_and_deliver(
        database,
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
    if published.delivery is not None and (owed := published.delivery.owed()):
        from wistia_sync.errors import DeliveryOwed

        raise DeliveryOwed(owed)


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
