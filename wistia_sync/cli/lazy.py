"""Command groups whose command modules are imported only when a command runs.

``wistia-sync --help`` and ``--version`` must answer at once, and an editor command must not
pay for what ``sync`` imports. So the root group knows each command by name, by where it lives
(``"module:attribute"``) and by its one-line help; it imports the module the first time the
command is resolved (to run it, or to show its own ``--help``), never to list it.

The attribute is either a ``typer.Typer`` (a command group such as ``tag``) or a plain
function (a single command such as ``sync``), exactly what the module would have registered.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

import typer
import typer.main
import typer.models
from typer._click.core import Command, Context
from typer._click.exceptions import UsageError
from typer._click.formatting import HelpFormatter
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup

from wistia_sync.cli.registry import LazyCommand


def load_command(name: str, target: str) -> Command:
    """The click command for ``target`` (``"module:attribute"``), importing its module.

    Built as ``add_typer``/``command`` on the root app would build it: plain help (the root's
    ``rich_markup_mode=None``), whatever the sub-app says, so every command's help looks alike.
    """
    module_name, _, attribute = target.partition(":")
    found: Any = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        return typer.main.get_group_from_info(
            typer.models.TyperInfo(found),
            pretty_exceptions_short=found.pretty_exceptions_short,
            rich_markup_mode=None,
            suggest_commands=found.suggest_commands,
        )
    if callable(found):
        holder = typer.Typer(add_completion=False, rich_markup_mode=None)
        holder.command(name)(found)
        return typer.main.get_command(holder)
    raise TypeError(f"{target} is neither a Typer app nor a command function")


class LazyGroup(TyperGroup):
    """A Typer group that also serves the commands of ``lazy_commands`` (set by a subclass)."""

    lazy_commands: Mapping[str, LazyCommand] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy_commands if name not in eager)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = load_command(cmd_name, self.lazy_commands[cmd_name].target)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """List every command with its short help, importing none of the lazy ones."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
            else:
                short_help = self.lazy_commands[name].short_help
                rows.append((name, make_default_short_help(short_help, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as error:
            # TyperGroup suggests from the loaded commands only; suggest from every name.
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches:
                suggestions = ", ".join(repr(match) for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
