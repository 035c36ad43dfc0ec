"""Issue 20: ``media.transcript_updated`` reaches the published ``.vtt``: the worker reads that
media's captions and chapters again and republishes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.captions.support import captioned_fake, client_for, ready_videos, sync
from tests.support.fakewistia.webhooks import ACCOUNT_ID, delivery_body, media_event
from wistia_sync.demo.extras import caption_item, srt
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.webhooks.inbox import parse_delivery, store_events
from wistia_sync.webhooks.server import refresh_then_publish
from wistia_sync.webhooks.worker import InboxWorker


def test_a_transcript_update_republishes_that_video_s_captions(tmp_path: Path) -> None:
    db_path, output, lock = tmp_path / "wistia.db", tmp_path / "output", tmp_path / "lock"
    db = open_database(db_path, create=True)
    fake = captioned_fake()
    sync(db, fake)
    publish_site(db, output, lock_path=lock)
    video = ready_videos(fake)[0]
    fake.set_captions(video, [caption_item("spa", srt(["Nuevo subtítulo."]))])  # `updated` stays

    store_events(
        db,
        parse_delivery(delivery_body([media_event("media.transcript_updated", video)])),
        account_id=ACCOUNT_ID,
    )
    client = client_for(fake)
    before = len(fake.request_log)
    apply = refresh_then_publish(
        client,
        SyncOptions(),
        lambda db: publish_site(db, output, lock_path=lock),
        stats_budget=0,
        captions_budget=5,
    )
    worker = InboxWorker(lambda: open_database(db_path), apply)
    assert worker.apply_pending() == 1
    asked = [r.path for r in fake.request_log[before:]]
    assert sum(p.endswith(("/captions", "/customizations")) for p in asked) == 2
    shown = json.loads((output / "videos" / f"{video}.json").read_bytes())["video"]
    (caption,) = shown["captions"]
    assert caption["lang"] == "spa"
    assert "Nuevo subtítulo." in (output / caption["url"]).read_text("utf-8")
    client.close()


def test_the_worker_reads_no_captions_without_a_budget(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    fake = captioned_fake()
    sync(db, fake, captions_budget=0)
    video = ready_videos(fake)[0]
    with client_for(fake) as client:
        before = len(fake.request_log)
        refresh_then_publish(client, SyncOptions(), lambda db: None)(db, [video])
    assert not [r for r in fake.request_log[before:] if r.path.endswith("/captions")]
