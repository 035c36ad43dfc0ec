"""Options for where a publish is delivered and which CDN is purged, shared by ``run``,
``publish``, ``deliver`` (and ``verify``'s purge); each is also an environment variable.

The site stores these settings (``wistia-sync site --target … --purge …``) so every process
delivers the same way; an option names them for one process only: used with a notice when the
site stores none, refused when the site stores another (``wistia_sync.deliver.site``). See the
README's "Serving" section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync.config import (
    BASE_URL_ENV,
    ENTRY_CACHE_CONTROL_ENV,
    IMMUTABLE_CACHE_CONTROL_ENV,
    PURGE_BUDGET_ENV,
    PURGE_ENV,
    S3_ENDPOINT_ENV,
    TARGET_ENV,
)
from wistia_sync.deliver.purge.kinds import spec_syntax

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.deliver.delivery import DeliverySettings

Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        envvar=TARGET_ENV,
        help="Where the output folder is mirrored after each publish: s3://bucket/prefix "
        "(default: nowhere else; the local output folder is always written first).",
    ),
]
S3EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--s3-endpoint-url",
        help=f"Endpoint of an S3-compatible store (default: the site's, else {S3_ENDPOINT_ENV} "
        "as boto3 reads it, else AWS).",
    ),
]
Purge = Annotated[
    str | None,
    typer.Option(
        "--purge",
        envvar=PURGE_ENV,
        help=f"CDN to purge after a publish: {spec_syntax()}.",
    ),
]
PurgeBudget = Annotated[
    int | None,
    typer.Option(
        "--purge-budget",
        envvar=PURGE_BUDGET_ENV,
        min=0,
        help="Purge paths allowed a calendar month (UTC); past it, purges collapse to wildcards.",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar=BASE_URL_ENV,
        help="Public URL the output folder is served at, e.g. https://cdn.example.com/videos/.",
    ),
]
ImmutableCacheControl = Annotated[
    str | None,
    typer.Option(
        "--cache-control-immutable",
        envvar=IMMUTABLE_CACHE_CONTROL_ENV,
        help="Cache-Control of immutable pages (default: public, max-age=31536000, immutable).",
    ),
]
EntryCacheControl = Annotated[
    str | None,
    typer.Option(
        "--cache-control-entry",
        envvar=ENTRY_CACHE_CONTROL_ENV,
        help="Cache-Control of entry files (default depends on whether --purge is set).",
    ),
]


def delivery_settings(
    target: str | None,
    s3_endpoint_url: str | None,
    purge: str | None,
    purge_budget: int | None,
    base_url: str | None,
    cache_control_immutable: str | None,
    cache_control_entry: str | None,
) -> DeliverySettings | None:
    """The options above as one value, None when none is given (the delivery code is imported
    only when one is)."""
    given = (target, s3_endpoint_url, purge, purge_budget, base_url)
    if all(value is None for value in (*given, cache_control_immutable, cache_control_entry)):
        return None
    from wistia_sync.deliver.delivery import DeliverySettings

    return DeliverySettings(
        target=target,
        purge=purge,
        purge_budget=purge_budget,
        base_url=base_url,
        s3_endpoint_url=s3_endpoint_url,
        immutable_cache_control=cache_control_immutable,
        entry_cache_control=cache_control_entry,
    )


def site_delivery_with(
    database: Database, given: DeliverySettings | None, *, quiet: bool
) -> DeliverySettings | None:
    """The site's delivery with what this command's options name merged in
    (``job.site_delivery``), printing its notice unless ``quiet``; None: none at all."""
    from wistia_sync.cli.console import notice
    from wistia_sync.job import site_delivery

    settings, site_notice = site_delivery(database, given)
    if site_notice and not quiet:
        notice(site_notice)
    return settings
