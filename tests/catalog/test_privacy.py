"""Nothing private is ever published: protected media, and pages retired before a takedown.

Every check walks every file in the output folder (each one the publisher owns, listed in
files.json or retired and still on disk), never one path.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database
from typer.testing import CliRunner

from tests.support.factories import add_video, tag_video
from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
from wistia_sync.cli.app import app
from wistia_sync.demo import FakeWistia, demo_catalog
from wistia_sync.publish import publish_site
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient
from wistia_sync.wistia.records import read_media

PROTECTED_DEMO_VIDEO = "s9jk3cz5kl"  # "Single Sign-On Setup", protected in the demo catalog
TOKEN = "fake-token"


def files_holding(output: Path, needle: str) -> list[str]:
    """Every file under ``output`` whose bytes or name contain ``needle`` (a caption file,
    ``captions/<hashed_id>.<lang>.<hash>.vtt``, names its video only in its name)."""
    return sorted(
        path.relative_to(output).as_posix()
        for path in output.rglob("*")
        if path.is_file() and (needle in path.name or needle.encode() in path.read_bytes())
    )


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def published_ids(db: Database) -> set[str]:
    return {
        row[0]
        for row in db.execute(f"SELECT v.hashed_id FROM videos v WHERE {PUBLISHED_VIDEO_CONDITION}")
    }


def unpublished_ids(db: Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT hashed_id FROM videos")} - published_ids(db)


# -- password-protected media ----------------------------------------------------------------------


def test_demo_protected_video_is_in_no_published_file(tmp_path: Path) -> None:
    db, output = str(tmp_path / "wistia.db"), tmp_path / "output"
    cli("run", "--demo", "--quiet", "--db", db, "--output", str(output))

    assert files_holding(output, PROTECTED_DEMO_VIDEO) == []
    assert files_holding(output, "Single Sign-On Setup") == []
    assert len(list(output.rglob("*.json"))) > 20  # the rest of the catalog is published


def test_protected_video_shows_why_in_videos_list_show_and_status(tmp_path: Path) -> None:
    db = str(tmp_path / "wistia.db")
    cli("sync", "--demo", "--quiet", "--db", db)

    listed = cli("videos", "list", "--search", "single sign", "--db", db).stdout
    assert listed.split("\t")[0] == PROTECTED_DEMO_VIDEO
    assert "ready, protected" in listed
    as_json = json.loads(cli("videos", "list", "--search", "sign-on", "--json", "--db", db).stdout)
    assert [(v["protected"], v["published"]) for v in as_json] == [(True, False)]
    shown = json.loads(cli("videos", "show", PROTECTED_DEMO_VIDEO, "--json", "--db", db).stdout)
    assert shown["unpublished_because"] == ["password-protected in Wistia"]
    status = cli("status", "--db", db).stdout
    assert ["protected", "1"] in [line.split() for line in status.splitlines()]


def client_for(fake: FakeWistia) -> WistiaClient:
    return WistiaClient(
        ClientSettings(token=TOKEN),
        transport=httpx.MockTransport(fake.handle),
        sleep=lambda seconds: None,
    )


def test_media_that_becomes_protected_leaves_every_file_and_comes_back_when_unprotected(
    tmp_path: Path,
) -> None:
    fake = FakeWistia(*demo_catalog(), token=TOKEN)
    db = open_database(tmp_path / "wistia.db", create=True)
    output, lock = tmp_path / "output", tmp_path / "publish.lock"
    change_site_settings(db, page_size=3)  # so the video also sits on immutable pages
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions())
    publish_site(db, output, lock_path=lock)
    page = json.loads((output / "videos.json").read_bytes())["pages"][0]["url"]
    video = json.loads((output / page).read_bytes())["videos"][0]["hashed_id"]
    assert f"videos/{video}.json" in files_holding(output, video)

    fake.update(video, protected=True)
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions())
    change_site_settings(db, takedown_grace=timedelta(0))
    result = publish_site(db, output, lock_path=lock)
    assert f"videos/{video}.json" in result.removed  # removed, so purged like a hidden one
    publish_site(db, output, lock_path=lock)  # the takedown grace (0 s) has passed
    assert files_holding(output, video) == []

    fake.update(video, protected=None)  # the spec: null when the media is not protected
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions())
    publish_site(db, output, lock_path=lock)
    assert f"videos/{video}.json" in files_holding(output, video)


def media_record(**fields: Any) -> dict[str, Any]:
    return {
        "hashed_id": "abc123",
        "created": "2026-01-01T00:00:00+00:00",
        "status": "ready",
        "archived": False,
        "folder": None,
        **fields,
    }


def test_protected_is_read_as_the_spec_says_and_anything_unclear_is_not_published() -> None:
    for value, protected in ((True, True), (False, False), (None, False)):
        notes: Counter[str] = Counter()
        assert read_media(media_record(protected=value), notes).protected is protected
        assert not notes
    for record in (media_record(), media_record(protected="false"), media_record(protected=0)):
        notes = Counter()
        assert read_media(record, notes).protected is True
        assert any("protected" in note for note in notes)


# -- takedown grace for pages retired earlier ------------------------------------------------------


def demo_in_pages_of_five(
    tmp_path: Path, *, page_number: int
) -> tuple[Path, tuple[str, ...], str, list[str]]:
    """The demo published in pages of 5 with no takedown grace: the output folder, the
    --db/--output arguments, ``videos.json``'s page ``page_number`` and the videos on it."""
    db, output = str(tmp_path / "wistia.db"), tmp_path / "output"
    where = ("--db", db, "--output", str(output))
    cli("run", "--demo", "--quiet", *where)
    cli("site", "--page-size", "5", "--takedown-grace", "0s", "--db", db)
    cli("publish", *where)
    page = json.loads((output / "videos.json").read_bytes())["pages"][page_number]["url"]
    videos = [video["hashed_id"] for video in json.loads((output / page).read_bytes())["videos"]]
    return output, where, page, videos


def test_page_retired_by_an_earlier_edit_is_taken_down_when_a_video_on_it_is_hidden(
    tmp_path: Path,
) -> None:
    """The issue's reproduction, through the CLI on the demo catalog."""
    output, where, page, videos = demo_in_pages_of_five(tmp_path, page_number=2)
    x, y = videos[:2]

    cli("tag", "add", x, "Retag", *where)  # retires the page, with the 24 h grace
    assert (output / page).exists()
    cli("visibility", "hide", y, *where)
    cli("publish", *where)
    cli("publish", *where)

    assert files_holding(output, y) == []
    assert not (output / page).exists()


def test_a_video_hidden_before_a_page_size_recut_leaves_the_pages_the_recut_retires(
    tmp_path: Path,
) -> None:
    """A hide left unpublished (``--no-publish``) and a re-cut carried out by one publish: the
    re-cut's retired pages held the video and kept it for the 24 h grace."""
    output, where, _, videos = demo_in_pages_of_five(tmp_path, page_number=1)
    hidden = videos[0]

    cli("visibility", "hide", hidden, "--no-publish", *where)
    cli("site", "--page-size", "7", *where[:2])
    cli("publish", *where)
    cli("publish", *where)

    assert files_holding(output, hidden) == []


edits = st.lists(
    st.tuples(
        st.sampled_from(
            ["hide", "show", "tag", "untag", "protect", "archive", "delete", "upload", "recut"]
        ),
        st.integers(0, 40),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.integers(1, 25), steps=edits, page_size=st.integers(1, 4))
def test_once_the_takedown_grace_passed_no_file_holds_an_unpublished_video(
    initial: int, steps: list[tuple[str, int, int]], page_size: int
) -> None:
    """After any sequence of edits (each published), and one more publish once the takedown
    grace (0 s) has passed, no file on disk names a video that is not published, while pages
    retired with only published videos may stay for their 24 h grace."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        db = open_database(root / "wistia.db", create=True)
        change_site_settings(db, page_size=page_size, takedown_grace=timedelta(0))
        out, lock = root / "out", root / "publish.lock"
        tags = ["Tag one qz", "Tag two qz", "Tag three qz"]
        for index in range(initial):
            add_video(db, f"vid{index:03d}qz", created=f"2024-01-{index % 28 + 1:02d}T00:00:00Z")
        publish_site(db, out, lock_path=lock)
        count = initial
        for action, number, tag in steps:
            target = f"vid{number % count:03d}qz"
            if action == "recut":  # a new page size retires every page, with the 24 h grace
                change_site_settings(db, page_size=number % 4 + 1)
            with write_transaction(db):
                if action == "upload":
                    add_video(
                        db, f"vid{count:03d}qz", created=f"2024-02-{number % 28 + 1:02d}T00:00:00Z"
                    )
                    count += 1
                elif action in ("hide", "show"):
                    visibility = "hidden" if action == "hide" else "public"
                    db.execute(
                        "UPDATE videos SET visibility = ? WHERE hashed_id = ?", [visibility, target]
                    )
                elif action == "tag":
                    tag_video(db, target, tags[tag], source="editor")
                elif action == "untag":
                    db.execute("DELETE FROM video_tags WHERE hashed_id = ?", [target])
                elif action == "protect":
                    db.execute(
                        "UPDATE videos SET protected = 1 - protected WHERE hashed_id = ?", [target]
                    )
                elif action == "archive":
                    db.execute(
                        "UPDATE videos SET archived = 1 - archived WHERE hashed_id = ?", [target]
                    )
                elif action == "delete":
                    db.execute(
                        "UPDATE videos SET deleted_at = '2024-05-01T00:00:00Z' WHERE hashed_id = ?",
                        [target],
                    )
            publish_site(db, out, lock_path=lock)
        publish_site(db, out, lock_path=lock)  # the takedown grace has passed

        for hashed_id in sorted(unpublished_ids(db)):
            assert files_holding(out, hashed_id) == [], hashed_id
        db.close()


def database_before_m008(path: Path) -> None:
    """A database as wistia-sync left it before ``m008_protected_media`` (m001 to m007)."""
    from sqlite_utils import Migrations

    import wistia_sync.store.migrations as db_module

    older = Migrations(db_module.MIGRATION_SET)
    for name in db_module.migrations.names[
        : db_module.migrations.names.index("m008_protected_media")
    ]:
        older(name=name)(getattr(db_module, name))
    old = Database(path)
    older.apply(old)
    old.conn.close()


def test_upgrading_crawls_in_full_rebuilds_and_cuts_the_grace_of_pages_already_retired(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wistia.db"
    database_before_m008(path)
    old = Database(path)
    with old.conn:
        old.execute(
            "INSERT INTO videos (hashed_id, name, type, status, created, updated, first_seen, "
            "last_seen) VALUES (?, 'Single Sign-On Setup', 'Video', 'ready', ?, ?, ?, ?)",
            [PROTECTED_DEMO_VIDEO, *["2026-01-01T00:00:00Z"] * 4],
        )
        old.execute(
            "INSERT INTO sync_state (key, value) VALUES ('last_full_crawl', '2099-01-01T00:00:00Z')"
        )
        old.execute(
            "INSERT INTO published_files (path, sha256, bytes, mtime_ns, cache, expires_at) VALUES "
            "('pages/0123456789abcdef0123456789abcdef.json', 'x', 1, 1, 'immutable', "
            "'2099-01-01T00:00:00Z')"
        )
    old.conn.close()

    db = open_database(path)
    assert db.execute("SELECT protected FROM videos").fetchall() == [(0,)]  # as published so far
    assert db.execute("SELECT value FROM sync_state WHERE key = 'last_full_crawl'").fetchall() == []
    assert db.execute(
        "SELECT value FROM sync_state WHERE key = 'publish_full_rebuild'"
    ).fetchall() == [("1",)]
    (expires,) = db.execute("SELECT expires_at FROM published_files").fetchone()
    assert expires < "2099"  # its videos are unknown: it keeps at most the takedown grace
    db.close()

    run = cli("run", "--demo", "--db", str(path), "--output", str(tmp_path / "output"))
    assert run.stdout.startswith("full sync")
    assert files_holding(tmp_path / "output", PROTECTED_DEMO_VIDEO) == []


# -- look-alike text -----------------------------------------------------------------------------

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FULLWIDTH_WEBINAR = "\uff37\uff45\uff42\uff49\uff4e\uff41\uff52\uff51\uff5a"  # "Webinarqz"
CYRILLIC_WEBINAR = "W\u0435bin\u0430rqz"  # Cyrillic e and a


def publishable_demo_media(fake: FakeWistia, count: int) -> list[str]:
    return [
        media["hashed_id"]
        for media in fake.media()
        if media["type"] == "Video"
        and media["status"] == "ready"
        and not media["archived"]
        and not media["protected"]
    ][:count]


def test_no_published_file_holds_a_bidi_control(tmp_path: Path) -> None:
    fake = FakeWistia(*demo_catalog(), token=TOKEN)
    first, second = publishable_demo_media(fake, 2)
    fake.update(
        first,
        name="Quarterly \u202egpj.exe",
        description="<p>\u2067Read\u2069 me\u200f</p>",
        folder={"id": 1, "name": "Sales\u202e Team", "hashed_id": "bidifolder1"},
        tags=["Launch\u202e"],
    )
    fake.update(second, folder={"id": 1, "name": "Sales\u202e Team", "hashed_id": "bidifolder1"})
    db = open_database(tmp_path / "wistia.db", create=True)
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions())
    output = tmp_path / "output"
    publish_site(db, output, lock_path=tmp_path / "publish.lock")

    assert '"Sales Team"' in (output / "folders.json").read_text("utf-8")
    assert "Quarterly gpj.exe" in (output / f"videos/{first}.json").read_text("utf-8")
    for path in output.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8")
            assert not any(char in text for char in BIDI), path
            assert not any(ascii(char)[1:-1] in text.lower() for char in BIDI), path


def test_fullwidth_tags_are_one_tag_and_other_scripts_stay_apart(tmp_path: Path) -> None:
    """NFKC folds fullwidth forms into tag identity; a Cyrillic look-alike is another word
    (the decision recorded in docs/lookalikes.md)."""
    fake = FakeWistia(*demo_catalog(), token=TOKEN)
    latin, fullwidth, cyrillic = publishable_demo_media(fake, 3)
    fake.update(latin, tags=["Webinarqz"])
    fake.update(fullwidth, tags=[FULLWIDTH_WEBINAR])
    fake.update(cyrillic, tags=[CYRILLIC_WEBINAR])
    db = open_database(tmp_path / "wistia.db", create=True)
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions())
    output = tmp_path / "output"
    publish_site(db, output, lock_path=tmp_path / "publish.lock")

    tags = json.loads((output / "tags.json").read_bytes())["tags"]
    webinars = {tag["name"]: tag["count"] for tag in tags if tag["name"].endswith("rqz")}
    assert webinars.pop(CYRILLIC_WEBINAR) == 1
    assert list(webinars.values()) == [2]  # one tag, spelled as whichever came first


def test_editor_tag_in_fullwidth_letters_is_the_existing_tag(tmp_path: Path) -> None:
    db_path, output = str(tmp_path / "wistia.db"), tmp_path / "output"
    db = open_database(db_path, create=True)
    add_video(db, "vidaaa01")
    tag_video(db, "vidaaa01", "Webinar", source="editor")
    db.close()
    fullwidth = "\uff37\uff45\uff42\uff49\uff4e\uff41\uff52"
    result = cli("tag", "add", "vidaaa01", fullwidth, "--db", db_path, "--output", str(output))
    assert "nothing to change" in result.output
    listed = cli("tag", "list", "--db", db_path).stdout
    assert fullwidth not in listed and "Webinar" in listed


def test_upgrading_merges_tags_that_only_fullwidth_forms_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "wistia.db"
    database_before_m008(path)
    old = Database(path)
    fullwidth = "\uff37\uff45\uff42\uff49\uff4e\uff41\uff52"
    with old.conn:
        for number, hashed_id in enumerate(("vidaaa01", "vidaaa02")):
            old.execute(
                "INSERT INTO videos (hashed_id, name, type, status, created, updated, "
                "first_seen, last_seen) VALUES (?, 'n', 'Video', 'ready', ?, ?, ?, ?)",
                [hashed_id, *["2026-01-01T00:00:00Z"] * 4],
            )
            name, key, slug = (
                ("Webinar", "webinar", "webinar"),
                (fullwidth, fullwidth.casefold(), "webinar-1a2b3c"),
            )[number]
            old.execute(
                "INSERT INTO tags (id, name, key, slug, created_at) VALUES (?, ?, ?, ?, ?)",
                [number + 1, name, key, slug, "2026-01-01T00:00:00Z"],
            )
            old.execute(
                "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
                "VALUES (?, ?, 'editor', '2026-01-01T00:00:00Z')",
                [hashed_id, number + 1],
            )
    old.conn.close()

    db = open_database(path)
    assert db.execute("SELECT id, name, key, slug FROM tags").fetchall() == [
        (1, "Webinar", "webinar", "webinar")
    ]
    assert db.execute("SELECT hashed_id, tag_id FROM video_tags ORDER BY 1").fetchall() == [
        ("vidaaa01", 1),
        ("vidaaa02", 1),
    ]
    assert db.execute("SELECT action, hashed_id, before, after FROM change_log").fetchall() == [
        ("tag merge", "vidaaa02", fullwidth, "Webinar")
    ]
    db.close()
