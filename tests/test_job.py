"""``publish_and_deliver``: the one path every publishing process takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.support.factories import add_video
from wistia_sync.errors import ConfigError
from wistia_sync.job import publish_and_deliver, site_delivery
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path


def test_publishes_under_the_lock_beside_the_database_file(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    add_video(db, "aaaaaaaaa1")
    db.conn.commit()
    published = publish_and_deliver(db, tmp_path / "output")
    assert published.publish is not None and published.publish.changed
    assert published.delivery is None  # none configured
    assert publish_lock_path(tmp_path / "wistia.db").exists()
    assert (tmp_path / "output" / "manifest.json").exists()
    again = publish_and_deliver(db, tmp_path / "output", due=False)
    assert again.publish is None and again.delivery is None


def test_refuses_a_database_without_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a file"):
        publish_and_deliver(Database(memory=True), tmp_path / "output")
    assert not (tmp_path / "output").exists()


def test_refuses_a_database_inside_the_output_through_its_handle(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    db = open_database(output / "wistia.db", create=True)
    with pytest.raises(ConfigError, match="inside the output folder"):
        publish_and_deliver(db, output)


def test_no_delivery_without_a_target_or_purge_in_the_site_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WISTIA_SYNC_TARGET", "WISTIA_SYNC_PURGE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    db = open_database(tmp_path / "wistia.db", create=True)
    assert site_delivery(db, environment=True) == (None, None)
    monkeypatch.setenv("WISTIA_SYNC_TARGET", "s3://bucket/site")
    settings, notice = site_delivery(db, environment=True)
    assert settings is not None and settings.target == "s3://bucket/site"
    assert notice is not None and "wistia-sync site --target" in notice
