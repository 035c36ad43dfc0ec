"""``files.json``: the publisher's list of every file it wrote, what delivery diffs and verifies.

The list is sharded so that an edit rewrites a few small files, whatever the catalog's size.
``files.json`` (at the output root, written after ``manifest.json``) is a small index:
``{"schema_version": 2, "generation": "<id>", "count": N, "shards": [{"url": "files/<hash>.json",
"first": "<key>", "count": n, "sha256": "<hex>", "bytes": b}, …]}``. The files are ordered by a sort
key: a file's path, but a search file's, ``search/<kind><place>/<name>`` (``t`` a term shard and the
video number its postings start at, ``r`` a record block and its block, ``l`` a record list and its
list, the place in 6 or more hex digits: ``layout.search_file_key``), so the file that replaces one
sorts beside it. Each shard is an immutable, content-addressed file holding the entries of one
stable slice of keys (from ``first``, its first file's key, to the next shard's ``first``):
``{"schema_version": 2, "files": {"<path>": {"sha256", "bytes", "cache"}}}``, in key order. Two
lists that name the same shard hold the same entries for that slice, so a diff reads only the shards
the two indexes do not share. A reader looking a path up by its slice (``shards_covering``) cannot
tell a search file's place from its name: for a search file it reads the slice of the path and those
of the search files' keys. An earlier release ordered the list by path: that is the same order with
every key a path, read the same way. The list never names itself or its shards. In a larger site the
index is a tree: ``shards`` is empty and ``"shard_lists": [{"url": "shard-lists/<hash>.json",
"first", "count", "shards", "sha256", "bytes"}, …]`` lists chunks, each an immutable file that lists
either shards (``{"schema_version": 2, "shards": […]}``, links ``../files/<hash>.json``) or further
chunks (``{"schema_version": 2, "shard_lists": […]}``, links ``<hash>.json`` beside it); the shards
are those of ``shards``, then of each chunk in order, depth first. The older forms (the first
chunk's shards inline beside ``shard_lists``; no ``shard_lists``; one ``files`` object inline in
``files.json``) are still read.

A remote target keeps the copy the last delivery uploaded, so the next delivery diffs two file
lists instead of listing a bucket. Both copies are read as untrusted input: a path that could
escape the folder or the bucket prefix, or a malformed entry, refuses the whole list.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wistia_sync.contract.layout import (
    CACHE_CLASSES,
    FILES_PATH,
    SAFE_PATH,
    SEARCH_KEYS_HIGH,
    SEARCH_KEYS_LOW,
    SEARCH_SHARD_PATH,
    SHARD_LIST_FOLDER,
    SHARD_LIST_PATH,
    SHARD_PATH,
    CacheClass,
    is_list_file,
)
from wistia_sync.errors import WistiaSyncError

SCHEMA_VERSION = 2
_SHA256 = re.compile(r"[0-9a-f]{64}")
_GENERATION = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_FILES_JSON_BYTES = 512 * 1024 * 1024


class FileListError(WistiaSyncError):
    """A files.json that is missing, unreadable or not in the agreed shape."""


class FileListReplaced(FileListError):
    """A shard the index named is gone: a publish replaced the list meanwhile (read it again)."""


LIST_READ_ATTEMPTS = 3
# How deep a tree of chunks may go: 16 links a chunk reach 16**8 shards, far past any catalog.
MAX_LIST_DEPTH = 8


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


@dataclass(frozen=True)
class ShardRef:
    """One shard as the index lists it: where it is, what it must hash to, how many entries."""

    path: str
    first: str
    count: int
    sha256: str
    bytes: int

    def as_entry(self) -> FileEntry:
        """The shard as a file to upload (immutable: its name is its content hash)."""
        return FileEntry(path=self.path, sha256=self.sha256, bytes=self.bytes, cache="immutable")


@dataclass(frozen=True)
class ListRef(ShardRef):
    """One chunk of the index's list of shards: ``count`` files in ``shards`` shards."""

    shards: int = 0


@dataclass(frozen=True)
class Subtree:
    """What one chunk of the index leads to: its shards and the chunks below it, in order."""

    shards: tuple[ShardRef, ...]
    lists: tuple[ListRef, ...] = ()


@dataclass(frozen=True)
class FileIndex:
    """A parsed ``files.json``: its shards, or (the oldest form) its entries inline.

    ``lists`` are the chunks of the index's tree; until ``expand_index`` has read them,
    ``shards`` holds only the shards inline in ``files.json`` and ``lists`` only the chunks it
    names (``expanded`` is False); after, every shard and every chunk at every level, in order.
    """

    generation: str
    count: int
    shards: tuple[ShardRef, ...]
    inline: dict[str, FileEntry] | None = None
    lists: tuple[ListRef, ...] = ()
    expanded: bool = True
    subtrees: Mapping[str, Subtree] = field(default_factory=dict)


def _load_json(raw: bytes, source: str) -> dict[str, Any]:
    if len(raw) > MAX_FILES_JSON_BYTES:
        raise FileListError(f"{source} is larger than {MAX_FILES_JSON_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileListError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise FileListError(f"{source} is not a schema_version {SCHEMA_VERSION} file list")
    return data


def parse_file_index(raw: bytes, source: str) -> FileIndex:
    """Parse and validate the bytes of a files.json; ``source`` names it in errors."""
    data = _load_json(raw, source)
    generation = data.get("generation")
    if not isinstance(generation, str) or not _GENERATION.fullmatch(generation):
        raise FileListError(f"{source} has no valid generation")
    if "shards" not in data:
        inline = _entries(data, source)
        return FileIndex(generation, len(inline), (), inline)
    shards = data["shards"]
    if not isinstance(shards, list):
        raise FileListError(f"{source} has no shards list")
    refs = tuple(_shard_ref(value, source) for value in shards)
    lists_value = data.get("shard_lists", [])
    if not isinstance(lists_value, list):
        raise FileListError(f"{source} has no valid shard_lists")
    lists = tuple(_list_ref(value, source) for value in lists_value)
    paths = [ref.path for ref in [*refs, *lists]]
    if len(set(paths)) != len(paths):
        raise FileListError(f"{source} lists a shard twice")
    count = data.get("count")
    if count != sum(ref.count for ref in [*refs, *lists]):
        raise FileListError(f"{source}: count does not match its shards")
    return FileIndex(generation, count, refs, lists=lists, expanded=not lists)


def expand_index(
    index: FileIndex,
    read_chunk: Callable[[ShardRef], bytes],
    source: str,
    known: Mapping[str, Subtree] | None = None,
) -> FileIndex:
    """``index`` with every shard and chunk, its chunks read depth first (``known``: chunks
    already read, by path; a chunk is named by its content hash, so one of the same name leads
    to the same shards)."""
    if index.expanded:
        return index
    found: dict[str, Subtree] = {}
    shards, lists = list(index.shards), []
    for chunk in index.lists:
        below = _subtree(chunk, read_chunk, f"{source} → {chunk.path}", known or {}, found, 1)
        shards += below.shards
        lists += [chunk, *below.lists]
    if len({ref.path for ref in [*shards, *lists]}) != len(shards) + len(lists):
        raise FileListError(f"{source} lists a shard twice")
    return FileIndex(
        index.generation, index.count, tuple(shards), lists=tuple(lists), subtrees=found
    )


def _subtree(
    chunk: ListRef,
    read_chunk: Callable[[ShardRef], bytes],
    source: str,
    known: Mapping[str, Subtree],
    found: dict[str, Subtree],
    depth: int,
) -> Subtree:
    """What ``chunk`` leads to, checked against what its parent says of it."""
    below = known.get(chunk.path)
    if below is None:
        if depth > MAX_LIST_DEPTH:
            raise FileListError(f"{source}: the index is deeper than {MAX_LIST_DEPTH} levels")
        raw = read_chunk(chunk)
        if len(raw) != chunk.bytes or hashlib.sha256(raw).hexdigest() != chunk.sha256:
            raise FileListError(f"{source} is not the chunk its files.json lists")
        data = _load_json(raw, source)
        if "shard_lists" in data:
            below = _chunk_of_chunks(data, chunk, read_chunk, source, known, found, depth)
        else:
            below = Subtree(_chunk_shards(data, chunk, source))
    found[chunk.path] = below
    return below


def _chunk_of_chunks(
    data: dict[str, Any],
    chunk: ListRef,
    read_chunk: Callable[[ShardRef], bytes],
    source: str,
    known: Mapping[str, Subtree],
    found: dict[str, Subtree],
    depth: int,
) -> Subtree:
    values = data["shard_lists"]
    if not isinstance(values, list) or not values:
        raise FileListError(f"{source} has no valid shard_lists")
    refs = [_list_ref(value, source, in_chunk=True) for value in values]
    if sum(ref.shards for ref in refs) != chunk.shards or sum(r.count for r in refs) != chunk.count:
        raise FileListError(f"{source} does not hold what its files.json says")
    if refs[0].first != chunk.first:
        raise FileListError(f"{source} does not start where its files.json says")
    shards: list[ShardRef] = []
    lists: list[ListRef] = []
    for ref in refs:
        below = _subtree(ref, read_chunk, f"{source} → {ref.path}", known, found, depth + 1)
        shards += below.shards
        lists += [ref, *below.lists]
    return Subtree(tuple(shards), tuple(lists))


def _chunk_shards(data: dict[str, Any], chunk: ListRef, source: str) -> tuple[ShardRef, ...]:
    values = data.get("shards")
    if not isinstance(values, list):
        raise FileListError(f"{source} has no shards list")
    refs = tuple(_shard_ref(value, source, in_chunk=True) for value in values)
    if len(refs) != chunk.shards or sum(ref.count for ref in refs) != chunk.count:
        raise FileListError(f"{source} does not hold what its files.json says")
    if refs and refs[0].first != chunk.first:
        raise FileListError(f"{source} does not start where its files.json says")
    return refs


def _list_ref(value: Any, source: str, *, in_chunk: bool = False) -> ListRef:
    """A chunk as its parent lists it; in a chunk its link is the name beside it."""
    if not isinstance(value, dict):
        raise FileListError(f"{source}: a shard list is not an object")
    url = value.get("url")
    if in_chunk and isinstance(url, str):
        url = f"{SHARD_LIST_FOLDER}/{url}" if "/" not in url else None
    if not isinstance(url, str) or not SHARD_LIST_PATH.fullmatch(url):
        raise FileListError(f"{source} lists an unsafe shard list {str(url)[:200]!r}")
    first, count, digest, size = _ref_fields(value, url, source)
    shards = value.get("shards")
    if not _is_count(shards):
        raise FileListError(f"{source}: shard list {url} has no valid shard count")
    assert isinstance(shards, int)
    return ListRef(url, first, count, digest, size, shards)


def _shard_ref(value: Any, source: str, *, in_chunk: bool = False) -> ShardRef:
    """A shard as the index lists it; in a chunk its link is relative to the chunk."""
    if not isinstance(value, dict):
        raise FileListError(f"{source}: a shard is not an object")
    url = value.get("url")
    if in_chunk and isinstance(url, str):
        url = url[3:] if url.startswith("../") else None
    if not isinstance(url, str) or not SHARD_PATH.fullmatch(url):
        raise FileListError(f"{source} lists an unsafe shard {str(url)[:200]!r}")
    return ShardRef(url, *_ref_fields(value, url, source))


def _ref_fields(value: dict[str, Any], url: str, source: str) -> tuple[str, int, str, int]:
    """The first path, count, sha256 and size of a shard or chunk the index lists."""
    first, count = value.get("first"), value.get("count")
    digest, size = value.get("sha256"), value.get("bytes")
    if not isinstance(first, str) or (first and not SAFE_PATH.fullmatch(first)):
        raise FileListError(f"{source}: shard {url} has no valid first path")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise FileListError(f"{source}: shard {url} has no valid sha256")
    if not (_is_count(count) and _is_count(size)):
        raise FileListError(f"{source}: shard {url} has no valid count or size")
    assert isinstance(count, int) and isinstance(size, int)
    return first, count, digest, size


def shards_covering(
    ordered: Sequence[ShardRef], path: str, firsts: Sequence[str] | None = None
) -> list[ShardRef]:
    """The shards of ``ordered`` (every shard of an index, in key order; ``firsts``: their
    ``first``s, when the caller holds them) that may list ``path``: the one whose slice holds
    the path as a key, and, for a search file (keyed by its kind and place), each whose slice
    meets the search files' keys."""
    if not ordered:
        return []
    if firsts is None:
        firsts = [ref.first for ref in ordered]
    found = [ordered[max(bisect.bisect_right(firsts, path) - 1, 0)]]
    if SEARCH_SHARD_PATH.fullmatch(path):
        low = max(bisect.bisect_right(firsts, SEARCH_KEYS_LOW) - 1, 0)
        high = bisect.bisect_left(firsts, SEARCH_KEYS_HIGH)
        found += [ref for ref in ordered[low:high] if ref is not found[0]]
    return found


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_shard(raw: bytes, ref: ShardRef, source: str) -> dict[str, FileEntry]:
    """The entries of one shard, checked against what the index says of it."""
    if len(raw) != ref.bytes or hashlib.sha256(raw).hexdigest() != ref.sha256:
        raise FileListError(f"{source} is not the shard its files.json lists")
    entries = _entries(_load_json(raw, source), source)
    if len(entries) != ref.count:
        raise FileListError(f"{source} holds {len(entries)} entries, not {ref.count}")
    return entries


def _entries(data: dict[str, Any], source: str) -> dict[str, FileEntry]:
    files = data.get("files")
    if not isinstance(files, dict):
        raise FileListError(f"{source} has no files object")
    return {path: _entry(path, value, source) for path, value in files.items()}


def entries_of(
    index: FileIndex,
    shards: Iterable[ShardRef],
    read_shard: Callable[[ShardRef], bytes],
    source: str,
) -> dict[str, FileEntry]:
    """The entries of the given shards of ``index`` (all of an inline list)."""
    if index.inline is not None:
        return dict(index.inline)
    found: dict[str, FileEntry] = {}
    for ref in shards:
        found.update(parse_shard(read_shard(ref), ref, f"{source} → {ref.path}"))
    return found


def _entry(path: str, value: Any, source: str) -> FileEntry:
    if (
        not SAFE_PATH.fullmatch(path)
        or path == FILES_PATH
        or is_list_file(path)
        or ".." in path.split("/")
    ):
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


def read_local_index(output_dir: Path) -> tuple[FileIndex, bytes]:
    """The output folder's files.json (the index, its chunks read), with its exact bytes."""
    where = output_dir / FILES_PATH
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise FileListError(
            f"{where} does not exist: publish to {output_dir} first (wistia-sync publish)"
        ) from None
    except OSError as error:
        raise FileListError(f"cannot read {where}: {error.strerror or error}") from None
    index = parse_file_index(raw, str(where))
    return expand_index(index, local_shard_reader(output_dir), str(where)), raw


def local_shard_reader(output_dir: Path) -> Callable[[ShardRef], bytes]:
    def read(ref: ShardRef) -> bytes:
        try:
            return (output_dir / ref.path).read_bytes()
        except FileNotFoundError:
            raise FileListReplaced(
                f"{output_dir / ref.path} is gone: a publish replaced the file list; run again"
            ) from None
        except OSError as error:
            raise FileListError(
                f"cannot read {output_dir / ref.path}: {error.strerror or error} (a publish "
                "replaced the list meanwhile? run again)"
            ) from None

    return read


def read_local_file_list(output_dir: Path) -> tuple[FileList, bytes]:
    """The output folder's whole file list, parsed, with the index's exact bytes."""
    source = str(output_dir / FILES_PATH)
    for attempt in range(LIST_READ_ATTEMPTS):
        try:
            index, raw = read_local_index(output_dir)
            entries = entries_of(index, index.shards, local_shard_reader(output_dir), source)
        except FileListReplaced:
            if attempt == LIST_READ_ATTEMPTS - 1:
                raise
            continue
        return FileList(index.generation, entries), raw
    raise AssertionError("unreachable")
