"""The CLI at a real terminal: a pseudo-terminal 80 columns wide, read through a VT100 emulator.

Output that only a terminal gets (progress bars, tables, colours, a hidden cursor) is drawn by
code that a pipe or CliRunner never reaches: these tests run the installed entry point with a
pty as its stdin, stdout and stderr, as a person at a terminal does.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.catalog.test_editing_subprocess import entry_point
from tests.support.terminal import run_in_terminal

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
    first_step = readme_walkthrough()[0]
    assert [normalised(line) for line in shown.logical_lines] == [
        normalised(line) for line in first_step.output
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


# --- The README's walkthrough, command by command, as a newcomer types it ---------------------

README = Path(__file__).resolve().parents[2] / "README.md"
HASHED_ID = re.compile(r"\b[0-9a-z]{10}\b")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass(frozen=True)
class Step:
    command: str  # as typed after the prompt: "wistia-sync …"
    output: list[str]


def readme_walkthrough() -> list[Step]:
    """The README's first command (its install step is what CI itself runs), the editor's
    walkthrough after it, and the second `run`, with the output the README shows for each."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    first_index = next(
        index for index, (_, body) in enumerate(blocks) if "wistia-sync run --demo" in body
    )
    first_command = blocks[first_index][1].split("&& .venv/bin/")[-1].strip()
    steps = [Step(first_command, blocks[first_index + 1][1].splitlines())]
    for _, body in blocks:
        if body.startswith(("$ wistia-sync videos list --search", "$ wistia-sync run --demo")):
            for chunk in body.split("$ ")[1:]:
                command, *output = chunk.rstrip("\n").split("\n")
                steps.append(Step(command, output))
    assert [step.command.split()[1] for step in steps][:3] == ["run", "videos", "tag"]
    return steps


def as_argv(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "wistia-sync", command
    return [entry_point(), *words[1:]]


def normalised(line: str) -> str:
    line = re.sub(r"in \d+(\.\d+)? s\b", "in N s", line)
    return TIMESTAMP.sub("TIME", line)


def test_the_readme_walkthrough_prints_what_the_readme_shows(tmp_path: Path) -> None:
    """Through a pipe, every step prints exactly the README's lines (times aside)."""
    env = terminal_env(tmp_path)
    for step in readme_walkthrough():
        done = subprocess.run(
            as_argv(step.command), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (step.command, done.stderr)
        printed = (done.stdout + done.stderr).splitlines()
        assert [normalised(line) for line in printed] == [
            normalised(line) for line in step.output
        ], step.command


def test_the_readme_walkthrough_at_an_80_column_terminal(tmp_path: Path) -> None:
    """At a terminal every step succeeds, leaves the cursor shown and prints no error; the
    lines the README shows appear (tables drawn instead of tab-separated rows), and no id an
    editor must copy from a table is cut short."""
    env = terminal_env(tmp_path)
    for step in readme_walkthrough():
        shown = run_in_terminal(as_argv(step.command), cwd=tmp_path, env=env, columns=COLUMNS)
        assert shown.exit_code == 0, (step.command, shown.text)
        assert not shown.cursor_hidden, step.command
        assert "error" not in shown.text.lower(), (step.command, shown.text)
        screen = [normalised(line) for line in shown.logical_lines]
        for expected in step.output:
            if "\t" in expected:  # a table row at a terminal: its ids must show whole
                for hashed_id in HASHED_ID.findall(expected):
                    assert re.search(rf"\b{hashed_id}\b", shown.text), (step.command, shown.text)
            else:
                assert normalised(expected) in screen, (step.command, expected, shown.text)
        stamps = sum(1 for line in step.output if TIMESTAMP.search(line))
        assert len(TIMESTAMP.findall(shown.text)) >= stamps, (step.command, shown.text)
