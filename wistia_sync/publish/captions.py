"""Captions and chapters as published: the video object's ``captions``/``chapters`` and the
WebVTT files behind ``captions[].url``.

A caption file is ``captions/<hashed_id>.<lang>.<hash>.vtt``, named by the digest of its cues
(``contract.vtt.cues_digest``): immutable and content-addressed like pages, because a video
object is copied into pages that readers may hold for a grace period (and cache for a year): a
reader holding one publish's page finds the captions that page names, never newer ones. A change
to a video's captions writes new files and retires the old ones like pages (kept for the
grace); when the video stops being published its caption files go at once, as its own
``videos/<id>.json`` does (each names the video in its path).

A ``url`` is relative to the site's root (the folder of ``manifest.json``), not to the file
holding the video object: the object is byte-identical in every file that shows it, at any depth.

Transcripts (``video_captions.transcript``) are kept in the database for search and SEO but not
published as files of their own: the WebVTT files already carry every word, and a second copy
would double what a caption edit writes and what a takedown must remove.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wistia_sync.contract.layout import CAPTION_PATH, caption_path, caption_prefix
from wistia_sync.contract.vtt import render_vtt
from wistia_sync.publish.build import dumps, published_text

if TYPE_CHECKING:
    from sqlite_utils import Database

EMPTY_EXTRAS = ',"captions":[],"chapters":[]'
_IDS = "(SELECT value FROM json_each(?))"


class VideoExtras:
    """What a video's object says about its captions and chapters, and the files it links."""

    __slots__ = ("files", "json")

    def __init__(self, json: str, files: tuple[str, ...]) -> None:
        # the video object's "captions" and "chapters" members, with a leading comma
        self.json = json
        self.files = files  # the caption files its captions link to


def video_extras(db: Database, hashed_ids: Iterable[str] | None) -> dict[str, VideoExtras]:
    """The captions and chapters of these videos (all for None) that have any."""
    where, parameters = "", []
    if hashed_ids is not None:
        where = f" WHERE hashed_id IN {_IDS}"
        parameters.append(json.dumps(sorted(hashed_ids)))
    captions: dict[str, list[tuple[str, str, str]]] = {}
    for hashed_id, lang, label, digest in db.execute(
        f"SELECT hashed_id, lang, label, digest FROM video_captions{where} "
        "ORDER BY hashed_id, lang",
        parameters,
    ):
        if _safe(hashed_id, lang, digest):  # the sync wrote only safe ones; another writer may not
            captions.setdefault(hashed_id, []).append((lang, label, digest))
    chapters: dict[str, list[list[Any]]] = {}
    chapter_where = where + (" AND" if where else " WHERE") + " chapters != '[]'"
    for hashed_id, stored in db.execute(
        f"SELECT hashed_id, chapters FROM caption_sync{chapter_where}", parameters
    ):
        chapters[hashed_id] = json.loads(stored)
    extras = {}
    for hashed_id in sorted(set(captions) | set(chapters)):
        entries = [
            {"lang": lang, "label": published_text(label), "url": caption_path(hashed_id, lang, d)}
            for lang, label, d in captions.get(hashed_id, [])
        ]
        marks = [
            {"title": published_text(str(title)), "start": float(start)}
            for title, start in chapters.get(hashed_id, [])
        ]
        text = f',"captions":{dumps(entries)},"chapters":{dumps(marks)}'
        extras[hashed_id] = VideoExtras(text, tuple(entry["url"] for entry in entries))
    return extras


def caption_files(db: Database, hashed_ids: Iterable[str]) -> dict[str, bytes]:
    """The WebVTT file of every caption of these videos, by path."""
    files = {}
    for hashed_id, lang, cues, digest in db.execute(
        f"SELECT hashed_id, lang, cues, digest FROM video_captions WHERE hashed_id IN {_IDS}",
        [json.dumps(sorted(set(hashed_ids)))],
    ):
        if _safe(hashed_id, lang, digest):
            files[caption_path(hashed_id, lang, digest)] = render_vtt(json.loads(cues))
    return files


def recorded_caption_files(db: Database, hashed_id: str) -> dict[str, str | None]:
    """The caption files of this video the publisher recorded, with when each expires."""
    prefix = caption_prefix(hashed_id)
    # A range on the primary key (a LIKE would scan): every path starting with the prefix.
    return dict(
        db.execute(
            "SELECT path, expires_at FROM published_files WHERE path >= ? AND path < ?",
            [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)],
        ).fetchall()
    )


def _safe(hashed_id: str, lang: str, digest: str) -> bool:
    """Whether these make a caption path the layout recognises (a file name, nothing else)."""
    parts = (hashed_id, lang, digest)
    return all(isinstance(p, str) for p in parts) and bool(
        CAPTION_PATH.fullmatch(caption_path(hashed_id, lang, digest))
    )
