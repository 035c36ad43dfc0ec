"""The dead-man's switch: ``run --ping-url URL`` (or the site's ``site --ping-url``) tells a
healthchecks-style monitor when a run starts and how it ended, so a run that stops happening
(a host turned off, a crontab lost) is noticed by the monitor's schedule, not by a viewer.

The healthchecks.io pinging API (https://healthchecks.io/docs/http_api/): ``URL/start`` when
the run starts (https://healthchecks.io/docs/measuring_script_run_time/), ``URL`` on success,
``URL/<exit code>`` on failure (https://healthchecks.io/docs/signaling_failures/), each with the
same ``?rid=`` run id so overlapping runs are told apart, the JSON summary or the error as the
POST body (https://healthchecks.io/docs/attaching_logs/), cut to ``BODY_LIMIT``.

A ping is a courtesy to the monitor, never a reason to fail the run: a short timeout, one retry,
and a failure is logged as a warning naming only the monitor's host (the URL's path is the
check's key).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wistia_sync.errors import ConfigError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)

PING_URL_KEY = "site_ping_url"
BODY_LIMIT = 10_000  # bytes; healthchecks.io keeps the first 100 kB, a summary needs far less
TIMEOUT_SECONDS = 10.0
ATTEMPTS = 2  # one retry at most


def check_ping_url(url: str) -> str:
    """``url`` without a trailing ``/``; one line for anything that is not http(s)://host/…."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(
            f"--ping-url must be http(s)://host/path without a query, like "
            f"https://hc-ping.com/UUID, not {shown_url(url)!r}"
        )
    return url.strip().rstrip("/")


def shown_url(url: str) -> str:
    """``https://hc-ping.com/…``: the path of a ping URL is its check's secret key."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "…"
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def stored_ping_url(db: Database) -> str | None:
    return get_state(db, PING_URL_KEY) or None


def store_ping_url(db: Database, url: str) -> None:
    """Store the site's ping URL (``''``: none)."""
    value = check_ping_url(url) if url.strip() else ""
    with write_transaction(db):
        if value:
            set_state(db, PING_URL_KEY, value)
        else:
            db.execute("DELETE FROM sync_state WHERE key = ?", [PING_URL_KEY])


class Pinger:
    """One run's pings, all with the same run id."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = check_ping_url(url)
        self.run_id = str(uuid.uuid4())
        self.timeout = timeout
        self.started = False

    def start(self) -> None:
        self.started = True
        self._send("/start", b"")

    def finish(self, exit_code: int, body: str) -> None:
        """``URL`` for exit code 0, ``URL/<code>`` otherwise (healthchecks: 1 to 255 fail)."""
        self._send("" if exit_code == 0 else f"/{min(max(exit_code, 1), 255)}", _cut(body))

    def _send(self, suffix: str, body: bytes) -> None:
        import httpx

        target = f"{self.url}{suffix}"
        error: Exception | None = None
        for _ in range(ATTEMPTS):
            try:
                response = httpx.post(
                    target, params={"rid": self.run_id}, content=body, timeout=self.timeout
                )
            except httpx.HTTPError as failure:
                error = failure
                continue
            if response.status_code < 500:
                if response.status_code >= 400:
                    log.warning(
                        "ping %s%s refused: HTTP %d", shown_url(self.url), suffix,
                        response.status_code,
                    )  # fmt: skip
                return
            error = RuntimeError(f"HTTP {response.status_code}")
        log.warning("ping %s%s failed (the run goes on): %s", shown_url(self.url), suffix, error)


def _cut(body: str) -> bytes:
    data = body.encode("utf-8", "replace")
    if len(data) <= BODY_LIMIT:
        return data
    return data[: BODY_LIMIT - 3].decode("utf-8", "ignore").encode() + b"..."


def exit_code_of(error: BaseException) -> int:
    """The exit code ``error`` ends the process with (the CLI's ``typer.Exit`` and every
    ``WistiaSyncError`` carry theirs; an interrupt is 130, anything else 1)."""
    if isinstance(error, KeyboardInterrupt):
        return 130
    code = getattr(error, "exit_code", None)
    return code if isinstance(code, int) else 1


def run_pinger(given: str | None, db_path: Path) -> Pinger | None:
    """The run's pinger: ``--ping-url`` if given, else the site's (None: neither)."""
    if given is not None:
        return Pinger(given) if given.strip() else None
    if not db_path.is_file():
        return None
    from wistia_sync.store.db import open_database

    stored = stored_ping_url(open_database(db_path))
    return Pinger(stored) if stored else None
