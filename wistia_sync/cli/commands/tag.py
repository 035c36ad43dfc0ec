"""``wistia-sync tag …``: add, remove, list, rename and delete tags (editor tags only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import print_json
from wistia_sync.cli.editor import Edit, change_tags, open_database
from wistia_sync.cli.editor_command import editor_command
from wistia_sync.cli.options import DbPath, Json
from wistia_sync.cli.tables import print_rows

if TYPE_CHECKING:
    from wistia_sync.catalog.editing import RenameResult, TagDeleteResult, TaggingResult

TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="TAG",
        help="A tag for every VIDEO argument (repeatable); then every argument is a VIDEO.",
        show_default=False,
    ),
]
TagArguments = Annotated[
    list[str],
    typer.Argument(
        metavar="VIDEO|TAG",
        help="One VIDEO then its TAGs; or, with --tag, any number of VIDEOs (`-`: read from "
        "standard input).",
        show_default=False,
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

tag_app = typer.Typer(
    name="tag",
    help="Add, remove, list, rename and delete tags (editor tags; Wistia's are read-only).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@tag_app.command("add")
@editor_command
def tag_add(arguments: TagArguments, tag: TagOption = None, *, edit: Edit) -> TaggingResult:
    """Tag a video: `tag add VIDEO TAG...`, or many videos: `tag add --tag TAG VIDEO...`.

    Tags match case-insensitively; a new tag keeps the spelling given here. Tagging a video
    with a tag Wistia already set records it as an editor tag too, so it stays if Wistia drops it.
    """
    return change_tags(edit, arguments, tag, add=True)


@tag_app.command("remove")
@editor_command
def tag_remove(arguments: TagArguments, tag: TagOption = None, *, edit: Edit) -> TaggingResult:
    """Remove editor tags: `tag remove VIDEO TAG...` or `tag remove --tag TAG VIDEO...`.

    A tag a video has only from Wistia is refused (and nothing changes): remove it in Wistia.
    """
    return change_tags(edit, arguments, tag, add=False)


@tag_app.command("list")
def tag_list(
    video: Annotated[
        str | None,
        typer.Argument(metavar="VIDEO", help="Only this video's tags.", show_default=False),
    ] = None,
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """Every tag with its published and total video counts and source (wistia, editor, both);
    or one VIDEO's tags."""
    database = open_database(db)
    if video is not None:
        from wistia_sync.catalog.references import resolve_videos
        from wistia_sync.catalog.videos import tags_of_video

        (hashed_id,) = resolve_videos(database, [video], include_deleted=True)
        tags = tags_of_video(database, hashed_id)
        if as_json:
            print_json([tag.as_json() for tag in tags])
            return
        print_rows(
            ("tag", "slug", "source"),
            ((tag.name, tag.slug, tag.source) for tag in tags),
            title=f"tags of {hashed_id}",
            empty=f"{hashed_id} has no tags",
        )
        return
    from wistia_sync.catalog.editing import list_tags

    counts = list_tags(database)
    if as_json:
        print_json([count.as_json() for count in counts])
        return
    print_rows(
        ("tag", "slug", "published", "total", "source"),
        ((c.name, c.slug, c.published, c.total, c.source) for c in counts),
        empty="no tags yet",
    )


@tag_app.command("rename")
@editor_command
def tag_rename(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The tag to rename.")],
    new: Annotated[
        str, typer.Argument(metavar="NEW", help="Its new name, or a tag to merge into.")
    ],
    *,
    edit: Edit,
) -> RenameResult:
    """Rename tag OLD to NEW, or merge OLD into NEW when NEW already exists.

    The tag keeps its slug (its published URL does not move); in a merge NEW keeps its name and
    slug and OLD's file disappears.
    """
    from wistia_sync.catalog.editing import rename_tag

    return rename_tag(edit.database, old, new, actor=edit.actor)


@tag_app.command("delete")
@editor_command
def tag_delete(
    name: Annotated[str, typer.Argument(metavar="TAG", help="The tag to delete.")],
    yes: Yes = False,
    *,
    edit: Edit,
) -> TagDeleteResult:
    """Remove TAG from every video an editor gave it to (Wistia's links stay).

    Asks for confirmation unless --yes; without a terminal, --yes is required.
    """
    from wistia_sync.catalog.editing import delete_tag, tag_usage
    from wistia_sync.catalog.references import plural
    from wistia_sync.errors import UsageError

    usage = tag_usage(edit.database, name)
    if usage.editor_videos and not yes:
        videos = plural(usage.editor_videos, "video")
        if not sys.stdin.isatty():
            # A prompt nobody can answer would hang a script; refusing says what to do instead.
            raise UsageError(
                f'not deleting "{usage.name}" from {videos} without confirmation: '
                "pass --yes when not at a terminal"
            )
        typer.confirm(f'Delete "{usage.name}" from {videos}?', abort=True, err=True)
    return delete_tag(edit.database, name, actor=edit.actor)
