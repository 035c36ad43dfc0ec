"""The command line as a whole: help, errors, exit codes, the demo job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wistia_sync.cli import app

runner = CliRunner()


def all_commands() -> list[list[str]]:
    """Every command path, walked from the root group, so a new command cannot lack help."""
    import typer.main

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "root")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    summary = result.output.split("\n\n")[1].strip()
    assert summary, f"{' '.join(path)} has no help text"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("wistia-sync ")


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
