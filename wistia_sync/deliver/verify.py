"""Verified freshness: what the public URL serves, compared with what the last publish wrote.

Fetches the manifest and every entry file the local ``files.json`` lists from ``base_url``
(bounded concurrency, a timeout per request) and compares each body's sha256 with the list.
Then it looks for what must no longer be served: any video in a served body that the local
files do not publish, and, when the database knows of them, the files of unpublished videos,
tags and folders (each must answer 404). Immutable pages are not fetched: their URLs change with
their content, so a page can be missing but never stale.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync.contract.cache_policy import video_ids
from wistia_sync.contract.filelist import read_local_file_list, read_local_index
from wistia_sync.contract.layout import (
    FILES_PATH,
    SAFE_PATH,
    SITEMAP_INDEX_PATH,
    folder_playlist_path,
    tag_playlist_path,
    video_file_path,
)

if TYPE_CHECKING:
    import httpx
    from sqlite_utils import Database

    from wistia_sync.deliver.purge.providers import PurgeProvider

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class VerifyReport:
    base_url: str
    checked: int = 0
    fresh: int = 0
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # listed, but 404
    errors: dict[str, str] = field(default_factory=dict)  # path → what went wrong
    unpublished_videos: dict[str, list[str]] = field(default_factory=dict)  # id → paths
    still_served: list[str] = field(default_factory=list)  # gone files that do not 404
    # Why no request got any HTTP answer (the host is down or unknown); then nothing was checked.
    unreachable: str | None = None
    unchecked: int = 0
    # What crawlers would trip on in the served sitemaps and watch pages (``crawler_view``).
    crawler: list[str] = field(default_factory=list)
    crawler_skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.unreachable or self.stale or self.missing or self.errors
            or self.unpublished_videos or self.still_served or self.crawler
        )  # fmt: skip

    def needs_purge(self) -> list[str]:
        return sorted({*self.stale, *self.still_served})

    def lines(self) -> list[str]:
        lines = [f"stale\t{path}" for path in self.stale]
        lines += [f"missing\t{path}\t404" for path in self.missing]
        lines += [f"error\t{path}\t{error}" for path, error in sorted(self.errors.items())]
        lines += [
            f"unpublished video\t{hashed_id}\tserved in {', '.join(paths)}"
            for hashed_id, paths in sorted(self.unpublished_videos.items())
        ]
        lines += [f"still served\t{path}" for path in self.still_served]
        lines += [f"crawler\t{problem}" for problem in self.crawler]
        if self.crawler_skipped:
            lines.append(f"crawler check skipped\t{self.crawler_skipped}")
        return lines

    def summary(self) -> str:
        if self.unreachable:
            return (
                f"could not reach {self.base_url} ({self.unreachable}): "
                f"none of {self.unchecked} files checked"
            )
        if self.ok:
            return f"verified {self.checked} files at {self.base_url}: all fresh"
        return (
            f"verified {self.checked} files at {self.base_url}: {len(self.stale)} stale, "
            f"{len(self.missing)} missing, {len(self.errors)} errors, "
            f"{len(self.unpublished_videos)} unpublished videos served, "
            f"{len(self.still_served)} removed files still served"
            + (f", {len(self.crawler)} problems for crawlers" if self.crawler else "")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "ok": self.ok,
            "checked": self.checked,
            "fresh": self.fresh,
            "stale": self.stale,
            "missing": self.missing,
            "errors": self.errors,
            "unpublished_videos": self.unpublished_videos,
            "still_served": self.still_served,
            "unreachable": self.unreachable,
            "crawler": self.crawler,
            "crawler_skipped": self.crawler_skipped,
        }


def verify_site(
    output_dir: Path,
    base_url: str,
    *,
    db: Database | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    transport: httpx.BaseTransport | None = None,
) -> VerifyReport:
    """Compare what ``base_url`` serves with the local published folder; see the module doc."""
    import httpx

    local, _ = read_local_file_list(output_dir)
    published = _published_video_ids(output_dir, local.files)
    report = VerifyReport(base_url=base_url)
    entries = local.entry_paths()
    gone = [path for path in _gone_paths(db, published) if path not in local.files]
    base = base_url.rstrip("/") + "/"
    with (
        httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "wistia-sync-verify", "Cache-Control": "no-transform"},
            limits=httpx.Limits(max_connections=concurrency),
        ) as client,
        ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool,
    ):
        served = list(pool.map(lambda path: _fetch(client, base + path), entries))
        gone_status = list(pool.map(lambda path: _fetch(client, base + path), gone))
    answers = served + gone_status
    if answers and all(status == 0 for status, _, _ in answers):
        # One cause, not one line per file: the first request's error stands for all of them.
        report.unreachable = answers[0][2] or "no answer"
        report.unchecked = len(answers)
        return report
    for path, answer in zip(entries, served, strict=True):
        _check_served(report, path, answer, local.files[path].sha256, published)
    for path, answer in zip(gone, gone_status, strict=True):
        _check_gone(report, path, answer, published)
    if SITEMAP_INDEX_PATH in local.files:
        ok = {
            path: answer[1]
            for path, answer in zip(entries, served, strict=True)
            if answer[0] == 200
        }
        try:
            from wistia_sync.deliver.crawler_view import crawler_problems

            report.crawler = crawler_problems(output_dir, base, ok)
        except ImportError:
            report.crawler_skipped = "install wistia-sync[seo] to read the sitemaps as crawlers do"
    return report


_Answer = tuple[int, bytes, str | None]  # status (0: no answer), body, what went wrong


def _check_served(
    report: VerifyReport, path: str, answer: _Answer, sha256: str, published: set[str]
) -> None:
    """A listed entry file must be served with the bytes the last publish wrote."""
    status, body, error = answer
    report.checked += 1
    if error is not None:
        report.errors[path] = error
    elif status == 404:
        report.missing.append(path)
    elif status != 200:
        report.errors[path] = f"HTTP {status}"
    else:
        if hashlib.sha256(body).hexdigest() == sha256:
            report.fresh += 1
        else:
            report.stale.append(path)
        _note_unpublished(report, path, body, published)


def _check_gone(report: VerifyReport, path: str, answer: _Answer, published: set[str]) -> None:
    """A file of an unpublished video, tag or folder must answer 404."""
    status, body, error = answer
    report.checked += 1
    if error is not None:
        report.errors[path] = error
    elif status != 404:
        report.still_served.append(path)
        _note_unpublished(report, path, body, published)


def _note_unpublished(report: VerifyReport, path: str, body: bytes, published: set[str]) -> None:
    for hashed_id in sorted(_ids_in(body) - published):
        report.unpublished_videos.setdefault(hashed_id, []).append(path)


def _fetch(client: httpx.Client, url: str) -> _Answer:
    import httpx

    try:
        with client.stream("GET", url) as response:
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    return response.status_code, b"", f"body larger than {MAX_BODY_BYTES} bytes"
                chunks.append(chunk)
            return response.status_code, b"".join(chunks), None
    except httpx.TimeoutException:
        return 0, b"", "timed out"
    except httpx.HTTPError as error:
        return 0, b"", f"{type(error).__name__}: {error}"


def _ids_in(body: bytes) -> set[str]:
    try:
        return set(video_ids(json.loads(body)))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return set()


def _published_video_ids(output_dir: Path, files: Iterable[str]) -> set[str]:
    ids: set[str] = set()
    for path in files:
        if path.endswith(".json"):
            ids |= _ids_in((output_dir / path).read_bytes())
    return ids


def _gone_paths(db: Database | None, published: set[str]) -> list[str]:
    """Files of videos, tags and folders the database knows that must not be served."""
    if db is None:
        return []
    try:
        videos = [str(r[0]) for r in db.execute("SELECT hashed_id FROM videos").fetchall()]
        tags = [str(r[0]) for r in db.execute("SELECT slug FROM tags").fetchall()]
        folders = [str(r[0]) for r in db.execute("SELECT hashed_id FROM folders").fetchall()]
    except sqlite3.Error:
        return []
    paths = [video_file_path(hashed_id) for hashed_id in videos if hashed_id not in published]
    paths += [tag_playlist_path(slug) for slug in tags]
    paths += [folder_playlist_path(hashed_id) for hashed_id in folders]
    return sorted(path for path in paths if SAFE_PATH.fullmatch(path))


@dataclass
class FreshnessResult:
    report: VerifyReport
    latency_seconds: float | None  # publish → served everywhere; None if not fresh in time
    repurged: int = 0
    attempts: int = 0


def verify_until_fresh(
    output_dir: Path,
    base_url: str,
    *,
    db: Database,
    wait_seconds: float,
    purge: PurgeProvider | None = None,
    purge_budget: int | None = None,
    poll_seconds: float = 0.5,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> FreshnessResult:
    """Verify until everything is fresh or ``wait_seconds`` pass; record the latency.

    The latency runs from the moment the last local publish completed (the mtime of
    ``files.json``, written last) to the first verification that found nothing stale. With a
    purge provider, what is found stale is purged once (a CDN that missed a purge catches up).
    """
    import time

    from wistia_sync.deliver.purge.purger import purge_changed

    published_at = (output_dir / FILES_PATH).stat().st_mtime
    generation = read_local_index(output_dir)[0].generation
    deadline = time.monotonic() + wait_seconds
    result = FreshnessResult(report=VerifyReport(base_url=base_url), latency_seconds=None)
    while True:
        result.attempts += 1
        result.report = verify_site(
            output_dir, base_url, db=db, concurrency=concurrency, timeout=timeout
        )
        if result.report.ok:
            fresh_at = time.time()
            result.latency_seconds = max(0.0, fresh_at - published_at)
            _record_freshness(db, generation, base_url, published_at, fresh_at, result)
            return result
        if purge is not None and not result.repurged and result.report.needs_purge():
            purged = purge_changed(db, purge, result.report.needs_purge(), budget=purge_budget)
            result.repurged = 0 if purged.error else len(purged.paths)
        if time.monotonic() + poll_seconds > deadline:
            return result
        time.sleep(poll_seconds)
        poll_seconds = min(poll_seconds * 1.5, 10.0)


def _record_freshness(
    db: Database,
    generation: str,
    base_url: str,
    published_at: float,
    fresh_at: float,
    result: FreshnessResult,
) -> None:
    from datetime import UTC, datetime

    from wistia_sync.store.db import write_transaction
    from wistia_sync.store.timestamps import format_timestamp

    def stamp(seconds: float) -> str:
        return format_timestamp(datetime.fromtimestamp(seconds, UTC))

    with write_transaction(db):
        # The first fresh verification of a publish is its latency; later ones change nothing.
        db.execute(
            "INSERT OR IGNORE INTO freshness (generation, base_url, published_at, fresh_at, "
            "latency_seconds, repurged) VALUES (?, ?, ?, ?, ?, ?)",
            [generation, base_url, stamp(published_at), stamp(fresh_at),
             result.latency_seconds, result.repurged],
        )  # fmt: skip


@dataclass(frozen=True)
class LatencySummary:
    publishes: int
    p50_seconds: float | None
    p95_seconds: float | None


def freshness_latency(db: Database, last: int = 100) -> LatencySummary:
    """p50 and p95 of change → served latency over the last ``last`` verified publishes."""
    rows = db.execute(
        "SELECT latency_seconds FROM freshness ORDER BY fresh_at DESC LIMIT ?", [last]
    ).fetchall()
    values = sorted(float(row[0]) for row in rows)
    if not values:
        return LatencySummary(0, None, None)

    def percentile(fraction: float) -> float:
        # Nearest rank: the smallest value with at least ``fraction`` of the values at or below.
        rank = max(1, math.ceil(fraction * len(values)))
        return values[rank - 1]

    return LatencySummary(len(values), percentile(0.5), percentile(0.95))
