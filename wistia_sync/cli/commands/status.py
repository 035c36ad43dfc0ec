"""``wistia-sync status``: what the database holds, the last runs, what is due."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wistia_sync import config
from wistia_sync.cli.console import stdout_console, terminal_safe
from wistia_sync.cli.options import DURATION, DbPath, Json
from wistia_sync.cli.sync_options import FullEvery

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def status_command(
    db: DbPath = Path(config.DEFAULT_DB),
    full_every: FullEvery = config.DEFAULT_FULL_EVERY,
    run_every: Annotated[
        str,
        typer.Option(
            "--run-every",
            metavar=DURATION,
            help="How often cron or the timer runs `run`: warn when the last successful run "
            "is older than 3 of these.",
        ),
    ] = "10m",
    as_json: Json = False,
) -> None:
    """Show what the database holds, the last runs, and when the next full crawl is due
    (give the `--full-every` your cron's `run` uses)."""
    from wistia_sync.status import database_status
    from wistia_sync.store.db import open_database

    every = config.parse_duration(full_every, name="--full-every")
    interval = config.parse_duration(run_every, name="--run-every")
    report = database_status(open_database(db), every, interval)
    if as_json:
        stdout_console().print_json(json.dumps(report))
        return
    for printable in (_counts_table(db, report), _runs_table(report), *_notes(report)):
        stdout_console().print(printable)


def _cell(value: object) -> Text:
    """Text, not markup: Wistia's words are printed as given."""
    from rich.text import Text

    return Text(terminal_safe(str(value)))


def _counts_table(db: Path, report: dict[str, Any]) -> Table:
    from rich.table import Table

    counts = Table(title=_cell(db), show_header=False, box=None, title_justify="left")
    counts.add_column()
    counts.add_column(justify="right")
    for name, value in report["counts"].items():
        counts.add_row(name.replace("_", " "), f"{value:,}")
    return counts


def _runs_table(report: dict[str, Any]) -> Table:
    from rich.table import Table

    runs = Table(title="last runs", box=None, title_justify="left")
    for column in ("started (UTC)", "mode", "source", "outcome"):
        runs.add_column(column, no_wrap=True)
    for column in ("new", "upd", "arch", "del", "rej", "requests"):
        runs.add_column(column, no_wrap=True, justify="right")
    for run in report["runs"]:
        runs.add_row(
            run["started_at"][:16].replace("T", " "),
            _cell(run["mode"]),
            _cell(run["source"]),
            _cell(run["outcome"]),
            *(
                str(run[k])
                for k in ("new", "updated", "archived", "deleted", "rejected", "requests")
            ),
        )
    return runs


def _notes(report: dict[str, Any]) -> list[Text]:
    """The lines under the tables: errors, rejections, failures, what is due and owed."""
    lines = []
    errors = [run for run in report["runs"] if run["error"]]
    if errors:
        lines.append(f"last error ({errors[0]['started_at']}): {errors[0]['error']}")
    latest = report["runs"][0] if report["runs"] else None
    if latest is not None and latest["warnings"]:
        lines.append(f"last run's {latest['warnings']}")
    lines += [
        f"rejected {rejection['hashed_id']} (last {rejection['last_seen']}): {rejection['reason']}"
        for rejection in report["rejected_media"]
    ]
    if report["media_failures"]["media"]:
        lines.append(media_failures_line(report["media_failures"]))
    if (captions := report.get("captions")) and captions["failing"]:
        retry = captions["next_retry"]
        lines.append(
            f"captions: {captions['failing']:,} videos whose captions or chapters failed on "
            f"every attempt; next retry {retry['hashed_id']} ({retry['failures']} in a row) at "
            f"{retry['retry_at']}: {retry['error']}"
        )
    lines.append(f"next full crawl due: {report['next_full_crawl']}")
    if report["webhooks"] is not None:
        lines.append(webhook_line(report["webhooks"]))
    lines += [delivery_owed_line(owed) for owed in report["deliveries_owed"]]
    lines += [purge_line(purge) for purge in report["purges"]]
    freshness = report["freshness"]
    if freshness["publishes"]:
        lines.append(
            f"publish → served everywhere (last {freshness['publishes']} verified): "
            f"p50 {freshness['p50_seconds']:.1f} s, p95 {freshness['p95_seconds']:.1f} s"
        )
    lines += backup_lines(report["backup"])
    if report["freshness_of_runs"]["warning"]:
        lines.append(report["freshness_of_runs"]["warning"])
    return [_cell(line) for line in lines]


def backup_lines(backup: dict[str, Any]) -> list[str]:
    """The last backup and its age, the last restore drill and its verdict."""
    last, drill = backup["last_backup"], backup["last_drill"]
    if last is None:
        return ["no backup yet: `wistia-sync backup DEST` (see README, Backups)"]
    lines = [
        f"last backup: {last['where']} at {last['at']} ({format_age(last['age_seconds'])}), "
        f"{last['bytes']:,} bytes, change log #{last['change_log_id']}"
    ]
    if drill is None:
        lines.append("no restore drill yet: `wistia-sync backup DEST --verify`")
    else:
        verdict = "passed" if drill["ok"] else "FAILED"
        lines.append(
            f"last restore drill {verdict} at {drill['at']} "
            f"({format_age(drill['age_seconds'])}): {drill['detail']}"
        )
    return lines


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
    """``purges cloudfront E2…: 812 paths in 14 calls this month (2026-12); 3 owed since …``."""
    line = (
        f"purges {purge['provider']}: {purge['items_sent']:,} paths in {purge['calls']:,} "
        f"call{'' if purge['calls'] == 1 else 's'} this month ({purge['month']})"
    )
    if purge["pending"]:
        age = format_age(purge["oldest_pending_age_seconds"])
        line += (
            f"; {purge['pending']:,} paths owed since {purge['oldest_pending']} ({age}), "
            "retried by the next process that delivers"
        )
        if purge["last_error"]:
            line += f" (last error: {purge['last_error']})"
    return line


def delivery_owed_line(owed: dict[str, Any]) -> str:
    """``delivery to s3://b/site/ owed since … (2 h ago, 3 failed attempts, 12 paths), retried
    by the next process that delivers: last error`` (no error: a delivery was interrupted)."""
    attempts, paths = owed["attempts"], owed["paths"]
    done = (
        f"{attempts} failed attempt{'' if attempts == 1 else 's'}"
        if attempts
        else "a delivery was interrupted"
    )
    counted = f", {paths} path{'' if paths == 1 else 's'}" if paths else ""
    line = (
        f"delivery to {owed['target']} owed since {owed['since']} "
        f"({format_age(owed['age_seconds'])}, {done}{counted}), "
        "retried by the next process that delivers"
    )
    return f"{line}: {owed['last_error']}" if owed["last_error"] else line


def format_age(seconds: int | None) -> str:
    """``45 s ago``, ``12 min ago``, ``3 h ago``, ``2 d ago``."""
    if seconds is None:
        return "age unknown"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


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
