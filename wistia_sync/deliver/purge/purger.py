"""Purge what a publish changed from the CDN, within limits and budget; never lose a path.

``purge_changed`` plans the purge (``planner``), sends it (``providers``) and records it: paths a
failed (or over-budget, or out-of-time) purge did not reach are kept in ``purge_pending`` and join
the next purge for the same provider, whichever process sends it; what was sent counts against
the month's budget (``purge_spend``), and ``purge_status`` reports both per provider. Both are
keyed by the provider's kind and zone (``kinds.purge_key``: ``cloudflare:ZONE``, ``command``),
never by the rest of its spec. A purge failure is reported, never raised: the publish it follows
has already succeeded; the caller exits with ``DeliveryOwed``'s code.

A purge has a total deadline (``deadline_seconds``, the site's ``--purge-deadline``): each call
runs in a thread of its own, and one still running when the time is up is left behind (its paths
stay owed), so a hanging CDN API or purge command cannot hold an editor's command.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wistia_sync.deliver.purge.kinds import provider_label, purge_key
from wistia_sync.deliver.purge.planner import PurgeItem, plan_purge
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


def _key(provider: str) -> str:
    """The key of a provider named by its spec or already by its key (``command``)."""
    from wistia_sync.errors import ConfigError

    try:
        return purge_key(provider)
    except ConfigError:
        return provider


def month_spend(db: Database, provider: str, month: str | None = None) -> int:
    """Items sent this month to ``provider`` (a spec or its key)."""
    row = db.execute(
        "SELECT paths FROM purge_spend WHERE month = ? AND provider = ?",
        [month or current_month(), _key(provider)],
    ).fetchone()
    return int(row[0]) if row else 0


def pending_paths(db: Database, provider: str) -> list[str]:
    """The paths owed to ``provider`` (a spec or its key)."""
    rows = db.execute(
        "SELECT path FROM purge_pending WHERE provider = ? ORDER BY path", [_key(provider)]
    ).fetchall()
    return [str(row[0]) for row in rows]


def purge_changed(
    db: Database,
    provider: PurgeProvider,
    changed_paths: Iterable[str],
    *,
    budget: int | None = None,
    deadline_seconds: float | None = None,
) -> PurgeReport:
    """Purge ``changed_paths`` plus whatever earlier purges still owe; record spend and debt."""
    key = purge_key(provider.spec)
    paths = sorted(set(changed_paths) | set(pending_paths(db, key)))
    report = PurgeReport(provider=key, paths=paths)
    if not paths:
        return report
    budget_left = None if budget is None else max(0, budget - month_spend(db, key))
    plan = plan_purge(paths, provider.limits, budget_left)
    report.collapsed = plan.collapsed
    if plan.over_budget:
        report.error = f"the monthly purge budget of {budget} is spent"
        _owe(db, key, paths, report.error)
        report.pending = len(paths)
        return report
    ends = None if deadline_seconds is None else time.monotonic() + deadline_seconds
    for call in plan.calls:
        try:
            _call_within(provider, call, ends, deadline_seconds)
        except Exception as error:  # a purge never fails the publish: remember and warn
            report.error = redact(
                str(error) if _is_ours(error) else f"{type(error).__name__}: {error}"
            )
            _owe(db, key, paths, report.error)
            report.pending = len(paths)
            log.debug("purge failed", exc_info=True)
            return report
        report.calls += 1
        report.sent += len(call)
        _spend(db, key, len(call))
    _settle(db, key, paths)
    return report


def add_owed(db: Database, spec: str, paths: Iterable[str], reason: str) -> int:
    """Record ``paths`` as owed to the provider ``spec`` names without sending anything (the
    delivery before the purge failed: purging now would cache the old files); how many."""
    owed = sorted(set(paths))
    if owed:
        _owe(db, purge_key(spec), owed, reason)
    return len(pending_paths(db, spec))


_DEADLINE_GRACE_SECONDS = 1.0


def _call_within(
    provider: PurgeProvider, call: list[PurgeItem], ends: float | None, deadline: float | None
) -> None:
    """``provider.purge(call)``, given up (``PurgeFailed``) when the deadline passes first."""
    if ends is None:
        provider.purge(call)
        return
    from wistia_sync.deliver.purge.providers import PurgeFailed

    outcome: list[BaseException | None] = []

    def send() -> None:
        try:
            # Told the time left, a provider ends its own call (a command is killed, not left
            # running); the thread is the guard for anything that does not listen.
            provider.purge(call, timeout=max(0.1, ends - time.monotonic()))
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)
        else:
            outcome.append(None)

    # A daemon thread: one left running past the deadline never holds the process's exit. It is
    # given a moment past the deadline, so a provider ending its own call (killing a command)
    # does so before this process can exit and leave the command running.
    worker = threading.Thread(target=send, name="purge", daemon=True)
    worker.start()
    worker.join(max(0.0, ends - time.monotonic()) + _DEADLINE_GRACE_SECONDS)
    error = outcome[0] if outcome else PurgeFailed("")
    if error is None:
        return
    if not outcome or time.monotonic() >= ends:
        raise PurgeFailed(f"the purge did not finish within the purge deadline of {deadline:g} s")
    raise error


def age_seconds(since: object, now: datetime | None = None) -> int | None:
    """Whole seconds since the stored timestamp ``since`` (None for none)."""
    if since is None:
        return None
    from wistia_sync.store.timestamps import parse_timestamp

    elapsed = (now or datetime.now(UTC)) - parse_timestamp(str(since))
    return max(0, int(elapsed.total_seconds()))


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
    oldest_pending_age_seconds: int | None = None  # how long the oldest owed path has waited


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
            oldest_pending_age_seconds=age_seconds(owed.get(provider, (0, None, None))[1]),
        )
        for provider in sorted(set(spend) | set(owed))
    ]
