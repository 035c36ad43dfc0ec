"""Issue 8, section 2 and 3: one bad record from Wistia never blocks the rest, and nothing it
sends is stored or published unsafely. A sync against the in-process fake account, with some of
its answers rewritten into what a hostile (or merely spec-conforming) server may send."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlite_utils import Database

from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.publish import PUBLISHED_VIDEO_CONDITION
from wistia_sync.store.db import open_database
from wistia_sync.store.state import get_state, watermark_key
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions, SyncSummary
from wistia_sync.wistia.client import ClientSettings, WistiaClient

TOKEN = "fake-token"
MAX_DESCRIPTION_LENGTH = 20_000  # the documented cap (models.MAX_DESCRIPTION_LENGTH)
Change = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.fixture
def fake() -> FakeWistia:
    return FakeWistia(*generate_catalog(120, seed=11), token=TOKEN)


def sync(
    db: Database,
    fake: FakeWistia,
    changes: dict[str, Change] | None = None,
    stats: Callable[[str], httpx.Response | None] | None = None,
    unlisted: frozenset[str] = frozenset(),
    **options: Any,
) -> SyncSummary:
    """Sync ``fake``, with each record whose hashed id is in ``changes`` rewritten on the way
    (in lists and shows), those in ``unlisted`` left out of lists, and stats answers replaced
    where ``stats(hashed_id)`` gives one."""
    changes = changes or {}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if stats is not None and path.endswith("/stats"):
            answer = stats(path.rsplit("/", 2)[-2])
            if answer is not None:
                return answer
        response = fake.handle(request)
        body = response.json()
        if isinstance(body, list):
            body = [
                changes.get(item["hashed_id"], _same)(item)
                for item in body
                if item["hashed_id"] not in unlisted
            ]
        elif isinstance(body, dict) and body.get("hashed_id") in changes and "stats" not in body:
            body = changes[body["hashed_id"]](body)
        return httpx.Response(response.status_code, content=json.dumps(body).encode())

    client = WistiaClient(
        ClientSettings(token=TOKEN), transport=httpx.MockTransport(handler), sleep=lambda s: None
    )
    with client:
        return sync_account(db, client, SyncOptions(**options))


def _same(item: dict[str, Any]) -> dict[str, Any]:
    return item


def published(db: Database) -> set[str]:
    return {
        row[0]
        for row in db.execute(f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}")
    }


def stored(db: Database, hashed_id: str) -> dict[str, Any] | None:
    cursor = db.execute("SELECT * FROM videos WHERE hashed_id = ?", [hashed_id])
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))


def videos(fake: FakeWistia) -> list[str]:
    return [m["hashed_id"] for m in fake.media() if m["type"] == "Video" and m["status"] == "ready"]


def with_fields(**fields: Any) -> Change:
    return lambda item: {**item, **fields}


# Each: a change to one published video, and whether that record must be rejected (quarantined)
# rather than stored repaired.
HOSTILE_RECORDS: dict[str, tuple[Change, bool]] = {
    "lone surrogate in the name": (with_fields(name="bad \ud800 name"), False),
    "id of 10**30": (with_fields(id=10**30), False),
    "name null": (with_fields(name=None), False),
    "duration 1e308": (with_fields(duration=1e308), False),
    "description not text": (with_fields(description={"html": "<p>"}), False),
    "tags not objects": (with_fields(tags=[None, 7, {"name": None}, {"name": "ok"}]), False),
    "folder without hashed_id": (with_fields(folder={"name": "x"}), False),
    "created in year 9999 with an offset": (with_fields(created="9999-12-31T23:00:00-05:00"), True),
    "created not a timestamp": (with_fields(created="yesterday"), True),
    "NUL in the hashed_id": (lambda item: {**item, "hashed_id": item["hashed_id"] + "\x00"}, True),
    "newline in the hashed_id": (
        lambda item: {**item, "hashed_id": item["hashed_id"] + "\n"},
        True,
    ),
    "path in the hashed_id": (lambda item: {**item, "hashed_id": "../" + item["hashed_id"]}, True),
    "no hashed_id": (lambda item: {k: v for k, v in item.items() if k != "hashed_id"}, True),
}


@pytest.mark.parametrize("kind", HOSTILE_RECORDS)
def test_one_bad_record_never_stops_a_first_run(db: Database, fake: FakeWistia, kind: str) -> None:
    change, rejected = HOSTILE_RECORDS[kind]
    target = videos(fake)[3]
    summary = sync(db, fake, {target: change})
    others = set(videos(fake)) - {target}
    assert others <= published(db)
    row = stored(db, target)
    if rejected:
        assert row is None
        assert summary.rejected == 1
        (reason,) = db.execute("SELECT reason FROM rejected_media").fetchone()
        assert reason
    else:
        assert row is not None and target in published(db)
        assert summary.rejected == 0
        row["name"].encode("utf-8")  # valid UTF-8, whatever arrived
    run = db.execute("SELECT outcome, rejected FROM sync_runs").fetchone()
    assert run == ("ok", int(rejected))


def test_a_rejected_update_keeps_the_last_good_row(db: Database, fake: FakeWistia) -> None:
    target = videos(fake)[0]
    sync(db, fake)
    before = stored(db, target)
    fake.update(target, name="Renamed")
    summary = sync(db, fake, {target: with_fields(updated="not a time")}, full=True, stats_budget=0)
    assert summary.rejected == 1 and summary.deleted == 0
    assert stored(db, target) == before
    fake.update(target, name="Renamed again")
    sync(db, fake, full=True)
    assert stored(db, target)["name"] == "Renamed again"  # type: ignore[index]
    assert db.execute("SELECT count(*) FROM rejected_media").fetchone()[0] == 0


def test_rejected_records_are_kept_with_reason_and_raw_json(db: Database, fake: FakeWistia) -> None:
    target = videos(fake)[1]
    sync(db, fake, {target: lambda item: {**item, "hashed_id": "x\ny", "name": "\ud800"}})
    key, hashed_id, reason, raw = db.execute(
        "SELECT key, hashed_id, reason, raw FROM rejected_media"
    ).fetchone()
    assert key.startswith("sha256:") and hashed_id is None
    assert "hashed_id" in reason
    assert json.loads(raw)["hashed_id"] == "x\ny"


def test_missing_status_or_archived_is_never_published(db: Database, fake: FakeWistia) -> None:
    no_status, no_archived = videos(fake)[:2]
    sync(
        db,
        fake,
        {
            no_status: lambda item: {k: v for k, v in item.items() if k != "status"},
            no_archived: lambda item: {k: v for k, v in item.items() if k != "archived"},
        },
    )
    assert stored(db, no_status)["status"] == "unknown"  # type: ignore[index]
    assert no_status not in published(db)
    # Listed by the archived=false pass: that pass says it is active.
    assert no_archived in published(db)


def test_a_media_fetched_alone_without_archived_is_not_published(
    db: Database, fake: FakeWistia
) -> None:
    target = videos(fake)[0]
    sync(db, fake)
    # Missing from a full crawl's listing, `target` is asked for by id: an answer without
    # `archived` or `status` (both optional in the spec) says nothing about its state.
    drop = {"status", "archived"}
    summary = sync(
        db,
        fake,
        {target: lambda item: {k: v for k, v in item.items() if k not in drop}},
        unlisted=frozenset({target}),
        full=True,
    )
    assert summary.deleted == 0
    row = stored(db, target)
    assert row is not None and row["archived"] == 1 and row["status"] == "unknown"
    assert target not in published(db)


def test_unsafe_text_is_repaired_and_warned_once(db: Database, fake: FakeWistia) -> None:
    first, second, third = videos(fake)[:3]
    huge = "d" * (MAX_DESCRIPTION_LENGTH * 5)
    summary = sync(
        db,
        fake,
        {
            first: with_fields(description=huge, thumbnail={"url": "javascript:alert(1)"}),
            second: with_fields(description=huge, name="x" * 5000),
            third: with_fields(thumbnail={"url": "data:image/png;base64,AAAA"}),
        },
    )
    assert len(stored(db, first)["description"]) == MAX_DESCRIPTION_LENGTH  # type: ignore[index]
    assert stored(db, first)["thumbnail_url"] is None  # type: ignore[index]
    assert stored(db, third)["thumbnail_url"] is None  # type: ignore[index]
    line = summary.warning_line()
    assert line is not None and "\n" not in line
    assert "description longer than 20,000 characters (truncated): 2" in line
    assert "thumbnail not an http(s) URL (not published): 2" in line
    (stored_line,) = db.execute("SELECT warnings FROM sync_runs").fetchone()
    assert stored_line == line


def test_duplicate_ids_on_one_page_are_stored_once(db: Database, fake: FakeWistia) -> None:
    target = videos(fake)[0]
    twin = videos(fake)[1]
    summary = sync(db, fake, {twin: lambda item: {**item, "hashed_id": target}})
    assert summary.rejected == 0
    assert db.execute("SELECT count(*) FROM videos WHERE hashed_id = ?", [target]).fetchone()[0]


def test_wistia_tags_are_nfc_and_stripped_of_control_and_bidi_characters(
    db: Database, fake: FakeWistia
) -> None:
    first, second = videos(fake)[:2]
    sync(
        db,
        fake,
        {
            first: with_fields(tags=[{"name": "Cafe\u0301"}, {"name": "evil\u202e\x1b[31m"}]),
            second: with_fields(tags=[{"name": "Caf\u00e9"}, {"name": "\u200b\x07"}]),
        },
    )
    names = sorted(
        row[0]
        for row in db.execute("SELECT name FROM tags WHERE name LIKE 'caf%' OR name LIKE 'evil%'")
    )
    assert names == ["Caf\u00e9", "evil[31m"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(403, json={"error": "Stats are not available on your current plan"}),
        httpx.Response(400, json={"error": "Bad request"}),
        httpx.Response(200, json={"stats": {"plays": 7.5}}),
        httpx.Response(200, json={"stats": {"plays": 10**30}}),
        httpx.Response(200, json=["not", "stats"]),
        httpx.Response(422, json={"error": "Unprocessable"}),
    ],
    ids=["403 plan", "400", "plays 7.5", "plays 10**30", "a list", "422"],
)
def test_a_failure_in_one_media_stats_is_recorded_and_never_aborts_the_run(
    db: Database, fake: FakeWistia, answer: httpx.Response
) -> None:
    target = videos(fake)[2]
    sync(db, fake, stats_budget=0)
    fake.delete(videos(fake)[7])
    summary = sync(
        db, fake, stats=lambda h: answer if h == target else None, full=True, stats_budget=500
    )
    assert summary.deleted == 1
    assert summary.stats_fetched == len(videos(fake)) - 1
    error = stored(db, target)["stats_error"]  # type: ignore[index]
    assert error
    assert db.execute("SELECT outcome FROM sync_runs ORDER BY id DESC").fetchone()[0] == "ok"
    assert get_state(db, watermark_key("active")) is not None


def test_a_far_future_updated_does_not_pin_the_watermark(db: Database, fake: FakeWistia) -> None:
    target = videos(fake)[0]
    sync(db, fake, {target: with_fields(updated="2999-01-01T00:00:00+00:00")}, stats_budget=0)
    watermark = get_state(db, watermark_key("active"))
    assert watermark is not None
    limit = datetime.now(UTC) + timedelta(minutes=6)
    assert watermark <= limit.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = videos(fake)[9]
    fake.update(changed, name="Changed after the future one", updated=datetime.now(UTC))
    sync(db, fake, stats_budget=0)
    assert stored(db, changed)["name"] == "Changed after the future one"  # type: ignore[index]


def test_a_list_answer_too_deep_to_parse_loses_only_its_too_deep_elements() -> None:
    from wistia_sync.wistia.jsonbody import NestedTooDeeply, TooDeep, parse_answer

    deep = "[" * 5_000 + "]" * 5_000
    body = (
        '[{"hashed_id": "a1", "name": "brackets ]}[{, and \\"quotes\\" in a string"}, '
        f'{{"name": "x", "hashedId": "b2", "assets": {deep}}}, {deep}, 7]'
    ).encode()
    first, second, third, fourth = parse_answer(body)
    assert first == {"hashed_id": "a1", "name": 'brackets ]}[{, and "quotes" in a string'}
    assert isinstance(second, TooDeep) and second.hashed_id == "b2"
    assert isinstance(third, TooDeep) and third.hashed_id is None
    assert fourth == 7
    assert parse_answer(b" [ ] ") == []
    with pytest.raises(NestedTooDeeply):
        parse_answer(f'{{"error": {deep}}}'.encode())
    with pytest.raises(ValueError):
        parse_answer(f"[{deep},]".encode())  # not JSON: unreadable, as any broken answer
