"""The plainest editor command lines run before Typer is imported, with exactly the effect,
output and exit code of the Typer command; every other line is left to the Typer command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.catalog.test_editing_subprocess import environment, run_cli, small_catalog
from wistia_sync import config
from wistia_sync.cli.quickedit import parse_editor_line, run_quick_edit

__all__ = ["small_catalog"]  # the fixture, shared

# Runs the entry point as the installed script does, then says what it imported.
ENTRY_PROBE = """
import json, os, sys
from wistia_sync.cli.entry import main
code = 0
try:
    main()
except SystemExit as done:
    code = done.code or 0
watched = json.loads(os.environ["WATCHED"])
print(json.dumps(sorted(name for name in watched if name in sys.modules)), file=sys.stderr)
sys.exit(code)
"""
# The Typer command, as before there was any shortcut.
TYPER_COMMAND = "from wistia_sync.cli.app import main; main()"
# What a plain editor command must not import: Typer, and everything only other commands use
# (tests/catalog/test_editing_subprocess.py lists what even the Typer command must not).
NOT_IMPORTED = [
    "typer",
    "wistia_sync.cli.app",
    "rich",
    "sqlite_utils",
    "httpx",
    "pydantic",
    "jinja2",
    "boto3",
    "botocore",
    "tenacity",
    "slugify",  # only a new tag needs a slug
    "importlib.metadata",
    "importlib.resources",
    "wistia_sync.deliver.delivery",
    "wistia_sync.sync",
    # Only rare paths of the publisher log, and a few threads fsync a batch: neither the logging
    # machinery nor a thread pool is needed by an edit.
    "logging",
    "concurrent.futures",
    "secrets",
    # The records an edit passes around are NamedTuples and plain classes: the dataclass
    # decorator runs code generation at import, and its module imports inspect.
    "dataclasses",
    "inspect",
    # Listing and showing videos: an edit resolves its VIDEO arguments with catalog.references.
    "wistia_sync.catalog.videos",
]

LINES = [
    ["tag", "add", "welcome001", "Onboarding"],  # already there: nothing to publish
    ["tag", "add", "welcome001", "Onboarding", "Temporary", "--no-publish"],
    ["tag", "add", "--tag", "Temporary", "welcome001", "setup00002", "--json"],
    ["tag", "add", "-t", "Temporary", "-t", "Onboarding", "setup00002", "-q"],
    ["tag", "add", "--tag=Temporary", "welcome001", "--actor", "bob"],
    ["tag", "remove", "setup00002", "Temporary", "--actor=carol"],
    ["tag", "remove", "welcome001", "Onboarding"],  # Wistia's tag: refused, exit 2
    ["tag", "add", "welcome001"],  # no TAG: exit 2
    ["tag", "add", "nosuchvid0", "Temporary"],  # no such video
    ["visibility", "hide", "welcome001"],
    ["visibility", "toggle", "welcome001", "setup00002", "--json"],
    ["visibility", "show", "welcome001", "--db", "DB", "--output=OUT"],
]


def run(code: str, arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *arguments],
        env={**env, "WATCHED": json.dumps(NOT_IMPORTED)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def published_copy(db_path: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of the database in ``folder``, published into ``folder/output``."""
    folder.mkdir()
    db, out = folder / db_path.name, folder / "output"
    shutil.copy(db_path, db)
    assert run_cli(["publish"], environment(db, out)).returncode == 0
    return db, out


def outcome(db_path: Path, out: Path) -> tuple[list[tuple[str, ...]], dict[str, bytes]]:
    """The change log (times aside) and the bytes of every published file but the file list and
    the manifest (they carry the time of the publish)."""
    from wistia_sync.store.db import open_database

    db = open_database(db_path)
    try:
        log = db.execute(
            "SELECT actor, action, hashed_id, tag, before, after FROM change_log ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    files = {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*.json"))
        if not path.relative_to(out).as_posix().startswith(("files", "manifest"))
    }
    return [tuple(row) for row in log], files


@pytest.mark.parametrize("line", LINES, ids=" ".join)
def test_a_plain_editor_line_runs_as_the_typer_command_does_without_typer(
    small_catalog: tuple[Path, Path], tmp_path: Path, line: list[str]
) -> None:
    db_path, _ = small_catalog
    results = {}
    for how, code in (("quick", ENTRY_PROBE), ("typer", TYPER_COMMAND)):
        db, output = published_copy(db_path, tmp_path / how)
        arguments = [word.replace("DB", str(db)).replace("OUT", str(output)) for word in line]
        done = run(code, arguments, environment(db, output))
        stderr = done.stderr.splitlines()
        if how == "quick":
            assert json.loads(stderr.pop()) == []  # nothing it must not import
        stdout = done.stdout
        if "--json" in line and done.returncode == 0:
            data = json.loads(stdout)
            # The generation and the file list's shards carry the time of the publish.
            timed = ("generation", "new_shards", "cache")
            publish = {k: v for k, v in (data["publish"] or {}).items() if k not in timed}
            stdout = json.dumps({**data, "publish": publish})
        results[how] = (done.returncode, stdout, stderr, outcome(db, output))
    assert results["quick"] == results["typer"]


@pytest.mark.parametrize(
    "arguments",
    [
        ["tag", "add", "welcome001", "Launch", "--help"],
        ["tag", "add", "--", "welcome001", "Launch"],
        ["tag", "add", "welcome001", "Launch", "--db"],
        ["tag", "add", "welcome001", "Launch", "--db="],
        ["tag", "add", "welcome001", "Launch", "--db", "a.db", "--db", "b.db"],
        ["tag", "add", "welcome001", "Launch", "--quiet", "-q"],
        ["tag", "add", "-tLaunch", "welcome001"],
        ["tag", "add", "-t=Launch", "welcome001"],
        ["tag", "add", "--tag", "-x", "welcome001"],
        ["tag", "add", "welcome001", "Launch", "--bogus"],
        ["tag", "add", "welcome001", "Launch\x1b"],
        ["tag", "add", "welcome001", "\udcff"],
        ["tag", "rename", "Launch", "Launch Week"],
        ["tag", "delete", "Launch"],
        ["tag", "add"],
        ["visibility", "hide"],
        ["visibility", "hide", "welcome001", "--tag", "Launch"],
        ["visibility", "list"],
        ["--debug", "tag", "add", "welcome001", "Launch"],
    ],
)
def test_any_other_line_is_left_to_the_typer_command(arguments: list[str]) -> None:
    assert parse_editor_line(arguments) is None
    assert run_quick_edit(arguments) is None


def test_debug_and_a_database_inside_the_output_are_left_to_the_typer_command(
    small_catalog: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path, out = small_catalog
    line = ["tag", "add", "welcome001", "Launch"]
    assert parse_editor_line(line) is not None
    monkeypatch.setenv(config.DB_ENV, str(db_path))
    monkeypatch.setenv(config.OUTPUT_ENV, str(db_path.parent))  # the database inside it
    assert run_quick_edit(line) is None
    monkeypatch.setenv(config.OUTPUT_ENV, str(out))
    monkeypatch.setenv(config.DEBUG_ENV, "1")
    assert run_quick_edit(line) is None
