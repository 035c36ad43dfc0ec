"""What ``run`` tells the outside world about itself as it ends: the dead-man's switch ping
(``ops.ping``) and the metrics textfile (``ops.metrics``), whatever the outcome."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wistia_sync.errors import LockHeld
from wistia_sync.ops.ping import Pinger, exit_code_of
from wistia_sync.redaction import redact

log = logging.getLogger(__name__)


@contextmanager
def watched_run(
    pinger: Pinger | None, metrics_file: Path | None, db_path: Path
) -> Iterator[dict[str, Any]]:
    """Yields a dict the run fills with its JSON summary; on the way out, pings and writes the
    metrics. A run refused because another holds the run lock says nothing: that run reports
    for itself (and one stuck misses its own success ping, which is how the monitor notices).
    A run that started (and so pinged ``/start``) always reports how it ended."""
    summary: dict[str, Any] = {}
    began = time.monotonic()
    try:
        yield summary
    except LockHeld as error:
        if pinger is not None and pinger.started:  # a later lock (a delivery's) timed out
            _ended(pinger, metrics_file, db_path, exit_code_of(error), redact(str(error)), began)
        raise
    except BaseException as error:
        _ended(pinger, metrics_file, db_path, exit_code_of(error), redact(str(error)), began)
        raise
    _ended(pinger, metrics_file, db_path, 0, json.dumps(summary), began)


def _ended(
    pinger: Pinger | None,
    metrics_file: Path | None,
    db_path: Path,
    exit_code: int,
    body: str,
    began: float,
) -> None:
    if pinger is not None:
        pinger.finish(exit_code, body or f"exit code {exit_code}")
    if metrics_file is None or not db_path.is_file():
        return
    from wistia_sync.ops.metrics import RunOutcome, write_textfile
    from wistia_sync.store.db import open_database

    try:
        db = open_database(db_path)
        write_textfile(metrics_file, db, RunOutcome(exit_code, time.monotonic() - began))
    except Exception as error:  # the run's own outcome matters more than its metrics
        log.warning("could not write the metrics file %s: %s", metrics_file, error)
