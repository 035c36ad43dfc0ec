"""Connection limits for uvicorn's h11 protocol: no stranger can hold the server's descriptors.

uvicorn bounds a header's size (h11) and an idle keep-alive connection, but not a connection
that never sends a request, nor one that sends it a byte at a time: 1,100 of those exhaust a
``ulimit -n`` of 1024, and then neither Wistia nor ``/healthz`` gets in. So, per connection, the
request (headers and body) must arrive within ``request_seconds`` of the connection opening or
of the previous response; and past ``max_connections`` open at once, the connection that has
waited longest without a request in hand is closed to make room (never one being answered):
one that has not yet sent a request before one kept alive after an answer, which a client
proved real by sending a whole request.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_REQUEST_SECONDS = 10.0
DEFAULT_MAX_CONNECTIONS = 500
DEFAULT_KEEP_ALIVE_SECONDS = 5.0
MAX_HEADER_BYTES = 16 * 1024  # h11's limit on a request's head; Wistia's is well under 2 KB
# Descriptors kept for everything but connections: the database (and its WAL) in each of the
# threads that use it, the Wistia client's connections, publishing's files.
RESERVED_DESCRIPTORS = 256
MIN_CONNECTIONS = 16
# Connections accepted in one go (the listen backlog, which asyncio also takes as the number to
# accept per wake-up): the cap is enforced only after a batch is accepted, so a batch of a
# uvicorn-default 2,048 could run out of descriptors before one connection was closed.
ACCEPT_BACKLOG = 64
ACCEPTS_IN_FLIGHT = 4 * ACCEPT_BACKLOG  # accepted, or being closed, before the cap catches up


@dataclass(frozen=True)
class ConnectionLimits:
    request_seconds: float = DEFAULT_REQUEST_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    keep_alive_seconds: float = DEFAULT_KEEP_ALIVE_SECONDS


def raise_descriptor_limit() -> int:
    """Raise the soft limit on open files to the hard one (ulimit -n); return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def connections_within(descriptors: int, wanted: int) -> int:
    """How many connections may be open at once with ``descriptors`` files allowed in all."""
    room = descriptors - RESERVED_DESCRIPTORS - ACCEPTS_IN_FLIGHT
    return max(MIN_CONNECTIONS, min(wanted, room))


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """An ``H11Protocol`` class enforcing ``limits``; each call makes a class with its own state."""

    class GuardedH11Protocol(H11Protocol):
        # Connections without a request in hand, the longest waiting first (dicts keep order):
        # those that never sent one, and those kept alive after an answer. One per server.
        fresh: dict[GuardedH11Protocol, None] = {}  # noqa: RUF012
        kept: dict[GuardedH11Protocol, None] = {}  # noqa: RUF012

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._answered = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._watch()
            if len(self.connections) > limits.max_connections:
                self._make_room()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            self._answered = True
            super().on_response_complete()
            self._watch()

        def _request_read(self) -> bool:
            cycle = self.cycle
            return cycle is not None and not cycle.response_complete and not cycle.more_body

        def _watch(self) -> None:
            """Start the request clock when waiting begins; stop it once a request is read."""
            if self.transport.is_closing() or self._request_read():
                self._stop_waiting()
            elif self._deadline is None:
                self._deadline = self.loop.call_later(limits.request_seconds, self._too_slow)
                (self.kept if self._answered else self.fresh)[self] = None

        def _stop_waiting(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            self.fresh.pop(self, None)
            self.kept.pop(self, None)

        def _too_slow(self) -> None:
            self._stop_waiting()
            # A body still arriving reaches the application as a disconnect: nothing is stored.
            self.transport.close()

        def _make_room(self) -> None:
            """Close the longest-waiting connection without a request, this one if none other."""
            others = (c for waiting in (self.fresh, self.kept) for c in waiting if c is not self)
            oldest = next(others, self)
            oldest._stop_waiting()
            oldest.transport.close()

    return GuardedH11Protocol
