"""``wistia-sync publish`` and ``wistia-sync run`` (what cron calls)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli import syncing
from wistia_sync.cli.console import stdout
from wistia_sync.cli.options import DbPath, Json, OutputDir, PageSize, Quiet

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish import PublishResult

Force = Annotated[bool, typer.Option("--force", help="Rewrite every file, changed or not.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")]


def publish_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    page_size: PageSize = 100,
    force: Force = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Regenerate the JSON playlists in the output folder from the database."""
    from wistia_sync.db import open_database

    result = publish(
        open_database(db), db, output, page_size=page_size, force=force, dry_run=dry_run
    )
    print_publish_result(result, quiet=quiet, as_json=as_json)


def publish(
    database: Database,
    db_path: Path,
    output: Path,
    *,
    page_size: int = 100,
    force: bool = False,
    dry_run: bool = False,
) -> PublishResult:
    from wistia_sync.db import content_version, record_published_version
    from wistia_sync.errors import WistiaSyncError
    from wistia_sync.lock import publish_lock_path
    from wistia_sync.publish import publish_playlists

    version = content_version(database)  # read first: the publish sees this state or a newer one
    try:
        result = publish_playlists(
            database,
            output,
            lock_path=publish_lock_path(db_path),
            page_size=page_size,
            force=force,
            dry_run=dry_run,
        )
    except OSError as error:  # a full disk, a read-only or vanished folder
        where = f" ({error.filename})" if error.filename else ""
        raise WistiaSyncError(
            f"cannot publish to {output}: {error.strerror or error}{where}; every file there "
            "is still complete (old or new), and the next publish catches up"
        ) from error
    if not dry_run:
        record_published_version(database, version)
    return result


def print_publish_result(result: PublishResult, *, quiet: bool, as_json: bool) -> None:
    if as_json:
        stdout.print_json(
            json.dumps(
                {
                    "written": result.written,
                    "removed": result.removed,
                    "unchanged": result.unchanged,
                    "dry_run": result.dry_run,
                }
            )
        )
    elif not quiet:
        stdout.print(result.summary(), markup=False)


def run_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    token_file: syncing.TokenFile = None,
    api_url: syncing.ApiUrl = "https://api.wistia.com/modern",
    api_version: syncing.ApiVersion = "2026-05",
    rate_limit: syncing.RateLimit = 600,
    full: syncing.Full = False,
    full_every: syncing.FullEvery = "24h",
    stats_budget: syncing.StatsBudget = 100,
    allow_mass_delete: syncing.AllowMassDelete = False,
    default_visibility: syncing.DefaultVisibility = "public",
    demo: syncing.Demo = False,
    page_size: PageSize = 100,
    force: Force = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Sync, then republish what changed. Exits 75 at once if another run holds the lock."""
    from wistia_sync.db import open_database, output_behind
    from wistia_sync.lock import hold_lock, run_lock_path
    from wistia_sync.publish import output_is_stale

    options = syncing.sync_options(
        full, full_every, stats_budget, allow_mass_delete, default_visibility
    )
    options.source = "demo" if demo else "wistia"
    with hold_lock(run_lock_path(db), wait=False):
        database = open_database(db)
        sync_error: Exception | None = None
        summary = None
        try:
            with syncing.open_client(
                demo, token_file, api_url, api_version, rate_limit, quiet=quiet
            ) as client:
                summary = syncing.run_sync(database, client, options, quiet=quiet)
        except Exception as error:
            # Whatever failed (Wistia, a record, a bug), the site must not stay stale: an
            # archived or deleted video already recorded must leave it. Republish from the last
            # good database, then report the failure.
            sync_error = error
        result = None
        # output_behind: any change to published content not yet published, whether this sync,
        # an earlier run (killed, or whose publish failed) or an editor's --no-publish made it;
        # output_is_stale: files deleted or edited by hand.
        if force or output_behind(database) or output_is_stale(database, output):
            result = publish(database, db, output, page_size=page_size, force=force)
        if sync_error is not None:
            if result is not None and result.changed and not quiet:
                stdout.print(f"republished from the last good database: {result.summary()}")
            raise sync_error
    assert summary is not None
    if as_json:
        data = summary.as_dict()
        data["publish"] = (
            None
            if result is None
            else {
                "written": len(result.written),
                "removed": len(result.removed),
                "unchanged": result.unchanged,
            }
        )
        stdout.print_json(json.dumps(data))
    elif not quiet:
        stdout.print(summary.line(), markup=False)
        stdout.print(result.summary() if result else "output up to date", markup=False)
