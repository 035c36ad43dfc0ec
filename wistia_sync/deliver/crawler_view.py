"""What crawlers see (issue 22): ``verify``'s check of the served sitemaps and watch pages.

Read with the parsers crawler tooling uses: the sitemap index and each sitemap with
ultimate-sitemap-parser (which must find an index of XML sitemaps listing exactly the watch URLs
of the published videos, i.e. of the ``ld/`` files the last publish wrote), and each watch page's
structured data with extruct (one VideoObject with Google's required properties, and each Clip
with its own). Both come with ``pip install 'wistia-sync[seo]'``; without them the check is
skipped and says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from wistia_sync.contract.layout import JSONLD_PATH, SITEMAP_INDEX_PATH, WATCH_PAGE_PATH

VIDEO_REQUIRED = ("name", "thumbnailUrl", "uploadDate")  # Google's required properties
CLIP_REQUIRED = ("name", "startOffset", "url")
MAX_PROBLEMS = 50


def crawler_problems(output_dir: Path, base: str, served: Mapping[str, bytes]) -> list[str]:
    """What a crawler would trip on in the served files (``served``: path -> body of every
    listed entry file answered with 200); raises ImportError without the parsers."""
    from usp.tree import sitemap_from_str

    expected = _expected_urls(output_dir, served)
    problems: list[str] = []
    index_body = served.get(SITEMAP_INDEX_PATH)
    if index_body is None:
        return [f"{SITEMAP_INDEX_PATH} is not served"]
    index = sitemap_from_str(index_body.decode("utf-8", "replace"))
    if type(index).__name__ != "IndexXMLSitemap":
        return [f"{SITEMAP_INDEX_PATH} does not parse as a sitemap index"]
    listed: list[str] = []
    for child in index.sub_sitemaps:
        path = child.url.removeprefix(base)
        body = served.get(path)
        if body is None:
            problems.append(f"{SITEMAP_INDEX_PATH} lists {child.url[:200]}, which is not served")
            continue
        sitemap = sitemap_from_str(body.decode("utf-8", "replace"))
        if type(sitemap).__name__ != "PagesXMLSitemap":
            problems.append(f"{path} does not parse as a sitemap")
            continue
        listed += [page.url for page in sitemap.all_pages()]
    if len(listed) != len(set(listed)):
        problems.append("the sitemaps list a watch URL more than once")
    missing, extra = expected - set(listed), set(listed) - expected
    problems += [f"not in the sitemaps: {url}" for url in sorted(missing)[:MAX_PROBLEMS]]
    problems += [f"in the sitemaps, not published: {url}" for url in sorted(extra)[:MAX_PROBLEMS]]
    for path, body in sorted(served.items()):
        if WATCH_PAGE_PATH.fullmatch(path):
            problems += _page_problems(path, body)
        if len(problems) > MAX_PROBLEMS:
            break
    return problems[:MAX_PROBLEMS]


def _expected_urls(output_dir: Path, served: Mapping[str, bytes]) -> set[str]:
    """The watch URL of every published video's JSON-LD (the local file: what was published)."""
    urls = set()
    for path in served:
        if JSONLD_PATH.fullmatch(path):
            try:
                urls.add(str(json.loads((output_dir / path).read_bytes())["url"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return urls


def _page_problems(path: str, body: bytes) -> list[str]:
    import extruct  # type: ignore[import-untyped]

    try:
        data = extruct.extract(body.decode("utf-8", "replace"), syntaxes=["json-ld"])
    except Exception as error:  # a parser failing on the page is what is reported
        return [f"{path}: structured data does not parse ({type(error).__name__})"]
    videos = [item for item in data.get("json-ld", []) if item.get("@type") == "VideoObject"]
    if len(videos) != 1:
        return [f"{path}: {len(videos)} VideoObjects, not one"]
    (video,) = videos
    problems = [
        f"{path}: VideoObject without {name}" for name in VIDEO_REQUIRED if not video.get(name)
    ]
    for clip in video.get("hasPart", []):
        problems += [
            f"{path}: a Clip without {name}"
            for name in CLIP_REQUIRED
            if clip.get(name) in (None, "")
        ]
    return problems
