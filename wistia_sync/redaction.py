"""Secrets this process holds, and the functions that keep them out of every message.

The API token is registered when it is read (and when a client is built with it); every error
message is redacted when the error is created (``errors.WistiaSyncError``), so no path that
stores or prints an error (``sync_runs.error``, ``status``, a ``--debug`` traceback) can leak it.

Three levels, each including the one before:

- ``redact``: every registered secret becomes ``***``.
- ``redact_credentials``: also the value of every credential a library may print: an
  ``Authorization`` or ``Cookie`` header, AWS's ``X-Amz-Security-Token`` and signatures (header
  or query string), Cloudflare's and Fastly's key headers, ``token=``/``password=`` pairs. The
  ``--debug`` log and tracebacks go through it.
- ``redact_output``: also any long opaque token (letters and digits, 24 characters or more), then
  capped: for text a program we do not control wrote (a purge command's output).

``register_environment_secrets`` registers the values of this process's secret-looking
environment variables (``SECRET_NAME_WORDS``), so a command echoing one is redacted too.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

REDACTED = "***"
_secrets: set[str] = set()
_lock = threading.Lock()

# An environment variable whose name has one of these words holds a secret (AWS's keys and
# session token among them). Values shorter than SECRET_MIN_LENGTH are not registered: a
# ``FOO_KEY=1`` would otherwise redact every "1" in every message.
SECRET_NAME_WORDS = ("TOKEN", "SECRET", "KEY", "PASSWORD", "PASSWD", "CREDENTIAL", "SESSION")
SECRET_MIN_LENGTH = 8


def register_secret(secret: str) -> None:
    if secret:
        with _lock:
            _secrets.add(secret)


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in SECRET_NAME_WORDS)


def register_environment_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Register the value of every secret-looking variable of ``environ`` (this process's)."""
    for name, value in (os.environ if environ is None else environ).items():
        value = value.strip()
        if is_secret_name(name) and len(value) >= SECRET_MIN_LENGTH:
            register_secret(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


# Header names whose whole value is a credential, as a library prints them: ``Name: value``,
# ``'Name': 'value'`` or ``'Name': b'value'`` (a headers dict's repr), any case.
_CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "cookie",
    "set-cookie",
    "fastly-key",
    "x-auth-key",
    "x-auth-token",
    "x-api-key",
)
# The patterns are compiled on first use (and kept in ``re``'s cache): every process imports this
# module, few ever redact a credential, and compiling them up front cost each start-up ~3 ms.
_HEADER = (
    r"""(?P<name>['"]?\b(?:"""
    + "|".join(re.escape(name) for name in _CREDENTIAL_HEADERS)
    + r""")['"]?\s*:\s*)"""
    r"""(?!\s*b?['"]?\*\*\*)"""  # not one already redacted
    # the value: quoted (b'…', '…', "…") up to its closing quote, else up to the line's end or
    # the next ``, 'Header':`` of a dict repr
    r"""(?P<value>b?'[^'\n]*'|b?"[^"\n]*"|[^\n,}>]*(?:,\s*(?:SignedHeaders|Signature)=[^\n,}>]*)*)"""
)
# ``name=value`` pairs in query strings and messages: AWS presigned URLs and signatures, and
# whatever a tool calls a token, secret, key or password.
_PAIR = (
    r"(?P<name>\b(?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature|"
    r"[A-Za-z_.-]*(?:token|secret|password|passwd|api[_-]?key|access[_-]?key)[A-Za-z_]*)"
    r"['\"]?\s*[=:]\s*)(?!\s*b?['\"]?\*\*\*)"
    r"(?P<value>b?'[^'\n]*'|b?\"[^\"\n]*\"|[^\s&'\",;}>)]+)"
)
_BEARER = r"(?P<name>\b(?:Bearer|Basic|Token)\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})"


def _keep_name(match: re.Match[str]) -> str:
    value = match["value"]
    if value[:2] in ("b'", 'b"'):
        return f"{match['name']}{value[:2]}{REDACTED}{value[1]}"
    if value[:1] in ("'", '"'):
        return f"{match['name']}{value[0]}{REDACTED}{value[0]}"
    return f"{match['name']}{REDACTED}"


def redact_credentials(text: str) -> str:
    """``redact``, and the value of every credential header or ``token=``-like pair."""
    text = redact(text)
    text = re.sub(_HEADER, _keep_name, text, flags=re.IGNORECASE)
    text = re.sub(_BEARER, _keep_name, text)
    return re.sub(_PAIR, _keep_name, text, flags=re.IGNORECASE)


# 24+ characters of a token alphabet, with at least one letter and one digit: an API key, a
# base64 secret, a hex digest. A URL's path is cut at its slashes and dots, so it stays.
_OPAQUE = (
    r"(?<![A-Za-z0-9_+=-])(?=[A-Za-z_+=-]*[0-9])(?=[0-9_+=-]*[A-Za-z])"
    r"[A-Za-z0-9_+=-]{24,}(?![A-Za-z0-9_+=-])"
)


def redact_output(text: str, limit: int = 300) -> str:
    """Text a program we do not control wrote, as it may be stored or shown: every credential
    and long opaque token redacted, then cut to ``limit`` characters (after redacting, so no
    secret is left half-shown)."""
    text = re.sub(_OPAQUE, REDACTED, redact_credentials(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RedactingFilter:
    """A logging filter (on a handler) that replaces each record's message, exception and stack
    with their ``redact_credentials`` text: ``--debug`` and the webhook server's log use it.
    Duck-typed, so that importing this module does not import ``logging``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: show it raw, still redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact_credentials(message), None
        if record.exc_info:
            import traceback

            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text, record.exc_info = redact_credentials(formatted), None
        elif record.exc_text:
            record.exc_text = redact_credentials(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_credentials(record.stack_info)
        return True
