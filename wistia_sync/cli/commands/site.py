"""``wistia-sync site``: show or change the site's publishing and delivery settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import stdout_console
from wistia_sync.cli.options import DURATION, DbPath, Json
from wistia_sync.deliver.purge.kinds import spec_syntax

if TYPE_CHECKING:
    from wistia_sync.publish.seo_settings import SeoInput

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

CLEAR = "'' clears it"


def _stored(option: str, help_text: str, metavar: str | None = None) -> object:
    # No envvar: a variable in the shell of whoever runs `site` must never be stored by it.
    return typer.Option(option, metavar=metavar, help=f"{help_text} ({CLEAR}).", show_default=False)


SetTarget = Annotated[
    str | None,
    _stored(
        "--target", "Where every publish is mirrored next, by every process: s3://bucket/prefix"
    ),
]
SetPurge = Annotated[
    str | None,
    _stored(
        "--purge", f"CDN every publish purges: {spec_syntax()}; secrets stay in the environment"
    ),
]
SetBaseUrl = Annotated[
    str | None,
    _stored("--base-url", "Public URL the output folder is served at (purge URLs, verify)"),
]
SetPurgeBudget = Annotated[
    str | None,
    _stored("--purge-budget", "Purge items allowed a calendar month (UTC)", metavar="N"),
]
SetS3EndpointUrl = Annotated[
    str | None,
    _stored("--s3-endpoint-url", "Endpoint of an S3-compatible store (default: AWS)"),
]
SetImmutableCacheControl = Annotated[
    str | None,
    _stored("--cache-control-immutable", "Cache-Control of immutable pages"),
]
SetEntryCacheControl = Annotated[
    str | None,
    _stored("--cache-control-entry", "Cache-Control of entry files"),
]
SetPurgeDeadline = Annotated[
    str | None,
    _stored(
        "--purge-deadline",
        "How long a delivery's purge calls may take in all; then the paths are owed (default 20s)",
        metavar=DURATION,
    ),
]
SetUploadDeadline = Annotated[
    str | None,
    _stored(
        "--upload-deadline",
        "How long an editor's or the webhook worker's upload may take in all; then the "
        "delivery is owed (default 60s)",
        metavar=DURATION,
    ),
]
SetOrigin = Annotated[
    str | None,
    _stored("--origin", "Public site's origin for search engines: https://example.com"),
]
SetWatchUrl = Annotated[
    str | None,
    _stored(
        "--watch-url",
        "Watch-page URL on the origin, with {slug} (and optionally {hashed_id}): /videos/{slug}",
        metavar="TEMPLATE",
    ),
]
SetWatchPages = Annotated[
    bool | None,
    typer.Option(
        "--watch-pages/--no-watch-pages",
        help="Publish a static HTML watch page per video (watch/<slug>.html); off removes them.",
        show_default=False,
    ),
]
SetIndexNow = Annotated[
    str | None,
    _stored(
        "--indexnow",
        "IndexNow endpoint pinged with changed watch URLs after each delivery "
        "(https://api.indexnow.org/indexnow)",
        metavar="URL",
    ),
]
SetIndexNowBudget = Annotated[
    str | None,
    _stored("--indexnow-budget", "IndexNow URLs allowed a calendar month (UTC)", metavar="N"),
]
SetPingUrl = Annotated[
    str | None,
    _stored("--ping-url", "Healthchecks-style URL every `run` pings (start, success, failure)"),
]


def site_command(
    db: DbPath = Path(config.DEFAULT_DB),
    page_size: SetPageSize = None,
    grace: SetGrace = None,
    takedown_grace: SetTakedownGrace = None,
    preview_page: SetPreviewPage = None,
    preview_title: SetPreviewTitle = None,
    target: SetTarget = None,
    purge: SetPurge = None,
    base_url: SetBaseUrl = None,
    purge_budget: SetPurgeBudget = None,
    s3_endpoint_url: SetS3EndpointUrl = None,
    cache_control_immutable: SetImmutableCacheControl = None,
    cache_control_entry: SetEntryCacheControl = None,
    purge_deadline: SetPurgeDeadline = None,
    upload_deadline: SetUploadDeadline = None,
    ping_url: SetPingUrl = None,
    origin: SetOrigin = None,
    watch_url: SetWatchUrl = None,
    watch_pages: SetWatchPages = None,
    indexnow: SetIndexNow = None,
    indexnow_budget: SetIndexNowBudget = None,
    as_json: Json = False,
) -> None:
    """Show the site's publishing and delivery settings, or change them (cron, every editor and
    the webhook worker share them)."""
    from wistia_sync.publish.settings import change_site_settings, read_site_settings
    from wistia_sync.store.db import open_database

    database = open_database(db)
    delivery = {
        "target": target,
        "purge": purge,
        "base_url": base_url,
        "purge_budget": purge_budget,
        "s3_endpoint_url": s3_endpoint_url,
        "cache_control_immutable": cache_control_immutable,
        "cache_control_entry": cache_control_entry,
        "purge_deadline": _deadline(purge_deadline, "--purge-deadline"),
        "upload_deadline": _deadline(upload_deadline, "--upload-deadline"),
    }
    grace_value = None if grace is None else config.parse_duration(grace, name="--grace")
    takedown_value = (
        None
        if takedown_grace is None
        else config.parse_duration(takedown_grace, name="--takedown-grace")
    )
    changes_delivery = any(value is not None for value in delivery.values())
    if changes_delivery:  # checked before anything is stored: bad input changes nothing
        from wistia_sync.deliver.site import change_site_delivery, check_site_delivery

        check_site_delivery(database, delivery)
    if ping_url:
        from wistia_sync.ops.ping import check_ping_url

        check_ping_url(ping_url)
    seo: SeoInput = {
        "origin": origin,
        "watch_url": watch_url,
        "watch_pages": watch_pages,
        "indexnow": indexnow,
        "indexnow_budget": indexnow_budget,
    }
    if any(value is not None for value in seo.values()):
        from wistia_sync.publish.seo_settings import check_seo_input

        check_seo_input(database, **seo)
    changes = (page_size, grace, takedown_grace, preview_page, preview_title)
    if any(change is not None for change in changes):
        change_site_settings(
            database,
            page_size=page_size,
            grace=grace_value,
            takedown_grace=takedown_value,
            preview_page=preview_page,
            preview_title=preview_title,
        )
    if changes_delivery:
        change_site_delivery(database, delivery)
    if any(value is not None for value in seo.values()):
        from wistia_sync.publish.seo_settings import change_seo_settings

        change_seo_settings(database, **seo)
    from wistia_sync.ops.ping import shown_url, store_ping_url, stored_ping_url

    if ping_url is not None:
        store_ping_url(database, ping_url)
    from wistia_sync.publish.seo_settings import shown_seo_settings

    settings = {**read_site_settings(database), **shown_seo_settings(database)}
    stored_ping = stored_ping_url(database)
    settings["ping_url"] = shown_url(stored_ping) if stored_ping else None
    if as_json:
        stdout_console().print_json(json.dumps(settings))
        return
    for name, value in settings.items():
        shown = "none" if value is None else value
        stdout_console().print(f"{name.replace('_', ' ')}: {shown}", markup=False)


def _deadline(text: str | None, option: str) -> str | float | None:
    """A deadline option in seconds; ``''`` (back to the default) and None pass through."""
    if text is None or not text.strip():
        return text
    return config.parse_duration(text, name=option).total_seconds()
