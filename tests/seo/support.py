"""Helpers for the search-engine files' tests: settings, and reading what crawlers read."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.publish.seo_settings import change_seo_settings

ORIGIN = "https://example.com"
VIDEO = "{http://www.google.com/schemas/sitemap-video/1.1}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def turn_on(db: Database, *, watch_pages: bool = True, template: str = "/videos/{slug}") -> None:
    change_seo_settings(db, origin=ORIGIN, watch_url=template, watch_pages=watch_pages)


def watch_url(db: Database, hashed_id: str, template: str = "/videos/{slug}") -> str:
    (slug,) = db.execute("SELECT slug FROM video_slugs WHERE hashed_id = ?", [hashed_id]).fetchone()
    return ORIGIN + template.format(slug=slug, hashed_id=hashed_id)


def published_ids(db: Database) -> set[str]:
    rows = db.execute(f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}")
    return {row[0] for row in rows}


def sitemap_urls(out: Path) -> list[str]:
    """Every page URL the sitemaps list, read with ultimate-sitemap-parser from the index on."""
    from usp.tree import sitemap_from_str

    index = sitemap_from_str((out / "sitemap.xml").read_text(encoding="utf-8"))
    assert type(index).__name__ == "IndexXMLSitemap", type(index).__name__
    urls: list[str] = []
    for child in index.sub_sitemaps:
        relative = child.url.removeprefix(ORIGIN + "/")
        sitemap = sitemap_from_str((out / relative).read_text(encoding="utf-8"))
        assert type(sitemap).__name__ == "PagesXMLSitemap", (relative, type(sitemap).__name__)
        urls += [page.url for page in sitemap.all_pages()]
    return urls


def sitemap_videos(out: Path) -> dict[str, dict[str, Any]]:
    """``{loc: {video field: text}}`` of every sitemap file (the video extension, which the
    sitemap parser does not read, by ElementTree)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((out / "sitemaps").glob("*.xml")):
        root = ElementTree.fromstring(path.read_bytes())
        for url in root.iter(f"{SITEMAP}url"):
            video = url.find(f"{VIDEO}video")
            assert video is not None
            fields = {child.tag.removeprefix(VIDEO): child.text for child in video}
            found[str(url.findtext(f"{SITEMAP}loc"))] = fields
    return found


def all_bytes(out: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file())
