"""After each local publish: mirror the output to the target, then purge the CDN.

The local output folder is always written first and is the source of truth. ``deliver`` is what
every publishing path calls next (``run``, ``publish``, the editor commands, a script):

1. with an ``s3://`` target, make the bucket equal the folder (see ``deliver.s3``), one delivery
   to a target at a time (a lock per target beside the database: a second waits at most
   ``deliver.intents.DELIVERY_LOCK_WAIT_SECONDS``, then exits 75); a failure raises
   :class:`~wistia_sync.deliver.targets.TargetError`, and what it set out to change stays owed
   in the database (``deliver.intents``) until a delivery completes it;
2. with a purge provider, purge the entry files that changed (those the publisher reports, plus
   those the mirror uploaded or removed, plus any an earlier purge still owes). A purge failure
   is reported in the result, remembered, and retried next time; it never raises.

A failed mirror does not raise either: it is recorded in ``delivery_owed`` (``status`` shows its
age; the webhook worker retries it), the paths to purge are recorded as owed without purging
(the CDN would only cache the old files again), and the report's ``owed`` line says so; callers
exit with ``DeliveryOwed``'s code (3). Both the upload and the purge have a total deadline
(``upload_deadline``, ``purge_deadline``), after which the work is owed, not lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wistia_sync.config import (
    BASE_URL_ENV,
    ENTRY_CACHE_CONTROL_ENV,
    IMMUTABLE_CACHE_CONTROL_ENV,
    PURGE_BUDGET_ENV,
    PURGE_ENV,
    TARGET_ENV,
)
from wistia_sync.contract.cache_policy import cache_policy
from wistia_sync.contract.filelist import FileListError, read_local_index
from wistia_sync.contract.layout import FILES_PATH, SAFE_PATH, cache_class
from wistia_sync.deliver.purge.kinds import provider_label
from wistia_sync.deliver.purge.providers import PurgeProvider, check_base_url, make_provider
from wistia_sync.deliver.purge.purger import PurgeReport, purge_changed
from wistia_sync.deliver.targets import S3Location, TargetError, parse_target
from wistia_sync.redaction import redact
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from sqlite_utils import Database

    from wistia_sync.deliver.s3 import UploadReport
    from wistia_sync.publish import PublishResult

# Reconcile with a listing of the bucket: always, when the last is a day old (``run``), or only
# when the bucket's file list is missing or unreadable.
Reconcile = bool | Literal["when-due"]


@dataclass
class DeliveryReport:
    target: str
    upload: UploadReport | None = None
    purge: PurgeReport | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # the mirror failed: the delivery to the target is owed
    owed_purges: int = 0  # paths recorded as owed without purging, after a failed mirror

    def owed(self) -> str | None:
        """One line on what is owed (None: nothing): the local publish stands, and the next
        process that delivers retries it."""
        retry = "the next run (or any command that delivers) retries it"
        if self.error is not None:
            purges = f", and {self.owed_purges} purge paths" if self.owed_purges else ""
            return f"published locally, but the delivery is owed{purges} ({self.error}); {retry}"
        if self.purge is not None and self.purge.error is not None:
            where = "" if self.upload is None else f" and delivered to {self.target}"
            return (
                f"published locally{where}, but the purge via {self.purge.provider} is owed "
                f"for {self.purge.pending} paths ({self.purge.error}); {retry}"
            )
        return None

    def lines(self) -> list[str]:
        lines = []
        if self.upload is not None:
            lines.append(self.upload.summary())
        if self.purge is not None and self.purge.error is None:
            lines.append(self.purge.summary())
        return lines

    def as_dict(self) -> dict[str, Any]:
        upload = self.upload
        purge = self.purge
        return {
            "target": self.target,
            "uploaded": None if upload is None else upload.uploaded,
            "removed": None if upload is None else upload.removed,
            "purge": None
            if purge is None
            else {
                "provider": provider_label(purge.provider),  # never a command line
                "paths": purge.paths,
                "items_sent": purge.sent,
                "calls": purge.calls,
                "collapsed": purge.collapsed,
                "error": purge.error,
                "pending": purge.pending,
            },
            "warnings": self.warnings,
            "error": self.error,
            "owed": self.owed(),
        }


@dataclass(frozen=True)
class DeliverySettings:
    """Where every publish is delivered next, and which CDN it purges (all optional).

    ``run`` and ``publish`` take them as options; editor commands and ``webhook serve`` read
    the same environment variables (``from_environment``), so cron and editors agree.
    """

    target: str | None = None
    purge: str | None = None
    purge_budget: int | None = None
    base_url: str | None = None
    s3_endpoint_url: str | None = None
    immutable_cache_control: str | None = None
    entry_cache_control: str | None = None
    purge_deadline: float | None = None  # seconds all purge calls may take; None: no limit
    upload_deadline: float | None = None  # seconds the mirror may take; None: no limit

    @property
    def configured(self) -> bool:
        return bool(self.target or self.purge)

    @classmethod
    def from_environment(cls) -> DeliverySettings:
        from wistia_sync.errors import ConfigError

        budget = os.environ.get(PURGE_BUDGET_ENV, "").strip()
        if budget and not (budget.isascii() and budget.isdigit()):
            raise ConfigError(f"{PURGE_BUDGET_ENV} must be a whole number, not {budget!r}")
        return cls(
            target=os.environ.get(TARGET_ENV) or None,
            purge=os.environ.get(PURGE_ENV) or None,
            purge_budget=int(budget) if budget else None,
            base_url=os.environ.get(BASE_URL_ENV) or None,
            # AWS_ENDPOINT_URL is boto3's own (as the credentials are): not a setting here.
            immutable_cache_control=os.environ.get(IMMUTABLE_CACHE_CONTROL_ENV) or None,
            entry_cache_control=os.environ.get(ENTRY_CACHE_CONTROL_ENV) or None,
        )


def deliver_publish(
    output_dir: Path,
    db: Database,
    settings: DeliverySettings,
    result: PublishResult | None,
    *,
    reconcile: Reconcile = False,
) -> DeliveryReport | None:
    """After a local publish (``result``; None when none was due): deliver it, if configured.

    The mirror runs even when nothing was published, so a delivery that failed last time
    converges on the next run; the purge covers the entry files this publish changed or removed
    (and any an earlier purge still owes).
    """
    if result is not None and result.dry_run:
        return None
    report = None
    if settings.configured:
        changed = [] if result is None else [*result.changed_entries, *result.removed]
        report = deliver(
            output_dir, db=db, settings=settings, changed_entry_paths=changed, reconcile=reconcile
        )
    from wistia_sync.deliver.search_engines import notify_search_engines

    notify_search_engines(
        db,
        result,
        delivery_error=None if report is None else report.error,
        deadline_seconds=settings.purge_deadline,
    )
    return report


def deliver(
    output_dir: Path,
    *,
    db: Database,
    settings: DeliverySettings,
    changed_entry_paths: Iterable[str] | None = None,
    s3_client: BaseClient | None = None,
    cloudfront_client: BaseClient | None = None,
    reconcile: Reconcile = False,
) -> DeliveryReport:
    """Deliver the published folder; every setting is checked before anything is sent."""
    location = parse_target(settings.target)
    policy = cache_policy(
        purge_configured=bool(settings.purge),
        immutable=settings.immutable_cache_control,
        entry=settings.entry_cache_control,
    )
    base_url = check_base_url(settings.base_url)
    provider: PurgeProvider | None = None
    if settings.purge:
        provider = make_provider(
            settings.purge, base_url=base_url, cloudfront_client=cloudfront_client
        )
    to_purge = {path for path in changed_entry_paths or () if _purgeable(path)}
    report = DeliveryReport(target=str(location) if location else str(output_dir))
    if location is not None:
        from wistia_sync.deliver.intents import mirror_serialised
        from wistia_sync.deliver.s3 import make_s3_client

        deadline = settings.upload_deadline
        client = s3_client or _within_deadline(
            make_s3_client(settings.s3_endpoint_url, deadline_seconds=deadline), location, deadline
        )
        try:
            report.upload = mirror_serialised(output_dir, db, location, policy, client, reconcile)
        except TargetError as error:
            report.error = str(error)
            owe_delivery(db, str(location), str(error))
            if provider is not None:
                from wistia_sync.deliver.purge.purger import add_owed

                add_owed(db, provider.spec, to_purge, f"owed after a failed delivery: {error}")
                report.owed_purges = len(to_purge)
            return report
        settle_delivery(db, str(location))
        report.warnings += report.upload.warnings
        to_purge |= {p for p in report.upload.uploaded + report.upload.removed if _purgeable(p)}
    if provider is not None:
        report.purge = purge_changed(
            db,
            provider,
            to_purge,
            budget=settings.purge_budget,
            deadline_seconds=settings.purge_deadline,
        )
    if location is not None or provider is not None:
        _record(db, report, output_dir)
    return report


class UploadDeadlinePassed(TargetError):
    """The mirror ran past the upload deadline: what it did not send is owed."""


def _within_deadline(
    client: BaseClient, location: S3Location, deadline: float | None
) -> BaseClient:
    """``client``, refusing every request attempt (retries included) once ``deadline`` seconds
    have passed; requests in flight end within the client's read timeout (``make_s3_client``
    keeps it within the deadline), so the mirror stops soon after the deadline."""
    if deadline is None:
        return client
    import time

    ends = time.monotonic() + deadline

    def refuse_when_late(**_: Any) -> None:
        if time.monotonic() > ends:
            raise UploadDeadlinePassed(
                f"cannot deliver to {location}: the upload did not finish within the upload "
                f"deadline of {deadline:g} s"
            )

    client.meta.events.register("before-send.s3", refuse_when_late)
    return client


def owe_delivery(db: Database, target: str, error: str) -> None:
    """Record that the delivery to ``target`` failed: owed until one completes."""
    now = utc_now()
    with write_transaction(db):
        db.execute(
            "INSERT INTO delivery_owed (target, first_failed_at, last_failed_at, last_error) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(target) DO UPDATE SET "
            "last_failed_at = excluded.last_failed_at, last_error = excluded.last_error, "
            "attempts = attempts + 1",
            [target, now, now, redact(error)[:500]],
        )


def settle_delivery(db: Database, target: str) -> None:
    """A delivery to ``target`` completed: nothing is owed to it any more."""
    if db.execute("SELECT 1 FROM delivery_owed WHERE target = ?", [target]).fetchone():
        with write_transaction(db):
            db.execute("DELETE FROM delivery_owed WHERE target = ?", [target])


def deliveries_owed(db: Database) -> list[dict[str, Any]]:
    """Every target a delivery is owed to, oldest first (for ``status``): those whose last
    delivery failed, and those a killed or interrupted delivery left paths owed to (no failure
    was recorded for them: ``attempts`` is 0), each with how many paths are owed."""
    from wistia_sync.deliver.purge.purger import age_seconds

    failed = {
        target: (since, last, attempts, error)
        for target, since, last, attempts, error in db.execute(
            "SELECT target, first_failed_at, last_failed_at, attempts, last_error "
            "FROM delivery_owed"
        ).fetchall()
    }
    intended = {
        target: (since, count)
        for target, since, count in db.execute(
            "SELECT target, min(intended_at), count(*) FROM delivery_intents GROUP BY target"
        ).fetchall()
    }
    owed = []
    for target in failed.keys() | intended.keys():
        since, last, attempts, error = failed.get(target, (None, None, 0, None))
        first_intended, paths = intended.get(target, (None, 0))
        since = since or first_intended
        owed.append(
            {
                "target": target,
                "since": since,
                "age_seconds": age_seconds(since),
                "last_failed_at": last,
                "attempts": attempts,
                "paths": paths,
                "last_error": error,
            }
        )
    return sorted(owed, key=lambda entry: (entry["since"] or "", entry["target"]))


def _purgeable(path: str) -> bool:
    # Immutable pages never change under their URL; files.json is delivery's own record.
    return bool(SAFE_PATH.fullmatch(path)) and path != FILES_PATH and cache_class(path) == "entry"


def _record(db: Database, report: DeliveryReport, output_dir: Path) -> None:
    try:
        generation: str | None = read_local_index(output_dir)[0].generation
    except FileListError:
        generation = None
    purge = report.purge
    with write_transaction(db):
        db.execute(
            "INSERT INTO deliveries (at, target, generation, uploaded, removed, purge, purged, "
            "purge_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                utc_now(),
                report.target,
                generation,
                len(report.upload.uploaded) if report.upload else 0,
                len(report.upload.removed) if report.upload else 0,
                provider_label(purge.provider) if purge else None,  # not a command line
                len(purge.paths) if purge and not purge.error else 0,
                purge.error if purge else None,
            ],
        )
