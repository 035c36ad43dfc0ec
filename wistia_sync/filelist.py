"""``files.json``: the publisher's list of every file it wrote, what delivery diffs and verifies.

The publisher writes it at the output root after ``manifest.json``:
``{"schema_version": 2, "generation": "<id>", "files": {"<path>": {"sha256", "bytes", "cache"}}}``.
A remote target keeps the copy the last delivery uploaded, so the next delivery diffs two file
lists instead of listing a bucket. Both copies are read as untrusted input: a path that could
escape the folder or the bucket prefix, or a malformed entry, refuses the whole list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wistia_sync.errors import WistiaSyncError

FILES_PATH = "files.json"
MANIFEST_PATH = "manifest.json"
SCHEMA_VERSION = 2
CacheClass = Literal["immutable", "entry"]
CACHE_CLASSES: tuple[CacheClass, ...] = ("immutable", "entry")

# Relative, slash-separated, no empty, dot-leading ("..", ".tmp") or odd-character segments.
SAFE_PATH = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,199}){0,7}"
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GENERATION = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_FILES_JSON_BYTES = 512 * 1024 * 1024
IMMUTABLE_PREFIX = "pages/"


class FileListError(WistiaSyncError):
    """A files.json that is missing, unreadable or not in the agreed shape."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    bytes: int
    cache: CacheClass


@dataclass(frozen=True)
class FileList:
    generation: str
    files: dict[str, FileEntry]

    def entry_paths(self) -> list[str]:
        return sorted(p for p, f in self.files.items() if f.cache == "entry")


def cache_class_of(path: str) -> CacheClass:
    """The cache class the contract gives a path (for paths no file list holds any more)."""
    return "immutable" if path.startswith(IMMUTABLE_PREFIX) else "entry"


def parse_file_list(raw: bytes, source: str) -> FileList:
    """Parse and validate the bytes of a files.json; ``source`` names it in errors."""
    if len(raw) > MAX_FILES_JSON_BYTES:
        raise FileListError(f"{source} is larger than {MAX_FILES_JSON_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileListError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise FileListError(f"{source} is not a schema_version {SCHEMA_VERSION} file list")
    generation = data.get("generation")
    files = data.get("files")
    if not isinstance(generation, str) or not _GENERATION.fullmatch(generation):
        raise FileListError(f"{source} has no valid generation")
    if not isinstance(files, dict):
        raise FileListError(f"{source} has no files object")
    entries = {path: _entry(path, value, source) for path, value in files.items()}
    return FileList(generation=generation, files=entries)


def _entry(path: str, value: Any, source: str) -> FileEntry:
    if not SAFE_PATH.fullmatch(path) or path == FILES_PATH or ".." in path.split("/"):
        raise FileListError(f"{source} lists an unsafe path {path[:200]!r}")
    if not isinstance(value, dict):
        raise FileListError(f"{source}: entry {path} is not an object")
    sha256, size, cache = value.get("sha256"), value.get("bytes"), value.get("cache")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise FileListError(f"{source}: entry {path} has no valid sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise FileListError(f"{source}: entry {path} has no valid size")
    if cache not in CACHE_CLASSES:
        raise FileListError(f"{source}: entry {path} has an unknown cache class {cache!r}")
    return FileEntry(path=path, sha256=sha256, bytes=size, cache=cache)


def read_local_file_list(output_dir: Path) -> tuple[FileList, bytes]:
    """The output folder's files.json, parsed, with its exact bytes (to upload as they are)."""
    where = output_dir / FILES_PATH
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise FileListError(
            f"{where} does not exist: publish to {output_dir} first (wistia-sync publish)"
        ) from None
    except OSError as error:
        raise FileListError(f"cannot read {where}: {error.strerror or error}") from None
    return parse_file_list(raw, str(where)), raw
