"""What the reliability scenarios share: running the CLI as cron does, and checking what held.

- ``Workspace`` runs ``wistia-sync`` in a subprocess, configured only through the environment
  (``WISTIA_API_URL``, ``WISTIA_API_TOKEN``, ``WISTIA_SYNC_DB``, ``WISTIA_SYNC_OUTPUT``), against a
  fake Wistia server on 127.0.0.1, with short HTTP timeouts and backoff so faults cost little time.
- ``output_problems`` reads every file of an output folder the way a CDN client would and lists
  what is wrong with it: unparsable or truncated JSON, a file breaking its schema, a manifest entry
  whose file is missing (or, once converged, whose sha256/bytes differ), a link to no file, an
  ``index.html`` that is not exactly the preview template's output.
- ``mirror_problems`` compares the database with the fake account, field by field.
- ``EditorBook`` makes editor changes and remembers them, so a test can count lost ones.
- ``Ledger`` appends what a scenario injected and what held to the file named by
  ``WISTIA_SYNC_RELIABILITY_LOG``; ``scripts/reliability_report.py`` builds docs/reliability.md
  from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest

from tests.support.previewpage import preview_page_problem
from wistia_sync.contract.layout import is_list_file
from wistia_sync.demo.api import FakeWistia

LEDGER_ENV = "WISTIA_SYNC_RELIABILITY_LOG"
HTTP_TIMEOUT_SECONDS = "0.5"  # the client's per-request timeout in these tests
HTTP_BACKOFF_SECONDS = "0.02"  # the first retry's backoff ceiling (doubles, capped)
CLI_TIMEOUT_SECONDS = 90.0  # no CLI run in these tests may take longer: a hang is a failure

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FOLDER = REPO / "docs" / "schema"
ACTOR = "reliability-test"

# A published file's name: no dot first, no separator, nothing but safe ASCII; every one is JSON
# but the preview page at the root.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\.json")
PREVIEW_PAGE = "index.html"
SEARCH_CLIENT = "search.js"  # the package's search client, published as it ships (issue 21)
# What an interrupted atomic write may leave behind: a dot-named temp file (never served).
TEMP_NAME = re.compile(
    r"\.wistia-sync-tmp/[0-9a-f]{16}\.(?:[A-Za-z0-9][A-Za-z0-9.-]*\.(?:json|xml|html)|index\.html)"
)
# The publisher's clock: an empty file whose mtime is the last publish's stamp. It stays, like
# the temp folder holding it, and is bookkeeping, not output: left out of every comparison.
CLOCK_FILE = ".wistia-sync-tmp/mtime-clock"


# -- running the CLI ----------------------------------------------------------------------------


def cli_command() -> list[str]:
    """The installed entry point next to this interpreter (what cron calls), else ``-m``."""
    entry_point = Path(sys.executable).with_name("wistia-sync")
    if entry_point.exists():
        return [str(entry_point)]
    return [sys.executable, "-m", "wistia_sync"]


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (
            f"wistia-sync {' '.join(self.args)} -> {self.returncode} in {self.seconds:.2f} s\n"
            f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}"
        )


def failure_problems(result: CliResult) -> list[str]:
    """What is wrong with how a failing command failed: it must say why in one clear line."""
    problems = []
    if result.returncode == 0:
        problems.append("exited 0")
    if "Traceback" in result.output:
        problems.append("printed a traceback")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    if len(errors) != 1:
        problems.append(f"printed {len(errors)} 'error:' lines instead of one")
    elif len(errors[0]) < len("error: ") + 15:
        problems.append(f"the error line says too little: {errors[0]!r}")
    return problems


@dataclass
class Workspace:
    """One cron installation: a database, an output folder, a token, and the API they use."""

    root: Path
    api_url: str
    token: str

    @property
    def db(self) -> Path:
        return self.root / "wistia.db"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("WISTIA_")}
        env.update(
            WISTIA_API_URL=self.api_url,
            WISTIA_API_TOKEN=self.token,
            WISTIA_SYNC_DB=str(self.db),
            WISTIA_SYNC_OUTPUT=str(self.output),
            WISTIA_SYNC_HTTP_TIMEOUT=HTTP_TIMEOUT_SECONDS,
            WISTIA_SYNC_HTTP_BACKOFF=HTTP_BACKOFF_SECONDS,
            WISTIA_SYNC_ACTOR=ACTOR,
            COLUMNS="200",
        )
        env.update(extra or {})
        return env

    def cli(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        umask: int | None = None,
        stdin: str | None = None,
        timeout: float = CLI_TIMEOUT_SECONDS,
    ) -> CliResult:
        """Run ``wistia-sync ARGS`` to completion, as cron would (no terminal, no stdin)."""
        started = time.monotonic()
        completed = subprocess.run(
            [*cli_command(), *args],
            env=self.env(env),
            cwd=self.root,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=None if umask is None else (lambda: os.umask(umask)),
            check=False,
        )
        return CliResult(
            tuple(args),
            completed.returncode,
            completed.stdout,
            completed.stderr,
            time.monotonic() - started,
        )

    def start(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        """Start ``wistia-sync ARGS`` in the background (stdout and stderr captured)."""
        return subprocess.Popen(
            [*cli_command(), *args],
            env=self.env(env),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def kill_hard(process: subprocess.Popen[str]) -> None:
    """``kill -9`` one process we started, and reap it."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


# -- the output folder --------------------------------------------------------------------------


def _schemas() -> dict[str, Any]:
    """The strict schemas (unknown fields refused): the project validates its own files strictly."""
    from wistia_sync.contract.schemas import export_schemas

    return export_schemas(strict=True)


_VALIDATORS: dict[str, Any] = {}


def _validator(name: str) -> Any:
    if not _VALIDATORS:
        for schema_name, schema in _schemas().items():
            cls = jsonschema.validators.validator_for(schema)
            _VALIDATORS[schema_name] = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _VALIDATORS[name]


def schema_for(path: str) -> str | None:
    if path.startswith("schema/"):
        return None
    if path in ("manifest.json", "files.json", "tags.json", "folders.json"):
        return path.replace(".json", ".schema.json")
    if path.startswith("videos/"):
        return "video.schema.json"
    if path.startswith("pages/"):
        return "page.schema.json"
    if path.startswith("page-lists/"):
        return "page-list.schema.json"
    if path.startswith("shard-lists/"):
        return "files-shard-list.schema.json"
    if path.startswith("files/"):
        return "files-shard.schema.json"
    if path.startswith("slugs/"):
        return "slugs.schema.json"
    if path == "search/index.json":
        return "search-index.schema.json"
    if path.startswith("search/"):
        return "search-shard.schema.json"
    return "playlist.schema.json"


def output_files(out: Path) -> dict[str, bytes]:
    """Every regular file under ``out``, by output-relative path (dot-named ones included, but
    the publisher's clock)."""
    if not out.exists():
        return {}
    return {
        relative: path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
        and not path.is_symlink()
        and (relative := path.relative_to(out).as_posix()) != CLOCK_FILE
    }


@dataclass
class OutputCheck:
    files: int = 0  # data files read and checked
    problems: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return len(self.problems)


def output_problems(out: Path, *, converged: bool) -> OutputCheck:
    """Read every file as a CDN client would and list what is wrong.

    At any instant (``converged=False``, e.g. right after a ``kill -9``): every visible file is
    valid JSON that meets its schema, every file the manifest lists exists, and every
    ``url``/``next``/``prev`` leads to an existing file; dot-named temp files may remain.
    Once converged, also: no temp file, and the manifest lists exactly the data files, each with
    its true sha256 and size.
    """
    check = OutputCheck()
    files = output_files(out)
    visible = {path: data for path, data in files.items() if not _is_hidden(path)}
    for path in files.keys() - visible.keys():
        if not TEMP_NAME.fullmatch(path):
            check.problems.append(f"{path}: an unexpected hidden file")
        elif converged:
            check.problems.append(f"{path}: a temp file left behind after a complete publish")
    documents: dict[str, Any] = {}
    for path, data in visible.items():
        if path == ".gitignore":
            continue
        check.files += 1
        if path == PREVIEW_PAGE:  # the template's output exactly: it can hold no video
            problem = preview_page_problem(data)
            if problem:
                check.problems.append(f"{path}: {problem}")
            continue
        if path == SEARCH_CLIENT:  # the package's file exactly: it can hold no video
            if data != search_client_bytes():
                check.problems.append(f"{path}: not the package's search client")
            continue
        if is_seo_file(path):  # XML, HTML or JSON-LD for search engines (issue 22)
            problem, links = seo_file_problem(path, data)
            if problem:
                check.problems.append(f"{path}: {problem}")
            check.problems += [
                f"{path}: links to {link}, which does not exist"
                for link in links
                if link not in visible
            ]
            continue
        if path.startswith("captions/"):  # WebVTT, linked from its video's objects
            problem = caption_file_problem(path, data)
            if problem:
                check.problems.append(f"{path}: {problem}")
            continue
        name = path.rsplit("/", 1)[-1]
        if not SAFE_NAME.fullmatch(name) or path.count("/") > 1:
            check.problems.append(f"{path}: not a safe published file name")
        document, problem = _parse_and_validate(schema_for(path), data)
        if problem:
            check.problems.append(f"{path}: {problem}")
        if document is not None:
            documents[path] = document
    # An immutable file (a search file, a page-list chunk) no current entry file leads to is
    # kept for readers of an older entry (listed in files.json until its grace ends, like a page
    # no entry lists): no reader starting now reaches it, so its links are not checked (a
    # takedown removes at once what it links to, and pages go after their own grace).
    reachable = _reachable_immutable(visible)
    unreached = {path for path in visible if _is_retirable_list(path) and path not in reachable}
    for path, document in documents.items():
        if path in unreached:
            continue
        for link in _links(document):
            target = resolve_link(path, link)
            if target not in visible:
                check.problems.append(f"{path}: links to {link}, which does not exist")
        if path.startswith("videos/"):  # a caption's url is relative to the site's root
            check.problems += [
                f"{path}: links to caption file {url}, which does not exist"
                for url in _caption_urls(document)
                if url not in visible
            ]
    listing = documents.get("files.json")
    if isinstance(listing, dict):
        listed: dict[str, Any] = {}
        shards = {s.get("url") for s in listing.get("shards", []) if isinstance(s, dict)}
        for shard in sorted(shard for shard in shards if isinstance(shard, str)):
            document = documents.get(shard)
            if shard not in visible:
                check.problems.append(f"files.json lists shard {shard}, which does not exist")
            elif isinstance(document, dict):
                listed.update(document.get("files", {}))
        for path, entry in listed.items():
            if path not in visible:
                check.problems.append(f"files.json lists {path}, which does not exist")
            elif converged:
                data = visible[path]
                if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                    check.problems.append(f"files.json: wrong sha256 for {path}")
                if len(data) != entry.get("bytes"):
                    check.problems.append(f"files.json: wrong size for {path}")
        if converged:
            unlisted = set(visible) - set(listed) - shards - {"files.json", ".gitignore"}
            if unlisted:
                check.problems.append(f"files files.json does not list: {sorted(unlisted)[:5]}")
            manifest = documents.get("manifest.json")
            if isinstance(manifest, dict) and manifest.get("generation") != listing.get(
                "generation"
            ):
                check.problems.append("manifest.json and files.json disagree on the generation")
    elif converged and visible:
        check.problems.append("no files.json after a complete publish")
    return check


def caption_file_problem(path: str, data: bytes) -> str:
    """What is wrong with a caption file as a player reads it: its name and its header."""
    from wistia_sync.contract.layout import CAPTION_PATH

    if not CAPTION_PATH.fullmatch(path):
        return "not a safe published caption file name"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 ({error}); {len(data)} bytes"
    return "" if text.startswith("WEBVTT\n") else "not a WebVTT file"


def _caption_urls(document: Any) -> list[str]:
    video = document.get("video") if isinstance(document, dict) else None
    captions = video.get("captions") if isinstance(video, dict) else None
    if not isinstance(captions, list):
        return []
    return [c["url"] for c in captions if isinstance(c, dict) and isinstance(c.get("url"), str)]


def is_seo_file(path: str) -> bool:
    from wistia_sync.contract.layout import (
        JSONLD_PATH,
        SITEMAP_INDEX_PATH,
        SITEMAP_PATH,
        WATCH_PAGE_PATH,
    )

    return path == SITEMAP_INDEX_PATH or any(
        pattern.fullmatch(path) for pattern in (SITEMAP_PATH, JSONLD_PATH, WATCH_PAGE_PATH)
    )


_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_VIDEO = "{http://www.google.com/schemas/sitemap-video/1.1}"
_LD_SCRIPT = re.compile(rb'<script type="application/ld\+json">(.*?)</script>', re.S)


def seo_file_problem(path: str, data: bytes) -> tuple[str, list[str]]:
    """What is wrong with a file for search engines as a crawler reads it, and the output files
    it leads to: the index its sitemap files, a sitemap each listed video's JSON-LD."""
    import xml.etree.ElementTree as ElementTree
    from urllib.parse import urlsplit

    if path.endswith(".xml"):
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            return f"not well-formed XML ({error}); {len(data)} bytes", []
        if path == "sitemap.xml":
            locs = [loc.text or "" for loc in root.iter(f"{_SITEMAP}loc")]
            return "", [urlsplit(loc).path.lstrip("/") for loc in locs]
        players = [p.text or "" for p in root.iter(f"{_VIDEO}player_loc")]
        if len(players) != len(list(root.iter(f"{_SITEMAP}url"))):
            return "a listed URL without its video", []
        return "", [f"ld/{player.rsplit('/', 1)[-1]}.json" for player in players]
    if path.endswith(".html"):
        scripts = _LD_SCRIPT.findall(data)
        if not data.endswith(b"</html>\n") or len(scripts) != 1:
            return "not a complete watch page with one JSON-LD script", []
        data = scripts[0]
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return f"not valid UTF-8 JSON-LD ({error}); {len(data)} bytes", []
    missing = [key for key in ("name", "thumbnailUrl", "uploadDate") if not document.get(key)]
    if document.get("@type") != "VideoObject" or missing:
        return f"not a VideoObject Google accepts (missing {missing})", []
    return "", []


_CHECKED: dict[tuple[str | None, str], tuple[Any, str]] = {}  # (schema, sha256) -> result


def _parse_and_validate(schema: str | None, data: bytes) -> tuple[Any, str]:
    """(document or None, problem or ""), remembered by content: most files do not change
    between two checks, and validating every file against its schema each time is slow."""
    key = (schema, hashlib.sha256(data).hexdigest())
    if len(_CHECKED) > 20_000:  # bounded, for long soaks
        _CHECKED.clear()
    if key not in _CHECKED:
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            _CHECKED[key] = (None, f"not valid UTF-8 JSON ({error}); {len(data)} bytes")
        else:
            errors = [] if schema is None else list(_validator(schema).iter_errors(document))
            problem = f"breaks {schema}: {errors[0].message[:200]}" if errors else ""
            _CHECKED[key] = (document, problem)
    return _CHECKED[key]


def _is_hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/")) and path != ".gitignore"


def resolve_link(holder: str, link: str) -> str:
    """The output-relative path a link in ``holder`` leads to (standard URL resolution)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(holder), link))


def search_client_bytes() -> bytes:
    import wistia_sync

    return (Path(wistia_sync.__file__).parent / "templates" / SEARCH_CLIENT).read_bytes()


def _links(document: Any) -> Iterable[str]:
    if not isinstance(document, dict):
        return
    for key in ("shards", "record_lists", "blocks"):  # the search index's [..., url] rows
        rows = document.get(key)
        if isinstance(rows, list):
            for row in rows:
                if isinstance(row, list) and row and isinstance(row[-1], str):
                    yield row[-1]
    for key in ("videos", "tags", "folders", "files"):
        if isinstance(document.get(key), str):
            yield document[key]
    for key in ("pages", "page_lists"):  # a playlist's pages and the chunks listing the rest
        pages = document.get(key)
        if isinstance(pages, list):
            for page in pages:
                if isinstance(page, dict) and isinstance(page.get("url"), str):
                    yield page["url"]
    for key in ("tags", "folders"):
        entries = document.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                    yield entry["url"]


def current_files(out: Path) -> dict[str, bytes]:
    """What a reader starting now can reach: every file but the immutable pages, page-list
    chunks and search files no current entry file leads to (kept for their grace period for
    readers of older entry files; a page holding a video no longer published goes after the
    short takedown grace)."""
    files = output_files(out)
    reachable = _reachable_immutable(files)
    return {
        path: data
        for path, data in files.items()
        if not (path.startswith("pages/") or _is_retirable_list(path)) or path in reachable
    }


def _is_retirable_list(path: str) -> bool:
    """An immutable file that links others and is retired, not removed: a page-list chunk or a
    search file (all but the index's entry)."""
    return path.startswith(("page-lists/", "search/")) and path != "search/index.json"


def _reachable_immutable(files: Mapping[str, bytes]) -> set[str]:
    """The pages, page-list chunks and search files the current entry files lead to (a
    playlist its pages and chunks, a chunk its pages, ``search/index.json`` its term shards and
    record lists, a list its record blocks): like pages, an immutable file nothing current links
    is kept only for readers of an older entry (or left by an interrupted publish)."""
    reachable: set[str] = set()
    frontier = [
        path
        for path in files
        if path.endswith(".json")
        and not path.startswith(("pages/", "schema/", "."))
        and not _is_retirable_list(path)
    ]
    while frontier:
        holder = frontier.pop()
        try:
            document = json.loads(files[holder])
        except ValueError:
            continue
        for link in _links(document):
            target = resolve_link(holder, link)
            if not target.startswith(("pages/", "page-lists/", "search/")) or target in reachable:
                continue
            reachable.add(target)  # if missing, the link check reports it
            if target in files and _is_retirable_list(target):
                frontier.append(target)
    return reachable


def fresh_publish(db_path: Path, scratch: Path) -> dict[str, bytes]:
    """The files a fresh publish of a copy of the database gives (the original is untouched)."""
    from wistia_sync.publish import publish_playlists
    from wistia_sync.store.db import open_database

    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        # A new folder each time: a copy must never meet the WAL of an earlier copy.
        copy, out = Path(folder) / "copy.db", Path(folder) / "out"
        source, target = sqlite3.connect(db_path, timeout=30), sqlite3.connect(copy)
        try:
            source.backup(target)
        except sqlite3.DatabaseError as error:
            evidence = Path(tempfile.mkdtemp(prefix="reliability-evidence-"))
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{db_path}{suffix}").exists():
                    shutil.copy2(f"{db_path}{suffix}", evidence)
            raise AssertionError(
                f"cannot copy {db_path} ({error}); integrity_check says {integrity(db_path)!r}; "
                f"its files are kept in {evidence}"
            ) from error
        finally:
            source.close()
            target.close()
        database = open_database(copy, create=True)
        try:
            database.execute("DELETE FROM published_files")
            database.execute("DELETE FROM sync_state WHERE key = 'publish_updated_at'")
            publish_playlists(database, out, lock_path=Path(folder) / "publish.lock", force=True)
        finally:
            database.conn.close()
        return output_files(out)


def output_differences(out: Path, expected: Mapping[str, bytes]) -> list[str]:
    """How the output folder differs from ``expected`` (the manifest's ``updated_at`` aside),
    beyond the files it keeps in their grace period (``files_in_grace``).

    The file list (files.json and its shards) is compared as the list it makes: its shards
    are cut from what the records hold, which a fresh publish's differ in (no files in grace).
    """
    in_grace = files_in_grace(out, expected)
    actual = {p: d for p, d in output_files(out).items() if p != ".gitignore" and p not in in_grace}
    # The file list's shards and chunks are compared as the list they make, below.
    wanted_paths = {p for p in expected if not is_list_file(p)}
    actual_paths = {p for p in actual if not is_list_file(p)}
    problems = [f"missing {path}" for path in sorted(wanted_paths - actual_paths)]
    problems += [f"extra {path}" for path in sorted(actual_paths - wanted_paths)]
    for path in sorted(wanted_paths & actual_paths):
        want, got = expected[path], actual[path]
        if path == "manifest.json":
            want, got = _without_updated_at(want), _without_updated_at(got)
        if path == "files.json":
            want = _listing_of_current(want, expected, set())
            got = _listing_of_current(got, actual, in_grace)
            if isinstance(got, str):  # no reader could follow it
                problems.append(got)
                continue
        if want != got:
            problems.append(f"{path} differs from a fresh publish of the database")
    return problems


def files_in_grace(out: Path, expected: Mapping[str, bytes]) -> set[str]:
    """The files the folder keeps in their grace period that a fresh publish (``expected``)
    does not write: what the publisher retires rather than removes (pages, page-list chunks,
    caption files, search shards) and still lists in files.json. Nothing else is an allowed
    extra: such a file that files.json does not list is one no delivery uploads and no publish
    removes."""
    from wistia_sync.contract.filelist import FileListError, read_local_file_list
    from wistia_sync.contract.layout import (
        CAPTION_PATH,
        PAGE_LIST_PATH,
        PAGE_PATH,
        SEARCH_SHARD_PATH,
    )

    retired = (PAGE_PATH, PAGE_LIST_PATH, CAPTION_PATH, SEARCH_SHARD_PATH)
    try:
        listed = read_local_file_list(out)[0].files
    except FileListError:  # a list no reader can follow: none in grace (and that a difference)
        return set()
    return {
        path
        for path in listed
        if path not in expected and any(pattern.fullmatch(path) for pattern in retired)
    }


def _without_updated_at(data: bytes) -> Any:
    document = json.loads(data)
    document.pop("updated_at", None)
    return document


def _listing_of_current(data: bytes, files: Mapping[str, bytes], in_grace: set[str]) -> Any:
    """The list files.json makes with its shards at every level (read from ``files``, checked as
    a reader checks them), without the manifest's fingerprint (it holds updated_at) and without
    the files kept for their grace period (a fresh publish has none); a list no reader could
    follow is its error's text."""
    from wistia_sync.contract.filelist import (
        FileListError,
        ShardRef,
        entries_of,
        expand_index,
        parse_file_index,
    )

    def read(ref: ShardRef) -> bytes:
        if ref.path not in files:
            raise FileListError(f"files.json lists {ref.path}, which is not in the folder")
        return files[ref.path]

    try:
        index = expand_index(parse_file_index(data, "files.json"), read, "files.json")
        listed = entries_of(index, index.shards, read, "files.json")
    except FileListError as error:
        return str(error)
    return {
        "generation": index.generation,
        "files": {
            path: entry
            for path, entry in listed.items()
            if path != "manifest.json" and path not in in_grace
        },
    }


# -- the database -------------------------------------------------------------------------------


@contextlib.contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection (no migrations) that tests only read with, closed on leaving.

    Closed, not left to the garbage collector: a connection this process still holds while a
    CLI process deletes and recreates the WAL index would read a stale one ("database disk image
    is malformed"), a fault of the test, not of wistia-sync. Not ``mode=ro`` either: after a
    ``kill -9`` the first connection recovers the WAL index, as the next CLI run would.
    """
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def integrity(db_path: Path) -> str:
    """``integrity_check``'s verdict; when it is not "ok", the files are kept as evidence."""
    try:
        with connect(db_path) as conn:
            verdict = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as error:
        verdict = f"{type(error).__name__}: {error}"
    if verdict != "ok":
        evidence = Path(tempfile.mkdtemp(prefix="reliability-evidence-"))
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db_path}{suffix}").exists():
                shutil.copy2(f"{db_path}{suffix}", evidence)
        verdict += f" (files kept in {evidence})"
    return verdict


def open_handles(path: Path) -> list[str]:
    """Files of this test process open on ``path`` (its WAL and shm too); Linux only."""
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir() if fds.exists() else []:
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def state(db_path: Path) -> dict[str, str]:
    with connect(db_path) as conn:
        return dict(conn.execute("SELECT key, value FROM sync_state").fetchall())


def watermarks(db_path: Path) -> dict[str, str]:
    return {k: v for k, v in state(db_path).items() if k.startswith("watermark:")}


def deleted_ids(db_path: Path) -> set[str]:
    with connect(db_path) as conn:
        rows = conn.execute("SELECT hashed_id FROM videos WHERE deleted_at IS NOT NULL")
        return {row[0] for row in rows}


def _utc(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mirror_problems(db_path: Path, api: FakeWistia, *, deletions: bool = True) -> list[str]:
    """How the database differs from the account (play counts aside: a budget refreshes them).

    Every live media must be stored, not deleted, with Wistia's fields and Wistia tags; with
    ``deletions``, every stored media the account no longer has must be soft-deleted.
    """
    problems: list[str] = []
    live = {media["hashed_id"]: media for media in api.media()}
    with connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = {row["hashed_id"]: row for row in conn.execute("SELECT * FROM videos")}
        wistia_tags: dict[str, set[str]] = {}
        for hashed_id, key in conn.execute(
            "SELECT vt.hashed_id, t.key FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
            "WHERE vt.source = 'wistia'"
        ):
            wistia_tags.setdefault(hashed_id, set()).add(key)
    for hashed_id, media in live.items():
        row = rows.get(hashed_id)
        if row is None:
            problems.append(f"{hashed_id}: in Wistia, not in the database")
            continue
        if row["deleted_at"] is not None:
            problems.append(f"{hashed_id}: in Wistia, but marked deleted")
        expected = {
            "name": media["name"],
            "type": media["type"],
            "status": media["status"],
            "archived": int(media["archived"]),
            "created": _utc(media["created"]),
            "updated": _utc(media["updated"]),
            "folder_hashed_id": (media["folder"] or {}).get("hashed_id"),
            "protected": int(media.get("protected") is True),
        }
        for column, value in expected.items():
            if row[column] != value:
                problems.append(f"{hashed_id}: {column} is {row[column]!r}, Wistia has {value!r}")
        tags = {tag["name"].strip().casefold() for tag in media["tags"] if tag["name"].strip()}
        if wistia_tags.get(hashed_id, set()) != tags:
            problems.append(f"{hashed_id}: Wistia tags {wistia_tags.get(hashed_id)} != {tags}")
    if deletions:
        for hashed_id, row in rows.items():
            if hashed_id not in live and row["deleted_at"] is None:
                problems.append(f"{hashed_id}: deleted in Wistia, not marked deleted")
    return problems


def wrongly_deleted(db_path: Path, api: FakeWistia) -> set[str]:
    """Media marked deleted although the account still has them."""
    live = {media["hashed_id"] for media in api.media()}
    return deleted_ids(db_path) & live


# -- editors ------------------------------------------------------------------------------------


@dataclass
class EditorBook:
    """Editor changes made during a scenario, and the state they must leave in the database."""

    db_path: Path
    visibility: dict[str, str] = field(default_factory=dict)
    tags: dict[tuple[str, str], bool] = field(default_factory=dict)  # (video, tag) -> present
    changes: int = 0

    def _open(self) -> Any:
        from wistia_sync.store.db import open_database

        return open_database(self.db_path, create=True)

    def tag(self, hashed_id: str, tag: str) -> None:
        from wistia_sync.catalog.editing import add_tags

        db = self._open()
        try:
            add_tags(db, [hashed_id], [tag], actor=ACTOR)
        finally:
            db.conn.close()
        self.expect_tag(hashed_id, tag, present=True)

    def untag(self, hashed_id: str, tag: str) -> None:
        from wistia_sync.catalog.editing import remove_tags

        db = self._open()
        try:
            remove_tags(db, [hashed_id], [tag], actor=ACTOR)
        finally:
            db.conn.close()
        self.expect_tag(hashed_id, tag, present=False)

    def set_visibility(self, hashed_id: str, visibility: Literal["public", "hidden"]) -> None:
        from wistia_sync.catalog.editing import set_visibility

        db = self._open()
        try:
            set_visibility(db, [hashed_id], visibility, actor=ACTOR)
        finally:
            db.conn.close()
        self.expect_visibility(hashed_id, visibility)

    def expect_tag(self, hashed_id: str, tag: str, *, present: bool) -> None:
        self.tags[(hashed_id, tag)] = present
        self.changes += 1

    def expect_visibility(self, hashed_id: str, visibility: str) -> None:
        self.visibility[hashed_id] = visibility
        self.changes += 1

    def lost(self) -> list[str]:
        """Editor changes the database no longer shows."""
        problems: list[str] = []
        with connect(self.db_path) as conn:
            current = dict(conn.execute("SELECT hashed_id, visibility FROM videos").fetchall())
            editor_links = {
                (hashed_id, key)
                for hashed_id, key in conn.execute(
                    "SELECT vt.hashed_id, t.key FROM video_tags vt "
                    "JOIN tags t ON t.id = vt.tag_id WHERE vt.source = 'editor'"
                )
            }
        for hashed_id, visibility in self.visibility.items():
            if current.get(hashed_id) != visibility:
                problems.append(f"{hashed_id}: visibility {current.get(hashed_id)} != {visibility}")
        for (hashed_id, tag), present in self.tags.items():
            if ((hashed_id, tag.strip().casefold()) in editor_links) != present:
                state_ = "lost" if present else "came back"
                problems.append(f"{hashed_id}: editor tag {tag!r} {state_}")
        return problems

    def unpublished_in_output(self, out: Path) -> list[str]:
        """Hidden videos that some current output file still shows (see ``current_files``)."""
        blob = b"\n".join(current_files(out).values())
        return [
            f"hidden video {hashed_id} appears in the output"
            for hashed_id, visibility in self.visibility.items()
            if visibility == "hidden" and hashed_id.encode() in blob
        ]


# -- a disk that fills up -----------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted on ``where`` (skip the test if mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# -- the ledger ---------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Appends one JSON line per scenario run to ``$WISTIA_SYNC_RELIABILITY_LOG`` (if set)."""

    path: Path | None

    def record(
        self,
        scenario: str,
        injected: str,
        *,
        times: int,
        runs: int,
        files_checked: int,
        lost_changes: int,
        invalid_files: int,
        held: str,
        test: str = "",
    ) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {
                "scenario": scenario,
                "injected": injected,
                "times": times,
                "runs": runs,
                "files_checked": files_checked,
                "lost_changes": lost_changes,
                "invalid_files": invalid_files,
                "held": held,
                "test": test,
            },
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def faults_sent(entries: Sequence[Any]) -> int:
    """How many logged requests got a fault (from ``FakeWistiaServer.log``)."""
    return sum(1 for entry in entries if entry.fault is not None)


# -- setting the scene --------------------------------------------------------------------------


SEO_ORIGIN = "https://watch.example"  # the public site of a scene with site settings


def prime(ws: Workspace, *, stats_budget: int = 1000, seo: bool = False) -> None:
    """A first complete sync and publish, in-process (fast), as an earlier cron run left it;
    ``seo``: with site settings (origin, watch URL, watch pages), so every publish writes
    sitemaps, JSON-LD and watch pages too."""
    from wistia_sync.publish import publish_playlists
    from wistia_sync.publish.seo_settings import change_seo_settings
    from wistia_sync.store.db import open_database
    from wistia_sync.store.lock import publish_lock_path
    from wistia_sync.sync.account import sync_account
    from wistia_sync.sync.summary import SyncOptions
    from wistia_sync.wistia.client import ClientSettings, WistiaClient

    db = open_database(ws.db, create=True)
    try:
        with WistiaClient(ClientSettings(token=ws.token, api_url=ws.api_url)) as client:
            sync_account(db, client, SyncOptions(full=True, stats_budget=stats_budget))
        if seo:
            change_seo_settings(db, origin=SEO_ORIGIN, watch_url="/videos/{slug}", watch_pages=True)
        publish_playlists(db, ws.output, lock_path=publish_lock_path(ws.db))
    finally:
        db.conn.close()


def publish_now(ws: Workspace) -> None:
    """Republish as an editor command does after its change (same lock, same folder)."""
    from wistia_sync.publish import publish_playlists
    from wistia_sync.store.db import open_database
    from wistia_sync.store.lock import publish_lock_path

    db = open_database(ws.db, create=True)
    try:
        publish_playlists(db, ws.output, lock_path=publish_lock_path(ws.db))
    finally:
        db.conn.close()


# Editors' tags, none of which Wistia uses: a tag a video already has from Wistia gets no editor
# link (``tag add`` leaves it as it is), so it would leave with Wistia's.
EDITOR_TAGS = ("Editor pick", "Staff favourite", "À voir", "<b>bold</b> pick")
TAG_POOL = ("onboarding", "Launch", "how-to", "Customer Stories", "webinar", "Q&A", "café")


def mutate_account(api: FakeWistia, rng: Any, *, scale: int = 1) -> dict[str, int]:
    """What people do in Wistia between two runs: upload, edit, retag, archive, delete, watch."""
    live = list(api.media())
    ready_videos = [m for m in live if m["type"] == "Video" and m["status"] == "ready"]
    done = {"added": 0, "updated": 0, "archived": 0, "deleted": 0, "plays": 0}
    for _ in range(2 * scale):
        hashed_id = "n" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(9))
        if api.get(hashed_id) is None:
            try:
                api.add(
                    {"hashed_id": hashed_id, "name": f"New upload {hashed_id}", "tags": ["new"]}
                )
                done["added"] += 1
            except ValueError:  # a deleted id is never reused
                pass
    for media in rng.sample(live, min(len(live), 4 * scale)):
        api.update(
            media["hashed_id"],
            name=f"{media['name'].split(' (rev')[0]} (rev {rng.randint(1, 999)})",
            tags=rng.sample(TAG_POOL, rng.randint(0, 3)),
        )
        done["updated"] += 1
    candidates = [m for m in live if not m["archived"]]
    for media in rng.sample(candidates, min(len(candidates), scale)):
        if api.get(media["hashed_id"]) is not None:
            api.archive(media["hashed_id"])
            done["archived"] += 1
    for media in rng.sample(live, min(len(live), scale)):
        if api.get(media["hashed_id"]) is not None:
            api.delete(media["hashed_id"])
            done["deleted"] += 1
    for media in rng.sample(ready_videos, min(len(ready_videos), 5 * scale)):
        if api.get(media["hashed_id"]) is not None:
            api.set_plays(media["hashed_id"], rng.randint(0, 10_000))
            done["plays"] += 1
    return done


def published_ids(db_path: Path) -> list[str]:
    from wistia_sync.publish import PUBLISHED_VIDEO_CONDITION

    with connect(db_path) as conn:
        rows = conn.execute(
            f"SELECT hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION} ORDER BY hashed_id"
        )
        return [row[0] for row in rows]


def edit_some(book: EditorBook, ws: Workspace, rng: Any, *, count: int = 2) -> None:
    """Editors tag, untag, hide and show a few published videos, each change republished."""
    videos = published_ids(ws.db)
    for hashed_id in rng.sample(videos, min(len(videos), count)):
        book.tag(hashed_id, rng.choice(EDITOR_TAGS))
    for hashed_id in rng.sample(videos, min(len(videos), count)):
        book.set_visibility(hashed_id, "hidden")
    shown = [h for h, v in book.visibility.items() if v == "hidden"]
    for hashed_id in rng.sample(shown, min(len(shown), count // 2)):
        book.set_visibility(hashed_id, "public")
    tagged = [key for key, present in book.tags.items() if present]
    for hashed_id, tag in rng.sample(tagged, min(len(tagged), count // 2)):
        book.untag(hashed_id, tag)
    publish_now(ws)


def max_updated(api: FakeWistia) -> dict[str, str]:
    """The watermarks a complete crawl of the account must leave."""
    newest: dict[str, str] = {}
    for media in api.media():
        key = "watermark:archived" if media["archived"] else "watermark:active"
        value = _utc(media["updated"])
        if value > newest.get(key, ""):
            newest[key] = value
    return newest
