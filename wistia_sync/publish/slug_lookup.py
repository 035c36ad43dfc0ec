"""The slug lookup: ``slugs/<shard>.json`` maps each published video's slug to its hashed_id.

A frontend serving ``/videos/{slug}`` computes the slug's shard (``catalog.slugs.slug_shard``,
FNV-1a modulo 256: the README shows it in JavaScript), fetches that one file, and then the video's
own ``videos/<hashed_id>.json``. 256 fixed files rather than one a video: a full rebuild writes
256 small files, not one more file a video, and an edit rewrites at most one (a slug never
changes, so a rename leaves the lookup as it is; a hide or a newly published video rewrites its
shard). Only published videos are listed: a hidden video leaves its shard in the same publish.

An edit splices its videos into the file the last publish wrote (given by ``recorded``, checked
against its record): every other video of the shard is unchanged, so its entry is too, and the
edit costs its own videos rather than the shard's (catalog ÷ 256 rows joined and checked).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.contract.layout import slug_lookup_path
from wistia_sync.publish.build import dumps, encode, renderable

if TYPE_CHECKING:
    from sqlite_utils import Database

_IDS = "(SELECT value FROM json_each(?))"
_LISTED = (
    "SELECT s.shard, s.slug, s.hashed_id, v.created, v.updated FROM video_slugs s "
    f"JOIN videos v ON v.hashed_id = s.hashed_id WHERE {PUBLISHED_VIDEO_CONDITION}"
)

# The bytes of a lookup file exactly as the last publish wrote it (None: not known).
RecordedFile = Callable[[str], bytes | None]


def slug_lookup_files(
    db: Database, changed: Iterable[str] | None, recorded: RecordedFile | None = None
) -> dict[str, bytes | None]:
    """``{path: bytes}`` of the lookup files the changed videos (all for None) fall in; None for
    a file that lists no published video any more (to remove, if it was written)."""
    if changed is None:
        return _files(_listed(db, ""), [])
    changed = set(changed)  # read more than once below
    ids = json.dumps(sorted(changed))
    shards = [
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT shard FROM video_slugs WHERE hashed_id IN {_IDS}", [ids]
        )
    ]
    if not shards:
        return {}
    listed = _listed(db, f" AND s.hashed_id IN {_IDS}", ids)  # the changed videos' entries
    whole = []
    for shard in shards:
        kept = _recorded_pairs(recorded, shard, changed)
        if kept is None:
            whole.append(shard)
        else:
            listed[shard] = kept + listed.get(shard, [])
    if whole:
        for shard, pairs in _listed(db, f" AND s.shard IN {_IDS}", json.dumps(whole)).items():
            listed[shard] = pairs
    return _files(listed, shards)


def _listed(db: Database, condition: str, *parameters: str) -> dict[int, list[tuple[str, str]]]:
    """(slug, hashed_id) of the published videos the condition selects, by shard."""
    listed: dict[int, list[tuple[str, str]]] = {}
    for shard, slug, hashed_id, created, updated in db.execute(_LISTED + condition, parameters):
        if renderable(hashed_id, created, updated):
            listed.setdefault(shard, []).append((slug, hashed_id))
    return listed


def _recorded_pairs(
    recorded: RecordedFile | None, shard: int, changed: set[str]
) -> list[tuple[str, str]] | None:
    """The entries of the shard's recorded file but the changed videos' (None: no recorded file
    to start from: the shard is read whole)."""
    content = None if recorded is None else recorded(slug_lookup_path(shard))
    if content is None:
        return None
    try:
        slugs = json.loads(content)["slugs"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(slugs, dict) or not all(isinstance(v, str) for v in slugs.values()):
        return None
    return [(slug, hashed_id) for slug, hashed_id in slugs.items() if hashed_id not in changed]


def _files(listed: dict[int, list[tuple[str, str]]], shards: list[int]) -> dict[str, bytes | None]:
    files: dict[str, bytes | None] = {slug_lookup_path(shard): None for shard in shards}
    for shard, pairs in sorted(listed.items()):
        if pairs:
            files[slug_lookup_path(shard)] = lookup_file(pairs)
    return files


def lookup_file(pairs: Iterable[tuple[str, str]]) -> bytes:
    return encode(f'{{"schema_version":2,"slugs":{dumps(dict(sorted(pairs)))}}}')
