"""Pytest fixtures for a fake Wistia account: register with
``pytest_plugins = ["tests.support.fakewistia.plugin"]`` in ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.fakewistia.server import FakeWistiaServer, FaultPlan
from wistia_sync.demo.api import FakeWistia
from wistia_sync.demo.catalog import demo_catalog

FAKE_TOKEN = "test-token-123"

MakeServer = Callable[..., FakeWistiaServer]


@pytest.fixture
def fake_wistia() -> FakeWistia:
    """The demo account, fresh for each test, that only answers ``Bearer test-token-123``."""
    return FakeWistia(*demo_catalog(), token=FAKE_TOKEN)


@pytest.fixture
def fake_server(fake_wistia: FakeWistia) -> Iterator[FakeWistiaServer]:
    """``fake_wistia`` served on 127.0.0.1 (no faults; set ``fake_server.faults`` to add some)."""
    with FakeWistiaServer(fake_wistia) as server:
        yield server
    assert not server.errors, f"the fake server failed while answering: {server.errors!r}"


@pytest.fixture
def make_fake_server(fake_wistia: FakeWistia) -> Iterator[MakeServer]:
    """``make_fake_server(api=None, faults=None)``: more servers, all stopped after the test."""
    servers: list[FakeWistiaServer] = []

    def make(api: FakeWistia | None = None, *, faults: FaultPlan | None = None) -> FakeWistiaServer:
        server = FakeWistiaServer(api or fake_wistia, faults=faults).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    errors = [error for server in servers for error in server.errors]
    assert not errors, f"a fake server failed while answering: {errors!r}"
