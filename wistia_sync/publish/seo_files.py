"""What search engines read (issue 22): video sitemaps, VideoObject JSON-LD and watch pages.

Published only while the site has an origin and a watch-URL template (``seo_settings``); each
family costs what changed:

- ``sitemaps/videos-<n>.xml`` holds the videos whose slug was the (1000n+1)th to (1000n+1000)th
  given (``video_slugs.seq``): a video never moves between files, so an edit rewrites its one
  sitemap file and ``sitemap.xml``, the index (whose ``lastmod`` per file is its newest
  ``updated``). 1,000 URLs a file, far below Google's 50,000 and 50 MB, so the bytes one edit
  rewrites stay the same from 1k videos to 1M (the index grows by ~110 bytes a thousand videos).
  Entry files: crawlers fetch them by fixed name.
- ``ld/<hashed_id>.json``: the video's VideoObject as JSON-LD, its own file rather than a member
  of the video object, because it holds the site's URLs (a change of origin rewrites these
  files, not every page of every playlist) and a frontend that renders with JavaScript drops it
  into its page as it is.
- ``watch/<slug>.html`` (``site --watch-pages``): a static watch page, the same JSON-LD inside.

A video is listed when it is published and search engines can take it: it has a thumbnail
(Google requires one in both forms). A video that stops being published loses its JSON-LD, its
watch page and its sitemap entry in the same publish.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.contract.layout import (
    SITEMAP_INDEX_PATH,
    SITEMAP_PATH,
    indexnow_key_path,
    jsonld_path,
    sitemap_path,
    watch_page_path,
)
from wistia_sync.contract.seo_text import iso_duration, plain_text, shorten, xml_text
from wistia_sync.publish.build import encode, published_text, published_times, utc_text
from wistia_sync.publish.seo_settings import SeoSettings
from wistia_sync.publish.settings import stored_delivery
from wistia_sync.store.state import get_state
from wistia_sync.wistia.urls import EMBED_URL

if TYPE_CHECKING:
    from sqlite_utils import Database

INDEX_BASE_KEY = "publish_sitemap_index_base"  # the base URL the index was written with
SITEMAP_SIZE = 1000  # URLs a sitemap file holds at most
MAX_DESCRIPTION = 2048  # Google's limit for video:description
MAX_TITLE = 100  # Google's advice for video:title
MAX_DURATION = 28_800  # Google's limit for video:duration, in seconds
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
VIDEO_NS = "http://www.google.com/schemas/sitemap-video/1.1"
_quote = json.encoder.encode_basestring  # a string as ``build.dumps`` writes it
_IDS = "(SELECT value FROM json_each(?))"
_COLUMNS = (
    "s.seq, s.slug, v.hashed_id, v.name, v.description, v.duration, v.created, v.updated, "
    "v.thumbnail_url, v.plays, v.width, v.height"
)


class SeoVideo(
    NamedTuple
):  # a tuple: a rebuild makes one a video, and a frozen dataclass is slower
    seq: int
    slug: str
    hashed_id: str
    url: str  # its watch page's
    name: str
    description: str
    duration: float | None
    created: str
    updated: str
    thumbnail_url: str
    plays: int | None
    width: int | None
    height: int | None
    summary: str  # the description as plain text, at most 2,048 characters

    @property
    def sitemap(self) -> int:
        return (self.seq - 1) // SITEMAP_SIZE


class Clip(NamedTuple):  # a chapter as a VideoObject's part: whole seconds, and its URL
    name: str
    start: int
    end: int
    url: str


@dataclass
class SeoFiles:
    """A publish's sitemaps, index and removals for search engines (its JSON-LD files and watch
    pages go to ``plan_seo_files``'s ``add_page`` as they are rendered)."""

    sitemaps: dict[str, bytes] = field(default_factory=dict)
    index: dict[str, bytes] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)  # to remove where they were written
    state: dict[str, str] = field(default_factory=dict)  # to record once they are in place


def plan_seo_files(
    db: Database,
    settings: SeoSettings,
    changed: Iterable[str] | None,
    add_page: Callable[[str, bytes], None],
) -> SeoFiles:
    """The files of the changed videos (all for None). ``add_page`` takes each JSON-LD file and
    watch page as it is rendered (a rebuild holds none of them at once)."""
    files = SeoFiles()
    if changed is None:
        videos = _indexable(db, settings, "", [])
        numbers = {video.sitemap for video in videos}
    else:
        ids = sorted(changed)
        slugs = dict(
            db.execute(
                f"SELECT hashed_id, slug FROM video_slugs WHERE hashed_id IN {_IDS}",
                [json.dumps(ids)],
            ).fetchall()
        )
        videos = _indexable(db, settings, f" AND s.hashed_id IN {_IDS}", [json.dumps(ids)])
        kept = {video.hashed_id for video in videos}
        for hashed_id in ids:
            if hashed_id not in kept and hashed_id in slugs:
                files.gone += [jsonld_path(hashed_id), watch_page_path(slugs[hashed_id])]
        numbers = {
            (row[0] - 1) // SITEMAP_SIZE
            for row in db.execute(
                f"SELECT seq FROM video_slugs WHERE hashed_id IN {_IDS}", [json.dumps(ids)]
            )
        }
    _video_files(db, settings, videos, add_page)
    if changed is None and settings.indexnow_key:  # setting it asks for a rebuild
        files.index[indexnow_key_path(settings.indexnow_key)] = settings.indexnow_key.encode()
    base = files_base(db, settings)
    # The index names each sitemap file by its URL under the base: a new base (``site
    # --base-url``) rewrites the index, and no other file.
    index_base = get_state(db, INDEX_BASE_KEY)
    rebased = changed is not None and index_base != base
    if not numbers and not rebased:
        return files
    lastmods: dict[int, str] = {}
    by_sitemap: dict[int, list[SeoVideo]] = {}
    if changed is None:  # one pass, not one a sitemap file (that is quadratic)
        for video in videos:
            by_sitemap.setdefault(video.sitemap, []).append(video)
    for number in sorted(numbers):
        low, high = number * SITEMAP_SIZE + 1, (number + 1) * SITEMAP_SIZE
        members = (
            by_sitemap.get(number, [])
            if changed is None
            else _indexable(db, settings, " AND s.seq BETWEEN ? AND ?", [low, high])
        )
        if members:
            files.sitemaps[sitemap_path(number)] = sitemap_file(settings, members)
            lastmods[number] = max(video.updated for video in members)
        else:
            files.gone.append(sitemap_path(number))
    if changed is not None:  # the other files' lastmods, as they were written
        lastmods = {**_recorded_lastmods(db, numbers), **lastmods}
    if not numbers and not lastmods:
        return files  # a new base, but no sitemap file to list
    files.index[SITEMAP_INDEX_PATH] = sitemap_index_file(base, lastmods)
    if index_base != base:
        files.state[INDEX_BASE_KEY] = base
    return files


def files_base(db: Database, settings: SeoSettings) -> str:
    """Where the output folder is served: the delivery's base URL, else the origin's root."""
    base = stored_delivery(db).get("base_url") or settings.origin
    return base.rstrip("/") + "/"


def _indexable(
    db: Database, settings: SeoSettings, where: str, parameters: list[Any]
) -> list[SeoVideo]:
    videos = []
    page_url = settings.watch_page_url
    for (
        seq,
        slug,
        hashed_id,
        name,
        description,
        duration,
        created,
        updated,
        thumbnail_url,
        plays,
        width,
        height,
    ) in db.execute(
        f"SELECT {_COLUMNS} FROM video_slugs s JOIN videos v ON v.hashed_id = s.hashed_id "
        f"WHERE {PUBLISHED_VIDEO_CONDITION}{where} ORDER BY s.seq",
        parameters,
    ):
        times = published_times(hashed_id, created, updated)
        if times is None or not _is_web_url(thumbnail_url):
            continue
        text = published_text(str(description or ""))
        videos.append(
            SeoVideo(
                seq,
                slug,
                hashed_id,
                page_url(slug, hashed_id),
                published_text(str(name or "")),
                text,
                float(duration) if isinstance(duration, (int, float)) else None,
                *times,
                str(thumbnail_url),
                plays if isinstance(plays, int) and plays >= 0 else None,
                width if isinstance(width, int) and width > 0 else None,
                height if isinstance(height, int) and height > 0 else None,
                plain_text(text, MAX_DESCRIPTION),
            )
        )
    return videos


_WEB_URL = re.compile(r"https?://[!-~]{1,2040}")  # printable ASCII, no spaces


def _is_web_url(value: object) -> bool:
    return isinstance(value, str) and _WEB_URL.fullmatch(value) is not None


def _recorded_lastmods(db: Database, rendered: set[int]) -> dict[int, str]:
    """The lastmod of each sitemap file the publisher recorded and this publish does not render:
    its videos' newest ``updated``, read in one grouped query over those files' ranges only
    (an unchanged file's videos are unchanged, so this is what its last rendering saw)."""
    numbers = []
    for (path,) in db.execute(
        "SELECT path FROM published_files WHERE path >= 'sitemaps/' AND path < 'sitemaps0' "
        "AND expires_at IS NULL"
    ):
        match = SITEMAP_PATH.fullmatch(path)
        if match and int(match.group(1)) not in rendered:
            numbers.append(int(match.group(1)))
    if not numbers:
        return {}
    found = {}
    for number, newest in db.execute(
        f"SELECT (s.seq - 1) / {SITEMAP_SIZE} AS number, max(v.updated) FROM video_slugs s "
        f"JOIN videos v ON v.hashed_id = s.hashed_id WHERE {PUBLISHED_VIDEO_CONDITION} "
        f"AND number IN {_IDS} GROUP BY number",
        [json.dumps(numbers)],
    ):
        found[int(number)] = str(utc_text(str(newest)) or newest)
    return found


def sitemap_file(settings: SeoSettings, videos: list[SeoVideo]) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:video="{VIDEO_NS}">',
    ]
    for video in videos:
        title = shorten(video.name.strip(), MAX_TITLE) or video.slug
        description = video.summary or title
        duration = ""
        if video.duration is not None and 1 <= round(video.duration) <= MAX_DURATION:
            duration = f"<video:duration>{round(video.duration)}</video:duration>"
        lines.append(
            f"<url><loc>{xml_text(video.url)}</loc>"
            f"<lastmod>{video.updated}</lastmod><video:video>"
            f"<video:thumbnail_loc>{xml_text(video.thumbnail_url)}</video:thumbnail_loc>"
            f"<video:title>{xml_text(title)}</video:title>"
            f"<video:description>{xml_text(description)}</video:description>"
            f"<video:player_loc>{EMBED_URL.format(hashed_id=video.hashed_id)}</video:player_loc>"
            f"{duration}<video:publication_date>{video.created}</video:publication_date>"
            "</video:video></url>"
        )
    lines.append("</urlset>")
    return encode("\n".join(lines))


def sitemap_index_file(base: str, lastmods: dict[int, str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for number, lastmod in sorted(lastmods.items()):
        lines.append(
            f"<sitemap><loc>{xml_text(base + sitemap_path(number))}</loc>"
            f"<lastmod>{lastmod}</lastmod></sitemap>"
        )
    lines.append("</sitemapindex>")
    return encode("\n".join(lines))


def _video_files(
    db: Database,
    settings: SeoSettings,
    videos: list[SeoVideo],
    add_page: Callable[[str, bytes], None],
) -> None:
    """Each video's JSON-LD, and its watch page when the site has them."""
    ids = [video.hashed_id for video in videos]
    chapters = _chapters(db, ids)
    transcripts = _transcripts(db, ids) if settings.watch_pages else {}
    if settings.watch_pages:
        from wistia_sync.publish.watch_page import WatchPage, watch_page_renderer

        render_page = watch_page_renderer()
    for video in videos:
        clips = chapter_clips(video.url, chapters.get(video.hashed_id, []), video.duration)
        text = video_object_text(video, clips)
        add_page(jsonld_path(video.hashed_id), encode(text))
        if settings.watch_pages:
            page = WatchPage(
                title=_shown_name(video),
                url=video.url,
                description=video.summary,
                thumbnail_url=video.thumbnail_url,
                embed_url=EMBED_URL.format(hashed_id=video.hashed_id),
                size=(video.width, video.height) if video.width and video.height else None,
                chapters=[(clip.name, clip.url, clip.start) for clip in clips],
                transcript=transcripts.get(video.hashed_id, ""),
                jsonld=text,
            )
            add_page(watch_page_path(video.slug), render_page(page))


def _chapters(db: Database, ids: list[str]) -> dict[str, list[tuple[str, float]]]:
    found: dict[str, list[tuple[str, float]]] = {}
    for hashed_id, stored in db.execute(
        f"SELECT hashed_id, chapters FROM caption_sync WHERE chapters != '[]' "
        f"AND hashed_id IN {_IDS}",
        [json.dumps(ids)],
    ):
        marks = []
        for mark in json.loads(stored):
            title, start = mark[0], mark[1]
            if isinstance(start, (int, float)) and math.isfinite(start) and start >= 0:
                marks.append((published_text(str(title)), float(start)))
        found[hashed_id] = sorted(marks, key=lambda mark: mark[1])
    return found


def _transcripts(db: Database, ids: list[str]) -> dict[str, str]:
    """One transcript a video: English where there is one, else the first language."""
    found: dict[str, tuple[bool, str]] = {}
    for hashed_id, lang, transcript in db.execute(
        f"SELECT hashed_id, lang, transcript FROM video_captions WHERE hashed_id IN {_IDS} "
        "ORDER BY hashed_id, lang",
        [json.dumps(ids)],
    ):
        english = lang in ("eng", "en") or lang.startswith(("eng-", "en-"))
        if hashed_id not in found or (english and not found[hashed_id][0]):
            found[hashed_id] = (english, published_text(str(transcript)))
    return {hashed_id: text for hashed_id, (_, text) in found.items()}


def video_object_text(video: SeoVideo, clips: list[Clip]) -> str:
    """The VideoObject (schema.org, as Google reads it) of one video, as compact JSON.

    Written out as ``build.dumps`` would write the object (keys in this order), as a video's own
    file is: a rebuild writes one a video, and a dict through the encoder costs twice as much.
    Timestamps and hashed ids are checked safe (nothing to escape); every other string is
    quoted as the encoder quotes it."""
    parts = [
        '{"@context":"https://schema.org","@type":"VideoObject",'
        f'"@id":{_quote(video.url + "#video")},"name":{_quote(_shown_name(video))},'
        f'"thumbnailUrl":[{_quote(video.thumbnail_url)}],"uploadDate":"{video.created}",'
        f'"url":{_quote(video.url)},"embedUrl":"{EMBED_URL.format(hashed_id=video.hashed_id)}"'
    ]
    if video.summary:
        parts.append(f',"description":{_quote(video.summary)}')
    if video.duration is not None and video.duration >= 0.5:
        parts.append(f',"duration":"{iso_duration(video.duration)}"')
    if video.width and video.height:
        parts.append(f',"width":{video.width},"height":{video.height}')
    if video.plays is not None:
        parts.append(
            ',"interactionStatistic":{"@type":"InteractionCounter",'
            f'"interactionType":{{"@type":"WatchAction"}},"userInteractionCount":{video.plays}}}'
        )
    if clips:
        parts.append(',"hasPart":[')
        parts.append(
            ",".join(
                f'{{"@type":"Clip","name":{_quote(clip.name)},"startOffset":{clip.start},'
                f'"endOffset":{clip.end},"url":{_quote(clip.url)}}}'
                for clip in clips
            )
        )
        parts.append("]")
    parts.append("}")
    return "".join(parts)


def _shown_name(video: SeoVideo) -> str:
    return video.name.strip() or video.slug


def chapter_clips(
    url: str, chapters: list[tuple[str, float]], duration: float | None
) -> list[Clip]:
    """Chapters as Clips: whole seconds, each ending where the next starts (the last at the
    video's end); a chapter starting at or past the end, or as long as nothing, is left out."""
    if not chapters:  # most videos
        return []
    end_of_video = math.floor(duration) if duration is not None else None
    inside = [
        (title, math.floor(start))
        for title, start in chapters
        if end_of_video is None or math.floor(start) < end_of_video
    ]
    clips = []
    joiner = "&" if "?" in url else "?"
    for index, (title, start) in enumerate(inside):
        end = inside[index + 1][1] if index + 1 < len(inside) else end_of_video
        if end is None or end <= start:
            continue
        clips.append(
            Clip(title.strip() or f"Part {index + 1}", start, end, f"{url}{joiner}t={start}")
        )
    return clips
