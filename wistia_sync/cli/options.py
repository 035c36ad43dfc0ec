"""Options shared by several commands, each also settable from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config

# The largest count a command accepts (--limit, --stats-budget): far above any catalog, and well
# inside SQLite's 64-bit integers, so a huge number is a clear usage error (exit 2).
MAX_COUNT = 1_000_000_000

DbPath = Annotated[
    Path,
    typer.Option("--db", envvar=config.DB_ENV, help="SQLite database file.", show_default=True),
]
OutputDir = Annotated[
    Path,
    typer.Option(
        "--output", envvar=config.OUTPUT_ENV, help="Folder the JSON files are published to."
    ),
]
DURATION = "DURATION"  # the metavar of every duration option: 600s, 10m, 24h, 7d (config)


def seconds(text: str, option: str, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    """A duration option's value in seconds; a clear error (exit 2) naming the option."""
    from datetime import timedelta

    bounds = {"minimum": timedelta(seconds=minimum)}
    if maximum is not None:
        bounds["maximum"] = timedelta(seconds=maximum)
    return config.parse_duration(text, name=option, **bounds).total_seconds()


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
NoPublish = Annotated[
    bool,
    typer.Option("--no-publish", help="Change the database only; a later `publish` catches up."),
]
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor", envvar=config.ACTOR_ENV, help="Who to record in the change log (default: login)."
    ),
]
