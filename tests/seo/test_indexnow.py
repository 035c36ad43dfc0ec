"""IndexNow pings after each delivery (issue 22), against a fake endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import ORIGIN, turn_on, watch_url
from tests.support.factories import add_video
from wistia_sync.deliver.delivery import DeliverySettings, deliver_publish
from wistia_sync.deliver.purge.indexnow import IndexNow
from wistia_sync.deliver.purge.purger import pending_paths, purge_changed, purge_status
from wistia_sync.publish.seo_settings import change_seo_settings, seo_settings


class FakeIndexNow:
    """Records every POST body; answers with ``status`` (settable between calls)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                fake.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/indexnow"

    def urls(self) -> list[str]:
        return sorted(url for post in self.posts for url in post["urlList"])


@pytest.fixture
def endpoint() -> Iterator[FakeIndexNow]:
    fake = FakeIndexNow()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def published_and_delivered(db: Database, out: Path, publish: Publish) -> None:
    deliver_publish(out, db, DeliverySettings(), publish())


def test_changed_and_removed_watch_urls_are_pinged_with_the_key_file_hosted(
    db: Database, out: Path, publish: Publish, endpoint: FakeIndexNow
) -> None:
    add_video(db, "v1", name="First")
    add_video(db, "v2", name="Second")
    turn_on(db)
    change_seo_settings(db, indexnow=endpoint.url)
    published_and_delivered(db, out, publish)
    settings = seo_settings(db)
    assert settings is not None and settings.indexnow_key is not None
    key = settings.indexnow_key
    assert (out / f"{key}.txt").read_text() == key  # the key file, at the output's root
    assert endpoint.urls() == sorted([watch_url(db, "v1"), watch_url(db, "v2")])
    post = endpoint.posts[0]
    assert post["host"] == "example.com"
    assert post["key"] == key
    assert post["keyLocation"] == f"{ORIGIN}/{key}.txt"

    endpoint.posts.clear()
    db.execute("UPDATE videos SET name = 'First, renamed' WHERE hashed_id = 'v1'")
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'v2'")
    published_and_delivered(db, out, publish)
    assert endpoint.urls() == sorted([watch_url(db, "v1"), watch_url(db, "v2")])  # v2: removed

    endpoint.posts.clear()
    published_and_delivered(db, out, publish)  # nothing changed: nothing sent
    assert endpoint.posts == []


@pytest.mark.parametrize("failure", [500, 403, 429, "unreachable"])
def test_a_failed_ping_leaves_the_urls_owed_and_the_next_delivery_sends_them(
    db: Database, out: Path, publish: Publish, endpoint: FakeIndexNow, failure: int | str
) -> None:
    add_video(db, "v1", name="First")
    turn_on(db)
    change_seo_settings(
        db, indexnow="http://127.0.0.1:9/indexnow" if failure == "unreachable" else endpoint.url
    )
    if isinstance(failure, int):
        endpoint.status = failure
    published_and_delivered(db, out, publish)
    assert pending_paths(db, "indexnow:127.0.0.1") == [watch_url(db, "v1")]
    (status,) = [s for s in purge_status(db) if s.provider == "indexnow:127.0.0.1"]
    assert status.pending == 1 and status.last_error

    endpoint.status = 200
    change_seo_settings(db, indexnow=endpoint.url)
    endpoint.posts.clear()
    add_video(db, "v2", name="Second")
    published_and_delivered(db, out, publish)
    assert endpoint.urls() == sorted([watch_url(db, "v1"), watch_url(db, "v2")])
    assert pending_paths(db, "indexnow:127.0.0.1") == []


def test_the_monthly_budget_holds_urls_owed_instead_of_sending_them(
    db: Database, out: Path, publish: Publish, endpoint: FakeIndexNow
) -> None:
    add_video(db, "v1")
    add_video(db, "v2")
    turn_on(db)
    change_seo_settings(db, indexnow=endpoint.url, indexnow_budget="1")
    published_and_delivered(db, out, publish)
    assert endpoint.posts == []
    assert len(pending_paths(db, "indexnow:127.0.0.1")) == 2


def test_at_most_ten_thousand_urls_a_post(db: Database, endpoint: FakeIndexNow) -> None:
    provider = IndexNow(endpoint.url, "0" * 32, f"{ORIGIN}/{'0' * 32}.txt", "example.com")
    urls = [f"{ORIGIN}/videos/v{number}" for number in range(10_001)]
    report = purge_changed(db, provider, urls)
    assert report.error is None
    assert [len(post["urlList"]) for post in endpoint.posts] == [10_000, 1]
    assert endpoint.urls() == sorted(urls)
