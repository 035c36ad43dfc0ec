"""The last publish's file records (``published_files`` rows), held compactly.

A rebuild reads every record at once (345k at 300k videos) and holds them to its end. As a
``FileRecord`` and a hex digest each they took ~300 bytes a file (104 MB at 300k); here a record
is its path and one bytes object (the raw digest, the size and the mtime: ~80 bytes), and the
``FileRecord`` is made when it is asked for. A record that does not pack (a digest that is not
64 lowercase hex digits, a number out of range) is held as it was read, so nothing read changes.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator, MutableMapping

_LAYOUT = struct.Struct("<32sqq")  # digest, size, mtime_ns
_HEX_DIGITS = 64


class FileRecord:
    __slots__ = ("expires_at", "mtime_ns", "sha256", "size")

    def __init__(self, sha256: str, size: int, mtime_ns: int, expires_at: str | None) -> None:
        self.sha256 = sha256
        self.size = size
        self.mtime_ns = mtime_ns
        self.expires_at = expires_at


class FileRecords(MutableMapping[str, FileRecord]):
    """path -> ``FileRecord``, in the order the records were added."""

    __slots__ = ("_expiring", "_numbers", "_others", "_packed")

    def __init__(self) -> None:
        self._packed: dict[str, bytes] = {}
        self._expiring: dict[str, str] = {}  # of the packed records: the few that expire
        self._others: dict[str, FileRecord] = {}  # records that do not pack
        # One int a size or mtime, however many records made at once share it (a publish stamps
        # all its files with one mtime).
        self._numbers: dict[int, int] = {}

    def add(self, path: str, sha256: str, size: int, mtime_ns: int, expires_at: str | None) -> None:
        """Hold the record of ``path`` (replacing any held)."""
        packed = _pack(sha256, size, mtime_ns)
        if packed is None:
            self._discard(path)
            self._others[path] = FileRecord(sha256, size, mtime_ns, expires_at)
            return
        if self._others:
            self._others.pop(path, None)
        self._packed[path] = packed
        if expires_at is not None:
            self._expiring[path] = expires_at
        elif self._expiring:
            self._expiring.pop(path, None)

    def get(self, path: str, default: FileRecord | None = None) -> FileRecord | None:  # type: ignore[override]
        packed = self._packed.get(path)
        if packed is None:
            return self._others.get(path, default)
        digest, size, mtime_ns = _LAYOUT.unpack(packed)
        share = self._numbers.setdefault
        return FileRecord(
            digest.hex(), share(size, size), share(mtime_ns, mtime_ns), self._expiring.get(path)
        )

    def __getitem__(self, path: str) -> FileRecord:
        record = self.get(path)
        if record is None:
            raise KeyError(path)
        return record

    def __contains__(self, path: object) -> bool:
        return path in self._packed or path in self._others

    def __setitem__(self, path: str, record: FileRecord) -> None:
        self._discard(path)
        self.add(path, record.sha256, record.size, record.mtime_ns, record.expires_at)

    def __delitem__(self, path: str) -> None:
        if path not in self:
            raise KeyError(path)
        self._discard(path)

    def _discard(self, path: str) -> None:
        self._packed.pop(path, None)
        self._expiring.pop(path, None)
        self._others.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        return itertools.chain(self._packed, self._others)

    def __len__(self) -> int:
        return len(self._packed) + len(self._others)


def _pack(sha256: str, size: int, mtime_ns: int) -> bytes | None:
    if not (isinstance(sha256, str) and len(sha256) == _HEX_DIGITS):
        return None
    if not (isinstance(size, int) and isinstance(mtime_ns, int)):
        return None
    try:
        digest = bytes.fromhex(sha256)
        packed = _LAYOUT.pack(digest, size, mtime_ns)
    except (ValueError, struct.error):
        return None
    if digest.hex() != sha256:  # upper case: it would not read back the same
        return None
    return packed
