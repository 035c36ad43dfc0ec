"""The change log: who changed what, when, before → after; every editing function writes to it.

Rows are written by ``record_change`` inside the editing function's own transaction, so the log
never disagrees with the data; ``read_change_log`` is what ``wistia-sync log`` prints.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

from wistia_sync.catalog.references import resolve_videos

if TYPE_CHECKING:
    from sqlite_utils import Database

UNKNOWN_ACTOR = "unknown"
DEFAULT_LOG_LIMIT = 20

# The `action` values of change_log rows.
ACTION_TAG_ADD = "tag add"
ACTION_TAG_REMOVE = "tag remove"
ACTION_TAG_RENAME = "tag rename"
ACTION_TAG_MERGE = "tag merge"
ACTION_TAG_DELETE = "tag delete"
ACTION_HIDE = "hide"
ACTION_SHOW = "show"


def default_actor() -> str:
    """The login name, the change log's "who" when ``--actor`` is not given."""
    try:
        return getpass.getuser() or UNKNOWN_ACTOR
    except (OSError, KeyError, ImportError):
        # No USER/LOGNAME and no passwd entry (some containers): record that honestly.
        return UNKNOWN_ACTOR


def clean_actor(actor: str | None) -> str:
    actor = (actor or "").strip()
    return actor or default_actor()


def record_change(
    db: Database,
    *,
    at: str,
    actor: str,
    action: str,
    hashed_id: str | None,
    tag: str | None,
    before: str | None,
    after: str | None,
) -> None:
    """One ``change_log`` row, written in the caller's transaction with the change itself."""
    db.execute(
        "INSERT INTO change_log (at, actor, action, hashed_id, tag, before, after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [at, actor, action, hashed_id, tag, before, after],
    )


class ChangeLogEntry:
    """One editorial change: when, who, what, and the value before and after."""

    __slots__ = ("action", "actor", "after", "at", "before", "hashed_id", "id", "tag")

    def __init__(
        self,
        id: int,
        at: str,
        actor: str,
        action: str,
        hashed_id: str | None,
        tag: str | None,
        before: str | None,
        after: str | None,
    ) -> None:
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.hashed_id = hashed_id
        self.tag = tag
        self.before = before
        self.after = after

    def change(self) -> str:
        """``public → hidden``, ``— → Onboarding``: the before → after column."""
        return f"{self.before or '—'} → {self.after or '—'}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "hashed_id": self.hashed_id,
            "tag": self.tag,
            "before": self.before,
            "after": self.after,
        }


def read_change_log(
    db: Database, *, limit: int = DEFAULT_LOG_LIMIT, video: str | None = None
) -> list[ChangeLogEntry]:
    """The latest changes first, optionally of one video (a deleted one too: history stays)."""
    sql = "SELECT id, at, actor, action, hashed_id, tag, before, after FROM change_log"
    parameters: list[Any] = []
    if video is not None:
        (hashed_id,) = resolve_videos(db, [video], include_deleted=True)
        sql += " WHERE hashed_id = ?"
        parameters.append(hashed_id)
    sql += " ORDER BY id DESC LIMIT ?"
    parameters.append(limit)
    return [ChangeLogEntry(*row) for row in db.execute(sql, parameters).fetchall()]
