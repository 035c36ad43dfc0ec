"""``wistia-sync visibility …``: hide videos from the published files, or show them again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import print_json
from wistia_sync.cli.editor import Edit, change_visibility, open_database
from wistia_sync.cli.editor_command import editor_command
from wistia_sync.cli.options import DbPath, HiddenOnly, Json, PublicOnly, visibility_filter
from wistia_sync.cli.tables import print_rows

if TYPE_CHECKING:
    from wistia_sync.catalog.editing import VisibilityResult

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


@visibility_app.command("hide")
@editor_command
def visibility_hide(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Hide videos: they vanish from every published file. Hiding a hidden video is a no-op."""
    return change_visibility(edit, videos, "hidden")


@visibility_app.command("show")
@editor_command
def visibility_show(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Make videos public again (published if Wistia has them ready and not archived)."""
    return change_visibility(edit, videos, "public")


@visibility_app.command("toggle")
@editor_command
def visibility_toggle(videos: Videos, *, edit: Edit) -> VisibilityResult:
    """Hide each public video and show each hidden one."""
    return change_visibility(edit, videos, None)


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
