"""``wistia-sync sync``: mirror the Wistia account into the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.client import ApiUrl, ApiVersion, Demo, RateLimit, TokenFile, open_client
from wistia_sync.cli.console import stdout_console
from wistia_sync.cli.options import DbPath, Json, Quiet
from wistia_sync.cli.progress import run_sync
from wistia_sync.cli.sync_options import (
    AllowMassDelete,
    CaptionsBudget,
    DefaultVisibility,
    Full,
    FullEvery,
    StatsBudget,
    sync_options,
)

if TYPE_CHECKING:
    from wistia_sync.sync.summary import SyncSummary

Media = Annotated[
    list[str] | None,
    typer.Option(
        "--media",
        help="Refresh only this media now (a hashed id; repeat the option, or separate by commas).",
    ),
]


def sync_command(
    db: DbPath = Path(config.DEFAULT_DB),
    token_file: TokenFile = None,
    api_url: ApiUrl = config.DEFAULT_API_URL,
    api_version: ApiVersion = config.DEFAULT_API_VERSION,
    rate_limit: RateLimit = 600,
    full: Full = False,
    full_every: FullEvery = config.DEFAULT_FULL_EVERY,
    stats_budget: StatsBudget = 100,
    captions_budget: CaptionsBudget = 200,
    allow_mass_delete: AllowMassDelete = False,
    default_visibility: DefaultVisibility = "public",
    demo: Demo = False,
    media: Media = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Mirror the Wistia account (videos, folders, tags, plays) into the database."""
    options = sync_options(
        full, full_every, stats_budget, allow_mass_delete, default_visibility, captions_budget
    )
    options.source = "demo" if demo else "wistia"
    hashed_ids = media_ids(media) if media is not None else None
    if hashed_ids is not None and full:
        from wistia_sync.errors import UsageError

        raise UsageError("--media refreshes only the media named; it cannot be --full")
    with open_client(demo, token_file, api_url, api_version, rate_limit, quiet=quiet) as client:
        from wistia_sync.store.db import open_database

        # A crawl checks the whole file and may start a new database; a targeted refresh stays
        # as quick as an editor's and, like one, needs the database to exist.
        crawl = hashed_ids is None
        database = open_database(db, verify=crawl, create=crawl)
        if hashed_ids is None:
            summary = run_sync(database, client, options, quiet=quiet)
        else:
            from wistia_sync.sync.media import refresh_media

            summary = refresh_media(database, client, hashed_ids, options, confirm_unknown=True)
    print_summary(summary, quiet=quiet, as_json=as_json)
    if summary.not_found:
        raise_not_found(summary.not_found, len(set(hashed_ids or ())))


def raise_not_found(not_found: list[str], asked: int) -> None:
    """``sync --media`` named media Wistia does not have: a typo must not pass for success.

    Exit 2 (bad input, nothing changed) when it named nothing else; exit 1 when the others were
    refreshed, as for any run that did only part of its work."""
    from wistia_sync.errors import UsageError, WistiaSyncError

    names = ", ".join(not_found)
    refreshed = asked - len(not_found)
    if not refreshed:
        raise UsageError(f"Wistia has no media {names}")
    raise WistiaSyncError(f"Wistia has no media {names} ({refreshed} other media refreshed)")


def media_ids(values: list[str]) -> list[str]:
    """The hashed ids of ``--media`` values; an error naming the first that cannot be one."""
    from wistia_sync.errors import UsageError
    from wistia_sync.wistia.records import is_hashed_id

    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not ids:
        raise UsageError("--media needs at least one hashed id")
    for hashed_id in ids:
        if not is_hashed_id(hashed_id):
            raise UsageError(f"{hashed_id!r} is not a Wistia hashed id (letters and digits)")
    return ids


def print_summary(summary: SyncSummary, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        stdout_console().print_json(json.dumps(summary.as_dict()))
    elif not quiet:
        stdout_console().print(summary.line(), markup=False)
