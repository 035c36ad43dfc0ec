"""What a sync does, as options: shared by ``sync``, ``run``, ``status`` and ``webhook serve``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.options import DURATION, MAX_COUNT

if TYPE_CHECKING:
    from wistia_sync.sync.summary import SyncOptions

Full = Annotated[bool, typer.Option("--full", help="Crawl everything, not just recent changes.")]
FullEvery = Annotated[
    str,
    typer.Option(
        "--full-every",
        metavar=DURATION,
        help="Crawl everything when the last full crawl is this old (600s, 10m, 24h, 7d).",
    ),
]
StatsBudget = Annotated[
    int,
    typer.Option("--stats-budget", min=0, max=MAX_COUNT, help="Play counts refreshed per run."),
]
CaptionsBudget = Annotated[
    int,
    typer.Option(
        "--captions-budget",
        min=0,
        max=MAX_COUNT,
        help="Videos whose captions and chapters are read per run (two requests each).",
    ),
]
AllowMassDelete = Annotated[
    bool,
    typer.Option(
        "--allow-mass-delete",
        help="Accept that more than half of the known media vanished from Wistia.",
    ),
]
DefaultVisibility = Annotated[
    str,
    typer.Option(
        "--default-visibility",
        envvar=config.DEFAULT_VISIBILITY_ENV,
        help="Visibility of newly seen videos: public or hidden.",
    ),
]


def sync_options(
    full: bool,
    full_every: str,
    stats_budget: int,
    allow_mass_delete: bool,
    default_visibility: str,
    captions_budget: int = 0,
) -> SyncOptions:
    from wistia_sync.errors import UsageError
    from wistia_sync.sync.summary import SyncOptions

    if default_visibility not in ("public", "hidden"):
        raise UsageError(
            f"default visibility must be 'public' or 'hidden', not {default_visibility!r}"
        )
    return SyncOptions(
        full=full,
        full_every=config.parse_duration(full_every, name="--full-every"),
        stats_budget=stats_budget,
        captions_budget=captions_budget,
        allow_mass_delete=allow_mass_delete,
        default_visibility="public" if default_visibility == "public" else "hidden",
        ask_media_count=True,
    )
