"""The ``wistia-sync`` entry point: ``--version`` answers before Typer is imported.

Importing Typer is most of every command's start-up; a version check (scripts, bug reports,
package managers) needs none of it. Everything else goes to ``wistia_sync.cli``.
"""

import sys

from wistia_sync import __version__


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(f"wistia-sync {__version__}")  # what the root's eager --version option prints
        return
    from wistia_sync.cli import main as run_cli

    run_cli()
