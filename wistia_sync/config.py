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
# Delivery after each publish (see delivery.DeliverySettings).
TARGET_ENV = "WISTIA_SYNC_TARGET"
PURGE_ENV = "WISTIA_SYNC_PURGE"
PURGE_BUDGET_ENV = "WISTIA_SYNC_PURGE_BUDGET"
S3_ENDPOINT_ENV = "AWS_ENDPOINT_URL"
BASE_URL_ENV = "WISTIA_SYNC_BASE_URL"
IMMUTABLE_CACHE_CONTROL_ENV = "WISTIA_SYNC_CACHE_CONTROL_IMMUTABLE"
ENTRY_CACHE_CONTROL_ENV = "WISTIA_SYNC_CACHE_CONTROL_ENTRY"
# What a process's environment may name of the delivery (deliver.site.OPTIONS). Not
# AWS_ENDPOINT_URL: like the AWS credentials, boto3 reads it itself when the site stores no
# endpoint.
DELIVERY_ENV = (
    TARGET_ENV,
    PURGE_ENV,
    BASE_URL_ENV,
    PURGE_BUDGET_ENV,
    IMMUTABLE_CACHE_CONTROL_ENV,
    ENTRY_CACHE_CONTROL_ENV,
)
# Seconds a delivery waits for another delivery to the same target (default 60), then exits 75.
DELIVERY_LOCK_WAIT_ENV = "WISTIA_SYNC_DELIVERY_LOCK_WAIT"
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
# The library's defaults that the CLI's options show: one copy, pinned by a test.
DEFAULT_API_URL = "https://api.wistia.com/modern"
DEFAULT_API_VERSION = "2026-05"
DEFAULT_FULL_EVERY = "24h"

UTF8_BOM = "\ufeff"


def read_secret_file(path: Path, what: str) -> str:
    """The text of a file holding a secret (the token, the webhook's key), stripped; a file that
    cannot be read, starts with a byte order mark (an editor's) or is not UTF-8 is refused."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read the {what} file {path}: {error.strerror}") from None
    if raw.startswith(UTF8_BOM.encode()):
        raise ConfigError(
            f"the {what} file {path} starts with a byte order mark (BOM); save it as plain text"
        )
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read the {what} file {path}: not UTF-8 text") from None


def read_token(token_file: Path | None) -> str:
    """The API token, from ``--token-file`` or ``WISTIA_API_TOKEN``; a clear error if neither.

    A token is printable ASCII (it goes into an HTTP header); anything else is a copy mistake
    (a BOM from an editor, a smart quote) and a configuration error, not a failed request.
    """
    if token_file is not None:
        token = read_secret_file(token_file, "token")
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
    """The webhook's secret key, from ``--secret-file`` or the environment (never argv).

    Wistia signs with the key as typed in its settings, so a key that starts with a byte order
    mark (an editor's) or holds control characters would make every genuine delivery fail its
    signature check: refused at start, as the API token is.
    """
    if secret_file is not None:
        secret = read_secret_file(secret_file, "secret")
        where = f"the secret file {secret_file}"
    else:
        secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
        where = WEBHOOK_SECRET_ENV
    if not secret:
        raise ConfigError(
            f"no webhook secret: set {WEBHOOK_SECRET_ENV} or pass --secret-file PATH "
            "(the secret key of the webhook in Wistia's Account Settings → Webhooks)"
        )
    if secret.startswith(UTF8_BOM):
        raise ConfigError(f"the webhook secret in {where} starts with a byte order mark (BOM)")
    if not secret.isprintable():
        raise ConfigError(
            f"the webhook secret in {where} contains control characters; check how it was copied"
        )
    register_secret(secret)
    return secret.encode("utf-8")


_HASHED_ACCOUNT_ID = re.compile(r"[a-z0-9]{1,64}")


def check_webhook_account_id(account_id: str) -> str:
    """``--account-id`` in the form Wistia's events carry it: the hashed id, not the number.

    The Data API's ``GET /account`` gives a numeric ``id`` (22570); events carry the account's
    hashed id (``0sxav1wj8o``). A number can never equal an event's id, so it would have every
    delivery answered 200 and ignored: refused instead.
    """
    value = account_id.strip()
    if value.isdigit():
        raise ConfigError(
            f"--account-id {value} is the numeric account id of the Data API; Wistia's events "
            "carry the hashed account id (10 letters and digits, like 0sxav1wj8o: see the "
            "metadata.account_id of a delivery, or your account's hashed id)"
        )
    if not _HASHED_ACCOUNT_ID.fullmatch(value):
        raise ConfigError(
            f"invalid --account-id {account_id!r}: use the hashed account id Wistia's events "
            "carry (lowercase letters and digits, like 0sxav1wj8o)"
        )
    return value


def token_file_warning(token_file: Path) -> str | None:
    """A warning when the token file is readable by its group or others (as ssh gives)."""
    return secret_file_warning(token_file, "token")


def secret_file_warning(path: Path, what: str) -> str | None:
    """A warning when a file holding a secret is accessible by its group or others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"warning: the {what} file {path} is accessible by others "
            f"(mode {stat.S_IMODE(mode):04o}); run chmod 600 {path}"
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


def check_database_outside_output(db: Path, output: Path) -> None:
    """Refuse a database whose folder is the output folder or inside it.

    Everything in the output folder may end up served or uploaded, and the database holds
    hidden videos and the change log; its journal (``-wal``, ``-shm``) and lock files live
    beside it. Both the folder the path names and the folder of the file it resolves to count
    (SQLite puts the journal beside the real file, the lock files go beside the given path).
    Paths are compared resolved (symlinks, ``..``, relative paths), and existing folders by
    identity too (a bind mount or a case-insensitive file system spells one folder two ways).
    """
    try:
        served = output.resolve()
        folders = {db.absolute().parent.resolve(), db.resolve().parent}
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise ConfigError(f"cannot resolve the database or output path: {error}") from None
    for folder in folders:
        if _same_or_inside(folder, served):
            raise ConfigError(
                f"refusing to keep the database {db} inside the output folder {output}: "
                "everything there may be served to anyone (hidden videos, the change log); "
                "move the database or choose another --output"
            )


def _same_or_inside(folder: Path, output: Path) -> bool:
    if folder == output or output in folder.parents:
        return True
    try:
        target = output.stat()
    except OSError:
        return False  # an output folder not created yet: the resolved paths said it all
    for candidate in (folder, *folder.parents):
        try:
            found = candidate.stat()
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False
