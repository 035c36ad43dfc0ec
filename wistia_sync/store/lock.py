"""OS file locks (``flock``): released by the kernel when their process dies, even by ``kill -9``.

A lock file also records since when it is held, so a process that finds it taken can say so.
The file is never truncated by a waiter, only rewritten by the holder.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from wistia_sync.errors import ConfigError, LockHeld, WistiaSyncError


def run_lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".run.lock")


def publish_lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".publish.lock")


def deliver_lock_path(db_path: Path, target: str) -> Path:
    """The lock serialising deliveries to one target (one file per target, beside the database)."""
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return db_path.with_name(f"{db_path.name}.deliver-{digest}.lock")


_POLL_SECONDS = 0.1


@contextmanager
def hold_lock(path: Path, *, wait: bool, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock at ``path``; with ``wait=False`` raise ``LockHeld`` at once if taken, with
    a ``timeout`` once it has been taken for that many seconds."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise _lock_file_error(error, path) from None
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait and deadline is None else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if not wait or deadline is None or time.monotonic() >= deadline:
                    raise LockHeld(_held_message(path, fd, waited=timeout)) from None
                time.sleep(_POLL_SECONDS)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {datetime.now(UTC).isoformat()}\n".encode(), 0)
        except OSError as error:
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise _lock_file_error(error, path) from None
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


STUCK_AFTER_SECONDS = 3600


def _held_message(path: Path, fd: int, *, waited: float | None = None) -> str:
    fields = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    ending = "not starting" if waited is None else f"gave up after waiting {waited:g} s"
    try:
        pid, since = fields[0], datetime.fromisoformat(fields[1])
    except (IndexError, ValueError):
        return f"another wistia-sync holds {path}; {ending}"
    held = (datetime.now(UTC) - since).total_seconds()
    message = (
        f"another wistia-sync (pid {pid}) holds {path} since "
        f"{since.strftime('%Y-%m-%d %H:%M:%S')} UTC ({_duration(held)}); {ending}"
    )
    if held > STUCK_AFTER_SECONDS:
        message = f"WARNING: a run may be stuck: {message}; check pid {pid}"
    return message


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _lock_file_error(error: OSError, path: Path) -> WistiaSyncError:
    """One line saying what is wrong with the lock file (it lives beside the database)."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return WistiaSyncError(
            f"no space left on the disk holding {path.parent} (writing the lock file {path}); "
            "free some space: nothing was changed"
        )
    if error.errno == errno.ENOENT:
        return ConfigError(
            f"cannot create the lock file {path}: the folder {path.parent} does not exist"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ConfigError(
            f"cannot create the lock file {path}: {error.strerror}; make the folder "
            f"{path.parent} writable"
        )
    return WistiaSyncError(f"cannot use the lock file {path}: {error.strerror or error}")
