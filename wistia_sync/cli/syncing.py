"""``wistia-sync sync`` and ``wistia-sync status``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import stderr, stdout
from wistia_sync.cli.options import DbPath, Json, Quiet

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from sqlite_utils import Database

    from wistia_sync.sync import SyncOptions, SyncSummary
    from wistia_sync.wistia import WistiaClient

TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        help=f"File holding the API token (default: ${config.TOKEN_ENV}).",
        dir_okay=False,
    ),
]
ApiUrl = Annotated[
    str, typer.Option("--api-url", envvar=config.API_URL_ENV, help="Wistia API base URL.")
]
ApiVersion = Annotated[
    str,
    typer.Option(
        "--api-version", envvar=config.API_VERSION_ENV, help="X-Wistia-Api-Version header."
    ),
]
RateLimit = Annotated[
    int,
    typer.Option(
        "--rate-limit",
        min=1,
        help="Requests a minute this process may send (lower it if other tools share the account).",
    ),
]
Full = Annotated[bool, typer.Option("--full", help="Crawl everything, not just recent changes.")]
FullEvery = Annotated[
    str,
    typer.Option("--full-every", help="Crawl everything when the last full crawl is this old."),
]
StatsBudget = Annotated[
    int, typer.Option("--stats-budget", min=0, help="Play counts refreshed per run.")
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
Demo = Annotated[
    bool, typer.Option("--demo", help="Sync the built-in demo catalog instead of Wistia.")
]


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)
    app.command("status")(status_command)


def sync_command(
    db: DbPath = Path(config.DEFAULT_DB),
    token_file: TokenFile = None,
    api_url: ApiUrl = "https://api.wistia.com/modern",
    api_version: ApiVersion = "2026-05",
    rate_limit: RateLimit = 600,
    full: Full = False,
    full_every: FullEvery = "24h",
    stats_budget: StatsBudget = 100,
    allow_mass_delete: AllowMassDelete = False,
    default_visibility: DefaultVisibility = "public",
    demo: Demo = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Mirror the Wistia account (videos, folders, tags, plays) into the database."""
    options = sync_options(full, full_every, stats_budget, allow_mass_delete, default_visibility)
    options.source = "demo" if demo else "wistia"
    with open_client(demo, token_file, api_url, api_version, rate_limit) as client:
        from wistia_sync.db import open_database

        database = open_database(db, verify=True)
        summary = run_sync(database, client, options, quiet=quiet)
    print_summary(summary, quiet=quiet, as_json=as_json)


def sync_options(
    full: bool,
    full_every: str,
    stats_budget: int,
    allow_mass_delete: bool,
    default_visibility: str,
) -> SyncOptions:
    from wistia_sync.errors import UsageError
    from wistia_sync.sync import SyncOptions

    if default_visibility not in ("public", "hidden"):
        raise UsageError(
            f"default visibility must be 'public' or 'hidden', not {default_visibility!r}"
        )
    return SyncOptions(
        full=full,
        full_every=config.parse_duration(full_every),
        stats_budget=stats_budget,
        allow_mass_delete=allow_mass_delete,
        default_visibility="public" if default_visibility == "public" else "hidden",
    )


@contextmanager
def open_client(
    demo: bool, token_file: Path | None, api_url: str, api_version: str, rate_limit: int
) -> Iterator[WistiaClient]:
    """A client for Wistia, or for the in-process demo catalog (no token, no network)."""
    from wistia_sync.wistia import (
        BACKOFF_INITIAL_SECONDS,
        TIMEOUT_SECONDS,
        ClientSettings,
        WistiaClient,
    )

    if demo:
        from wistia_sync.demo import demo_transport

        settings = ClientSettings(token="demo", api_version=api_version, rate_limit=rate_limit)
        client = WistiaClient(settings, transport=demo_transport())
    else:
        token = config.read_token(token_file)
        settings = ClientSettings(
            token=token,
            api_url=api_url,
            api_version=api_version,
            rate_limit=rate_limit,
            timeout=config.seconds_from_env(config.HTTP_TIMEOUT_ENV, TIMEOUT_SECONDS),
            backoff=config.seconds_from_env(config.HTTP_BACKOFF_ENV, BACKOFF_INITIAL_SECONDS),
        )
        client = WistiaClient(settings)
    with client:
        yield client


def run_sync(
    db: Database, client: WistiaClient, options: SyncOptions, *, quiet: bool
) -> SyncSummary:
    from wistia_sync.sync import sync_account

    if quiet or not stderr.is_terminal:
        return sync_account(db, client, options)
    with _progress_display() as display:
        return sync_account(db, client, options, _RichProgress(display))


def print_summary(summary: SyncSummary, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        stdout.print_json(json.dumps(summary.as_dict()))
    elif not quiet:
        stdout.print(summary.line(), markup=False)


@contextmanager
def _progress_display() -> Iterator[RichProgress]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as display:
        yield display


class _RichProgress:
    def __init__(self, display: RichProgress) -> None:
        self._display = display
        self._task: object = None

    def phase(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            self._display.update(self._task, visible=False)  # type: ignore[arg-type]
        self._task = self._display.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._display.advance(self._task, amount)  # type: ignore[arg-type]


def status_command(db: DbPath = Path(config.DEFAULT_DB), as_json: Json = False) -> None:
    """Show what the database holds, the last runs, and when the next full crawl is due."""
    from wistia_sync.db import open_database
    from wistia_sync.status import database_status

    report = database_status(open_database(db))
    if as_json:
        stdout.print_json(json.dumps(report))
        return
    from rich.table import Table

    counts = Table(title=f"{db}", show_header=False, box=None, title_justify="left")
    counts.add_column()
    counts.add_column(justify="right")
    for name, value in report["counts"].items():
        counts.add_row(name.replace("_", " "), f"{value:,}")
    stdout.print(counts)
    runs = Table(title="last runs", box=None, title_justify="left")
    for column in ("started (UTC)", "mode", "source", "outcome"):
        runs.add_column(column, no_wrap=True)
    for column in ("new", "upd", "arch", "del", "requests"):
        runs.add_column(column, no_wrap=True, justify="right")
    for run in report["runs"]:
        runs.add_row(
            run["started_at"][:16].replace("T", " "),
            run["mode"],
            run["source"],
            run["outcome"],
            *(str(run[k]) for k in ("new", "updated", "archived", "deleted", "requests")),
        )
    stdout.print(runs)
    for run in report["runs"]:
        if run["error"]:
            stdout.print(f"last error ({run['started_at']}): {run['error']}", markup=False)
            break
    stdout.print(f"next full crawl due: {report['next_full_crawl']}", markup=False)
