"""The JSON contract (schema_version 2): pydantic models of every file the publisher writes.

The publisher renders files with plain dicts (an editor command must not pay for importing
pydantic); these models describe the same files, field for field and in the same key order. The
JSON Schemas consumers read are generated from them (``export_schemas``), and the project's tests
validate every published file against the strict form, so the two cannot drift apart.

Published schemas accept unknown properties: the contract grows by adding fields, and a closed
schema would break validating clients on each addition. The strict form (``strict=True``)
refuses them, for this project's own tests.

Class docstrings and field descriptions end up in the published schemas: they are written for
the frontend developer reading them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from wistia_sync.contract.layout import PlaylistKind

SCHEMA_VERSION: Literal[2] = 2
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Patterns use [0-9], not \d: pydantic's Rust regex engine reads \d as any Unicode digit.
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
HASHED_ID_PATTERN = r"^[A-Za-z0-9]+$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
VIDEO_SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# A link, relative to the URL of the file that holds it (resolve it with `new URL(link, fileUrl)`).
LINK_PATTERN = r"^(\.\./)?([a-z][a-z-]*/)?[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*\.json$"
# A path relative to the output root, as used by files.json.
ROOT_PATH_PATTERN = (
    r"^([a-z][a-z-]*/)?[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*\.(json|vtt|xml|html|txt|js)$"
)
# A caption file, relative to the site's root (the folder of manifest.json).
CAPTION_URL_PATTERN = (
    r"^captions/[A-Za-z0-9]+\.[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}\.[0-9a-f]{32}\.vtt$"
)
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,2}$"

Timestamp = Annotated[
    str,
    Field(
        pattern=TIMESTAMP_PATTERN,
        json_schema_extra={"format": "date-time"},
        examples=["2024-05-01T09:30:00Z"],
    ),
]
HashedId = Annotated[str, Field(pattern=HASHED_ID_PATTERN, examples=["abc123def4"])]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, examples=["onboarding"])]
Link = Annotated[str, Field(pattern=LINK_PATTERN, examples=["../pages/3f9a0c1d.json"])]
Version = Annotated[Literal[2], Field(description="Version of this contract; always 2.")]


class _Contract(BaseModel):
    """Base: unknown fields are refused here; the published schemas are opened up on export."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderRef(_Contract):
    """The folder (Wistia project) a video belongs to."""

    hashed_id: HashedId = Field(
        description="Wistia's id of the folder; its playlist is folders/<hashed_id>.json."
    )
    name: str = Field(description="Display name of the folder.")


class TagRef(_Contract):
    """One tag of a video: its name and the slug naming its playlist (tags/<slug>.json)."""

    name: str = Field(description="Display name (raw text: escape it before inserting HTML).")
    slug: Slug = Field(description="Stable identifier; the tag's playlist is tags/<slug>.json.")


class CaptionRef(_Contract):
    """One language of a video's captions: a WebVTT file the publisher writes."""

    lang: str = Field(
        pattern=LANGUAGE_PATTERN,
        examples=["eng", "zh-Hant"],
        description="Language: ISO 639-2 (three letters), or with an IETF subtag (zh-Hant).",
    )
    label: str = Field(
        description="The language's name to show, as Wistia gives it (raw text: escape it)."
    )
    url: str = Field(
        pattern=CAPTION_URL_PATTERN,
        description="The WebVTT file (captions/<hashed_id>.<lang>.<hash>.vtt: immutable, "
        "content-addressed, text/vtt), relative to the site's root (the folder of "
        "manifest.json), not to the file holding the video: resolve it with "
        "new URL(url, manifestUrl).",
    )


class ChapterRef(_Contract):
    """One chapter of a video."""

    title: str = Field(description="Title of the chapter (raw text: escape it before inserting).")
    start: float = Field(ge=0, allow_inf_nan=False, description="Start, in seconds.")


class Video(_Contract):
    """One published video, identical in every file that shows it."""

    hashed_id: HashedId = Field(
        description="Wistia's id of the video: stable, and the name of its videos/<id>.json file."
    )
    name: str = Field(description="Title of the video (raw text: escape it before inserting HTML).")
    description: str = Field(
        description="Description as Wistia returns it: may contain HTML markup (sanitise it "
        "before rendering) and may be empty."
    )
    duration: float | None = Field(
        ge=0, allow_inf_nan=False, description="Length in seconds, or null when unknown."
    )
    # Added within v2: optional, so a v2 document written before them still validates.
    width: int | None = Field(
        default=None,
        ge=1,
        description="Width in pixels of the original file (so a player can size itself, with "
        "height), or null when Wistia gives none; width and height are both set or both null. "
        "Absent only in files published before this field existed.",
    )
    height: int | None = Field(
        default=None, ge=1, description="Height in pixels of the original file, or null with width."
    )
    created: Timestamp = Field(description="When the video was uploaded, ISO 8601 UTC.")
    updated: Timestamp = Field(description="When Wistia last changed the video, ISO 8601 UTC.")
    thumbnail_url: str | None = Field(
        description="Absolute URL of the thumbnail image, or null when Wistia has none."
    )
    embed_url: str = Field(
        json_schema_extra={"format": "uri"},
        description="Iframe player URL: https://fast.wistia.net/embed/iframe/<hashed_id>.",
    )
    hls_url: str = Field(
        json_schema_extra={"format": "uri"},
        description="HLS stream URL: https://fast.wistia.com/embed/medias/<hashed_id>.m3u8.",
    )
    folder: FolderRef | None = Field(description="The video's folder, or null when it has none.")
    tags: list[TagRef] = Field(
        description="The video's tags (from Wistia and from editors), sorted by name "
        "case-insensitively. Each has a playlist listed in tags.json."
    )
    plays: int | None = Field(
        ge=0, description="Play count from Wistia's stats, or null when not fetched yet."
    )
    # Added within v2 (issue 20): optional, so a v2 document written before them validates.
    captions: list[CaptionRef] = Field(
        default_factory=list,
        description="Finished (never draft) captions, by language; [] when none. Absent only "
        "in files published before this field existed.",
    )
    chapters: list[ChapterRef] = Field(
        default_factory=list,
        description="Chapters sorted by start (deleted ones left out); [] when none. Absent "
        "only in files published before this field existed.",
    )
    # Added within v2 (issue 22): optional, so a v2 document written before it validates.
    slug: str = Field(
        default_factory=str,
        pattern=VIDEO_SLUG_PATTERN,
        examples=["how-to-onboard-your-team"],
        description="Stable, unique, human-readable name of the video for watch-page URLs: "
        "given when the video is first published and never changed (a rename keeps it); "
        "slugs/<shard>.json maps it back to the hashed_id. Absent only in files published "
        "before this field existed.",
    )


class PageLink(_Contract):
    """One further page of a playlist, in playlist order."""

    url: Link = Field(description="The page (immutable, content-addressed), relative to this file.")
    count: int = Field(ge=1, description="Number of videos on that page.")


class PageListLink(_Contract):
    """One chunk of a long playlist's list of pages, in playlist order."""

    url: Link = Field(
        description="The chunk (page-lists/<hash>.json: immutable, content-addressed), "
        "relative to this file."
    )
    count: int = Field(ge=1, description="Number of videos on the pages the chunk lists.")
    pages: int = Field(ge=1, description="Number of pages the chunk lists.")


class Playlist(_Contract):
    """A playlist's entry file: videos.json, tags/<slug>.json or folders/<hashed_id>.json.

    Small and mutable, at a stable URL. It holds the playlist's first videos inline (all of
    them when they fit on one page, else the newest quarter page) and lists its other pages,
    each an immutable file under pages/; a long playlist lists its first
    pages in `pages` and the rest through `page_lists`, immutable chunks listing pages. Fetching
    the listed pages in order (`pages`, then each chunk's) gives exactly the playlist this file
    describes: one consistent snapshot, `count` videos, none skipped or repeated, whatever was
    published since. Videos are ordered newest `created` first, then by `hashed_id`.
    """

    schema_version: Version
    kind: PlaylistKind = Field(
        description="all: every published video; tag: one tag's videos; folder: one folder's."
    )
    key: str | None = Field(
        description="null for kind all, the tag's slug for kind tag, the folder's hashed_id for "
        "kind folder."
    )
    title: str = Field(description="Display title: 'All videos', the tag name or the folder name.")
    count: int = Field(ge=0, description="Number of videos in the whole playlist (all pages).")
    pages: list[PageLink] = Field(
        description="The playlist's further pages, in order (the first of them only, when "
        "page_lists follows)."
    )
    page_lists: list[PageListLink] = Field(
        default_factory=list,
        description="Only in a long playlist (absent otherwise): chunks listing the pages after "
        "those of `pages`, in order.",
    )
    videos: list[Video] = Field(
        description="The playlist's first videos: all of them when they fit on one page, else "
        "the newest quarter page."
    )


class PageList(_Contract):
    """page-lists/<hash>.json: a chunk of a long playlist's list of pages; immutable.

    Kept for a grace period after the last entry file listing it changed, like a page.
    """

    schema_version: Version
    kind: PlaylistKind = Field(description="The kind of the playlist the chunk belongs to.")
    key: str | None = Field(description="The key of the playlist the chunk belongs to.")
    pages: list[PageLink] = Field(description="Pages, in playlist order, relative to this file.")


class Page(_Contract):
    """pages/<hash>.json: one further page of a playlist; immutable (its name is its hash).

    Kept for a grace period after the last entry file listing it changed, so a reader holding
    that entry file still finds it.
    """

    schema_version: Version
    kind: PlaylistKind = Field(description="The kind of the playlist the page belongs to.")
    key: str | None = Field(description="The key of the playlist the page belongs to.")
    videos: list[Video] = Field(description="The videos of this page, in playlist order.")


class TagEntry(_Contract):
    """A tag that has at least one published video."""

    name: str = Field(description="Display name of the tag (raw text: escape it before HTML).")
    slug: Slug = Field(description="Stable file-name-safe identifier of the tag.")
    count: int = Field(ge=1, description="Number of published videos carrying the tag.")
    url: Link = Field(description="The tag's playlist, relative to tags.json.")


class TagsIndex(_Contract):
    """tags.json: every tag with at least one published video, sorted by name case-insensitively."""

    schema_version: Version
    tags: list[TagEntry] = Field(description="The tags, sorted by name case-insensitively.")


class FolderEntry(_Contract):
    """A folder that has at least one published video."""

    hashed_id: HashedId = Field(description="Wistia's id of the folder.")
    name: str = Field(description="Display name of the folder.")
    count: int = Field(ge=1, description="Number of published videos in the folder.")
    url: Link = Field(description="The folder's playlist, relative to folders.json.")


class FoldersIndex(_Contract):
    """folders.json: every folder with a published video, sorted by name case-insensitively."""

    schema_version: Version
    folders: list[FolderEntry] = Field(
        description="The folders, sorted by name case-insensitively, then by hashed_id."
    )


class VideoFile(_Contract):
    """videos/<hashed_id>.json: one published video, for a video page."""

    schema_version: Version
    video: Video = Field(description="The video.")


class ManifestCounts(_Contract):
    """How much is published."""

    videos: int = Field(ge=0, description="Number of published videos.")
    tags: int = Field(ge=0, description="Number of entries in tags.json.")
    folders: int = Field(ge=0, description="Number of entries in folders.json.")


class Manifest(_Contract):
    """manifest.json: the small entry point a frontend polls to notice a change.

    Written after every file it leads to. A few hundred bytes whatever the catalog's size.
    """

    schema_version: Version
    generation: str = Field(
        pattern=r"^[0-9a-f]{20}$",
        description="Id of the published content: changes whenever any published byte does.",
    )
    updated_at: Timestamp = Field(
        description="When the published content last changed, ISO 8601 UTC. A republish that "
        "changes nothing keeps it, so the manifest stays byte-identical."
    )
    counts: ManifestCounts = Field(description="How many videos, tags and folders are published.")
    videos: Link = Field(description="The playlist of every published video (videos.json).")
    tags: Link = Field(description="The tags index (tags.json).")
    folders: Link = Field(description="The folders index (folders.json).")
    files: Link = Field(description="The full file list with hashes (files.json).")


class FileEntry(_Contract):
    """Fingerprint and cache class of one published file."""

    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the file's bytes, hex.")
    bytes: int = Field(ge=0, description="Size of the file in bytes.")
    cache: Literal["immutable", "entry"] = Field(
        description="immutable: a content-addressed page that never changes (cache forever); "
        "entry: a mutable file at a stable URL (cache briefly, or purge on change)."
    )


class ShardLink(_Contract):
    """One shard of the file list: a stable slice of the files ordered by key (see files.json)."""

    url: str = Field(
        pattern=r"^files/[0-9a-f]{32}\.json$",
        description="The shard (immutable, content-addressed), relative to files.json.",
    )
    first: str = Field(
        description='The key where the shard\'s slice starts ("" for the first shard): its '
        "first file's key; it ends where the next shard's starts."
    )
    count: int = Field(ge=0, description="How many files the shard lists.")
    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the shard's bytes, hex.")
    bytes: int = Field(ge=0, description="Size of the shard in bytes.")


class ShardListLink(_Contract):
    """One chunk of the index's tree of shards (a larger site only): it lists shards, or (in a
    site large enough for more levels) further chunks."""

    url: str = Field(
        pattern=r"^shard-lists/[0-9a-f]{32}\.json$",
        description="The chunk (immutable, content-addressed), relative to files.json.",
    )
    first: str = Field(description="The key where the chunk's first shard's slice starts.")
    count: int = Field(ge=0, description="How many files the shards under the chunk list.")
    shards: int = Field(ge=0, description="How many shards are under the chunk, at any depth.")
    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the chunk's bytes, hex.")
    bytes: int = Field(ge=0, description="Size of the chunk in bytes.")


class ChunkShardLink(ShardLink):
    """One shard as a chunk of files.json lists it: its link is relative to the chunk."""

    url: str = Field(
        pattern=r"^\.\./files/[0-9a-f]{32}\.json$",
        description="The shard (immutable, content-addressed), relative to the chunk.",
    )


class ChunkListLink(ShardListLink):
    """One chunk as a chunk of a lower level lists it: its link is its name, beside it."""

    url: str = Field(
        pattern=r"^[0-9a-f]{32}\.json$",
        description="The chunk (immutable, content-addressed), relative to the chunk listing it.",
    )


class FilesList(_Contract):
    """files.json: the index of the list of every published file, for a remote target to diff.

    Written after manifest.json and after its shards. The list (every published file but
    files.json and its shards, including immutable pages within their grace period) is ordered
    by key and cut into shards; two lists naming the same shard agree on that whole slice of
    keys, so a diff reads only the shards they do not share. A file's key is its path, but a
    search file's (search/<hash>.json but the entry) is search/<kind><place>/<hash>.json: t and
    the video number a term shard's postings start at, r and a record block's block, l and a
    record list's list, the place in 6 or more hex digits; the file that replaces one sorts
    beside it. No path sorts from search/l to search/u, and a list whose keys are all paths (an
    earlier release's) is a list in this order too.
    """

    schema_version: Version
    generation: str = Field(pattern=r"^[0-9a-f]{20}$", description="As in manifest.json.")
    count: int = Field(ge=0, description="How many files the shards list in all.")
    shards: list[ShardLink] = Field(
        description="The shards, in key order: all of them in a small site; none when "
        "shard_lists follows (an earlier release put the first chunk's shards here)."
    )
    shard_lists: list[ShardListLink] = Field(
        default_factory=list,
        description="Only in a larger site (absent otherwise): the chunks of the index's tree "
        "listing the shards after those of `shards`, in key order.",
    )


class FilesShardList(_Contract):
    """shard-lists/<hash>.json: a chunk of the index's tree (immutable): it lists either shards
    (the lowest level) or chunks of the level below, never both."""

    schema_version: Version
    shards: list[ChunkShardLink] = Field(
        default_factory=list, description="The shards, in key order (the lowest level)."
    )
    shard_lists: list[ChunkListLink] = Field(
        default_factory=list,
        description="The chunks of the level below, in key order (a higher level).",
    )


class FilesShard(_Contract):
    """files/<hash>.json: one shard of the file list (immutable, named by its content hash)."""

    schema_version: Version
    files: dict[Annotated[str, Field(pattern=ROOT_PATH_PATTERN)], FileEntry] = Field(
        description="Output-relative path -> fingerprint, in key order (see files.json)."
    )


class SlugLookup(_Contract):
    """slugs/<shard>.json: the published videos whose slug falls in this shard, slug -> hashed_id.

    A slug's shard is FNV-1a (32-bit) of its ASCII bytes modulo 256, as two hex digits (see the
    README); a file whose shard holds no published video does not exist (404: no such video).
    """

    schema_version: Version
    slugs: dict[Annotated[str, Field(pattern=VIDEO_SLUG_PATTERN)], HashedId] = Field(
        description="Slug -> the video's hashed_id (its file is videos/<hashed_id>.json), "
        "sorted by slug."
    )


SearchLink = Annotated[
    str, Field(pattern=r"^[0-9a-f]{20}\.json$", examples=["3f9a0c1d2e4b5a6c7d8e.json"])
]


class SearchIndex(_Contract):
    """search/index.json: the search index's entry (issue 21), read once a snapshot."""

    version: Literal[1] = Field(description="Version of the index's format; always 1.")
    fields: dict[str, int] = Field(description="Each field's bit in a posting's mask.")
    max_term_length: int = Field(ge=1, description="Terms are cut to this many characters.")
    record_block: int = Field(ge=1, description="Videos (by number) a record block holds.")
    record_list_blocks: int = Field(ge=1, description="Record blocks a record list lists.")
    shards: list[tuple[str, int, SearchLink]] = Field(
        description="Term shards in key order: [start term, start number, url]; shard i holds "
        "the postings from its key up to the next shard's."
    )
    record_lists: list[tuple[int, SearchLink]] = Field(
        description="[chunk, url]: the record blocks of chunk's range of blocks."
    )


class SearchTermShard(_Contract):
    """search/<hash>.json holding postings: [term, [first number, delta…], masks]."""

    terms: list[tuple[str, list[int], str]]


class SearchRecord(_Contract):
    """A result's display record."""

    id: int = Field(ge=0, description="The video's number in the index.")
    hashed_id: HashedId
    name: str
    url: Link = Field(description="The video's own file (videos/<hashed_id>.json).")
    thumbnail_url: str | None
    duration: float | None
    created: Timestamp
    plays: int | None
    tags: list[TagRef]
    folder: FolderRef | None


class SearchRecordBlock(_Contract):
    """search/<hash>.json holding display records, by number."""

    records: list[SearchRecord]


class SearchRecordList(_Contract):
    """search/<hash>.json listing record blocks: [block, url]."""

    blocks: list[tuple[int, SearchLink]]


class SearchShard(RootModel[SearchTermShard | SearchRecordBlock | SearchRecordList]):
    """search/<hash>.json: a term shard, a record block or a record list (immutable)."""


SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "playlist.schema.json": Playlist,
    "page.schema.json": Page,
    "video.schema.json": VideoFile,
    "tags.schema.json": TagsIndex,
    "folders.schema.json": FoldersIndex,
    "manifest.schema.json": Manifest,
    "files.schema.json": FilesList,
    "files-shard.schema.json": FilesShard,
    "page-list.schema.json": PageList,
    "files-shard-list.schema.json": FilesShardList,
    "slugs.schema.json": SlugLookup,
    "search-index.schema.json": SearchIndex,
    "search-shard.schema.json": SearchShard,
}


def export_schemas(*, strict: bool = False) -> dict[str, dict[str, Any]]:
    """The JSON Schema of every output file kind, by file name (as published under schema/).

    ``strict`` keeps ``additionalProperties: false`` everywhere (for this project's tests); the
    published form drops it, so clients accept fields added in later minor versions.
    """
    return {name: _schema_of(model, strict=strict) for name, model in SCHEMA_MODELS.items()}


def _schema_of(model: type[BaseModel], *, strict: bool) -> dict[str, Any]:
    generated = model.model_json_schema(mode="serialization")
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, **generated}
    return schema if strict else _opened(schema)


def _opened(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _opened(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_opened(item) for item in node]
    return node


def render_schema(schema: dict[str, Any]) -> bytes:
    """The bytes of a schema file: indented, since people read them, in the repo and under schema/.

    The same bytes are published, committed (docs/schema/) and shipped in the package.
    """
    return (json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_schema_files() -> dict[str, bytes]:
    """Every published schema file's name and bytes."""
    return {name: render_schema(schema) for name, schema in export_schemas().items()}
