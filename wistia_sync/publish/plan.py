"""Deciding what a publish writes, retires and removes, and the publisher state it leaves.

An incremental publish starts from the videos the pending changes name; a full rebuild from
every video. Both run the same code: the changed videos' old and new places in each playlist
mark buckets dirty, ``buckets.normalise`` reshapes the dirty ones, and only those are rendered.
Everything here reads the database inside the caller's read transaction. Each file is decided
as soon as it is rendered (a ``stat``, or reading the bytes on disk to compare) and, when it
must be written, handed to ``stage`` (a temp file, not yet in place): a rebuild holds each
file's path and hash, never the whole batch's bytes.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import TYPE_CHECKING

from wistia_sync.contract.layout import (
    ALL_VIDEOS_PATH,
    CAPTION_PATH,
    CAPTIONS_FOLDER,
    FILES_PATH,
    FOLDERS_INDEX_PATH,
    MANIFEST_PATH,
    PAGE_LIST_PATH,
    PAGE_PATH,
    RECORDED_PATH,
    SEARCH_INDEX_PATH,
    SEARCH_SHARD_PATH,
    TAGS_INDEX_PATH,
    VIDEOS_FOLDER,
    caption_prefix,
    is_list_file,
    playlist_identity,
    video_file_path,
)
from wistia_sync.publish import heap, pagelists, search_index, snapshot, staged_rows, window
from wistia_sync.publish.buckets import Bucket, Member, inline_head, normalise
from wistia_sync.publish.build import (
    PageRef,
    PlaylistSummary,
    RenderedVideo,
    folders_index_file,
    page_file,
    playlist_entry_file,
    sha256,
    tags_index_file,
    video_file,
)
from wistia_sync.publish.captions import caption_files, recorded_caption_files
from wistia_sync.publish.file_records import FileRecord, FileRecords
from wistia_sync.publish.output import FileStat, StagedFile
from wistia_sync.publish.record_cursor import RecordCursor
from wistia_sync.publish.seo_settings import seo_settings
from wistia_sync.publish.slug_lookup import slug_lookup_files
from wistia_sync.store.timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.publish.output import OutputFolder


_TEXTS_BATCH = 512  # video texts handed to SQLite at a time
_RELEASE_EVERY = 16_384  # videos whose texts were let go between two ``heap.release``


# What a rendered video is replaced by once its file is planned (its text then lives in
# ``staged_rows`` only): nothing reads it after, and its text no longer counts in the peak.
_LET_GO = RenderedVideo("", "", "", ())
_MEMBER = operator.attrgetter("member")


class Stage(enum.IntEnum):
    """Write order: a file is put in place only after every file it links to."""

    SCHEMAS = 0  # and caption files: linked to, linking to nothing
    PAGES = 1
    PAGE_LISTS = 2  # chunks of long playlists' page lists: they link to pages
    VIDEO_FILES = 3
    PLAYLISTS = 4
    INDEXES = 5
    SEARCH = 6  # the search index's entry: after the shards and lists it links to


class PlannedFile:
    """A file to write (or adopt). A rebuild holds one a file (344k at 300k videos) until the
    state is recorded: its digest is held raw (65 bytes, not a 113-byte hex string)."""

    __slots__ = ("digest", "mtime_ns", "path", "size", "stage", "temp")

    def __init__(
        self,
        path: str,
        stage: Stage,
        sha256: str,
        temp: str | None = None,
        size: int = 0,
        mtime_ns: int = 0,
    ) -> None:
        self.path = path
        self.stage = stage
        self.digest = bytes.fromhex(sha256)
        # Its temp file, flat (a rebuild holds one of these a file): none in a dry run, nor for an
        # adopted file.
        self.temp = temp
        self.size = size
        self.mtime_ns = mtime_ns

    @property
    def sha256(self) -> str:
        """The content's sha256, as recorded and listed (lowercase hex)."""
        return self.digest.hex()

    @property
    def staged(self) -> StagedFile | None:
        if self.temp is None:
            return None
        return StagedFile(self.temp, FileStat(self.size, self.mtime_ns))


Stager = Callable[[str, bytes], StagedFile]


class Settings:
    __slots__ = ("grace_seconds", "now", "page_size", "takedown_grace_seconds")

    def __init__(
        self, page_size: int, grace_seconds: int, takedown_grace_seconds: int, now: str
    ) -> None:
        self.page_size = page_size
        self.grace_seconds = grace_seconds
        self.takedown_grace_seconds = takedown_grace_seconds
        self.now = now


class Plan:
    """What to do, and the state to record once it is done."""

    def __init__(self, *, full: bool, last_change_id: int) -> None:
        self.full = full
        self.last_change_id = last_change_id
        self.to_write: list[PlannedFile] = []
        self.adopt: list[PlannedFile] = []  # already on disk, byte-identical
        self.to_remove: list[str] = []  # entry files, then expired pages
        self.retire: dict[str, str] = {}  # page -> expires_at
        self.revive: set[str] = set()  # listed again: no longer expiring
        self.unchanged = 0
        # publisher state
        self.members_replaced: set[str] | None = None  # hashed_ids replaced (None: all)
        # touched playlists (their rendered buckets are in ``staged_rows``)
        self.gone_buckets: dict[str, set[str]] = {}  # playlist -> start keys
        self.playlists: dict[str, tuple[str, int]] = {}  # path -> (title, count)
        self.dropped_playlists: set[str] = set()
        self.page_lists: dict[str, str | None] = {}  # path -> chunk state
        self.counts = (0, 0, 0)  # videos, tags, folders
        # for the mass-unpublish guard (``guard``)
        self.published: AbstractSet[str] = set()  # videos rendered (all when full)
        self.unpublished: set[str] = set()  # in videos.json before, not after
        self.held = 0  # videos videos.json held before, as recorded
        self.search: search_index.SearchPlan | None = None  # the search index's state
        self.state_values: dict[str, str] = {}  # sync_state rows recorded with the state

    def drop_recorded(self) -> None:
        """Let go of what only placing the files and recording the publisher state needed (a
        rebuild's entry a file), before the file list is built."""
        self.to_write = []
        self.adopt = []


class StateMismatch(Exception):
    """The publisher's recorded state disagrees with the database: rebuild everything."""


def plan_publish(
    db: Database,
    folder: OutputFolder,
    settings: Settings,
    *,
    full: bool,
    verify: bool,
    package_files: dict[str, bytes] | None,
    stage: Stager | None = None,
) -> Plan:
    """The plan; every file it writes is already staged by ``stage`` (None: a dry run).

    If planning fails, the files it staged are discarded. The members of the buckets it
    renders are kept in ``members``' temp table (made afresh here)."""
    staged_rows.reset(db)
    changes = snapshot.pending_changes(db, full=full)
    plan = Plan(full=full, last_change_id=changes.last_id)
    planner = _Planner(db, settings, plan, _Files(db, folder, plan, verify=verify, stage=stage))
    try:
        _plan(planner, changes.videos, package_files or {})
    except BaseException:
        discard_staged(folder, plan)
        raise
    finally:
        planner.files.close()
    return plan


def discard_staged(folder: OutputFolder, plan: Plan) -> None:
    """Remove the temp files of a plan that will not be carried out."""
    for file in plan.to_write:
        if file.staged is not None:
            folder.discard(file.staged)


def _plan(planner: _Planner, pending: set[str], package_files: dict[str, bytes]) -> None:
    full = planner.full
    planner.read_videos(pending)
    planner.plan_playlists()
    planner.plan_video_files()
    planner.plan_slug_lookup()
    planner.plan_seo_files()
    planner.plan_indexes()
    planner.plan_search()
    # The package's own files by output path (schemas, the preview page): they link to nothing.
    for path, content in package_files.items():
        planner.files.add(path, content, Stage.SCHEMAS)
    planner.files.finish()
    planner.read_page_records()
    planner.retire_unlisted_pages()
    if full:
        planner.retire_or_remove_unplanned_files()
    planner.take_down_pages()
    planner.remove_expired()


class _Files:
    """Each planned file, decided as it comes: unchanged, adopted, or staged to be written."""

    def __init__(
        self, db: Database, folder: OutputFolder, plan: Plan, *, verify: bool, stage: Stager | None
    ) -> None:
        self.db, self.folder, self.plan, self.verify, self.stage = db, folder, plan, verify, stage
        # A rebuild reads every record, those of the video files as it plans them (in path
        # order: ``RecordCursor``), the others at once; an incremental publish those of its few
        # files.
        self.videos = RecordCursor(db, VIDEOS_FOLDER) if plan.full else None
        self.records = (
            snapshot.file_records(db, None, leaving_out=(self.videos.low, self.videos.high))
            if self.videos is not None
            else FileRecords()
        )
        self.unrecorded: set[str] = set()  # looked up and not recorded (the plan reads no new)
        self.complete = plan.full
        self.wanted: set[str] = set()
        # What is on disk, for a rebuild: a file not there needs no look (None: look at each).
        self.present = folder.names() if plan.full else None
        self.numbers: dict[int, int] = {}

    def record(self, path: str) -> FileRecord | None:
        if self.videos is not None and self.videos.holds(path):
            return self.videos.get(path)
        if not self.complete and path not in self.records and path not in self.unrecorded:
            found = snapshot.file_records(self.db, [path])
            self.records.update(found)
            if path not in found:  # a new file: asked again when it is added, read once
                self.unrecorded.add(path)
        return self.records.get(path)

    def stale(self, path: str) -> bool:
        """The file on disk is not the recorded one (or none is recorded): a fixed-name entry
        file is then planned even if nothing in it changed. A publish killed between renaming
        its files into place and recording them leaves such a file (linking files its records
        do not name), and only a planned file is put back."""
        record = self.record(path)
        return record is None or not self.folder.matches_record(path, record.size, record.mtime_ns)

    def add(self, path: str, content: bytes, stage: Stage, digest: str | None = None) -> None:
        """Which files need writing: bytes differ, or the file on disk is not the recorded one
        (``digest``: the content's sha256, when the caller hashed it already)."""
        plan, folder = self.plan, self.folder
        self.wanted.add(path)
        if not self.verify:  # a ``--force`` looks a record up only for a file on disk
            record = self.record(path)
            digest = digest or sha256(content)
            if (
                record is not None
                and record.sha256 == digest
                and folder.matches_record(path, record.size, record.mtime_ns)
            ):
                plan.unchanged += 1
                return
        held = (
            folder.holding(path, content) if self.present is None or path in self.present else None
        )
        if held is not None:
            record = self.record(path)
            plan.unchanged += 1
            # It holds these bytes and is the file recorded (a write since would have moved its
            # mtime): unless the recorded sha256 is not theirs, nothing to do. A ``--force``
            # (``digest`` None) need not hash every file it reads back to know that, as a
            # publish reads none back whose record it trusts.
            if (
                record is not None
                and (record.size, record.mtime_ns) == held
                and (digest is None or record.sha256 == digest)
            ):
                return
            plan.adopt.append(PlannedFile(path, stage, digest or sha256(content)))  # re-record
            return
        if digest is None:
            digest = sha256(content)
        if self.stage is None:
            plan.to_write.append(PlannedFile(path, stage, digest))
        else:
            temp, (size, mtime_ns) = self.stage(path, content)
            share = self.numbers.setdefault  # one int a size, however many files have it
            plan.to_write.append(
                PlannedFile(path, stage, digest, temp, share(size, size), mtime_ns)
            )

    def finish(self) -> None:
        self.plan.to_write.sort(key=operator.attrgetter("stage", "path"))

    def close(self) -> None:
        if self.videos is not None:
            self.videos.close()


class _Planner:
    """One publish's plan as it is built, step by step, in the order ``plan_publish`` runs."""

    def __init__(self, db: Database, settings: Settings, plan: Plan, files: _Files) -> None:
        self.db, self.settings, self.plan, self.full = db, settings, plan, plan.full
        self.files = files
        self.pages_listed: set[str] = set()
        self.pages_retired: dict[str, bool] = {}  # page -> holds a video no longer published
        self.records = files.records
        self.wanted = files.wanted

    def read_videos(self, pending: set[str]) -> None:
        """The videos this publish renders again: those pending changes name, or all of them."""
        db, plan, full = self.db, self.plan, self.full
        self.recorded_playlists = snapshot.playlists(db)
        if full:
            self.rendered = snapshot.published_videos(db, None)
            # A rebuild renders every published video's places anew: of what the last publish
            # recorded, it needs the places of the videos it stops publishing (their files go,
            # their pages are taken down), not every video's (a dict each, 0.1 GB at 300k).
            self.old = snapshot.memberships(db, None, leaving_out=self.rendered)
            # The changed videos in hashed_id order: the rendered ones (read in that order) and
            # the few leaving (none rendered), merged by one sort of two runs; a list, not a set
            # of every video (8-16 MB at 300k) sorted again by each step.
            self.changed = sorted([*self.rendered, *self.old])
        else:
            self.changed = sorted(pending)
            self.old = snapshot.memberships(db, pending)
            self.rendered = snapshot.published_videos(db, pending)
        self.pending = pending  # what an edit's steps are given (a rebuild's: None)
        plan.members_replaced = None if full else pending
        self.unpublished = {h for h in self.changed if h not in self.rendered}
        plan.published = self.rendered.keys()  # a view: not a second set of every video
        plan.unpublished = {h for h in self.unpublished if ALL_VIDEOS_PATH in self.old.get(h, {})}
        recorded_all = self.recorded_playlists.get(ALL_VIDEOS_PATH)
        plan.held = recorded_all.count if recorded_all is not None else 0
        self.recorded_texts: dict[str, str] = {}  # of unchanged videos sharing a dirty bucket

    def texts(self, members: list[Member]) -> list[str]:
        """The members' JSON texts: rendered now if they changed, else as the last publish
        recorded them."""
        rendered, recorded = self.rendered, self.recorded_texts
        return [
            video.json if (video := rendered.get(hashed_id)) is not None else recorded[hashed_id]
            for _, hashed_id in members
        ]

    def plan_playlists(self) -> None:
        """Each playlist the changed videos leave or join: its dirty buckets and entry file."""
        deltas = _deltas(self.changed, self.old, self.rendered, full=self.full)
        if self.full:
            deltas.setdefault(ALL_VIDEOS_PATH, _Delta())  # an empty catalog still has videos.json
            for path in self.recorded_playlists:
                deltas.setdefault(path, _Delta())
        # An edit's loaders first (its windows need their arrivals); a rebuild makes each as it
        # plans that playlist: all at once held every member of every playlist (1.4 million
        # at 300k videos) a second time.
        loaders = {} if self.full else {path: self._loader(path, d) for path, d in deltas.items()}
        windows: dict[str, window.Window] = {}
        if not self.full:  # a long playlist's edit reads the buckets around its changes only
            for path, delta in deltas.items():
                keys = [*delta.removed, *(key for key, _ in loaders[path].added)]
                found = window.read_window(self.db, path, keys)
                if found is not None:
                    windows[path] = found
        whole = [path for path in deltas if path not in windows]
        recorded_buckets = snapshot.buckets(self.db, None if self.full else whole) if whole else {}
        for path in sorted(deltas):
            # Each playlist's delta goes once it is planned (a rebuild's hold every member).
            delta = deltas.pop(path)
            loader = loaders.pop(path, None) or self._loader(path, delta)
            around = windows.get(path)
            shape = None if around is None else _Shape.of_window(around, self.settings, loader)
            if shape is None:
                if around is None:
                    recorded = recorded_buckets.pop(path, None)
                else:  # the window could not settle: read the playlist whole
                    recorded = snapshot.buckets(self.db, [path]).get(path)
                original = _recorded_buckets(recorded, full=self.full)
                if not self.full:  # a rebuild's buckets are all dirty
                    _mark_dirty(original, delta, loader.added)
                final = normalise(original, self.settings.page_size, loader)
                shape = _Shape(original, final)
            self._plan_playlist(path, delta, loader, shape)

    def _loader(self, path: str, delta: _Delta) -> _Loader:
        return _Loader(self.db, path, delta, self.rendered, complete=self.full)

    def _plan_playlist(self, path: str, delta: _Delta, loader: _Loader, shape: _Shape) -> None:
        plan = self.plan
        title = _title(path, delta, self.rendered, self.recorded_playlists)
        original, final = shape.original, shape.final
        count = shape.videos
        plan.gone_buckets[path] = {b.start for b in original} - {b.start for b in final}
        first = final[0]
        head = inline_head(self.settings.page_size)
        has_tail = shape.buckets > 1 and first.size > head
        if has_tail != (first.page is not None):
            first.dirty = True  # its tail page comes or goes (or a state from before tails)
        self._retire_replaced_pages(original, final, delta)
        if count == 0 and path != ALL_VIDEOS_PATH:
            plan.dropped_playlists.add(path)
            plan.to_remove.append(path)
            for chunk in pagelists.recorded_chunk_files(self.db, path):
                self.pages_retired.setdefault(chunk, False)
            plan.page_lists[path] = None
            return
        loader(first)  # the first bucket is inline: its members are always rendered
        if not self.full:  # a rebuild rendered every member
            _fill_cache(self.db, final, self.rendered, self.recorded_texts)
        pages = self._plan_pages(path, final, head if has_tail else None)
        lists = self._plan_page_lists(path, final, shape.pages(self.db, path, pages))
        inline = loader(first)[:head] if has_tail else loader(first)
        first_videos = self.texts(inline)
        content = playlist_entry_file(path, title, count, lists.inline, first_videos, lists.lists)
        self.files.add(path, content, Stage.PLAYLISTS)
        staged_rows.add_members(
            self.db,
            path,
            final,
            inline=head if has_tail else None,
            keep=self.files.stage is not None,
        )
        plan.playlists[path] = (title, count)

    def _retire_replaced_pages(
        self, original: list[Bucket], final: list[Bucket], delta: _Delta
    ) -> None:
        kept = {bucket.page for bucket in final if not bucket.dirty and bucket.page}
        takedown_keys = sorted(
            key for key, hashed_id in delta.removed.items() if hashed_id in self.unpublished
        )
        for index, bucket in enumerate(original):
            if bucket.page and bucket.page not in kept:
                # The first bucket's page holds only its tail, not the whole range: whether it
                # holds a video taken down is left to ``take_down_pages`` (from its records).
                takedown = index > 0 and _holds_any(takedown_keys, bucket)
                self.pages_retired[bucket.page] = takedown

    def _plan_pages(
        self, path: str, final: list[Bucket], head: int | None
    ) -> list[tuple[str, PageRef]]:
        """A page for every dirty bucket (the first: for its tail past ``head``, if it has
        one); the entry file's list of pages, each with its bucket's start."""
        refs: list[tuple[str, PageRef]] = []
        for index, bucket in enumerate(final):
            skip = 0 if index else head
            if skip is None:
                bucket.page = None  # a first bucket without a tail is wholly inline
                continue
            if bucket.dirty:
                assert bucket.members is not None
                page = page_file(path, self.texts(bucket.members[skip:]))
                bucket.page = page.path
                self.files.add(page.path, page.content, Stage.PAGES, page.sha256)
            assert bucket.page is not None
            refs.append((bucket.start, PageRef(bucket.page, bucket.size - skip)))
            self.pages_listed.add(bucket.page)
        return refs

    def _plan_page_lists(
        self, path: str, final: list[Bucket], pages: pagelists.PageSource
    ) -> pagelists.PageLists:
        """The chunks of the playlist's page list: those holding a page written or gone."""
        changed = {bucket.start for bucket in final if bucket.dirty}
        changed |= self.plan.gone_buckets[path]
        lists = pagelists.plan_page_lists(self.db, path, pages, changed, full=self.full)
        for chunk, content in lists.files.items():
            self.files.add(chunk, content, Stage.PAGE_LISTS)
        self.pages_listed |= lists.listed
        for chunk in lists.retired:
            self.pages_retired.setdefault(chunk, False)  # links only: no video of its own
        if lists.state_changed:
            self.plan.page_lists[path] = lists.state
        return lists

    def plan_video_files(self) -> None:
        """Each changed video's file. Its text then goes to the state's rows (``staged_rows``),
        and the video from the plan: the playlists are rendered, nothing else needs it."""
        keep = self.files.stage is not None  # a dry run records no state
        texts: list[tuple[str, str, str, str]] = []
        captioned = [h for h in self.changed if h in self.rendered and self.rendered[h].captions]
        for count, hashed_id in enumerate(self.changed, 1):
            published = self.rendered.get(hashed_id)
            if count % _RELEASE_EVERY == 0:
                heap.release()
            if published is not None:
                self.rendered[hashed_id] = _LET_GO  # still published (``plan.published``)
                self.files.add(video_file_path(hashed_id), video_file(published), Stage.VIDEO_FILES)
                if keep:
                    playlists = "\n".join([path for path, _ in published.playlists])
                    texts.append((hashed_id, published.json, published.sort_key, playlists))
                if len(texts) == _TEXTS_BATCH:
                    staged_rows.add_texts(self.db, texts)
                    texts = []
            elif hashed_id in self.old:
                self.plan.to_remove.append(video_file_path(hashed_id))
        staged_rows.add_texts(self.db, texts)
        self.plan_caption_files(captioned)

    def plan_caption_files(self, captioned: list[str]) -> None:
        """Each changed video's caption files (immutable: linked to, so in the first stage),
        ``captioned`` being the changed videos that have some. Those a published video no longer
        links to retire like pages; those of a video that stops being published go now, with
        its own file (each names the video)."""
        plan, settings = self.plan, self.settings
        wanted = caption_files(self.db, captioned)
        for path, content in sorted(wanted.items()):
            self.files.add(path, content, Stage.SCHEMAS)
        expires = later(settings.now, settings.grace_seconds)
        recorded = self._recorded_caption_files()
        for hashed_id in self.changed:
            if recorded is None:
                files = recorded_caption_files(self.db, hashed_id)
            else:
                files = recorded.get(hashed_id, {})
            for path, expires_at in files.items():
                if path in wanted:
                    if expires_at is not None:
                        plan.revive.add(path)
                elif hashed_id not in self.rendered:
                    plan.to_remove.append(path)
                elif expires_at is None:
                    plan.retire[path] = expires

    def _recorded_caption_files(self) -> dict[str, dict[str, str | None]] | None:
        """A rebuild's recorded caption files by video, from the records it read whole (None:
        an incremental publish, which looks each changed video's up)."""
        if not self.full:
            return None
        found: dict[str, dict[str, str | None]] = {}
        for path in self.records:  # a record is made for the few caption files only
            if path.startswith(CAPTIONS_FOLDER):
                record = self.records[path]
                hashed_id, dot, _ = path[len(CAPTIONS_FOLDER) + 1 :].partition(".")
                if dot and path.startswith(caption_prefix(hashed_id)):
                    found.setdefault(hashed_id, {})[path] = record.expires_at
        return found

    def plan_slug_lookup(self) -> None:
        """The slug lookup files the changed videos fall in (``publish.slug_lookup``)."""
        changed = None if self.full else self.pending
        for path, content in slug_lookup_files(self.db, changed, self._recorded_bytes).items():
            if content is not None:
                self.files.add(path, content, Stage.PLAYLISTS)  # after the video files
            elif self.files.record(path) is not None:
                self.plan.to_remove.append(path)

    def _recorded_bytes(self, path: str) -> bytes | None:
        """The file as the last publish recorded it (None: no record, or another file on disk)."""
        record = self.files.record(path)
        if record is None:
            return None
        content = self.files.folder.read_recorded(path, record.size)
        return content if content is not None and sha256(content) == record.sha256 else None

    def plan_seo_files(self) -> None:
        """Sitemaps, JSON-LD and watch pages of the changed videos (``publish.seo_files``)."""
        settings = seo_settings(self.db)
        if settings is None:
            return  # no site settings: a rebuild removes whatever of them was written
        from wistia_sync.publish.seo_files import plan_seo_files  # only a site that has them

        def add_page(path: str, content: bytes) -> None:
            self.files.add(path, content, Stage.VIDEO_FILES)

        seo = plan_seo_files(self.db, settings, None if self.full else self.pending, add_page)
        for path, content in seo.sitemaps.items():
            self.files.add(path, content, Stage.PLAYLISTS)
        for path, content in seo.index.items():
            self.files.add(path, content, Stage.INDEXES)
        for path in seo.gone:
            if self.files.record(path) is not None:
                self.plan.to_remove.append(path)
        self.plan.state_values.update(seo.state)

    def plan_indexes(self) -> None:
        """``tags.json`` and ``folders.json`` when a playlist of theirs changed; the counts."""
        plan = self.plan
        final_playlists = {
            path: summary
            for path, summary in {
                **{p: (r.title, r.count) for p, r in self.recorded_playlists.items()},
                **plan.playlists,
            }.items()
            if path not in plan.dropped_playlists
        }
        touched_kinds = {
            playlist_identity(path)[0] for path in [*plan.playlists, *plan.dropped_playlists]
        }
        kinds = {path: playlist_identity(path)[0] for path in final_playlists}  # one match each
        summaries = [
            PlaylistSummary(p, title, count) for p, (title, count) in final_playlists.items()
        ]
        if self.full or "tag" in touched_kinds or self.files.stale(TAGS_INDEX_PATH):
            content = tags_index_file(s for s in summaries if kinds[s.path] == "tag")
            self.files.add(TAGS_INDEX_PATH, content, Stage.INDEXES)
        if self.full or "folder" in touched_kinds or self.files.stale(FOLDERS_INDEX_PATH):
            content = folders_index_file(s for s in summaries if kinds[s.path] == "folder")
            self.files.add(FOLDERS_INDEX_PATH, content, Stage.INDEXES)
        kind_counts = Counter(kinds.values())
        plan.counts = (
            final_playlists.get(ALL_VIDEOS_PATH, ("", 0))[1],
            kind_counts["tag"],
            kind_counts["folder"],
        )

    def plan_search(self) -> None:
        """The search index's files that change (``search_index``), retired and revived."""
        stages = {
            "shard": Stage.SCHEMAS,
            "records": Stage.PLAYLISTS,  # they link to video files
            "list": Stage.INDEXES,
            "entry": Stage.SEARCH,
        }
        db, settings = self.db, self.settings
        search = search_index.plan_search(
            db,
            None if self.full else self.pending,
            lambda path, content, role: self.files.add(path, content, stages[role]),
            entry_stale=not self.full and self.files.stale(SEARCH_INDEX_PATH),
        )
        retire, revive, remove = search_index.retire_search_files(
            search,
            self.files.record,
            search_index.retiring_search_files(db, search),
            expires=later(settings.now, settings.grace_seconds),
        )
        self.plan.retire.update(retire)
        self.plan.revive |= revive
        self.plan.to_remove += remove
        self.plan.search = search

    def read_page_records(self) -> None:
        """The records of the pages listed or retired, for an incremental publish (a rebuild
        read them all)."""
        if not self.full:
            retired = set(self.pages_retired) - self.records.keys()
            self.records.update(snapshot.file_records(self.db, retired))
            # Of the pages listed (every page of a long playlist it touched: thousands at 100k),
            # only those expiring matter (``retire_unlisted_pages``): read the few expiring
            # records (a partial index) rather than look up every listed page.
            for path, record in snapshot.file_records(self.db, None, expiring=True).items():
                if path in self.pages_listed:
                    self.records.setdefault(path, record)

    def _listed_or_written(self, page: str) -> bool:
        return page in self.pages_listed or page in self.wanted

    def retire_unlisted_pages(self) -> None:
        """Pages listed again stop expiring; pages no playlist lists any more start to."""
        plan, settings = self.plan, self.settings
        for page in sorted(self.pages_listed):
            record = self.records.get(page)
            if record is not None and record.expires_at is not None:
                plan.revive.add(page)
        for page, takedown in sorted(self.pages_retired.items()):
            if self._listed_or_written(page):
                continue
            record = self.records.get(page)
            if record is None:
                continue
            grace = settings.takedown_grace_seconds if takedown else settings.grace_seconds
            expires = later(settings.now, grace)
            if record.expires_at is None or expires < record.expires_at:
                plan.retire[page] = expires

    def retire_or_remove_unplanned_files(self) -> None:
        """A full rebuild: every recorded file it did not plan goes (a page after its grace)."""
        plan = self.plan
        # Only the few unplanned records are sorted (a rebuild at 100k records ~300k files), and
        # what is already going is a set: a rebuild that drops a whole family of files (watch
        # pages switched off) would otherwise search a list as long as that family per file.
        videos = self.files.videos
        recorded = (
            self.records if videos is None else itertools.chain(self.records, videos.unasked())
        )
        unplanned = [
            path
            for path in recorded
            if not self._listed_or_written(path) and path not in (MANIFEST_PATH, FILES_PATH)
        ]
        removing = set(plan.to_remove)
        for path in sorted(unplanned):
            if is_list_file(path):
                continue  # the file list's own shards and chunks: see ``shards``
            if (
                PAGE_PATH.fullmatch(path)
                or PAGE_LIST_PATH.fullmatch(path)
                or CAPTION_PATH.fullmatch(path)
                or SEARCH_SHARD_PATH.fullmatch(path)
            ):
                record = self.records.get(path)  # (none of these is a video's file)
                if record is not None and record.expires_at is None and path not in plan.retire:
                    plan.retire[path] = later(self.settings.now, self.settings.grace_seconds)
            elif path not in removing:
                removing.add(path)
                plan.to_remove.append(path)

    def take_down_pages(self) -> None:
        """Every page no longer listed that holds a video which stops being published now goes
        after the takedown grace: pages retired by an earlier publish (in no bucket any more)
        and pages retired by this one however they were (an edit, a page-size re-cut, a full
        rebuild)."""
        plan = self.plan
        takedown_at = later(self.settings.now, self.settings.takedown_grace_seconds)
        holding = snapshot.pages_holding(self.db, self.unpublished, plan.retire)
        for page, expires_at in holding.items():
            if self._listed_or_written(page):
                continue
            if expires_at is None and page not in plan.retire:
                continue  # still listed by a playlist this publish does not touch
            current = plan.retire.get(page, expires_at)
            if current is None or takedown_at < current:
                plan.retire[page] = takedown_at

    def remove_expired(self) -> None:
        """Only what the publisher's patterns recognise is removed, then pages past their grace."""
        plan = self.plan
        plan.to_remove = [path for path in plan.to_remove if RECORDED_PATH.fullmatch(path)]
        removing = set(plan.to_remove)  # a caption file may be removed already (captions)
        plan.to_remove += [
            page
            for page in snapshot.expired_pages(self.db, self.settings.now)
            if not self._listed_or_written(page) and page not in removing
        ]


def later(now: str, seconds: int) -> str:
    """The timestamp ``seconds`` after ``now``."""
    return format_timestamp(parse_timestamp(now) + timedelta(seconds=seconds))


class _Shape:
    """A playlist's buckets before and after this publish: all of them, or a window's (the rest
    as recorded)."""

    def __init__(
        self,
        original: list[Bucket],
        final: list[Bucket],
        around: window.Window | None = None,
    ) -> None:
        self.original, self.final, self.around = original, final, around
        # The playlist's buckets and videos after this publish (``of_window`` adds those outside).
        self.buckets, self.videos = len(final), sum(bucket.size for bucket in final)

    @classmethod
    def of_window(cls, around: window.Window, settings: Settings, loader: _Loader) -> _Shape | None:
        """The window's buckets reshaped (None: it cannot settle without the whole playlist)."""
        original = around.buckets
        recorded = sum(bucket.size for bucket in original)  # ``normalise`` sets dirty ones' sizes
        final = around.normalise(settings.page_size, loader)
        if final is None:
            return None
        shape = cls(original, final, around)
        shape.buckets += around.recorded_buckets - len(original)
        shape.videos += around.recorded_videos - recorded
        return shape

    def pages(
        self, db: Database, playlist: str, pages: list[tuple[str, PageRef]]
    ) -> pagelists.PageSource:
        if self.around is None:
            return window.ListedPages(pages)
        return window.WindowPages(db, playlist, self.around.ranges(), pages)


class _Delta:
    """How one playlist's membership changes: keys leaving, keys arriving (with their video)."""

    __slots__ = ("added", "removed")

    def __init__(self) -> None:
        self.removed: dict[str, str] = {}  # sort key -> hashed_id
        # hashed_ids of rendered videos (their keys are theirs): a rebuild's are every member
        # of every playlist, so a list of strings the videos hold already, not a dict of them
        self.added: list[str] = []


def _deltas(
    changed: Iterable[str],
    old: dict[str, dict[str, str]],
    rendered: dict[str, RenderedVideo],
    *,
    full: bool,
) -> dict[str, _Delta]:
    deltas: defaultdict[str, _Delta] = defaultdict(_Delta)  # not one _Delta made per member
    arriving = []
    for hashed_id in changed:
        for path, key in old.get(hashed_id, {}).items():
            deltas[path].removed[key] = hashed_id
        video = rendered.get(hashed_id)
        if video is not None:
            arriving.append(video)
    # In key order, so every playlist's arrivals are too (``_Loader`` then sorts sorted lists):
    # one sort of the videos, not one a playlist of five or so times as many members.
    arriving.sort(key=_MEMBER)
    for video in arriving:
        for path, _ in video.playlists:
            deltas[path].added.append(video.hashed_id)
    return dict(deltas)


def _title(
    path: str,
    delta: _Delta,
    rendered: dict[str, RenderedVideo],
    recorded: dict[str, snapshot.RecordedPlaylist],
) -> str:
    for hashed_id in delta.added:
        return rendered[hashed_id].title(path)
    if path in recorded:
        return recorded[path].title
    return "All videos"


def _recorded_buckets(
    recorded: list[snapshot.RecordedBucket] | None, *, full: bool
) -> list[Bucket]:
    if recorded and recorded[0][1] != "" and not full:
        raise StateMismatch("a playlist's recorded buckets do not start at its first video")
    if not recorded or recorded[0][1] != "":
        return [Bucket("", 0, dirty=True, recorded=False)]  # a new playlist: no members yet
    buckets = [Bucket(start, size, page, dirty=full) for _, start, size, page in recorded]
    for bucket, following in itertools.pairwise(buckets):
        bucket.end = following.start
    return buckets


def _mark_dirty(buckets: list[Bucket], delta: _Delta, added: list[Member]) -> None:
    starts = [bucket.start for bucket in buckets]
    for key in [*delta.removed, *(key for key, _ in added)]:
        buckets[bisect.bisect_right(starts, key) - 1].dirty = True


def _holds_any(sorted_keys: list[str], bucket: Bucket) -> bool:
    index = bisect.bisect_left(sorted_keys, bucket.start)
    return index < len(sorted_keys) and (bucket.end is None or sorted_keys[index] < bucket.end)


class _Loader:
    """Reads a recorded bucket's members once, with this publish's changes applied."""

    def __init__(
        self,
        db: Database,
        playlist: str,
        delta: _Delta,
        rendered: dict[str, RenderedVideo],
        *,
        complete: bool,
    ) -> None:
        self.db, self.playlist, self.delta, self.complete = db, playlist, delta, complete
        # The arriving members, in key order: these tuples become the buckets' members.
        # Each video's member tuple is its own (shared by its playlists), sorted in C.
        self.added = sorted(map(_MEMBER, map(rendered.__getitem__, delta.added)))

    def __call__(self, bucket: Bucket) -> list[Member]:
        if bucket.members is None:
            kept: list[Member] = []
            if bucket.recorded and not self.complete:
                recorded = snapshot.bucket_members(self.db, self.playlist, bucket.start)
                if recorded is None:
                    raise StateMismatch(f"the members of a bucket of {self.playlist} are unknown")
                kept = [member for member in recorded if member[0] not in self.delta.removed]
            # (key,) sorts before every (key, hashed_id): the first member from that key on.
            low = bisect.bisect_left(self.added, (bucket.start,))
            high = (
                len(self.added)
                if bucket.end is None
                else bisect.bisect_left(self.added, (bucket.end,))
            )
            arriving = self.added[low:high]
            bucket.members = sorted(kept + arriving) if kept else arriving  # both in key order
        return bucket.members


def _fill_cache(
    db: Database, buckets: list[Bucket], rendered: dict[str, RenderedVideo], cache: dict[str, str]
) -> None:
    """The recorded JSON of the unchanged videos that share a dirty bucket with a changed one.

    Unchanged means no pending change names them, so the text the last publish recorded is
    exactly what rendering them again would give.
    """
    missing = {
        hashed_id
        for index, bucket in enumerate(buckets)
        if bucket.dirty or index == 0
        for _, hashed_id in bucket.members or []
        if hashed_id not in rendered and hashed_id not in cache
    }
    if not missing:
        return
    found = snapshot.video_texts(db, missing)
    if set(found) != missing:
        raise StateMismatch(f"{len(missing) - len(found)} recorded members have no recorded JSON")
    cache.update(found)
