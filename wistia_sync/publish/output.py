"""The output folder: batched durable writes, the managed layout, and nothing else ever touched.

A batch is written as temp files in a dot-folder (``.wistia-sync-tmp``, denied by the web server
like every dot-file) and made durable in one step: one ``syncfs`` for a large batch (a rebuild),
parallel ``fdatasync`` of just those files for a small one (an editor's change: a ``syncfs``
would also wait for every other process's dirty data on a shared disk). Then the files are
renamed into place stage by stage, each stage's folders fsynced before the next: a file is in
place only after everything it links to. Only paths a publish recorded are
ever removed, and a managed folder that is a symlink is refused.

Every file a publish writes gets the publish's stamp as its mtime: a whole second later than
the stamp of any earlier publish into the folder (a clock file in the temp folder remembers the
last). Web servers make the ETag of the mtime's second and the size (nginx: ``hex(mtime)-
hex(size)``), so a file rewritten, or removed and written again, never answers an ETag it was
served with before, however fast the publishes come.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import NamedTuple

from wistia_sync.contract.layout import MANAGED_FOLDERS, TEMP_FOLDER
from wistia_sync.errors import ConfigError

FILE_MODE = 0o644  # world-readable: whatever serves the folder runs as another user
DIRECTORY_MODE = 0o755
SYNCFS_BATCH = 256  # from this many files, one syncfs beats a fdatasync per file
SYNC_THREADS = 8
NS_PER_SECOND = 1_000_000_000
# Bursts of publishes date files ahead of the clock, a second each; a lead beyond this means the
# system clock went back, and the stamps follow it down (an ETag could then repeat, once).
CLOCK_LEAD_LIMIT_SECONDS = 3600
CLOCK_NAME = "mtime-clock"  # in the temp folder; its own mtime is the last publish's stamp
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # never follow, never block


class UnsafeOutputError(ConfigError):
    """The output folder's layout would make a publish write or delete outside it."""


@functools.cache
def _load_syncfs() -> object | None:
    # Looked up on the first large batch: ctypes and find_library cost ~13 ms of every
    # publish's start-up, and an editor's small batch never needs syncfs.
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


class FileStat(NamedTuple):
    """What a publish records of a file's ``stat`` (a rebuild keeps one a file: not all 19)."""

    st_size: int
    st_mtime_ns: int


class StagedFile(NamedTuple):
    """A temp file written but not yet in place, with its ``stat`` (a rename keeps it)."""

    temp: str  # its name in the temp folder
    info: FileStat


class OutputFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp = root / TEMP_FOLDER
        self._temp_folder = str(self.temp)  # a rebuild names a temp file a file
        self._root = str(root)
        self._unsynced: set[str] = set()  # folders whose entries changed since the last sync
        self._ready: set[str] = set()  # folders known to exist and not to be symlinks
        self._stamp_ns: int | None = None  # the mtime of every file this publish writes
        self._prepared = False
        self._prefix = os.urandom(4).hex()  # secrets.token_hex, without its import
        self._staged = 0
        self._stat_trusted = False  # a staged file came out with the size, mtime and mode meant

    def check_layout(self) -> None:
        """Refuse an output whose managed folders are symlinks (or not folders)."""
        if self.root.exists() and not self.root.is_dir():
            raise UnsafeOutputError(f"output {self.root} is not a folder")
        for name in MANAGED_FOLDERS:
            path = self.root / name
            if path.is_symlink():
                raise UnsafeOutputError(
                    f"refusing to publish: {path} is a symlink (a publish would write and delete "
                    "files where it points); make it a real folder or remove it"
                )
            if path.exists() and not path.is_dir():
                raise UnsafeOutputError(f"refusing to publish: {path} is not a folder")

    def prepare(self) -> None:
        """Create the folders, and empty the temp folder an interrupted publish left (once: the
        files this publish stages are kept)."""
        if self._prepared:
            return
        self.check_layout()
        self._ensure_directory(self.root)
        self._ensure_directory(self.temp)
        with os.scandir(self.temp) as entries:
            for entry in entries:
                if entry.name == CLOCK_NAME and entry.is_file(follow_symlinks=False):
                    continue  # kept: a symlink in its place is removed like any other
                if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                    import logging  # imported on this rare path only

                    logger = logging.getLogger(__name__)
                    logger.info("removing %s, left by an interrupted publish", entry.path)
                    Path(entry.path).unlink(missing_ok=True)
        self._prepared = True

    def stage(self, relative: str, content: bytes) -> StagedFile:
        """Write ``content`` to a temp file (not yet durable, not yet in place)."""
        self.prepare()
        # Plain strings, not Path arithmetic, and one fstat: a rebuild stages a file per video.
        name = relative.rsplit("/", 1)[-1]
        # 16 hex digits: a random half a publish, then a count (not a getrandom call a file).
        self._staged += 1
        temp = f"{self._prefix}{self._staged:08x}.{name}"  # kept without its folder
        path = f"{self._temp_folder}/{temp}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            written = os.write(fd, content)
            if written < len(content):  # a short write (a signal, a nearly full disk)
                view = memoryview(content)[written:]
                while view:
                    view = view[os.write(fd, view) :]
            if self._stamp_ns is None:  # the publish's first file: a publish writing none
                self._stamp_ns = self._advance_clock()  # leaves the clock alone
            os.utime(fd, ns=(self._stamp_ns, self._stamp_ns))
            info = FileStat(len(content), self._stamp_ns)
            if not self._stat_trusted:
                info = self._check_staged(fd, info)
        except BaseException:
            os.close(fd)
            os.unlink(path)  # noqa: PTH108 (hot path: plain strings)
            raise
        os.close(fd)
        return StagedFile(temp, info)

    def place(self, relative: str, staged: StagedFile) -> FileStat:
        """Rename the temp file over the target: readers see the old bytes or the new.

        Returns the file's ``stat`` as staged: a rename changes neither its size nor its mtime.
        """
        self.place_temp(relative, staged.temp)
        return staged.info

    def place_temp(self, relative: str, temp: str) -> None:
        """``place`` for a temp file known by its name only (a rebuild's: no tuple a file)."""
        folder, _, _ = relative.rpartition("/")
        if folder not in self._ready:
            self._ensure_directory(self.root / folder if folder else self.root)
            self._ready.add(folder)
        root = self._root
        os.replace(f"{self._temp_folder}/{temp}", f"{root}/{relative}")  # noqa: PTH105
        self._unsynced.add(f"{root}/{folder}" if folder else root)

    def _check_staged(self, fd: int, expected: FileStat) -> FileStat:
        """The file's real size and mtime, its mode set if the umask narrowed it; once one file
        came out as meant, the rest of the publish's are trusted to (one umask, one file
        system): a ``stat`` fewer a file."""
        info = os.fstat(fd)
        actual = FileStat(info.st_size, info.st_mtime_ns)
        if info.st_mode & 0o7777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        else:
            self._stat_trusted = actual == expected
        return actual

    def clock_ns(self) -> int | None:
        """The folder's clock: the stamp of the last publish that staged a file here, killed or
        not (None: no clock). Every publish that stages a file moves it on first."""
        try:
            info = os.lstat(f"{self.temp}/{CLOCK_NAME}")
        except OSError:
            return None
        return info.st_mtime_ns if stat.S_ISREG(info.st_mode) else None

    def _advance_clock(self) -> int:
        """This publish's stamp: now in whole seconds, at least a second after the last one's.

        Recorded before its first file is staged, so a publish killed halfway still moves it on.
        """
        clock = f"{self.temp}/{CLOCK_NAME}"
        # Never through a symlink: one planted here would point the chmod and utime at any
        # file (the database beside the output, say).
        fd = os.open(clock, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:  # a hard link to another file
            os.close(fd)
            os.unlink(clock)  # noqa: PTH108 (plain strings)
            fd = os.open(clock, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
            info = os.fstat(fd)
        try:
            now = time.time_ns() // NS_PER_SECOND
            last = info.st_mtime_ns // NS_PER_SECOND
            if last > now + CLOCK_LEAD_LIMIT_SECONDS:  # the system clock was stepped back
                last = 0  # follow it, rather than date files in the future for that long
            stamp = max(now, last + 1) * NS_PER_SECOND
            os.fchmod(fd, FILE_MODE)  # like every file in the folder, whatever the umask
            os.utime(fd, ns=(stamp, stamp))
        finally:
            os.close(fd)
        return stamp

    def discard(self, staged: StagedFile) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{self.temp}/{staged.temp}")  # noqa: PTH108 (hot path)

    def remove(self, relative: str) -> None:
        path = self.root / relative
        try:
            path.unlink()
        except FileNotFoundError:
            return  # its folder did not change (or does not exist): nothing to sync
        self._unsynced.add(str(path.parent))

    def make_durable(self, temps: Collection[str]) -> None:
        """The staged files' bytes reach the disk, in one step for the whole batch (``temps``:
        their ``StagedFile.temp`` names)."""
        if not temps:
            return
        syncfs = _load_syncfs() if len(temps) >= SYNCFS_BATCH else None
        if syncfs is not None:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if syncfs(fd) == 0:  # type: ignore[operator]
                    return
            finally:
                os.close(fd)
        paths = [f"{self.temp}/{temp}" for temp in temps]
        _fdatasync_all(paths, min(SYNC_THREADS, len(paths)))

    def sync_folders(self) -> None:
        """fsync the folders whose entries changed, so renames survive a power cut in order."""
        for directory in sorted(self._unsynced):
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._unsynced.clear()

    def matches_record(self, relative: str, size: int, mtime_ns: int) -> bool:
        """Whether the file is still the one the last publish wrote (a ``stat``, no read)."""
        try:
            info = os.lstat(f"{self.root}/{relative}")
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and info.st_size == size and info.st_mtime_ns == mtime_ns

    def names(self) -> set[str]:
        """The relative path of everything in the root and the managed folders: one ``scandir``
        a folder, where a rebuild would ``stat`` each of its files (most are new)."""
        found: set[str] = set()
        for name in ("", *(folder for folder in MANAGED_FOLDERS if folder != TEMP_FOLDER)):
            try:
                with os.scandir(f"{self.root}/{name}" if name else self.root) as entries:
                    found.update(f"{name}/{e.name}" if name else e.name for e in entries)
            except (FileNotFoundError, NotADirectoryError):
                continue
        return found

    def holding(self, relative: str, content: bytes) -> FileStat | None:
        """The file's size and mtime when it already has exactly these bytes, else None.

        A ``--force`` asks this of every file, so it is one ``open``, ``fstat`` and ``read``:
        no symlink is followed, and a FIFO or device opens without blocking and is not regular.
        """
        found = self._read_regular(relative, len(content))
        if found is None or found[0] != content:
            return None
        return found[1]

    def read_recorded(self, relative: str, size: int) -> bytes | None:
        """The bytes of a regular file of ``size`` bytes (the caller checks them against its
        record's hash), or None: no such file, another size, or not a regular file."""
        found = self._read_regular(relative, size)
        return None if found is None else found[0]

    def _read_regular(self, relative: str, size: int) -> tuple[bytes, FileStat] | None:
        """The bytes and stat of a regular file of exactly ``size`` bytes, else None."""
        try:
            fd = os.open(f"{self.root}/{relative}", _READ_FLAGS)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size != size:
                return None
            content = os.read(fd, size + 1)  # a short or long read: rewritten meanwhile
            if len(content) != size:
                return None
            return content, FileStat(info.st_size, info.st_mtime_ns)
        except OSError:
            return None
        finally:
            os.close(fd)

    def stat(self, relative: str) -> FileStat:
        info = (self.root / relative).lstat()
        return FileStat(info.st_size, info.st_mtime_ns)

    def _ensure_directory(self, directory: Path) -> None:
        if directory.is_symlink():
            raise UnsafeOutputError(f"refusing to publish: {directory} is a symlink")
        if directory.is_dir():
            return
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(DIRECTORY_MODE)  # the umask may have narrowed it
        self._unsynced.add(str(directory.parent))


def _fdatasync_all(paths: list[str], threads: int) -> None:
    """fdatasync every file, ``threads`` at a time; the first error is raised once all are done.

    Plain threads rather than ``concurrent.futures``, whose import (with ``logging``) costs every
    editor command more than the few threads do."""
    errors: list[OSError] = []

    def sync_every(share: list[str]) -> None:
        for path in share:
            try:
                _fdatasync(path)
            except OSError as error:
                errors.append(error)

    workers = [
        threading.Thread(target=sync_every, args=(paths[i::threads],)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


def _fdatasync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)
