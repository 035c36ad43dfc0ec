"""``wistia-sync restore SRC``: put a backup back as the database, checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import stdout_console
from wistia_sync.cli.options import DbPath, Quiet


def restore_command(
    src: Annotated[
        str,
        typer.Argument(
            metavar="SRC",
            help="A backup file, or the latest in a folder or under s3://bucket/prefix.",
        ),
    ],
    db: DbPath = Path(config.DEFAULT_DB),
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a database whose change log is ahead of the backup's, or unreadable.",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Replace the database with a backup; refused while it is in use or newer than SRC."""
    from wistia_sync.ops.restore import restore_backup

    restored = restore_backup(src, db, force=force)
    if not quiet:
        stdout_console().print(restored.line(), markup=False)
