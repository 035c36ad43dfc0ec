"""What the editor commands (``tag …``, ``visibility …``) share once their arguments are parsed:
the database they change, the VIDEO arguments, and the finish step (``run_edit``): republish
unless ``--no-publish`` or nothing changed, and print one line.

Typer is not imported here: ``wistia_sync.cli.quickedit`` runs the plainest editor command lines
through ``run_edit`` before Typer is imported, and ``wistia_sync.cli.editor_command`` declares
the options of the Typer commands. Library imports happen inside the functions, and none of them
reaches httpx: every editor command stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.cli.console import print_json

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.catalog.editing import EditOutcome, TaggingResult, VisibilityResult
    from wistia_sync.catalog.rules import Visibility
    from wistia_sync.deliver.delivery import DeliverySettings
    from wistia_sync.publish import PublishResult

STDIN_ARGUMENT = "-"


def open_database(db: Path) -> Database:
    from wistia_sync.store.db import open_database

    return open_database(db)


class Edit:
    """The database an editor command changes, and who the change log records."""

    def __init__(self, db: Path, actor_option: str | None) -> None:
        self.db = db
        self.actor_option = actor_option

    @functools.cached_property
    def database(self) -> Database:
        return open_database(self.db)

    @property
    def actor(self) -> str:
        from wistia_sync.catalog.changelog import clean_actor

        return clean_actor(self.actor_option)

    def close(self) -> None:
        """Close the database if it was opened (the last connection checkpoints the WAL)."""
        database = self.__dict__.pop("database", None)
        if database is not None:
            database.close()


def run_edit(
    change: Callable[[Edit], EditOutcome],
    *,
    db: Path,
    output: Path,
    no_publish: bool,
    actor: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Run ``change`` on the database at ``db`` (as ``actor``), then ``finish_change``; the
    database is closed on the way out."""
    edit = Edit(db, actor)
    try:
        # Before the change: a delivery the environment names differently from the site's is
        # refused with nothing changed.
        delivery = None if no_publish else editor_delivery(edit.database)
        outcome = change(edit)
        finish_change(
            outcome,
            edit.database,
            output=output,
            no_publish=no_publish,
            quiet=quiet,
            as_json=as_json,
            delivery=delivery,
        )
    finally:
        edit.close()


def finish_change(
    outcome: EditOutcome,
    database: Database,
    *,
    output: Path,
    no_publish: bool,
    quiet: bool,
    as_json: bool,
    delivery: EditorDelivery | None = None,
) -> None:
    """Republish if something changed (and ``--no-publish`` is not given), then print one line.

    The database change is already committed here; if the publish fails, the error says so and
    how to catch up, instead of leaving the editor unsure whether the change was kept. A
    delivery or purge left owed exits 3 after the line, saying the change was kept.
    """
    owed = None
    result = None
    if not no_publish and outcome.changed:
        result, owed = publish_change(database, outcome, output, delivery)
    if as_json:
        print_json(
            {
                "changed": outcome.changed,
                "summary": outcome.summary(),
                "publish": None if result is None else result.as_dict(),
                "owed": owed,
            }
        )
    elif not quiet:
        line = outcome.summary()
        if result is not None:
            line += f"; {result.summary()}"
        elif outcome.changed:
            line += "; not published (--no-publish): run `wistia-sync publish` to catch up"
        print(line, flush=True)
    if owed is not None:
        from wistia_sync.errors import DeliveryOwed

        raise DeliveryOwed(f"{outcome.summary()} (kept); {owed}")


class EditorDelivery:
    """The delivery an editor command uses (None: none), and the notice to print first."""

    __slots__ = ("notice", "settings")

    def __init__(self, settings: DeliverySettings | None, notice: str | None) -> None:
        self.settings = settings
        self.notice = notice


def editor_delivery(database: Database) -> EditorDelivery:
    """The site's delivery, with what this shell's environment names (``job.site_delivery``);
    no delivery code is imported when neither names a target or purge."""
    from wistia_sync.job import site_delivery

    settings, site_notice = site_delivery(database, environment=True, interactive=True)
    return EditorDelivery(settings, site_notice)


def publish_change(
    database: Database,
    outcome: EditOutcome,
    output: Path,
    delivery: EditorDelivery | None = None,
) -> tuple[PublishResult | None, str | None]:
    """Publish, then deliver the site's way; a failure says the change was kept. Returns the
    publish and the line on what delivery left owed (None: nothing)."""
    from wistia_sync.errors import WistiaSyncError
    from wistia_sync.job import publish_and_deliver

    delivery = delivery or editor_delivery(database)
    if delivery.notice:
        from wistia_sync.cli.console import notice

        notice(delivery.notice)
    try:
        published = publish_and_deliver(database, output, delivery=delivery.settings)
    except WistiaSyncError as error:
        raise type(error)(
            f"{outcome.summary()}, but publishing failed: {error}; "
            "run `wistia-sync publish` to catch up"
        ) from error
    if published.delivery is not None and published.delivery.warnings:
        from wistia_sync.cli.console import notice

        for warning in published.delivery.warnings:
            notice(f"warning: {warning}")
    owed = None if published.delivery is None else published.delivery.owed()
    return published.publish, owed


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


def change_tags(
    edit: Edit, arguments: list[str], tags: list[str] | None, *, add: bool
) -> TaggingResult:
    """``tag add``/``tag remove``: one VIDEO then its TAGs, or with ``--tag`` any number of
    VIDEOs."""
    from wistia_sync.catalog.editing import add_tags, remove_tags
    from wistia_sync.errors import UsageError

    if tags:
        videos = read_video_arguments(arguments)
    elif len(arguments) < 2:
        raise UsageError("give a VIDEO and at least one TAG, or --tag TAG and VIDEOs")
    else:
        videos, tags = read_video_arguments(arguments[:1]), arguments[1:]
    change = add_tags if add else remove_tags
    return change(edit.database, videos, tags, actor=edit.actor)


def change_visibility(
    edit: Edit, arguments: list[str], target: Visibility | None
) -> VisibilityResult:
    """``visibility hide|show|toggle VIDEO...`` (``target`` None: toggle)."""
    from wistia_sync.catalog.editing import set_visibility

    videos = read_video_arguments(arguments)
    return set_visibility(edit.database, videos, target, actor=edit.actor)
