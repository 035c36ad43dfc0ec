"""The inbox table: parse a delivery, store its events once each, and read what is pending.

Everything in a delivery is untrusted. A body that is not a delivery is refused whole (the
receiver answers 400 and stores nothing); an event that names no usable media, or another
account, is stored as ``ignored`` so a replay of it is still recognised and answered 200.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from wistia_sync.store.db import write_transaction
from wistia_sync.sync.failures import failing

log = logging.getLogger(__name__)

MEDIA_EVENT_PREFIX = "media."
DELETED_EVENT = "media.deleted"
MAX_UUID_LENGTH = 200
MAX_TYPE_LENGTH = 100
MAX_ERROR_LENGTH = 500
LATENCY_SAMPLE = 1000  # applied events the status percentiles are computed over


class MalformedDelivery(ValueError):
    """The body is not a Wistia webhook delivery."""


@dataclass(frozen=True)
class WebhookEvent:
    uuid: str
    type: str
    hashed_id: str | None
    account_id: str | None
    generated_at: str | None

    def ignored_because(self, account_id: str | None) -> str | None:
        """Why this event changes nothing here, or None when it should be applied."""
        if account_id is not None and self.account_id != account_id:
            return f"event for account {self.account_id!r}, not {account_id!r}"
        if not self.type.startswith(MEDIA_EVENT_PREFIX):
            return f"not a media event ({self.type})"
        if self.hashed_id is None:
            return "no usable media id in the payload"
        return None


def parse_delivery(body: bytes) -> list[WebhookEvent]:
    """The events of a delivery ``{"hook": {...}, "events": [...]}``, or ``MalformedDelivery``."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise MalformedDelivery(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise MalformedDelivery('not a delivery: expected {"events": [...]}')
    events = []
    for raw in data["events"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise MalformedDelivery("an event is not an object with a string type")
        events.append(_event(raw))
    return events


def _event(raw: dict[str, Any]) -> WebhookEvent:
    from wistia_sync.wistia.records import is_hashed_id

    uuid = raw.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        # Without a uuid, the event's own bytes identify its repeats.
        canonical = json.dumps(raw, sort_keys=True, ensure_ascii=True).encode()
        uuid = "sha256:" + hashlib.sha256(canonical).hexdigest()
    elif len(uuid) > MAX_UUID_LENGTH or not uuid.isprintable():
        # Kept whole as a digest: made printable or cut short, two distinct uuids could collide
        # and the second event would be taken for a repeat of the first.
        uuid = "uuid-sha256:" + hashlib.sha256(uuid.encode("utf-8", "surrogatepass")).hexdigest()
    payload = raw.get("payload")
    media = payload.get("media") if isinstance(payload, dict) else None
    media_id = media.get("id") if isinstance(media, dict) else None
    # Anything but a hashed id never reaches a URL or a file name.
    hashed_id = media_id if is_hashed_id(media_id) else None
    metadata = raw.get("metadata")
    account = metadata.get("account_id") if isinstance(metadata, dict) else None
    generated = raw.get("generated_at")
    return WebhookEvent(
        uuid=uuid,
        type=_printable(raw["type"], MAX_TYPE_LENGTH),
        hashed_id=hashed_id,
        account_id=None if account is None or isinstance(account, bool) else _printable(account),
        generated_at=_printable(generated, 40) if isinstance(generated, str) else None,
    )


def _printable(value: object, limit: int = 100) -> str:
    text = str(value)[:limit]
    return "".join(char if char.isprintable() else "?" for char in text)


@dataclass(frozen=True)
class StoredDelivery:
    new: int  # events stored for the first time (pending or ignored)
    pending: int  # of those, events the worker will apply
    repeated: int  # events already in the inbox (a redelivery)


def store_events(
    db: Database,
    events: Sequence[WebhookEvent],
    *,
    account_id: str | None,
    received_at: float | None = None,
) -> StoredDelivery:
    """Store every event not seen before, in one transaction; commit before answering 200."""
    received = time.time() if received_at is None else received_at
    new = pending = 0
    with write_transaction(db):
        for event in events:
            reason = event.ignored_because(account_id)
            cursor = db.execute(
                "INSERT INTO webhook_events (uuid, type, hashed_id, account_id, generated_at, "
                "received_at, state, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(uuid) DO NOTHING",
                [
                    event.uuid,
                    event.type,
                    event.hashed_id,
                    event.account_id,
                    event.generated_at,
                    received,
                    "pending" if reason is None else "ignored",
                    reason,
                ],
            )
            if cursor.rowcount:
                new += 1
                pending += reason is None
                if reason is None and event.type == DELETED_EVENT:
                    # Until Wistia is asked: by the worker, or by the next `run` if it cannot.
                    db.execute(
                        "INSERT INTO webhook_deletions (hashed_id, reported_at) VALUES (?, ?) "
                        "ON CONFLICT(hashed_id) DO NOTHING",
                        [event.hashed_id, received],
                    )
                if reason is not None:
                    log.info("ignored webhook event %s (%s): %s", event.uuid, event.type, reason)
    return StoredDelivery(new=new, pending=pending, repeated=len(events) - new)


@dataclass(frozen=True)
class PendingBatch:
    uuids: list[str]
    hashed_ids: list[str]  # distinct, sorted
    first_received: float
    last_received: float


def pending_batch(db: Database) -> PendingBatch | None:
    """Every pending event, with the media they name; None when the inbox is drained."""
    rows = db.execute(
        "SELECT uuid, hashed_id, received_at FROM webhook_events WHERE state = 'pending' "
        "ORDER BY received_at"
    ).fetchall()
    if not rows:
        return None
    return PendingBatch(
        uuids=[row[0] for row in rows],
        hashed_ids=sorted({row[1] for row in rows}),
        first_received=rows[0][2],
        last_received=rows[-1][2],
    )


def pending_window(db: Database) -> tuple[float, float] | None:
    """When the oldest and the newest pending events arrived (Unix seconds), if any."""
    first, last = db.execute(
        "SELECT min(received_at), max(received_at) FROM webhook_events WHERE state = 'pending'"
    ).fetchone()
    return None if first is None else (first, last)


def mark_applied(
    db: Database,
    uuids: Sequence[str],
    *,
    hashed_ids: Sequence[str] = (),
    applied_at: float | None = None,
) -> None:
    """Mark these events applied. Wistia was asked about ``hashed_ids``: their reported
    deletions are settled (confirmed, or the media stored as Wistia still has it), except for a
    media whose deletion check failed or was not asked while it backs off, which stays reported
    for the next ``run`` to ask."""
    applied = time.time() if applied_at is None else applied_at
    with write_transaction(db):
        db.conn.executemany(
            "UPDATE webhook_events SET state = 'applied', applied_at = ?, error = NULL "
            "WHERE uuid = ? AND state = 'pending'",
            [(applied, uuid) for uuid in uuids],
        )
        owed = failing(db, "media")
        forget_reported_deletions(db, [h for h in hashed_ids if h not in owed])


def reported_deletions(db: Database) -> list[str]:
    """Media a ``media.deleted`` named that Wistia has not yet been asked about, oldest first."""
    return [
        row[0]
        for row in db.execute(
            "SELECT hashed_id FROM webhook_deletions ORDER BY reported_at, hashed_id"
        ).fetchall()
    ]


def forget_reported_deletions(db: Database, hashed_ids: Sequence[str]) -> None:
    """Settled: call within a write transaction."""
    db.conn.executemany(
        "DELETE FROM webhook_deletions WHERE hashed_id = ?", [(h,) for h in hashed_ids]
    )


def note_deletion_check_failed(db: Database, hashed_id: str, error: str) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE webhook_deletions SET checks = checks + 1, error = ? WHERE hashed_id = ?",
            [error[:MAX_ERROR_LENGTH], hashed_id],
        )


def mark_failed_attempt(
    db: Database, uuids: Sequence[str], error: str, *, max_attempts: int
) -> None:
    """Count a failed attempt; an event that failed ``max_attempts`` times is given up on."""
    with write_transaction(db):
        db.conn.executemany(
            "UPDATE webhook_events SET attempts = attempts + 1, error = ?, "
            "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE state END "
            "WHERE uuid = ? AND state = 'pending'",
            [(error[:MAX_ERROR_LENGTH], max_attempts, uuid) for uuid in uuids],
        )


def inbox_status(db: Database) -> dict[str, Any] | None:
    """Counts, the last event and the received → published latency; None if nothing arrived."""
    counts = dict(
        db.execute("SELECT state, count(*) FROM webhook_events GROUP BY state").fetchall()
    )
    if not counts:
        return None
    last = db.execute(
        "SELECT type, hashed_id, received_at FROM webhook_events ORDER BY received_at DESC LIMIT 1"
    ).fetchone()
    latencies = [
        row[0]
        for row in db.execute(
            "SELECT applied_at - received_at FROM webhook_events WHERE state = 'applied' "
            "ORDER BY applied_at DESC LIMIT ?",
            [LATENCY_SAMPLE],
        ).fetchall()
    ]
    error = db.execute(
        "SELECT error FROM webhook_events WHERE state IN ('pending', 'failed') "
        "AND error IS NOT NULL ORDER BY received_at DESC LIMIT 1"
    ).fetchone()
    unconfirmed = db.execute("SELECT count(*) FROM webhook_deletions").fetchone()[0]
    return {
        "received": sum(counts.values()),
        "pending": counts.get("pending", 0),
        "applied": counts.get("applied", 0),
        "ignored": counts.get("ignored", 0),
        "failed": counts.get("failed", 0),
        "unconfirmed_deletions": unconfirmed,
        "last_event": {
            "type": last[0],
            "hashed_id": last[1],
            "received_at": _utc(last[2]),
        },
        "latency_seconds": _percentiles(latencies),
        "last_error": error[0] if error else None,
    }


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    if len(values) == 1:
        return {"p50": round(values[0], 3), "p95": round(values[0], 3)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3)}


def _utc(epoch: float) -> str:
    if not math.isfinite(epoch):
        return "unknown"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
