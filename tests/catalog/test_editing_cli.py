"""Editor commands (tag, visibility, videos, log) through Typer's runner, on throwaway databases.

Every test starts from a small catalog published into a temporary output folder, runs commands the
way an editor types them, and checks the three places a change shows: the command's one line,
the database (links, visibility, change log) and the published files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from tests.support.factories import add_folder, add_video, slug_of, tag_video
from wistia_sync import config
from wistia_sync.catalog.videos import VideoFilter, list_videos
from wistia_sync.cli.app import app
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.store.db import open_database

WELCOME = "welcome001"  # published, folder Onboarding, Wistia tag "Onboarding"
SETUP = "setup00002"  # published, folder Onboarding, Wistia tag "how-to", editor tag "Basics"
CAFE = "cafe000003"  # published, folder Marketing, no tag
ARCHIVED = "archived04"  # archived in Wistia: never published
DELETED = "deleted005"  # deleted in Wistia
PROCESSING = "process006"  # still processing: not published yet

EXIT_USAGE = 2


@dataclass
class Workspace:
    """A database and output folder, with the catalog published, and a runner bound to them."""

    db_path: Path
    out: Path
    db: Database
    runner: CliRunner

    def invoke(self, *args: str, input: str | None = None, **env: str) -> Any:
        environment = {
            config.DB_ENV: str(self.db_path),
            config.OUTPUT_ENV: str(self.out),
            config.ACTOR_ENV: "alice",
            **env,
        }
        return self.runner.invoke(app, list(args), input=input, env=environment)

    def ok(self, *args: str, input: str | None = None, **env: str) -> str:
        """Run a command that must succeed; its stdout."""
        result = self.invoke(*args, input=input, **env)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return str(result.stdout)

    def refused(self, *args: str, input: str | None = None) -> str:
        """Run a command that must fail as a usage error, change nothing, and say why on stderr."""
        before = self.state()
        result = self.invoke(*args, input=input)
        assert result.exit_code == EXIT_USAGE, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert self.state() == before
        return " ".join(str(result.stderr).split())

    def state(self) -> dict[str, Any]:
        """Everything an editor command may change: rows and the output files' identities."""
        return {
            "tags": self.rows("SELECT id, name, key, slug FROM tags ORDER BY id"),
            "links": self.rows("SELECT hashed_id, tag_id, source FROM video_tags ORDER BY 1, 2, 3"),
            "visibility": self.rows("SELECT hashed_id, visibility FROM videos ORDER BY 1"),
            "log": self.rows("SELECT * FROM change_log ORDER BY id"),
            "files": stamps(self.out),
        }

    def rows(self, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.db.execute(sql, parameters or []).fetchall()]

    def tags_of(self, hashed_id: str) -> set[tuple[str, str]]:
        return set(
            self.rows(
                "SELECT t.name, vt.source FROM video_tags vt JOIN tags t ON t.id = vt.tag_id "
                "WHERE vt.hashed_id = ?",
                [hashed_id],
            )
        )

    def log(self) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT actor, action, hashed_id, tag, before, after FROM change_log ORDER BY id"
        )

    def read(self, path: str) -> Any:
        return json.loads((self.out / path).read_text(encoding="utf-8"))

    def playlist_ids(self, path: str) -> list[str]:
        """Every video of the playlist: the entry file's, then each page it lists."""
        entry = self.read(path)
        ids = [video["hashed_id"] for video in entry["videos"]]
        for page in entry["pages"]:
            url = page["url"].removeprefix("../")
            ids += [video["hashed_id"] for video in self.read(url)["videos"]]
        return ids

    def video_tags(self, hashed_id: str) -> list[str]:
        return [tag["name"] for tag in self.read(f"videos/{hashed_id}.json")["video"]["tags"]]


def stamps(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file: any rewrite, atomic or not, changes one of them."""
    return {
        path.relative_to(out).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def file_bytes(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def build_catalog(db: Database) -> None:
    add_folder(db, "fold0onbrd", "Onboarding")
    add_folder(db, "fold0mktg1", "Marketing")
    add_video(
        db,
        WELCOME,
        id=1001,
        name="Welcome to Acme",
        description="Start here",
        folder_hashed_id="fold0onbrd",
        created="2024-03-01T00:00:00Z",
        plays=468,
    )
    add_video(
        db,
        SETUP,
        id=1002,
        name="Setting Up Your Workspace",
        folder_hashed_id="fold0onbrd",
        created="2024-02-01T00:00:00Z",
        plays=2044,
    )
    add_video(
        db,
        CAFE,
        id=1003,
        name="Café Lumière: Scheduling 40 Shops",
        description="A <b>customer</b> story from Strasse 7",
        folder_hashed_id="fold0mktg1",
        created="2024-01-15T00:00:00Z",
        plays=641,
    )
    add_video(db, ARCHIVED, id=1004, name="Holiday Campaign", archived=1)
    add_video(db, DELETED, id=1005, name="Old Upload", deleted_at="2024-04-01T00:00:00Z")
    add_video(db, PROCESSING, id=1006, name="Admin Console Basics", status="processing")
    tag_video(db, WELCOME, "Onboarding")
    tag_video(db, SETUP, "how-to")
    tag_video(db, SETUP, "Basics", source="editor")
    tag_video(db, ARCHIVED, "Onboarding")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    db_path = tmp_path / "wistia.db"
    db = open_database(db_path, create=True)
    build_catalog(db)
    workspace = Workspace(db_path, tmp_path / "output", db, CliRunner())
    assert "published" in workspace.ok("publish")
    yield workspace
    db.close()


# -- tag add ---------------------------------------------------------------------------------------


def test_tag_add_gives_one_video_several_tags_and_publishes_a_playlist_per_new_tag(
    ws: Workspace,
) -> None:
    line = ws.ok("tag", "add", CAFE, "Customer Story", "Featured")

    assert line.startswith('tagged 1 video with "Customer Story" and "Featured"; published ')
    assert line.count("\n") == 1
    assert ws.tags_of(CAFE) == {("Customer Story", "editor"), ("Featured", "editor")}
    assert ws.playlist_ids("tags/customer-story.json") == [CAFE]
    assert ws.read("tags/featured.json")["title"] == "Featured"
    assert ws.video_tags(CAFE) == ["Customer Story", "Featured"]
    assert {tag["name"] for tag in ws.read("tags.json")["tags"]} >= {"Customer Story", "Featured"}


def test_tag_add_with_tag_option_tags_many_videos_with_one_republish(ws: Workspace) -> None:
    line = ws.ok("tag", "add", "--tag", "Launch", WELCOME, SETUP, CAFE)

    assert line.startswith('tagged 3 videos with "Launch"; published ')
    assert line.count("published") == 1
    assert ws.playlist_ids("tags/launch.json") == [WELCOME, SETUP, CAFE]


def test_tag_add_reads_video_ids_from_standard_input(ws: Workspace) -> None:
    ids = f"{WELCOME}\tWelcome to Acme\n\n# a comment line\n  {CAFE}\n1002\n"

    line = ws.ok("tag", "add", "--tag", "Spring", "-", input=ids)

    assert line.startswith('tagged 3 videos with "Spring"')
    assert sorted(ws.playlist_ids("tags/spring.json")) == sorted([WELCOME, SETUP, CAFE])


def test_piped_videos_list_feeds_tag_add(ws: Workspace) -> None:
    listing = ws.ok("videos", "list", "--folder", "Onboarding")

    ws.ok("tag", "add", "--tag", "Team", "-", input=listing)

    assert ws.rows(
        "SELECT hashed_id FROM video_tags JOIN tags ON tags.id = tag_id "
        "WHERE tags.name = 'Team' ORDER BY 1"
    ) == [(SETUP,), (WELCOME,)]


def test_numeric_id_names_the_same_video(ws: Workspace) -> None:
    ws.ok("tag", "add", "1003", "Stories")
    assert ws.tags_of(CAFE) == {("Stories", "editor")}


def test_tagging_again_says_nothing_to_change_and_rewrites_no_file(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "Launch", WELCOME, CAFE)
    before = ws.state()

    line = ws.ok("tag", "add", "--tag", "launch", WELCOME, CAFE)

    assert line == 'nothing to change: 2 videos already tagged "Launch"\n'
    assert ws.state() == before


def test_tagging_with_a_tag_wistia_set_adds_an_editor_link_and_rewrites_no_file(
    ws: Workspace,
) -> None:
    files = stamps(ws.out)

    line = ws.ok("tag", "add", WELCOME, "ONBOARDING")

    assert line.startswith('tagged 1 video with "Onboarding" (1 also tagged in Wistia); ')
    assert "published 0 files, removed 0" in line
    assert ws.tags_of(WELCOME) == {("Onboarding", "wistia"), ("Onboarding", "editor")}
    assert stamps(ws.out) == files


def test_removing_a_tag_set_by_an_editor_and_wistia_removes_the_editor_link(
    ws: Workspace,
) -> None:
    ws.ok("tag", "add", WELCOME, "Onboarding")

    line = ws.ok("tag", "remove", WELCOME, "onboarding")

    assert line.startswith(
        'removed "Onboarding" from 1 video (Wistia still tags 1: remove it in Wistia '
        "(the next sync then drops it)); published 0 files"
    )
    assert ws.tags_of(WELCOME) == {("Onboarding", "wistia")}


def test_partly_tagged_batch_counts_only_the_videos_that_changed(ws: Workspace) -> None:
    ws.ok("tag", "add", WELCOME, "Launch")
    line = ws.ok("tag", "add", "--tag", "Launch", WELCOME, CAFE)
    assert line.startswith('tagged 1 video with "Launch" (1 already tagged); published ')


def test_tags_match_by_unicode_casefold_and_keep_their_first_spelling(ws: Workspace) -> None:
    ws.ok("tag", "add", WELCOME, "  Straße ")
    line = ws.ok("tag", "add", CAFE, "STRASSE")

    assert line.startswith('tagged 1 video with "Straße"')
    assert ws.rows("SELECT name, slug FROM tags WHERE key = 'strasse'") == [("Straße", "strasse")]
    assert sorted(ws.playlist_ids("tags/strasse.json")) == sorted([WELCOME, CAFE])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("x" * 101, "101 characters long; the limit is 100"),
        ("bell\x07tag", "control"),
        ("tab\tinside", "control"),
        ("zero\u200bwidth", "control"),
    ],
)
def test_bad_tag_names_are_refused_and_change_nothing(
    ws: Workspace, name: str, message: str
) -> None:
    assert message in ws.refused("tag", "add", "--tag", "Good", "--tag", name, WELCOME)
    assert message in ws.refused("tag", "add", CAFE, name)
    assert message in ws.refused("tag", "remove", CAFE, name)
    assert message in ws.refused("tag", "rename", "Basics", name)


def test_an_existing_wistia_tag_beyond_editor_rules_can_still_be_used(ws: Workspace) -> None:
    long_name = "w" * 120  # Wistia does not share our limit
    tag_video(ws.db, WELCOME, long_name)
    ws.ok("tag", "add", CAFE, long_name.upper())
    assert ws.tags_of(CAFE) == {(long_name, "editor")}


def test_a_hundred_characters_after_trimming_is_accepted(ws: Workspace) -> None:
    ws.ok("tag", "add", CAFE, "  " + "y" * 100 + "  ")
    assert ws.tags_of(CAFE) == {("y" * 100, "editor")}


def test_unknown_video_fails_the_whole_command_and_suggests_a_search(ws: Workspace) -> None:
    message = ws.refused("tag", "add", "--tag", "Launch", WELCOME, "nosuchvid", "99999")

    assert 'unknown videos "nosuchvid" and "99999"' in message
    assert "wistia-sync videos list --search" in message


def test_video_deleted_in_wistia_cannot_be_edited(ws: Workspace) -> None:
    assert "deleted in Wistia" in ws.refused("visibility", "hide", DELETED)
    assert "deleted in Wistia" in ws.refused("tag", "add", DELETED, "Launch")


def test_tag_add_needs_a_video_and_a_tag(ws: Workspace) -> None:
    assert "at least one TAG" in ws.refused("tag", "add", WELCOME)
    assert "standard input held no ids" in ws.refused("tag", "add", "--tag", "T", "-", input="")
    assert "only once" in ws.refused("tag", "add", "--tag", "T", "-", "-", input=WELCOME)


# -- tag remove ------------------------------------------------------------------------------------


def test_removing_the_last_use_of_a_tag_removes_its_playlist_file(ws: Workspace) -> None:
    slug = slug_of(ws.db, "Basics")
    assert (ws.out / f"tags/{slug}.json").exists()

    line = ws.ok("tag", "remove", SETUP, "basics")

    assert line.startswith('removed "Basics" from 1 video; published ')
    assert ", removed 1," in line
    assert not (ws.out / f"tags/{slug}.json").exists()
    assert "Basics" not in {tag["name"] for tag in ws.read("tags.json")["tags"]}
    assert ws.rows("SELECT 1 FROM tags WHERE key = 'basics'") == []


def test_remove_with_tag_option_removes_from_many_videos(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "Launch", WELCOME, SETUP, CAFE)
    line = ws.ok("tag", "remove", "--tag", "Launch", WELCOME, CAFE)
    assert line.startswith('removed "Launch" from 2 videos; published ')
    assert ws.playlist_ids("tags/launch.json") == [SETUP]


def test_removing_a_tag_the_video_lacks_changes_nothing(ws: Workspace) -> None:
    before = ws.state()
    line = ws.ok("tag", "remove", CAFE, "Basics", "never-seen")
    assert line == 'nothing to change: 1 video not tagged "Basics" and "never-seen"\n'
    assert ws.state() == before


def test_wistia_tag_cannot_be_removed_locally(ws: Workspace) -> None:
    ws.ok("tag", "add", WELCOME, "Launch")

    message = ws.refused("tag", "remove", "--tag", "Launch", "--tag", "Onboarding", WELCOME)

    assert f'"Onboarding" on "{WELCOME}" comes from Wistia' in message
    assert "remove it in Wistia (the next sync then drops it)" in message
    assert ("Launch", "editor") in ws.tags_of(WELCOME)  # the editor tag in the same command stayed


# -- tag list --------------------------------------------------------------------------------------


def test_tag_list_counts_published_and_total_videos_and_names_the_source(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "how-to", CAFE, PROCESSING)

    lines = [line.split("\t") for line in ws.ok("tag", "list").splitlines()]

    assert lines == [
        ["Basics", "basics", "1", "1", "editor"],
        ["how-to", "how-to", "2", "3", "both"],
        ["Onboarding", "onboarding", "1", "2", "wistia"],
    ]


def test_tag_list_json(ws: Workspace) -> None:
    data = json.loads(ws.ok("tag", "list", "--json"))
    assert data[0] == {
        "name": "Basics",
        "slug": "basics",
        "published": 1,
        "total": 1,
        "source": "editor",
    }


def test_tag_list_of_one_video_shows_where_each_tag_comes_from(ws: Workspace) -> None:
    ws.ok("tag", "add", SETUP, "How-To", "Zen")  # how-to is set by Wistia too

    lines = [line.split("\t") for line in ws.ok("tag", "list", "1002").splitlines()]

    assert lines == [
        ["Basics", "basics", "editor"],
        ["how-to", "how-to", "both"],
        ["Zen", "zen", "editor"],
    ]


# -- tag rename ------------------------------------------------------------------------------------


def test_rename_changes_the_display_name_and_keeps_the_slug(ws: Workspace) -> None:
    line = ws.ok("tag", "rename", "basics", "Getting Started")

    assert line.startswith(
        'renamed "Basics" to "Getting Started" on 1 video (its URL stays tags/basics.json)'
    )
    assert ws.read("tags/basics.json")["title"] == "Getting Started"
    assert ws.video_tags(SETUP) == ["Getting Started", "how-to"]
    assert ws.rows("SELECT name, key, slug FROM tags WHERE slug = 'basics'") == [
        ("Getting Started", "getting started", "basics")
    ]
    # The new name is the tag's identity now.
    assert ws.ok("tag", "add", SETUP, "getting STARTED").startswith("nothing to change")


def test_rename_into_an_existing_tag_merges_keeping_sources_and_its_slug(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "Howto", CAFE, SETUP)

    line = ws.ok("tag", "rename", "Howto", "HOW-TO")

    assert line.startswith('merged "Howto" into "how-to" (2 videos); published ')
    assert ws.tags_of(CAFE) == {("how-to", "editor")}
    assert ws.tags_of(SETUP) == {("Basics", "editor"), ("how-to", "wistia"), ("how-to", "editor")}
    assert not (ws.out / "tags/howto.json").exists()
    assert ws.playlist_ids("tags/how-to.json") == [SETUP, CAFE]
    assert ws.rows("SELECT 1 FROM tags WHERE key = 'howto'") == []


def test_case_only_respelling_of_a_wistia_tag_is_allowed(ws: Workspace) -> None:
    line = ws.ok("tag", "rename", "how-to", "How-To")
    assert line.startswith('renamed "how-to" to "How-To"')
    assert ws.read("tags/how-to.json")["title"] == "How-To"


def test_renaming_a_wistia_tag_to_another_name_is_refused(ws: Workspace) -> None:
    message = ws.refused("tag", "rename", "Onboarding", "Getting Started")
    assert "comes from Wistia on 2 videos" in message
    assert "rename it in Wistia" in message


def test_rename_to_the_same_spelling_changes_nothing(ws: Workspace) -> None:
    before = ws.state()
    assert ws.ok("tag", "rename", "basics", "Basics").startswith("nothing to change")
    assert ws.state() == before


def test_rename_of_an_unknown_tag_is_refused(ws: Workspace) -> None:
    assert 'no tag named "Nope"' in ws.refused("tag", "rename", "Nope", "Other")


# -- tag delete ------------------------------------------------------------------------------------


def test_tag_delete_needs_yes_when_not_at_a_terminal(ws: Workspace) -> None:
    message = ws.refused("tag", "delete", "Basics", input="y\n")
    assert "pass --yes" in message


def test_tag_delete_removes_editor_links_only(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "how-to", CAFE, WELCOME)

    line = ws.ok("tag", "delete", "How-to", "--yes")

    assert line.startswith(
        'deleted "how-to" from 2 videos; Wistia still sets it on 1 video '
        "(remove it in Wistia (the next sync then drops it)); published "
    )
    assert ws.playlist_ids("tags/how-to.json") == [SETUP]
    assert ws.tags_of(SETUP) == {("Basics", "editor"), ("how-to", "wistia")}


def test_tag_delete_of_the_last_use_removes_the_tag_and_its_file(ws: Workspace) -> None:
    ws.ok("tag", "delete", "basics", "-y")
    assert not (ws.out / "tags/basics.json").exists()
    assert ws.rows("SELECT 1 FROM tags WHERE key = 'basics'") == []


def test_tag_delete_of_a_wistia_only_tag_is_refused(ws: Workspace) -> None:
    message = ws.refused("tag", "delete", "Onboarding", "--yes")
    assert "comes from Wistia only" in message
    assert "remove it in Wistia" in message


def test_tag_delete_of_an_unknown_tag_is_refused(ws: Workspace) -> None:
    assert 'no tag named "ghost"' in ws.refused("tag", "delete", "ghost", "--yes")


# -- visibility ------------------------------------------------------------------------------------


def test_hidden_video_vanishes_from_every_output_file(ws: Workspace) -> None:
    published_before = file_bytes(ws.out)
    list_before = read_local_file_list(ws.out)[0]
    assert any(WELCOME.encode() in content for content in published_before.values())

    line = ws.ok("visibility", "hide", WELCOME)

    assert line.startswith("hid 1 video; published ")
    for path, content in file_bytes(ws.out).items():
        assert WELCOME.encode() not in content, path
        assert b"Welcome to Acme" not in content, path
    # Its only tag had no other published video: that playlist went too.
    assert not (ws.out / "tags/onboarding.json").exists()

    ws.ok("visibility", "show", WELCOME)

    restored = file_bytes(ws.out)
    # The file list (files.json and its shards) holds the manifest's fingerprint: compared as
    # the list it makes, without that entry.
    listing = {"files.json", *(p for p in {*restored, *published_before} if p.startswith("files/"))}
    # The search index: new shards (the video comes back with a new number), the old ones in
    # their grace.
    listing |= {p for p in {*restored, *published_before} if p.startswith("search/")}
    assert set(restored) - listing == set(published_before) - listing
    for path in set(restored) - listing:
        if path != "manifest.json":  # its updated_at moves with every change, by contract
            assert restored[path] == published_before[path], path
    after = dict(read_local_file_list(ws.out)[0].files)
    before = dict(list_before.files)
    after.pop("manifest.json"), before.pop("manifest.json")
    assert {p: f for p, f in after.items() if p not in listing} == {
        p: f for p, f in before.items() if p not in listing
    }


def test_hide_and_show_are_idempotent(ws: Workspace) -> None:
    ws.ok("visibility", "hide", CAFE)
    before = ws.state()

    assert ws.ok("visibility", "hide", CAFE) == "nothing to change: 1 video already hidden\n"
    assert ws.state() == before

    ws.ok("visibility", "show", CAFE)
    before = ws.state()
    assert ws.ok("visibility", "show", CAFE) == "nothing to change: 1 video already public\n"
    assert ws.state() == before


def test_hide_counts_the_videos_already_hidden(ws: Workspace) -> None:
    ws.ok("visibility", "hide", CAFE)
    line = ws.ok("visibility", "hide", CAFE, WELCOME)
    assert line.startswith("hid 1 video (1 already hidden); published ")


def test_toggle_flips_each_video(ws: Workspace) -> None:
    ws.ok("visibility", "hide", CAFE)

    line = ws.ok("visibility", "toggle", CAFE, WELCOME)

    assert line.startswith("hid 1 video and showed 1 video; published ")
    visibility = dict(ws.rows("SELECT hashed_id, visibility FROM videos"))
    assert (visibility[CAFE], visibility[WELCOME]) == ("public", "hidden")


def test_visibility_commands_read_ids_from_standard_input(ws: Workspace) -> None:
    ws.ok("visibility", "hide", "-", input=f"{CAFE}\n{SETUP}\n")
    assert ws.ok("visibility", "list", "--hidden").splitlines() == [
        f"{SETUP}\thidden\tno\tSetting Up Your Workspace",
        f"{CAFE}\thidden\tno\tCafé Lumière: Scheduling 40 Shops",
    ]


def test_visibility_list_says_whether_public_videos_are_published(ws: Workspace) -> None:
    rows = [line.split("\t") for line in ws.ok("visibility", "list", "--public").splitlines()]
    assert {row[0]: row[2] for row in rows} == {
        PROCESSING: "no",
        ARCHIVED: "no",
        WELCOME: "yes",
        SETUP: "yes",
        CAFE: "yes",
    }


@pytest.mark.parametrize(
    "command", [("visibility", "list"), ("videos", "list"), ("videos", "list", "--json")]
)
def test_hidden_and_public_together_are_refused(ws: Workspace, command: tuple[str, ...]) -> None:
    message = ws.refused(*command, "--hidden", "--public")
    assert "--hidden and --public cannot be combined" in message


# -- publishing choices ----------------------------------------------------------------------------


def test_no_publish_changes_the_database_only_and_publish_catches_up(ws: Workspace) -> None:
    files_before = stamps(ws.out)

    line = ws.ok("visibility", "hide", WELCOME, "--no-publish")

    assert line == (
        "hid 1 video; not published (--no-publish): run `wistia-sync publish` to catch up\n"
    )
    assert stamps(ws.out) == files_before
    assert (ws.out / f"videos/{WELCOME}.json").exists()

    assert ", removed " in ws.ok("publish")
    assert not (ws.out / f"videos/{WELCOME}.json").exists()


def test_json_result_of_a_change(ws: Workspace) -> None:
    data = json.loads(ws.ok("visibility", "hide", CAFE, "--json"))
    assert data["changed"] == 1
    assert data["summary"] == "hid 1 video"
    assert f"videos/{CAFE}.json" in data["publish"]["removed"]


def test_quiet_prints_nothing(ws: Workspace) -> None:
    assert ws.ok("tag", "add", CAFE, "Quiet", "--quiet") == ""
    assert ws.tags_of(CAFE) == {("Quiet", "editor")}


# -- the change log --------------------------------------------------------------------------------


def test_every_change_is_logged_with_who_what_before_and_after(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "Launch", WELCOME, CAFE)
    ws.ok("tag", "remove", CAFE, "Launch", "--actor", "bob")
    ws.ok("visibility", "hide", SETUP, WISTIA_SYNC_ACTOR="carol")
    ws.ok("tag", "rename", "launch", "Launch Week")
    ws.ok("tag", "delete", "launch week", "--yes")

    assert ws.log() == [
        ("alice", "tag add", WELCOME, "Launch", None, "Launch"),
        ("alice", "tag add", CAFE, "Launch", None, "Launch"),
        ("bob", "tag remove", CAFE, "Launch", "Launch", None),
        ("carol", "hide", SETUP, None, "public", "hidden"),
        ("alice", "tag rename", None, "Launch Week", "Launch", "Launch Week"),
        ("alice", "tag delete", WELCOME, "Launch Week", "Launch Week", None),
    ]


def test_merge_logs_every_video_it_moves(ws: Workspace) -> None:
    ws.ok("tag", "add", "--tag", "Howto", CAFE, WELCOME)
    ws.ok("tag", "rename", "Howto", "how-to")
    assert ws.log()[-2:] == [
        ("alice", "tag merge", CAFE, "how-to", "Howto", "how-to"),
        ("alice", "tag merge", WELCOME, "how-to", "Howto", "how-to"),
    ]


def test_refused_and_unchanged_commands_log_nothing(ws: Workspace) -> None:
    ws.ok("visibility", "show", CAFE)
    ws.invoke("tag", "add", "--tag", "X", CAFE, "nosuchvid")
    assert ws.log() == []


def test_log_command_shows_newest_first_and_filters_by_video(ws: Workspace) -> None:
    ws.ok("tag", "add", CAFE, "Launch")
    ws.ok("visibility", "hide", WELCOME)
    ws.ok("visibility", "hide", CAFE)

    lines = [line.split("\t") for line in ws.ok("log").splitlines()]
    assert [line[1:] for line in lines] == [
        ["alice", "hide", CAFE, "", "public → hidden"],
        ["alice", "hide", WELCOME, "", "public → hidden"],
        ["alice", "tag add", CAFE, "Launch", "— → Launch"],
    ]
    assert lines[0][0].endswith("Z")

    assert len(ws.ok("log", "--video", "1003").splitlines()) == 2
    assert len(ws.ok("log", "--limit", "1").splitlines()) == 1
    entry = json.loads(ws.ok("log", "--json", "-n", "1"))[0]
    assert {key: entry[key] for key in ("actor", "action", "hashed_id", "before", "after")} == {
        "actor": "alice",
        "action": "hide",
        "hashed_id": CAFE,
        "before": "public",
        "after": "hidden",
    }


def test_log_of_an_unknown_video_is_refused(ws: Workspace) -> None:
    assert "unknown video" in ws.refused("log", "--video", "nosuchvid")


def test_actor_defaults_to_the_login_name(ws: Workspace) -> None:
    ws.ok("visibility", "hide", CAFE, WISTIA_SYNC_ACTOR="", LOGNAME="dora", USER="dora")
    assert ws.log()[-1][0] == "dora"


def test_log_is_empty_at_first(ws: Workspace) -> None:
    result = ws.invoke("log")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no editorial changes yet" in result.stderr


# -- videos list / show ----------------------------------------------------------------------------


def test_videos_list_prints_tab_separated_rows_newest_first_when_piped(ws: Workspace) -> None:
    lines = ws.ok("videos", "list").splitlines()

    assert [line.split("\t")[0] for line in lines] == [
        WELCOME,
        SETUP,
        CAFE,
        ARCHIVED,
        PROCESSING,
    ]
    assert lines[1].split("\t") == [
        SETUP,
        "Setting Up Your Workspace",
        "Onboarding",
        "Basics, how-to",
        "public",
        "ready",
        "2044",
    ]
    assert lines[3].split("\t")[5] == "archived"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--tag", "HOW-TO"), [SETUP]),
        (("--tag", "onboarding"), [WELCOME, ARCHIVED]),
        (("--folder", "onboarding"), [WELCOME, SETUP]),
        (("--folder", "fold0mktg1"), [CAFE]),
        (("--search", "CAFÉ"), [CAFE]),
        (("--search", "strasse 7"), [CAFE]),  # description, any case
        (("--search", "WELCOME0"), [WELCOME]),  # hashed id
        (("--limit", "2"), [WELCOME, SETUP]),
        (("--folder", "Onboarding", "--tag", "how-to", "--public"), [SETUP]),
    ],
)
def test_videos_list_filters(ws: Workspace, options: tuple[str, ...], expected: list[str]) -> None:
    lines = ws.ok("videos", "list", *options).splitlines()
    assert [line.split("\t")[0] for line in lines] == expected


def test_videos_list_hidden_only(ws: Workspace) -> None:
    ws.ok("visibility", "hide", SETUP)
    assert [v["hashed_id"] for v in json.loads(ws.ok("videos", "list", "--hidden", "--json"))] == [
        SETUP
    ]


def test_videos_list_json(ws: Workspace) -> None:
    (video,) = json.loads(ws.ok("videos", "list", "--search", "welcome", "--json"))
    assert video == {
        "hashed_id": WELCOME,
        "id": 1001,
        "name": "Welcome to Acme",
        "folder": {"hashed_id": "fold0onbrd", "name": "Onboarding"},
        "tags": ["Onboarding"],
        "visibility": "public",
        "type": "Video",
        "status": "ready",
        "archived": False,
        "protected": False,
        "published": True,
        "plays": 468,
        "created": "2024-03-01T00:00:00Z",
    }


def test_videos_list_with_no_match_prints_nothing_on_stdout(ws: Workspace) -> None:
    result = ws.invoke("videos", "list", "--search", "zzz-nothing")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no video matches" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--tag", "ghost"), 'no tag named "ghost"'),
        (("--folder", "Nowhere"), 'no folder "Nowhere"'),
        (("--limit", "0"), "Invalid value"),
    ],
)
def test_videos_list_bad_filters_are_usage_errors(
    ws: Workspace, options: tuple[str, ...], message: str
) -> None:
    assert message in ws.refused("videos", "list", *options)


def test_videos_show_explains_why_a_video_is_not_published(ws: Workspace) -> None:
    ws.ok("visibility", "hide", ARCHIVED)

    details = json.loads(ws.ok("videos", "show", "1004", "--json"))

    assert details["hashed_id"] == ARCHIVED
    assert details["published"] is False
    assert details["unpublished_because"] == ["archived", "hidden by an editor"]
    assert details["tags"] == [{"name": "Onboarding", "slug": "onboarding", "source": "wistia"}]
    assert details["embed_url"] == f"https://fast.wistia.net/embed/iframe/{ARCHIVED}"


def test_videos_show_prints_fields_one_per_line_when_piped(ws: Workspace) -> None:
    fields = dict(line.split("\t", 1) for line in ws.ok("videos", "show", SETUP).splitlines())
    assert fields["name"] == "Setting Up Your Workspace"
    assert fields["tags"] == "Basics (editor), how-to (wistia)"
    assert fields["published"] == "yes"
    assert fields["folder"] == "Onboarding (fold0onbrd)"


def test_videos_show_of_a_deleted_video_explains_rather_than_refuses(ws: Workspace) -> None:
    details = json.loads(ws.ok("videos", "show", DELETED, "--json"))
    assert details["unpublished_because"] == ["deleted in Wistia"]


def test_videos_show_of_an_unknown_video_is_refused(ws: Workspace) -> None:
    assert "unknown video" in ws.refused("videos", "show", "nosuchvid")


def test_listing_costs_the_same_number_of_queries_for_any_number_of_videos(
    tmp_path: Path,
) -> None:
    def statements_to_list(video_count: int) -> int:
        db = open_database(tmp_path / f"{video_count}.db", create=True)
        add_folder(db, "f1", "Folder")
        for number in range(video_count):
            hashed_id = f"v{number:04d}"
            add_video(db, hashed_id, folder_hashed_id="f1")
            tag_video(db, hashed_id, f"tag {number % 7}")
            tag_video(db, hashed_id, "shared", source="editor")
        executed: list[str] = []
        db.conn.set_trace_callback(executed.append)
        videos = list_videos(db, VideoFilter(tag="shared", folder="Folder", search="v0"))
        db.conn.set_trace_callback(None)
        assert len(videos) == video_count
        assert all(len(video.tags) == 2 for video in videos)
        return len(executed)

    assert statements_to_list(3) == statements_to_list(60)


# -- every command ---------------------------------------------------------------------------------

EDITOR_COMMANDS = [
    ("tag", "add"),
    ("tag", "remove"),
    ("tag", "list"),
    ("tag", "rename"),
    ("tag", "delete"),
    ("visibility", "hide"),
    ("visibility", "show"),
    ("visibility", "toggle"),
    ("visibility", "list"),
    ("videos", "list"),
    ("videos", "show"),
    ("log",),
]


@pytest.mark.parametrize("command", EDITOR_COMMANDS, ids=" ".join)
def test_every_editor_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert len(result.stdout.split("\n\n")[1].strip()) > 20  # a real description


def test_an_editor_command_on_a_file_that_is_not_a_database_fails_cleanly(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not sqlite at all, just some notes\n")
    result = CliRunner().invoke(app, ["tag", "list", "--db", str(bogus)])
    assert result.exit_code == 1
    assert "not a wistia-sync database" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_database_stays_consistent_for_other_readers(ws: Workspace) -> None:
    """A second connection (another process's view) sees each command's change complete."""
    ws.ok("tag", "add", "--tag", "Launch", WELCOME, SETUP, CAFE)
    other = sqlite3.connect(ws.db_path)
    try:
        links = other.execute(
            "SELECT count(*) FROM video_tags JOIN tags ON tags.id = tag_id WHERE name = 'Launch'"
        ).fetchone()[0]
        logged = other.execute("SELECT count(*) FROM change_log").fetchone()[0]
    finally:
        other.close()
    assert (links, logged) == (3, 3)
