"""``wistia-sync visibility …``: hide videos from the published files, or show them again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.editor import Edit, editor_command, open_database, read_video_arguments
from wistia_sync.cli.options import DbPath, HiddenOnly, Json, PublicOnly, visibility_filter
from wistia_sync.cli.tables import print_json, print_rows

if TYPE_CHECKING:
    from wistia_sync.catalog.editing import VisibilityResult
    from wistia_sync.catalog.rules import Visibility

Videos = Annotated[
    list[str],
    typer.Argument(
        metavar="VIDEO",
        help="Hashed ids or numeric ids; `-` reads ids from standard input (first field of "
        "each line).",
        show_default=False,
    ),
]
visibility_app = typer.Typer(
    name="visibility",
    help="Hide videos from the published files, or show them again.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _change_visibility(
    target: Visibility | None, videos: list[str], edit: Edit
) -> VisibilityResult:
    from wistia_sync.catalog.editing import set_visibility

    wanted = read_video_arguments(videos)
    return set_visibility(edit.database, wanted, target, actor=edit.actor)


@visibility_app.command("hide")
@editor_command
def visibility_hide(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Hide videos: they vanish from every published file. Hiding a hidden video is a no-op."""
    return _change_visibility("hidden", videos, edit)


@visibility_app.command("show")
@editor_command
def visibility_show(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Make videos public again (published if Wistia has them ready and not archived)."""
    return _change_visibility("public", videos, edit)


@visibility_app.command("toggle")
@editor_command
def visibility_toggle(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Hide each public video and show each hidden one."""
    return _change_visibility(None, videos, edit)


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
    videos = list_videos(open_database(db), VideoFilter(visibility=wanted))
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
