"""Whether the published site may be stale: the generation only moves when content changes, so
what says the files are current is the last run that succeeded (it synced, then published what
was behind). Older than a few run intervals, and cron or the timer has stopped, or every run
fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from wistia_sync.store.timestamps import parse_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database

DEFAULT_RUN_EVERY = timedelta(minutes=10)  # cron.example and the systemd timer
INTERVALS = 3  # one late or failed run is weather; three is a stopped job

_LAST_SUCCESS = "SELECT max(finished_at) FROM sync_runs WHERE mode != 'targeted' AND outcome = 'ok'"


def staleness(db: Database, run_every: timedelta = DEFAULT_RUN_EVERY) -> dict[str, Any]:
    """The last successful run, its age, and a warning when it is older than ``INTERVALS``
    run intervals (None: no warning)."""
    last = db.execute(_LAST_SUCCESS).fetchone()[0]
    limit = run_every * INTERVALS
    if last is None:
        return {"last_success": None, "age_seconds": None, "warning": None}
    age = datetime.now(UTC) - parse_timestamp(last)
    warning = None
    if age > limit:
        warning = (
            f"warning: the last successful run finished at {last}, more than {INTERVALS} run "
            f"intervals ({_duration(limit)}) ago: the published files may be stale; is cron "
            "(or the systemd timer) running, and does `wistia-sync run` succeed?"
        )
    return {
        "last_success": last,
        "age_seconds": int(age.total_seconds()),
        "warning": warning,
    }


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
