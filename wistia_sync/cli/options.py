"""Options shared by several commands, each also settable from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config

if TYPE_CHECKING:
    from wistia_sync.catalog.rules import Visibility

# The largest count a command accepts (--limit, --stats-budget): far above any catalog, and well
# inside SQLite's 64-bit integers, so a huge number is a clear usage error (exit 2).
MAX_COUNT = 1_000_000_000


def _refuse_database_in_output(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """Called for ``--db`` and for ``--output``: whichever of a command's pair is parsed second
    checks the pair, before the command runs, so nothing is changed when it is refused."""
    other = {"db": "output", "output": "db"}.get(param.name or "")
    if other is not None and other in ctx.params and not ctx.resilient_parsing:
        pair = (value, ctx.params[other]) if param.name == "db" else (ctx.params[other], value)
        config.check_database_outside_output(*pair)
    return value


DbPath = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=config.DB_ENV,
        help="SQLite database file (never inside the output folder).",
        show_default=True,
        callback=_refuse_database_in_output,
    ),
]
OutputDir = Annotated[
    Path,
    typer.Option(
        "--output",
        envvar=config.OUTPUT_ENV,
        help="Folder the JSON files are published to.",
        callback=_refuse_database_in_output,
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
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Rebuild every file from the database and compare it with the bytes on disk "
        "(files whose bytes are unchanged are left alone).",
    ),
]
AllowMassUnpublish = Annotated[
    bool,
    typer.Option(
        "--allow-mass-unpublish",
        help="Accept a publish that takes more than half of the published videos off the site.",
    ),
]
HiddenOnly = Annotated[bool, typer.Option("--hidden", help="Only hidden videos.")]
PublicOnly = Annotated[bool, typer.Option("--public", help="Only public videos.")]


def visibility_filter(hidden: bool, public: bool) -> Visibility | None:
    """``hidden``, ``public`` or None (both) from a pair of mutually exclusive flags."""
    from wistia_sync.errors import UsageError

    if hidden and public:
        raise UsageError("--hidden and --public cannot be combined; give at most one")
    return "hidden" if hidden else "public" if public else None
