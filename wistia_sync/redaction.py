"""Secrets this process holds, and the one function that keeps them out of every message.

The API token is registered when it is read (and when a client is built with it); every error
message is redacted when the error is created (``errors.WistiaSyncError``), so no path that
stores or prints an error (``sync_runs.error``, ``status``, a ``--debug`` traceback) can leak it.
"""

from __future__ import annotations

import threading

REDACTED = "***"
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(secret: str) -> None:
    if secret:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
