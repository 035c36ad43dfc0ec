"""A database, its journal or its lock files inside the output folder would be published: every
command taking both --db and --output refuses that pairing, however the paths are spelled,
before it changes anything."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main
from typer._click.core import Command, Context
from typer.core import TyperArgument, TyperGroup
from typer.testing import CliRunner

from wistia_sync.cli.app import app
from wistia_sync.errors import ConfigError
from wistia_sync.job import publish_and_deliver
from wistia_sync.store.db import open_database

runner = CliRunner()
REFUSAL = "inside the output folder"


def commands_with_db_and_output() -> dict[str, Command]:
    """Every command, however deep, that takes both --db and --output (resolving lazy ones)."""
    root = typer.main.get_command(app)
    found: dict[str, Command] = {}

    def walk(group: TyperGroup, context: Context, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            path = (*prefix, name)
            if isinstance(command, TyperGroup):
                walk(command, Context(command, parent=context, info_name=name), path)
                continue
            names = {param.name for param in command.params}
            if {"db", "output"} <= names:
                found[" ".join(path)] = command

    assert isinstance(root, TyperGroup)
    walk(root, Context(root, info_name="wistia-sync"), ())
    return found


def required_arguments(command: Command) -> list[str]:
    """Plausible values for the command's required positional arguments."""
    return ["2uj5nqq36y" for param in command.params if isinstance(param, TyperArgument)][:2]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real published demo site and its database, made once."""
    where = tmp_path_factory.mktemp("demo")
    result = runner.invoke(
        app, ["run", "--demo", "--db", str(where / "wistia.db"), "--output", str(where / "site")]
    )
    assert result.exit_code == 0, result.output
    return where


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: path → sha256 of its bytes (or its symlink target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        if path.is_symlink():
            found[relative] = f"-> {path.readlink()}"
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[relative] = "folder"
    return found


Spelling = Callable[[Path], tuple[str, str]]


def db_in_output(where: Path) -> tuple[str, str]:
    shutil.move(where / "wistia.db", where / "site" / "wistia.db")
    return str(where / "site" / "wistia.db"), str(where / "site")


def db_in_a_subfolder_of_output(where: Path) -> tuple[str, str]:
    (where / "site" / "private").mkdir()
    shutil.move(where / "wistia.db", where / "site" / "private" / "wistia.db")
    return str(where / "site" / "private" / "wistia.db"), str(where / "site")


def db_through_dot_dot(where: Path) -> tuple[str, str]:
    shutil.move(where / "wistia.db", where / "site" / "wistia.db")
    return str(where / "site" / "tags" / ".." / "wistia.db"), str(where / "site" / ".")


def output_is_a_symlink_to_the_db_folder(where: Path) -> tuple[str, str]:
    (where / "public").symlink_to(where)
    return str(where / "wistia.db"), str(where / "public")


def db_folder_is_a_symlink_into_output(where: Path) -> tuple[str, str]:
    shutil.move(where / "wistia.db", where / "site" / "wistia.db")
    (where / "data").symlink_to(where / "site")
    return str(where / "data" / "wistia.db"), str(where / "site")


def db_file_is_a_symlink_to_a_file_in_output(where: Path) -> tuple[str, str]:
    # SQLite keeps the journal beside the real file: inside the output folder.
    shutil.move(where / "wistia.db", where / "site" / "wistia.db")
    (where / "wistia.db").symlink_to(where / "site" / "wistia.db")
    return str(where / "wistia.db"), str(where / "site")


SPELLINGS = [
    db_in_output,
    db_in_a_subfolder_of_output,
    db_through_dot_dot,
    output_is_a_symlink_to_the_db_folder,
    db_folder_is_a_symlink_into_output,
    db_file_is_a_symlink_to_a_file_in_output,
]


def test_the_commands_that_take_both_paths_are_all_found() -> None:
    names = set(commands_with_db_and_output())
    assert {
        "publish", "run", "deliver", "verify", "nginx-config", "tag add", "tag remove",
        "tag rename", "tag delete", "visibility hide", "visibility show", "webhook serve",
    } <= names  # fmt: skip


@pytest.mark.parametrize("spelling", SPELLINGS, ids=lambda spelling: spelling.__name__)
def test_every_command_refuses_a_database_inside_the_output_folder_and_changes_nothing(
    spelling: Spelling, demo_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "work"
    shutil.copytree(demo_site, where, symlinks=True)
    db, output = spelling(where)
    monkeypatch.chdir(where)
    for env in ("WISTIA_SYNC_TARGET", "WISTIA_SYNC_PURGE", "WISTIA_SYNC_WEBHOOK_SECRET"):
        monkeypatch.delenv(env, raising=False)
    before = tree(where)
    for name, command in commands_with_db_and_output().items():
        arguments = [*name.split(), *required_arguments(command)]
        if name == "verify":
            arguments += ["--base-url", "http://127.0.0.1:9/"]
        for order in (["--db", db, "--output", output], ["--output", output, "--db", db]):
            result = runner.invoke(app, [*arguments, *order])
            assert result.exit_code == 2, (name, result.output)
            assert REFUSAL in result.output, (name, result.output)
            assert "Traceback" not in result.output
            assert tree(where) == before, name


def test_the_environment_variables_are_checked_too(
    demo_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "work"
    shutil.copytree(demo_site, where)
    db, output = db_in_output(where)
    monkeypatch.setenv("WISTIA_SYNC_DB", db)
    monkeypatch.setenv("WISTIA_SYNC_OUTPUT", output)
    before = tree(where)
    result = runner.invoke(app, ["visibility", "hide", "2uj5nqq36y"])
    assert result.exit_code == 2
    assert REFUSAL in result.output
    assert tree(where) == before


def test_a_database_beside_the_output_folder_is_fine(demo_site: Path, tmp_path: Path) -> None:
    """The README's layout: wistia.db next to output/ (nginx-config serves output/ alone)."""
    where = tmp_path / "work"
    shutil.copytree(demo_site, where)
    db, output = str(where / "wistia.db"), str(where / "site")
    result = runner.invoke(
        app, ["visibility", "hide", "2uj5nqq36y", "--db", db, "--output", output]
    )
    assert result.exit_code == 0, result.output


def test_the_library_refuses_to_publish_a_database_inside_its_output(
    demo_site: Path, tmp_path: Path
) -> None:
    where = tmp_path / "work"
    shutil.copytree(demo_site, where)
    db, output = db_in_output(where)
    database = open_database(Path(db))
    before = tree(where)
    with pytest.raises(ConfigError, match=REFUSAL):
        publish_and_deliver(database, Path(output), force=True)
    assert tree(where) == before


@pytest.mark.parametrize("plant", ["symlink", "hard link"])
def test_a_link_planted_as_the_publishers_clock_never_touches_its_target(
    tmp_path: Path, plant: str
) -> None:
    """The publisher stamps its clock file's mode and mtime on every publish: a link planted in
    its place (by anyone who can write to the output folder) must not carry those to the
    database beside it."""
    db, out = tmp_path / "wistia.db", tmp_path / "output"
    where = ["--db", str(db), "--output", str(out)]
    assert runner.invoke(app, ["run", "--demo", "--quiet", *where]).exit_code == 0
    db.chmod(0o600)
    clock = out / ".wistia-sync-tmp" / "mtime-clock"
    clock.unlink()
    if plant == "symlink":
        clock.symlink_to(Path("..") / ".." / db.name)
    else:
        clock.hardlink_to(db)
    hidden = runner.invoke(app, ["visibility", "hide", "2uj5nqq36y", *where])

    assert hidden.exit_code == 0, hidden.output
    assert db.stat().st_mode & 0o777 == 0o600
    assert not clock.is_symlink() and clock.stat().st_nlink == 1
