"""Settings that come from the environment or the command line, resolved and validated once."""

from __future__ import annotations

import os
import re
import stat
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from wistia_sync.errors import ConfigError
from wistia_sync.redaction import register_secret

TOKEN_ENV = "WISTIA_API_TOKEN"
API_URL_ENV = "WISTIA_API_URL"
API_VERSION_ENV = "WISTIA_API_VERSION"
DB_ENV = "WISTIA_SYNC_DB"
OUTPUT_ENV = "WISTIA_SYNC_OUTPUT"
DEFAULT_VISIBILITY_ENV = "WISTIA_SYNC_DEFAULT_VISIBILITY"
ACTOR_ENV = "WISTIA_SYNC_ACTOR"
DEBUG_ENV = "WISTIA_SYNC_DEBUG"
PAGE_SIZE_ENV = "WISTIA_SYNC_PAGE_SIZE"
# Delivery after each publish (see delivery.DeliverySettings).
TARGET_ENV = "WISTIA_SYNC_TARGET"
PURGE_ENV = "WISTIA_SYNC_PURGE"
PURGE_BUDGET_ENV = "WISTIA_SYNC_PURGE_BUDGET"
S3_ENDPOINT_ENV = "AWS_ENDPOINT_URL"
BASE_URL_ENV = "WISTIA_SYNC_BASE_URL"
IMMUTABLE_CACHE_CONTROL_ENV = "WISTIA_SYNC_CACHE_CONTROL_IMMUTABLE"
ENTRY_CACHE_CONTROL_ENV = "WISTIA_SYNC_CACHE_CONTROL_ENTRY"
WEBHOOK_SECRET_ENV = "WISTIA_SYNC_WEBHOOK_SECRET"
WEBHOOK_ACCOUNT_ENV = "WISTIA_SYNC_WEBHOOK_ACCOUNT_ID"
# Tuning for tests and slow links: seconds a request may take, and the first retry's backoff
# ceiling (it doubles on each retry, capped). Defaults: wistia.TIMEOUT_SECONDS and
# wistia.BACKOFF_INITIAL_SECONDS.
HTTP_TIMEOUT_ENV = "WISTIA_SYNC_HTTP_TIMEOUT"
HTTP_BACKOFF_ENV = "WISTIA_SYNC_HTTP_BACKOFF"
# The largest response body read (bytes); default wistia.MAX_RESPONSE_BYTES.
MAX_RESPONSE_BYTES_ENV = "WISTIA_SYNC_MAX_RESPONSE_BYTES"

DEFAULT_DB = "wistia.db"
DEFAULT_OUTPUT = "output"

UTF8_BOM = "\ufeff"


def read_token(token_file: Path | None) -> str:
    """The API token, from ``--token-file`` or ``WISTIA_API_TOKEN``; a clear error if neither.

    A token is printable ASCII (it goes into an HTTP header); anything else is a copy mistake
    (a BOM from an editor, a smart quote) and a configuration error, not a failed request.
    """
    if token_file is not None:
        try:
            raw = token_file.read_bytes()
        except OSError as error:
            raise ConfigError(
                f"cannot read the token file {token_file}: {error.strerror}"
            ) from None
        if raw.startswith(UTF8_BOM.encode()):
            raise ConfigError(
                f"the token file {token_file} starts with a byte order mark (BOM); "
                "save it as plain ASCII"
            )
        token = raw.decode("utf-8", errors="replace").strip()
        where = f"the token file {token_file}"
        if not token:
            raise ConfigError(f"the token file {token_file} is empty")
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        where = TOKEN_ENV
        if not token:
            raise ConfigError(
                f"no Wistia API token: set {TOKEN_ENV} or pass --token-file PATH "
                "(or try the built-in demo catalog with --demo)"
            )
    if token.startswith(UTF8_BOM):
        raise ConfigError(f"the API token in {where} starts with a byte order mark (BOM)")
    if not token.isascii() or not token.isprintable():
        raise ConfigError(
            f"the API token in {where} contains non-ASCII or control characters; "
            "check how it was copied"
        )
    if any(char.isspace() for char in token):
        raise ConfigError("the API token contains whitespace; check how it was copied")
    register_secret(token)
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
    register_secret(secret)
    return secret.encode("utf-8")


def token_file_warning(token_file: Path) -> str | None:
    """A warning when the token file is readable by its group or others (as ssh gives)."""
    try:
        mode = token_file.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: the token file {token_file} is accessible by others "
            f"(mode {stat.S_IMODE(mode):04o}); run chmod 600 {token_file}"
        )
    return None


_API_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


def check_api_url(url: str) -> str:
    """The API base URL, if it is an absolute http(s) URL with a host and nothing odd in it."""
    if not url.isascii() or not url.isprintable() or any(char.isspace() for char in url):
        raise ConfigError(
            f"invalid API URL {url!r}: it contains spaces, line breaks or non-ASCII characters"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError as error:
        raise ConfigError(f"invalid API URL {url!r}: {error}") from None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"invalid API URL {url!r}: use https://host/path")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"invalid API URL {url!r}: no query, fragment or user name allowed")
    return url


def check_api_version(version: str) -> str:
    if not _API_VERSION.fullmatch(version):
        raise ConfigError(f"invalid API version {version!r}: use the form YYYY-MM (e.g. 2026-05)")
    return version


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
MAX_DURATION = timedelta(days=3650)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}
DURATION_HELP = "a number with s, m, h or d (600s, 10m, 24h, 7d); a bare number is seconds"


def parse_duration(
    text: str,
    *,
    name: str = "duration",
    minimum: timedelta = timedelta(0),
    maximum: timedelta = MAX_DURATION,
) -> timedelta:
    """The one duration syntax of every option and setting: ``600s``, ``10m``, ``24h``, ``7d``.

    A bare number is seconds, the unit of every other time the tool reads or prints (the
    environment's timeouts, ``--json`` fields, ``site``'s settings). Until this, ``--grace``,
    ``--takedown-grace`` and ``--full-every`` read one as hours, so ``--grace 600`` meant 25 days.
    """
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ConfigError(f"invalid {name} {text!r}: use {DURATION_HELP}")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if not minimum.total_seconds() <= seconds <= maximum.total_seconds():
        raise ConfigError(
            f"{name} {text!r} is out of range: from {format_duration(minimum.total_seconds())} "
            f"to {format_duration(maximum.total_seconds())}"
        )
    return timedelta(seconds=seconds)


def format_duration(seconds: float) -> str:
    """``seconds`` in the largest unit keeping it whole: ``600`` → ``10m``, ``0.5`` → ``0.5s``."""
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{seconds:g}s"


def seconds_from_env(name: str, default: float) -> float:
    """A positive duration from the environment variable ``name`` (``30``, ``30s``, ``2m``: a
    bare number is seconds), in seconds, or ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse_duration(raw, name=name).total_seconds()
    except ConfigError:
        value = 0.0
    if not value > 0:
        raise ConfigError(
            f"{name} must be a positive number of seconds, or a duration such as 30s or 2m, "
            f"not {raw!r}"
        )
    return value


def count_from_env(name: str, default: int) -> int:
    """A positive whole number from the environment variable ``name``, or ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= 2**40:
        raise ConfigError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)
