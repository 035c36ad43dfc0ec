"""The preview page in headless Chromium, loaded through the CDN stand-in: what it renders, and
that a hidden video is gone after a reload once the purge ran."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.serving.nginxserver import free_port, require_nginx, running_nginx
from tests.serving.purging import nginx_cache_purge
from tests.serving.sitefolder import (
    DEFAULT_VIDEOS,
    SampleVideo,
    changed_entry_paths,
    site_files,
    write_site,
)
from tests.serving.test_verify import origin_and_cdn
from wistia_sync.cli.app import app
from wistia_sync.serve.preview import render_preview_page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HOSTILE_NAME = "<img src=x onerror=\"document.title='pwned'\">Tour & more"
VIDEOS = (*DEFAULT_VIDEOS, SampleVideo("xss666", HOSTILE_NAME, ("tour",), None))


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test extra")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1200,900",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def publish(out: Path, videos: tuple[SampleVideo, ...], generation: str) -> dict[str, Any]:
    files = site_files(videos, generation)
    files["index.html"] = render_preview_page("Acme videos")
    return write_site(out, files, generation)


def wait_ready(driver: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(
        lambda d: (
            d.find_element("tag name", "body").get_attribute("data-ready") in ("true", "error")
        )
    )
    assert driver.find_element("tag name", "body").get_attribute("data-ready") == "true", (
        driver.find_element("id", "status").text
    )


def shown_ids(driver: Any) -> list[str]:
    """Every video of the open playlist, paging through it with the More button."""
    from selenium.webdriver.support.ui import WebDriverWait

    def cards() -> list[str]:
        found = driver.find_elements("css selector", "#gallery .card")
        return [card.get_attribute("data-hashed-id") for card in found]

    while driver.find_element("id", "more").is_displayed():
        before = len(cards())
        driver.find_element("id", "more").click()
        WebDriverWait(driver, 10).until(lambda _, before=before: len(cards()) > before)
    return cards()


def test_preview_renders_the_playlists_and_drops_a_hidden_video_after_purge(
    tmp_path: Path, browser: Any
) -> None:
    require_nginx()
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = publish(out, VIDEOS, "gen-1")
    origin_port, cdn_port = free_port(), free_port()
    cdn = f"http://127.0.0.1:{cdn_port}/"
    with running_nginx(tmp_path / "nginx", origin_and_cdn(out, origin_port, cdn_port, cache)):
        browser.get(cdn + "index.html")
        wait_ready(browser)
        assert browser.title == "Acme videos"
        assert sorted(shown_ids(browser)) == sorted(v.hashed_id for v in VIDEOS)
        hostile = browser.find_element("css selector", '[data-hashed-id="xss666"] .name')
        assert hostile.text == HOSTILE_NAME  # shown as text, never parsed as HTML
        assert browser.find_elements("css selector", "#gallery img[src='x']") == []
        nav = browser.find_element("id", "nav").text
        assert "Onboarding (1)" in nav and "Folder fold2 (1)" in nav

        browser.get(cdn + "index.html#tag/tour")
        wait_ready(browser)
        assert sorted(shown_ids(browser)) == ["def456", "ghi789", "xss666"]

        browser.get(cdn + "index.html")
        wait_ready(browser)
        assert "jkl012" in shown_ids(browser)
        hidden = tuple(v for v in VIDEOS if v.hashed_id != "jkl012")
        second = publish(out, hidden, "gen-2")
        purge = nginx_cache_purge(cache)
        changed = [
            arg for path in changed_entry_paths(first, second) for arg in ("--changed", path)
        ]
        result = CliRunner().invoke(
            app,
            ["deliver", "--db", str(tmp_path / "wistia.db"), "--output", str(out),
             "--purge", purge, "--base-url", cdn, *changed],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        browser.refresh()
        wait_ready(browser)
        assert sorted(shown_ids(browser)) == sorted(v.hashed_id for v in hidden)
        assert browser.title == "Acme videos"


def test_the_page_holds_no_data_and_allows_only_its_own_script() -> None:
    page = render_preview_page('Title <b>"bold"</b>').decode()
    assert "Title &lt;b&gt;&#34;bold&#34;&lt;/b&gt;" in page
    assert 'hashed_id":' not in page  # reads the JSON at run time; embeds none
    assert "script-src 'sha256-" in page and "unsafe-inline" not in page
    assert render_preview_page() == render_preview_page()
