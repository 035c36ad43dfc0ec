"""Fixtures of the reliability scenarios: a fake account per test, a cron workspace, the ledger."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.harness import LEDGER_ENV, Ledger, Workspace, prime
from tests.support.fakewistia.server import FakeWistiaServer, FaultPlan
from wistia_sync.demo.api import FakeWistia
from wistia_sync.demo.catalog import generate_catalog

# A token nobody could mistake for anything else, so a scan for it finds only real leaks.
TOKEN = "wsr-" + "Zq7" * 4 + "-secret-token-9f2c"


@pytest.fixture
def soak(request: pytest.FixtureRequest) -> bool:
    """Whether the longer variants were asked for (``pytest --soak``)."""
    return bool(request.config.getoption("--soak"))


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    path = os.environ.get(LEDGER_ENV)
    return Ledger(Path(path) if path else None)


def make_account(count: int, seed: int, *, folders: int = 6) -> FakeWistia:
    """A generated account of ``count`` media that only answers ``TOKEN``."""
    return FakeWistia(*generate_catalog(count, seed=seed, folders=folders), token=TOKEN)


Serve = Callable[..., FakeWistiaServer]


@pytest.fixture
def serve(make_fake_server: Serve) -> Serve:
    """``serve(api, faults=None)``: a fake server on 127.0.0.1, stopped after the test (the
    shared ``make_fake_server`` fixture, which also fails a test whose server raised)."""

    def start(api: FakeWistia, faults: FaultPlan | None = None) -> FakeWistiaServer:
        return make_fake_server(api, faults=faults)

    return start


MakeWorkspace = Callable[..., Workspace]


@pytest.fixture
def workspace(tmp_path: Path) -> MakeWorkspace:
    """``workspace(server, token=TOKEN)``: a fresh cron installation pointed at ``server``."""

    def make(server: FakeWistiaServer, *, token: str = TOKEN, name: str = "") -> Workspace:
        root = tmp_path / (name or f"ws-{secrets.token_hex(3)}")
        root.mkdir()
        return Workspace(root=root, api_url=server.url, token=token)

    return make


@dataclass
class Scene:
    """A fake account served on 127.0.0.1 and a cron workspace that already synced it once."""

    api: FakeWistia
    server: FakeWistiaServer
    ws: Workspace


MakeScene = Callable[..., Scene]


@pytest.fixture(scope="session")
def primed_templates(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., Path]:
    """``template(count, seed, seo=False)``: a database and output folder after a first
    complete run on ``make_account(count, seed)`` (``seo``: with site settings on), built once
    per session and copied into each test."""
    built: dict[tuple[int, int, bool], Path] = {}

    def template(count: int, seed: int, seo: bool = False) -> Path:
        if (count, seed, seo) not in built:
            root = tmp_path_factory.mktemp(f"primed-{count}-{seed}{'-seo' if seo else ''}")
            with FakeWistiaServer(make_account(count, seed)) as server:
                prime(Workspace(root=root, api_url=server.url, token=TOKEN), seo=seo)
            built[(count, seed, seo)] = root
        return built[(count, seed, seo)]

    return template


@pytest.fixture
def scene(
    serve: Serve, workspace: MakeWorkspace, primed_templates: Callable[..., Path]
) -> MakeScene:
    """``scene(count, seed, seo=False)``: a fresh account (the same catalog for the same
    arguments), its server, and a workspace holding what a first complete run left (database
    and output); ``seo``: the site has an origin, a watch URL and watch pages."""

    def make(count: int, seed: int, *, seo: bool = False) -> Scene:
        api = make_account(count, seed)
        server = serve(api)
        ws = workspace(server)
        template = primed_templates(count, seed, seo)
        source = sqlite3.connect(template / "wistia.db")
        target = sqlite3.connect(ws.db)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        ws.db.chmod(0o600)
        # copy2 keeps each file's mtime, which the last publish recorded.
        shutil.copytree(template / "output", ws.output, copy_function=shutil.copy2)
        return Scene(api, server, ws)

    return make
