"""``--debug``: every library's log on stderr, and tracebacks, with no credential in them.

Every record passes through ``redact_credentials`` on its way out (a filter on the root
handler): secrets this process registered (the Wistia token, the purge providers' tokens, and the
values of its secret-looking environment variables), and the value of every ``Authorization``,
``Cookie``, ``X-Amz-Security-Token`` and key header, and of ``Signature=``/``X-Amz-*=`` and
``token=``-like pairs, whichever library logs them. The loggers that print requests byte by
byte (``WIRE_LOGGERS``: httpcore's wire, botocore's signing, parsing and event hooks) stay at
INFO unless ``WISTIA_SYNC_DEBUG_WIRE=1`` asks for them, and even then are redacted. Request lines
(botocore's "Sending http request", urllib3's and httpx's request lines) are kept.

A traceback is redacted the same way, exception arguments included: Python's own hook is
replaced by one that formats the traceback, then redacts it.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from types import TracebackType

from wistia_sync.redaction import RedactingFilter, redact_credentials, register_environment_secrets

WIRE_ENV = "WISTIA_SYNC_DEBUG_WIRE"
WIRE_LOGGERS = (
    "httpcore",  # every header sent and received, Wistia's bearer token among them
    "botocore.auth",  # the canonical request (session token) and the signature
    "botocore.parsers",  # every response header and body
    "botocore.hooks",  # one line per internal event: noise
    "botocore.loaders",
    "botocore.regions",
    "s3transfer",
)


def setup_debug_logging() -> None:
    """DEBUG logging on stderr, every record redacted; a redacting traceback hook."""
    register_environment_secrets()
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if os.environ.get(WIRE_ENV) != "1":
        for name in WIRE_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    sys.excepthook = _redacted_traceback


def _redacted_traceback(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    text = "".join(traceback.format_exception(kind, error, trace))
    sys.stderr.write(redact_credentials(text))
    sys.stderr.flush()
