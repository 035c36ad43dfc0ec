"""``verify`` reads the served sitemaps and watch pages as crawlers do (issue 22)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import turn_on, watch_url
from tests.support.factories import add_video
from wistia_sync.deliver.verify import verify_site

BASE = "https://example.com/"

Tamper = Callable[[str, bytes], bytes]


def served_from(out: Path, tamper: Tamper | None = None) -> httpx.MockTransport:
    """The output folder as a web server at BASE serves it (a body ``tamper`` may change)."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.lstrip("/")
        file = out / path
        if not path or not file.is_file():
            return httpx.Response(404)
        body = file.read_bytes()
        return httpx.Response(200, content=tamper(path, body) if tamper else body)

    return httpx.MockTransport(answer)


@pytest.fixture
def two_videos_published(db: Database, publish: Publish) -> None:
    """Two videos, published with site settings and watch pages on."""
    add_video(db, "v1", name="One")
    add_video(db, "v2", name="Two")
    turn_on(db)
    publish()


@pytest.mark.usefixtures("two_videos_published")
def test_a_faithful_site_passes_the_crawler_check(db: Database, out: Path) -> None:
    report = verify_site(out, BASE, db=db, transport=served_from(out))
    assert report.crawler == [] and report.crawler_skipped is None
    assert report.ok, report.lines()


@pytest.mark.usefixtures("two_videos_published")
def test_a_sitemap_missing_a_video_and_a_page_without_structured_data_are_reported(
    db: Database, out: Path
) -> None:
    dropped = watch_url(db, "v2")

    def tamper(path: str, body: bytes) -> bytes:
        if path.startswith("sitemaps/"):
            text = body.decode()
            start = text.index(f"<url><loc>{dropped}</loc>")
            return (text[:start] + text[text.index("</url>", start) + 6 :]).encode()
        if path.startswith("watch/"):
            return body.replace(b'type="application/ld+json"', b'type="text/plain"')
        return body

    report = verify_site(out, BASE, db=db, transport=served_from(out, tamper))
    assert f"not in the sitemaps: {dropped}" in report.crawler
    assert any("0 VideoObjects" in problem for problem in report.crawler)
    assert not report.ok
    assert any(line.startswith("crawler\t") for line in report.lines())
