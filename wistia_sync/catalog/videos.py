"""Finding videos: listing, searching and showing (``references`` resolves VIDEO arguments).

Everything here only reads. Queries are built so that a listing costs a fixed number of
statements whatever its length (one for the videos, one for all their tags), never one per video.
Searches and tag names compare with Unicode casefold, like tag identity does, because SQLite's
``LIKE`` and ``NOCASE`` fold ASCII only (``Café`` would not find ``CAFÉ``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from wistia_sync.catalog.references import quoted_list, resolve_videos
from wistia_sync.catalog.rules import (
    EXCLUSION_NAMES,
    PUBLISHED_VIDEO_CONDITION,
    Visibility,
    exclusion_columns,
    exclusions_applying,
)
from wistia_sync.catalog.tags import TagSource, combine_sources, tag_key
from wistia_sync.errors import UsageError
from wistia_sync.wistia.urls import EMBED_URL

if TYPE_CHECKING:
    from sqlite_utils import Database

_CASEFOLD_FUNCTION = "wistia_casefold"


# -- listing ---------------------------------------------------------------------------------------


class VideoFilter(NamedTuple):
    """What ``videos list`` narrows the catalog to; every field left empty means "any"."""

    tag: str | None = None
    folder: str | None = None
    visibility: Visibility | None = None
    search: str | None = None
    limit: int | None = None


class VideoSummary(NamedTuple):
    """One row of ``videos list``: enough to recognise a video and see why it is (not) shown."""

    hashed_id: str
    id: int | None
    name: str
    folder_hashed_id: str | None
    folder_name: str | None
    tags: tuple[str, ...]
    visibility: Visibility
    type: str
    status: str
    archived: bool
    published: bool
    plays: int | None
    created: str
    excluded: tuple[
        str, ...
    ] = ()  # the names of the exclusions (wistia_sync.catalog.rules) applying

    @property
    def protected(self) -> bool:
        return "protected" in self.excluded

    @property
    def state(self) -> str:
        """Wistia's side in a word or two: ``ready``, ``archived``, ``Audio, processing``."""
        state = "archived" if self.archived else self.status
        if self.protected:
            state += ", protected"
        return state if self.type == "Video" else f"{self.type}, {state}"

    def as_json(self) -> dict[str, Any]:
        return {
            "hashed_id": self.hashed_id,
            "id": self.id,
            "name": self.name,
            "folder": None
            if self.folder_hashed_id is None
            else {"hashed_id": self.folder_hashed_id, "name": self.folder_name},
            "tags": list(self.tags),
            "visibility": self.visibility,
            "type": self.type,
            "status": self.status,
            "archived": self.archived,
            "protected": self.protected,
            "published": self.published,
            "plays": self.plays,
            "created": self.created,
        }


_SUMMARY_COLUMNS = (
    "v.hashed_id, v.id, v.name, v.folder_hashed_id, f.name, v.visibility, v.type, v.status, "
    f"v.archived, ({PUBLISHED_VIDEO_CONDITION}) AS published, v.plays, v.created, "
    f"{exclusion_columns()}"
)
_SUMMARY_WIDTH = 12 + len(EXCLUSION_NAMES)  # where the columns ``show_video`` adds begin


def list_videos(db: Database, criteria: VideoFilter = VideoFilter()) -> list[VideoSummary]:
    """The videos Wistia still has that match ``criteria``, newest first (like the playlists).

    An unknown ``--tag`` or ``--folder`` is an error rather than an empty list: it is almost
    always a typo, and an empty answer would hide it.
    """
    where, parameters = _where(db, criteria)
    sql = (
        f"SELECT {_SUMMARY_COLUMNS} FROM videos v "
        "LEFT JOIN folders f ON f.hashed_id = v.folder_hashed_id "
        f"WHERE {where} ORDER BY v.created DESC, v.hashed_id"
    )
    if criteria.limit is not None:
        sql += " LIMIT ?"
        parameters.append(criteria.limit)
    rows = db.execute(sql, parameters).fetchall()
    tags = tag_names_by_video(db, [row[0] for row in rows])
    return [_summary(row, tags.get(row[0], ())) for row in rows]


def count_videos(db: Database, criteria: VideoFilter = VideoFilter()) -> int:
    """How many videos ``list_videos`` would list without a limit."""
    where, parameters = _where(db, criteria)
    return int(db.execute(f"SELECT count(*) FROM videos v WHERE {where}", parameters).fetchone()[0])


def _where(db: Database, criteria: VideoFilter) -> tuple[str, list[Any]]:
    """The SQL condition on ``videos v`` for ``criteria`` (the limit aside), and its values."""
    conditions = ["v.deleted_at IS NULL"]
    parameters: list[Any] = []
    if criteria.tag is not None:
        conditions.append("v.hashed_id IN (SELECT hashed_id FROM video_tags WHERE tag_id = ?)")
        parameters.append(_tag_id_or_error(db, criteria.tag))
    if criteria.folder is not None:
        conditions.append("v.folder_hashed_id IN (SELECT value FROM json_each(?))")
        parameters.append(json.dumps(_folder_ids_or_error(db, criteria.folder)))
    if criteria.visibility is not None:
        conditions.append("v.visibility = ?")
        parameters.append(criteria.visibility)
    if criteria.search and criteria.search.strip():
        _register_casefold(db)
        needle = criteria.search.strip().casefold()
        folded = _CASEFOLD_FUNCTION
        conditions.append(
            f"(instr({folded}(v.name), ?) OR instr({folded}(v.description), ?) "
            f"OR instr({folded}(v.hashed_id), ?))"
        )
        parameters.extend([needle, needle, needle])
    return " AND ".join(conditions), parameters


def _summary(row: Sequence[Any], tags: tuple[str, ...]) -> VideoSummary:
    return VideoSummary(
        hashed_id=row[0],
        id=row[1],
        name=row[2],
        folder_hashed_id=row[3],
        folder_name=row[4],
        tags=tags,
        visibility=row[5],
        type=row[6],
        status=row[7],
        archived=bool(row[8]),
        published=bool(row[9]),
        plays=row[10],
        created=row[11],
        excluded=exclusions_applying(tuple(row[12:_SUMMARY_WIDTH])),
    )


def tag_names_by_video(db: Database, hashed_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each video's tag names (a tag from both Wistia and editors once), sorted by identity.

    One statement for the whole list: this is what keeps ``videos list`` free of N+1 queries.
    """
    if not hashed_ids:
        return {}
    rows = db.execute(
        "SELECT DISTINCT vt.hashed_id, t.key, t.name FROM video_tags vt "
        "JOIN tags t ON t.id = vt.tag_id "
        "WHERE vt.hashed_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(hashed_ids))],
    ).fetchall()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for hashed_id, key, name in rows:
        grouped.setdefault(hashed_id, []).append((key, name))
    return {
        hashed_id: tuple(name for _, name in sorted(pairs)) for hashed_id, pairs in grouped.items()
    }


def _tag_id_or_error(db: Database, name: str) -> int:
    row = db.execute("SELECT id FROM tags WHERE key = ?", [tag_key(name)]).fetchone()
    if row is None:
        raise UsageError(f'no tag named "{name.strip()}"; see `wistia-sync tag list`')
    return int(row[0])


def _folder_ids_or_error(db: Database, folder: str) -> list[str]:
    """Folders named by hashed id, else by name (casefolded; several folders may share a name)."""
    folder = folder.strip()
    folders = db.execute("SELECT hashed_id, name FROM folders ORDER BY name").fetchall()
    if any(hashed_id == folder for hashed_id, _ in folders):
        return [folder]
    matches = [hashed_id for hashed_id, name in folders if name.casefold() == folder.casefold()]
    if not matches:
        known = [name for _, name in folders]
        raise UsageError(
            f'no folder "{folder}" (by name or hashed id); folders: {quoted_list(known, limit=10)}'
            if known
            else f'no folder "{folder}": the database has no folders yet'
        )
    return matches


def _register_casefold(db: Database) -> None:
    db.conn.create_function(_CASEFOLD_FUNCTION, 1, _casefold, deterministic=True)


def _casefold(text: str | None) -> str | None:
    return None if text is None else str(text).casefold()


# -- one video in full -----------------------------------------------------------------------------


class VideoTag(NamedTuple):
    """A tag on one video, and where the link comes from."""

    name: str
    slug: str
    source: TagSource

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "slug": self.slug, "source": self.source}


class VideoDetails(NamedTuple):
    """Everything ``videos show`` prints about one video, including why it is not published."""

    summary: VideoSummary
    description: str
    duration: float | None
    updated: str
    thumbnail_url: str | None
    first_seen: str
    last_seen: str
    deleted_at: str | None
    tags: Sequence[VideoTag] = ()

    @property
    def embed_url(self) -> str:
        return EMBED_URL.format(hashed_id=self.summary.hashed_id)

    def unpublished_because(self) -> list[str]:
        """Why the video is missing from the published files (empty when it is published)."""
        summary = self.summary
        texts = {
            "deleted": "deleted in Wistia",
            "not_video": f"a {summary.type}, not a Video",
            "not_ready": f"status {summary.status}",
            "archived": "archived",
            "protected": "password-protected in Wistia",
            "hidden": "hidden by an editor",
        }
        return [texts[name] for name in summary.excluded]

    def as_json(self) -> dict[str, Any]:
        data = self.summary.as_json()
        data["tags"] = [tag.as_json() for tag in self.tags]
        data.update(
            description=self.description,
            duration=self.duration,
            updated=self.updated,
            thumbnail_url=self.thumbnail_url,
            embed_url=self.embed_url,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            deleted_at=self.deleted_at,
            unpublished_because=self.unpublished_because(),
        )
        return data


def show_video(db: Database, reference: str) -> VideoDetails:
    """One video (a deleted one too: ``show`` should explain, not refuse), with its tag sources."""
    (hashed_id,) = resolve_videos(db, [reference], include_deleted=True)
    row = db.execute(
        f"SELECT {_SUMMARY_COLUMNS}, "
        "v.description, v.duration, v.updated, v.thumbnail_url, v.first_seen, v.last_seen, "
        "v.deleted_at FROM videos v LEFT JOIN folders f ON f.hashed_id = v.folder_hashed_id "
        "WHERE v.hashed_id = ?",
        [hashed_id],
    ).fetchone()
    tags = tags_of_video(db, hashed_id)
    summary = _summary(row, tuple(tag.name for tag in tags))
    return VideoDetails(
        summary=summary,
        description=row[_SUMMARY_WIDTH],
        duration=row[_SUMMARY_WIDTH + 1],
        updated=row[_SUMMARY_WIDTH + 2],
        thumbnail_url=row[_SUMMARY_WIDTH + 3],
        first_seen=row[_SUMMARY_WIDTH + 4],
        last_seen=row[_SUMMARY_WIDTH + 5],
        deleted_at=row[_SUMMARY_WIDTH + 6],
        tags=tags,
    )


def tags_of_video(db: Database, hashed_id: str) -> list[VideoTag]:
    """A video's tags, sorted by identity, each saying whether Wistia, an editor or both set it."""
    rows = db.execute(
        "SELECT t.key, t.name, t.slug, group_concat(DISTINCT vt.source) FROM video_tags vt "
        "JOIN tags t ON t.id = vt.tag_id WHERE vt.hashed_id = ? "
        "GROUP BY t.id ORDER BY t.key, t.name",
        [hashed_id],
    ).fetchall()
    return [
        VideoTag(name=name, slug=slug, source=combine_sources(sources))
        for _, name, slug, sources in rows
    ]
