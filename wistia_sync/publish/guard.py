"""The mass-unpublish guard: a publish never empties the live site by mistake.

A wrong ``--db`` (another site's database, an empty one whose first sync failed), a wrong
``--output``, or Wistia wrongly reporting most media archived would take most videos off the
site in one publish. Like the sync's mass-delete guard, a publish that would unpublish more than
half of the videos the output holds (and more than 10) stops, unless allowed. A video an editor
hid does not count: hiding is an explicit, logged decision, however many videos it names.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import exclusion_sql
from wistia_sync.contract.layout import VIDEO_FILE_PATH, VIDEOS_FOLDER
from wistia_sync.errors import PublishAborted

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database

    from wistia_sync.publish.plan import Plan

MASS_UNPUBLISH_MIN_COUNT = 10  # guard only when more than this many videos would go...
MASS_UNPUBLISH_FRACTION = 0.5  # ...and they are more than this share of what the output holds


def check_mass_unpublish(db: Database, output: Path, plan: Plan, *, recorded_folder: bool) -> None:
    """Raise ``PublishAborted`` if ``plan`` would unpublish too much of what ``output`` holds.

    ``recorded_folder``: the database's records describe this folder (it published there last),
    so they say what it holds. Otherwise the folder's ``videos/<id>.json`` files do: a database
    that never published there knows nothing of it (the plan is then a full rebuild).
    """
    if recorded_folder:
        held, leaving = plan.held, set(plan.unpublished)
        why = "Wistia no longer lists them as published videos"
    else:
        on_disk = video_files(output)
        held, leaving = len(on_disk), on_disk - plan.published
        why = "the database does not publish them: is --db the database of this --output?"
    leaving -= hidden_by_editors(db, leaving)
    if len(leaving) > MASS_UNPUBLISH_MIN_COUNT and len(leaving) > MASS_UNPUBLISH_FRACTION * held:
        raise PublishAborted(
            f"this publish would unpublish {len(leaving)} of the {held} videos {output} holds "
            f"({why}); nothing was published. If they really should go, publish again with "
            "--allow-mass-unpublish"
        )


def video_files(output: Path) -> set[str]:
    """The hashed ids of the ``videos/<id>.json`` files in the output folder."""
    try:
        with os.scandir(output / VIDEOS_FOLDER) as entries:
            names = [entry.name for entry in entries]
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {
        match.group(1)
        for name in names
        if (match := VIDEO_FILE_PATH.fullmatch(f"{VIDEOS_FOLDER}/{name}"))
    }


def hidden_by_editors(db: Database, hashed_ids: set[str]) -> set[str]:
    if not hashed_ids:
        return set()
    hidden: set[str] = set()
    ids = sorted(hashed_ids)
    for start in range(0, len(ids), 500):  # within SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(
            f"SELECT hashed_id FROM videos v WHERE {exclusion_sql('hidden')} "
            f"AND hashed_id IN ({marks})",
            chunk,
        ).fetchall()
        hidden.update(str(row[0]) for row in rows)
    return hidden
