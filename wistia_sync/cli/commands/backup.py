"""``wistia-sync backup DEST``: an online copy of the database, checked, with a retention count;
``--verify``: the restore drill on the latest backup."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from wistia_sync import config
from wistia_sync.cli.console import print_json, stdout_console
from wistia_sync.cli.options import DbPath, Json, Quiet

Keep = Annotated[
    int,
    typer.Option("--keep", min=1, max=100_000, help="How many backups DEST keeps (newest)."),
]


def backup_command(
    dest: Annotated[
        str,
        typer.Argument(
            metavar="DEST", help="A folder, or s3://bucket/prefix (the site's S3 endpoint)."
        ),
    ],
    db: DbPath = Path(config.DEFAULT_DB),
    keep: Keep = 14,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Take no backup: restore the latest in DEST to a temporary file and check it "
            "(integrity, and its change log reaches the id recorded when it was taken).",
        ),
    ] = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Copy the database to DEST while it is in use, checked, keeping the newest --keep."""
    if verify:
        from wistia_sync.ops.drill import verify_latest

        drilled = verify_latest(db, dest)
        if as_json:
            print_json(asdict(drilled))
        elif not quiet:
            stdout_console().print(drilled.line(), markup=False)
        return
    from wistia_sync.ops.backup import take_backup

    taken = take_backup(db, dest, keep=keep)
    if as_json:
        print_json(asdict(taken))
    elif not quiet:
        stdout_console().print(taken.line(), markup=False)
