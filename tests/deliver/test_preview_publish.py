"""The publisher writes ``index.html`` as a managed file: only when its bytes change, atomically,
listed in files.json as an entry file, removed when turned off, never over a page it did not
write."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from tests.support.factories import add_video, tag_video
from tests.support.previewpage import preview_page_problem
from wistia_sync.cli.app import app
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.publish import PublishResult, publish_site
from wistia_sync.publish import preview as render_module
from wistia_sync.publish import preview_page as preview_module
from wistia_sync.publish.preview import render_preview_page
from wistia_sync.publish.settings import DEFAULT_PREVIEW_TITLE, change_site_settings
from wistia_sync.store.db import open_database

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_database(tmp_path / "wistia.db", create=True)
    add_video(database, "v1")
    tag_video(database, "v1", "One")
    return database


def publish(db: Database, out: Path, **options: Any) -> PublishResult:
    return publish_site(db, out, lock_path=out.parent / "publish.lock", **options)


def listed(out: Path) -> dict[str, Any]:
    """What the published file list (index and shards) says of each file."""
    files = read_local_file_list(out)[0].files
    return {
        path: {"sha256": entry.sha256, "bytes": entry.bytes, "cache": entry.cache}
        for path, entry in files.items()
    }


def stat_of(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def no_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(title: str = "") -> bytes:
        raise AssertionError("the page was rendered")

    monkeypatch.setattr(preview_module, "render_preview_page", refuse)


def test_publish_writes_the_page_lists_it_and_purges_it_once(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = publish(db, out)

    page = (out / "index.html").read_bytes()
    assert page == render_preview_page(DEFAULT_PREVIEW_TITLE)
    assert preview_page_problem(page) == ""
    assert "index.html" in first.changed_entries
    assert first.as_dict()["cache"]["index.html"] == "entry"
    assert listed(out)["index.html"] == {
        "sha256": hashlib.sha256(page).hexdigest(),
        "bytes": len(page),
        "cache": "entry",
    }


def test_incremental_publishes_neither_render_nor_rewrite_the_page(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    before = stat_of(out / "index.html")
    no_render(monkeypatch)

    add_video(db, "v2")
    changed = publish(db, out)
    nothing = publish(db, out)

    assert "index.html" not in changed.written and changed.written
    assert nothing.written == []
    assert stat_of(out / "index.html") == before


def test_force_keeps_the_page_byte_identical_and_in_place(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(db, out)
    before = stat_of(out / "index.html")

    result = publish(db, out, force=True)

    assert result.written == []
    assert stat_of(out / "index.html") == before


def test_a_page_deleted_or_edited_by_hand_is_restored(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(db, out)
    expected = (out / "index.html").read_bytes()

    (out / "index.html").unlink()
    assert "index.html" in publish(db, out, repair=True).written
    (out / "index.html").write_bytes(expected.replace(b"Video library", b"Defaced"))
    assert "index.html" in publish(db, out, repair=True).written

    assert (out / "index.html").read_bytes() == expected


def test_a_new_version_rewrites_the_page_with_the_next_change(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    publish(db, out)
    monkeypatch.setattr(render_module, "__version__", "99.0.0")

    add_video(db, "v2")
    result = publish(db, out)

    assert "index.html" in result.changed_entries
    assert b'content="wistia-sync 99.0.0 preview ' in (out / "index.html").read_bytes()
    assert (
        listed(out)["index.html"]["sha256"]
        == hashlib.sha256((out / "index.html").read_bytes()).hexdigest()
    )


def test_the_site_setting_turns_the_page_off_and_on_and_sets_its_title(
    db: Database, tmp_path: Path
) -> None:
    out, database = tmp_path / "out", str(tmp_path / "wistia.db")
    publish(db, out)

    off = runner.invoke(app, ["site", "--no-preview-page", "--db", database])
    assert off.exit_code == 0, off.output
    assert "preview page: False" in off.stdout
    removed = publish(db, out)
    assert removed.removed == ["index.html"]
    assert not (out / "index.html").exists() and "index.html" not in listed(out)
    assert publish(db, out).written == []

    title = 'Acme <videos> & "more"'
    on = runner.invoke(
        app, ["site", "--preview-page", "--preview-title", title, "--db", database, "--json"]
    )
    assert on.exit_code == 0, on.output
    assert json.loads(on.stdout)["preview_title"] == title
    publish(db, out)
    page = (out / "index.html").read_bytes()
    assert page == render_preview_page(title)
    assert b"<title>Acme &lt;videos&gt; &amp; &#34;more&#34;</title>" in page
    assert "index.html" in listed(out)


@pytest.mark.parametrize("title", ["", "   ", "a\nb", "x" * 201, "bidi\u202eflip"])
def test_an_unusable_title_is_refused_and_changes_nothing(tmp_path: Path, title: str) -> None:
    database = str(tmp_path / "wistia.db")
    open_database(database, create=True).close()
    result = runner.invoke(app, ["site", "--preview-title", title, "--db", database])
    assert result.exit_code != 0
    assert "preview title" in result.output
    shown = runner.invoke(app, ["site", "--json", "--db", database])
    assert json.loads(shown.stdout)["preview_title"] == DEFAULT_PREVIEW_TITLE


def test_unchanged_settings_ask_for_no_rebuild(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(db, out)
    change_site_settings(db, preview_page=True, preview_title=DEFAULT_PREVIEW_TITLE)
    assert publish(db, out).full is False


def test_a_page_the_publisher_did_not_write_is_never_touched(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    own = b"<!doctype html><title>Our frontend</title>"
    (out / "index.html").write_bytes(own)

    with caplog.at_level(logging.WARNING):
        publish(db, out)
        publish(db, out, force=True)
        change_site_settings(db, preview_page=False)
        publish(db, out)

    assert (out / "index.html").read_bytes() == own
    assert "index.html" not in listed(out)
    assert "not written by wistia-sync" in caplog.text


def test_a_symlinked_page_is_left_alone(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_bytes(b"precious")
    (out / "index.html").symlink_to(elsewhere)

    publish(db, out)

    assert (out / "index.html").is_symlink() and elsewhere.read_bytes() == b"precious"


def test_a_page_printed_by_the_old_preview_page_command_is_taken_over(
    db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    older = render_preview_page(DEFAULT_PREVIEW_TITLE).replace(b"Video library", b"Old title")
    (out / "index.html").write_bytes(older)

    publish(db, out)

    assert (out / "index.html").read_bytes() == render_preview_page(DEFAULT_PREVIEW_TITLE)
    assert "index.html" in listed(out)
