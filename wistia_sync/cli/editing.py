"""Editor commands: ``tag …``, ``visibility …`` and ``log``.

Each changing command parses its arguments, calls one function of
``wistia_sync.catalog.editing`` (one transaction, change log included), republishes unless
``--no-publish`` or nothing changed, and prints one line. Library imports happen inside the
commands, and none of them reaches httpx: ``wistia-sync --help`` and every editor command stay
fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.options import MAX_COUNT, Actor, DbPath, Json, NoPublish, OutputDir, Quiet
from wistia_sync.cli.tables import print_json, print_rows

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.catalog.editing import EditOutcome
    from wistia_sync.catalog.rules import Visibility
    from wistia_sync.publish import PublishResult

STDIN_ARGUMENT = "-"

Videos = Annotated[
    list[str],
    typer.Argument(
        metavar="VIDEO",
        help="Hashed ids or numeric ids; `-` reads ids from standard input (first field of "
        "each line).",
        show_default=False,
    ),
]
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
HiddenOnly = Annotated[bool, typer.Option("--hidden", help="Only hidden videos.")]
PublicOnly = Annotated[bool, typer.Option("--public", help="Only public videos.")]
LogLimit = Annotated[
    int,
    typer.Option("--limit", "-n", min=1, max=MAX_COUNT, help="How many changes to show."),
]
LogVideo = Annotated[
    str | None,
    typer.Option(
        "--video", metavar="VIDEO", help="Only the changes of this VIDEO.", show_default=False
    ),
]

tag_app = typer.Typer(
    name="tag",
    help="Add, remove, list, rename and delete tags (editor tags; Wistia's are read-only).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
visibility_app = typer.Typer(
    name="visibility",
    help="Hide videos from the published files, or show them again.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def finish_change(
    outcome: EditOutcome,
    *,
    database: Database,
    db_path: Path,
    output: Path,
    no_publish: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Republish if something changed (and ``--no-publish`` is not given), then print one line.

    The database change is already committed here; if the publish fails, the error says so and
    how to catch up, instead of leaving the editor unsure whether the change was kept.
    """
    result = (
        None if no_publish or not outcome.changed else publish_change(database, outcome, output)
    )
    if as_json:
        print_json(
            {
                "changed": outcome.changed,
                "summary": outcome.summary(),
                "publish": None if result is None else result.as_dict(),
            }
        )
        return
    if quiet:
        return
    line = outcome.summary()
    if result is not None:
        line += f"; {result.summary()}"
    elif outcome.changed:
        line += "; not published (--no-publish): run `wistia-sync publish` to catch up"
    typer.echo(line)


def publish_change(database: Database, outcome: EditOutcome, output: Path) -> PublishResult | None:
    """Publish, then deliver where the environment says; a failure says the change was kept."""
    from wistia_sync.errors import WistiaSyncError
    from wistia_sync.job import delivery_from_environment, publish_and_deliver

    try:
        published = publish_and_deliver(database, output, delivery=delivery_from_environment())
    except WistiaSyncError as error:
        raise type(error)(
            f"{outcome.summary()}, but publishing failed: {error}; "
            "run `wistia-sync publish` to catch up"
        ) from error
    if published.delivery is not None and published.delivery.warnings:
        from wistia_sync.cli.console import notice

        for warning in published.delivery.warnings:
            notice(f"warning: {warning}")
    return published.publish


def read_video_arguments(arguments: list[str]) -> list[str]:
    """The VIDEO arguments, with ``-`` replaced by the ids read from standard input.

    Each non-blank line gives one id, its first tab- or space-separated field, so the piped
    output of ``videos list`` can be fed back as is; lines starting with ``#`` are comments.
    """
    from wistia_sync.errors import UsageError

    if arguments.count(STDIN_ARGUMENT) > 1:
        raise UsageError("`-` (read ids from standard input) can be given only once")
    videos: list[str] = []
    for argument in arguments:
        if argument != STDIN_ARGUMENT:
            videos.append(argument)
            continue
        for line in sys.stdin:
            fields = line.removeprefix("\ufeff").split()  # a UTF-8 BOM from a Windows editor
            if fields and not fields[0].startswith("#"):
                videos.append(fields[0])
    if not videos:
        raise UsageError("no video given (standard input held no ids)")
    return videos


def _videos_and_tags(arguments: list[str], tags: list[str] | None) -> tuple[list[str], list[str]]:
    from wistia_sync.errors import UsageError

    if tags:
        return read_video_arguments(arguments), tags
    if len(arguments) < 2:
        raise UsageError("give a VIDEO and at least one TAG, or --tag TAG and VIDEOs")
    return read_video_arguments(arguments[:1]), arguments[1:]


def _open(db: Path) -> Database:
    from wistia_sync.store.db import open_database

    return open_database(db)


def _actor(actor: str | None) -> str:
    from wistia_sync.catalog.editing import clean_actor

    return clean_actor(actor)


# -- tag -------------------------------------------------------------------------------------------


@tag_app.command("add")
def tag_add(
    arguments: TagArguments,
    tag: TagOption = None,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Tag a video: `tag add VIDEO TAG...`, or many videos: `tag add --tag TAG VIDEO...`.

    Tags match case-insensitively; a new tag keeps the spelling given here. Tagging a video
    with a tag Wistia already set records it as an editor tag too, so it stays if Wistia drops it.
    """
    from wistia_sync.catalog.editing import add_tags

    videos, tags = _videos_and_tags(arguments, tag)
    database = _open(db)
    outcome = add_tags(database, videos, tags, actor=_actor(actor))
    finish_change(
        outcome,
        database=database,
        db_path=db,
        output=output,
        no_publish=no_publish,
        quiet=quiet,
        as_json=as_json,
    )


@tag_app.command("remove")
def tag_remove(
    arguments: TagArguments,
    tag: TagOption = None,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Remove editor tags: `tag remove VIDEO TAG...` or `tag remove --tag TAG VIDEO...`.

    A tag a video has only from Wistia is refused (and nothing changes): remove it in Wistia.
    """
    from wistia_sync.catalog.editing import remove_tags

    videos, tags = _videos_and_tags(arguments, tag)
    database = _open(db)
    outcome = remove_tags(database, videos, tags, actor=_actor(actor))
    finish_change(
        outcome,
        database=database,
        db_path=db,
        output=output,
        no_publish=no_publish,
        quiet=quiet,
        as_json=as_json,
    )


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
    database = _open(db)
    if video is not None:
        from wistia_sync.catalog.videos import resolve_videos, tags_of_video

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
def tag_rename(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The tag to rename.")],
    new: Annotated[
        str, typer.Argument(metavar="NEW", help="Its new name, or a tag to merge into.")
    ],
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Rename tag OLD to NEW, or merge OLD into NEW when NEW already exists.

    The tag keeps its slug (its published URL does not move); in a merge NEW keeps its name and
    slug and OLD's file disappears.
    """
    from wistia_sync.catalog.editing import rename_tag

    database = _open(db)
    outcome = rename_tag(database, old, new, actor=_actor(actor))
    finish_change(
        outcome,
        database=database,
        db_path=db,
        output=output,
        no_publish=no_publish,
        quiet=quiet,
        as_json=as_json,
    )


@tag_app.command("delete")
def tag_delete(
    name: Annotated[str, typer.Argument(metavar="TAG", help="The tag to delete.")],
    yes: Yes = False,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Remove TAG from every video an editor gave it to (Wistia's links stay).

    Asks for confirmation unless --yes; without a terminal, --yes is required.
    """
    from wistia_sync.catalog.editing import delete_tag, tag_usage
    from wistia_sync.catalog.videos import plural
    from wistia_sync.errors import UsageError

    database = _open(db)
    usage = tag_usage(database, name)
    if usage.editor_videos and not yes:
        videos = plural(usage.editor_videos, "video")
        if not sys.stdin.isatty():
            # A prompt nobody can answer would hang a script; refusing says what to do instead.
            raise UsageError(
                f'not deleting "{usage.name}" from {videos} without confirmation: '
                "pass --yes when not at a terminal"
            )
        typer.confirm(f'Delete "{usage.name}" from {videos}?', abort=True, err=True)
    outcome = delete_tag(database, name, actor=_actor(actor))
    finish_change(
        outcome,
        database=database,
        db_path=db,
        output=output,
        no_publish=no_publish,
        quiet=quiet,
        as_json=as_json,
    )


# -- visibility ------------------------------------------------------------------------------------


def _change_visibility(
    target: Visibility | None,
    videos: list[str],
    *,
    db: Path,
    output: Path,
    no_publish: bool,
    actor: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from wistia_sync.catalog.editing import set_visibility

    wanted = read_video_arguments(videos)
    database = _open(db)
    outcome = set_visibility(database, wanted, target, actor=_actor(actor))
    finish_change(
        outcome,
        database=database,
        db_path=db,
        output=output,
        no_publish=no_publish,
        quiet=quiet,
        as_json=as_json,
    )


@visibility_app.command("hide")
def visibility_hide(
    videos: Videos,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Hide videos: they vanish from every published file. Hiding a hidden video is a no-op."""
    _change_visibility(
        "hidden",
        videos,
        db=db,
        output=output,
        no_publish=no_publish,
        actor=actor,
        quiet=quiet,
        as_json=as_json,
    )


@visibility_app.command("show")
def visibility_show(
    videos: Videos,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Make videos public again (published if Wistia has them ready and not archived)."""
    _change_visibility(
        "public",
        videos,
        db=db,
        output=output,
        no_publish=no_publish,
        actor=actor,
        quiet=quiet,
        as_json=as_json,
    )


@visibility_app.command("toggle")
def visibility_toggle(
    videos: Videos,
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    no_publish: NoPublish = False,
    actor: Actor = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Hide each public video and show each hidden one."""
    _change_visibility(
        None,
        videos,
        db=db,
        output=output,
        no_publish=no_publish,
        actor=actor,
        quiet=quiet,
        as_json=as_json,
    )


def visibility_filter(hidden: bool, public: bool) -> Visibility | None:
    """``hidden``, ``public`` or None (both) from a pair of mutually exclusive flags."""
    from wistia_sync.errors import UsageError

    if hidden and public:
        raise UsageError("--hidden and --public cannot be combined; give at most one")
    return "hidden" if hidden else "public" if public else None


@visibility_app.command("list")
def visibility_list(
    hidden: HiddenOnly = False,
    public: PublicOnly = False,
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """Videos with their visibility and whether they are published (public is not enough:
    a processing or archived video stays unpublished)."""
    from wistia_sync.catalog.videos import VideoFilter, list_videos

    wanted = visibility_filter(hidden, public)
    videos = list_videos(_open(db), VideoFilter(visibility=wanted))
    if as_json:
        print_json(
            [
                {
                    "hashed_id": v.hashed_id,
                    "name": v.name,
                    "visibility": v.visibility,
                    "published": v.published,
                }
                for v in videos
            ]
        )
        return
    print_rows(
        ("id", "visibility", "published", "name"),
        ((v.hashed_id, v.visibility, "yes" if v.published else "no", v.name) for v in videos),
        empty=f"no {wanted} videos" if wanted else "no videos",
        keep=("id",),
    )


# -- log -------------------------------------------------------------------------------------------


def log_command(
    limit: LogLimit = 20,
    video: LogVideo = None,
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """The history of editorial changes, newest first: when, who, what, before → after."""
    from wistia_sync.catalog.editing import read_change_log

    entries = read_change_log(_open(db), limit=limit, video=video)
    if as_json:
        print_json([entry.as_json() for entry in entries])
        return
    print_rows(
        ("when", "who", "action", "video", "tag", "before → after"),
        ((e.at, e.actor, e.action, e.hashed_id, e.tag, e.change()) for e in entries),
        empty="no editorial changes yet",
        keep=("when", "video"),
        one_line=False,
    )
