"""Purge what a publish changed from the CDN, within limits and budget; never lose a path.

``purge_changed`` plans the purge (``planner``), sends it (``providers``) and records it: paths a
failed (or over-budget) purge did not reach are kept in ``purge_pending`` and join the next purge
for the same provider; what was sent counts against the month's budget (``purge_spend``), and
``purge_status`` reports both per provider. A purge failure is reported, never raised: the
publish it follows has already succeeded, and entry files' ``s-maxage`` bounds how long a CDN can
hold them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wistia_sync.deliver.purge.kinds import provider_label
from wistia_sync.deliver.purge.planner import plan_purge
from wistia_sync.deliver.purge.providers import PurgeProvider
from wistia_sync.redaction import redact
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)


@dataclass
class PurgeReport:
    provider: str
    paths: list[str] = field(default_factory=list)  # every path this purge covered or owes
    sent: int = 0  # items sent (the budget's unit)
    calls: int = 0
    collapsed: list[str] = field(default_factory=list)
    error: str | None = None
    pending: int = 0  # paths still owed after this purge

    def summary(self) -> str:
        provider = provider_label(self.provider)  # never a command line
        if self.error:
            return (
                f"purge via {provider} failed ({self.error}); "
                f"{self.pending} paths are retried by the next delivery"
            )
        if not self.paths:
            return f"purge via {provider}: nothing to purge"
        collapsed = f" (as {', '.join(self.collapsed)})" if self.collapsed else ""
        return (
            f"purged {len(self.paths)} paths via {provider} in {self.calls} calls, "
            f"{self.sent} items{collapsed}"
        )


def current_month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


def month_spend(db: Database, provider: str, month: str | None = None) -> int:
    row = db.execute(
        "SELECT paths FROM purge_spend WHERE month = ? AND provider = ?",
        [month or current_month(), provider],
    ).fetchone()
    return int(row[0]) if row else 0


def pending_paths(db: Database, provider: str) -> list[str]:
    rows = db.execute(
        "SELECT path FROM purge_pending WHERE provider = ? ORDER BY path", [provider]
    ).fetchall()
    return [str(row[0]) for row in rows]


def purge_changed(
    db: Database,
    provider: PurgeProvider,
    changed_paths: Iterable[str],
    *,
    budget: int | None = None,
) -> PurgeReport:
    """Purge ``changed_paths`` plus whatever earlier purges still owe; record spend and debt."""
    paths = sorted(set(changed_paths) | set(pending_paths(db, provider.spec)))
    report = PurgeReport(provider=provider.spec, paths=paths)
    if not paths:
        return report
    budget_left = None if budget is None else max(0, budget - month_spend(db, provider.spec))
    plan = plan_purge(paths, provider.limits, budget_left)
    report.collapsed = plan.collapsed
    if plan.over_budget:
        report.error = f"the monthly purge budget of {budget} is spent"
        _owe(db, provider.spec, paths, report.error)
        report.pending = len(paths)
        return report
    for call in plan.calls:
        try:
            provider.purge(call)
        except Exception as error:  # a purge never fails the publish: remember and warn
            report.error = redact(
                str(error) if _is_ours(error) else f"{type(error).__name__}: {error}"
            )
            _owe(db, provider.spec, paths, report.error)
            report.pending = len(paths)
            log.debug("purge failed", exc_info=True)
            return report
        report.calls += 1
        report.sent += len(call)
        _spend(db, provider.spec, len(call))
    _settle(db, provider.spec, paths)
    return report


def _is_ours(error: Exception) -> bool:
    from wistia_sync.errors import WistiaSyncError

    return isinstance(error, WistiaSyncError)


def _spend(db: Database, provider: str, items: int) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO purge_spend (month, provider, paths, calls) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(month, provider) DO UPDATE SET paths = paths + excluded.paths, "
            "calls = calls + 1",
            [current_month(), provider, items],
        )


def _owe(db: Database, provider: str, paths: list[str], error: str) -> None:
    now = utc_now()
    with write_transaction(db):
        for path in paths:
            db.execute(
                "INSERT INTO purge_pending (provider, path, first_failed_at, last_error) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(provider, path) DO UPDATE SET "
                "last_error = excluded.last_error, attempts = attempts + 1",
                [provider, path, now, error[:500]],
            )


def _settle(db: Database, provider: str, paths: list[str]) -> None:
    with write_transaction(db):
        for path in paths:
            db.execute(
                "DELETE FROM purge_pending WHERE provider = ? AND path = ?", [provider, path]
            )


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    month: str
    items_sent: int
    calls: int
    pending: int
    oldest_pending: str | None
    last_error: str | None


def purge_status(db: Database) -> list[ProviderStatus]:
    """This month's spend and what is still owed, per provider (for ``status``)."""
    month = current_month()
    spend = {
        str(row[0]): (int(row[1]), int(row[2]))
        for row in db.execute(
            "SELECT provider, paths, calls FROM purge_spend WHERE month = ?", [month]
        ).fetchall()
    }
    owed = {
        str(row[0]): (int(row[1]), row[2], row[3])
        for row in db.execute(
            "SELECT provider, count(*), min(first_failed_at), max(last_error) "
            "FROM purge_pending GROUP BY provider"
        ).fetchall()
    }
    return [
        ProviderStatus(
            provider=provider,
            month=month,
            items_sent=spend.get(provider, (0, 0))[0],
            calls=spend.get(provider, (0, 0))[1],
            pending=owed.get(provider, (0, None, None))[0],
            oldest_pending=owed.get(provider, (0, None, None))[1],
            last_error=owed.get(provider, (0, None, None))[2],
        )
        for provider in sorted(set(spend) | set(owed))
    ]
