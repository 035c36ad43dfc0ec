"""Every path the publisher writes, the pattern recognising it, and its cache class, side by side.

Entry files have stable, human-friendly URLs and are small and mutable; every further page of a
playlist is an immutable, content-addressed file under ``pages/``, and a long playlist's list of
pages is cut into immutable chunks under ``page-lists/`` (the file list's own chunks are under
``shard-lists/``). Links inside a file are relative to that file's own URL, so the site works
under any path prefix.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Literal

CacheClass = Literal["immutable", "entry"]
CACHE_CLASSES: tuple[CacheClass, ...] = ("immutable", "entry")

MANIFEST_PATH = "manifest.json"
FILES_PATH = "files.json"
ALL_VIDEOS_PATH = "videos.json"
TAGS_INDEX_PATH = "tags.json"
FOLDERS_INDEX_PATH = "folders.json"
PREVIEW_PATH = "index.html"  # the preview page (wistia_sync.publish.preview)
TAGS_FOLDER = "tags"
FOLDERS_FOLDER = "folders"
VIDEOS_FOLDER = "videos"
SCHEMA_FOLDER = "schema"
PAGES_FOLDER = "pages"
SHARD_FOLDER = "files"  # the shards of the file list (see ``wistia_sync.publish.shards``)
PAGE_LIST_FOLDER = "page-lists"  # chunks of long playlists' page lists (``publish.pagelists``)
SHARD_LIST_FOLDER = "shard-lists"  # chunks of files.json's list of shards (``publish.shards``)
CAPTIONS_FOLDER = "captions"  # WebVTT files of videos' captions (``publish.captions``)
SLUGS_FOLDER = "slugs"  # the slug -> hashed_id lookup (``publish.slug_lookup``)
# For search engines (issue 22, ``publish.seo_files``), only while the site has an origin and a
# watch-URL template: the sitemap index, video sitemaps, VideoObject JSON-LD, watch pages.
SITEMAP_INDEX_PATH = "sitemap.xml"
SITEMAPS_FOLDER = "sitemaps"
JSONLD_FOLDER = "ld"
WATCH_FOLDER = "watch"
SEARCH_FOLDER = "search"  # the search index (``publish.search_index``)
SEARCH_INDEX_PATH = f"{SEARCH_FOLDER}/index.json"  # its entry file
SEARCH_CLIENT_PATH = "search.js"  # the JavaScript client (``templates/search.js``)
# Temp files live in a dot-folder: web servers are told to deny dot-files (see the README).
TEMP_FOLDER = ".wistia-sync-tmp"
MANAGED_FOLDERS = (
    TAGS_FOLDER,
    FOLDERS_FOLDER,
    VIDEOS_FOLDER,
    PAGES_FOLDER,
    SHARD_FOLDER,
    PAGE_LIST_FOLDER,
    SHARD_LIST_FOLDER,
    SCHEMA_FOLDER,
    CAPTIONS_FOLDER,
    SLUGS_FOLDER,
    JSONLD_FOLDER,
    SITEMAPS_FOLDER,
    WATCH_FOLDER,
    SEARCH_FOLDER,
    TEMP_FOLDER,
)

# File names come from a remote API (hashed ids) or from editors (slugs): anything else is skipped.
# The length caps keep every name far below the 255-byte limit of file systems.
SAFE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
SAFE_HASHED_ID = re.compile(r"[A-Za-z0-9]{1,100}")
PAGE_HASH_LENGTH = 32  # hex digits of the page's sha256 in its name: 128 bits
# A search index lists hundreds of shards in the entry every query loads: 80 bits a name keep it
# small, and a collision would need 2**40 shards.
SEARCH_HASH_LENGTH = 20

PAGE_PATH = re.compile(rf"{PAGES_FOLDER}/[0-9a-f]{{{PAGE_HASH_LENGTH}}}\.json")
SHARD_PATH = re.compile(rf"{SHARD_FOLDER}/[0-9a-f]{{{PAGE_HASH_LENGTH}}}\.json")
PAGE_LIST_PATH = re.compile(rf"{PAGE_LIST_FOLDER}/[0-9a-f]{{{PAGE_HASH_LENGTH}}}\.json")
SHARD_LIST_PATH = re.compile(rf"{SHARD_LIST_FOLDER}/[0-9a-f]{{{PAGE_HASH_LENGTH}}}\.json")
TAG_PLAYLIST_PATH = re.compile(rf"{TAGS_FOLDER}/({SAFE_SLUG.pattern})\.json")
FOLDER_PLAYLIST_PATH = re.compile(rf"{FOLDERS_FOLDER}/({SAFE_HASHED_ID.pattern})\.json")
VIDEO_FILE_PATH = re.compile(rf"{VIDEOS_FOLDER}/({SAFE_HASHED_ID.pattern})\.json")
SCHEMA_PATH = re.compile(rf"{SCHEMA_FOLDER}/[a-z0-9][a-z0-9-]*\.schema\.json")
# A language as ``wistia.captions.LANGUAGE`` accepts it (``eng``, ``zh-Hant``).
CAPTION_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,2}")
# captions/<hashed_id>.<lang>.<hash>.vtt: content-addressed and immutable, like pages, so a
# reader holding an older page (or video file) still finds the captions it links to.
CAPTION_PATH = re.compile(
    rf"{CAPTIONS_FOLDER}/({SAFE_HASHED_ID.pattern})\.({CAPTION_LANGUAGE.pattern})"
    rf"\.[0-9a-f]{{{PAGE_HASH_LENGTH}}}\.vtt"
)
# slugs/<2 hex digits>.json: one of the 256 files of the slug lookup (``catalog.slugs``).
SLUG_LOOKUP_PATH = re.compile(rf"{SLUGS_FOLDER}/[0-9a-f]{{2}}\.json")
SITEMAP_PATH = re.compile(rf"{SITEMAPS_FOLDER}/videos-([0-9]{{1,9}})\.xml")
JSONLD_PATH = re.compile(rf"{JSONLD_FOLDER}/({SAFE_HASHED_ID.pattern})\.json")
WATCH_PAGE_PATH = re.compile(rf"{WATCH_FOLDER}/([a-z0-9]+(?:-[a-z0-9]+)*)\.html")
# IndexNow's key file (``deliver.indexnow``): served at the origin's root, so it covers every
# watch URL.
INDEXNOW_KEY_PATH = re.compile(r"[0-9a-f]{32}\.txt")
_SEO_PATHS = (SITEMAP_PATH, JSONLD_PATH, WATCH_PAGE_PATH, INDEXNOW_KEY_PATH)
# search/<hash>.json: the index's shards (postings, display records and the lists of them),
# immutable and content-addressed like pages.
SEARCH_SHARD_PATH = re.compile(rf"{SEARCH_FOLDER}/[0-9a-f]{{{SEARCH_HASH_LENGTH}}}\.json")
# The file list is ordered by a sort key, not by path (``contract.filelist``): a file's key is
# its path, but a search file's puts its kind and place first (``search/<kind><place, 6+ hex
# digits>/<name>``): a term shard (``t``) the number its range of postings starts at, a record
# block (``r``) its block, a record list (``l``) its first block's list; so the file an edit
# writes in place of one sorts beside it. Only search files have keys from ``search/l`` up to
# ``search/u``: no path sorts there (the names are hex, the entry is ``index.json``).
SEARCH_KEY_KINDS = ("l", "r", "t")
SEARCH_KEYS_LOW = f"{SEARCH_FOLDER}/l"
SEARCH_KEYS_HIGH = f"{SEARCH_FOLDER}/u"  # sorts after every search file's key


def search_file_key(kind: str, path: str, place: int) -> str:
    """The file list's sort key of the search file at ``path``, of ``kind`` (one of
    ``SEARCH_KEY_KINDS``) and place ``place``."""
    return f"{SEARCH_FOLDER}/{kind}{place:06x}/{path.rpartition('/')[2]}"


# What a recorded path must look like before a publish dares remove it: one name in the root or
# in a managed folder. Wider than the v2 layout so files of the v1 layout are cleaned up too.
RECORDED_PATH = re.compile(
    rf"(?:(?:{'|'.join(MANAGED_FOLDERS[:-1])})/)?[A-Za-z0-9][A-Za-z0-9.-]*\.json"
    rf"|{re.escape(PREVIEW_PATH)}|{re.escape(SEARCH_CLIENT_PATH)}|{CAPTION_PATH.pattern}"
    rf"|{re.escape(SITEMAP_INDEX_PATH)}" + "".join(f"|{pattern.pattern}" for pattern in _SEO_PATHS)
)
# What any path in a file list must look like (the lists are read back from remote targets, so
# as untrusted input): relative, slash-separated, no empty, dot-leading ("..", ".tmp") or
# odd-character segments.
SAFE_PATH = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}){0,7}"
)

# Every path a publish writes: all a web server in front of the output folder should serve
# (``wistia-sync nginx-config`` serves these and answers 404 for anything else in the folder).
# Kept as text, compiled by ``published_path`` when asked: compiling it is ~7 ms, more than
# every other pattern here together, and only the nginx config (and checks of it) read it.
PUBLISHED_PATTERN = "|".join(
    [
        *(
            re.escape(name)
            for name in (
                MANIFEST_PATH,
                FILES_PATH,
                ALL_VIDEOS_PATH,
                TAGS_INDEX_PATH,
                FOLDERS_INDEX_PATH,
                PREVIEW_PATH,
                SITEMAP_INDEX_PATH,
                SEARCH_INDEX_PATH,
                SEARCH_CLIENT_PATH,
            )
        ),
        *(
            pattern.pattern
            for pattern in (
                PAGE_PATH,
                SHARD_PATH,
                PAGE_LIST_PATH,
                SHARD_LIST_PATH,
                TAG_PLAYLIST_PATH,
                FOLDER_PLAYLIST_PATH,
                VIDEO_FILE_PATH,
                SCHEMA_PATH,
                CAPTION_PATH,
                SLUG_LOOKUP_PATH,
                *_SEO_PATHS,
                SEARCH_SHARD_PATH,
            )
        ),
    ]
)


@functools.cache
def published_path() -> re.Pattern[str]:
    """``PUBLISHED_PATTERN`` compiled (once a process)."""
    return re.compile(PUBLISHED_PATTERN)


PlaylistKind = Literal["all", "tag", "folder"]


_IMMUTABLE_PATH = re.compile(
    "|".join(
        p.pattern
        for p in (
            PAGE_PATH,
            SHARD_PATH,
            PAGE_LIST_PATH,
            SHARD_LIST_PATH,
            CAPTION_PATH,
            SEARCH_SHARD_PATH,
        )
    )
)


def cache_class(path: str) -> CacheClass:
    """``immutable`` for content-addressed pages, page-list chunks, shards, shard-list chunks and
    caption files (never change, never purged).

    Only a name that is a content hash makes a file immutable: anything else, wherever it is
    (``pages/notes.json`` too), may change under its URL and is an entry file.
    """
    return "immutable" if _IMMUTABLE_PATH.fullmatch(path) else "entry"


def is_list_file(path: str) -> bool:
    """A file of the file list itself (a shard or a shard-list chunk): never listed in it."""
    return bool(SHARD_PATH.fullmatch(path) or SHARD_LIST_PATH.fullmatch(path))


def tag_playlist_path(slug: str) -> str:
    return f"{TAGS_FOLDER}/{slug}.json"


def folder_playlist_path(hashed_id: str) -> str:
    return f"{FOLDERS_FOLDER}/{hashed_id}.json"


def video_file_path(hashed_id: str) -> str:
    return f"{VIDEOS_FOLDER}/{hashed_id}.json"


def caption_path(hashed_id: str, lang: str, sha256_hex: str) -> str:
    return f"{CAPTIONS_FOLDER}/{hashed_id}.{lang}.{sha256_hex[:PAGE_HASH_LENGTH]}.vtt"


def caption_prefix(hashed_id: str) -> str:
    """What every caption file of this video starts with (and no other video's)."""
    return f"{CAPTIONS_FOLDER}/{hashed_id}."


def slug_lookup_path(shard: int) -> str:
    return f"{SLUGS_FOLDER}/{shard:02x}.json"


def sitemap_path(number: int) -> str:
    return f"{SITEMAPS_FOLDER}/videos-{number}.xml"


def jsonld_path(hashed_id: str) -> str:
    return f"{JSONLD_FOLDER}/{hashed_id}.json"


def watch_page_path(slug: str) -> str:
    return f"{WATCH_FOLDER}/{slug}.html"


def indexnow_key_path(key: str) -> str:
    return f"{key}.txt"


def search_shard_path(sha256_hex: str) -> str:
    return f"{SEARCH_FOLDER}/{sha256_hex[:SEARCH_HASH_LENGTH]}.json"


def page_path(sha256_hex: str) -> str:
    return f"{PAGES_FOLDER}/{sha256_hex[:PAGE_HASH_LENGTH]}.json"


def shard_path(sha256_hex: str) -> str:
    return f"{SHARD_FOLDER}/{sha256_hex[:PAGE_HASH_LENGTH]}.json"


def page_list_path(sha256_hex: str) -> str:
    return f"{PAGE_LIST_FOLDER}/{sha256_hex[:PAGE_HASH_LENGTH]}.json"


def shard_list_path(sha256_hex: str) -> str:
    return f"{SHARD_LIST_FOLDER}/{sha256_hex[:PAGE_HASH_LENGTH]}.json"


def playlist_identity(path: str) -> tuple[PlaylistKind, str | None]:
    """The kind and key of the playlist whose entry file is at ``path``."""
    if path == ALL_VIDEOS_PATH:
        return "all", None
    tag = TAG_PLAYLIST_PATH.fullmatch(path)
    if tag:
        return "tag", tag.group(1)
    folder = FOLDER_PLAYLIST_PATH.fullmatch(path)
    if folder:
        return "folder", folder.group(1)
    raise ValueError(f"not a playlist path: {path!r}")


def link(from_path: str, to_path: str) -> str:
    """``to_path`` relative to the folder of ``from_path`` (standard URL resolution gives it back).

    ``link("tags/a.json", "pages/x.json") == "../pages/x.json"``.
    """
    source = posixpath.dirname(from_path)
    if not source:  # from the root (tags.json, files.json): the path itself
        return to_path
    if source == posixpath.dirname(to_path):
        return posixpath.basename(to_path)
    return posixpath.relpath(to_path, source) if "/" in source else f"../{to_path}"


# The order a remote copy is brought up to date in, so that a reader never follows a link to a
# file not there yet: what an entry file links to goes before it, and a chunk listing pages (or
# shards) after them. Removals come after the manifest (nothing published links to them any
# more), ``files.json`` last (the record of a delivery that completed), then the shards and
# shard-list chunks only the previous list named.
DeliveryPhase = Literal["linked", "lists", "items", "indexes", "manifest"]
DELIVERY_PHASES: tuple[DeliveryPhase, ...] = ("linked", "lists", "items", "indexes", "manifest")
INDEX_PATHS = (
    ALL_VIDEOS_PATH,
    TAGS_INDEX_PATH,
    FOLDERS_INDEX_PATH,
    PREVIEW_PATH,
    SEARCH_INDEX_PATH,
)


def delivery_phase(path: str) -> DeliveryPhase:
    """Which upload phase ``path`` belongs to (the local write order, ``publish.plan.Stage``):
    pages, shards and schemas (linked to, linking to nothing the publisher writes), then the
    chunks listing pages or shards, then per-item entry files (``videos/<id>.json``,
    ``tags/<slug>.json``, ``folders/<id>.json``), then the indexes linking to them, then
    ``manifest.json``."""
    if PAGE_LIST_PATH.fullmatch(path) or SHARD_LIST_PATH.fullmatch(path):
        return "lists"
    if cache_class(path) == "immutable" or SCHEMA_PATH.fullmatch(path):
        return "linked"
    if path == MANIFEST_PATH:
        return "manifest"
    if path in INDEX_PATHS:
        return "indexes"
    return "items"


def is_managed(path: str) -> bool:
    """Whether ``path`` (relative to the output folder or a target's prefix) is a name the
    publisher writes: only those may be removed from a bucket; anything else is someone else's."""
    return bool(published_path().fullmatch(path))
