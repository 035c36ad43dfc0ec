"""Options for where a publish is delivered and which CDN is purged, shared by every publishing
command (``run``, ``publish`` and the editor commands); each is also an environment variable so
cron and editors agree without repeating them. See the README's "Serving" section.
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
        envvar=S3_ENDPOINT_ENV,
        help="Endpoint of an S3-compatible store (default: AWS).",
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
) -> DeliverySettings:
    """The options above as one value (imports the delivery code: only when one is given)."""
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
