"""The slug lookup: ``slugs/<shard>.json`` maps each published video's slug to its hashed_id.

A frontend serving ``/videos/{slug}`` computes the slug's shard (``catalog.slugs.slug_shard``,
FNV-1a modulo 256: the README shows it in JavaScript), fetches that one file, and then the video's
own ``videos/<hashed_id>.json``. 256 fixed files rather than one a video: a full rebuild writes
256 small files, not one more file a video, and an edit rewrites at most one (a slug never
changes, so a rename leaves the lookup as it is; a hide or a newly published video rewrites its
shard). Only published videos are listed: a hidden video leaves its shard in the same publish.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.contract.layout import slug_lookup_path
from wistia_sync.publish.build import dumps, encode, renderable

if TYPE_CHECKING:
    from sqlite_utils import Database

_IDS = "(SELECT value FROM json_each(?))"


def slug_lookup_files(db: Database, changed: Iterable[str] | None) -> dict[str, bytes | None]:
    """``{path: bytes}`` of the lookup files the changed videos (all for None) fall in; None for
    a file that lists no published video any more (to remove, if it was written)."""
    parameters: list[str] = []
    shard_filter = ""
    if changed is not None:
        shards = [
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT shard FROM video_slugs WHERE hashed_id IN {_IDS}",
                [json.dumps(sorted(changed))],
            )
        ]
        if not shards:
            return {}
        shard_filter = f" AND s.shard IN {_IDS}"
        parameters.append(json.dumps(shards))
    listed: dict[int, list[tuple[str, str]]] = {}
    for shard, slug, hashed_id, created, updated in db.execute(
        "SELECT s.shard, s.slug, s.hashed_id, v.created, v.updated FROM video_slugs s "
        f"JOIN videos v ON v.hashed_id = s.hashed_id WHERE {PUBLISHED_VIDEO_CONDITION}"
        f"{shard_filter}",
        parameters,
    ):
        if renderable(hashed_id, created, updated):
            listed.setdefault(shard, []).append((slug, hashed_id))
    files: dict[str, bytes | None] = {}
    if changed is not None:
        files.update((slug_lookup_path(shard), None) for shard in shards)
    for shard, pairs in sorted(listed.items()):
        files[slug_lookup_path(shard)] = lookup_file(pairs)
    return files


def lookup_file(pairs: Iterable[tuple[str, str]]) -> bytes:
    return encode(f'{{"schema_version":2,"slugs":{dumps(dict(sorted(pairs)))}}}')
