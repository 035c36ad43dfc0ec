"""``wistia-sync log``: the history of editorial changes, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import print_json
from wistia_sync.cli.editor import open_database
from wistia_sync.cli.options import MAX_COUNT, DbPath, Json
from wistia_sync.cli.tables import print_rows

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


def log_command(
    limit: LogLimit = 20,
    video: LogVideo = None,
    db: DbPath = Path(config.DEFAULT_DB),
    as_json: Json = False,
) -> None:
    """The history of editorial changes, newest first: when, who, what, before → after."""
    from wistia_sync.catalog.changelog import read_change_log

    entries = read_change_log(open_database(db), limit=limit, video=video)
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
