"""The preview page in headless Chromium, loaded through the CDN stand-in: what it renders, and
that a video hidden with the CLI is gone after a reload once its purge ran."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import add_folder, add_video, tag_video
from tests.serving.nginxserver import free_port, require_nginx, running_nginx
from tests.serving.purging import nginx_cache_purge
from tests.serving.sitefolder import DEFAULT_VIDEOS, SampleVideo
from tests.serving.test_verify import origin_and_cdn
from wistia_sync.db import open_database
from wistia_sync.serve.preview import render_preview_page
from wistia_sync.site_settings import change_site_settings

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


def wistia_sync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a subprocess, configured through the environment as cron is."""
    entry_point = Path(sys.executable).with_name("wistia-sync")
    command = [str(entry_point)] if entry_point.exists() else [sys.executable, "-m", "wistia_sync"]
    result = subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"wistia-sync {' '.join(args)}: {result.stdout}{result.stderr}"
    return result


def catalog(db_path: Path) -> None:
    """Published videos across two pages, in folders and tags, one with a hostile name."""
    db = open_database(db_path, create=True)
    add_folder(db, "fold1", "Onboarding folder")
    add_folder(db, "fold2", "Careers folder")
    for video in VIDEOS:
        add_video(db, video.hashed_id, name=video.name, folder_hashed_id=video.folder)
        for tag in video.tags:
            tag_video(db, video.hashed_id, tag)
    add_video(db, "hidden1", name="Never shown", visibility="hidden")
    change_site_settings(db, page_size=2, preview_title="Acme videos")
    db.conn.close()


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


def test_the_published_preview_through_the_cdn_drops_a_video_hidden_with_the_cli(
    tmp_path: Path, browser: Any
) -> None:
    """Real pieces end to end: the publisher's index.html and JSON, nginx serving the folder,
    the proxy_cache CDN in front, `visibility hide` in a subprocess purging it."""
    require_nginx()
    out, cache = tmp_path / "out", tmp_path / "cache"
    origin_port, cdn_port = free_port(), free_port()
    cdn = f"http://127.0.0.1:{cdn_port}/"
    env = {key: value for key, value in os.environ.items() if not key.startswith("WISTIA_")}
    env |= {"WISTIA_SYNC_DB": str(tmp_path / "wistia.db"), "WISTIA_SYNC_OUTPUT": str(out)}
    catalog(tmp_path / "wistia.db")
    wistia_sync("publish", "--quiet", env=env)
    assert b"Never shown" not in (out / "index.html").read_bytes()

    with running_nginx(tmp_path / "nginx", origin_and_cdn(out, origin_port, cdn_port, cache)):
        browser.get(cdn + "index.html")
        wait_ready(browser)
        assert browser.title == "Acme videos"
        published = sorted(v.hashed_id for v in VIDEOS)
        assert sorted(shown_ids(browser)) == published  # the second page too, never hidden1
        hostile = browser.find_element("css selector", '[data-hashed-id="xss666"] .name')
        assert hostile.text == HOSTILE_NAME  # shown as text, never parsed as HTML
        assert browser.find_elements("css selector", "#gallery img[src='x']") == []
        nav = browser.find_element("id", "nav").text
        assert "onboarding (2)" in nav and "tour (3)" in nav
        assert "Onboarding folder (2)" in nav and "Careers folder (1)" in nav

        browser.get(cdn + "index.html#tag/tour")
        wait_ready(browser)
        assert sorted(shown_ids(browser)) == ["def456", "ghi789", "xss666"]

        browser.get(cdn + "index.html")
        wait_ready(browser)
        assert "jkl012" in shown_ids(browser)
        own_file = cdn + "videos/jkl012.json"
        assert httpx.get(own_file).status_code == 200
        assert httpx.get(own_file).headers["x-cache"] == "HIT"  # the CDN holds it until purged
        httpx.get(cdn + "videos.json")  # a 2nd variant beside the browser's (Vary: Accept-Encoding)
        assert httpx.get(cdn + "videos.json").headers["x-cache"] == "HIT"

        env |= {"WISTIA_SYNC_PURGE": nginx_cache_purge(cache), "WISTIA_SYNC_BASE_URL": cdn}
        wistia_sync("visibility", "hide", "jkl012", env=env)

        browser.refresh()
        wait_ready(browser)
        assert sorted(shown_ids(browser)) == [i for i in published if i != "jkl012"]
        assert browser.title == "Acme videos"
        assert httpx.get(own_file).status_code == 404
        assert httpx.get(cdn + "videos.json").content == (out / "videos.json").read_bytes()


def test_the_page_holds_no_data_and_allows_only_its_own_script() -> None:
    page = render_preview_page('Title <b>"bold"</b>').decode()
    assert "Title &lt;b&gt;&#34;bold&#34;&lt;/b&gt;" in page
    assert 'hashed_id":' not in page  # reads the JSON at run time; embeds none
    assert "script-src 'sha256-" in page and "unsafe-inline" not in page
    assert render_preview_page() == render_preview_page()
