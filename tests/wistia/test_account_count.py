"""``WistiaClient.account_media_count``: one attempt at ``GET /account``, a usable count or None."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from wistia_sync.errors import TokenRejected
from wistia_sync.wistia.client import MAX_ACCOUNT_MEDIA_COUNT, ClientSettings, WistiaClient

TOKEN = "fake-token"


def count_from(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[int | None, list[str]]:
    """What the client makes of ``answer``, and the paths it requested."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return answer(request)

    client = WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=lambda seconds: None,
    )
    with client:
        return client.account_media_count(), paths


def test_a_count_is_read_from_the_account_summary() -> None:
    body = {"id": 1, "name": "A", "url": "https://a.wistia.com", "media_count": 1234}
    count, paths = count_from(lambda request: httpx.Response(200, json=body))
    assert (count, paths) == (1234, ["/modern/account"])


@pytest.mark.parametrize(
    "content",
    [
        b'{"media_count": -1}',
        b'{"media_count": 2.5}',
        b'{"media_count": 1e3}',
        b'{"media_count": "12"}',
        b'{"media_count": true}',
        b'{"media_count": null}',
        b'{"media_count": 100000000000000000000000000000}',
        f'{{"media_count": {MAX_ACCOUNT_MEDIA_COUNT + 1}}}'.encode(),
        b'{"name": "no count"}',
        b"[12]",
        b"12",
        b"",
        b"{not json",
        b'{"media_count": NaN}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=lambda content: content[:40].decode(),
)
def test_an_unusable_answer_is_no_count_after_one_request(content: bytes) -> None:
    count, paths = count_from(
        lambda request: httpx.Response(
            200, content=content, headers={"Content-Type": "application/json"}
        )
    )
    assert (count, len(paths)) == (None, 1)


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (403, {}),
        (404, {}),
        (429, {"Retry-After": "1"}),
        (429, {"Retry-After": "100000"}),
        (500, {}),
        (503, {}),
    ],
)
def test_an_error_is_no_count_and_is_not_retried(status: int, headers: dict[str, str]) -> None:
    count, paths = count_from(
        lambda request: httpx.Response(status, json={"error": "no"}, headers=headers)
    )
    assert (count, len(paths)) == (None, 1)


def test_a_rejected_token_ends_the_run_after_one_request() -> None:
    paths: list[str] = []

    def reject(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(401, json={"error": "no"})

    with pytest.raises(TokenRejected):
        count_from(reject)
    assert len(paths) == 1


def test_a_connection_failure_is_no_count() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    count, paths = count_from(fail)
    assert (count, len(paths)) == (None, 1)
