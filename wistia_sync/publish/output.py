"""The output folder: batched durable writes, the managed layout, and nothing else ever touched.

A batch is written as temp files in a dot-folder (``.wistia-sync-tmp``, denied by the web server
like every dot-file) and made durable in one step: one ``syncfs`` for a large batch (a rebuild),
parallel ``fdatasync`` of just those files for a small one (an editor's change: a ``syncfs``
would also wait for every other process's dirty data on a shared disk). Then the files are
renamed into place stage by stage, each stage's folders fsynced before the next: a file is in
place only after everything it links to. Only paths a publish recorded are
ever removed, and a managed folder that is a symlink is refused.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from wistia_sync.errors import ConfigError
from wistia_sync.publish.layout import MANAGED_FOLDERS, TEMP_FOLDER

log = logging.getLogger(__name__)

FILE_MODE = 0o644  # world-readable: whatever serves the folder runs as another user
DIRECTORY_MODE = 0o755
SYNCFS_BATCH = 256  # from this many files, one syncfs beats a fdatasync per file
SYNC_THREADS = 8


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


class OutputFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp = root / TEMP_FOLDER
        self._unsynced: set[Path] = set()  # folders whose entries changed since the last sync
        self._ready: set[str] = set()  # folders known to exist and not to be symlinks

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
        """Create the folders, and empty the temp folder an interrupted publish left."""
        self.check_layout()
        self._ensure_directory(self.root)
        self._ensure_directory(self.temp)
        with os.scandir(self.temp) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                    log.info("removing %s, left by an interrupted publish", entry.path)
                    Path(entry.path).unlink(missing_ok=True)

    def stage(self, relative: str, content: bytes) -> Path:
        """Write ``content`` to a temp file (not yet durable, not yet in place)."""
        # Plain strings, not Path arithmetic: a rebuild stages a file per video.
        name = relative.rsplit("/", 1)[-1]
        temp_name = f"{self.temp}/{secrets.token_hex(8)}.{name}"
        temp = Path(temp_name)
        fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)  # the umask may have narrowed it
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return temp

    def place(self, relative: str, temp: Path) -> os.stat_result:
        """Rename the temp file over the target: readers see the old bytes or the new."""
        folder, _, _ = relative.rpartition("/")
        parent = self.root / folder if folder else self.root
        if folder not in self._ready:
            self._ensure_directory(parent)
            self._ready.add(folder)
        target = f"{self.root}/{relative}"
        temp.replace(target)
        self._unsynced.add(parent)
        return os.lstat(target)

    def discard(self, temp: Path) -> None:
        temp.unlink(missing_ok=True)

    def remove(self, relative: str) -> None:
        path = self.root / relative
        path.unlink(missing_ok=True)
        self._unsynced.add(path.parent)

    def make_durable(self, temps: Iterable[Path]) -> None:
        """The staged files' bytes reach the disk, in one step for the whole batch."""
        paths = list(temps)
        if not paths:
            return
        syncfs = _load_syncfs() if len(paths) >= SYNCFS_BATCH else None
        if syncfs is not None:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if syncfs(fd) == 0:  # type: ignore[operator]
                    return
            finally:
                os.close(fd)
        with ThreadPoolExecutor(min(SYNC_THREADS, len(paths))) as pool:
            list(pool.map(_fdatasync, paths))

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
            info = (self.root / relative).lstat()
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and info.st_size == size and info.st_mtime_ns == mtime_ns

    def holds_bytes(self, relative: str, content: bytes) -> bool:
        """Whether the file on disk already has exactly these bytes."""
        path = self.root / relative
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size != len(content):
                return False
            return path.read_bytes() == content
        except OSError:
            return False

    def stat(self, relative: str) -> os.stat_result:
        return (self.root / relative).lstat()

    def _ensure_directory(self, directory: Path) -> None:
        if directory.is_symlink():
            raise UnsafeOutputError(f"refusing to publish: {directory} is a symlink")
        if directory.is_dir():
            return
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(DIRECTORY_MODE)  # the umask may have narrowed it
        self._unsynced.add(directory.parent)


def _fdatasync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)
