"""``index.html`` as a managed file of the output: planned, written and removed with the JSON.

The page (see :mod:`wistia_sync.publish.preview`) holds no data: it reads the JSON at run time, so
its bytes change only with the package version, its template or the title setting. A publish
therefore renders it only in a full rebuild, or when the page on disk is not the recorded one
or not this version's (its generator tag carries a key of everything it depends on): editor
commands neither import jinja2 nor render anything. The planned page then goes the way of every
file: written only if its bytes differ, atomically, recorded and listed in ``files.json`` as an
entry file, and removed by the full rebuild that turning it off (``site --no-preview-page``)
asks for.

An ``index.html`` the publisher never wrote (no record, and no wistia-sync generator tag), say a
frontend's own page, is never overwritten or removed: the publish leaves it and warns.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import PREVIEW_PATH
from wistia_sync.publish import snapshot
from wistia_sync.publish.preview import (
    is_current_preview_page,
    is_preview_page,
    render_preview_page,
)
from wistia_sync.publish.settings import preview_page_enabled, preview_title

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.output import OutputFolder

_MAX_READ_BYTES = 1024 * 1024  # a larger index.html is not a page this package rendered


def preview_page_files(db: Database, folder: OutputFolder, *, full: bool) -> dict[str, bytes]:
    """``{"index.html": bytes}`` for the publish to plan, or nothing: the page is off, a foreign
    page holds its place, or (``full`` false) the recorded page on disk is already current."""
    if not preview_page_enabled(db):
        return {}
    title = preview_title(db)
    record = snapshot.file_records(db, [PREVIEW_PATH]).get(PREVIEW_PATH)
    exists, on_disk = _read(folder, PREVIEW_PATH)
    if record is None and exists and (on_disk is None or not is_preview_page(on_disk)):
        import logging  # imported on this rare path only: every edit would pay for it

        logging.getLogger(__name__).warning(
            "%s was not written by wistia-sync: left as it is, without the preview page "
            "(`wistia-sync site --no-preview-page` silences this)",
            folder.root / PREVIEW_PATH,
        )
        return {}
    current = (
        record is not None
        and on_disk is not None
        and folder.matches_record(PREVIEW_PATH, record.size, record.mtime_ns)
        and is_current_preview_page(on_disk, title)
    )
    if current and not full:
        return {}
    return {PREVIEW_PATH: render_preview_page(title)}


def _read(folder: OutputFolder, relative: str) -> tuple[bool, bytes | None]:
    """Whether anything is at the path, and its bytes if it is a regular file small enough to
    be a page this package rendered (a symlink is never followed)."""
    path = folder.root / relative
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False, None
    except OSError:
        return os.path.lexists(path), None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_READ_BYTES:
            return True, None
        return True, file.read(_MAX_READ_BYTES)
