"""Prometheus metrics of the site, read from the database: written by ``run --metrics-file``
as a textfile for node exporter's textfile collector, and served by ``webhook serve`` on
``/metrics``. Both say the same, since both read the same rows.

prometheus_client is imported only here, only when metrics are asked for: its exposition
format (escaping, HELP/TYPE lines) and its atomic ``write_to_textfile`` (a temporary file in
the same folder, then a rename, so the collector never reads half a file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION, exclusion_sql
from wistia_sync.deliver.delivery import deliveries_owed
from wistia_sync.deliver.purge.kinds import provider_label
from wistia_sync.deliver.purge.purger import purge_status
from wistia_sync.deliver.verify import freshness_latency
from wistia_sync.errors import ConfigError
from wistia_sync.ops.records import backup_status
from wistia_sync.publish.settings import stored_delivery
from wistia_sync.store.timestamps import parse_timestamp

if TYPE_CHECKING:
    from typing import Protocol

    from prometheus_client import CollectorRegistry, Gauge
    from sqlite_utils import Database

    class GaugeMaker(Protocol):
        def __call__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge: ...


PREFIX = "wistia_sync"
_LIVE = f"SELECT count(*) FROM videos v WHERE NOT {exclusion_sql('deleted')}"
_VIDEOS = {
    "published": f"SELECT count(*) FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}",
    "hidden": f"{_LIVE} AND {exclusion_sql('hidden')}",
    "rejected": "SELECT count(*) FROM rejected_media",
}
# Cron's runs (full or incremental); a webhook's targeted refresh is not a run of the job.
_LAST_RUN = (
    "SELECT started_at, finished_at, outcome, requests FROM sync_runs "
    "WHERE mode != 'targeted' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
)
_LAST_SUCCESS = "SELECT max(finished_at) FROM sync_runs WHERE mode != 'targeted' AND outcome = 'ok'"


@dataclass(frozen=True)
class RunOutcome:
    """What the process that writes the textfile knows of its own run."""

    exit_code: int
    seconds: float


def collect(db: Database, run: RunOutcome | None = None) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()

    def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{PREFIX}_{name}", help_text, labels, registry=registry)

    last_success = db.execute(_LAST_SUCCESS).fetchone()[0]
    if last_success:
        gauge("last_success_timestamp_seconds", "When the last successful run finished.").set(
            parse_timestamp(last_success).timestamp()
        )
    last = db.execute(_LAST_RUN).fetchone()
    if run is not None:
        gauge("run_duration_seconds", "How long the last run took.").set(run.seconds)
        gauge("run_exit_code", "The last run's exit code (0: ok, 3: delivery owed).").set(
            run.exit_code
        )
    elif last is not None:
        seconds = (parse_timestamp(last[1]) - parse_timestamp(last[0])).total_seconds()
        gauge("run_duration_seconds", "How long the last run's sync took.").set(seconds)
    if last is not None:
        gauge("run_requests", "Requests to Wistia the last run made.").set(last[3] or 0)
    videos = gauge("videos", "Videos by state.", ("state",))
    for state, sql in _VIDEOS.items():
        videos.labels(state).set(db.execute(sql).fetchone()[0])
    _purges(db, gauge)
    gauge("deliveries_owed", "Targets a delivery is owed to.").set(len(deliveries_owed(db)))
    latency = freshness_latency(db)
    if latency.publishes:
        served = gauge(
            "publish_served_latency_seconds",
            "Publish to served everywhere, over the last verified publishes.",
            ("quantile",),
        )
        served.labels("0.5").set(latency.p50_seconds or 0)
        served.labels("0.95").set(latency.p95_seconds or 0)
    _backups(db, gauge)
    return registry


def _purges(db: Database, gauge: GaugeMaker) -> None:
    budget_text = stored_delivery(db).get("purge_budget")
    budget = int(budget_text) if budget_text and budget_text.isdigit() else None
    owed = gauge("purges_owed", "Paths a CDN purge still owes.", ("provider",))
    left = (
        gauge("purge_budget_remaining", "Purge items left this month.", ("provider",))
        if budget is not None
        else None
    )
    for provider in purge_status(db):
        label = provider_label(provider.provider)
        owed.labels(label).set(provider.pending)
        if left is not None:
            left.labels(label).set(max(budget - provider.items_sent, 0) if budget else 0)


def _backups(db: Database, gauge: GaugeMaker) -> None:
    status = backup_status(db)
    if status["last_backup"] is not None:
        last = status["last_backup"]
        gauge("backup_age_seconds", "Age of the last backup.").set(last["age_seconds"])
        gauge("backup_last_bytes", "Size of the last backup.").set(last["bytes"])
    if status["last_drill"] is not None:
        gauge("backup_drill_ok", "Whether the last restore drill passed (1) or not (0).").set(
            1 if status["last_drill"]["ok"] else 0
        )


def render(db: Database) -> bytes:
    """The metrics in Prometheus' text format (``/metrics``)."""
    from prometheus_client import generate_latest

    return generate_latest(collect(db))


def check_metrics_path(path: Path) -> Path:
    """Refused before the run: node exporter's textfile collector reads only ``*.prom``."""
    if path.suffix != ".prom" or not path.parent.is_dir():
        raise ConfigError(
            f"--metrics-file must be a .prom file in an existing folder (node exporter's "
            f"textfile collector reads only those), not {path}"
        )
    return path


def write_textfile(path: Path, db: Database, run: RunOutcome | None = None) -> None:
    """The metrics at ``path``, replaced whole: a temporary file in the same folder, renamed."""
    from prometheus_client import write_to_textfile

    write_to_textfile(str(path), collect(db, run))
