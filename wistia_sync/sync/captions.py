"""Captions and chapters: which videos need them read again, fetched within a budget, stored.

Each video costs two requests (``/medias/{id}/captions`` and ``/medias/{id}/customizations``):
the account-wide ``/captions`` listing does not say which media a caption belongs to in API
2026-05, so it cannot replace them (docs/wistia-api.md). A run reads, within its own budget
(``SyncOptions.captions_budget``, in videos), the eligible videos never read, then those whose
``updated`` moved since, then those a full crawl made due (read in an earlier round), then at most
``MAX_RETRIES_A_RUN`` whose last read failed and whose retry is due. A video's failure is
recorded on it (``caption_sync``) with a backoff and never stops the run; a streak of them does,
as for stats. The webhook worker reads the media an event named at once (``refresh_captions_of``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from wistia_sync.contract.vtt import cues_digest, transcript
from wistia_sync.errors import UnexpectedResponse, WistiaError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import get_state, set_state
from wistia_sync.store.timestamps import format_timestamp
from wistia_sync.sync.batches import batched
from wistia_sync.sync.failures import MAX_RETRIES_A_RUN, PER_MEDIA_ERRORS, backoff
from wistia_sync.sync.perfetch import fetch_and_store
from wistia_sync.sync.stats import STATS_ELIGIBLE
from wistia_sync.sync.summary import Progress, SyncOptions, SyncSummary
from wistia_sync.wistia.captions import Caption, Chapter, Notes, read_captions, read_chapters
from wistia_sync.wistia.client import WistiaClient
from wistia_sync.wistia.records import is_hashed_id

if TYPE_CHECKING:
    from sqlite_utils import Database

# Videos whose captions and chapters are mirrored (``videos`` aliased ``v``): those that may be
# published, hidden ones included (an editor may show them again).
CAPTIONS_ELIGIBLE = f"{STATS_ELIGIBLE} AND v.protected = 0"
CAPTIONS_WORKERS = 4  # videos read at once (two requests each)
CAPTIONS_BATCH = 25  # videos stored per transaction
CAPTIONS_ENDPOINT = "captions"  # how a failure names the request in a failure streak
# Full crawls so far: a video last read in an earlier round is due again.
FULL_ROUND_KEY = "captions_full_round"
CAPTIONS_WARNING = "captions or chapters failed on every attempt (retried later, with a backoff)"


@dataclass(frozen=True)
class MediaExtras:
    """What Wistia says of one media's captions and chapters, read and cleaned."""

    captions: tuple[Caption, ...]
    chapters: tuple[Chapter, ...]
    notes: tuple[str, ...]


Target = tuple[str, str]  # hashed id, the ``updated`` it has now
Answer = MediaExtras | WistiaError


def fetch_extras(client: WistiaClient, hashed_id: str) -> MediaExtras:
    """Read one media's captions and chapters (two requests); a 404 means none."""
    notes = Notes()
    try:
        captions = read_captions(client.get_media_json(hashed_id, "captions") or [], notes)
        chapters = read_chapters(client.get_media_json(hashed_id, "customizations") or {}, notes)
    except ValueError as error:
        raise UnexpectedResponse(f"Wistia's answer about {hashed_id}: {error}") from None
    return MediaExtras(captions, chapters, tuple(notes.lines))


def refresh_captions(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    exclude: set[str],
) -> None:
    """Read captions and chapters of up to ``captions_budget`` due videos and store them."""
    if summary.mode == "full":
        set_state(db, FULL_ROUND_KEY, str(_full_round(db) + 1))
    if options.captions_budget <= 0:
        return
    targets = _due(db, options, exclude)
    if not targets:
        return
    progress.phase("fetching captions and chapters", total=len(targets))
    summary.streak.known_failing |= {(h, CAPTIONS_ENDPOINT) for h in _failing(db)}
    _fetch_and_store(db, client, options, progress, summary, targets)


def refresh_captions_of(
    db: Database,
    client: WistiaClient,
    hashed_ids: Sequence[str],
    budget: int,
    options: SyncOptions,
) -> int:
    """Read captions and chapters of up to ``budget`` of these eligible videos now, whatever
    was read before (``media.transcript_updated``, or any event about them); return how many
    were stored. A failure is recorded on the media as a run records it."""
    if budget <= 0:
        return 0
    targets: list[Target] = []
    for batch in batched(sorted(set(hashed_ids)), 500):
        targets.extend(
            db.execute(
                f"SELECT v.hashed_id, v.updated FROM videos v WHERE {CAPTIONS_ELIGIBLE} "
                "AND v.hashed_id IN (SELECT value FROM json_each(?)) ORDER BY v.hashed_id",
                [json.dumps(batch)],
            ).fetchall()
        )
    targets = [(h, updated) for h, updated in targets if is_hashed_id(h)][:budget]
    summary = SyncSummary(mode="targeted")
    answers = [_or_failure(client, h) for h, _ in targets]
    if targets:
        _store(db, list(zip(targets, answers, strict=True)), summary, options)
    return summary.captions_fetched


def _or_failure(client: WistiaClient, hashed_id: str) -> Answer:
    try:
        return fetch_extras(client, hashed_id)
    except PER_MEDIA_ERRORS as error:
        return error


def _due(db: Database, options: SyncOptions, exclude: set[str]) -> list[Target]:
    """The videos this run reads, in order (see the module's docstring)."""
    now = format_timestamp(options.clock())
    full_round = _full_round(db)
    budget = options.captions_budget
    rows = db.execute(
        f"SELECT v.hashed_id, v.updated FROM videos v "
        f"LEFT JOIN caption_sync c ON c.hashed_id = v.hashed_id WHERE {CAPTIONS_ELIGIBLE} "
        "AND (c.retry_at IS NULL) AND (c.synced_at IS NULL OR c.synced_updated IS NOT v.updated "
        "OR c.full_round < ?) "
        "ORDER BY c.synced_at IS NOT NULL, c.synced_updated IS v.updated, c.full_round, "
        "v.hashed_id LIMIT ?",
        [full_round, budget + len(exclude)],
    ).fetchall()
    retries = db.execute(
        f"SELECT v.hashed_id, v.updated FROM caption_sync c JOIN videos v USING (hashed_id) "
        f"WHERE c.retry_at <= ? AND {CAPTIONS_ELIGIBLE} ORDER BY c.retry_at, v.hashed_id LIMIT ?",
        [now, MAX_RETRIES_A_RUN + len(exclude)],
    ).fetchall()
    retries = [(h, u) for h, u in retries if h not in exclude and is_hashed_id(h)]
    retries = retries[: min(MAX_RETRIES_A_RUN, budget)]
    targets = [(h, u) for h, u in rows if h not in exclude and is_hashed_id(h)]
    return targets[: budget - len(retries)] + retries


def _full_round(db: Database) -> int:
    value = get_state(db, FULL_ROUND_KEY)
    return int(value) if value is not None and value.isdigit() else 0


def _failing(db: Database) -> set[str]:
    return {
        row[0]
        for row in db.execute("SELECT hashed_id FROM caption_sync WHERE retry_at IS NOT NULL")
    }


def _fetch_and_store(
    db: Database,
    client: WistiaClient,
    options: SyncOptions,
    progress: Progress,
    summary: SyncSummary,
    targets: list[Target],
) -> None:
    fetch_and_store(
        targets,
        lambda hashed_id: _or_failure(client, hashed_id),
        lambda batch: _store(db, batch, summary, options),
        endpoint=CAPTIONS_ENDPOINT,
        workers=CAPTIONS_WORKERS,
        batch_size=CAPTIONS_BATCH,
        summary=summary,
        progress=progress,
    )


def _store(
    db: Database,
    batch: Sequence[tuple[Target, Answer]],
    summary: SyncSummary,
    options: SyncOptions,
) -> None:
    now = options.clock()
    full_round = _full_round(db)
    with write_transaction(db):
        for (hashed_id, updated), answer in batch:
            if isinstance(answer, WistiaError):
                _record_failure(db, hashed_id, str(answer), now)
                summary.media_failures += 1
                summary.warnings[CAPTIONS_WARNING] += 1
                continue
            if _store_extras(db, hashed_id, updated, answer, format_timestamp(now), full_round):
                summary.captions_changed += 1
            summary.captions_fetched += 1


def _record_failure(db: Database, hashed_id: str, error: str, now: datetime) -> None:
    row = db.execute(
        "SELECT failures FROM caption_sync WHERE hashed_id = ?", [hashed_id]
    ).fetchone()
    failures = (int(row[0]) if row else 0) + 1
    db.execute(
        "INSERT INTO caption_sync (hashed_id, failures, error, retry_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(hashed_id) DO UPDATE SET failures = excluded.failures, "
        "error = excluded.error, retry_at = excluded.retry_at",
        [hashed_id, failures, error[:500], format_timestamp(now + backoff(failures))],
    )


def _store_extras(
    db: Database, hashed_id: str, updated: str, extras: MediaExtras, now: str, full_round: int
) -> bool:
    """Store what was read; only rows that differ are written (the triggers see real changes).
    Return whether the published captions or chapters changed."""
    stored = {
        lang: (label, cues)
        for lang, label, cues in db.execute(
            "SELECT lang, label, cues FROM video_captions WHERE hashed_id = ?", [hashed_id]
        )
    }
    changed = False
    wanted = set()
    for caption in extras.captions:
        wanted.add(caption.lang)
        cues = [[cue.start_ms, cue.end_ms, cue.text] for cue in caption.cues]
        cues_json = json.dumps(cues, ensure_ascii=False, separators=(",", ":"))
        if stored.get(caption.lang) == (caption.label, cues_json):
            continue
        changed = True
        db.execute(
            "INSERT INTO video_captions (hashed_id, lang, label, wistia_id, cues, digest, "
            "transcript) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hashed_id, lang) DO UPDATE SET "
            "label = excluded.label, wistia_id = excluded.wistia_id, cues = excluded.cues, "
            "digest = excluded.digest, transcript = excluded.transcript",
            [
                hashed_id,
                caption.lang,
                caption.label,
                caption.wistia_id,
                cues_json,
                cues_digest(cues_json),
                transcript(cues),
            ],
        )
    for lang in sorted(set(stored) - wanted):
        changed = True
        db.execute("DELETE FROM video_captions WHERE hashed_id = ? AND lang = ?", [hashed_id, lang])
    chapters = json.dumps(
        [[chapter.title, chapter.start] for chapter in extras.chapters],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    before = db.execute(
        "SELECT chapters FROM caption_sync WHERE hashed_id = ?", [hashed_id]
    ).fetchone()
    changed = changed or (before[0] if before else "[]") != chapters
    db.execute(
        "INSERT INTO caption_sync (hashed_id, chapters, synced_updated, synced_at, full_round, "
        "notes, failures, error, retry_at) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, NULL) "
        "ON CONFLICT(hashed_id) DO UPDATE SET chapters = excluded.chapters, "
        "synced_updated = excluded.synced_updated, synced_at = excluded.synced_at, "
        "full_round = excluded.full_round, notes = excluded.notes, failures = 0, error = NULL, "
        "retry_at = NULL",
        [hashed_id, chapters, updated, now, full_round, "\n".join(extras.notes) or None],
    )
    return changed
