"""Pure rendering: database rows in, the exact bytes of every published file out.

Files are compact JSON, UTF-8, with a final newline, built from plain dicts and ``json.dumps`` in
a fixed key order (the pydantic contract describes them and tests validate against it, but an
editor command never imports pydantic). A video object is serialised once and its text reused by
every file that shows it, so the same database always gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from wistia_sync.contract.layout import (
    ALL_VIDEOS_PATH,
    FILES_PATH,
    FOLDERS_INDEX_PATH,
    SAFE_HASHED_ID,
    SAFE_SLUG,
    TAGS_INDEX_PATH,
    folder_playlist_path,
    link,
    page_list_path,
    page_path,
    playlist_identity,
    tag_playlist_path,
)
from wistia_sync.store.timestamps import format_timestamp, parse_timestamp
from wistia_sync.wistia.urls import EMBED_URL, HLS_URL

SCHEMA_VERSION = 2
ALL_VIDEOS_TITLE = "All videos"
_INVERT_DIGITS = str.maketrans("0123456789", "9876543210")
_UTC_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class VideoRow:
    __slots__ = (
        "created",
        "description",
        "duration",
        "folder_hashed_id",
        "folder_name",
        "hashed_id",
        "height",
        "name",
        "plays",
        "thumbnail_url",
        "updated",
        "width",
    )

    def __init__(
        self,
        hashed_id: str,
        name: str,
        description: str,
        duration: float | None,
        created: str,
        updated: str,
        thumbnail_url: str | None,
        plays: int | None,
        folder_hashed_id: str | None,
        folder_name: str | None,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        self.hashed_id = hashed_id
        self.name = name
        self.description = description
        self.duration = duration
        self.created = created
        self.updated = updated
        self.thumbnail_url = thumbnail_url
        self.plays = plays
        self.folder_hashed_id = folder_hashed_id
        self.folder_name = folder_name
        self.width = width
        self.height = height


class RenderedVideo:
    """A published video as every file shows it, and the playlists it belongs to."""

    __slots__ = ("captions", "hashed_id", "json", "member", "playlists")

    def __init__(
        self,
        hashed_id: str,
        sort_key: str,
        json: str,
        playlists: tuple[tuple[str, str], ...],
        captions: tuple[str, ...] = (),
    ) -> None:
        self.hashed_id = hashed_id
        # (sort key, hashed_id): one tuple a video, shared by every playlist's members
        self.member = (sort_key, hashed_id)
        self.json = json  # the compact JSON text of its video object
        # (entry path, title: tag name, folder name, "All videos"), each pair shared by every video
        # in that playlist (a slug is unique, so no path comes twice)
        self.playlists = playlists
        self.captions = captions  # the caption files its object links to (publish.captions)

    @property
    def sort_key(self) -> str:
        return self.member[0]

    def title(self, playlist: str) -> str:
        return next(title for path, title in self.playlists if path == playlist)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_quote = json.encoder.encode_basestring  # what _ENCODER does to a string (C, when available)


def dumps(data: Any) -> str:
    """Compact JSON text (one encoder for every call: ``json.dumps`` would build one each time)."""
    return _ENCODER.encode(data)


def encode(text: str) -> bytes:
    """UTF-8 bytes with a final newline; a lone surrogate (never valid UTF-8) becomes U+FFFD."""
    return (text + "\n").encode("utf-8", "replace")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sort_key(created: str, hashed_id: str) -> str:
    """A text that sorts ascending in playlist order: newest ``created`` first, then hashed_id.

    ``created`` is always ``YYYY-MM-DDTHH:MM:SSZ`` (fixed width), so inverting its digits turns
    "newest first" into plain text order and the hashed_id breaks ties.
    """
    return f"{created.translate(_INVERT_DIGITS)} {hashed_id}"


def utc_text(value: str) -> str | None:
    """The stored timestamp as ``YYYY-MM-DDTHH:MM:SSZ``, normalising any other ISO 8601 form."""
    if _UTC_TIMESTAMP.fullmatch(value):
        return value
    try:
        return format_timestamp(parse_timestamp(value))
    except (ValueError, OverflowError):
        return None


# Bidirectional controls (embeddings, overrides, isolates, marks): in published text they make a
# string display differently from what it holds (U+202E turns "gpj.exe" into "exe.jpg"), so no
# published string keeps one. Other invisible characters (zero-width joiners in emoji, soft
# hyphens) are legitimate in names and descriptions and stay.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NO_BIDI_CONTROLS = dict.fromkeys(map(ord, BIDI_CONTROLS))


def published_text(text: str) -> str:
    """``text`` as every published file shows it: without bidirectional controls."""
    return text.translate(_NO_BIDI_CONTROLS) if not text.isascii() else text


def case_insensitive(name: str) -> tuple[str, str]:
    """Sort key: case-insensitive (Unicode casefold), ties broken by exact spelling."""
    return name.casefold(), name


def renderable(hashed_id: str, created: str | None, updated: str | None) -> bool:
    """Whether ``render_video`` publishes a video with these fields (files beside the video's
    own, like its slug's lookup entry, list exactly the videos it publishes)."""
    return published_times(hashed_id, created, updated) is not None


def published_times(
    hashed_id: str, created: str | None, updated: str | None
) -> tuple[str, str] | None:
    """``created`` and ``updated`` as ``render_video`` publishes them, or None when it would not
    publish a video with these fields."""
    if SAFE_HASHED_ID.fullmatch(hashed_id) is None or created is None or updated is None:
        return None
    created_text, updated_text = utc_text(created), utc_text(updated)
    if created_text is None or updated_text is None:
        return None
    return created_text, updated_text


def render_video(
    row: VideoRow,
    tags: Iterable[tuple[str, str]],
    extras: str = "",
    captions: tuple[str, ...] = (),
) -> RenderedVideo | None:
    """The video as published, or None when a field makes it unsafe to publish.

    ``extras`` is the rendered ``"captions"`` and ``"chapters"`` members (with a leading comma,
    ``publish.captions.video_extras``), ``captions`` the caption files they link to.

    ``tags`` are (name, slug) pairs; a tag whose slug is not a safe file name is left out (its
    playlist could not exist). A folder whose hashed_id is unsafe is left out the same way.
    """
    # Deduplicated by (published name, slug), in (case-insensitive name, name, slug) order.
    safe_tags = sorted(
        {tag for name, slug in tags if (tag := published_tag(name, slug)) is not None}
    )
    return render_video_tagged(row, safe_tags, extras, captions)


class TagOrder:
    """Every tag of the catalog in the order a video lists its tags, worked out once a publish:
    a video's tags are then its tag ids' ranks, sorted (small ints, not tuples of names)."""

    __slots__ = ("rank", "tags")

    def __init__(self, tags: Iterable[tuple[int, str, str]]) -> None:
        published = [
            (tag, tag_id) for tag_id, name, slug in tags if (tag := published_tag(name, slug))
        ]
        published.sort()
        self.tags = [tag for tag, _ in published]
        self.rank = {tag_id: rank for rank, (_, tag_id) in enumerate(published)}

    def of(self, ranks: set[int]) -> list[PublishedTag]:
        """The video's tags from its tag ids' ranks (a set: a tag from two sources is one)."""
        return [self.tags[rank] for rank in sorted(ranks)]


def render_video_tagged(
    row: VideoRow,
    safe_tags: Sequence[PublishedTag],
    extras: str = "",
    captions: tuple[str, ...] = (),
) -> RenderedVideo | None:
    """``render_video`` with the video's tags already published, deduplicated and in order
    (``published_tag``, ``TagOrder``)."""
    if not SAFE_HASHED_ID.fullmatch(row.hashed_id):
        return None
    created, updated = utc_text(row.created), utc_text(row.updated)
    if created is None or updated is None:
        return None
    folder, playlists = "null", [_ALL_VIDEOS]
    if (
        row.folder_hashed_id is not None
        and row.folder_name is not None
        and SAFE_HASHED_ID.fullmatch(row.folder_hashed_id)
    ):
        folder, membership = _folder(row.folder_hashed_id, row.folder_name)
        playlists.append(membership)
    playlists += [tag[3] for tag in safe_tags]
    duration = row.duration
    if duration is not None and (not math.isfinite(duration) or duration < 0):
        duration = None
    width, height = _dimensions(row.width, row.height)
    thumbnail = None if row.thumbnail_url is None else published_text(row.thumbnail_url)
    # The text ``dumps`` gives for the video object (keys in this order), written out: a rebuild
    # renders every video, and a dict through the encoder costs twice as much. Hashed ids and
    # slugs are safe names (nothing to escape); every other string is quoted as the encoder does.
    tag_list = ",".join(tag[4] for tag in safe_tags)
    text = (
        f'{{"hashed_id":"{row.hashed_id}","name":{_quote(published_text(row.name))},'
        f'"description":{_quote(published_text(row.description))},'
        f'"duration":{"null" if duration is None else float.__repr__(float(duration))},'
        f'"width":{_number(width)},"height":{_number(height)},'
        f'"created":"{created}","updated":"{updated}",'
        f'"thumbnail_url":{"null" if thumbnail is None else _quote(thumbnail)},'
        f'"embed_url":"{EMBED_URL.format(hashed_id=row.hashed_id)}",'
        f'"hls_url":"{HLS_URL.format(hashed_id=row.hashed_id)}",'
        f'"folder":{folder},"tags":[{tag_list}],'
        f'"plays":{_number(None if row.plays is None or row.plays < 0 else row.plays)}{extras}}}'
    )
    key = sort_key(created, row.hashed_id)
    return RenderedVideo(row.hashed_id, key, text, tuple(playlists), captions)


_ALL_VIDEOS = (ALL_VIDEOS_PATH, ALL_VIDEOS_TITLE)
# sort key, name, slug, (playlist path, title), JSON
PublishedTag = tuple[tuple[str, str, str], str, str, tuple[str, str], str]


@functools.lru_cache(maxsize=4096)
def published_tag(name: str, slug: str) -> PublishedTag | None:
    """A tag as every video shows it, worked out once a tag, not once a video (None: its slug
    is not a safe file name, so its playlist cannot exist)."""
    if not SAFE_SLUG.fullmatch(slug):
        return None
    shown = published_text(name)
    return (
        (*case_insensitive(shown), slug),
        shown,
        slug,
        (tag_playlist_path(slug), shown),
        f'{{"name":{_quote(shown)},"slug":"{slug}"}}',
    )


@functools.lru_cache(maxsize=1024)
def _folder(hashed_id: str, name: str) -> tuple[str, tuple[str, str]]:
    """A (safe) folder's JSON and its (playlist path, title), once a folder."""
    shown = published_text(name)
    return (
        f'{{"hashed_id":"{hashed_id}","name":{_quote(shown)}}}',
        (folder_playlist_path(hashed_id), shown),
    )


def _number(value: object) -> str:
    """``dumps(value)`` for a value from the database (``None`` or, nearly always, an int)."""
    if value is None:
        return "null"
    return int.__repr__(value) if type(value) is int else dumps(value)


def _dimensions(width: int | None, height: int | None) -> tuple[int | None, int | None]:
    """Width and height in pixels, both or neither (a player sizes itself from the pair)."""
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return None, None


def video_file(video: RenderedVideo) -> bytes:
    return encode(f'{{"schema_version":{SCHEMA_VERSION},"video":{video.json}}}')


def _playlist_header(path: str) -> str:
    kind, key = playlist_identity(path)
    return f'"schema_version":{SCHEMA_VERSION},"kind":{dumps(kind)},"key":{dumps(key)}'


class HashedFile(NamedTuple):
    """A content-addressed file: its path (from its hash), its bytes, and that hash."""

    path: str
    content: bytes
    sha256: str


def page_file(playlist: str, videos: Sequence[str]) -> HashedFile:
    """An immutable page of ``playlist`` (hashed once: its name and its record share it)."""
    content = encode(f'{{{_playlist_header(playlist)},"videos":[{",".join(videos)}]}}')
    digest = sha256(content)
    return HashedFile(page_path(digest), content, digest)


class PageRef:
    __slots__ = ("count", "path")

    def __init__(self, path: str, count: int) -> None:
        self.path = path
        self.count = count


class PageListRef:
    """A chunk of a playlist's page list: where it is, the videos and the pages it covers."""

    __slots__ = ("count", "pages", "path")

    def __init__(self, path: str, count: int, pages: int) -> None:
        self.path = path
        self.count = count
        self.pages = pages


def _page_links(source: str, pages: Sequence[PageRef]) -> str:
    return dumps([{"url": link(source, page.path), "count": page.count} for page in pages])


def page_list_file(playlist: str, pages: Sequence[PageRef]) -> tuple[str, bytes]:
    """An immutable chunk of ``playlist``'s page list: its path (from its hash) and its bytes."""
    # Every chunk sits in the same folder, so its links do not depend on its own name.
    links = _page_links(page_list_path("0"), pages)
    content = encode(f'{{{_playlist_header(playlist)},"pages":{links}}}')
    return page_list_path(sha256(content)), content


def playlist_entry_file(
    playlist: str,
    title: str,
    count: int,
    pages: Sequence[PageRef],
    first: Sequence[str],
    page_lists: Sequence[PageListRef] = (),
) -> bytes:
    """The playlist's entry file: its first videos inline, the list of its next pages, then
    (a long playlist only) the chunks listing the rest of its pages."""
    lists = ""
    if page_lists:
        chunks = [
            {"url": link(playlist, chunk.path), "count": chunk.count, "pages": chunk.pages}
            for chunk in page_lists
        ]
        lists = f',"page_lists":{dumps(chunks)}'
    return encode(
        f'{{{_playlist_header(playlist)},"title":{dumps(title)},"count":{count},'
        f'"pages":{_page_links(playlist, pages)}{lists},"videos":[{",".join(first)}]}}'
    )


class PlaylistSummary:
    __slots__ = ("count", "path", "title")

    def __init__(self, path: str, title: str, count: int) -> None:
        self.path = path
        self.title = title
        self.count = count


def tags_index_file(tags: Iterable[PlaylistSummary]) -> bytes:
    entries: list[dict[str, Any]] = []
    for tag in tags:
        _, slug = playlist_identity(tag.path)
        entries.append(
            {
                "name": tag.title,
                "slug": slug,
                "count": tag.count,
                "url": link(TAGS_INDEX_PATH, tag.path),
            }
        )
    entries.sort(key=lambda entry: (*case_insensitive(str(entry["name"])), str(entry["slug"])))
    return encode(dumps({"schema_version": SCHEMA_VERSION, "tags": entries}))


def folders_index_file(folders: Iterable[PlaylistSummary]) -> bytes:
    entries: list[dict[str, Any]] = []
    for folder in folders:
        _, hashed_id = playlist_identity(folder.path)
        entries.append(
            {
                "hashed_id": hashed_id,
                "name": folder.title,
                "count": folder.count,
                "url": link(FOLDERS_INDEX_PATH, folder.path),
            }
        )
    entries.sort(key=lambda entry: (*case_insensitive(str(entry["name"])), str(entry["hashed_id"])))
    return encode(dumps({"schema_version": SCHEMA_VERSION, "folders": entries}))


def manifest_file(
    *, generation: str, updated_at: str, videos: int, tags: int, folders: int
) -> bytes:
    """The small entry point a frontend polls: no line per video or per file."""
    return encode(
        dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "generation": generation,
                "updated_at": updated_at,
                "counts": {"videos": videos, "tags": tags, "folders": folders},
                "videos": ALL_VIDEOS_PATH,
                "tags": TAGS_INDEX_PATH,
                "folders": FOLDERS_INDEX_PATH,
                "files": FILES_PATH,
            }
        )
    )


def generation_of(lines: Sequence[str]) -> str:
    """A short hash of the given lines (see ``state.generation``)."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:20]
