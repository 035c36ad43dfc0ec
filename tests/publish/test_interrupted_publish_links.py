"""A publish that writes caption files, search files and files for search engines, killed at
every call of the output folder's operations; then the next publish, which hides a video.

What a reader can reach is checked, not only what files.json names: the site's own reader
starts at files.json (or manifest.json) and follows links; a delivery diffs two files.json and
uploads what the new one lists, so a link from a listed file to a file it does not list is a
404 in the bucket. After the kill: every listed file exists and every link from every file a
reader reaches leads to an existing file (an entry file may be newer than the list: the list is
placed last). After the next publish: every listed file exists with its sha256, every link from
a listed file leads to a listed file, every file in the folder is listed (a file written but
never listed is one no delivery uploads and no publish removes), no file shows the hidden
video, and the folder equals a fresh publish of the database but for the files in grace.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.publish.test_interrupted_publish import Faults, Killed, Site
from tests.reliability.harness import output_files, seo_file_problem
from tests.support.factories import add_video, tag_video
from tests.support.fresh_compare import fresh_differences
from wistia_sync.contract.filelist import read_local_file_list
from wistia_sync.contract.layout import (
    CAPTION_PATH,
    FILES_PATH,
    JSONLD_PATH,
    MANIFEST_PATH,
    PAGE_PATH,
    SEARCH_SHARD_PATH,
    SITEMAP_PATH,
    TEMP_FOLDER,
    is_list_file,
)
from wistia_sync.contract.vtt import cues_digest
from wistia_sync.publish import publish_site
from wistia_sync.publish.seo_settings import change_seo_settings
from wistia_sync.publish.settings import change_site_settings
from wistia_sync.store.db import write_transaction

TARGET = "zebra0target"  # the video the killed publish changes and the next one hides
TARGET_WORD = b"Zebracorn"  # a word only its new title and captions hold


def set_captions(db: Database, hashed_id: str, text: str) -> None:
    """The video's English captions and chapters, as a sync stores them (triggers record the
    change for the publisher)."""
    cues = json.dumps([[0, 2500, text]], separators=(",", ":"))
    with write_transaction(db):
        db.execute(
            "INSERT INTO video_captions (hashed_id, lang, label, cues, digest, transcript) "
            "VALUES (?, 'eng', 'English', ?, ?, ?) ON CONFLICT(hashed_id, lang) DO UPDATE SET "
            "cues = excluded.cues, digest = excluded.digest, transcript = excluded.transcript",
            [hashed_id, cues, cues_digest(cues), text],
        )
        db.execute(
            "INSERT INTO caption_sync (hashed_id, chapters) VALUES (?, ?) "
            "ON CONFLICT(hashed_id) DO UPDATE SET chapters = excluded.chapters",
            [hashed_id, json.dumps([[text[:12], 1.5]])],
        )


def captioned_site(root: Path) -> Site:
    """Seven videos two to a page, three tagged, one captioned; sitemaps, JSON-LD and watch
    pages; a takedown goes at once (so the publish after the hide removes every trace)."""
    site = Site(root)
    change_site_settings(site.db, page_size=2, takedown_grace=timedelta(0))
    change_seo_settings(
        site.db, origin="https://watch.example", watch_url="/videos/{slug}", watch_pages=True
    )
    for hashed_id in ("v0", "v1", TARGET, "v3", "v4", "v5", "v6"):
        add_video(site.db, hashed_id)
    for hashed_id in ("v1", TARGET, "v4"):
        tag_video(site.db, hashed_id, "News")
    set_captions(site.db, TARGET, "First words.")
    site.publish()
    return site


def change_target(db: Database) -> None:
    """What the killed publish carries: new captions (a new caption file), a new title (search
    shards and records, the sitemap's and the watch page's text), and a new tagged video."""
    set_captions(db, TARGET, f"{TARGET_WORD.decode()} speaks.")
    with write_transaction(db):
        db.execute(
            "UPDATE videos SET name = ?, updated = '2026-02-01T00:00:00Z' WHERE hashed_id = ?",
            [f"The {TARGET_WORD.decode()} tour", TARGET],
        )
    add_video(db, "a1")
    tag_video(db, "a1", "News")


def hide_target(db: Database) -> None:
    with write_transaction(db):
        db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id = ?", [TARGET])
    add_video(db, "a2")


def visible_files(out: Path) -> dict[str, bytes]:
    return {
        path: data
        for path, data in output_files(out).items()
        if not path.startswith(TEMP_FOLDER) and path != ".gitignore"
    }


def links(path: str, data: bytes) -> list[str]:
    """The output files ``path`` links to, as a reader resolves them."""
    if path.endswith((".xml", ".html")) or path.startswith("ld/"):
        return seo_file_problem(path, data)[1] if path.endswith(".xml") else []
    if not path.endswith(".json") or path.startswith("schema/") or is_list_file(path):
        return []  # the file list's own files: read_local_file_list follows them
    if path == FILES_PATH:
        return []
    found: list[str] = []
    _walk(path, json.loads(data), found)
    return found


def _walk(holder: str, node: Any, found: list[str]) -> None:
    def relative(link: str) -> str:
        return posixpath.normpath(posixpath.join(posixpath.dirname(holder), link))

    if isinstance(node, list):
        for item in node:
            _walk(holder, item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "url" and isinstance(value, str) and "://" not in value:
            # A caption's url is relative to the site's root (``publish.captions``).
            found.append(value if "lang" in node else relative(value))
        elif key in ("videos", "tags", "folders", "files") and isinstance(value, str):
            found.append(relative(value))
        elif key in ("shards", "record_lists", "blocks") and isinstance(value, list):
            found += [
                relative(row[-1])
                for row in value
                if isinstance(row, list) and row and isinstance(row[-1], str)
            ]
        else:
            _walk(holder, value, found)


def reader_problems(out: Path, *, converged: bool) -> list[str]:
    """What a reader meets, as described at the top (``converged``: after a complete publish)."""
    files = visible_files(out)
    listing, _ = read_local_file_list(out)
    listed = {*listing.files, FILES_PATH}
    problems = []
    for path, entry in sorted(listing.files.items()):
        if path not in files:
            problems.append(f"files.json lists {path}, which does not exist")
        elif converged and hashlib.sha256(files[path]).hexdigest() != entry.sha256:
            problems.append(f"files.json lists {path} with another sha256")
    problems += link_problems(files, listed, converged=converged)
    if converged:
        unlisted = set(files) - listed - {p for p in files if is_list_file(p)}
        problems += [
            f"{path} is in the folder but files.json does not list it" for path in sorted(unlisted)
        ]
    return problems


def link_problems(files: dict[str, bytes], listed: set[str], *, converged: bool) -> list[str]:
    """Each link, from a file a reader reaches from the entry points (manifest.json and what
    files.json lists) by following links, that leads nowhere (or, ``converged``, to a file
    files.json does not list)."""
    problems = []
    reached: set[str] = set()
    frontier = [MANIFEST_PATH, *sorted(listed)]
    while frontier:
        holder = frontier.pop()
        if holder in reached or holder not in files:
            continue
        reached.add(holder)
        for target in links(holder, files[holder]):
            if target not in files:
                problems.append(f"{holder} links to {target}, which does not exist")
            elif converged and target not in listed:
                problems.append(f"{holder} links to {target}, which files.json does not list")
            frontier.append(target)
    return problems


def hidden_video_problems(out: Path) -> list[str]:
    return [
        f"{path} shows the hidden video"
        for path, data in sorted(visible_files(out).items())
        if TARGET in path or TARGET.encode() in data or TARGET_WORD in data
    ]


def fresh_problems(site: Site, fresh: Path) -> list[str]:
    """The folder against a fresh publish of the database into a new folder (files in grace
    aside); the last thing done with ``site``: its records then describe the new folder."""
    current = output_files(site.out)
    publish_site(site.db, fresh, lock_path=site.lock, force=True)
    return fresh_differences(current, site.out, output_files(fresh), fresh)


def operations_of_one_publish(root: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    site = captioned_site(root)
    change_target(site.db)
    faults = Faults(monkeypatch)
    written = site.publish().written
    monkeypatch.undo()
    files = visible_files(site.out)
    linked = {
        target for path in sorted(files) for target in links(path, files[path]) if target != path
    }
    # The publish counted writes every family this test is about.
    assert any(CAPTION_PATH.fullmatch(path) for path in written)
    assert any(path.startswith("search/") and path != "search/index.json" for path in written)
    assert "search/index.json" in written and f"videos/{TARGET}.json" in written
    assert any(path.startswith(("sitemaps/", "ld/", "watch/")) for path in written), written
    # ... and the link walk follows each family's links.
    for family in (CAPTION_PATH, SEARCH_SHARD_PATH, SITEMAP_PATH, JSONLD_PATH, PAGE_PATH):
        assert any(family.fullmatch(target) for target in linked), family.pattern
    return faults.calls


@pytest.mark.parametrize("force", [False, True], ids=["incremental", "force"])
def test_a_publish_of_captions_and_search_killed_anywhere_leaves_every_link_listed_after_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    points = operations_of_one_publish(tmp_path / "count", monkeypatch)
    problems = []
    for at in range(points):
        site = captioned_site(tmp_path / f"killed-at-{at}")
        change_target(site.db)
        faults = Faults(monkeypatch)
        faults.at = at
        with pytest.raises(Killed):
            site.publish(force=force)
        monkeypatch.undo()
        problems += [f"killed at {at}: {p}" for p in reader_problems(site.out, converged=False)]
        hide_target(site.db)
        site.publish()
        site.publish()  # the takedown grace (0 s) has passed: the pages showing it go
        after = f"killed at {at}, after the hide"
        problems += [f"{after}: {p}" for p in reader_problems(site.out, converged=True)]
        problems += [f"{after}: {p}" for p in hidden_video_problems(site.out)]
        problems += [f"{after}: {p}" for p in fresh_problems(site, tmp_path / f"fresh-{at}")]
    assert not problems, "\n".join(problems)
