"""The CLI at a real terminal: a pseudo-terminal 80 columns wide, read through a VT100 emulator.

Output that only a terminal gets (progress bars, tables, colours, a hidden cursor) is drawn by
code that a pipe or CliRunner never reaches: these tests run the installed entry point with a
pty as its stdin, stdout and stderr, as a person at a terminal does.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from tests.terminal import run_in_terminal
from tests.test_editing_subprocess import entry_point

COLUMNS = 80


def terminal_env(tmp_path: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WISTIA", "COLUMNS", "LINES", "FORCE_COLOR", "TTY_", "NO_COLOR"))
    }
    env.update({"WISTIA_SYNC_ACTOR": "root", "HOME": str(tmp_path)})
    return env


def test_run_demo_at_a_terminal_syncs_publishes_and_restores_the_cursor(tmp_path: Path) -> None:
    """The README's first command, at a terminal (it crashed there: the progress display was
    handed a stand-in for rich's console, the sync failed, the cursor stayed hidden)."""
    shown = run_in_terminal(
        [entry_point(), "run", "--demo"], cwd=tmp_path, env=terminal_env(tmp_path), columns=COLUMNS
    )

    assert shown.exit_code == 0, shown.text
    assert not shown.cursor_hidden
    assert [re.sub(r"in [\d.]+ s", "in N s", line) for line in shown.logical_lines] == [
        "full sync: 48 new, 0 updated, 0 archived, 0 deleted, 0 unchanged, 43 stats;"
        " 45 requests in N s",
        "published 73 files, removed 0, 0 unchanged",
    ]
    with sqlite3.connect(tmp_path / "wistia.db") as db:
        assert db.execute("SELECT count(*) FROM videos").fetchone()[0] == 48
    assert (tmp_path / "output" / "videos.json").is_file()


def test_a_sync_failing_under_the_progress_display_leaves_one_error_and_the_cursor_shown(
    tmp_path: Path,
) -> None:
    env = terminal_env(tmp_path)
    env.update(
        {
            "WISTIA_API_TOKEN": "not-a-real-token",
            "WISTIA_API_URL": "http://127.0.0.1:9/modern",  # discard: nothing listens
            "WISTIA_SYNC_HTTP_BACKOFF": "0.01",
        }
    )
    shown = run_in_terminal([entry_point(), "run"], cwd=tmp_path, env=env, columns=COLUMNS)

    assert shown.exit_code == 1, shown.text
    assert not shown.cursor_hidden
    errors = [line for line in shown.lines if line.startswith("error:")]
    assert len(errors) == 1 and "Wistia is unavailable" in errors[0], shown.text
    assert "Traceback" not in shown.text


@pytest.mark.parametrize("command", [["--help"], ["run", "--help"], ["--version"]])
def test_help_fits_the_terminal(tmp_path: Path, command: list[str]) -> None:
    shown = run_in_terminal(
        [entry_point(), *command], cwd=tmp_path, env=terminal_env(tmp_path), columns=COLUMNS
    )
    assert shown.exit_code == 0, shown.text
    assert not shown.cursor_hidden
    assert shown.lines
