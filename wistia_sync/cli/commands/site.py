"""``wistia-sync site``: show or change the site's publishing settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import stdout_console
from wistia_sync.cli.options import DURATION, DbPath, Json

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
