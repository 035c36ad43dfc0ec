"""``wistia-sync videos list`` and ``videos show``: how an editor finds the VIDEO to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import notice, print_json, stdout_is_terminal
from wistia_sync.cli.options import (
    MAX_COUNT,
    DbPath,
    HiddenOnly,
    Json,
    PublicOnly,
    visibility_filter,
)
from wistia_sync.cli.tables import print_fields, print_rows

# A table longer than this scrolls past unread: a terminal shows the newest and says how many more
# there are. A pipe or --json gets every match, as scripts expect.
TERMINAL_LIMIT = 50

videos_app = typer.Typer(
    name="videos",
    help="Find videos: list and search the catalog, show one video in full.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

TagFilter = Annotated[
    str | None,
    typer.Option(
        "--tag", "-t", metavar="TAG", help="Only videos with this tag.", show_default=False
    ),
]
FolderFilter = Annotated[
    str | None,
    typer.Option(
        "--folder",
        "-f",
        metavar="FOLDER",
        help="Only videos in this folder (name or hashed id).",
        show_default=False,
    ),
]
Search = Annotated[
    str | None,
    typer.Option(
        "--search",
        "-s",
        help="Only videos whose name, description or hashed id contains TEXT (any case).",
        metavar="TEXT",
        show_default=False,
    ),
]
Limit = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        min=1,
        max=MAX_COUNT,
        help=f"At most N videos (newest first). At a terminal the default is {TERMINAL_LIMIT}; "
        "piped or --json, every match.",
        metavar="N",
        show_default=False,
    ),
]
AllVideos = Annotated[
    bool, typer.Option("--all", help="Every match, even at a terminal (no default limit).")
]


@videos_app.command("list")
def videos_list(
    tag: TagFilter = None,
    folder: FolderFilter = None,
    hidden: HiddenOnly = False,
    public: PublicOnly = False,
    search: Search = None,
    limit: Limit = None,
    every: AllVideos = False,
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """Videos (newest first) with folder, tags, visibility, Wistia status and plays.

    Piped, each line is `id, name, folder, tags, visibility, status, plays` separated by tabs,
    so `videos list ... | wistia-sync tag add --tag T -` tags every video listed.
    """

    from wistia_sync.catalog.videos import VideoFilter, count_videos, list_videos
    from wistia_sync.errors import UsageError
    from wistia_sync.store.db import open_database

    if every and limit is not None:
        raise UsageError("--all lists every video; it cannot be given with --limit")
    criteria = VideoFilter(
        tag=tag,
        folder=folder,
        visibility=visibility_filter(hidden, public),
        search=search,
        limit=limit,
    )
    database = open_database(db)
    cut = limit is None and not every and not as_json and stdout_is_terminal()
    if cut:
        criteria = criteria._replace(limit=TERMINAL_LIMIT)
    videos = list_videos(database, criteria)
    if as_json:
        print_json([video.as_json() for video in videos])
        return
    print_rows(
        ("id", "name", "folder", "tags", "visibility", "status", "plays"),
        (
            (
                v.hashed_id,
                v.name,
                v.folder_name,
                ", ".join(v.tags),
                v.visibility,
                v.state,
                v.plays,
            )
            for v in videos
        ),
        empty="no video matches",
        keep=("id",),
    )
    if cut and len(videos) == TERMINAL_LIMIT:
        total = count_videos(database, criteria)
        if total > TERMINAL_LIMIT:
            notice(
                f"showing the newest {TERMINAL_LIMIT} of {total:,} videos: "
                "--limit N for more, --all for every one, --search/--tag/--folder to narrow"
            )


@videos_app.command("show")
def videos_show(
    video: Annotated[str, typer.Argument(metavar="VIDEO", help="A hashed id or numeric id.")],
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """Everything about one video: its tags and where they come from, and why it is or is not
    published."""
    from wistia_sync.catalog.videos import show_video
    from wistia_sync.store.db import open_database

    details = show_video(open_database(db), video)
    if as_json:
        print_json(details.as_json())
        return
    summary = details.summary
    reasons = details.unpublished_because()
    folder = (
        None
        if summary.folder_hashed_id is None
        else f"{summary.folder_name} ({summary.folder_hashed_id})"
    )
    print_fields(
        [
            ("hashed_id", summary.hashed_id),
            ("id", None if summary.id is None else str(summary.id)),
            ("name", summary.name),
            ("folder", folder),
            ("tags", ", ".join(f"{tag.name} ({tag.source})" for tag in details.tags)),
            ("visibility", summary.visibility),
            ("status", summary.state),
            ("published", "yes" if not reasons else f"no: {', '.join(reasons)}"),
            ("plays", summary.plays),
            ("duration", None if details.duration is None else f"{details.duration:.1f} s"),
            ("created", summary.created),
            ("updated", details.updated),
            ("embed_url", details.embed_url),
            ("thumbnail_url", details.thumbnail_url),
            ("first_seen", details.first_seen),
            ("last_seen", details.last_seen),
            ("description", details.description),
        ]
    )
