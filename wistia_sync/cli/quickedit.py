"""The editor commands people type most, run before Typer is imported.

An editor waits on every ``tag add`` and ``visibility hide``, and importing Typer costs about as
much as the edit and its republish together. So ``entry`` hands the plainest command lines here
first: ``tag add|remove`` and ``visibility hide|show|toggle`` with their VIDEO and TAG
arguments, ``--tag``/``-t TAG`` for the tag commands, and the shared ``--db``, ``--output``,
``--actor``, ``--no-publish``, ``--quiet``/``-q`` and ``--json``, each option at most once
(``--tag`` repeated), every value plain text, with the environment's variables for the options
that have one. Such a line runs exactly what the Typer command runs (``editor.run_edit`` with the
same change), and a failure ends as it would there (``failures.report_failure``).

Anything else (``--help``, ``--``, a value that starts with ``-``, an option twice, ``--debug``,
a database inside the output folder...) returns None before anything is read or changed, and
the Typer command parses it and says what is wrong in its own words.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync import config
from wistia_sync.errors import ConfigError

if TYPE_CHECKING:
    from wistia_sync.catalog.editing import EditOutcome
    from wistia_sync.catalog.rules import Visibility
    from wistia_sync.cli.editor import Edit

# The commands answered here, and the target of each visibility command (None: toggle).
TAG_COMMANDS = {"add": True, "remove": False}
VISIBILITY_COMMANDS: dict[str, Visibility | None] = {
    "hide": "hidden",
    "show": "public",
    "toggle": None,
}
_FLAGS = {"--no-publish": "no_publish", "--quiet": "quiet", "-q": "quiet", "--json": "as_json"}
_VALUES = {"--db": "db", "--output": "output", "--actor": "actor"}
_TAG_OPTIONS = ("--tag", "-t")
STDIN_ARGUMENT = "-"


class EditorLine:
    """A plain editor command line, parsed: its words sorted as the Typer command would."""

    __slots__ = ("arguments", "command", "flags", "group", "tags", "values")

    def __init__(self, group: str, command: str) -> None:
        self.group = group
        self.command = command
        self.arguments: list[str] = []
        self.tags: list[str] = []
        self.flags: set[str] = set()
        self.values: dict[str, str] = {}


def run_quick_edit(arguments: list[str]) -> int | None:
    """The exit code of the editor command ``arguments`` name, run here; None: not one of the
    plain lines this module answers (nothing was read or changed: run the Typer command)."""
    line = parse_editor_line(arguments)
    if line is None or os.environ.get(config.DEBUG_ENV) == "1":
        return None
    db = Path(line.values.get("db") or os.environ.get(config.DB_ENV) or config.DEFAULT_DB)
    output = Path(
        line.values.get("output") or os.environ.get(config.OUTPUT_ENV) or config.DEFAULT_OUTPUT
    )
    try:
        config.check_database_outside_output(db, output)  # the options' own check
    except ConfigError:
        return None
    from wistia_sync.cli.editor import run_edit
    from wistia_sync.cli.failures import report_failure

    try:
        run_edit(
            _change(line),
            db=db,
            output=output,
            no_publish="no_publish" in line.flags,
            actor=line.values.get("actor") or os.environ.get(config.ACTOR_ENV) or None,
            quiet="quiet" in line.flags,
            as_json="as_json" in line.flags,
        )
    except BaseException as error:
        code = report_failure(error, debug=False)
        if code is None:
            raise
        return code
    return 0


def parse_editor_line(arguments: list[str]) -> EditorLine | None:
    """``arguments`` (after the program name) as one of the plain editor lines; None: not one."""
    if len(arguments) < 3:
        return None
    group, command, *rest = arguments
    is_tag = group == "tag" and command in TAG_COMMANDS
    if not (is_tag or (group == "visibility" and command in VISIBILITY_COMMANDS)):
        return None
    line = EditorLine(group, command)
    words = iter(rest)
    for word in words:
        if not word.isprintable():
            return None  # not valid UTF-8, or a control character: Typer's checks decide
        name, equals, value = word.partition("=")
        if word == STDIN_ARGUMENT or not word.startswith("-"):
            line.arguments.append(word)
        elif word in _FLAGS and _FLAGS[word] not in line.flags:
            line.flags.add(_FLAGS[word])
        elif name in _VALUES and _VALUES[name] not in line.values:
            found = _value(value if equals else next(words, None))
            if found is None:
                return None
            line.values[_VALUES[name]] = found
        elif is_tag and (word in _TAG_OPTIONS or (equals and name == _TAG_OPTIONS[0])):
            found = _value(value if equals else next(words, None))
            if found is None:
                return None
            line.tags.append(found)
        else:
            return None
    return line if line.arguments else None


def _value(word: str | None) -> str | None:
    """An option's value if it is plain text (not missing, empty, or like an option)."""
    if word is None or not word or word.startswith("-") or not word.isprintable():
        return None
    return word


def _change(line: EditorLine) -> Callable[[Edit], EditOutcome]:
    """What the Typer command would run on the ``Edit``."""
    from wistia_sync.cli.editor import change_tags, change_visibility

    if line.group == "tag":
        add = TAG_COMMANDS[line.command]
        return lambda edit: change_tags(edit, line.arguments, line.tags or None, add=add)
    target = VISIBILITY_COMMANDS[line.command]
    return lambda edit: change_visibility(edit, line.arguments, target)
