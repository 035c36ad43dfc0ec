"""The error hierarchy: every failure a user can meet is one of these, with a one-line message."""

from __future__ import annotations

from wistia_sync.redaction import redact

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_OWED = 3  # published locally; the delivery to the target or the CDN purge is owed
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try again later


class WistiaSyncError(Exception):
    """Base of every expected failure; the CLI prints its message as one line.

    The message is redacted here, once: it may quote an error body that echoed the token.
    """

    exit_code = EXIT_FAILURE

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))


class UsageError(WistiaSyncError):
    """Bad input from the user: nothing was changed."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """Missing or invalid configuration (token, paths, options)."""


class DatabaseError(WistiaSyncError):
    """The database cannot be opened or is not one we understand."""


class DatabaseUnusable(DatabaseError):
    """The database path cannot be used as given (missing folder, read-only): fix the setup."""

    exit_code = EXIT_USAGE


class DatabaseBusy(DatabaseError):
    """Another process kept the database locked past the busy timeout: try again later."""

    exit_code = EXIT_LOCKED


class DeliveryOwed(WistiaSyncError):
    """Published locally (and an editor's change kept), but the delivery to the target or the
    CDN purge failed or ran out of time: it is recorded, ``status`` shows it, and the next
    process that delivers retries it."""

    exit_code = EXIT_OWED


class LockHeld(WistiaSyncError):
    """Another process holds the lock."""

    exit_code = EXIT_LOCKED


class WistiaError(WistiaSyncError):
    """Wistia answered, or failed to answer, in a way that stops the sync."""


class TokenRejected(WistiaError):
    """HTTP 401."""


class PermissionDenied(WistiaError):
    """HTTP 403."""


class WistiaUnavailable(WistiaError):
    """Repeated 5xx, 429, timeouts or connection errors: we gave up."""


class RequestFailed(WistiaUnavailable):
    """Every attempt at one request failed though Wistia was reached (5xx without
    ``Retry-After``, timeouts while answering, unreadable bodies): it may be that request's
    alone, as when one media's stats always answer 500."""


class UnexpectedResponse(WistiaError):
    """A status or body the API reference does not describe."""


class SiteUnreachable(WistiaSyncError):
    """No request to the public URL got an HTTP answer (``verify``)."""


class SyncAborted(WistiaSyncError):
    """The sync stopped on purpose (for example the mass-delete guard)."""


class PublishAborted(WistiaSyncError):
    """The publish stopped on purpose (the mass-unpublish guard): nothing was published."""
