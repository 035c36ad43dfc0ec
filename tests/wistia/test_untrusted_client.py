"""Issue 8, sections 1 and 3: the client bounds what a hostile server can make it do, and no
error it raises carries the token. Against the fake Wistia over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
import traceback

import httpx
import pytest

from tests.support.fakewistia import LIST, SHOW, FaultPlan, echo_authorization, oversized, trickle
from tests.support.fakewistia.plugin import FAKE_TOKEN, MakeServer
from wistia_sync.errors import UnexpectedResponse, WistiaError, WistiaUnavailable
from wistia_sync.wistia.client import ClientSettings, WistiaClient

PAGE = {"archived": False, "sort_by": "created", "descending": False, "page": 1}


def client_for(url: str, **settings: float) -> WistiaClient:
    return WistiaClient(
        ClientSettings(token=FAKE_TOKEN, api_url=url, backoff=0.01, **settings)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_an_error_body_echoing_the_token_leaves_it_in_no_error(
    make_fake_server: MakeServer, status: int
) -> None:
    server = make_fake_server(faults=FaultPlan().starting_at(1, echo_authorization(status)))
    with client_for(server.url) as client:
        with pytest.raises(WistiaError) as raised:
            client.list_media_page(**PAGE)  # type: ignore[arg-type]
        try:
            stats: object = client.get_stats("abc123def4")
        except WistiaError as error:  # 401 stops a run; the others are this media's condition
            stats = error
    assert server.log[0].status == status
    shown = "".join(traceback.format_exception(raised.value))
    assert FAKE_TOKEN not in shown
    assert FAKE_TOKEN not in repr(raised.value.args)
    assert "***" in str(raised.value)
    assert FAKE_TOKEN not in repr(stats)


def test_a_trickling_answer_is_cut_at_the_total_deadline(make_fake_server: MakeServer) -> None:
    # A byte every 50 ms: each read returns well within the timeout, the answer never ends.
    server = make_fake_server(faults=FaultPlan().starting_at(1, trickle(0.05), path=LIST))
    started = time.monotonic()
    with client_for(server.url, timeout=0.5) as client, pytest.raises(WistiaUnavailable) as raised:
        client.list_media_page(**PAGE)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert "took longer than 0.5 s" in str(raised.value)
    assert len(server.log) == 5
    assert elapsed < 5 * 0.5 + 2.0  # five attempts, each cut at its deadline


def test_an_oversized_body_is_refused_without_reading_it_all(make_fake_server: MakeServer) -> None:
    server = make_fake_server(faults=FaultPlan().at(1, oversized(30 * 1024 * 1024), path=LIST))
    with client_for(server.url) as client, pytest.raises(UnexpectedResponse, match="larger than"):
        client.list_media_page(**PAGE)  # type: ignore[arg-type]
    assert len(server.log) == 1  # not retried: the next answer would be as large


def test_the_size_cap_is_configurable(make_fake_server: MakeServer) -> None:
    server = make_fake_server()
    client = client_for(server.url, max_response_bytes=1000)
    with client, pytest.raises(UnexpectedResponse, match="larger than 1,000 bytes"):
        client.list_media_page(**PAGE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "hashed_id", ["..", "../token", "a?b=1", "a#b", "a/b", "a%2Fb", "a b", "a\r\nX-Evil: 1", ""]
)
def test_a_hashed_id_cannot_steer_a_request(make_fake_server: MakeServer, hashed_id: str) -> None:
    server = make_fake_server()
    with client_for(server.url) as client:
        with pytest.raises(UnexpectedResponse, match="unusable hashed id"):
            client.get_media(hashed_id)
        stats = client.get_stats(hashed_id)
    assert stats.__class__.__name__ == "NoStats"
    assert server.log == []


def test_every_media_path_stays_under_the_api_base(make_fake_server: MakeServer) -> None:
    server = make_fake_server()
    seen: list[httpx.URL] = []
    with client_for(server.url) as client:
        client._http.event_hooks["request"].append(lambda request: seen.append(request.url))
        client.get_media("abc123DEF4")
        client.get_stats("abc123DEF4")
    assert [url.path for url in seen] == [
        "/modern/medias/abc123DEF4",
        "/modern/medias/abc123DEF4/stats",
    ]
    assert all(not url.query for url in seen)
    assert server.requests(SHOW)
