"""The server's log: our own lines and warnings only, and a bounded number of repeats.

An internet-facing server logs what strangers make it do (a wrong signature, a malformed request,
a refused connection). Each line is cheap for them and not for the disk, so a line repeated more
than ``burst`` times within ``window_seconds`` is suppressed and counted, and the count is told
with the next one let through.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from wistia_sync.redaction import RedactingFilter

REPEAT_BURST = 5
REPEAT_WINDOW_SECONDS = 60.0


@dataclass
class _Window:
    started: float
    passed: int = 0
    suppressed: int = 0


class RepeatLimiter(logging.Filter):
    """Lets at most ``burst`` records of one kind (logger and message template) per window."""

    def __init__(
        self,
        burst: int = REPEAT_BURST,
        window_seconds: float = REPEAT_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._burst = burst
        self._window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()  # a handler filters before taking its own lock

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            return self._let_through(record)

    def _let_through(self, record: logging.LogRecord) -> bool:
        now = self._clock()
        key = (record.name, str(record.msg))
        window = self._windows.get(key)
        if window is None or now - window.started >= self._window_seconds:
            suppressed = window.suppressed if window is not None else 0
            window = self._windows[key] = _Window(started=now)
            if suppressed:
                record.msg = f"{record.msg} [{suppressed} more like this suppressed]"
            self._forget_old(now)
        if window.passed >= self._burst:
            window.suppressed += 1
            return False
        window.passed += 1
        return True

    def _forget_old(self, now: float) -> None:
        # Kinds of line are few, but a message built without a template makes each its own kind.
        if len(self._windows) > 1000:
            self._windows = {
                key: window
                for key, window in self._windows.items()
                if now - window.started < self._window_seconds
            }


def configure_server_logging(*, debug: bool) -> None:
    """Our INFO lines and everyone's warnings on stderr, repeats bounded.

    The HTTP client's INFO line per request (``HTTP Request: GET …``) is for ``--debug`` only,
    which has already configured logging (everything, unbounded) when it was given.
    """
    if debug:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RepeatLimiter())
    handler.addFilter(RedactingFilter())  # a library's warning may quote a credential
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("wistia_sync").setLevel(logging.INFO)
