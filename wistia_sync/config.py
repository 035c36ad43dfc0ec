"""Settings that come from the environment or the command line, resolved and validated once."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from wistia_sync.errors import ConfigError

TOKEN_ENV = "WISTIA_API_TOKEN"
API_URL_ENV = "WISTIA_API_URL"
API_VERSION_ENV = "WISTIA_API_VERSION"
DB_ENV = "WISTIA_SYNC_DB"
OUTPUT_ENV = "WISTIA_SYNC_OUTPUT"
DEFAULT_VISIBILITY_ENV = "WISTIA_SYNC_DEFAULT_VISIBILITY"
ACTOR_ENV = "WISTIA_SYNC_ACTOR"
DEBUG_ENV = "WISTIA_SYNC_DEBUG"
PAGE_SIZE_ENV = "WISTIA_SYNC_PAGE_SIZE"
# Tuning for tests and slow links: seconds a request may take, and the first retry's backoff
# ceiling (it doubles on each retry, capped). Defaults: wistia.TIMEOUT_SECONDS and
# wistia.BACKOFF_INITIAL_SECONDS.
WEBHOOK_SECRET_ENV = "WISTIA_SYNC_WEBHOOK_SECRET"
WEBHOOK_ACCOUNT_ENV = "WISTIA_SYNC_WEBHOOK_ACCOUNT_ID"
HTTP_TIMEOUT_ENV = "WISTIA_SYNC_HTTP_TIMEOUT"
HTTP_BACKOFF_ENV = "WISTIA_SYNC_HTTP_BACKOFF"

DEFAULT_DB = "wistia.db"
DEFAULT_OUTPUT = "output"

_secrets: set[str] = set()


def redact(text: str) -> str:
    """``text`` with every secret this process has read replaced by ``***``."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def read_token(token_file: Path | None) -> str:
    """The API token, from ``--token-file`` or ``WISTIA_API_TOKEN``; a clear error if neither."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(
                f"cannot read the token file {token_file}: {error.strerror}"
            ) from None
        if not token:
            raise ConfigError(f"the token file {token_file} is empty")
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise ConfigError(
                f"no Wistia API token: set {TOKEN_ENV} or pass --token-file PATH "
                "(or try the built-in demo catalog with --demo)"
            )
    if any(char.isspace() for char in token):
        raise ConfigError("the API token contains whitespace; check how it was copied")
    _secrets.add(token)
    return token


def read_webhook_secret(secret_file: Path | None) -> bytes:
    """The webhook's secret key, from ``--secret-file`` or the environment (never argv)."""
    if secret_file is not None:
        try:
            secret = secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise ConfigError(f"cannot read the secret file {secret_file}: {reason}") from None
    else:
        secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if not secret:
        raise ConfigError(
            f"no webhook secret: set {WEBHOOK_SECRET_ENV} or pass --secret-file PATH "
            "(the secret key of the webhook in Wistia's Account Settings → Webhooks)"
        )
    _secrets.add(secret)
    return secret.encode("utf-8")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 3600}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``24h``, ``2d``, ``3600s``; a bare number means hours."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ConfigError(f"invalid duration {text!r}: use a number with s, m, h or d (e.g. 24h)")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``, or ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, not {raw!r}")
    return value
