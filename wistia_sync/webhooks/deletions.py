"""Deletions a webhook reported that the worker could not confirm: ``run`` asks Wistia.

An incremental run never notices a deletion (Wistia's listing has no tombstones), so without this
a video whose ``media.deleted`` arrived while Wistia was failing would stay public until the next
full crawl, up to a day later. Each reported id costs one ``GET /medias/{id}``: a 404 deletes it,
an answer keeps it (stored as Wistia has it), anything else keeps it reported for the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wistia_sync.errors import WistiaSyncError
from wistia_sync.store.db import write_transaction
from wistia_sync.sync.failures import PER_MEDIA_ERRORS
from wistia_sync.webhooks.inbox import (
    forget_reported_deletions,
    note_deletion_check_failed,
    reported_deletions,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.sync.summary import SyncOptions
    from wistia_sync.wistia.client import WistiaClient

log = logging.getLogger(__name__)


@dataclass
class DeletionCheck:
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # Wistia still has them
    unconfirmed: list[str] = field(default_factory=list)  # asked, no answer: the next run asks
    error: str | None = None


def confirm_reported_deletions(
    db: Database, client: WistiaClient, options: SyncOptions
) -> DeletionCheck:
    """Settle every reported deletion Wistia will answer about. A media whose own answer fails
    stays reported and the others are still asked; a failure of Wistia as a whole stops."""
    from wistia_sync.sync.media import confirm_deletion

    check = DeletionCheck()
    pending = reported_deletions(db)
    for position, hashed_id in enumerate(pending):
        try:
            gone = confirm_deletion(db, client, hashed_id, options)
        except PER_MEDIA_ERRORS as error:
            # This media's own answer failed: it stays reported; the others are still asked.
            note_deletion_check_failed(db, hashed_id, str(error))
            check.unconfirmed.append(hashed_id)
            check.error = str(error)
            continue
        except WistiaSyncError as error:
            # Wistia is failing: the rest would fail the same way, each after its retries.
            note_deletion_check_failed(db, hashed_id, str(error))
            check.unconfirmed += pending[position:]
            check.error = str(error)
            log.warning(
                "%d reported deletions not confirmed (the next run asks again): %s",
                len(check.unconfirmed),
                error,
            )
            break
        (check.deleted if gone else check.kept).append(hashed_id)
        with write_transaction(db):
            forget_reported_deletions(db, [hashed_id])
    return check
