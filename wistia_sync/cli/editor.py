"""What the editor commands (``tag …``, ``visibility …``) share: their options, the VIDEO
arguments, and the finish step.

An editor command is written as ``@editor_command`` over a function that takes its own
arguments and an ``Edit``, and returns what the library's editing function returned. The
decorator gives it ``--db``, ``--output``, ``--no-publish``, ``--actor``, ``--quiet`` and
``--json`` (after its own options, as ``--help`` lists them), then finishes: republish unless
``--no-publish`` or nothing changed, and print one line. Library imports happen inside the
functions, and none of them reaches httpx: every editor command stays fast.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from wistia_sync import config
from wistia_sync.cli.options import Actor, DbPath, Json, NoPublish, OutputDir, Quiet
from wistia_sync.cli.tables import print_json

if TYPE_CHECKING:
    from sqlite_utils import Database

    from wistia_sync.catalog.editing import EditOutcome
    from wistia_sync.deliver.delivery import DeliverySettings
    from wistia_sync.publish import PublishResult

STDIN_ARGUMENT = "-"


def open_database(db: Path) -> Database:
    from wistia_sync.store.db import open_database

    return open_database(db)


@dataclass
class Edit:
    """The database an editor command changes, and who the change log records."""

    db: Path
    actor_option: str | None

    @functools.cached_property
    def database(self) -> Database:
        return open_database(self.db)

    @property
    def actor(self) -> str:
        from wistia_sync.catalog.changelog import clean_actor

        return clean_actor(self.actor_option)


# The options every editor command takes after its own, in the order its --help lists them.
_SHARED = tuple(
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option)
    for name, option, default in (
        ("db", DbPath, Path(config.DEFAULT_DB)),
        ("output", OutputDir, Path(config.DEFAULT_OUTPUT)),
        ("no_publish", NoPublish, False),
        ("actor", Actor, None),
        ("quiet", Quiet, False),
        ("as_json", Json, False),
    )
)


def editor_command(change: Callable[..., EditOutcome]) -> Callable[..., None]:
    """A command running ``change(**its own arguments, edit=Edit(...))``, then ``finish_change``.

    The command's signature is ``change``'s without ``edit``, plus the shared options: Typer
    reads options from the signature, so this is where they are declared once.
    """
    # Annotations are strings (postponed evaluation); Typer needs the objects. The return type
    # is left alone: it is imported for type checking only.
    own = [
        parameter.replace(annotation=eval(parameter.annotation, change.__globals__))
        if isinstance(parameter.annotation, str)
        else parameter
        for name, parameter in inspect.signature(change).parameters.items()
        if name != "edit"
    ]

    @functools.wraps(change)
    def command(**values: Any) -> None:
        db, output = values.pop("db"), values.pop("output")
        no_publish, quiet, as_json = (
            values.pop("no_publish"),
            values.pop("quiet"),
            values.pop("as_json"),
        )
        edit = Edit(db, values.pop("actor"))
        # Before the change: a delivery the environment names differently from the site's is
        # refused with nothing changed.
        delivery = None if no_publish else editor_delivery(edit.database)
        outcome = change(**values, edit=edit)
        finish_change(
            outcome,
            edit.database,
            output=output,
            no_publish=no_publish,
            quiet=quiet,
            as_json=as_json,
            delivery=delivery,
        )

    parameters = [*own, *_SHARED]
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return command


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
        typer.echo(line)
    if owed is not None:
        from wistia_sync.errors import DeliveryOwed

        raise DeliveryOwed(f"{outcome.summary()} (kept); {owed}")


@dataclass(frozen=True)
class EditorDelivery:
    """The delivery an editor command uses (None: none), and the notice to print first."""

    settings: DeliverySettings | None
    notice: str | None


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
