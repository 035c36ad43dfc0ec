"""The publisher's state is a row a bucket, a row a page and a row a video (m018), and it still
says exactly what the published files hold: every playlist's members in order, every page's
videos, every video's playlists. Checked against the files a reader can reach, after a rebuild,
after incremental edits, and after upgrading a database whose state was a row a member."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.publish import publish_site
from wistia_sync.store import migrations as schema
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.store.state import GRACE_KEY, PAGE_SIZE_KEY, TAKEDOWN_GRACE_KEY, set_state

M018 = "m018_publish_state_by_bucket"


def _catalog(path: Path, videos: int) -> Any:
    db = open_database(path, create=True)
    with write_transaction(db):
        set_state(db, PAGE_SIZE_KEY, "4")
        add_folder(db, "folder1")
        for n in range(videos):
            hashed_id = f"vid{n:06d}"
            created = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:{n % 60:02d}Z"
            folder = "folder1" if n % 2 else None
            add_video(db, hashed_id, created=created, folder_hashed_id=folder)
            for tag in {n % 3, 3 + n % 2}:
                tag_video(db, hashed_id, f"Tag {tag}")
    return db


def _read(out: Path, relative: str) -> Any:
    return json.loads((out / relative).read_bytes())


def _published(out: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What a reader finds: each playlist's hashed_ids in order (entry path -> ids), and each
    page it reaches (page path -> ids), following links from ``manifest.json``."""
    manifest = _read(out, "manifest.json")
    entries = [manifest["videos"]]
    for index, field in (("tags.json", "tags"), ("folders.json", "folders")):
        entries += [entry["url"] for entry in _read(out, index)[field]]
    playlists: dict[str, list[str]] = {}
    pages: dict[str, list[str]] = {}
    for entry in entries:
        data = _read(out, entry)
        base = entry.rpartition("/")[0]
        ids = [video["hashed_id"] for video in data["videos"]]
        links = [(base, page["url"]) for page in data["pages"]]
        for chunk in data.get("page_lists", []):
            chunk_path = posixpath.normpath(posixpath.join(base, chunk["url"]))
            chunk_base = chunk_path.rpartition("/")[0]
            links += [(chunk_base, page["url"]) for page in _read(out, chunk_path)["pages"]]
        for folder, url in links:
            page = posixpath.normpath(posixpath.join(folder, url))
            pages[page] = [video["hashed_id"] for video in _read(out, page)["videos"]]
            ids += pages[page]
        playlists[entry] = ids
    return playlists, pages


def _check_state(db: Any, out: Path) -> None:
    playlists, pages = _published(out)
    recorded: dict[str, list[str]] = {}
    for playlist, size, members in db.execute(
        "SELECT playlist, size, members FROM publish_buckets ORDER BY playlist, start_key"
    ):
        keys = members.split("\n") if members else []
        assert len(keys) == size
        recorded.setdefault(playlist, []).extend(key.rpartition(" ")[2] for key in keys)
    assert recorded == playlists
    recorded_pages = dict(db.execute("SELECT page, videos FROM publish_pages").fetchall())
    for page, ids in pages.items():
        assert recorded_pages[page].split("\n") == ids
    where: dict[str, set[str]] = {}
    for playlist, ids in playlists.items():
        for hashed_id in ids:
            where.setdefault(hashed_id, set()).add(playlist)
    videos = db.execute("SELECT hashed_id, sort_key, playlists FROM publish_videos").fetchall()
    assert {hashed_id: set(paths.split("\n")) for hashed_id, _, paths in videos} == where
    for hashed_id, key, _ in videos:
        assert key.endswith(f" {hashed_id}")


def test_the_state_is_what_the_files_hold_after_a_rebuild_and_after_edits(tmp_path: Path) -> None:
    database = tmp_path / "wistia.db"
    db = _catalog(database, 60)
    out, lock = tmp_path / "out", publish_lock_path(database)
    publish_site(db, out, lock_path=lock, force=True)
    _check_state(db, out)
    edits = [
        "UPDATE videos SET visibility = 'hidden' WHERE hashed_id = 'vid000007'",
        "UPDATE videos SET created = '2030-01-01T00:00:00Z' WHERE hashed_id = 'vid000021'",
        "UPDATE videos SET folder_hashed_id = NULL WHERE hashed_id = 'vid000013'",
        "DELETE FROM video_tags WHERE hashed_id IN ('vid000001', 'vid000004', 'vid000010')",
    ]
    for edit in edits:
        with write_transaction(db):
            db.execute(edit)
        publish_site(db, out, lock_path=lock)
        _check_state(db, out)
    with write_transaction(db):
        for n in range(60, 75):
            add_video(db, f"vid{n:06d}", created="2023-06-01T00:00:00Z")
            tag_video(db, f"vid{n:06d}", "Tag 0")
    publish_site(db, out, lock_path=lock)
    _check_state(db, out)


def test_a_page_retired_earlier_is_taken_down_from_its_recorded_videos(tmp_path: Path) -> None:
    """A page no playlist lists any more still names its videos (``publish_pages``): when one of
    them stops being published, the page goes after the takedown grace, not the usual one."""
    database = tmp_path / "wistia.db"
    db = _catalog(database, 40)
    with write_transaction(db):
        set_state(db, GRACE_KEY, "86400")
        set_state(db, TAKEDOWN_GRACE_KEY, "0")
    out, lock = tmp_path / "out", publish_lock_path(database)
    publish_site(db, out, lock_path=lock)
    _, pages = _published(out)
    page, ids = next((page, ids) for page, ids in sorted(pages.items()) if len(ids) > 1)
    with write_transaction(db):  # a neighbour's name changes: the page is replaced, retired
        db.execute("UPDATE videos SET name = 'renamed' WHERE hashed_id = ?", [ids[0]])
    publish_site(db, out, lock_path=lock)
    assert (out / page).exists()
    with write_transaction(db):  # then a video only that retired page still holds is hidden
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [ids[1]])
    publish_site(db, out, lock_path=lock)
    publish_site(db, out, lock_path=lock)  # past the takedown grace of 0 s
    assert not (out / page).exists()
    _check_state(db, out)


def test_upgrading_carries_a_state_of_a_row_a_member_over(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    schema.migrations.real.apply(db, stop_before=M018)
    keys = {f"v{n}": f"7{n} v{n}" for n in range(5)}  # sort keys end with their hashed_id
    for hashed_id, key in keys.items():
        db.execute("INSERT INTO publish_videos VALUES (?, ?)", [hashed_id, f'{{"n":"{key}"}}'])
        db.execute("INSERT INTO publish_members VALUES ('videos.json', ?, ?)", [key, hashed_id])
    for hashed_id in ("v1", "v3"):
        db.execute(
            "INSERT INTO publish_members VALUES ('tags/a.json', ?, ?)", [keys[hashed_id], hashed_id]
        )
    buckets = [("videos.json", "", 3, None), ("videos.json", keys["v3"], 2, "pages/p2.json")]
    buckets += [("tags/a.json", "", 2, None), ("tags/gone.json", "", 0, None)]
    db.conn.executemany("INSERT INTO publish_buckets VALUES (?, ?, ?, ?)", buckets)
    for hashed_id in ("v3", "v4"):
        db.execute("INSERT INTO publish_page_videos VALUES (?, 'pages/p2.json')", [hashed_id])
    db.conn.commit()
    schema.migrations.real.apply(db)
    members = db.execute(
        "SELECT playlist, start_key, members FROM publish_buckets ORDER BY 1, 2"
    ).fetchall()
    assert members == [
        ("tags/a.json", "", f"{keys['v1']}\n{keys['v3']}"),
        ("tags/gone.json", "", ""),
        ("videos.json", "", "\n".join(keys[h] for h in ("v0", "v1", "v2"))),
        ("videos.json", keys["v3"], f"{keys['v3']}\n{keys['v4']}"),
    ]
    videos = {
        hashed_id: (key, set(playlists.split("\n")))
        for hashed_id, key, playlists in db.execute(
            "SELECT hashed_id, sort_key, playlists FROM publish_videos"
        )
    }
    assert videos["v3"] == (keys["v3"], {"videos.json", "tags/a.json"})
    assert videos["v0"] == (keys["v0"], {"videos.json"})
    assert db.execute("SELECT * FROM publish_pages").fetchall() == [("pages/p2.json", "v3\nv4")]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"publish_members", "publish_page_videos"}
