"""Naming videos in commands: the hashed ids the VIDEO arguments editors type stand for, and the
wording messages use for several of them.

Split from ``videos`` (listing and showing): an editor command resolves its arguments on every
run and needs none of the listing's records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from wistia_sync.errors import UsageError

if TYPE_CHECKING:
    from sqlite_utils import Database

# How many unknown ids an error message names before it says "and N more".
MAX_NAMED_IN_ERRORS = 5
FIND_VIDEOS_HINT = "find ids with `wistia-sync videos list --search TEXT`"


def quoted_list(values: Sequence[str], *, limit: int = MAX_NAMED_IN_ERRORS) -> str:
    """``"a", "b" and 3 more`` — how messages name several user inputs."""
    shown = [f'"{value}"' for value in values[:limit]]
    if len(values) > limit:
        return f"{', '.join(shown)} and {len(values) - limit} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def resolve_videos(
    db: Database, references: Iterable[str], *, include_deleted: bool = False
) -> list[str]:
    """The hashed ids that ``references`` (hashed ids or numeric ids) name, in order, once each.

    Raises ``UsageError`` naming every reference that matches no video (or, unless
    ``include_deleted``, a video Wistia deleted: there is nothing left to curate), so a caller
    inside a transaction changes nothing. A hashed id wins over a numeric id that looks the same.
    """
    wanted = [reference.strip() for reference in references]
    if not wanted:
        raise UsageError("no video given")
    by_hashed_id = _rows_by(db, "hashed_id", wanted)
    numeric = [ref for ref in wanted if ref not in by_hashed_id and ref.isdigit()]
    by_numeric_id = _rows_by(db, "id", numeric) if numeric else {}

    resolved: dict[str, None] = {}  # ordered, and fast to test for repeats in bulk commands
    unknown: list[str] = []
    deleted: list[str] = []
    for reference in wanted:
        row = by_hashed_id.get(reference) or by_numeric_id.get(reference)
        if row is None:
            unknown.append(reference)
        elif row[1] is not None and not include_deleted:
            deleted.append(reference)
        else:
            resolved.setdefault(row[0])
    if unknown:
        noun = "video" if len(unknown) == 1 else "videos"
        raise UsageError(f"unknown {noun} {quoted_list(unknown)}; {FIND_VIDEOS_HINT}")
    if deleted:
        raise UsageError(
            f"{quoted_list(deleted)} {'was' if len(deleted) == 1 else 'were'} deleted in Wistia "
            "and cannot be edited"
        )
    return list(resolved)


def _rows_by(db: Database, column: str, values: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """``{value: (hashed_id, deleted_at)}`` for the videos whose ``column`` is one of ``values``.

    The values travel as one JSON array (``json_each``), so a bulk command of any size is one
    statement and never hits SQLite's limit on bound parameters.
    """
    if column == "id":
        sql = (
            "SELECT CAST(id AS TEXT), hashed_id, deleted_at FROM videos "
            "WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
        )
    else:
        sql = (
            "SELECT hashed_id, hashed_id, deleted_at FROM videos "
            "WHERE hashed_id IN (SELECT value FROM json_each(?))"
        )
    rows = db.execute(sql, [json.dumps(list(values))]).fetchall()
    return {str(row[0]): (str(row[1]), row[2]) for row in rows}
