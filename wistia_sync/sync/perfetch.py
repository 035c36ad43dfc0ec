"""Per-video requests (play counts, captions): fetched a few at a time, stored in batches, in order.

A streak of failures fails the run (``SyncSummary.streak``: Wistia is down, not one media), and
what was fetched before it is stored first, so a run that stops keeps what it paid for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from wistia_sync.sync.summary import Progress, SyncSummary

Target = TypeVar("Target", bound=tuple[Any, ...])  # (hashed id, what is stored now)
Answer = TypeVar("Answer")


def fetch_and_store(
    targets: Sequence[Target],
    fetch: Callable[[str], Answer],
    store: Callable[[Sequence[tuple[Target, Answer]]], None],
    *,
    endpoint: str,
    workers: int,
    batch_size: int,
    summary: SyncSummary,
    progress: Progress,
) -> None:
    """Fetch each target's answer ``workers`` at a time; store them ``batch_size`` at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = pool.map(fetch, [target[0] for target in targets])
        try:
            batch: list[tuple[Target, Answer]] = []
            for target, answer in zip(targets, answers, strict=True):
                batch.append((target, answer))
                outage = summary.streak.add(answer, (target[0], endpoint))
                if outage is not None or len(batch) == batch_size:
                    store(batch)
                    progress.advance(len(batch))
                    batch = []
                if outage is not None:
                    raise outage
            if batch:
                store(batch)
                progress.advance(len(batch))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
