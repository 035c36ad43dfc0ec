"""``wistia-sync site --origin --watch-url --watch-pages --indexnow`` (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.factories import add_video
from wistia_sync.cli.app import app
from wistia_sync.publish import publish_site
from wistia_sync.publish.seo_settings import seo_settings
from wistia_sync.store.db import open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "wistia.db"
    open_database(path, create=True).conn.close()
    return path


def site(db_path: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["site", *arguments, "--json", "--db", str(db_path)])
    return result.exit_code, result.output


def stored(db_path: Path) -> list[tuple[str, str]]:
    db = open_database(db_path)
    try:
        return db.execute("SELECT key, value FROM sync_state ORDER BY key").fetchall()
    finally:
        db.conn.close()


def test_origin_and_template_are_stored_normalised_and_shown(db_path: Path) -> None:
    code, output = site(
        db_path, "--origin", "HTTPS://Example.COM/", "--watch-url", "/videos/{slug}"
    )
    assert code == 0, output
    shown = json.loads(output)
    assert shown["origin"] == "https://example.com"
    assert shown["watch_url"] == "/videos/{slug}"
    assert shown["watch_pages"] is False
    settings = seo_settings(open_database(db_path))
    assert settings is not None
    assert settings.watch_page_url("intro", "abc") == "https://example.com/videos/intro"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--origin", "ftp://example.com", "--watch-url", "/v/{slug}"], "https://"),
        (["--origin", "https://example.com/site", "--watch-url", "/v/{slug}"], "no path"),
        (["--origin", "https://example.com?x=1", "--watch-url", "/v/{slug}"], "no path"),
        (["--origin", "https://user:pw@example.com", "--watch-url", "/v/{slug}"], "credentials"),
        (["--origin", "https://exa mple.com", "--watch-url", "/v/{slug}"], "spaces"),
        (["--origin", "https://", "--watch-url", "/v/{slug}"], "host"),
        (["--origin", "https://example.com", "--watch-url", "/v/{name}"], "unknown placeholder"),
        (["--origin", "https://example.com", "--watch-url", "/v/"], "exactly once"),
        (["--origin", "https://example.com", "--watch-url", "/v/{slug}/{slug}"], "exactly once"),
        (["--origin", "https://example.com", "--watch-url", "/v/{slug"], "unmatched"),
        (["--origin", "https://example.com", "--watch-url", "/v/{slug!r}"], "unknown"),
        (["--origin", "https://example.com", "--watch-url", "v/{slug}"], "starting with"),
        (["--origin", "https://example.com", "--watch-url", "//evil/{slug}"], "starting with"),
        (["--origin", "https://example.com", "--watch-url", "/v/{slug}#top"], "path and query"),
        (["--origin", "https://example.com", "--watch-url", '/v/"{slug}'], "path and query"),
        (["--origin", "https://example.com"], "together"),
        (["--watch-url", "/v/{slug}"], "together"),
        (["--indexnow", "not a url", "--origin", "https://a.b", "--watch-url", "/{slug}"], "URL"),
    ],
)
def test_bad_input_is_one_line_non_zero_and_changes_nothing(
    db_path: Path, arguments: list[str], message: str
) -> None:
    before = stored(db_path)
    code, output = site(db_path, "--page-size", "7", *arguments)
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output
    assert stored(db_path) == before


def test_turning_the_settings_on_and_off_asks_for_a_rebuild_once(
    db_path: Path, tmp_path: Path
) -> None:
    db = open_database(db_path)
    add_video(db, "v1")
    lock = tmp_path / "lock"
    publish_site(db, tmp_path / "out", lock_path=lock)
    assert site(db_path, "--origin", "https://example.com", "--watch-url", "/v/{slug}")[0] == 0
    assert publish_site(db, tmp_path / "out", lock_path=lock).full
    assert site(db_path, "--origin", "https://example.com", "--watch-url", "/v/{slug}")[0] == 0
    assert not publish_site(db, tmp_path / "out", lock_path=lock).full  # nothing changed
    assert site(db_path, "--origin", "", "--watch-url", "")[0] == 0
    assert seo_settings(db) is None
    assert publish_site(db, tmp_path / "out", lock_path=lock).full


def test_indexnow_gets_a_key_once(db_path: Path) -> None:
    base = ["--origin", "https://example.com", "--watch-url", "/v/{slug}"]
    assert site(db_path, *base, "--indexnow", "https://api.indexnow.org/indexnow")[0] == 0
    first = seo_settings(open_database(db_path))
    assert first is not None and first.indexnow_key is not None
    assert len(first.indexnow_key) == 32
    assert site(db_path, "--indexnow", "https://www.bing.com/indexnow")[0] == 0
    second = seo_settings(open_database(db_path))
    assert second is not None
    assert second.indexnow_key == first.indexnow_key
    assert second.indexnow_endpoint == "https://www.bing.com/indexnow"


def publish_cli(db_path: Path, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["publish", "--db", str(db_path), "--output", str(out), "--json", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    published: dict[str, Any] = json.loads(result.output)
    return published


def test_a_base_url_change_rewrites_the_sitemap_index_and_no_other_seo_file(
    db_path: Path, tmp_path: Path
) -> None:
    db = open_database(db_path)
    for number in range(3):
        add_video(db, f"v{number}")
    db.conn.close()
    out = tmp_path / "out"
    assert site(db_path, "--origin", "https://example.com", "--watch-url", "/v/{slug}")[0] == 0
    publish_cli(db_path, out)
    assert (
        "<loc>https://example.com/sitemaps/videos-0.xml</loc>" in (out / "sitemap.xml").read_text()
    )

    code, output = site(db_path, "--base-url", "https://cdn.example.net/files/")
    assert code == 0, output
    published = publish_cli(db_path, out)

    index = (out / "sitemap.xml").read_text()
    assert "<loc>https://cdn.example.net/files/sitemaps/videos-0.xml</loc>" in index
    assert "example.com/" not in index
    written = {*published["changed_entries"], *published["new_pages"]}
    seo = {p for p in written if p.startswith(("sitemap", "ld/", "watch/", "slugs/"))}
    assert seo == {"sitemap.xml"}
    assert published["full"] is False  # not a rebuild of every file
    assert publish_cli(db_path, out)["changed_entries"] == []  # and then nothing again

    assert site(db_path, "--base-url", "")[0] == 0  # cleared: the origin's root again
    publish_cli(db_path, out)
    assert (
        "<loc>https://example.com/sitemaps/videos-0.xml</loc>" in (out / "sitemap.xml").read_text()
    )
