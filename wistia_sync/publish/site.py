"""``publish_site``: bring the output folder up to date with the database, costing what changed.

One lock serialises publishers; the plan is made inside one read transaction (one snapshot), so
a slow publisher never overwrites newer files with an older state. The batch is written as it is
planned (temp files: a rebuild never holds every file's bytes), made durable once, and renamed
into place in link order; then one write transaction records it,
places ``manifest.json`` and ``files.json`` and removes what no longer belongs.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync.catalog.slugs import assign_slugs, pending_video_ids
from wistia_sync.contract.layout import (
    CAPTION_PATH,
    FILES_PATH,
    MANIFEST_PATH,
    PAGE_LIST_PATH,
    PAGE_PATH,
    SCHEMA_FOLDER,
    SEARCH_SHARD_PATH,
    cache_class,
    is_list_file,
)
from wistia_sync.errors import WistiaSyncError
from wistia_sync.publish import heap, search_index, shards, snapshot, staged_rows, state
from wistia_sync.publish.build import sha256
from wistia_sync.publish.guard import check_mass_unpublish
from wistia_sync.publish.output import FileStat, OutputFolder
from wistia_sync.publish.plan import (
    Plan,
    Settings,
    Stage,
    StateMismatch,
    discard_staged,
    later,
    plan_publish,
)
from wistia_sync.publish.preview_page import preview_page_files
from wistia_sync.publish.staged_rows import held_for_state
from wistia_sync.publish.sweep import sweep_orphans, unlisted_shards
from wistia_sync.store.db import write_transaction
from wistia_sync.store.lock import hold_lock
from wistia_sync.store.state import (
    content_version,
    full_rebuild_pending,
    get_state,
    grace_seconds,
    page_size,
    record_published_version,
    set_state,
    takedown_grace_seconds,
)
from wistia_sync.store.timestamps import parse_timestamp, utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

# Set while pages are recorded that files.json may not list yet (a publish died in between).
FILES_LIST_DIRTY_KEY = "publish_files_list_dirty"
# The folder's clock when the last publish left no stray shard (``_carry_out``).
SWEPT_CLOCK_KEY = "publish_swept_clock"
REBUILD_CACHE_KIB = 4 * 1024  # SQLite's page cache during a rebuild (allocated as used)


class PublishResult:
    """What a publish did (or, in a dry run, would do): exactly what a CDN needs to know.

    ``changed_entries``: entry files whose bytes changed (purge these URLs); ``new_pages``:
    immutable pages, page-list chunks and caption files written (upload, never purge);
    ``removed``: files removed, in the order removed. Paths are relative to the output folder.
    """

    __slots__ = (
        "changed_entries",
        "dry_run",
        "full",
        "generation",
        "new_pages",
        "new_shards",
        "removed",
        "retired",
        "unchanged",
    )

    def __init__(
        self,
        changed_entries: list[str],
        new_pages: list[str],
        removed: list[str],
        unchanged: int,
        generation: str,
        dry_run: bool = False,
        full: bool = False,
        retired: Sequence[str] = (),
        new_shards: Sequence[str] = (),
    ) -> None:
        self.changed_entries = changed_entries
        self.new_pages = new_pages
        self.removed = removed
        self.unchanged = unchanged
        self.generation = generation
        self.dry_run = dry_run
        self.full = full
        self.retired = retired  # pages now counting down their grace
        self.new_shards = new_shards  # immutable shards of files.json

    @property
    def written(self) -> list[str]:
        """Every file written: pages first, entry files, then the file list's new shards."""
        return [*self.new_pages, *self.changed_entries, *self.new_shards]

    @property
    def changed(self) -> bool:
        """Whether any file was (or would be) written or removed: a CDN purge is due."""
        return bool(self.changed_entries or self.new_pages or self.removed)

    def summary(self) -> str:
        """One line for people: ``published 4 files, removed 1, 1,203 unchanged``."""
        count = len(self.written)
        files = f"{count:,} file{'' if count == 1 else 's'}"
        verb = "would publish" if self.dry_run else "published"
        removed = "remove" if self.dry_run else "removed"
        return f"{verb} {files}, {removed} {len(self.removed):,}, {self.unchanged:,} unchanged"

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the same exact sets, with every file's cache class."""
        return {
            "generation": self.generation,
            "changed_entries": self.changed_entries,
            "new_pages": self.new_pages,
            "new_shards": self.new_shards,
            "removed": self.removed,
            "retired": self.retired,
            "unchanged": self.unchanged,
            "full": self.full,
            "dry_run": self.dry_run,
            "cache": {path: cache_class(path) for path in self.written},
        }


def publish_site(
    db: Database,
    output_dir: Path,
    *,
    lock_path: Path,
    force: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    allow_mass_unpublish: bool = False,
) -> PublishResult:
    """Apply the pending changes to ``output_dir`` (or rebuild everything).

    ``force`` rebuilds every file from the database and compares it with the bytes on disk: only
    files whose bytes differ are rewritten (mtimes and ETags of the others stay). ``repair``
    rebuilds everything but trusts the records (a ``stat`` per file). ``dry_run`` writes nothing.
    A publish that would unpublish most of what the folder holds raises ``PublishAborted``
    unless ``allow_mass_unpublish`` (see ``guard``).
    """
    folder = OutputFolder(Path(output_dir))
    folder.check_layout()
    with hold_lock(lock_path, wait=True):
        version = content_version(db)  # read first: the publish sees this state or a newer one
        settings = Settings(page_size(db), grace_seconds(db), takedown_grace_seconds(db), utc_now())
        target = str(Path(output_dir).resolve())
        # Whether the records describe this folder; else (a new output folder) build it all.
        recorded = get_state(db, state.OUTPUT_KEY) == target and snapshot.any_playlist(db)
        full = force or repair or full_rebuild_pending(db) or not recorded
        slugs = _slugs_assigned(db, full=full, dry_run=dry_run)
        # Read before this publish stages a file (which moves the clock on).
        swept = _nothing_staged_since_swept(db, folder)
        with slugs, _page_cache(db, large=full), _output_errors(output_dir), held_for_state(db):
            plan = _planned(db, folder, settings, full=full, verify=force, dry_run=dry_run)
            try:
                if not allow_mass_unpublish:
                    check_mass_unpublish(db, Path(output_dir), plan, recorded_folder=recorded)
            except BaseException:
                discard_staged(folder, plan)
                raise
            if dry_run:
                return _result(plan, [], plan.to_remove, generation="", dry_run=True)
            if _nothing_to_do(plan):
                return _result(plan, [], [], generation=get_state(db, state.GENERATION_KEY) or "")
            written, generation = _carry_out(db, folder, plan, settings, target, swept=swept)
            if plan.full:  # a rebuild looks at everything: orphans of a crash included
                plan.to_remove += _sweep(db, folder, settings)
    record_published_version(db, version)
    return _result(plan, written, plan.to_remove, generation=generation)


@contextmanager
def _slugs_assigned(db: Database, *, full: bool, dry_run: bool) -> Iterator[None]:
    """Every video the publish may render gets its slug first (``catalog.slugs``), before the
    snapshot; a dry run's are assigned in a transaction rolled back after its plan."""
    videos = None if full else pending_video_ids(db)
    if not dry_run:
        assign_slugs(db, videos)  # a write transaction only when a video needs a slug
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        assign_slugs(db, videos)
        yield
    finally:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")


@contextmanager
def _output_errors(output_dir: Path) -> Iterator[None]:
    try:
        yield
    except OSError as error:  # a full disk, a read-only or vanished folder
        where = f" ({error.filename})" if error.filename else ""
        raise WistiaSyncError(
            f"cannot publish to {output_dir}: {error.strerror or error}{where}; every "
            "file there is still complete (old or new), and the next publish catches up"
        ) from error


def _planned(
    db: Database,
    folder: OutputFolder,
    settings: Settings,
    *,
    full: bool,
    verify: bool,
    dry_run: bool,
) -> Plan:
    try:
        return _plan(db, folder, settings, full=full, verify=verify, dry_run=dry_run)
    except StateMismatch as mismatch:
        import logging  # imported on this rare path only: every edit would pay for it

        logger = logging.getLogger(__name__)
        logger.warning("publisher state out of step (%s): rebuilding every file", mismatch)
        with write_transaction(db):
            assign_slugs(db, None)
        return _plan(db, folder, settings, full=True, verify=verify, dry_run=dry_run)


@contextmanager
def _page_cache(db: Database, *, large: bool) -> Iterator[None]:
    """A rebuild rewrites the publisher's tables whole, in key order with their indexes built
    after (``state``); a cache a little above SQLite's default 2 MB keeps its transaction from
    spilling pages to the WAL before the commit, and a larger one only adds to the peak memory
    (every page cached is held until the publish ends)."""
    if not large:
        yield
        return
    previous = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(previous)}")


def _plan(
    db: Database,
    folder: OutputFolder,
    settings: Settings,
    *,
    full: bool,
    verify: bool,
    dry_run: bool,
) -> Plan:
    with snapshot.read_transaction(db):
        return plan_publish(
            db,
            folder,
            settings,
            full=full,
            verify=verify,
            package_files={
                **(_schema_files() if full else {}),
                **preview_page_files(db, folder, full=full),
                **search_index.client_files(db, folder, full=full),
            },
            stage=None if dry_run else folder.stage,
        )


def _schema_files() -> dict[str, bytes]:
    """The JSON Schemas shipped in the package (generated by scripts/export_schemas.py)."""
    from importlib import resources  # a full rebuild only: ~5 ms of every publish's start-up

    folder = resources.files("wistia_sync.contract") / "schema"
    return {
        f"{SCHEMA_FOLDER}/{entry.name}": entry.read_bytes()
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".schema.json")
    }


def _result(
    plan: Plan, written: list[str], removed: list[str], *, generation: str, dry_run: bool = False
) -> PublishResult:
    paths = written if not dry_run else [file.path for file in plan.to_write]
    # Pages, page-list chunks, caption files and shards are all immutable: an entry file is
    # none of them (a rebuild's files are mostly entry files: one pattern each).
    entries: list[str] = []
    immutable: list[str] = []
    for path in paths:
        (entries if cache_class(path) == "entry" else immutable).append(path)
    return PublishResult(
        changed_entries=entries,
        new_pages=[
            path
            for path in immutable
            if any(
                p.fullmatch(path)
                for p in (PAGE_PATH, PAGE_LIST_PATH, CAPTION_PATH, SEARCH_SHARD_PATH)
            )
        ],
        new_shards=[path for path in immutable if is_list_file(path)],
        removed=list(removed),
        unchanged=plan.unchanged,
        generation=generation,
        dry_run=dry_run,
        full=plan.full,
        retired=sorted(plan.retire),
    )


def _nothing_staged_since_swept(db: Database, folder: OutputFolder) -> bool:
    """Whether no publish staged a file in the folder since the last one that left no stray
    shard committed: its clock is still where that publish recorded it."""
    clock = folder.clock_ns()
    return clock is not None and get_state(db, SWEPT_CLOCK_KEY) == str(clock)


def _carry_out(
    db: Database,
    folder: OutputFolder,
    plan: Plan,
    settings: Settings,
    target: str,
    *,
    swept: bool,
) -> tuple[list[str], str]:
    now = settings.now
    folder.prepare()  # done already if a file was staged
    list_trusted = get_state(db, FILES_LIST_DIRTY_KEY) != "1"
    _place_batch(db, folder, plan, later(now, settings.grace_seconds))
    written = [file.path for file in plan.to_write]
    adopted = [(file.path, file.sha256, folder.stat(file.path)) for file in plan.adopt]
    # A rename keeps a file's size and mtime: the records are made from the plan, one at a time.
    placed = itertools.chain(
        ((file.path, file.sha256, FileStat(file.size, file.mtime_ns)) for file in plan.to_write),
        adopted,
    )
    new_pages = {file.path for file in plan.to_write if file.stage is Stage.PAGES}
    with write_transaction(db):
        state.record_state(db, plan)
        if plan.search is not None:
            search_index.record_state(db, plan.search)
        # Those of the pages written were recorded with them.
        staged_rows.record_pages(db, new_pages, new=False)
        set_state(db, state.OUTPUT_KEY, target)
        keys = plan.search.keys if plan.search is not None else {}
        changed = [*written, *(path for path, _, _ in adopted), *plan.to_remove]
        # Where the files this publish changes or forgets were in the file list, and are now:
        # a list's shard is a range of keys, and a key may change with a record (an earlier
        # release's term shard recorded by its path).
        trusted = list_trusted and not plan.full
        touched_keys = state.keys_of(db, changed) if trusted else set()
        state.record_files(
            db, placed, retire=plan.retire, revive=plan.revive, forget=plan.to_remove, keys=keys
        )
        if plan.full or not list_trusted:
            plan.to_remove += _forget_lost_files(db, folder)
        plan.drop_recorded()
        if plan.full:
            heap.release()  # before the file list is built
        files_changed = written or adopted or plan.to_remove or plan.retire or plan.revive
        generation = get_state(db, state.GENERATION_KEY)
        if generation is not None and not files_changed and not plan.full:
            return written, generation  # the change showed in no file: the list stays
        generation = state.generation(db)
        manifest = state.manifest_content(db, generation, now, plan.counts)
        if _place_if_changed(db, folder, MANIFEST_PATH, manifest):
            written.append(MANIFEST_PATH)
        if trusted:
            touched_keys |= state.keys_of(db, changed)
            touched_keys.add(MANIFEST_PATH)
        listing = shards.plan_shards(db, touched_keys if trusted else None)
        written += _place_shards(db, folder, listing)
        # A stray shard is one a publish renamed into place and was killed before committing;
        # it staged it first, which moved the folder's clock on. With the clock where the last
        # publish that left none recorded it, there is none to look for (every shard listed:
        # ~3,000 at 100k, and the folders' names).
        look = not swept or plan.full or any(is_list_file(path) for path in plan.to_remove)
        listed = shards.listed_files(db) if look else set()
        plan.to_remove[:] = [path for path in plan.to_remove if path not in listed]
        if _place_if_changed(db, folder, FILES_PATH, shards.index_file(db, generation)):
            written.append(FILES_PATH)
        set_state(db, FILES_LIST_DIRTY_KEY, "0")
        strays = []
        if look:
            strays = [p for p in unlisted_shards(folder, listed) if p not in listing.dropped]
        state.record_files(db, [], retire={}, revive=(), forget=strays)
        plan.to_remove += strays
        for path in [*plan.to_remove, *sorted(listing.dropped)]:
            folder.remove(path)
        folder.sync_folders()
        clock = folder.clock_ns()  # this publish's stamp, if it staged a file
        if clock is not None:
            set_state(db, SWEPT_CLOCK_KEY, str(clock))
    return written, generation


def _forget_lost_files(db: Database, folder: OutputFolder) -> list[str]:
    """Forget the expiring files (pages, chunks, search and caption files) missing on disk.

    A publish killed after recording its new immutable files (``_place_batch``) and before
    renaming them into place leaves records of files that never arrived; the next publish, which
    may need other files, would list them in files.json until they expire. Checked when the
    list is rebuilt whole (after such a crash, and in a rebuild): a ``stat`` a retiring file, a
    few.
    """
    root = folder.root
    lost = sorted(
        path
        for path in snapshot.file_records(db, None, expiring=True)
        if not os.path.lexists(root / path)
    )
    state.record_files(db, [], retire={}, revive=(), forget=lost)
    return lost


def _place_shards(db: Database, folder: OutputFolder, listing: shards.ShardPlan) -> list[str]:
    """Write the rebuilt shards not already on disk; forget the ones the list dropped (they are
    removed once the new files.json is in place)."""
    records = snapshot.file_records(db, listing.contents)
    placed = []
    staged = []
    try:
        for path, content in listing.contents.items():
            record = records.get(path)
            if record is not None and folder.matches_record(path, record.size, record.mtime_ns):
                continue  # content-addressed: the recorded file holds these bytes
            if (held := folder.holding(path, content)) is not None:
                placed.append((path, sha256(content), held))
                continue
            staged.append((path, content, folder.stage(path, content)))
        folder.make_durable([temp.temp for _, _, temp in staged])
        written = []
        for path, content, temp in staged:
            placed.append((path, sha256(content), folder.place(path, temp)))
            written.append(path)
        folder.sync_folders()
    except BaseException:
        for _, _, temp in staged:
            folder.discard(temp)
        raise
    dropped = sorted(listing.dropped)
    state.record_files(db, placed, retire={}, revive=(), forget=dropped)
    shards.record_shards(db)
    return written


def _nothing_to_do(plan: Plan) -> bool:
    """No change consumed, nothing to write, retire or remove: a no-op touches nothing at all."""
    return not (
        plan.full
        or plan.last_change_id
        or plan.to_write
        or plan.adopt
        or plan.to_remove
        or plan.retire
        or plan.revive
        or plan.state_values
    )


def _place_batch(db: Database, folder: OutputFolder, plan: Plan, expires_at: str) -> None:
    """Make the staged batch durable once, then rename it into place stage by stage.

    New immutable files (pages, page-list chunks, caption files, search files) are recorded (as
    expiring after the grace period) before they are renamed into place: if the publish dies
    before its final commit, they are not left unrecorded forever (an entry file renamed before
    the kill links them: a reader may hold it); the next publish lists them in files.json
    (rebuilt whole), removes them when they expire or at once with a video taken down, and
    forgets at once those it finds missing (killed before their rename: ``_forget_lost_files``).
    """
    staged = [file for file in plan.to_write if file.temp is not None]
    placed = 0
    try:
        folder.make_durable([file.temp for file in staged if file.temp is not None])
        immutable = [
            (f.path, f.sha256, FileStat(f.size, f.mtime_ns))
            for f in staged
            if f.stage is not Stage.VIDEO_FILES and _is_immutable(f.path)
        ]
        if immutable:
            with write_transaction(db):
                keys = plan.search.keys if plan.search is not None else {}
                state.record_pending_pages(db, immutable, expires_at=expires_at, keys=keys)
                pages = [f.path for f in staged if f.stage is Stage.PAGES]
                staged_rows.record_pages(db, pages, new=True)
                set_state(db, FILES_LIST_DIRTY_KEY, "1")
        previous = None
        for file in staged:  # in stage order
            if file.stage is not previous:  # the renames before are durable before the files
                folder.sync_folders()  # linking to them
                previous = file.stage
            folder.place_temp(file.path, file.temp or "")
            placed += 1
        folder.sync_folders()
    except BaseException:
        for file in staged[placed:]:  # a failure leaves no temp file behind
            if file.staged is not None:
                folder.discard(file.staged)
        raise


def _is_immutable(path: str) -> bool:
    """A content-addressed file a publish writes and retires (not the file list's own)."""
    return any(
        pattern.fullmatch(path)
        for pattern in (PAGE_PATH, PAGE_LIST_PATH, CAPTION_PATH, SEARCH_SHARD_PATH)
    )


def _place_if_changed(db: Database, folder: OutputFolder, path: str, content: bytes) -> bool:
    digest = sha256(content)
    record = snapshot.file_records(db, [path]).get(path)
    if (
        record is not None
        and record.sha256 == digest
        and folder.matches_record(path, record.size, record.mtime_ns)
    ):
        return False
    if (held := folder.holding(path, content)) is not None:
        state.record_files(db, [(path, digest, held)], retire={}, revive=(), forget=())
        return False
    temp = folder.stage(path, content)
    try:
        folder.make_durable([temp.temp])
        info = folder.place(path, temp)
        folder.sync_folders()
    finally:
        folder.discard(temp)
    state.record_files(db, [(path, digest, info)], retire={}, revive=(), forget=())
    return True


def _sweep(db: Database, folder: OutputFolder, settings: Settings) -> list[str]:
    now = parse_timestamp(settings.now).timestamp()
    return sweep_orphans(db, folder, now=now, grace_seconds=settings.grace_seconds)


def sweep_output(db: Database, output_dir: Path, *, lock_path: Path) -> list[str]:
    """Remove what interrupted publishes left that no record names (see ``sweep``): for cron."""
    folder = OutputFolder(Path(output_dir))
    folder.check_layout()
    if not folder.root.is_dir():
        return []
    with hold_lock(lock_path, wait=True):
        return _sweep(db, folder, Settings(0, grace_seconds(db), 0, utc_now()))


def publish_due(db: Database, output_dir: Path, *, check_files: bool = True) -> bool:
    """Whether ``run`` should publish: pending changes, a rebuild asked for, pages whose grace
    ended, or (``check_files``) a recorded file missing or touched by hand (a ``stat`` per
    file: for cron, never for an editor command)."""
    from wistia_sync.store.state import output_behind

    if output_behind(db) or snapshot.has_pending_changes(db) or full_rebuild_pending(db):
        return True
    if snapshot.expired_pages(db, utc_now()):
        return True
    return check_files and output_is_stale(db, output_dir)


def output_is_stale(db: Database, output_dir: Path) -> bool:
    """True when nothing was published yet, or a recorded file is missing or was touched."""
    records = snapshot.file_records(db, None)
    if not records:
        return True
    folder = OutputFolder(Path(output_dir))
    return not all(
        folder.matches_record(path, record.size, record.mtime_ns)
        for path, record in records.items()
    )
