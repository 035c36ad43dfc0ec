"""The search client (search.js) in headless Chromium, through the preview page's search box and
on its own, against the published files served by nginx: real queries, ranked as the reference
evaluator ranks them, fetching only the shards a query needs, a stale query aborted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deliver.test_preview_browser import wait_ready
from tests.deliver.test_verify import origin_and_cdn
from tests.search.reader import PublishedIndex
from tests.search.test_search_index import WORDS, add_transcript
from tests.support.factories import add_folder, add_video, tag_video
from tests.support.nginxserver import free_port, require_nginx, running_nginx
from wistia_sync.publish import publish_site, search_index
from wistia_sync.store.db import open_database, write_transaction

QUERIES = ["cafe", "ZÜR", "onboarding", "onboarding check", "bravo delta", "東京", "nothing here"]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    require_nginx()
    monkeypatch.setattr(search_index, "TERM_SHARD_POSTINGS", 16)  # many shards to choose from
    db = open_database(tmp_path / "wistia.db", create=True)
    with write_transaction(db):
        add_folder(db, "fold01", "Customer Stories")
        add_video(db, "onboard01", name="Onboarding your team", created="2024-01-01T00:00:00Z")
        add_video(
            db,
            "cafe0001",
            name="Café culture in Zürich",
            created="2024-02-01T00:00:00Z",
            folder_hashed_id="fold01",
        )
        add_video(db, "tokyo001", name="東京の夜景", created="2024-03-01T00:00:00Z")
        add_video(db, "pricing1", name="Pricing explained", created="2024-04-01T00:00:00Z")
        add_video(db, "webinar1", name="Quarterly webinar", created="2024-05-01T00:00:00Z")
        tag_video(db, "pricing1", "Onboarding", source="editor")
        add_transcript(db, "webinar1", "the onboarding checklist")
        for i in range(150):
            add_video(
                db,
                f"filler{i:03d}",
                name=f"{WORDS[i % 26]} {WORDS[(i * 3) % 26]} {i}",
                created=f"2023-{i % 12 + 1:02d}-01T00:00:00Z",
            )
        add_video(db, "secret01", name="Secret onboarding plan", visibility="hidden")
    out = tmp_path / "out"
    publish_site(db, out, lock_path=tmp_path / "lock")
    db.conn.close()
    port = free_port()
    with running_nginx(tmp_path / "nginx", origin_and_cdn(out, port, free_port(), tmp_path / "c")):
        yield f"http://127.0.0.1:{port}/", out


def _query(driver: Any, base: str, text: str, options: dict[str, Any] | None = None) -> Any:
    return driver.execute_async_script(
        """
        const [base, text, options, done] = arguments;
        import(base + "search.js").then(async (client) => {
          window.searcher ??= client.createSearch(base + "search/index.json");
          const before = performance.getEntriesByType("resource").length;
          const found = await window.searcher.query(text, options);
          const fetched = performance.getEntriesByType("resource").slice(before)
            .map((entry) => new URL(entry.name).pathname.slice(1));
          done({ ids: found.results.map((r) => r.hashed_id), total: found.total,
                 urls: found.results.map((r) => r.url), fetched });
        }).catch((error) => done({ error: String(error) }));
        """,
        base,
        text,
        options or {},
    )


def test_the_client_ranks_as_the_reference_evaluator_and_fetches_only_what_it_needs(
    site: tuple[str, Path], browser: Any
) -> None:
    base, out = site
    browser.get(base + "index.html")
    wait_ready(browser)
    reference = PublishedIndex(out)
    term_shards = {url for _, _, url in reference.entry["shards"]}
    assert len(term_shards) > 20
    for text in QUERIES:
        found = _query(browser, base, text)
        assert "error" not in found, found
        expected = [r["hashed_id"] for r in reference.search(text)]
        assert found["ids"] == expected[:10], text
        assert found["total"] == len(expected)
        fetched_shards = [p for p in found["fetched"] if p.removeprefix("search/") in term_shards]
        assert len(fetched_shards) <= 2 * len(text.split()) + 4, (text, found["fetched"])
    assert _query(browser, base, "secret")["ids"] == []
    (record_url,) = _query(browser, base, "zurich")["urls"]
    assert record_url == base + "videos/cafe0001.json"
    filtered = _query(browser, base, "", {"folder": "fold01"})
    assert filtered["ids"] == ["cafe0001"]


def test_a_newer_query_aborts_the_stale_one(site: tuple[str, Path], browser: Any) -> None:
    base, _ = site
    browser.get(base + "index.html")
    wait_ready(browser)
    outcome = browser.execute_async_script(
        """
        const [base, done] = arguments;
        import(base + "search.js").then(async (client) => {
          const searcher = client.createSearch(base + "search/index.json");
          const stale = searcher.query("bravo");
          const fresh = searcher.query("charlie");
          const first = await stale.then(() => "resolved", (error) => error.name);
          const second = await fresh;
          done({ first, second: second.results.length });
        }).catch((error) => done({ error: String(error) }));
        """,
        base,
    )
    assert outcome == {"first": "AbortError", "second": outcome["second"]}
    assert outcome["second"] > 0


def test_the_preview_page_search_box_shows_ranked_results(
    site: tuple[str, Path], browser: Any
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    base, out = site
    browser.get(base + "index.html")
    wait_ready(browser)
    box = browser.find_element("id", "search")
    for text, expected in (
        ("onboard", ["onboard01", "pricing1", "webinar1"]),
        ("zür", ["cafe0001"]),
    ):
        box.clear()
        box.send_keys(text)  # a query per keystroke: each aborts the one before
        WebDriverWait(browser, 10).until(
            lambda d, text=text: (
                d.find_element("tag name", "body").get_attribute("data-search") == text
            )
        )
        cards = browser.find_elements("css selector", "#gallery .card")
        assert [c.get_attribute("data-hashed-id") for c in cards] == expected
        assert browser.find_element("id", "heading").text.startswith(f"Search: {text}")
    assert json.loads((out / "search" / "index.json").read_bytes())["version"] == 1
