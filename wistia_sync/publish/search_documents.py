"""What each published video gives the search index: its terms and its display record.

Read with the one definition of "published" (``catalog.rules``) and the same safety rules as
every published file (a video ``render_video`` would refuse is not indexed either). Tags whose
slug is not a safe file name are left out, as they are from the video objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.contract.layout import (
    SAFE_HASHED_ID,
    SAFE_SLUG,
    link,
    search_shard_path,
    video_file_path,
)
from wistia_sync.contract.search import folder_filter, tag_filter, video_terms
from wistia_sync.publish.build import dumps, published_text, utc_text

if TYPE_CHECKING:
    from sqlite_utils import Database

_IDS = "(SELECT value FROM json_each(?))"
# Any record block's path: every block is in the same folder, so a link from one is from all.
_A_BLOCK = search_shard_path("0" * 64)


class Document:
    """One video as the index holds it."""

    __slots__ = ("created", "hashed_id", "record", "terms")

    def __init__(self, hashed_id: str, created: str, terms: dict[str, int], record: str) -> None:
        self.hashed_id = hashed_id
        self.created = created
        self.terms = terms  # term -> mask of the fields it is found in
        self.record = record  # its display record, JSON without its number


def read_documents(db: Database, hashed_ids: Iterable[str] | None) -> Iterator[Document]:
    """The documents of these videos (every published video for None), by hashed_id; a video
    not published is absent."""
    where, links_where, parameters = PUBLISHED_VIDEO_CONDITION, "", []
    if hashed_ids is not None:
        where += f" AND v.hashed_id IN {_IDS}"
        links_where = f" WHERE vt.hashed_id IN {_IDS}"
        parameters.append(json.dumps(sorted(hashed_ids)))
    # Tags and transcripts are read in step with the videos (by hashed_id), never all held.
    links = db.execute(
        "SELECT vt.hashed_id, t.name, t.slug FROM video_tags vt JOIN tags t ON t.id = vt.tag_id"
        f"{links_where} ORDER BY vt.hashed_id",
        parameters,
    )
    link_row = next(links, None)
    transcripts = db.execute(
        f"SELECT hashed_id, transcript FROM video_captions{links_where.replace('vt.', '')} "
        "ORDER BY hashed_id, lang",
        parameters,
    )
    pending = next(transcripts, None)
    for row in db.execute(
        "SELECT v.hashed_id, v.name, v.description, v.duration, v.created, v.updated, "
        "v.thumbnail_url, v.plays, f.hashed_id, f.name FROM videos v LEFT JOIN folders f "
        f"ON f.hashed_id = v.folder_hashed_id WHERE {where} ORDER BY v.hashed_id",
        parameters,
    ):
        hashed_id = row[0]
        tags = set()
        while link_row is not None and link_row[0] <= hashed_id:
            found, name, slug = link_row
            safe = isinstance(slug, str) and SAFE_SLUG.fullmatch(slug) and isinstance(name, str)
            if found == hashed_id and safe:
                tags.add((published_text(name), slug))
            link_row = next(links, None)
        texts = []
        while pending is not None and pending[0] <= hashed_id:
            if pending[0] == hashed_id and isinstance(pending[1], str):
                texts.append(pending[1])
            pending = next(transcripts, None)
        document = _document(row, sorted(tags), texts)
        if document is not None:
            yield document


def _document(
    row: tuple[Any, ...], tags: list[tuple[str, str]], texts: list[str]
) -> Document | None:
    hashed_id, name, description, duration, created, updated, thumbnail, plays = row[:8]
    folder_id, folder_name = row[8:]
    if not (isinstance(hashed_id, str) and SAFE_HASHED_ID.fullmatch(hashed_id)):
        return None
    created_at = utc_text(created) if isinstance(created, str) else None
    if created_at is None or not isinstance(updated, str) or utc_text(updated) is None:
        return None
    name = published_text(name if isinstance(name, str) else "")
    if not (isinstance(folder_id, str) and SAFE_HASHED_ID.fullmatch(folder_id)):
        folder_id = folder_name = None
    folder = published_text(folder_name) if isinstance(folder_name, str) else None
    terms = video_terms(
        name=name,
        tags=[tag for tag, _ in tags],
        folder=folder,
        description=description if isinstance(description, str) else "",
        transcripts=texts,
    )
    for _, slug in tags:
        terms[tag_filter(slug)] = 0
    if folder_id is not None:
        terms[folder_filter(folder_id)] = 0
    if not (isinstance(duration, (int, float)) and duration >= 0 and duration < float("inf")):
        duration = None
    record = {
        "hashed_id": hashed_id,
        "name": name,
        "url": link(_A_BLOCK, video_file_path(hashed_id)),
        "thumbnail_url": published_text(thumbnail) if isinstance(thumbnail, str) else None,
        "duration": None if duration is None else float(duration),
        "created": created_at,
        "plays": plays if isinstance(plays, int) and plays >= 0 else None,
        "tags": [{"name": tag, "slug": slug} for tag, slug in tags],
        "folder": None if folder_id is None else {"hashed_id": folder_id, "name": folder},
    }
    return Document(hashed_id, created_at, terms, dumps(record))
