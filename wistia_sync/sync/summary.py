"""What a sync is asked to do, what it reports while it runs, and what it did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from wistia_sync.catalog.rules import Visibility
from wistia_sync.sync.failures import PERSISTENT_FAILURES, Endpoint, FailureStreak

DEFAULT_FULL_EVERY = timedelta(hours=24)
DEFAULT_STATS_BUDGET = 100
# Videos whose captions and chapters a ``sync``/``run`` command reads (two requests each): 200 a
# run is 400 requests, under a minute of Wistia's 600; cron's run every 10 minutes (cron.example)
# reads 28,800 videos a day, so a full crawl's daily round of a 10k catalog is done in 9 hours.
# A library caller opts in (``SyncOptions.captions_budget`` defaults to 0: its runs cost what
# they always did).
DEFAULT_CAPTIONS_BUDGET = 200


class Progress(Protocol):
    """Where a sync reports what it is doing (a rich display on a terminal, or nothing)."""

    def phase(self, description: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def phase(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass
class SyncOptions:
    full: bool = False
    full_every: timedelta = DEFAULT_FULL_EVERY
    stats_budget: int = DEFAULT_STATS_BUDGET
    captions_budget: int = 0
    allow_mass_delete: bool = False
    default_visibility: Visibility = "public"
    source: str = "wistia"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    # A first full crawl asks the account how many media it holds (one request) and reads
    # ahead that far; the CLI turns it on. Off, the crawl's requests are the listing's alone.
    ask_media_count: bool = False


_FAILURE_WARNINGS: dict[Endpoint, str] = {
    "stats": "stats failed on every attempt (retried later, with a backoff)",
    "media": "deletion check failed on every attempt (media kept; retried later, with a backoff)",
}


@dataclass
class SyncSummary:
    mode: str = "incremental"
    new: int = 0
    updated: int = 0
    archived: int = 0
    deleted: int = 0
    unchanged: int = 0
    stats_fetched: int = 0
    plays_changed: int = 0
    captions_fetched: int = 0  # videos whose captions and chapters were read
    captions_changed: int = 0  # of those, the videos whose published captions or chapters changed
    rejected: int = 0  # records quarantined in rejected_media this run
    media_failures: int = 0  # requests about one media that failed this run (retried later)
    # Of those, the media that failed PERSISTENT_FAILURES times in a row or more.
    persistent_failures: int = field(default=0, repr=False)
    requests: int = 0
    seconds: float = 0.0
    # What was repaired in the records stored, by kind (see wistia.records.read_media).
    warnings: Counter[str] = field(default_factory=Counter)
    # Media seen this run; counted once even if two passes or a re-check return them.
    seen: set[str] = field(default_factory=set, repr=False)
    rejected_keys: set[str] = field(default_factory=set, repr=False)
    streak: FailureStreak = field(default_factory=FailureStreak, repr=False)
    # One line each about something odd in Wistia's answers that the run worked around.
    crawl_notes: list[str] = field(default_factory=list)
    # A targeted refresh: the hashed ids asked for that Wistia and the database do not have.
    not_found: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything a published file may show changed."""
        return bool(
            self.new
            or self.updated
            or self.archived
            or self.deleted
            or self.plays_changed
            or self.captions_changed
        )

    def line(self) -> str:
        return (
            f"{self.mode} sync: {self.new} new, {self.updated} updated, {self.archived} archived, "
            f"{self.deleted} deleted, {self.unchanged} unchanged, {self.stats_fetched} stats, "
            f"{self.captions_fetched} captions; "
            f"{self.requests} requests in {self.seconds:.1f} s"
        )

    def warning_line(self) -> str | None:
        """Everything this run repaired or rejected, in one line (None: nothing)."""
        parts = []
        if self.rejected:
            parts.append(
                f"{self.rejected} media record{'s' if self.rejected != 1 else ''} rejected "
                "(see `wistia-sync status`)"
            )
        parts += [f"{kind}: {count}" for kind, count in sorted(self.warnings.items())]
        parts += self.crawl_notes
        return f"warning: {'; '.join(parts)}" if parts else None

    def persistent_failures_line(self) -> str | None:
        """What even a --quiet run reports: media whose requests keep failing (None: none)."""
        count = self.persistent_failures
        if not count:
            return None
        return (
            f"warning: {count} media failed on every attempt {PERSISTENT_FAILURES} runs in a row "
            "or more, each retried later with a longer backoff (see `wistia-sync status`)"
        )

    def count_failure(self, endpoint: Endpoint, failures: int) -> None:
        """Count one media's failed request, its ``failures``-th in a row."""
        self.media_failures += 1
        self.warnings[_FAILURE_WARNINGS[endpoint]] += 1
        if failures >= PERSISTENT_FAILURES:
            self.persistent_failures += 1

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["seen"], data["rejected_keys"], data["streak"], data["persistent_failures"]
        data["warnings"] = dict(sorted(self.warnings.items()))
        data["changed"] = self.changed
        return data
