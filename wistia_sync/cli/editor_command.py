"""``@editor_command``: an editor command's Typer signature, its shared options declared once.

An editor command is written as ``@editor_command`` over a function that takes its own
arguments and an ``Edit``, and returns what the library's editing function returned. The
decorator gives it ``--db``, ``--output``, ``--no-publish``, ``--actor``, ``--quiet`` and
``--json`` (after its own options, as ``--help`` lists them), then finishes through
``wistia_sync.cli.editor.run_edit``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync import config
from wistia_sync.cli.editor import Edit, run_edit
from wistia_sync.cli.options import Actor, DbPath, Json, NoPublish, OutputDir, Quiet

if TYPE_CHECKING:
    from wistia_sync.catalog.editing import EditOutcome

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
        shared = {parameter.name: values.pop(parameter.name) for parameter in _SHARED}

        def edit_with_own_arguments(edit: Edit) -> EditOutcome:
            return change(**values, edit=edit)

        run_edit(edit_with_own_arguments, **shared)

    parameters = [*own, *_SHARED]
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return command
