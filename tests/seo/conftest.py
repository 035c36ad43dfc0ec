from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from wistia_sync.publish import PublishResult, publish_site
from wistia_sync.store.db import open_database

Publish = Callable[..., PublishResult]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def publish(db: Database, out: Path, tmp_path: Path) -> Publish:
    def run(**options: Any) -> PublishResult:
        return publish_site(db, out, lock_path=tmp_path / "publish.lock", **options)

    return run
