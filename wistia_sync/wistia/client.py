"""The Wistia Data API client: one httpx client, a shared request budget, bounded retries.

Every request of a process goes through ``WistiaClient._get``: it waits for the rate limiter,
retries what is worth retrying (429/503 after ``Retry-After``, other 5xx, timeouts, dropped
connections, unreadable bodies) with capped, jittered exponential backoff, at most
``MAX_ATTEMPTS`` times, and turns everything else into one of the errors in ``errors``.

Whatever the server sends is untrusted: the timeout is a total deadline for the whole answer
(a server trickling bytes cannot hold a request past it), a body larger than
``max_response_bytes`` is refused unread, error bodies are quoted with the token redacted, and
a hashed id is checked and percent-encoded before it becomes part of a URL path. Media records
are returned raw: ``records.read_media`` validates them one by one.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from wistia_sync import __version__
from wistia_sync.config import DEFAULT_API_URL, DEFAULT_API_VERSION
from wistia_sync.errors import (
    PermissionDenied,
    RequestFailed,
    TokenRejected,
    UnexpectedResponse,
    WistiaError,
    WistiaUnavailable,
)
from wistia_sync.redaction import register_secret
from wistia_sync.wistia.jsonbody import NestedTooDeeply, parse_answer
from wistia_sync.wistia.ratelimit import Clock, Sleep, SlidingWindowLimiter
from wistia_sync.wistia.records import WistiaStats, is_hashed_id, read_stats

DEFAULT_RATE_LIMIT = 600  # requests a minute: Wistia's per-account limit
PER_PAGE = 100  # the API's maximum page size
MAX_IDS_PER_REQUEST = 100
MAX_ATTEMPTS = 5
BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 300.0  # a longer pause is reported rather than slept through by cron
TIMEOUT_SECONDS = 30.0  # per request; WISTIA_SYNC_HTTP_TIMEOUT overrides it (tests shorten it)
CONNECT_TIMEOUT_SECONDS = 10.0
# A page of 100 media is about 150 KB; a few MB leaves room for long descriptions, and a 500 MB
# body is refused before it is read. WISTIA_SYNC_MAX_RESPONSE_BYTES overrides it.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024

# A larger announced catalog is not believed (it would only deepen a first crawl's read-ahead).
MAX_ACCOUNT_MEDIA_COUNT = 100_000_000

# What each endpoint needs, to name it when Wistia answers 403.
MEDIA_PERMISSION = "Read all folder and media data"

_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class _Retryable(Exception):
    """A failure worth another attempt; ``retry_after`` is the server's requested pause.

    ``reached``: Wistia answered (or started to), so the failure may be this request's alone;
    a connection that cannot be made and a rate limit (429, 503) concern every request.
    """

    def __init__(
        self, reason: str, retry_after: float | None = None, *, reached: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.reached = reached


@dataclass(frozen=True)
class ClientSettings:
    token: str
    api_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION
    rate_limit: int = DEFAULT_RATE_LIMIT
    timeout: float = TIMEOUT_SECONDS
    backoff: float = BACKOFF_INITIAL_SECONDS  # first retry's backoff ceiling; doubles, capped
    max_response_bytes: int = MAX_RESPONSE_BYTES


@dataclass(frozen=True)
class MediaPage:
    """Raw media records as Wistia sent them, and the server's ``Date`` (None if unusable)."""

    records: list[Any] = field(default_factory=list)
    server_date: datetime | None = None

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True)
class _Answer:
    """An answer as ``_get`` returns it: the response, and its JSON body parsed once (None for
    a status the caller accepted as an error)."""

    response: httpx.Response
    body: Any = None


@dataclass(frozen=True)
class NoStats:
    """Wistia gave no usable stats for one media: not a video (HTTP 400), deleted since listed
    (404), not on the plan (403), or an answer that is not media stats (``status`` None)."""

    status: int | None
    detail: str = ""

    @property
    def reason(self) -> str:
        if self.status == 404:
            return "Wistia no longer has this media (HTTP 404); a full crawl confirms its deletion"
        said = f": {self.detail}" if self.detail else ""
        if self.status is None:
            return f"Wistia's stats answer is unusable{said}"
        return f"Wistia has no stats for this media (HTTP {self.status}){said}"


class WistiaClient:
    """Reads media, one media and media stats from the Wistia Data API.

    ``transport`` replaces the network (the demo catalog and tests use it); ``clock`` and
    ``sleep`` let tests run retries and rate limiting without waiting.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        register_secret(settings.token)
        self._token = settings.token
        self._timeout = settings.timeout
        self._max_bytes = settings.max_response_bytes
        self._http = httpx.Client(
            base_url=settings.api_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {settings.token}",
                "X-Wistia-Api-Version": settings.api_version,
                "User-Agent": f"wistia-sync/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(
                settings.timeout, connect=min(settings.timeout, CONNECT_TIMEOUT_SECONDS)
            ),
            transport=transport,
        )
        self._backoff = wait_random_exponential(
            multiplier=settings.backoff, max=BACKOFF_MAX_SECONDS
        )
        self._limiter = SlidingWindowLimiter(settings.rate_limit, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._count_lock = threading.Lock()
        self.requests_made = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WistiaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints -------------------------------------------------------------------------

    def list_media_page(
        self, *, archived: bool, sort_by: str, descending: bool, page: int, per_page: int = PER_PAGE
    ) -> MediaPage:
        """One page (``per_page`` records at most) of ``GET /medias``; a short page is the last."""
        params = {
            "archived": "true" if archived else "false",
            "page": page,
            "per_page": per_page,
            "sort_by": sort_by,
            "sort_direction": 0 if descending else 1,
        }
        return self._media_page(self._get("medias", params))

    def list_media_by_ids(self, hashed_ids: Sequence[str]) -> MediaPage:
        """The media among ``hashed_ids`` (at most 100) that Wistia still lists."""
        if len(hashed_ids) > MAX_IDS_PER_REQUEST:
            raise ValueError(f"at most {MAX_IDS_PER_REQUEST} ids a request")
        params: list[tuple[str, str | int]] = [("hashed_ids[]", h) for h in hashed_ids]
        params.append(("per_page", PER_PAGE))
        return self._media_page(self._get("medias", params))

    def get_media(self, hashed_id: str) -> MediaPage | None:
        """One media (a page of one raw record), or None when Wistia answers 404 (deleted)."""
        answer = self._get(media_path(hashed_id), None, accept={404})
        if answer.response.status_code == 404:
            return None
        return MediaPage([answer.body], _server_date(answer.response))

    def get_stats(self, hashed_id: str) -> WistiaStats | NoStats:
        """Aggregated stats of a video, or ``NoStats`` for a condition of this one media: 400
        (not a video), 403 (not on the plan, per the spec), 404 (deleted since an earlier run
        listed it), or an answer that is not media stats."""
        try:
            answer = self._get(f"{media_path(hashed_id)}/stats", None, accept={400, 403, 404})
        except UnexpectedResponse as error:
            return NoStats(None, str(error))
        response = answer.response
        if response.status_code in (400, 403, 404):
            return NoStats(response.status_code, self._error_text(response))
        try:
            return read_stats(answer.body)
        except ValueError as error:
            return NoStats(None, str(error))

    def get_media_json(self, hashed_id: str, resource: str) -> Any | None:
        """The JSON answer of ``GET /medias/{hashed_id}/{resource}`` (``captions``,
        ``customizations``), unread, or None for a 404 (the media is gone, or has none)."""
        answer = self._get(f"{media_path(hashed_id)}/{resource}", None, accept={404})
        return None if answer.response.status_code == 404 else answer.body

    def account_media_count(self) -> int | None:
        """The ``media_count`` of ``GET /account`` (SPEC-0526: "the total number of medias in
        this account"), or None when one attempt does not give a usable one.

        Only a hint of how many list pages a first crawl will read: it is never retried, and
        every failure (a rate limit, an error status, an unreadable or odd answer) is None, left
        for the listing's own requests to meet and report. A rejected token is the exception: it
        ends the run here, as it would at the listing's first request.
        """
        try:
            answer = self._attempt("account", None, frozenset())
        except TokenRejected:
            raise
        except (_Retryable, WistiaError, httpx.HTTPError):
            return None
        count = answer.body.get("media_count") if isinstance(answer.body, dict) else None
        if type(count) is not int or not 0 <= count <= MAX_ACCOUNT_MEDIA_COUNT:
            return None
        return count

    # -- transport -----------------------------------------------------------------------------

    def _media_page(self, answer: _Answer) -> MediaPage:
        if not isinstance(answer.body, list):
            raise UnexpectedResponse(
                f"Wistia's answer to {_describe(answer.response.request)} is not a list of media"
            )
        return MediaPage(answer.body, _server_date(answer.response))

    def _get(
        self,
        path: str,
        params: Any,
        *,
        accept: frozenset[int] | set[int] = frozenset(),
    ) -> _Answer:
        retrying = Retrying(
            stop=stop_after_attempt(MAX_ATTEMPTS),
            retry=retry_if_exception_type(_Retryable),
            wait=self._wait,
            sleep=self._sleep,
        )
        try:
            answer: _Answer = retrying(self._attempt, path, params, accept)
        except RetryError as error:
            last = error.last_attempt.exception()
            reason = last.reason if isinstance(last, _Retryable) else str(last)
            failure = RequestFailed if isinstance(last, _Retryable) and last.reached else None
            raise (failure or WistiaUnavailable)(
                f"Wistia is unavailable: {MAX_ATTEMPTS} attempts at GET /{path} failed "
                f"(last: {reason})"
            ) from error
        return answer

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            # The limiter holds back every worker until then; no extra wait of our own.
            return 0.0
        return float(self._backoff(state))

    def _attempt(self, path: str, params: Any, accept: frozenset[int] | set[int]) -> _Answer:
        self._limiter.acquire()
        with self._count_lock:
            self.requests_made += 1
        try:
            response = self._fetch(path, params)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise _Retryable(
                f"connection failed ({type(error).__name__})", reached=False
            ) from error
        except httpx.TimeoutException as error:
            raise _Retryable(f"timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise _Retryable(f"connection failed ({type(error).__name__})") from error
        status = response.status_code
        if status in accept:
            return _Answer(response)
        if status in (429, 503):
            retry_after = _retry_after_seconds(response)
            if retry_after is not None:
                if retry_after > MAX_RETRY_AFTER_SECONDS:
                    raise WistiaUnavailable(
                        f"Wistia asked us to wait {retry_after:.0f} s (HTTP {status}); "
                        "giving up for this run"
                    )
                self._limiter.pause(retry_after)
            raise _Retryable(f"HTTP {status}", retry_after, reached=False)  # account-wide
        if status >= 500:
            raise _Retryable(f"HTTP {status}")
        if status == 401:
            if _error_fields(response).get("code") == "unauthorized_scope":
                # The token is valid but lacks a permission (SPEC-0526's 401 codes): not "rejected".
                raise PermissionDenied(
                    f"the API token lacks the permission {MEDIA_PERMISSION!r} "
                    f"(Wistia said: {self._error_text(response) or 'unauthorized_scope'}); "
                    "use a token that has it (Wistia: Account Settings > API)"
                )
            raise TokenRejected(self._token_rejected_message(response))
        if status == 403:
            raise PermissionDenied(
                f"the API token lacks the permission {MEDIA_PERMISSION!r} "
                f"(Wistia said: {self._error_text(response) or 'forbidden'})"
            )
        if status != 200:
            raise UnexpectedResponse(
                f"Wistia answered HTTP {status} to {_describe(response.request)}: "
                f"{self._error_text(response) or response.reason_phrase}"
            )
        try:
            # Parsed once, here: an unreadable body is worth another attempt, one nested too
            # deeply is not (a page keeps its other records: see jsonbody).
            body = parse_answer(response.content)
        except NestedTooDeeply as error:
            raise UnexpectedResponse(
                f"Wistia's answer to {_describe(response.request)} {error}"
            ) from None
        except (ValueError, UnicodeDecodeError) as error:
            raise _Retryable("unreadable JSON in the response") from error
        return _Answer(response, body)

    def _fetch(self, path: str, params: Any) -> httpx.Response:
        """GET ``path`` and read the whole answer within the deadline and the size cap."""
        deadline = time.monotonic() + self._timeout
        request = self._http.build_request("GET", path, params=params)
        response = self._http.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise self._too_large(request)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise self._too_large(request)
                if time.monotonic() > deadline:
                    raise _Retryable(f"timed out (the answer took longer than {self._timeout:g} s)")
                chunks.append(chunk)
        finally:
            response.close()
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request
        )

    def _too_large(self, request: httpx.Request) -> UnexpectedResponse:
        return UnexpectedResponse(
            f"Wistia's answer to {_describe(request)} is larger than {self._max_bytes:,} bytes "
            "(raise WISTIA_SYNC_MAX_RESPONSE_BYTES if that is expected)"
        )

    def _scrub(self, text: str) -> str:
        """An error body's text, safe to quote: the token removed, one line, bounded."""
        text = text.replace(self._token, "***")
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:297] + "..."

    def _error_text(self, response: httpx.Response) -> str:
        error = _error_fields(response).get("error")
        return self._scrub(str(error)) if error else ""

    def _token_rejected_message(self, response: httpx.Response) -> str:
        fields = _error_fields(response)
        detail = ", ".join(str(fields[k]) for k in ("code", "error") if fields.get(k))
        suffix = f" ({self._scrub(detail)})" if detail else ""
        return f"Wistia rejected the API token{suffix}; check WISTIA_API_TOKEN"


def media_path(hashed_id: str) -> str:
    """The URL path of one media, relative to the API base; only a usable hashed id may form one
    (``..`` or ``x?y=1`` must not steer the request), and it is percent-encoded all the same."""
    if not is_hashed_id(hashed_id):
        raise UnexpectedResponse(f"refusing to request the unusable hashed id {hashed_id!r}")
    return f"medias/{quote(hashed_id, safe='')}"


def _describe(request: httpx.Request) -> str:
    return f"GET {request.url.path}"


def _server_date(response: httpx.Response) -> datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _error_fields(response: httpx.Response) -> dict[str, Any]:
    try:
        body = parse_answer(response.content)
    except (ValueError, UnicodeDecodeError):  # NestedTooDeeply included
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
