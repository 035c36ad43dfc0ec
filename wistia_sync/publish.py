"""Publish the database as static JSON files (issue 3): the files are the cache the CDN serves.

So they must be right, complete and safe to serve at any instant:

- One lock serialises publishers, and the database is read only once it is held, inside one read
  transaction, so a slow publisher never overwrites newer files with an older snapshot.
- Everything is built in memory from a few queries (no query per video) and serialised
  deterministically: the same database gives the same bytes.
- Only files whose bytes changed, or that are missing or were touched by hand (size or mtime
  differ from the record of the last publish), are written, each atomically: a dot-named temp
  file in the same folder, fsync, ``os.replace``. Unchanged files keep their mtime and ETag.
- Files are written in an order where every link a reader follows leads to an existing file:
  later playlist pages, first pages, video files, the indexes, ``manifest.json``, and only then
  the removal of files that no longer belong.

The pydantic contract (``wistia_sync.contract``) is imported only when a publish builds files, so
commands that merely reuse ``PUBLISHED_VIDEO_CONDITION`` do not pay for importing pydantic.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import math
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync.db import (
    format_timestamp,
    get_state,
    parse_timestamp,
    set_state,
    utc_now,
    write_transaction,
)
from wistia_sync.errors import UsageError
from wistia_sync.lock import hold_lock

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlite_utils import Database

    from wistia_sync.contract import FolderRef, Manifest, PlaylistKind, Video

log = logging.getLogger(__name__)

PUBLISHED_VIDEO_CONDITION = (
    "v.type = 'Video' AND v.status = 'ready' AND v.archived = 0 "
    "AND v.deleted_at IS NULL AND v.visibility = 'public'"
)
"""SQL ``WHERE`` fragment over ``videos`` aliased ``v``: the one definition of a published video."""

DEFAULT_PAGE_SIZE = 100
ALL_VIDEOS_TITLE = "All videos"
EMBED_URL = "https://fast.wistia.net/embed/iframe/{hashed_id}"
HLS_URL = "https://fast.wistia.com/embed/medias/{hashed_id}.m3u8"

ALL_VIDEOS_PATH = "videos.json"
TAGS_INDEX_PATH = "tags.json"
FOLDERS_INDEX_PATH = "folders.json"
MANIFEST_PATH = "manifest.json"
SCHEMA_FOLDER = "schema"
MANAGED_FOLDERS = ("tags", "folders", "videos", SCHEMA_FOLDER)

FILE_MODE = 0o644  # world-readable: whatever serves the folder runs as another user
DIRECTORY_MODE = 0o755
# sync_state key holding the manifest's updated_at, recorded with the files of the same publish.
UPDATED_AT_STATE_KEY = "publish_updated_at"

# File names come from a remote API (hashed ids) or from editors (slugs): anything else is skipped.
# The length caps keep every name far below the 255-byte limit of file systems.
SAFE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
SAFE_HASHED_ID = re.compile(r"[A-Za-z0-9]{1,100}")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

# Every path this publisher may create; a file elsewhere in the output folder is never touched.
_PAGE_SUFFIX = r"(?:\.[1-9][0-9]*)?\.json"
MANAGED_PATH = re.compile(
    rf"videos{_PAGE_SUFFIX}|tags\.json|folders\.json|manifest\.json"
    rf"|tags/[a-z0-9][a-z0-9-]*{_PAGE_SUFFIX}"
    rf"|folders/[A-Za-z0-9]+{_PAGE_SUFFIX}"
    r"|videos/[A-Za-z0-9]+\.json"
    r"|schema/[a-z0-9][a-z0-9-]*\.schema\.json"
)
# What a recorded path must look like before a publish dares remove it: one name in the root or
# in a managed folder. Wider than MANAGED_PATH so files of an older layout are still cleaned up.
RECORDED_PATH = re.compile(r"(?:(?:tags|folders|videos|schema)/)?[A-Za-z0-9][A-Za-z0-9.-]*\.json")
# ".<target name>.<16 hex digits>.tmp": what _OutputFolder.write leaves if interrupted.
TEMP_FILE = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9.-]*\.json\.[0-9a-f]{16}\.tmp")

_VIDEOS_QUERY = f"""
    SELECT v.hashed_id, v.name, v.description, v.duration, v.created, v.updated,
           v.thumbnail_url, v.plays, f.hashed_id, f.name
    FROM videos v LEFT JOIN folders f ON f.hashed_id = v.folder_hashed_id
    WHERE {PUBLISHED_VIDEO_CONDITION}
"""
# DISTINCT: a tag linked by both Wistia and an editor counts once.
_TAG_LINKS_QUERY = f"""
    SELECT DISTINCT vt.hashed_id, t.id, t.name, t.slug
    FROM video_tags vt
    JOIN tags t ON t.id = vt.tag_id
    JOIN videos v ON v.hashed_id = vt.hashed_id
    WHERE {PUBLISHED_VIDEO_CONDITION}
"""
_RECORDS_QUERY = "SELECT path, sha256, bytes, mtime_ns FROM published_files"


@dataclass(frozen=True)
class PublishResult:
    """What a publish did (or, in a dry run, would do)."""

    written: list[str]  # output-relative paths, in write order
    removed: list[str]
    unchanged: int
    dry_run: bool

    def summary(self) -> str:
        """One line for people: ``published 4 files, removed 1, 1,203 unchanged``."""
        files = f"{len(self.written):,} file{'' if len(self.written) == 1 else 's'}"
        if self.dry_run:
            return (
                f"would publish {files}, remove {len(self.removed):,}, {self.unchanged:,} unchanged"
            )
        return f"published {files}, removed {len(self.removed):,}, {self.unchanged:,} unchanged"

    @property
    def changed(self) -> bool:
        """Whether any file was (or would be) written or removed: a CDN purge is due."""
        return bool(self.written or self.removed)


def publish_playlists(
    db: Database,
    output_dir: Path,
    *,
    lock_path: Path,
    page_size: int = DEFAULT_PAGE_SIZE,
    force: bool = False,
    dry_run: bool = False,
) -> PublishResult:
    """Bring ``output_dir`` up to date with the published videos of ``db``.

    ``force`` rewrites every file (the bytes stay the same); ``dry_run`` reports what would be
    written and removed without touching the output folder or the database.
    """
    if page_size < 1:
        raise UsageError(f"page size must be at least 1, not {page_size}")
    folder = _OutputFolder(Path(output_dir))
    with hold_lock(lock_path, wait=True):
        snapshot = _read_snapshot(db)
        site = _build_site(snapshot, page_size)
        plan = _plan_publish(site, snapshot, folder, force=force)
        if not dry_run:
            _carry_out(plan, folder, db)
    return PublishResult(
        written=[file.path for file in plan.to_write],
        removed=plan.to_remove,
        unchanged=plan.unchanged,
        dry_run=dry_run,
    )


def output_is_stale(db: Database, output_dir: Path) -> bool:
    """Whether the output folder needs a publish even though the database did not change.

    True when nothing was published yet, or a recorded file is missing or its size or mtime
    differs from the record (deleted or edited by hand). Only ``stat`` calls: no file is read.
    """
    records = _read_records(db)
    if not records:
        return True
    folder = _OutputFolder(Path(output_dir))
    return not all(folder.matches_record(path, record) for path, record in records.items())


# --- reading the database ------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """What the last publish recorded about one file it wrote."""

    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class _VideoRow:
    hashed_id: str
    name: str
    description: str
    duration: float | None
    created: str
    updated: str
    thumbnail_url: str | None
    plays: int | None
    folder_hashed_id: str | None
    folder_name: str | None


@dataclass(frozen=True)
class _TagLink:
    hashed_id: str
    tag_id: int
    name: str
    slug: str


@dataclass(frozen=True)
class _Snapshot:
    """One consistent state of the database: published videos, their tags, the last publish."""

    videos: list[_VideoRow]
    tag_links: list[_TagLink]
    records: dict[str, _Record]
    previous_updated_at: str | None


def _read_snapshot(db: Database) -> _Snapshot:
    with _read_transaction(db):
        return _Snapshot(
            videos=[_VideoRow(*row) for row in db.execute(_VIDEOS_QUERY).fetchall()],
            tag_links=[_TagLink(*row) for row in db.execute(_TAG_LINKS_QUERY).fetchall()],
            records=_read_records(db),
            previous_updated_at=get_state(db, UPDATED_AT_STATE_KEY),
        )


def _read_records(db: Database) -> dict[str, _Record]:
    return {
        path: _Record(sha256, size, mtime_ns)
        for path, sha256, size, mtime_ns in db.execute(_RECORDS_QUERY).fetchall()
    }


@contextmanager
def _read_transaction(db: Database) -> Iterator[None]:
    """Every query inside sees the same snapshot (WAL keeps it while writers go on)."""
    if db.conn.in_transaction:  # the caller's transaction already gives one snapshot
        yield
        return
    db.execute("BEGIN")
    try:
        yield
    finally:
        if db.conn.in_transaction:
            db.execute("COMMIT")


# --- building the files in memory ----------------------------------------------------------


class _Stage(enum.IntEnum):
    """Write order: a file is written only after every file it links to."""

    SCHEMAS = 0
    LATER_PAGES = 1
    FIRST_PAGES = 2
    VIDEO_FILES = 3
    INDEXES = 4
    MANIFEST = 5


@dataclass(frozen=True)
class _OutputFile:
    path: str
    content: bytes
    stage: _Stage
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())


@dataclass(frozen=True)
class _Catalog:
    """The published videos (newest first) grouped as the playlists need them."""

    videos: list[Video]
    by_tag: dict[str, list[Video]]  # slug -> videos
    tag_names: dict[str, str]  # slug -> display name
    by_folder: dict[str, list[Video]]  # folder hashed_id -> videos
    folder_names: dict[str, str]


@dataclass(frozen=True)
class _Site:
    """Every file but the manifest (in write order), and what the manifest counts."""

    files: list[_OutputFile]
    videos: int
    tags: int
    folders: int


def _build_site(snapshot: _Snapshot, page_size: int) -> _Site:
    catalog = _build_catalog(snapshot)
    files = [*_schema_files(), *_playlist_files(catalog, page_size)]
    files += [_video_file(video) for video in catalog.videos]
    files += [_tags_index_file(catalog), _folders_index_file(catalog)]
    return _Site(
        files=sorted(files, key=lambda file: (file.stage, file.path)),
        videos=len(catalog.videos),
        tags=len(catalog.by_tag),
        folders=len(catalog.by_folder),
    )


def _build_catalog(snapshot: _Snapshot) -> _Catalog:
    slugs_by_video, tag_names = _safe_tags(snapshot.tag_links)
    videos = [
        _video_model(row, [tag_names[slug] for slug in slugs_by_video.get(row.hashed_id, [])])
        for row in _publishable_rows(snapshot.videos)
    ]
    by_tag: dict[str, list[Video]] = {}
    by_folder: dict[str, list[Video]] = {}
    folder_names: dict[str, str] = {}
    for video in videos:  # in playlist order, so every group keeps it
        for slug in slugs_by_video.get(video.hashed_id, []):
            by_tag.setdefault(slug, []).append(video)
        if video.folder is not None:
            by_folder.setdefault(video.folder.hashed_id, []).append(video)
            folder_names[video.folder.hashed_id] = video.folder.name
    used_tag_names = {slug: tag_names[slug] for slug in by_tag}
    return _Catalog(videos, by_tag, used_tag_names, by_folder, folder_names)


def _video_model(row: _VideoRow, tag_names: list[str]) -> Video:
    from wistia_sync.contract import Video

    return Video(
        hashed_id=row.hashed_id,
        name=row.name,
        description=row.description,
        duration=_finite_or_none(row.duration),
        created=row.created,
        updated=row.updated,
        thumbnail_url=row.thumbnail_url,
        embed_url=EMBED_URL.format(hashed_id=row.hashed_id),
        hls_url=HLS_URL.format(hashed_id=row.hashed_id),
        folder=_folder_ref(row),
        tags=sorted(tag_names, key=_case_insensitive),
        plays=None if row.plays is None or row.plays < 0 else row.plays,
    )


def _publishable_rows(rows: Iterable[_VideoRow]) -> list[_VideoRow]:
    """Rows that can be published safely, newest ``created`` first, then by ``hashed_id``."""
    usable: list[_VideoRow] = []
    for row in rows:
        if not SAFE_HASHED_ID.fullmatch(row.hashed_id):
            log.warning(
                "not publishing video %r: its hashed_id is not a safe file name", row.hashed_id
            )
            continue
        created, updated = _utc_text(row.created), _utc_text(row.updated)
        if created is None or updated is None:
            log.warning("not publishing video %s: unreadable created/updated time", row.hashed_id)
            continue
        usable.append(_replace_times(row, created, updated))
    usable.sort(key=lambda row: row.hashed_id)
    usable.sort(key=lambda row: row.created, reverse=True)  # stable: ties stay by hashed_id
    return usable


def _replace_times(row: _VideoRow, created: str, updated: str) -> _VideoRow:
    if row.created == created and row.updated == updated:
        return row
    return replace(row, created=created, updated=updated)


def _utc_text(value: str) -> str | None:
    """The stored timestamp as ``YYYY-MM-DDTHH:MM:SSZ``, normalising any other ISO 8601 form."""
    if TIMESTAMP.fullmatch(value):
        return value
    try:
        return format_timestamp(parse_timestamp(value))
    except ValueError:
        return None


def _finite_or_none(duration: float | None) -> float | None:
    """JSON has no NaN or infinity, and a negative length means unknown."""
    if duration is None or not math.isfinite(duration) or duration < 0:
        return None
    return float(duration)


def _safe_tags(links: Iterable[_TagLink]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Tag slugs per video and the display name per slug, for tags whose slug is a safe name.

    A tag whose stored slug is not a safe file name is left out everywhere (also from videos'
    ``tags``), so every tag name a frontend sees has its playlist.
    """
    slugs_by_video: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    refused: set[str] = set()
    for link in links:
        if not SAFE_SLUG.fullmatch(link.slug):
            if link.slug not in refused:
                log.warning("not publishing tag %r: its slug %r is unsafe", link.name, link.slug)
                refused.add(link.slug)
            continue
        names[link.slug] = link.name
        slugs_by_video.setdefault(link.hashed_id, []).append(link.slug)
    return slugs_by_video, names


def _folder_ref(row: _VideoRow) -> FolderRef | None:
    """The video's folder, or None when it has none or its hashed_id is not a safe file name."""
    from wistia_sync.contract import FolderRef

    if row.folder_hashed_id is None or row.folder_name is None:
        return None
    if not SAFE_HASHED_ID.fullmatch(row.folder_hashed_id):
        log.warning("not publishing folder %r: its hashed_id is unsafe", row.folder_hashed_id)
        return None
    return FolderRef(hashed_id=row.folder_hashed_id, name=row.folder_name)


def _case_insensitive(name: str) -> tuple[str, str]:
    """Sort key: case-insensitive (Unicode casefold), ties broken by exact spelling."""
    return name.casefold(), name


def _playlist_files(catalog: _Catalog, page_size: int) -> Iterator[_OutputFile]:
    yield from _playlist_pages("all", None, ALL_VIDEOS_TITLE, catalog.videos, page_size)
    for slug, videos in catalog.by_tag.items():
        yield from _playlist_pages("tag", slug, catalog.tag_names[slug], videos, page_size)
    for hashed_id, videos in catalog.by_folder.items():
        title = catalog.folder_names[hashed_id]
        yield from _playlist_pages("folder", hashed_id, title, videos, page_size)


def _playlist_pages(
    kind: PlaylistKind, key: str | None, title: str, videos: Sequence[Video], page_size: int
) -> Iterator[_OutputFile]:
    """Every page of one playlist; an empty playlist still has its page 1."""
    from wistia_sync.contract import SCHEMA_VERSION, Playlist

    pages = max(1, math.ceil(len(videos) / page_size))
    paths = [_page_path(_playlist_path(kind, key), number) for number in range(1, pages + 1)]
    for index, path in enumerate(paths):
        playlist = Playlist(
            schema_version=SCHEMA_VERSION,
            kind=kind,
            key=key,
            title=title,
            count=len(videos),
            page=index + 1,
            pages=pages,
            next=paths[index + 1] if index + 1 < pages else None,
            prev=paths[index - 1] if index > 0 else None,
            videos=list(videos[index * page_size : (index + 1) * page_size]),
        )
        stage = _Stage.FIRST_PAGES if index == 0 else _Stage.LATER_PAGES
        yield _OutputFile(path, _encode(playlist), stage)


def _playlist_path(kind: PlaylistKind, key: str | None) -> str:
    if kind == "tag":
        return f"tags/{key}.json"
    if kind == "folder":
        return f"folders/{key}.json"
    return ALL_VIDEOS_PATH


def _page_path(canonical: str, page: int) -> str:
    """Page 1 at the canonical path, page N at the same path with ``.N.json`` for ``.json``."""
    if page == 1:
        return canonical
    return f"{canonical.removesuffix('.json')}.{page}.json"


def _video_file(video: Video) -> _OutputFile:
    from wistia_sync.contract import SCHEMA_VERSION, VideoFile

    content = _encode(VideoFile(schema_version=SCHEMA_VERSION, video=video))
    return _OutputFile(f"videos/{video.hashed_id}.json", content, _Stage.VIDEO_FILES)


def _tags_index_file(catalog: _Catalog) -> _OutputFile:
    from wistia_sync.contract import SCHEMA_VERSION, TagEntry, TagsIndex

    entries = [
        TagEntry(name=name, slug=slug, count=len(catalog.by_tag[slug]), url=f"tags/{slug}.json")
        for slug, name in catalog.tag_names.items()
    ]
    entries.sort(key=lambda entry: (*_case_insensitive(entry.name), entry.slug))
    index = TagsIndex(schema_version=SCHEMA_VERSION, tags=entries)
    return _OutputFile(TAGS_INDEX_PATH, _encode(index), _Stage.INDEXES)


def _folders_index_file(catalog: _Catalog) -> _OutputFile:
    from wistia_sync.contract import SCHEMA_VERSION, FolderEntry, FoldersIndex

    entries = [
        FolderEntry(
            hashed_id=hashed_id,
            name=catalog.folder_names[hashed_id],
            count=len(videos),
            url=f"folders/{hashed_id}.json",
        )
        for hashed_id, videos in catalog.by_folder.items()
    ]
    entries.sort(key=lambda entry: (*_case_insensitive(entry.name), entry.hashed_id))
    index = FoldersIndex(schema_version=SCHEMA_VERSION, folders=entries)
    return _OutputFile(FOLDERS_INDEX_PATH, _encode(index), _Stage.INDEXES)


def _schema_files() -> list[_OutputFile]:
    from wistia_sync.contract import render_schema_files

    return [
        _OutputFile(f"{SCHEMA_FOLDER}/{name}", content, _Stage.SCHEMAS)
        for name, content in render_schema_files().items()
    ]


def _manifest_file(site: _Site, updated_at: str) -> _OutputFile:
    from wistia_sync.contract import SCHEMA_VERSION, Manifest, ManifestCounts, ManifestEntry

    manifest: Manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        updated_at=updated_at,
        counts=ManifestCounts(videos=site.videos, tags=site.tags, folders=site.folders),
        files={
            file.path: ManifestEntry(sha256=file.sha256, bytes=len(file.content))
            for file in sorted(site.files, key=lambda file: file.path)
        },
    )
    return _OutputFile(MANIFEST_PATH, _encode(manifest), _Stage.MANIFEST)


def _encode(model: BaseModel) -> bytes:
    """The bytes of a data file: compact JSON in the models' field order, UTF-8, final newline.

    Compact because the CDN serves these to browsers; deterministic because every mapping is
    built in a fixed order and floats print the same way on every run.
    """
    data: Any = model.model_dump(mode="json")
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode("utf-8")


# --- deciding what to write and remove -----------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    to_write: list[_OutputFile]  # in write order, the manifest last
    to_remove: list[str]  # managed files on disk that no longer belong
    forgotten: list[str]  # records of files no longer published (removed or already gone)
    unchanged: int
    updated_at: str
    previous_updated_at: str | None


def _plan_publish(site: _Site, snapshot: _Snapshot, folder: _OutputFolder, *, force: bool) -> _Plan:
    records = snapshot.records
    updated_at = snapshot.previous_updated_at
    if updated_at is None or _content_changed(site.files, records):
        updated_at = utc_now()
    every_file = [*site.files, _manifest_file(site, updated_at)]
    to_write = [
        file
        for file in every_file
        if force or not _is_current(file, records.get(file.path), folder)
    ]
    wanted = {file.path for file in every_file}
    return _Plan(
        to_write=to_write,
        to_remove=_stale_files(wanted, records, folder),
        forgotten=sorted(set(records) - wanted),
        unchanged=len(every_file) - len(to_write),
        updated_at=updated_at,
        previous_updated_at=snapshot.previous_updated_at,
    )


def _stale_files(wanted: set[str], records: dict[str, _Record], folder: _OutputFolder) -> list[str]:
    """Files to remove: ours (recorded by a publish, or in the managed layout) and not wanted.

    Never ``.gitignore``, ``index.html`` or any other file someone else put in the folder.
    """
    recorded = {path for path in records if RECORDED_PATH.fullmatch(path)}
    candidates = (recorded | folder.managed_files()) - wanted
    return sorted(path for path in candidates if folder.holds(path))


def _content_changed(files: Sequence[_OutputFile], records: dict[str, _Record]) -> bool:
    """Whether any file's bytes differ from the last publish, or a file appeared or went away.

    A repair (rewriting a file deleted by hand with the same bytes) is not a content change, so
    the manifest's ``updated_at`` keeps its value.
    """
    wanted = {file.path: file.sha256 for file in files}
    recorded = {path: record.sha256 for path, record in records.items() if path != MANIFEST_PATH}
    return wanted != recorded


def _is_current(file: _OutputFile, record: _Record | None, folder: _OutputFolder) -> bool:
    return (
        record is not None
        and record.sha256 == file.sha256
        and folder.matches_record(file.path, record)
    )


# --- writing -------------------------------------------------------------------------------


def _carry_out(plan: _Plan, folder: _OutputFolder, db: Database) -> None:
    folder.prepare()
    written: dict[str, tuple[_OutputFile, os.stat_result]] = {}
    for stage in _Stage:
        for file in plan.to_write:
            if file.stage is stage:
                written[file.path] = (file, folder.write(file.path, file.content))
        folder.sync()  # this stage is durable before the files that link to it
    for path in plan.to_remove:
        folder.remove(path)
    folder.sync()
    if written or plan.forgotten or plan.updated_at != plan.previous_updated_at:
        _record_publish(db, written.values(), plan.forgotten, plan.updated_at)


def _record_publish(
    db: Database,
    written: Iterable[tuple[_OutputFile, os.stat_result]],
    forgotten: Iterable[str],
    updated_at: str,
) -> None:
    """Remember what is on disk now, so the next publish can skip it after a cheap ``stat``."""
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO published_files (path, sha256, bytes, mtime_ns) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes, "
            "mtime_ns = excluded.mtime_ns",
            [(file.path, file.sha256, info.st_size, info.st_mtime_ns) for file, info in written],
        )
        db.conn.executemany(
            "DELETE FROM published_files WHERE path = ?", [(path,) for path in forgotten]
        )
        set_state(db, UPDATED_AT_STATE_KEY, updated_at)


class _OutputFolder:
    """The output folder: atomic writes, the managed layout, and nothing else is ever touched."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._unsynced: set[Path] = set()

    def prepare(self) -> None:
        """Create the folder if needed and remove temp files an interrupted publish left."""
        self._ensure_directory(self.root)
        for directory in [self.root, *(self.root / name for name in MANAGED_FOLDERS)]:
            for entry in _scan(directory):
                if TEMP_FILE.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
                    log.info("removing %s, left by an interrupted publish", entry.path)
                    Path(entry.path).unlink(missing_ok=True)
                    self._unsynced.add(directory)

    def write(self, relative: str, content: bytes) -> os.stat_result:
        """Replace the file atomically: readers see the old bytes or the new, never a part."""
        target = self.root / relative
        self._ensure_directory(target.parent)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)  # the umask may have narrowed it
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self._unsynced.add(target.parent)
        return target.stat()

    def remove(self, relative: str) -> None:
        path = self.root / relative
        path.unlink(missing_ok=True)
        self._unsynced.add(path.parent)

    def sync(self) -> None:
        """fsync the folders whose entries changed, so renames survive a power cut in order."""
        for directory in sorted(self._unsynced):
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._unsynced.clear()

    def matches_record(self, relative: str, record: _Record) -> bool:
        """Whether the file is still the one the last publish wrote (a ``stat``, no read)."""
        try:
            info = (self.root / relative).lstat()
        except OSError:
            return False
        return (
            stat.S_ISREG(info.st_mode)
            and info.st_size == record.size
            and info.st_mtime_ns == record.mtime_ns
        )

    def managed_files(self) -> set[str]:
        """Files on disk whose path belongs to the managed layout (foreign files never do)."""
        found: set[str] = set()
        for prefix in ["", *(f"{name}/" for name in MANAGED_FOLDERS)]:
            for entry in _scan(self.root / prefix):
                relative = prefix + entry.name
                if MANAGED_PATH.fullmatch(relative) and not entry.is_dir(follow_symlinks=False):
                    found.add(relative)
        return found

    def holds(self, relative: str) -> bool:
        """Whether a file (or a dangling symlink) is at that path."""
        path = self.root / relative
        return path.is_symlink() or path.is_file()

    def _ensure_directory(self, directory: Path) -> None:
        if directory.is_dir():
            return
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(DIRECTORY_MODE)  # the umask may have narrowed it
        self._unsynced.add(directory.parent)


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    """The entries of a folder, or none when it does not exist (yet)."""
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
