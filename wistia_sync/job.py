"""``run_job``: what cron runs, as a library function: lock → sync → publish when behind.

A failed sync (Wistia down, a token rejected, a record or a bug nobody foresaw) must not leave
the site stale: an archived or deleted video already recorded must leave it. The job still
republishes from the last good database when the output is behind, and hands the error back
with the report so the caller can say both.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.config import check_database_outside_output
from wistia_sync.errors import PublishAborted
from wistia_sync.publish import (
    PublishResult,
    output_is_stale,
    publish_due,
    publish_site,
    sweep_output,
)
from wistia_sync.store.db import check_database_path, open_database
from wistia_sync.store.lock import hold_lock, publish_lock_path, run_lock_path

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.deliver.delivery import DeliveryReport, DeliverySettings
    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import WistiaClient

ClientFactory = Callable[[], AbstractContextManager["WistiaClient"]]
Syncer = Callable[["Database", "WistiaClient", "SyncOptions"], "SyncSummary"]


@dataclass(frozen=True)
class JobReport:
    """What a run did: the sync's summary (or its error) and the publish (None: up to date)."""

    sync: SyncSummary | None
    sync_error: Exception | None
    publish: PublishResult | None
    delivery: DeliveryReport | None = None  # None: no target or purge configured


def publish_database(
    db: Database,
    db_path: Path,
    output: Path,
    *,
    force: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    allow_mass_unpublish: bool = False,
) -> PublishResult:
    """``publish_site`` with the lock file every process using ``db_path`` agrees on.

    A database (or its lock files) inside ``output`` is refused: it would be published.
    """
    check_database_outside_output(db_path, output)
    return publish_site(
        db,
        output,
        lock_path=publish_lock_path(db_path),
        force=force,
        dry_run=dry_run,
        repair=repair,
        allow_mass_unpublish=allow_mass_unpublish,
    )


def run_job(
    db_path: Path,
    output: Path,
    *,
    open_client: ClientFactory,
    options: SyncOptions,
    sync: Syncer | None = None,
    force: bool = False,
    delivery: DeliverySettings | None = None,
    allow_mass_unpublish: bool = False,
) -> JobReport:
    """Sync, then publish what is behind. Raises ``LockHeld`` at once if another run holds the lock.

    The whole-file integrity check runs here (once per run), not on every editor command. Like
    ``sync``, a run creates the database when no file is at ``db_path``.
    """
    from wistia_sync.sync.account import sync_account

    sync = sync or sync_account
    check_database_outside_output(db_path, output)
    check_database_path(db_path, create=True)  # before the lock file is made beside it
    with hold_lock(run_lock_path(db_path), wait=False):
        db = open_database(db_path, verify=True, create=True)
        summary = None
        sync_error = None
        try:
            with open_client() as client:
                summary = sync(db, client, options)
                # Deletions a webhook reported that its worker could not confirm: a request
                # each, so the video leaves the site at this run (`status` counts what is left).
                from wistia_sync.webhooks.deletions import confirm_reported_deletions

                confirm_reported_deletions(db, client, options)
        except Exception as error:
            sync_error = error
        result = None
        stale = output_is_stale(db, output)
        if force or stale or publish_due(db, output, check_files=False):
            try:
                result = publish_database(
                    db,
                    db_path,
                    output,
                    force=force,
                    repair=stale,
                    allow_mass_unpublish=allow_mass_unpublish,
                )
            except PublishAborted as aborted:
                if sync_error is None:
                    raise
                # Both matter: a sync that failed may be why the database holds so little.
                raise PublishAborted(f"{aborted}; the sync failed too: {sync_error}") from aborted
        if result is None or not result.full:  # a full publish swept already
            sweep_output(db, output, lock_path=publish_lock_path(db_path))
        delivered = None
        if delivery is not None and delivery.configured:
            from wistia_sync.deliver.delivery import deliver_publish

            delivered = deliver_publish(output, db, delivery, result)
    return JobReport(summary, sync_error, result, delivered)
