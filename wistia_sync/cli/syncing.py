"""``wistia-sync sync`` and ``wistia-sync status``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wistia_sync import config
from wistia_sync.cli.console import (
    notice,
    stderr_console,
    stderr_is_terminal,
    stdout_console,
    terminal_safe,
)
from wistia_sync.cli.options import DURATION, MAX_COUNT, DbPath, Json, Quiet

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from sqlite_utils import Database

    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import WistiaClient

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
        max=MAX_COUNT,
        help="Requests a minute this process may send (lower it if other tools share the account).",
    ),
]
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
# What the demo client sends as its token. Every client's token is redacted from messages, so it
# must be a string no message contains ("demo" would turn "--demo" into "--***").
DEMO_TOKEN = "wistia-sync-demo-catalog-token"

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
    allow_mass_delete: AllowMassDelete = False,
    default_visibility: DefaultVisibility = "public",
    demo: Demo = False,
    media: Media = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Mirror the Wistia account (videos, folders, tags, plays) into the database."""
    options = sync_options(full, full_every, stats_budget, allow_mass_delete, default_visibility)
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


def sync_options(
    full: bool,
    full_every: str,
    stats_budget: int,
    allow_mass_delete: bool,
    default_visibility: str,
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
        allow_mass_delete=allow_mass_delete,
        default_visibility="public" if default_visibility == "public" else "hidden",
    )


@contextmanager
def open_client(
    demo: bool,
    token_file: Path | None,
    api_url: str,
    api_version: str,
    rate_limit: int,
    *,
    quiet: bool = False,
) -> Iterator[WistiaClient]:
    """A client for Wistia, or for the in-process demo catalog (no token, no network).

    Every setting is checked first: a mistake in one is a configuration error (exit 2), never
    five failed requests reported as "Wistia is unavailable".
    """
    from wistia_sync.wistia.client import (
        BACKOFF_INITIAL_SECONDS,
        MAX_RESPONSE_BYTES,
        TIMEOUT_SECONDS,
        ClientSettings,
        WistiaClient,
    )

    config.check_api_version(api_version)
    if demo:
        from wistia_sync.demo import demo_transport

        settings = ClientSettings(token=DEMO_TOKEN, api_version=api_version, rate_limit=rate_limit)
        client = WistiaClient(settings, transport=demo_transport())
    else:
        token = config.read_token(token_file)
        warning = config.token_file_warning(token_file) if token_file is not None else None
        if warning is not None:
            notice(warning)  # printed even with --quiet, as ssh does: it is about the secret
        settings = ClientSettings(
            token=token,
            api_url=config.check_api_url(api_url),
            api_version=api_version,
            rate_limit=rate_limit,
            timeout=config.seconds_from_env(config.HTTP_TIMEOUT_ENV, TIMEOUT_SECONDS),
            backoff=config.seconds_from_env(config.HTTP_BACKOFF_ENV, BACKOFF_INITIAL_SECONDS),
            max_response_bytes=config.count_from_env(
                config.MAX_RESPONSE_BYTES_ENV, MAX_RESPONSE_BYTES
            ),
        )
        client = WistiaClient(settings)
    with client:
        yield client


def run_sync(
    db: Database, client: WistiaClient, options: SyncOptions, *, quiet: bool
) -> SyncSummary:
    from wistia_sync.cli.console import notice
    from wistia_sync.sync.account import sync_account

    if quiet or not stderr_is_terminal():
        summary = sync_account(db, client, options)
    else:
        with _progress_display() as display:
            summary = sync_account(db, client, options, _RichProgress(display))
    # One line for everything repaired or rejected; --quiet leaves it to `status`, except media
    # whose requests keep failing: cron mail must hear of those.
    warning = summary.warning_line() if not quiet else summary.persistent_failures_line()
    if warning is not None:
        notice(warning)
    return summary


def print_summary(summary: SyncSummary, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        stdout_console().print_json(json.dumps(summary.as_dict()))
    elif not quiet:
        stdout_console().print(summary.line(), markup=False)


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
        console=stderr_console(),
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


def status_command(
    db: DbPath = Path(config.DEFAULT_DB),
    full_every: FullEvery = config.DEFAULT_FULL_EVERY,
    as_json: Json = False,
) -> None:
    """Show what the database holds, the last runs, and when the next full crawl is due
    (give the `--full-every` your cron's `run` uses)."""
    from wistia_sync.status import database_status
    from wistia_sync.store.db import open_database

    every = config.parse_duration(full_every, name="--full-every")
    report = database_status(open_database(db), every)
    if as_json:
        stdout_console().print_json(json.dumps(report))
        return
    from rich.table import Table
    from rich.text import Text

    def cell(value: object) -> Text:  # Text, not markup: Wistia's words are printed as given
        return Text(terminal_safe(str(value)))

    counts = Table(title=cell(db), show_header=False, box=None, title_justify="left")
    counts.add_column()
    counts.add_column(justify="right")
    for name, value in report["counts"].items():
        counts.add_row(name.replace("_", " "), f"{value:,}")
    stdout_console().print(counts)
    runs = Table(title="last runs", box=None, title_justify="left")
    for column in ("started (UTC)", "mode", "source", "outcome"):
        runs.add_column(column, no_wrap=True)
    for column in ("new", "upd", "arch", "del", "rej", "requests"):
        runs.add_column(column, no_wrap=True, justify="right")
    for run in report["runs"]:
        runs.add_row(
            run["started_at"][:16].replace("T", " "),
            cell(run["mode"]),
            cell(run["source"]),
            cell(run["outcome"]),
            *(
                str(run[k])
                for k in ("new", "updated", "archived", "deleted", "rejected", "requests")
            ),
        )
    stdout_console().print(runs)
    for run in report["runs"]:
        if run["error"]:
            stdout_console().print(cell(f"last error ({run['started_at']}): {run['error']}"))
            break
    latest = report["runs"][0] if report["runs"] else None
    if latest is not None and latest["warnings"]:
        stdout_console().print(cell(f"last run's {latest['warnings']}"))
    for rejection in report["rejected_media"]:
        stdout_console().print(
            cell(
                f"rejected {rejection['hashed_id']} (last {rejection['last_seen']}): "
                f"{rejection['reason']}"
            )
        )
    failing = report["media_failures"]
    if failing["media"]:
        stdout_console().print(cell(media_failures_line(failing)))
    stdout_console().print(f"next full crawl due: {report['next_full_crawl']}", markup=False)
    if report["webhooks"] is not None:
        stdout_console().print(webhook_line(report["webhooks"]), markup=False)
    for purge in report["purges"]:
        stdout_console().print(cell(purge_line(purge)))
    freshness = report["freshness"]
    if freshness["publishes"]:
        stdout_console().print(
            f"publish → served everywhere (last {freshness['publishes']} verified): "
            f"p50 {freshness['p50_seconds']:.1f} s, p95 {freshness['p95_seconds']:.1f} s",
            markup=False,
        )


def media_failures_line(failing: dict[str, Any]) -> str:
    """``backing off: 2 media (1 stats, 1 deletion check); next retry 5kd0… (stats) at …``."""
    retry = failing["next_retry"]
    parts = [
        f"{failing['stats']:,} stats" if failing["stats"] else "",
        f"{failing['deletion_checks']:,} deletion check"
        f"{'' if failing['deletion_checks'] == 1 else 's'}"
        if failing["deletion_checks"]
        else "",
    ]
    what = "stats" if retry["endpoint"] == "stats" else "deletion check"
    return (
        f"backing off: {failing['media']:,} media whose requests failed on every attempt "
        f"({', '.join(p for p in parts if p)}); next retry {retry['hashed_id']} ({what}, "
        f"{retry['failures']} failure{'' if retry['failures'] == 1 else 's'}) at "
        f"{retry['retry_at']}: {retry['error']}"
    )


def purge_line(purge: dict[str, Any]) -> str:
    """``purges cloudfront:E2…: 812 paths in 14 calls this month (2026-12); 3 owed since …``."""
    line = (
        f"purges {purge['provider']}: {purge['items_sent']:,} paths in {purge['calls']:,} "
        f"call{'' if purge['calls'] == 1 else 's'} this month ({purge['month']})"
    )
    if purge["pending"]:
        line += f"; {purge['pending']:,} owed since {purge['oldest_pending']}, retried next publish"
        if purge["last_error"]:
            line += f" (last error: {purge['last_error']})"
    return line


def webhook_line(inbox: dict[str, Any]) -> str:
    """``webhooks: 1,204 received, 0 pending, 3 failed; last media.updated at …; p50 0.6 s``."""
    last = inbox["last_event"]
    line = (
        f"webhooks: {inbox['received']:,} received, {inbox['pending']:,} pending, "
        f"{inbox['failed']:,} failed, {inbox['ignored']:,} ignored; "
        f"last {last['type']} at {last['received_at']}"
    )
    latency = inbox["latency_seconds"]
    if latency is not None:
        line += f"; event → published p50 {latency['p50']:.1f} s, p95 {latency['p95']:.1f} s"
    if unconfirmed := inbox["unconfirmed_deletions"]:
        deletions = "deletion" if unconfirmed == 1 else "deletions"
        line += (
            f"\n{unconfirmed:,} reported {deletions} not yet confirmed with Wistia "
            "(the next run asks)"
        )
    if inbox["last_error"] and (inbox["pending"] or inbox["failed"]):
        line += f"\nlast webhook error: {inbox['last_error']}"
    return line
