"""Running a crawl from a command: a progress display on a terminal, one warning line after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from wistia_sync.cli.console import notice, stderr_console, stderr_is_terminal

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from sqlite_utils import Database

    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import WistiaClient


def run_sync(
    db: Database, client: WistiaClient, options: SyncOptions, *, quiet: bool
) -> SyncSummary:
    from wistia_sync.sync.account import sync_account

    if quiet or not stderr_is_terminal():
        summary = sync_account(db, client, options)
    else:
        with _progress_display() as display:
            summary = sync_account(db, client, options, _RichProgress(display))
    # One line for everything repaired or rejected; --quiet leaves it to `status`, except media
    # whose requests keep failing: cron mail must hear of those.
    warning = summary.warning_line() if not quiet else summary.persistent_failures_line()
    if warning is not None:
        notice(warning)
    return summary


@contextmanager
def _progress_display() -> Iterator[RichProgress]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    ) as display:
        yield display


class _RichProgress:
    def __init__(self, display: RichProgress) -> None:
        self._display = display
        self._task: object = None

    def phase(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            self._display.update(self._task, visible=False)  # type: ignore[arg-type]
        self._task = self._display.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._display.advance(self._task, amount)  # type: ignore[arg-type]
