"""What every published file is served with: Content-Type, Cache-Control and cache tags.

One definition used by every way the files reach readers (the nginx config, object metadata on
S3, the purge planner), so a CDN sees the same headers whichever target serves it.

- Immutable files (pages ``pages/<hash>.json``, file-list shards ``files/<hash>.json`` and the
  chunks listing them, ``page-lists/`` and ``shard-lists/``, as
  ``wistia_sync.contract.layout.cache_class`` says) never change under their URL: cached a year.
- Entry files change under a stable URL. With a purge configured the CDN may hold them for an
  hour (every change purges them; an unnoticed failed purge is bounded to that hour); without
  one, the CDN may serve them a minute stale at most, plus a short revalidation window.
- A 404 is cached briefly only: a video shown again must come back within seconds.

Cache tags (``Cache-Tag`` for Cloudflare, ``Surrogate-Key`` for Fastly) name the playlist a file
is and every video it shows, so "purge everything that shows video X" is one tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wistia_sync.contract.layout import (
    ALL_VIDEOS_PATH,
    FILES_PATH,
    FOLDER_PLAYLIST_PATH,
    FOLDERS_INDEX_PATH,
    MANIFEST_PATH,
    PREVIEW_PATH,
    SCHEMA_FOLDER,
    SEARCH_CLIENT_PATH,
    SEARCH_INDEX_PATH,
    TAG_PLAYLIST_PATH,
    TAGS_INDEX_PATH,
    VIDEO_FILE_PATH,
    CacheClass,
)
from wistia_sync.errors import ConfigError

CONTENT_TYPE_JSON = "application/json; charset=utf-8"
CONTENT_TYPE_HTML = "text/html; charset=utf-8"
CONTENT_TYPE_VTT = "text/vtt; charset=utf-8"
CONTENT_TYPE_XML = "application/xml; charset=utf-8"
CONTENT_TYPE_TEXT = "text/plain; charset=utf-8"
CONTENT_TYPE_JS = "text/javascript; charset=utf-8"

IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
ENTRY_CACHE_CONTROL_PURGED = (
    "public, max-age=60, s-maxage=3600, stale-while-revalidate=60, stale-if-error=86400"
)
ENTRY_CACHE_CONTROL_UNPURGED = "public, max-age=60, s-maxage=60, stale-while-revalidate=300"
NOT_FOUND_CACHE_SECONDS = 10

# Tags every entry file carries: purging it purges the whole site's mutable files.
SITE_TAG = "wistia-sync"
# Cloudflare and Fastly both cap the header near 16 KB; past this a file keeps its own tags only.
MAX_TAG_HEADER_BYTES = 8 * 1024
_TAG_SAFE = re.compile(r"[A-Za-z0-9_-]{1,100}")
_CACHE_CONTROL_SAFE = re.compile(r"[A-Za-z0-9 ,=_-]{1,200}")

_FIXED_TAGS = {
    ALL_VIDEOS_PATH: "all",
    TAGS_INDEX_PATH: "tags",
    FOLDERS_INDEX_PATH: "folders",
    MANIFEST_PATH: "manifest",
    FILES_PATH: "files",
    PREVIEW_PATH: "preview",
    SEARCH_INDEX_PATH: "search",
    SEARCH_CLIENT_PATH: "search-client",
}
_PATTERN_TAGS = (
    (VIDEO_FILE_PATH, "video"),
    (TAG_PLAYLIST_PATH, "tag"),
    (FOLDER_PLAYLIST_PATH, "folder"),
)


@dataclass(frozen=True)
class CachePolicy:
    """Cache-Control per cache class; build it with :func:`cache_policy`."""

    immutable: str
    entry: str

    def cache_control(self, cache: CacheClass) -> str:
        return self.immutable if cache == "immutable" else self.entry


def cache_policy(
    *,
    purge_configured: bool,
    immutable: str | None = None,
    entry: str | None = None,
) -> CachePolicy:
    """The defaults for whether a purge is configured, each overridable."""
    default_entry = ENTRY_CACHE_CONTROL_PURGED if purge_configured else ENTRY_CACHE_CONTROL_UNPURGED
    return CachePolicy(
        immutable=_checked(immutable or IMMUTABLE_CACHE_CONTROL, "immutable"),
        entry=_checked(entry or default_entry, "entry"),
    )


def _checked(value: str, name: str) -> str:
    # It ends up in an nginx config and in HTTP headers: no quotes, semicolons or newlines.
    if not _CACHE_CONTROL_SAFE.fullmatch(value):
        raise ConfigError(f"invalid Cache-Control for {name} files: {value[:200]!r}")
    return value


def content_type(path: str) -> str:
    if path.endswith(".vtt"):
        return CONTENT_TYPE_VTT
    if path.endswith(".xml"):
        return CONTENT_TYPE_XML
    if path.endswith(".txt"):
        return CONTENT_TYPE_TEXT
    if path.endswith(".js"):
        return CONTENT_TYPE_JS
    return CONTENT_TYPE_HTML if path.endswith(".html") else CONTENT_TYPE_JSON


def path_tag(path: str) -> str | None:
    """The cache tag naming the file itself (its playlist, index or video), from its path alone.

    nginx can derive this one (see the ``map`` in the nginx config); the video tags need the body.
    """
    if path in _FIXED_TAGS:
        return _FIXED_TAGS[path]
    for pattern, prefix in _PATTERN_TAGS:
        match = pattern.fullmatch(path)
        if match:
            return f"{prefix}-{match[1]}"
    if path.startswith(f"{SCHEMA_FOLDER}/"):
        return "schema"
    return None


def cache_tags(path: str, body: bytes, max_bytes: int = MAX_TAG_HEADER_BYTES) -> list[str]:
    """The tags of an entry file: the site, the file's own tag, then each video it shows.

    Videos are the objects listed under a ``videos`` array or held under a ``video`` key that
    carry a ``hashed_id`` (folders carry one too, but never under those keys).
    """
    tags = [SITE_TAG]
    own = path_tag(path)
    if own:
        tags.append(own)
    if path.endswith(".json"):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        for hashed_id in video_ids(data):
            tag = f"video-{hashed_id}"
            if tag not in tags:
                tags.append(tag)
    return _within_limit(tags, max_bytes)


def video_ids(data: Any) -> Iterator[str]:
    """The hashed_ids of the videos a parsed file shows (see :func:`cache_tags`)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "videos" and isinstance(value, list):
                for item in value:
                    yield from _video_id(item)
            elif key == "video":
                yield from _video_id(value)
            yield from video_ids(value)
    elif isinstance(data, list):
        for item in data:
            yield from video_ids(item)


def _video_id(item: Any) -> Iterator[str]:
    if isinstance(item, dict):
        hashed_id = item.get("hashed_id")
        if isinstance(hashed_id, str) and _TAG_SAFE.fullmatch(hashed_id):
            yield hashed_id


def _within_limit(tags: list[str], max_bytes: int) -> list[str]:
    kept: list[str] = []
    size = 0
    for tag in tags:
        size += len(tag) + 1
        if size > max_bytes:
            break
        kept.append(tag)
    return kept
