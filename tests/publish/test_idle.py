"""``publish.idle.up_to_date`` says "nothing to do" exactly when the publisher would do nothing.

Each case that makes a publish write, retire, remove or record something must make
``up_to_date`` answer None; after that publish, it answers the generation the publisher left.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.support.factories import add_folder, add_video, tag_video
from wistia_sync.catalog.editing import add_tags, set_visibility
from wistia_sync.publish import PublishResult, preview, publish_site, state
from wistia_sync.publish.idle import GENERATION_KEY, NOOP_SUMMARY, OUTPUT_KEY, noop_result
from wistia_sync.publish.idle import up_to_date as idle_up_to_date
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import hold_lock
from wistia_sync.store.state import FULL_REBUILD_KEY, get_state, set_state


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = open_database(tmp_path / "wistia.db", create=True)
    add_folder(db, "fold000001", "Onboarding")
    for n in range(12):
        add_video(db, f"video{n:05d}", folder_hashed_id="fold000001" if n % 2 else None)
        tag_video(db, f"video{n:05d}", "Launch" if n % 3 else "Tour")
    change_site_settings(db, page_size=5)  # playlists with pages, which can expire
    return db


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    return tmp_path / "publish.lock"


def publish(db: Database, out: Path, lock: Path) -> PublishResult:
    return publish_site(db, out, lock_path=lock)


def up_to_date(db: Database, out: Path, lock: Path) -> str | None:
    return idle_up_to_date(db, out, lock_path=lock)


def does_nothing(result: PublishResult) -> bool:
    return not (result.written or result.removed or result.retired or result.full)


def test_after_a_publish_it_answers_what_a_publish_with_nothing_to_do_prints(
    db: Database, out: Path, lock: Path
) -> None:
    assert up_to_date(db, out, lock) is None  # nothing published yet
    publish(db, out, lock)
    generation = up_to_date(db, out, lock)

    again = publish(db, out, lock)
    assert does_nothing(again)
    assert generation == again.generation == get_state(db, state.GENERATION_KEY)
    assert noop_result(generation) == again.as_dict()
    assert again.summary() == NOOP_SUMMARY


def test_its_keys_are_the_publishers() -> None:
    assert (GENERATION_KEY, OUTPUT_KEY) == (state.GENERATION_KEY, state.OUTPUT_KEY)


def _pending_edit(db: Database, out: Path) -> None:
    add_tags(db, ["video00001"], ["Fresh"], actor="test")


def _hidden_video(db: Database, out: Path) -> None:
    set_visibility(db, ["video00002"], "hidden", actor="test")


def _rebuild_asked(db: Database, out: Path) -> None:
    set_state(db, FULL_REBUILD_KEY, "1")


def _page_grace_over(db: Database, out: Path) -> None:
    # A page an earlier publish retired, whose grace has ended: the next publish removes it.
    page = db.execute("SELECT path FROM published_files WHERE path LIKE 'pages/%'").fetchone()[0]
    db.execute(
        "UPDATE published_files SET expires_at = '2000-01-01T00:00:00Z' WHERE path = ?", [page]
    )


def _preview_page_removed(db: Database, out: Path) -> None:
    (out / "index.html").unlink()


def _preview_page_touched(db: Database, out: Path) -> None:
    page = out / "index.html"
    os.utime(page, ns=(1, 1))


def _preview_title_changed(db: Database, out: Path) -> None:
    db.execute(
        "INSERT INTO sync_state (key, value) VALUES ('site_preview_title', 'Another title') "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
    )


CASES: dict[str, Callable[[Database, Path], None]] = {
    "an edit not published yet": _pending_edit,
    "a video hidden": _hidden_video,
    "a rebuild asked for": _rebuild_asked,
    "a page past its grace": _page_grace_over,
    "the preview page removed": _preview_page_removed,
    "the preview page touched": _preview_page_touched,
    "the preview title changed": _preview_title_changed,
}


def test_a_new_version_of_the_package_is_not_up_to_date(
    db: Database, out: Path, lock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(db, out, lock)
    monkeypatch.setattr(preview, "__version__", "99.0.0")  # its preview page differs
    assert up_to_date(db, out, lock) is None
    assert "index.html" in publish(db, out, lock).changed_entries
    assert up_to_date(db, out, lock) is not None


@pytest.mark.parametrize("case", CASES)
def test_whatever_makes_a_publish_do_something_makes_it_say_no(
    db: Database, out: Path, lock: Path, case: str
) -> None:
    publish(db, out, lock)
    assert up_to_date(db, out, lock) is not None

    CASES[case](db, out)
    assert up_to_date(db, out, lock) is None

    publish(db, out, lock)
    assert up_to_date(db, out, lock) == get_state(db, state.GENERATION_KEY)
    assert does_nothing(publish(db, out, lock))


def test_another_output_folder_is_not_up_to_date(
    db: Database, out: Path, lock: Path, tmp_path: Path
) -> None:
    publish(db, out, lock)
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert up_to_date(db, other, lock) is None
    assert up_to_date(db, out, lock) is not None


def test_a_symlinked_managed_folder_is_left_to_the_publisher(
    db: Database, out: Path, lock: Path, tmp_path: Path
) -> None:
    publish(db, out, lock)
    (out / "tags").rename(tmp_path / "real-tags")
    (out / "tags").symlink_to(tmp_path / "real-tags")
    assert up_to_date(db, out, lock) is None


def test_a_publish_holding_the_lock_is_waited_for_by_the_publisher_not_answered(
    db: Database, out: Path, lock: Path
) -> None:
    publish(db, out, lock)
    with hold_lock(lock, wait=False):
        assert up_to_date(db, out, lock) is None
    assert up_to_date(db, out, lock) is not None
