"""A ``publish`` with nothing to publish answers before Typer is imported, saying exactly what
the full command says; every other ``publish`` runs the full command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.catalog.test_editing_subprocess import environment, run_cli, small_catalog
from wistia_sync import config
from wistia_sync.cli.app import app
from wistia_sync.cli.quickpublish import answer_noop_publish

__all__ = ["small_catalog"]  # the fixture, shared

# Runs the entry point as the installed script does, then says what it imported.
PROBE = """
import json, sys
from wistia_sync.cli.entry import main
try:
    main()
except SystemExit as done:
    if done.code not in (0, None):
        raise
watched = json.loads(sys.stdin.read())
print(json.dumps(sorted(name for name in watched if name in sys.modules)), file=sys.stderr)
"""
# What the answer must not import: Typer, the publisher's planning, rendering and writing, and
# everything the full command would (the tests of editor commands list the rest).
NOT_IMPORTED = [
    "typer",
    "wistia_sync.cli.app",
    "wistia_sync.job",
    "wistia_sync.publish.site",
    "wistia_sync.publish.plan",
    "wistia_sync.publish.build",
    "wistia_sync.publish.output",
    "wistia_sync.publish.snapshot",
    "sqlite_utils",
    "rich",
    "jinja2",
    "httpx",
    "pydantic",
    "logging",
]


def probe(arguments: list[str], env: dict[str, str]) -> tuple[str, list[str]]:
    """(stdout, the watched modules imported) of ``wistia-sync ARGUMENTS`` through ``entry``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        input=json.dumps(NOT_IMPORTED),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "arguments",
    [
        ["publish"],
        ["publish", "--quiet"],
        ["publish", "-q", "--json"],
        ["publish", "--json"],
        ["publish", "--db", "DB", "--output", "OUT"],
        ["publish", "--output=OUT", "--db=DB"],
    ],
)
def test_a_publish_with_nothing_to_do_answers_as_the_full_command_without_typer(
    small_catalog: tuple[Path, Path], arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path, out = small_catalog
    env = environment(db_path, out)
    assert run_cli(["publish"], env).returncode == 0
    arguments = [word.replace("DB", str(db_path)).replace("OUT", str(out)) for word in arguments]

    stdout, imported = probe(arguments, env)

    assert imported == []
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    full = CliRunner().invoke(app, arguments)
    assert full.exit_code == 0, full.output
    assert stdout == full.output


def test_anything_to_publish_goes_to_the_publisher(small_catalog: tuple[Path, Path]) -> None:
    db_path, out = small_catalog
    env = environment(db_path, out)
    assert run_cli(["publish"], env).returncode == 0
    edited = run_cli(["tag", "add", "welcome001", "Launch", "--no-publish"], env)
    assert edited.returncode == 0, edited.stderr

    stdout, imported = probe(["publish"], env)

    assert stdout.startswith("published ") and not stdout.startswith("published 0 files")
    assert "typer" in imported and "wistia_sync.publish.site" in imported
    assert probe(["publish"], env) == ("published 0 files, removed 0, 0 unchanged\n", [])


@pytest.mark.parametrize(
    ("arguments", "variables"),
    [
        (["publish", "--force"], {}),
        (["publish", "--dry-run"], {}),
        (["publish", "--db"], {}),
        (["publish", "--quiet", "--quiet"], {}),
        (["publish", "--target", "s3://bucket"], {}),
        (["publish"], {config.TARGET_ENV: "s3://bucket/site"}),
        (["publish"], {config.PURGE_ENV: "command:true"}),
        (["publish"], {config.DEBUG_ENV: "1"}),
        (["--debug", "publish"], {}),
        (["publish", "\udcff"], {}),
    ],
)
def test_any_other_publish_is_left_to_the_full_command(
    small_catalog: tuple[Path, Path],
    arguments: list[str],
    variables: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db_path, out = small_catalog
    env = environment(db_path, out)
    assert run_cli(["publish"], env).returncode == 0
    for name, value in {**env, **variables}.items():
        monkeypatch.setenv(name, value)

    assert answer_noop_publish(arguments) is False
    assert capsys.readouterr() == ("", "")


def test_a_database_that_is_not_there_gets_the_full_commands_error(tmp_path: Path) -> None:
    env = environment(tmp_path / "typo.db", tmp_path / "out")
    done = run_cli(["publish"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: no database at {tmp_path / 'typo.db'}")
