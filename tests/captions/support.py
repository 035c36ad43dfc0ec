"""A fake account with captions and chapters, and a sync against it, for the caption tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.demo.extras import generate_extras
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import ClientSettings, WistiaClient

TOKEN = "fake-token"
CAPTIONS = r"/medias/[^/]+/(captions|customizations)$"
Wrap = Callable[[httpx.Request], httpx.Response | None]


def captioned_fake(count: int = 40, seed: int = 3) -> FakeWistia:
    media, stats = generate_catalog(count, seed=seed)
    captions, customizations = generate_extras(media, seed=seed)
    return FakeWistia(media, stats, token=TOKEN, captions=captions, customizations=customizations)


def client_for(fake: FakeWistia, wrap: Wrap | None = None) -> WistiaClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if wrap is not None:
            answer = wrap(request)
            if answer is not None:
                return answer
        return fake.handle(request)

    return WistiaClient(
        ClientSettings(token=TOKEN), transport=httpx.MockTransport(handler), sleep=lambda s: None
    )


def sync(
    db: Database, fake: FakeWistia, wrap: Wrap | None = None, **options: Any
) -> tuple[SyncSummary, int]:
    """One sync; returns its summary and the caption/customization requests it made."""
    before = len(fake.request_log)
    options.setdefault("stats_budget", 0)
    options.setdefault("captions_budget", 10_000)  # (the library default is 0)
    with client_for(fake, wrap) as client:
        summary = sync_account(db, client, SyncOptions(**options))
    asked = [
        r for r in fake.request_log[before:] if r.path.endswith(("/captions", "/customizations"))
    ]
    return summary, len(asked)


def captions_of(db: Database, hashed_id: str) -> dict[str, list[list[Any]]]:
    import json

    return {
        lang: json.loads(cues)
        for lang, cues in db.execute(
            "SELECT lang, cues FROM video_captions WHERE hashed_id = ? ORDER BY lang", [hashed_id]
        )
    }


def chapters_of(db: Database, hashed_id: str) -> list[list[Any]]:
    import json

    row = db.execute(
        "SELECT chapters FROM caption_sync WHERE hashed_id = ?", [hashed_id]
    ).fetchone()
    return [] if row is None else list(json.loads(row[0]))


def ready_videos(fake: FakeWistia) -> list[str]:
    return [
        m["hashed_id"]
        for m in fake.media()
        if m["type"] == "Video"
        and m["status"] == "ready"
        and not m["archived"]
        and not m["protected"]
    ]


def later(hours: int) -> Callable[[], datetime]:
    return lambda: datetime(2030, 1, 1, tzinfo=UTC).replace(hour=hours)
