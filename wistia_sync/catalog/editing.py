"""Editorial changes: tags editors add and remove, and visibility (``changelog`` records them).

Editors own two things Wistia does not: ``editor`` tag links and each video's ``visibility``.
Every function here makes its whole change in one ``write_transaction`` together with the
``change_log`` rows describing it, so the log never disagrees with the data, and a refusal part
way through (an unknown video, a Wistia tag) rolls everything back: a command changes all it was
asked to or nothing.

Each function returns a small result whose ``changed`` count is zero when there was nothing to
do, so the CLI can say so and skip the republish, and whose ``summary()`` is the line it prints.
Nothing here publishes: the CLI follows a change with ``wistia_sync.job.publish_and_deliver``.

Nothing here talks to Wistia or imports an HTTP client: editors must be able to work with no
token and no network, and feel every 100 ms of start-up.

Slugs: a rename changes a tag's display spelling and identity but keeps its slug, because the
publish contract promises that a slug never changes while its tag lives (published URLs stay
valid). A merge keeps the surviving tag's name and slug; the merged tag's file disappears.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from wistia_sync.catalog.changelog import (
    ACTION_HIDE,
    ACTION_SHOW,
    ACTION_TAG_ADD,
    ACTION_TAG_DELETE,
    ACTION_TAG_MERGE,
    ACTION_TAG_REMOVE,
    ACTION_TAG_RENAME,
    record_change,
)
from wistia_sync.catalog.references import plural, quoted_list, resolve_videos
from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION, Visibility
from wistia_sync.catalog.tags import (
    clean_tag_name,
    combine_sources,
    delete_orphan_tags,
    ensure_tag,
    tag_key,
)
from wistia_sync.errors import UsageError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.timestamps import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

_REMOVE_IN_WISTIA = "remove it in Wistia (the next sync then drops it)"


class EditOutcome(Protocol):
    """What every editing function returns: how much changed, and the line that says what."""

    @property
    def changed(self) -> int: ...

    def summary(self) -> str: ...


def _unique_tag_names(names: Iterable[str]) -> list[str]:
    """Trimmed names, one per tag identity (the first spelling given), in the order given."""
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(tag_key(name), name.strip())
    if not unique:
        raise UsageError("no tag given")
    return list(unique.values())


class _Tag:
    __slots__ = ("id", "key", "name", "slug")

    def __init__(self, id: int, name: str, key: str, slug: str) -> None:
        self.id = id
        self.name = name
        self.key = key
        self.slug = slug


def _find_tag(db: Database, name: str) -> _Tag | None:
    row = db.execute(
        "SELECT id, name, key, slug FROM tags WHERE key = ?", [tag_key(name)]
    ).fetchone()
    return None if row is None else _Tag(int(row[0]), row[1], row[2], row[3])


def _lookup_tag(db: Database, name: str) -> _Tag | None:
    """The tag ``name`` identifies, or None; a name no editor could have given is refused.

    Validation happens only when no tag matches: a Wistia tag may break the editors' rules (say,
    120 characters), and must still be reachable by its name.
    """
    tag = _find_tag(db, name) if name.strip() else None
    if tag is None:
        clean_tag_name(name)
    return tag


def _existing_tag(db: Database, name: str) -> _Tag:
    tag = _lookup_tag(db, name)
    if tag is None:
        raise UsageError(f'no tag named "{name.strip()}"; see `wistia-sync tag list`')
    return tag


# -- tag add / tag remove --------------------------------------------------------------------------


class TaggingResult:
    """What ``tag add`` or ``tag remove`` did to editor links, over the videos named.

    ``also_from_wistia`` counts changed videos that carry the tag from Wistia as well: for an
    add, the editor link keeps the tag should Wistia drop it; for a remove, the video still shows
    the tag until it is removed in Wistia.
    """

    __slots__ = (
        "also_from_wistia",
        "links_changed",
        "tags",
        "verb",
        "videos_changed",
        "videos_named",
    )

    def __init__(
        self,
        verb: Literal["add", "remove"],
        tags: tuple[str, ...],
        videos_named: int,
        videos_changed: int,
        links_changed: int,
        also_from_wistia: int = 0,
    ) -> None:
        self.verb = verb
        self.tags = tags
        self.videos_named = videos_named
        self.videos_changed = videos_changed
        self.links_changed = links_changed
        self.also_from_wistia = also_from_wistia

    @property
    def changed(self) -> int:
        return self.links_changed

    def summary(self) -> str:
        tags = quoted_list(self.tags, limit=len(self.tags))
        unchanged = self.videos_named - self.videos_changed
        if not self.changed:
            state = "already tagged" if self.verb == "add" else "not tagged"
            return f"nothing to change: {plural(unchanged, 'video')} {state} {tags}"
        notes = []
        if self.verb == "add":
            line = f"tagged {plural(self.videos_changed, 'video')} with {tags}"
            if unchanged:
                notes.append(f"{unchanged:,} already tagged")
            if self.also_from_wistia:
                notes.append(f"{self.also_from_wistia:,} also tagged in Wistia")
        else:
            line = f"removed {tags} from {plural(self.videos_changed, 'video')}"
            if unchanged:
                notes.append(f"{unchanged:,} not tagged")
            if self.also_from_wistia:
                notes.append(f"Wistia still tags {self.also_from_wistia:,}: {_REMOVE_IN_WISTIA}")
        return f"{line} ({'; '.join(notes)})" if notes else line


def add_tags(
    db: Database, videos: Sequence[str], tags: Sequence[str], *, actor: str
) -> TaggingResult:
    """Give every video every tag as an ``editor`` link; an existing editor link is left alone.

    A video that already has the tag from Wistia still gets the editor link: the editor asked for
    the tag, and it must stay even if someone removes it in Wistia later (and ``tag remove``
    can undo exactly this). A tag new to the database must pass the naming rules and gets its
    slug here; an existing one is used by identity, with its own spelling.
    """
    return _change_links(db, videos, tags, actor=actor, verb="add")


def remove_tags(
    db: Database, videos: Sequence[str], tags: Sequence[str], *, actor: str
) -> TaggingResult:
    """Remove editor links; refuse (changing nothing) a tag a named video has from Wistia only.

    A Wistia tag removed here would come back with the next sync, so the only honest answer is to
    say where it must be removed. Where both an editor and Wistia set the tag, the editor link
    goes (undoing ``tag add``) and the summary says Wistia still shows it. A tag no video carries
    any more is forgotten, which frees its slug and makes the publisher drop its file.
    """
    return _change_links(db, videos, tags, actor=actor, verb="remove")


_LINK_STATEMENTS = {
    "add": "INSERT INTO video_tags (hashed_id, tag_id, source, added_at) "
    "VALUES (:hashed_id, :tag_id, 'editor', :now)",
    "remove": "DELETE FROM video_tags "
    "WHERE hashed_id = :hashed_id AND tag_id = :tag_id AND source = 'editor'",
}


def _change_links(
    db: Database,
    videos: Sequence[str],
    tags: Sequence[str],
    *,
    actor: str,
    verb: Literal["add", "remove"],
) -> TaggingResult:
    """Add or remove the editor link of every tag on every video, in one transaction."""
    adding = verb == "add"
    names = _unique_tag_names(tags)
    now = utc_now()
    videos_changed: set[str] = set()
    also_from_wistia: set[str] = set()
    links = 0
    refused: dict[str, list[str]] = {}
    with write_transaction(db):
        # An add checks every name it may create before looking at the videos.
        known = {name: _lookup_tag(db, name) for name in names} if adding else {}
        hashed_ids = resolve_videos(db, videos)
        display: list[str] = []
        for name in names:
            tag = known[name] if adding else _lookup_tag(db, name)
            if tag is not None:
                tag_id, stored = tag.id, tag.name
            elif adding:
                tag_id, stored = ensure_tag(db, name), clean_tag_name(name)
            else:
                display.append(name)  # no such tag: nothing to remove
                continue
            display.append(stored)
            sources = _link_sources(db, tag_id, hashed_ids)
            for hashed_id in hashed_ids:
                found = sources.get(hashed_id, set())
                if ("editor" in found) == adding:  # already linked (add), or not (remove)
                    if not adding and "wistia" in found:
                        refused.setdefault(stored, []).append(hashed_id)
                    continue
                db.execute(
                    _LINK_STATEMENTS[verb], {"hashed_id": hashed_id, "tag_id": tag_id, "now": now}
                )
                links += 1
                videos_changed.add(hashed_id)
                if "wistia" in found:
                    also_from_wistia.add(hashed_id)
                record_change(
                    db,
                    at=now,
                    actor=actor,
                    action=ACTION_TAG_ADD if adding else ACTION_TAG_REMOVE,
                    hashed_id=hashed_id,
                    tag=stored,
                    before=None if adding else stored,
                    after=stored if adding else None,
                )
        if refused:
            name, on = next(iter(refused.items()))
            raise UsageError(
                f'"{name}" on {quoted_list(on)} comes from Wistia and cannot be removed here: '
                f"{_REMOVE_IN_WISTIA}; nothing was changed"
            )
        if not adding:
            delete_orphan_tags(db)
    return TaggingResult(
        verb, tuple(display), len(hashed_ids), len(videos_changed), links, len(also_from_wistia)
    )


def _link_sources(db: Database, tag_id: int, hashed_ids: Sequence[str]) -> dict[str, set[str]]:
    sources: dict[str, set[str]] = {}
    for hashed_id, source in db.execute(
        "SELECT hashed_id, source FROM video_tags "
        "WHERE tag_id = ? AND hashed_id IN (SELECT value FROM json_each(?))",
        [tag_id, json.dumps(list(hashed_ids))],
    ).fetchall():
        sources.setdefault(hashed_id, set()).add(source)
    return sources


# -- tag rename / tag delete -----------------------------------------------------------------------


class RenameResult:
    """What ``tag rename`` did: a respelling, a rename to a new identity, or a merge."""

    __slots__ = ("kind", "new", "old", "slug", "videos")

    def __init__(
        self,
        kind: Literal["unchanged", "respelled", "renamed", "merged"],
        old: str,
        new: str,
        slug: str,
        videos: int,
    ) -> None:
        self.kind = kind
        self.old = old
        self.new = new
        self.slug = slug
        self.videos = videos

    @property
    def changed(self) -> int:
        return 0 if self.kind == "unchanged" else max(self.videos, 1)

    def summary(self) -> str:
        if self.kind == "unchanged":
            return f'nothing to change: the tag is already spelled "{self.new}"'
        if self.kind == "merged":
            return f'merged "{self.old}" into "{self.new}" ({plural(self.videos, "video")})'
        return (
            f'renamed "{self.old}" to "{self.new}" on {plural(self.videos, "video")} '
            f"(its URL stays tags/{self.slug}.json)"
        )


def rename_tag(db: Database, old: str, new: str, *, actor: str) -> RenameResult:
    """Rename a tag, or merge it into the tag ``new`` already names.

    Links keep their sources. The tag keeps its slug (published URLs must not move), and in a
    merge the surviving tag keeps its own name and slug. Changing only the spelling of one
    identity (``onboarding`` → ``Onboarding``) is allowed even for a Wistia tag, because a sync
    matches tags by identity and keeps the spelling; anything more would be undone by the next
    sync for Wistia's links, so it is refused for a tag Wistia sets.
    """
    new_display = clean_tag_name(new)
    now = utc_now()
    with write_transaction(db):
        source = _existing_tag(db, old)
        videos = _count_videos(db, source.id)
        if tag_key(new_display) == source.key:
            if new_display == source.name:
                return RenameResult("unchanged", source.name, new_display, source.slug, videos)
            outcome: Literal["respelled", "renamed"] = "respelled"
        else:
            wistia_videos = _count_videos(db, source.id, source="wistia")
            if wistia_videos:
                raise UsageError(
                    f'"{source.name}" comes from Wistia on {plural(wistia_videos, "video")}, so '
                    "a rename here would be undone by the next sync: rename it in Wistia instead "
                    "(only its spelling, same letters in another case, can be changed here)"
                )
            target = _find_tag(db, new_display)
            if target is not None:
                return _merge(db, source, target, now=now, actor=actor)
            outcome = "renamed"
        db.execute(
            "UPDATE tags SET name = ?, key = ? WHERE id = ?",
            [new_display, tag_key(new_display), source.id],
        )
        record_change(
            db,
            at=now,
            actor=actor,
            action=ACTION_TAG_RENAME,
            hashed_id=None,
            tag=new_display,
            before=source.name,
            after=new_display,
        )
        return RenameResult(outcome, source.name, new_display, source.slug, videos)


def _merge(db: Database, source: _Tag, target: _Tag, *, now: str, actor: str) -> RenameResult:
    hashed_ids = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT hashed_id FROM video_tags WHERE tag_id = ? ORDER BY hashed_id",
            [source.id],
        ).fetchall()
    ]
    # A video with both tags from the same source keeps one link: the target's.
    db.execute(
        "INSERT OR IGNORE INTO video_tags (hashed_id, tag_id, source, added_at) "
        "SELECT hashed_id, ?, source, added_at FROM video_tags WHERE tag_id = ?",
        [target.id, source.id],
    )
    db.execute("DELETE FROM video_tags WHERE tag_id = ?", [source.id])
    db.execute("DELETE FROM tags WHERE id = ?", [source.id])
    for hashed_id in hashed_ids:
        record_change(
            db,
            at=now,
            actor=actor,
            action=ACTION_TAG_MERGE,
            hashed_id=hashed_id,
            tag=target.name,
            before=source.name,
            after=target.name,
        )
    return RenameResult("merged", source.name, target.name, target.slug, len(hashed_ids))


def _count_videos(db: Database, tag_id: int, *, source: str | None = None) -> int:
    """Videos Wistia still has that carry the tag (from ``source`` only, if given)."""
    sql = (
        "SELECT count(DISTINCT vt.hashed_id) FROM video_tags vt "
        "JOIN videos v ON v.hashed_id = vt.hashed_id "
        "WHERE vt.tag_id = ? AND v.deleted_at IS NULL"
    )
    parameters: list[Any] = [tag_id]
    if source is not None:
        sql += " AND vt.source = ?"
        parameters.append(source)
    return int(db.execute(sql, parameters).fetchone()[0])


class TagUsage:
    """How many videos carry a tag from each source: what ``tag delete`` asks confirmation for."""

    __slots__ = ("editor_videos", "name", "wistia_videos")

    def __init__(self, name: str, editor_videos: int, wistia_videos: int) -> None:
        self.name = name
        self.editor_videos = editor_videos
        self.wistia_videos = wistia_videos


def tag_usage(db: Database, name: str) -> TagUsage:
    tag = _existing_tag(db, name)
    return TagUsage(
        tag.name,
        _count_videos(db, tag.id, source="editor"),
        _count_videos(db, tag.id, source="wistia"),
    )


class TagDeleteResult:
    """What ``tag delete`` did; Wistia's links to the tag, if any, stay."""

    __slots__ = ("name", "videos", "wistia_videos")

    def __init__(self, name: str, videos: int, wistia_videos: int) -> None:
        self.name = name
        self.videos = videos
        self.wistia_videos = wistia_videos

    @property
    def changed(self) -> int:
        return self.videos

    def summary(self) -> str:
        line = f'deleted "{self.name}" from {plural(self.videos, "video")}'
        if self.wistia_videos:
            line += (
                f"; Wistia still sets it on {plural(self.wistia_videos, 'video')} "
                f"({_REMOVE_IN_WISTIA})"
            )
        return line


def delete_tag(db: Database, name: str, *, actor: str) -> TagDeleteResult:
    """Remove every editor link to a tag; the tag is forgotten once no video carries it.

    A tag only Wistia sets is refused, since deleting it here could not last.
    """
    now = utc_now()
    with write_transaction(db):
        tag = _existing_tag(db, name)
        hashed_ids = [
            row[0]
            for row in db.execute(
                "SELECT hashed_id FROM video_tags WHERE tag_id = ? AND source = 'editor' "
                "ORDER BY hashed_id",
                [tag.id],
            ).fetchall()
        ]
        wistia_videos = _count_videos(db, tag.id, source="wistia")
        if not hashed_ids:
            raise UsageError(
                f'"{tag.name}" comes from Wistia only ({plural(wistia_videos, "video")}) and '
                f"cannot be deleted here: {_REMOVE_IN_WISTIA}"
            )
        db.execute("DELETE FROM video_tags WHERE tag_id = ? AND source = 'editor'", [tag.id])
        for hashed_id in hashed_ids:
            record_change(
                db,
                at=now,
                actor=actor,
                action=ACTION_TAG_DELETE,
                hashed_id=hashed_id,
                tag=tag.name,
                before=tag.name,
                after=None,
            )
        delete_orphan_tags(db)
    return TagDeleteResult(tag.name, len(hashed_ids), wistia_videos)


# -- tag list --------------------------------------------------------------------------------------


class TagCount:
    """One row of ``tag list``: a tag, its videos (published and all), and who sets it."""

    __slots__ = ("name", "published", "slug", "source", "total")

    def __init__(
        self,
        name: str,
        slug: str,
        published: int,
        total: int,
        source: Literal["wistia", "editor", "both"],
    ) -> None:
        self.name = name
        self.slug = slug
        self.published = published
        self.total = total
        self.source = source

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slug": self.slug,
            "published": self.published,
            "total": self.total,
            "source": self.source,
        }


def list_tags(db: Database) -> list[TagCount]:
    """Every tag, sorted by identity, counting videos Wistia still has (``total``) and those that
    appear in the published files (``published``), in one statement."""
    rows = db.execute(
        "SELECT t.name, t.slug, "
        f"count(DISTINCT CASE WHEN {PUBLISHED_VIDEO_CONDITION} THEN v.hashed_id END), "
        "count(DISTINCT CASE WHEN v.deleted_at IS NULL THEN v.hashed_id END), "
        "group_concat(DISTINCT vt.source) "
        "FROM tags t JOIN video_tags vt ON vt.tag_id = t.id "
        "JOIN videos v ON v.hashed_id = vt.hashed_id "
        "GROUP BY t.id ORDER BY t.key, t.name"
    ).fetchall()
    return [
        TagCount(name, slug, published, total, combine_sources(sources))
        for name, slug, published, total, sources in rows
    ]


# -- visibility ------------------------------------------------------------------------------------


class VisibilityResult:
    """What ``visibility hide|show|toggle`` did."""

    __slots__ = ("hidden", "shown", "target", "unchanged")

    def __init__(self, hidden: int, shown: int, unchanged: int, target: Visibility | None) -> None:
        self.hidden = hidden
        self.shown = shown
        self.unchanged = unchanged
        self.target = target  # None for toggle

    @property
    def changed(self) -> int:
        return self.hidden + self.shown

    def summary(self) -> str:
        if not self.changed:
            already = {"hidden": "already hidden", "public": "already public", None: "unchanged"}
            return f"nothing to change: {plural(self.unchanged, 'video')} {already[self.target]}"
        parts = []
        if self.hidden:
            parts.append(f"hid {plural(self.hidden, 'video')}")
        if self.shown:
            parts.append(f"showed {plural(self.shown, 'video')}")
        line = " and ".join(parts)
        if self.unchanged:
            state = "hidden" if self.target == "hidden" else "public"
            line += f" ({self.unchanged:,} already {state})"
        return line


def set_visibility(
    db: Database, videos: Sequence[str], target: Visibility | None, *, actor: str
) -> VisibilityResult:
    """Hide or show videos (``target`` None flips each one); idempotent for hide and show."""
    now = utc_now()
    hidden = shown = unchanged = 0
    with write_transaction(db):
        hashed_ids = resolve_videos(db, videos)
        current = dict(
            db.execute(
                "SELECT hashed_id, visibility FROM videos "
                "WHERE hashed_id IN (SELECT value FROM json_each(?))",
                [json.dumps(hashed_ids)],
            ).fetchall()
        )
        for hashed_id in hashed_ids:
            before = current[hashed_id]
            after = target or ("public" if before == "hidden" else "hidden")
            if after == before:
                unchanged += 1
                continue
            db.execute("UPDATE videos SET visibility = ? WHERE hashed_id = ?", [after, hashed_id])
            record_change(
                db,
                at=now,
                actor=actor,
                action=ACTION_HIDE if after == "hidden" else ACTION_SHOW,
                hashed_id=hashed_id,
                tag=None,
                before=before,
                after=after,
            )
            if after == "hidden":
                hidden += 1
            else:
                shown += 1
    return VisibilityResult(hidden, shown, unchanged, target)
