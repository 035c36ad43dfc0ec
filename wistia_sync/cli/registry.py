"""What the root command lists, without importing Typer: every command by name, where it lives
and its one-line help, and the root's own help texts.

``wistia_sync.cli.app`` builds the Typer app from these; ``wistia_sync.cli.roothelp`` prints the
root's ``--help`` from them before Typer is imported (a test checks both say the same).

Adding a command or a command group is one line in ``COMMANDS``:
``"name": LazyCommand("wistia_sync.cli.commands.name:attribute", "One-line help.")``, where the
attribute is the command function or the group's ``typer.Typer``.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT_HELP = "Sync a Wistia library into SQLite, curate it, and publish static JSON playlists."
DEBUG_HELP = "Show HTTP requests and full tracebacks."
VERSION_HELP = "Show the version."


@dataclass(frozen=True)
class LazyCommand:
    """A command known by name before its module is imported.

    ``target`` is ``"package.module:attribute"``; ``short_help`` is what the root ``--help``
    lists (a test checks it agrees with the command's own help). Pure data: the Typer side
    (``wistia_sync.cli.lazy.load_command``) imports the target.
    """

    target: str
    short_help: str


COMMANDS = {
    "sync": LazyCommand(
        "wistia_sync.cli.commands.sync:sync_command",
        "Mirror the Wistia account (videos, folders, tags, plays) into the database.",
    ),
    "status": LazyCommand(
        "wistia_sync.cli.commands.status:status_command",
        "Show what the database holds, the last runs, and when the next full crawl is due "
        "(give the `--full-every` your cron's `run` uses).",
    ),
    "publish": LazyCommand(
        "wistia_sync.cli.commands.publish:publish_command",
        "Bring the JSON files in the output folder up to date with the database.",
    ),
    "run": LazyCommand(
        "wistia_sync.cli.commands.run:run_command",
        "Sync, then republish what changed.",
    ),
    "site": LazyCommand(
        "wistia_sync.cli.commands.site:site_command",
        "Show the site's publishing and delivery settings, or change them (cron, every editor "
        "and the webhook worker share them).",
    ),
    "log": LazyCommand(
        "wistia_sync.cli.commands.log:log_command",
        "The history of editorial changes, newest first: when, who, what, before → after.",
    ),
    "videos": LazyCommand(
        "wistia_sync.cli.commands.videos:videos_app",
        "Find videos: list and search the catalog, show one video in full.",
    ),
    "tag": LazyCommand(
        "wistia_sync.cli.commands.tag:tag_app",
        "Add, remove, list, rename and delete tags (editor tags; Wistia's are read-only).",
    ),
    "visibility": LazyCommand(
        "wistia_sync.cli.commands.visibility:visibility_app",
        "Hide videos from the published files, or show them again.",
    ),
    "nginx-config": LazyCommand(
        "wistia_sync.cli.commands.nginx_config:nginx_config_command",
        "Print an nginx server block serving the output folder with cache headers and CORS.",
    ),
    "deliver": LazyCommand(
        "wistia_sync.cli.commands.deliver:deliver_command",
        "Mirror the published folder to --target and purge changed entry files from --purge.",
    ),
    "verify": LazyCommand(
        "wistia_sync.cli.commands.verify:verify_command",
        "Check that BASE_URL serves what the last publish wrote; exit 1 if anything is stale.",
    ),
    "webhook": LazyCommand(
        "wistia_sync.cli.commands.webhook:webhook_app",
        "Receive Wistia's webhooks: each event refetches its media and republishes in seconds.",
    ),
    "backup": LazyCommand(
        "wistia_sync.cli.commands.backup:backup_command",
        "Copy the database to DEST while it is in use, checked, keeping the newest --keep.",
    ),
    "restore": LazyCommand(
        "wistia_sync.cli.commands.restore:restore_command",
        "Replace the database with a backup; refused while it is in use or newer than SRC.",
    ),
}
