"""What processes that publish run: ``publish_and_deliver``, the one path from a change in the
database to the edge (local files, then the target and CDN), and ``run_job``, what cron runs:
lock → sync → publish when behind → deliver.

A failed sync (Wistia down, a token rejected, a record or a bug nobody foresaw) must not leave
the site stale: an archived or deleted video already recorded must leave it. The job still
republishes from the last good database when the output is behind, and hands the error back
with the report so the caller can say both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.config import DELIVERY_ENV, check_database_outside_output
from wistia_sync.errors import ConfigError, PublishAborted
from wistia_sync.publish import (
    PublishResult,
    output_is_stale,
    publish_due,
    publish_site,
    sweep_output,
)
from wistia_sync.publish.settings import site_delivers
from wistia_sync.store.db import check_database_path, database_file, open_database
from wistia_sync.store.lock import hold_lock, publish_lock_path, run_lock_path

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.deliver.delivery import DeliveryReport, DeliverySettings
    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import WistiaClient

ClientFactory = Callable[[], AbstractContextManager["WistiaClient"]]
Syncer = Callable[["Database", "WistiaClient", "SyncOptions"], "SyncSummary"]


class JobReport:
    """What a run did: the sync's summary (or its error) and the publish (None: up to date)."""

    __slots__ = (
        "delivery",
        "delivery_notice",
        "delivery_settings",
        "publish",
        "sync",
        "sync_error",
    )

    def __init__(
        self,
        sync: SyncSummary | None,
        sync_error: Exception | None,
        publish: PublishResult | None,
        delivery: DeliveryReport | None = None,
        delivery_settings: DeliverySettings | None = None,
        delivery_notice: str | None = None,
    ) -> None:
        self.sync = sync
        self.sync_error = sync_error
        self.publish = publish
        self.delivery = delivery  # None: no target or purge configured
        self.delivery_settings = delivery_settings  # what this run delivered with
        self.delivery_notice = delivery_notice  # an option the site does not store (deliver.site)


class Published:
    """What ``publish_and_deliver`` did: the publish (None: none was due) and the delivery
    (None: no target or purge configured, or a dry run)."""

    __slots__ = ("delivery", "publish")

    def __init__(self, publish: PublishResult | None, delivery: DeliveryReport | None) -> None:
        self.publish = publish
        self.delivery = delivery


def publish_and_deliver(
    db: Database,
    output: Path,
    *,
    delivery: DeliverySettings | None = None,
    due: bool = True,
    sweep: bool = False,
    force: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    allow_mass_unpublish: bool = False,
    reconcile_when_due: bool = False,
) -> Published:
    """Publish ``db`` to ``output``, then deliver it to the target and CDN ``delivery`` names
    (None: the site's delivery, as ``wistia-sync site`` stores it).

    Every process that publishes comes through here: ``run``, ``publish``, each editor command
    and the webhook worker. The publish holds the lock file beside the database's file, which
    every process using that file agrees on; a database (or its lock files) inside ``output`` is
    refused, since it would be published.

    ``due=False`` skips the publish (nothing is behind) but still delivers, so a delivery that
    failed last time converges. ``sweep`` also removes what interrupted publishes left, as
    cron's run does (a full publish sweeps by itself). ``reconcile_when_due`` also compares the
    bucket with a listing of it when the last such check is a day old, as cron's run does. A
    delivery or purge that failed does not raise: ``.delivery.owed()`` says what is owed (the
    CLI exits 3 with it).
    """
    database = Path(database_file(db))
    if not database.is_absolute():  # ":memory:" or a temporary database: no file to lock beside
        raise ConfigError(f"cannot publish {database}: the database must be a file")
    check_database_outside_output(database, output)
    lock_path = publish_lock_path(database)
    result = None
    if due:
        result = publish_site(
            db,
            output,
            lock_path=lock_path,
            force=force,
            dry_run=dry_run,
            repair=repair,
            allow_mass_unpublish=allow_mass_unpublish,
        )
    if sweep and (result is None or not result.full):
        sweep_output(db, output, lock_path=lock_path)
    if delivery is None:
        delivery = site_delivery(db)[0]
    delivered = None
    if delivery is not None and delivery.configured:
        from wistia_sync.deliver.delivery import deliver_publish

        delivered = deliver_publish(
            output, db, delivery, result, reconcile="when-due" if reconcile_when_due else False
        )
    return Published(result, delivered)


def site_delivery(
    db: Database,
    given: DeliverySettings | None = None,
    *,
    environment: bool = False,
    interactive: bool = False,
) -> tuple[DeliverySettings | None, str | None]:
    """The delivery this process uses and a notice to print (None: nothing to say).

    It is the site's (``wistia-sync site --target … --purge …``), with what the process names
    itself (``given``, or with ``environment`` the ``WISTIA_SYNC_TARGET``… variables) merged in
    by ``deliver.site.resolve_delivery``: a setting the site lacks is used with a notice, one
    that differs from the site's is a ``UsageError``. ``interactive`` (an editor, the webhook
    worker) bounds the upload by the site's deadline too. When neither the site nor the
    process names a target or purge, no delivery code is imported: editors feel start-up.
    """
    if given is None and environment and any(os.environ.get(name) for name in DELIVERY_ENV):
        from wistia_sync.deliver.delivery import DeliverySettings

        given = DeliverySettings.from_environment()
    if given is None and not site_delivers(db):
        return None, None
    from wistia_sync.deliver.site import resolve_delivery

    resolved = resolve_delivery(db, given, interactive=interactive)
    return resolved.settings, resolved.notice


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
    started: Callable[[], None] | None = None,
) -> JobReport:
    """Sync, then publish what is behind. Raises ``LockHeld`` at once if another run holds the lock.

    ``started`` is called once the run lock is held (``run --ping-url``'s start signal).

    The whole-file integrity check runs here (once per run), not on every editor command. Like
    ``sync``, a run creates the database when no file is at ``db_path``.
    """
    from wistia_sync.sync.account import sync_account

    sync = sync or sync_account
    check_database_outside_output(db_path, output)
    check_database_path(db_path, create=True)  # before the lock file is made beside it
    with hold_lock(run_lock_path(db_path), wait=False):
        if started is not None:
            started()
        db = open_database(db_path, verify=True, create=True)
        delivery, notice = site_delivery(db, delivery)  # before the sync: bad input changes nothing
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
        stale = output_is_stale(db, output)
        try:
            published = publish_and_deliver(
                db,
                output,
                delivery=delivery,
                due=force or stale or publish_due(db, output, check_files=False),
                sweep=True,
                force=force,
                repair=stale,
                allow_mass_unpublish=allow_mass_unpublish,
                reconcile_when_due=True,
            )
        except PublishAborted as aborted:
            if sync_error is None:
                raise
            # Both matter: a sync that failed may be why the database holds so little.
            raise PublishAborted(f"{aborted}; the sync failed too: {sync_error}") from aborted
    return JobReport(summary, sync_error, published.publish, published.delivery, delivery, notice)
