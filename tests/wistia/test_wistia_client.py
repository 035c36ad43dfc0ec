"""The Wistia client's politeness and resilience, with httpx.MockTransport and a fake clock."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from wistia_sync.errors import (
    PermissionDenied,
    TokenRejected,
    UnexpectedResponse,
    WistiaUnavailable,
)
from wistia_sync.wistia.client import MAX_ATTEMPTS, ClientSettings, WistiaClient
from wistia_sync.wistia.ratelimit import SlidingWindowLimiter
from wistia_sync.wistia.records import read_media

MEDIA = {
    "id": 1,
    "hashed_id": "abc123def4",
    "name": "A",
    "type": "Video",
    "status": "ready",
    "archived": False,
    "created": "2026-03-02T15:04:05+00:00",
    "updated": "2026-03-05T09:12:44+00:00",
}


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    time: FakeTime | None = None,
    rate_limit: int = 600,
) -> WistiaClient:
    time = time or FakeTime()
    return WistiaClient(
        ClientSettings(token="secret-token", rate_limit=rate_limit),
        transport=httpx.MockTransport(handler),
        clock=time.clock,
        sleep=time.sleep,
    )


Handler = Callable[[httpx.Request], httpx.Response]


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


def test_every_request_carries_token_version_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    make_client(handler).list_media_page(
        archived=False, sort_by="created", descending=False, page=1
    )
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.headers["X-Wistia-Api-Version"] == "2026-05"
    assert request.headers["User-Agent"].startswith("wistia-sync/")
    assert dict(request.url.params) == {
        "archived": "false",
        "page": "1",
        "per_page": "100",
        "sort_by": "created",
        "sort_direction": "1",
    }


def test_media_parse_accepts_v1_spellings_and_unknown_fields() -> None:
    v1_media = {
        **MEDIA,
        "hashedId": "abc123def4",
        "project": {"id": 7, "name": "Old project", "hashedId": "proj000001"},
        "brand_new_field": {"x": 1},
    }
    del v1_media["hashed_id"]
    client = make_client(answer(200, [v1_media]))
    page = client.list_media_page(archived=False, sort_by="created", descending=False, page=1)
    (media,) = (read_media(record, Counter()) for record in page.records)
    assert media.hashed_id == "abc123def4"
    assert media.folder is not None and media.folder.hashed_id == "proj000001"


def test_401_names_wistia_code() -> None:
    client = make_client(answer(401, {"code": "account_inactive", "error": "Invalid credentials."}))
    with pytest.raises(TokenRejected, match="account_inactive"):
        client.get_media("abc123def4")


def test_403_names_the_missing_permission() -> None:
    client = make_client(answer(403, {"error": "Your plan lacks this feature"}))
    with pytest.raises(PermissionDenied, match="Read all folder and media data"):
        client.get_media("abc123def4")


def test_other_4xx_is_never_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"error": "bad params"})

    with pytest.raises(UnexpectedResponse, match="HTTP 422"):
        make_client(handler).get_media("abc123def4")
    assert len(calls) == 1


def test_5xx_is_retried_with_growing_capped_backoff_then_gives_up() -> None:
    time = FakeTime()
    client = make_client(answer(500, {"error": "Internal server error"}), time)
    with pytest.raises(WistiaUnavailable, match=f"{MAX_ATTEMPTS} attempts .* HTTP 500"):
        client.get_media("abc123def4")
    assert client.requests_made == MAX_ATTEMPTS
    assert len(time.sleeps) == MAX_ATTEMPTS - 1
    assert all(0 <= s <= 30 for s in time.sleeps)


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_errors_are_retried(error: Exception) -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise error
        return httpx.Response(200, json=MEDIA)

    media = make_client(handler).get_media("abc123def4")
    assert media is not None and len(attempts) == 3


def test_invalid_json_is_retried() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return httpx.Response(200, content=b'[{"hashed_id": ')
        return httpx.Response(200, json=[MEDIA])

    client = make_client(handler)
    assert (
        len(client.list_media_page(archived=False, sort_by="created", descending=False, page=1))
        == 1
    )


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pauses_the_request(status: int) -> None:
    time = FakeTime()
    attempts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(time.now)
        if len(attempts) == 1:
            return httpx.Response(status, text="Rate limit exceeded", headers={"Retry-After": "12"})
        return httpx.Response(200, json=MEDIA)

    make_client(handler, time).get_media("abc123def4")
    assert attempts[1] - attempts[0] == pytest.approx(12.0)


def test_retry_after_holds_back_every_worker() -> None:
    """One worker's 429 pauses the others too: none sends before Retry-After has passed."""
    time = FakeTime()
    sent: list[tuple[float, str]] = []
    lock = threading.Lock()
    first = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            sent.append((time.now, request.url.path))
            if not first.is_set():
                first.set()
                return httpx.Response(429, headers={"Retry-After": "30"})
        return httpx.Response(200, json={"stats": {"plays": 1}})

    client = make_client(handler, time)
    client.get_stats("aaaaaaaaaa")  # takes the 429 and waits it out
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(client.get_stats, ["b", "c", "d", "e"]))
    assert all(at >= 30 for at, _ in sent[1:])


def test_client_budget_lets_bursts_through_then_waits_for_the_window() -> None:
    time = FakeTime()
    limiter = SlidingWindowLimiter(3, window=60, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        limiter.acquire()
    assert time.sleeps == []  # a burst within budget goes out at once
    limiter.acquire()
    assert time.now == pytest.approx(60.0)


def test_a_101_page_crawl_is_not_paced_by_a_timer() -> None:
    time = FakeTime()
    client = make_client(answer(200, [MEDIA]), time)
    for page in range(1, 102):
        client.list_media_page(archived=False, sort_by="created", descending=False, page=page)
    assert time.sleeps == []


def test_error_messages_never_contain_the_token() -> None:
    client = make_client(answer(401, {"error": "Invalid credentials."}))
    with pytest.raises(TokenRejected) as raised:
        client.get_media("abc123def4")
    assert "secret-token" not in str(raised.value)
    assert "secret-token" not in json.dumps(str(raised.value.__cause__))


def test_each_answer_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is parsed where it is checked, and that parse is what the caller gets."""
    from wistia_sync.wistia import client as wistia
    from wistia_sync.wistia import jsonbody

    parses: list[bytes] = []
    parse = jsonbody.parse_answer

    def counting(content: bytes) -> object:
        parses.append(content)
        return parse(content)

    def no_second_parse(self: httpx.Response, **kwargs: object) -> object:
        raise AssertionError("the body was parsed a second time")

    monkeypatch.setattr(wistia, "parse_answer", counting)
    monkeypatch.setattr(httpx.Response, "json", no_second_parse)
    page = [{"hashed_id": "abc123", "created": "2026-01-01T00:00:00Z"}]
    stats = {"stats": {"plays": 7}}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = stats if path.endswith("/stats") else page[0] if "abc123" in path else page
        return httpx.Response(200, content=json.dumps(body).encode())

    with WistiaClient(
        # A token no message contains: every client's token is redacted process-wide.
        ClientSettings(token="parsed-once-token"),
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    ) as client:
        listed = client.list_media_page(archived=False, sort_by="created", descending=False, page=1)
        assert listed.records == page
        shown = client.get_media("abc123")
        assert shown is not None
        assert shown.records == page
        assert client.get_stats("abc123") == wistia.WistiaStats(plays=7)
    assert len(parses) == 3  # one a request
