"""A client-side request budget over a sliding window, shared by every thread of a process.

Requests within the budget go out at once (no fixed pace); past it, a caller waits until the
oldest request in the window is old enough. A server's ``Retry-After`` pauses every caller.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]

WINDOW_SECONDS = 60.0


class SlidingWindowLimiter:
    def __init__(
        self,
        max_requests: int,
        window: float = WINDOW_SECONDS,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("the rate limit must allow at least one request")
        self.max_requests = max_requests
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits the budget, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._sent) >= self.max_requests:
                    wait = self._sent[0] + self.window - now
                if wait <= 0:
                    self._sent.append(now)
                    return
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server asked us to, with Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
