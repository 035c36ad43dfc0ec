"""The command line as a whole: help, errors, exit codes, the demo job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wistia_sync.cli.app import app

runner = CliRunner()


def all_commands() -> list[list[str]]:
    """Every command path, walked from the root group, so a new command cannot lack help.

    Walked through ``list_commands``/``get_command``, as click resolves them: the root group's
    commands are lazy and appear in ``commands`` only once loaded.
    """
    import typer.main
    from typer._click.core import Context

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        if not hasattr(command, "list_commands"):
            return
        context = Context(command)
        for name in command.list_commands(context):
            walk(command.get_command(context, name), [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "root")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    summary = result.output.split("\n\n")[1].strip()
    assert summary, f"{' '.join(path)} has no help text"
    assert "─" not in result.output, "help is plain text, as the root's (rich_markup_mode=None)"


def test_root_help_lists_each_command_with_its_own_help() -> None:
    """The root lists lazy commands from their declared help: it must say what each one says."""
    import typer.main
    from typer._click.core import Context

    from wistia_sync.cli.lazy import load_command
    from wistia_sync.cli.registry import COMMANDS

    root = typer.main.get_command(app)
    for name, declared in COMMANDS.items():
        command = load_command(name, declared.target)
        assert command.get_short_help_str(limit=1000) == declared.short_help, name
    listed = runner.invoke(app, ["--help"]).output
    assert [line.split()[0] for line in listed.split("Commands:")[1].strip().splitlines()] == list(
        root.list_commands(Context(root))
    )


def test_unknown_command_suggests_a_lazy_one() -> None:
    result = runner.invoke(app, ["tagg"])
    assert result.exit_code == 2 and "Did you mean 'tag'?" in result.output


@pytest.mark.parametrize("arguments", [["--help"], ["--version"], []])
def test_help_and_version_import_no_command_module(arguments: list[str]) -> None:
    """Start-up: the root lists commands without importing them, or what they import."""
    probe = (
        "import sys\n"
        "from wistia_sync.cli.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('httpx', 'pydantic', 'rich', 'sqlite_utils', 'wistia_sync.cli.commands',\n"
        "    'wistia_sync.cli.editor', 'wistia_sync.cli.client', 'wistia_sync.job')\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *arguments], capture_output=True, text=True, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert "visibility" in done.stdout + done.stderr or done.stdout.startswith("wistia-sync ")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("wistia-sync ")


def test_version_answers_before_importing_typer_and_says_the_same() -> None:
    probe = (
        "import sys\n"
        "from wistia_sync.cli.entry import main\n"
        "main()\n"
        "print('typer' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--version"], capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "False"
    assert done.stdout == runner.invoke(app, ["--version"]).output


def test_sync_without_token_is_one_clear_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WISTIA_API_TOKEN", raising=False)
    result = runner.invoke(app, ["sync", "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: no Wistia API token: set WISTIA_API_TOKEN or pass --token-file PATH "
        "(or try the built-in demo catalog with --demo)"
    ]


def test_bad_default_visibility_is_refused_before_anything_happens(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    result = runner.invoke(app, ["sync", "--demo", "--db", str(db), "--default-visibility", "x"])
    assert result.exit_code == 2 and "public' or 'hidden" in result.output
    assert not db.exists()


def test_run_demo_fills_database_and_output(tmp_path: Path) -> None:
    db, output = tmp_path / "wistia.db", tmp_path / "output"
    args = ["run", "--demo", "--db", str(db), "--output", str(output)]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["new"] >= 40 and summary["publish"]["changed_entries"]
    assert (output / "manifest.json").exists()
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert "output up to date" in again.output


def test_quiet_run_prints_nothing(tmp_path: Path) -> None:
    args = ["run", "--demo", "--quiet", "--db", str(tmp_path / "w.db")]
    result = runner.invoke(app, [*args, "--output", str(tmp_path / "out")])
    assert result.exit_code == 0 and result.output == ""


def test_status_reports_runs_and_next_full_crawl(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    runner.invoke(app, ["sync", "--demo", "--quiet", "--db", db])
    result = runner.invoke(app, ["status", "--db", db, "--json"])
    report = json.loads(result.output)
    assert report["counts"]["videos"] == 48
    assert report["runs"][0]["outcome"] == "ok" and report["runs"][0]["mode"] == "full"
    assert report["next_full_crawl"].endswith("Z")


def test_a_closed_stdout_is_not_an_error(tmp_path: Path) -> None:
    """`wistia-sync videos list | head -1` must not print a BrokenPipeError."""
    db = str(tmp_path / "w.db")
    runner.invoke(app, ["sync", "--demo", "--quiet", "--db", db])
    read_end, write_end = os.pipe()
    os.close(read_end)
    done = subprocess.run(
        [sys.executable, "-m", "wistia_sync", "videos", "list", "--db", db],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write_end)
    assert done.returncode == 0
    assert done.stderr == ""


@pytest.mark.parametrize("columns", ["20", "50", "63", "80", "200"])
def test_root_help_before_typer_is_exactly_typers(columns: str) -> None:
    """The entry point prints the root help without Typer: it must be Typer's, at any width."""
    rename = "import sys; sys.argv[0] = 'wistia-sync'; "
    env = {**os.environ, "COLUMNS": columns}

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", rename + code, "--help"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    quick = run("from wistia_sync.cli.entry import main; main(); print('typer' in sys.modules)")
    typers = run("from wistia_sync.cli.app import main; main()")
    assert quick == typers + "False\n"


def test_a_demo_run_does_not_redact_the_word_demo_from_later_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WISTIA_API_TOKEN", raising=False)
    assert (
        runner.invoke(app, ["sync", "--demo", "-q", "--db", str(tmp_path / "d.db")]).exit_code == 0
    )
    result = runner.invoke(app, ["sync", "--db", str(tmp_path / "w.db")])
    assert "with --demo" in result.output


def test_every_command_shows_the_librarys_own_defaults() -> None:
    """The API URL, API version and full-crawl interval were typed again in each command: one
    copy now lives in ``config``, and every option showing one of them must show that copy."""
    import typer.main
    from typer._click.core import Context
    from typer.core import TyperGroup

    from wistia_sync import config
    from wistia_sync.sync import summary
    from wistia_sync.wistia import client as wistia

    expected = {
        "api_url": config.DEFAULT_API_URL,
        "api_version": config.DEFAULT_API_VERSION,
        "full_every": config.DEFAULT_FULL_EVERY,
    }
    seen: dict[str, int] = dict.fromkeys(expected, 0)
    root = typer.main.get_command(app)

    def walk(group: TyperGroup, context: Context) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            if isinstance(command, TyperGroup):
                walk(command, Context(command, parent=context, info_name=name))
                continue
            for param in command.params:
                if param.name in expected:
                    assert param.default == expected[param.name], (name, param.name)
                    seen[param.name] += 1

    assert isinstance(root, TyperGroup)
    walk(root, Context(root, info_name="wistia-sync"))
    assert all(seen.values()), seen
    assert wistia.DEFAULT_API_URL == config.DEFAULT_API_URL
    assert config.parse_duration(config.DEFAULT_FULL_EVERY) == summary.DEFAULT_FULL_EVERY
