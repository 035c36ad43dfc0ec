"""The editing library on its own: ``wistia_sync.catalog.editing`` and ``catalog.changelog``
called directly on a temporary database, with no CLI and no publish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.support.factories import add_video, slug_of, tag_video
from wistia_sync.catalog.changelog import (
    ACTION_HIDE,
    ACTION_SHOW,
    ACTION_TAG_ADD,
    ACTION_TAG_DELETE,
    ACTION_TAG_MERGE,
    ACTION_TAG_REMOVE,
    ACTION_TAG_RENAME,
    read_change_log,
)
from wistia_sync.catalog.editing import (
    add_tags,
    delete_tag,
    remove_tags,
    rename_tag,
    set_visibility,
)
from wistia_sync.errors import UsageError
from wistia_sync.store.db import open_database

ONE, TWO, THREE = "aaaaaaaaa1", "bbbbbbbbb2", "ccccccccc3"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "wistia.db", create=True)
    for hashed_id in (ONE, TWO, THREE):
        add_video(database, hashed_id)
    database.conn.commit()
    yield database
    database.close()


def links(db: Database) -> set[tuple[str, str, str]]:
    """Every (video, tag name, source) link."""
    return {
        (hashed_id, name, source)
        for hashed_id, name, source in db.execute(
            "SELECT vt.hashed_id, t.name, vt.source FROM video_tags vt "
            "JOIN tags t ON t.id = vt.tag_id"
        ).fetchall()
    }


def log_rows(db: Database) -> list[tuple[str, str, str | None, str | None, str | None, str | None]]:
    """The change log, oldest first, as (actor, action, video, tag, before, after)."""
    return [
        (e.actor, e.action, e.hashed_id, e.tag, e.before, e.after)
        for e in reversed(read_change_log(db, limit=1000))
    ]


def test_add_tags_links_every_video_and_logs_each_link(db: Database) -> None:
    outcome = add_tags(db, [ONE, TWO], ["Onboarding", "onboarding", "Sales"], actor="ana")
    assert (outcome.changed, outcome.videos_changed, outcome.tags) == (
        4,
        2,
        ("Onboarding", "Sales"),
    )
    assert links(db) == {
        (ONE, "Onboarding", "editor"),
        (TWO, "Onboarding", "editor"),
        (ONE, "Sales", "editor"),
        (TWO, "Sales", "editor"),
    }
    assert log_rows(db) == [
        ("ana", ACTION_TAG_ADD, ONE, "Onboarding", None, "Onboarding"),
        ("ana", ACTION_TAG_ADD, TWO, "Onboarding", None, "Onboarding"),
        ("ana", ACTION_TAG_ADD, ONE, "Sales", None, "Sales"),
        ("ana", ACTION_TAG_ADD, TWO, "Sales", None, "Sales"),
    ]
    again = add_tags(db, [ONE], ["SALES"], actor="ana")
    assert again.changed == 0 and again.summary().startswith("nothing to change")
    assert len(log_rows(db)) == 4


def test_add_tags_is_all_or_nothing_on_an_unknown_video(db: Database) -> None:
    with pytest.raises(UsageError, match="zzzzzzzzz9"):
        add_tags(db, [ONE, "zzzzzzzzz9"], ["Onboarding"], actor="ana")
    assert links(db) == set()
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 0
    assert log_rows(db) == []


def test_add_tags_refuses_an_invalid_new_name_and_changes_nothing(db: Database) -> None:
    with pytest.raises(UsageError, match="control"):
        add_tags(db, [ONE], ["Good", "bad\x07name"], actor="ana")
    assert links(db) == set() and log_rows(db) == []


def test_add_tags_on_a_wistia_tag_adds_the_editor_link_too(db: Database) -> None:
    tag_video(db, ONE, "Onboarding", source="wistia")
    outcome = add_tags(db, [ONE], ["onboarding"], actor="ana")
    assert outcome.also_from_wistia == 1
    assert links(db) == {(ONE, "Onboarding", "wistia"), (ONE, "Onboarding", "editor")}


def test_remove_tags_undoes_an_add_and_forgets_an_orphan_tag(db: Database) -> None:
    add_tags(db, [ONE, TWO], ["Onboarding"], actor="ana")
    outcome = remove_tags(db, [ONE, TWO], ["ONBOARDING"], actor="bo")
    assert (outcome.changed, outcome.tags) == (2, ("Onboarding",))
    assert links(db) == set()
    assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 0
    assert log_rows(db)[-2:] == [
        ("bo", ACTION_TAG_REMOVE, ONE, "Onboarding", "Onboarding", None),
        ("bo", ACTION_TAG_REMOVE, TWO, "Onboarding", "Onboarding", None),
    ]


def test_remove_tags_refuses_a_wistia_tag_and_changes_nothing(db: Database) -> None:
    add_tags(db, [ONE], ["Onboarding"], actor="ana")
    tag_video(db, TWO, "Onboarding", source="wistia")
    db.conn.commit()
    before = (links(db), log_rows(db))
    with pytest.raises(UsageError, match="comes from Wistia"):
        remove_tags(db, [ONE, TWO], ["Onboarding"], actor="bo")
    assert (links(db), log_rows(db)) == before  # ONE's editor link was not removed either


def test_remove_tags_is_all_or_nothing_on_an_unknown_video(db: Database) -> None:
    add_tags(db, [ONE], ["Onboarding"], actor="ana")
    with pytest.raises(UsageError, match="zzzzzzzzz9"):
        remove_tags(db, [ONE, "zzzzzzzzz9"], ["Onboarding"], actor="bo")
    assert links(db) == {(ONE, "Onboarding", "editor")}


def test_remove_tags_keeps_the_wistia_link_where_both_set_it(db: Database) -> None:
    tag_video(db, ONE, "Onboarding", source="wistia")
    add_tags(db, [ONE], ["Onboarding"], actor="ana")
    outcome = remove_tags(db, [ONE], ["Onboarding"], actor="bo")
    assert (outcome.changed, outcome.also_from_wistia) == (1, 1)
    assert links(db) == {(ONE, "Onboarding", "wistia")}


def test_rename_tag_keeps_the_slug_and_logs_before_and_after(db: Database) -> None:
    add_tags(db, [ONE], ["Onboarding"], actor="ana")
    slug = slug_of(db, "Onboarding")
    outcome = rename_tag(db, "onboarding", "Getting Started", actor="bo")
    assert (outcome.kind, outcome.slug, outcome.videos) == ("renamed", slug, 1)
    assert slug_of(db, "Getting Started") == slug
    assert links(db) == {(ONE, "Getting Started", "editor")}
    assert log_rows(db)[-1] == (
        "bo",
        ACTION_TAG_RENAME,
        None,
        "Getting Started",
        "Onboarding",
        "Getting Started",
    )


def test_rename_tag_onto_an_existing_tag_merges_into_it(db: Database) -> None:
    add_tags(db, [ONE, TWO], ["Intro"], actor="ana")
    add_tags(db, [TWO, THREE], ["Onboarding"], actor="ana")
    slug = slug_of(db, "Onboarding")
    outcome = rename_tag(db, "Intro", "onboarding", actor="bo")
    assert (outcome.kind, outcome.new, outcome.slug, outcome.videos) == (
        "merged",
        "Onboarding",
        slug,
        2,
    )
    assert links(db) == {
        (ONE, "Onboarding", "editor"),
        (TWO, "Onboarding", "editor"),
        (THREE, "Onboarding", "editor"),
    }
    assert db.execute("SELECT name FROM tags").fetchall() == [("Onboarding",)]
    assert log_rows(db)[-2:] == [
        ("bo", ACTION_TAG_MERGE, ONE, "Onboarding", "Intro", "Onboarding"),
        ("bo", ACTION_TAG_MERGE, TWO, "Onboarding", "Intro", "Onboarding"),
    ]


def test_rename_tag_refuses_a_wistia_tag_but_allows_respelling_it(db: Database) -> None:
    tag_video(db, ONE, "onboarding", source="wistia")
    db.conn.commit()
    with pytest.raises(UsageError, match="comes from Wistia"):
        rename_tag(db, "onboarding", "Getting Started", actor="bo")
    assert rename_tag(db, "onboarding", "Onboarding", actor="bo").kind == "respelled"
    assert links(db) == {(ONE, "Onboarding", "wistia")}


def test_delete_tag_removes_editor_links_only(db: Database) -> None:
    add_tags(db, [ONE, TWO], ["Onboarding"], actor="ana")
    tag_video(db, THREE, "Onboarding", source="wistia")
    outcome = delete_tag(db, "Onboarding", actor="bo")
    assert (outcome.videos, outcome.wistia_videos) == (2, 1)
    assert links(db) == {(THREE, "Onboarding", "wistia")}
    assert [row[1:4] for row in log_rows(db)[-2:]] == [
        (ACTION_TAG_DELETE, ONE, "Onboarding"),
        (ACTION_TAG_DELETE, TWO, "Onboarding"),
    ]


def test_delete_tag_refuses_a_tag_only_wistia_sets(db: Database) -> None:
    tag_video(db, ONE, "Onboarding", source="wistia")
    db.conn.commit()
    with pytest.raises(UsageError, match="comes from Wistia only"):
        delete_tag(db, "Onboarding", actor="bo")
    assert links(db) == {(ONE, "Onboarding", "wistia")} and log_rows(db) == []


def visibility(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT hashed_id, visibility FROM videos").fetchall())


def test_set_visibility_hides_shows_and_toggles_with_a_log_row_each(db: Database) -> None:
    hid = set_visibility(db, [ONE, TWO], "hidden", actor="ana")
    assert (hid.hidden, hid.shown, hid.unchanged) == (2, 0, 0)
    again = set_visibility(db, [ONE], "hidden", actor="ana")
    assert again.changed == 0
    flipped = set_visibility(db, [TWO, THREE], None, actor="bo")
    assert (flipped.hidden, flipped.shown) == (1, 1)
    assert visibility(db) == {ONE: "hidden", TWO: "public", THREE: "hidden"}
    assert log_rows(db) == [
        ("ana", ACTION_HIDE, ONE, None, "public", "hidden"),
        ("ana", ACTION_HIDE, TWO, None, "public", "hidden"),
        ("bo", ACTION_SHOW, TWO, None, "hidden", "public"),
        ("bo", ACTION_HIDE, THREE, None, "public", "hidden"),
    ]


def test_set_visibility_is_all_or_nothing_on_an_unknown_video(db: Database) -> None:
    with pytest.raises(UsageError, match="zzzzzzzzz9"):
        set_visibility(db, [ONE, "zzzzzzzzz9"], "hidden", actor="ana")
    assert visibility(db) == {ONE: "public", TWO: "public", THREE: "public"}
    assert log_rows(db) == []


def test_read_change_log_is_newest_first_limited_and_by_video(db: Database) -> None:
    add_tags(db, [ONE], ["Onboarding"], actor="ana")
    set_visibility(db, [TWO], "hidden", actor="bo")
    set_visibility(db, [ONE], "hidden", actor="cy")
    newest = read_change_log(db, limit=2)
    assert [(e.actor, e.action) for e in newest] == [("cy", ACTION_HIDE), ("bo", ACTION_HIDE)]
    of_one = read_change_log(db, video=ONE)
    assert [(e.action, e.change()) for e in of_one] == [
        (ACTION_HIDE, "public → hidden"),
        (ACTION_TAG_ADD, "— → Onboarding"),
    ]
    assert of_one[0].as_json()["hashed_id"] == ONE
