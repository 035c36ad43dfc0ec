"""The JSON contract (schema_version 1): pydantic models of every file the publisher writes.

These models are the single source of truth for the published files. The publisher builds each
file through them (so a file that breaks the contract fails the publish instead of reaching the
CDN), and the JSON Schemas that frontend developers read are generated from them, field
descriptions included. Field order here is the key order in the files.

Class docstrings and field descriptions end up in the published schemas: they are written for
the frontend developer reading them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION: Literal[1] = 1
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Patterns use [0-9], not \d: pydantic's Rust regex engine reads \d as any Unicode digit.
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
HASHED_ID_PATTERN = r"^[A-Za-z0-9]+$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# A path relative to the output folder's root, as used by `url`, `next`, `prev` and manifest keys.
RELATIVE_PATH_PATTERN = r"^([a-z]+/)?[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)*\.json$"

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
RelativePath = Annotated[
    str, Field(pattern=RELATIVE_PATH_PATTERN, examples=["tags/onboarding.2.json"])
]
ManifestPath = Annotated[str, StringConstraints(pattern=RELATIVE_PATH_PATTERN)]
PlaylistKind = Literal["all", "tag", "folder"]


class _Contract(BaseModel):
    """Base: unknown fields are refused, so the schemas list exactly what a file holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderRef(_Contract):
    """The folder (Wistia project) a video belongs to."""

    hashed_id: HashedId = Field(
        description="Wistia's id of the folder; its playlist is folders/<hashed_id>.json."
    )
    name: str = Field(description="Display name of the folder.")


class Video(_Contract):
    """One published video, as it appears in playlists and in videos/<hashed_id>.json."""

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
    tags: list[str] = Field(
        description=(
            "Names of the video's tags (from Wistia and from editors), sorted case-insensitively. "
            "Each has a playlist listed in tags.json."
        )
    )
    plays: int | None = Field(
        ge=0, description="Play count from Wistia's stats, or null when not fetched yet."
    )


class Playlist(_Contract):
    """One page of a playlist: every published video, a tag's videos or a folder's videos.

    Page 1 lives at the canonical path (videos.json, tags/<slug>.json, folders/<hashed_id>.json);
    page N >= 2 at the same path with .N.json in place of .json. Videos are ordered newest
    `created` first, then by `hashed_id`.
    """

    schema_version: Literal[1] = Field(description="Version of this contract; always 1.")
    kind: PlaylistKind = Field(
        description="all: every published video; tag: one tag's videos; folder: one folder's."
    )
    key: str | None = Field(
        description="null for kind all, the tag's slug for kind tag, the folder's hashed_id for "
        "kind folder."
    )
    title: str = Field(description="Display title: 'All videos', the tag name or the folder name.")
    count: int = Field(ge=0, description="Number of videos in the whole playlist (all pages).")
    page: int = Field(ge=1, description="Number of this page, from 1.")
    pages: int = Field(ge=1, description="Number of pages; 1 even for an empty playlist.")
    next: RelativePath | None = Field(
        description="Path of the next page relative to the output root, or null on the last page."
    )
    prev: RelativePath | None = Field(
        description="Path of the previous page relative to the output root, or null on page 1."
    )
    videos: list[Video] = Field(description="The videos of this page, at most the page size.")


class TagEntry(_Contract):
    """A tag that has at least one published video."""

    name: str = Field(description="Display name of the tag (raw text: escape it before HTML).")
    slug: Slug = Field(description="Stable file-name-safe identifier of the tag.")
    count: int = Field(ge=1, description="Number of published videos carrying the tag.")
    url: RelativePath = Field(
        description="Path of the tag's playlist (page 1) relative to the output root."
    )


class TagsIndex(_Contract):
    """tags.json: every tag with at least one published video, sorted by name case-insensitively."""

    schema_version: Literal[1] = Field(description="Version of this contract; always 1.")
    tags: list[TagEntry] = Field(description="The tags, sorted by name case-insensitively.")


class FolderEntry(_Contract):
    """A folder that has at least one published video."""

    hashed_id: HashedId = Field(description="Wistia's id of the folder.")
    name: str = Field(description="Display name of the folder.")
    count: int = Field(ge=1, description="Number of published videos in the folder.")
    url: RelativePath = Field(
        description="Path of the folder's playlist (page 1) relative to the output root."
    )


class FoldersIndex(_Contract):
    """folders.json: every folder with a published video, sorted by name case-insensitively."""

    schema_version: Literal[1] = Field(description="Version of this contract; always 1.")
    folders: list[FolderEntry] = Field(
        description="The folders, sorted by name case-insensitively, then by hashed_id."
    )


class VideoFile(_Contract):
    """videos/<hashed_id>.json: one published video, for a video page."""

    schema_version: Literal[1] = Field(description="Version of this contract; always 1.")
    video: Video = Field(description="The video.")


class ManifestEntry(_Contract):
    """Fingerprint of one published file."""

    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the file's bytes, hex.")
    bytes: int = Field(ge=0, description="Size of the file in bytes.")


class ManifestCounts(_Contract):
    """How much is published."""

    videos: int = Field(ge=0, description="Number of published videos.")
    tags: int = Field(ge=0, description="Number of entries in tags.json.")
    folders: int = Field(ge=0, description="Number of entries in folders.json.")


class Manifest(_Contract):
    """manifest.json: written last; lists every other published file with its fingerprint.

    A changed sha256 tells a client or a CDN purge which files changed since it last looked.
    """

    schema_version: Literal[1] = Field(description="Version of this contract; always 1.")
    updated_at: Timestamp = Field(
        description="When the published content last changed, ISO 8601 UTC. An unchanged "
        "republish keeps it, so the manifest stays byte-identical."
    )
    counts: ManifestCounts = Field(description="How many videos, tags and folders are published.")
    files: dict[ManifestPath, ManifestEntry] = Field(
        description="Every other published file (paths relative to the output root, sorted).",
        json_schema_extra={"additionalProperties": False},
    )


SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "playlist.schema.json": Playlist,
    "video.schema.json": VideoFile,
    "tags.schema.json": TagsIndex,
    "folders.schema.json": FoldersIndex,
    "manifest.schema.json": Manifest,
}


def export_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every output file kind, by file name (as published under schema/)."""
    return {name: _schema_of(model) for name, model in SCHEMA_MODELS.items()}


def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    generated = model.model_json_schema(mode="serialization")
    return {"$schema": JSON_SCHEMA_DIALECT, **generated}


def render_schema(schema: dict[str, Any]) -> bytes:
    """The bytes of a schema file: indented, since people read them, in the repo and under schema/.

    The same bytes are published and committed (docs/schema/), so the two can be compared.
    """
    return (json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_schema_files() -> dict[str, bytes]:
    """Every schema file's name and bytes."""
    return {name: render_schema(schema) for name, schema in export_schemas().items()}
