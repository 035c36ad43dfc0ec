"""The preview page in headless Chromium, loaded through the CDN stand-in: what it renders, and
that a video hidden with the CLI is gone after a reload once its purge ran."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deliver.test_verify import origin_and_cdn
from tests.support.browser import headless_chromium
from tests.support.factories import add_folder, add_video, tag_video
from tests.support.nginxserver import free_port, require_nginx, running_nginx
from tests.support.purging import nginx_cache_purge
from tests.support.sitefolder import DEFAULT_VIDEOS, SampleVideo
from wistia_sync.publish.preview import render_preview_page
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database

HOSTILE_NAME = "<img src=x onerror=\"document.title='pwned'\">Tour & more"
VIDEOS = (*DEFAULT_VIDEOS, SampleVideo("xss666", HOSTILE_NAME, ("tour",), None))


@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium(window="1200,900") as driver:
        yield driver


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


# -- the race, the phone, contrast, the current playlist ------------------------------------------


class GatedFolder:
    """A static server for ``root`` that holds back one path until ``release()``: a slow
    network for one request, with no clock involved."""

    def __init__(self, root: Path, held: str) -> None:
        import threading
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        self.held = "/" + held
        self.gate = threading.Event()
        self.requested = threading.Event()
        self.answered = threading.Event()
        owner = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self) -> None:
                held = self.path.split("?")[0] == owner.held
                if held:
                    owner.requested.set()
                    owner.gate.wait(60)
                super().do_GET()
                if held:
                    owner.answered.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GatedFolder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def published_folder(tmp_path: Path, fill: Any = catalog) -> Path:
    out = tmp_path / "out"
    env = {key: value for key, value in os.environ.items() if not key.startswith("WISTIA_")}
    env |= {"WISTIA_SYNC_DB": str(tmp_path / "wistia.db"), "WISTIA_SYNC_OUTPUT": str(out)}
    fill(tmp_path / "wistia.db")
    wistia_sync("publish", "--quiet", env=env)
    return out


def cards(driver: Any) -> list[str]:
    found = driver.find_elements("css selector", "#gallery .card")
    return [card.get_attribute("data-hashed-id") for card in found]


def test_switching_playlist_while_more_videos_loads_shows_only_the_new_playlist(
    tmp_path: Path, browser: Any
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    out = published_folder(tmp_path)
    entry = json.loads((out / "videos.json").read_bytes())
    second_page = entry["pages"][0]["url"]
    with GatedFolder(out, second_page) as site:
        browser.get(site.url + "index.html")
        wait_ready(browser)
        assert len(cards(browser)) == len(entry["videos"])  # the inline head
        browser.find_element("id", "more").click()
        assert site.requested.wait(20)  # "More videos" is loading, and stays so
        browser.find_element("css selector", 'nav a[href="#tag/tour"]').click()
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element("id", "heading").text == "tour (3)"
        )
        site.gate.set()
        assert site.answered.wait(20)
        # The browser has the late page once its resource timing entry is complete; then give
        # its promise callbacks a task and two frames to run, as they would have.
        WebDriverWait(browser, 10).until(
            lambda d: d.execute_script(
                "return performance.getEntriesByType('resource')"
                ".some(e => e.name.endsWith(arguments[0]) && e.responseEnd > 0)",
                second_page,
            )
        )
        browser.execute_async_script(
            "const done = arguments[0];"
            "setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => done())), 0);"
        )
        assert sorted(cards(browser)) == ["def456", "ghi789", "xss666"]
        assert browser.find_element("id", "heading").text == "tour (3)"
        assert not browser.find_element("id", "more").is_displayed()


def test_the_open_playlist_is_marked_current_in_the_navigation(
    tmp_path: Path, browser: Any
) -> None:
    out = published_folder(tmp_path)
    with GatedFolder(out, "none") as site:

        def current() -> list[str]:
            found = browser.find_elements("css selector", 'nav a[aria-current="page"]')
            return [anchor.get_attribute("href").split("#")[1] for anchor in found]

        browser.get(site.url + "index.html")
        wait_ready(browser)
        assert current() == ["all"]
        browser.get(site.url + "index.html#tag/tour")
        wait_ready(browser)
        assert current() == ["tag/tour"]
        marked = browser.find_element("css selector", 'nav a[aria-current="page"]')
        plain = browser.find_element("css selector", 'nav a[href="#tag/onboarding"]')
        style = "return getComputedStyle(arguments[0])[arguments[1]]"
        for prop in ("fontWeight", "backgroundColor"):  # it looks different, not only says so
            assert browser.execute_script(style, marked, prop) != browser.execute_script(
                style, plain, prop
            ), prop
        browser.find_element("css selector", 'nav a[href="#folder/fold2"]').click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 10).until(lambda _: current() == ["folder/fold2"])


def many_playlists(db_path: Path) -> None:
    """A catalog whose navigation is long: 30 tags and 12 folders."""
    db = open_database(db_path, create=True)
    for folder in range(12):
        add_folder(db, f"folder{folder:02d}", f"Department folder number {folder}")
    for number in range(40):
        hashed_id = f"vid{number:03d}"
        add_video(
            db, hashed_id, name=f"Video {number}", folder_hashed_id=f"folder{number % 12:02d}"
        )
        for tag in (f"topic-{number % 30:02d}", f"series-{number % 7}"):
            tag_video(db, hashed_id, tag)
    db.conn.close()


def test_on_a_phone_the_first_screen_shows_videos(tmp_path: Path, browser: Any) -> None:
    out = published_folder(tmp_path, many_playlists)
    with GatedFolder(out, "none") as site:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
        browser.get(site.url + "index.html#tag/series-1")
        wait_ready(browser)
        browser.save_screenshot(str(tmp_path / "phone.png"))
        height = browser.execute_script("return window.innerHeight")
        assert browser.execute_script("return document.documentElement.clientWidth") == 390
        first = browser.find_element("css selector", "#gallery .card .thumb")
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", first)
        assert box["bottom"] <= height, (box, height)  # a whole thumbnail on the first screen
        # No sideways scrolling of the page itself, and every playlist is still one tap away.
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        links = browser.find_elements("css selector", "nav a")
        assert len(links) == 1 + 30 + 7 + 12
        current = browser.find_element("css selector", 'nav a[aria-current="page"]')
        assert current.get_attribute("href").endswith("#tag/series-1")
        assert current.rect["x"] >= 0 and current.rect["x"] + current.rect["width"] <= 390


CONTRAST = """
function rgba(text) {
  const m = text.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const [r, g, b, a] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [r, g, b, a === undefined ? 1 : a];
}
function over(top, bottom) {
  const a = top[3] + bottom[3] * (1 - top[3]);
  return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a)
    .concat([a]);
}
// What shows where nothing is painted: the browser's canvas in the page's colour scheme.
const probe = document.createElement("div");
probe.style.background = "Canvas";
document.body.appendChild(probe);
const canvas = rgba(getComputedStyle(probe).backgroundColor);
probe.remove();
function background(element) {
  const layers = [];  // the element's own first, then its ancestors' down to an opaque one
  for (let node = element; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour && colour[3] > 0) layers.push(colour);
    if (colour && colour[3] === 1) break;
  }
  return layers.reduceRight((below, layer) => over(layer, below), canvas);
}
function luminance([r, g, b]) {
  const f = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
const found = [];
for (const element of document.querySelectorAll("body *")) {
  const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const box = element.getBoundingClientRect();
  if (!own || !box.width || !box.height) continue;
  const bg = background(element);
  const text = element.textContent.trim().slice(0, 40);
  const fg = over(rgba(getComputedStyle(element).color), bg);
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  found.push([text, getComputedStyle(element).color, (hi + 0.05) / (lo + 0.05)]);
}
return found;
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_on_the_page_meets_wcag_aa_contrast(
    tmp_path: Path, browser: Any, scheme: str
) -> None:
    out = published_folder(tmp_path)
    with GatedFolder(out, "none") as site:
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        browser.get(site.url + "index.html#tag/tour")
        wait_ready(browser)
        texts = browser.execute_script(CONTRAST)
    assert len(texts) > 20  # the header, the navigation, the cards
    poor = [(text, colour, round(ratio, 2)) for text, colour, ratio in texts if ratio < 4.5]
    assert poor == [], poor


def test_the_preview_pages_through_a_long_playlist_s_chunks_in_order(
    tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A playlist listing its later pages through chunks (page_lists) shows every video once,
    in playlist order."""
    from wistia_sync.publish import pagelists, publish_site

    monkeypatch.setattr(pagelists, "CHUNK_SIZE", 1)  # a chunk per page or two
    db = open_database(tmp_path / "wistia.db", create=True)
    for number in range(14):
        add_video(db, f"long{number:02d}", created=f"2024-01-{number + 1:02d}T00:00:00Z")
    change_site_settings(db, page_size=2)
    out = tmp_path / "out"
    publish_site(db, out, lock_path=tmp_path / "lock")
    assert json.loads((out / "videos.json").read_bytes())["page_lists"]
    with GatedFolder(out, "none") as site:
        browser.get(site.url + "index.html")
        wait_ready(browser)
        assert shown_ids(browser) == [f"long{number:02d}" for number in range(13, -1, -1)]
