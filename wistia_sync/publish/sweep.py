"""Sweeping what a crashed publisher left and no record names, and nothing else.

A v2 publish records every page, page-list chunk, caption and search file before renaming it
into place, so such a file no record names was left by a crash of an older publisher (or of one
between a rename and its commit). Only files the
publisher provably wrote are removed: names matching its own patterns (content-addressed pages,
file-list shards, search-index shards and caption files; the v1 publisher's dot-named temp
files), regular files (never a symlink), not named by any record, and untouched for the grace
period (a reader may still hold an entry file listing such a page; a publish in progress has
just written its files). A foreign file
(``pages/notes.json``, ``videos/custom.json``) never matches. A shard of the file list that
neither a record nor the files.json on disk names goes at once: no reader can reach it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import (
    CAPTION_PATH,
    CAPTIONS_FOLDER,
    FOLDERS_FOLDER,
    PAGE_LIST_FOLDER,
    PAGE_LIST_PATH,
    PAGE_PATH,
    PAGES_FOLDER,
    SCHEMA_FOLDER,
    SEARCH_FOLDER,
    SEARCH_SHARD_PATH,
    SHARD_FOLDER,
    SHARD_LIST_FOLDER,
    TAGS_FOLDER,
    VIDEOS_FOLDER,
    is_list_file,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.output import OutputFolder


# ".<target name>.<16 hex digits>.tmp": what the v1 publisher left next to a file if interrupted.
V1_TEMP_FILE = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9.-]*\.json\.[0-9a-f]{16}\.tmp")
# Where the v1 publisher wrote (the root and its managed folders): a later folder holds none of
# its temp files, so a rebuild does not scan the tens of thousands of pages, JSON-LD files and
# watch pages for them.
V1_FOLDERS = ("", TAGS_FOLDER, FOLDERS_FOLDER, VIDEOS_FOLDER, SCHEMA_FOLDER)


def sweep_orphans(
    db: Database, folder: OutputFolder, *, now: float, grace_seconds: int
) -> list[str]:
    """Remove the orphans described above; the paths removed (relative to the output)."""
    recorded = {
        path
        for (path,) in db.execute(
            "SELECT path FROM published_files WHERE path GLOB 'pages/*' OR path GLOB 'files/*' "
            "OR path GLOB 'page-lists/*' OR path GLOB 'shard-lists/*' OR path GLOB 'search/*' "
            "OR path GLOB 'captions/*'"
        )
    }
    cutoff = now - grace_seconds

    def orphan_page(path: str) -> bool:
        return (
            bool(
                PAGE_PATH.fullmatch(path)
                or PAGE_LIST_PATH.fullmatch(path)
                or is_list_file(path)
                or SEARCH_SHARD_PATH.fullmatch(path)
                or CAPTION_PATH.fullmatch(path)
            )
            and path not in recorded
        )

    def v1_temp_file(path: str) -> bool:
        return bool(V1_TEMP_FILE.fullmatch(path.rpartition("/")[2]))

    removed = []
    for name in (
        PAGES_FOLDER,
        PAGE_LIST_FOLDER,
        SHARD_FOLDER,
        SHARD_LIST_FOLDER,
        SEARCH_FOLDER,
        CAPTIONS_FOLDER,
    ):
        removed += _old_files(folder, name, cutoff, orphan_page)
    for name in V1_FOLDERS:
        # Dot-names only: not one of the many files a rebuild wrote.
        removed += _old_files(folder, name, cutoff, v1_temp_file, prefix=".")
    listed = _shards_listed_on_disk(folder)
    if listed is not None:  # unrecorded and unlisted: no reader can reach it, no grace needed
        removed += [
            path
            for path in unlisted_shards(folder, listed)
            if path not in recorded and path not in removed
        ]
    if removed:
        import logging  # imported on this rare path only: every edit would pay for it

    for path in removed:
        logging.getLogger(__name__).info(
            "removing %s: left by an interrupted publish, named by no record", path
        )
        folder.remove(path)
    if removed:
        folder.sync_folders()
    return sorted(removed)


def _shards_listed_on_disk(folder: OutputFolder) -> set[str] | None:
    """The shards and chunks the files.json in the folder lists (None: none to trust)."""
    from wistia_sync.contract.filelist import FileListError, read_local_index

    try:
        index, _ = read_local_index(folder.root)
    except FileListError:
        return None
    return {ref.path for ref in [*index.shards, *index.lists]}


def unlisted_shards(folder: OutputFolder, listed: Iterable[str]) -> list[str]:
    """Shard and chunk files on disk that ``listed`` (the files.json just placed) does not name.

    Only a publish interrupted between renaming its shards into place and its commit leaves
    one, and no index lists it, so no reader can reach it: it goes at once, not after a grace.
    """
    keep = set(listed)
    found = []
    for name in (SHARD_FOLDER, SHARD_LIST_FOLDER):
        directory = folder.root / name
        if directory.is_symlink() or not directory.is_dir():
            continue
        # Names first, as one set difference: at 100k the folder holds ~3,000 listed shards.
        names = os.listdir(directory)  # noqa: PTH208 (names only: no Path made per entry)
        unlisted = {f"{name}/{entry}" for entry in names} - keep
        for path in sorted(unlisted):
            mode = os.lstat(folder.root / path).st_mode
            if is_list_file(path) and stat.S_ISREG(mode):
                found.append(path)
    return found


def _old_files(
    folder: OutputFolder,
    name: str,
    cutoff: float,
    wanted: Callable[[str], bool],
    prefix: str = "",
) -> list[str]:
    """Regular files directly in ``name`` (a managed folder, or the root), named ``prefix``...,
    whose path is ``wanted``, untouched since ``cutoff`` (names are matched first: one
    ``stat`` per match)."""
    directory = folder.root / name if name else folder.root
    if directory.is_symlink() or not directory.is_dir():
        return []
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            path = f"{name}/{entry.name}" if name else entry.name
            if not wanted(path):
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                found.append(path)
    return found
