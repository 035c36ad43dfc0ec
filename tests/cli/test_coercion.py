"""The pydantic-free coercion of plain parameters (``wistia_sync.cli.coercion``) agrees with
Typer's own, value by value and command line by command line, errors included.

Typer's own path is what Typer 0.29 does without our hook: ``build_runtime_param`` (a pydantic
``TypeAdapter`` per parameter), or its original ``get_runtime_param`` for a whole command line.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click.core import Command, Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import TyperGroup, _TyperParameter
from typer.testing import CliRunner

from tests.support.factories import add_video
from wistia_sync import config
from wistia_sync.cli import coercion
from wistia_sync.cli.app import app
from wistia_sync.cli.lazy import load_command
from wistia_sync.cli.registry import COMMANDS
from wistia_sync.store.db import open_database

runner = CliRunner()


def every_parameter() -> list[tuple[str, Command, _TyperParameter]]:
    """(command path, command, parameter) for every parameter of every command."""
    found: list[tuple[str, Command, _TyperParameter]] = []

    def walk(command: Command, path: str) -> None:
        if isinstance(command, TyperGroup):
            for name, subcommand in command.commands.items():
                walk(subcommand, f"{path} {name}")
            return
        for param in command.params:
            assert isinstance(param, _TyperParameter), (path, param.name)
            found.append((path, command, param))

    for name, lazy in COMMANDS.items():
        walk(load_command(name, lazy.target), name)
    return found


PARAMETERS = every_parameter()


def outcome(runtime: Any, value: Any, param: _TyperParameter, command: Command) -> tuple[Any, ...]:
    """What coercing ``value`` gives: the value with its type, or the error message."""
    ctx = Context(command, info_name=command.name)
    try:
        result = runtime.coerce(value, param=param, ctx=ctx)
    except BadParameter as error:
        return ("error", error.format_message())
    return ("ok", type(result), repr(result))


RUNTIMES: dict[int, tuple[Any, Any]] = {}  # id(param) -> (ours, Typer's): built once each


def assert_same(value: Any, path: str, command: Command, param: _TyperParameter) -> None:
    if id(param) not in RUNTIMES:
        descriptor = param.type_descriptor
        fast = coercion.fast_runtime_param(descriptor)
        assert fast is not None, (path, param.name)
        RUNTIMES[id(param)] = (fast, build_runtime_param(descriptor))
    fast, typers_own = RUNTIMES[id(param)]
    ours = outcome(fast, value, param, command)
    typers = outcome(typers_own, value, param, command)
    assert ours == typers, (path, param.name, value)


def parameters_of(annotation: Any) -> list[tuple[str, Command, _TyperParameter]]:
    return [entry for entry in PARAMETERS if entry[2].type_descriptor.annotation == annotation]


NUMBERS = [
    "0", "1", "7", "007", "20", "64", "65", "600", "1000", "1001", "65535", "65536",
    "1000000000", "1000000001", "99999999999999999999", "9" * 18, "9" * 19, "9" * 5000,
    "+5", "-5", "-0", " 12 ", "1_000", "12.0", "12.5", ".5", "5.", "0.1", "0.05", "3600",
    "3600.0000001", "1e3", "1e400", "-1e400", "inf", "-inf", "nan", "0x10", "١٢", "²",
    "", " ", "abc", "1 2", "\x00", "1\udcff",
    0, 1, 8, 20, 600, 0.0, 0.5, 10.0, 60.0, 3600.0, 1e400, True, False,
]  # fmt: skip
TEXTS = ["", "a", "wistia.db", "é", "a\udcff", "\x1b[31mred", "x" * 10_000, "-", "--db"]


@pytest.mark.parametrize("value", NUMBERS, ids=repr)
def test_numbers_coerce_as_typer_does_in_every_ranged_parameter(value: Any) -> None:
    numeric = parameters_of(int) + parameters_of(float)
    assert numeric
    for path, command, param in numeric:
        assert_same(value, path, command, param)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=12),
        st.text(alphabet="0123456789._+- e", max_size=12),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    )
)
def test_any_text_coerces_as_typer_does_in_numeric_and_text_parameters(value: str) -> None:
    for annotation in (int, float, str):
        for path, command, param in parameters_of(annotation):
            assert_same(value, path, command, param)


@pytest.mark.parametrize("value", [*TEXTS, None, 5, b"bytes"], ids=repr)
def test_text_coerces_as_typer_does(value: Any) -> None:
    for path, command, param in parameters_of(str):
        assert_same(value, path, command, param)


def test_paths_coerce_as_typer_does_including_its_checks(tmp_path: Path) -> None:
    a_file, a_folder = tmp_path / "token.txt", tmp_path / "folder"
    a_file.write_text("x", encoding="utf-8")
    a_folder.mkdir()
    values: list[Any] = [
        *TEXTS,
        str(a_file),
        f"{a_file}/",
        f"{tmp_path}//token.txt",
        str(a_folder),
        f"{a_folder}/",
        str(tmp_path / "missing" / "x.db"),
        ".",
        "~",
        a_file,
        a_folder,
        None,
        5,
    ]
    paths = parameters_of(Path)
    # Both kinds: files or folders (--db, --output) and files only (--token-file).
    assert {param.type_descriptor.parameter_info.dir_okay for _, _, param in paths} == {
        True,
        False,
    }
    for value in values:
        for path, command, param in paths:
            assert_same(value, path, command, param)


@pytest.mark.parametrize(
    "value",
    [(), ("welcome001",), ("a", "b", "-"), ["x"], ("a\udcff",), ("ok", 5), "one", None],
    ids=repr,
)
def test_lists_of_text_coerce_as_typer_does(value: Any) -> None:
    lists = parameters_of(list[str])
    assert {param.nargs for _, _, param in lists} == {1, -1}  # options and arguments
    for path, command, param in lists:
        assert_same(value, path, command, param)


@pytest.mark.parametrize("value", [True, False, None, "true", "1", "no", ""], ids=repr)
def test_flags_coerce_as_typer_does(value: Any) -> None:
    for path, command, param in parameters_of(bool):
        assert_same(value, path, command, param)


def test_every_parameter_of_every_command_takes_the_fast_path() -> None:
    """A parameter Typer would coerce through pydantic brings pydantic back into start-up."""
    slow = [
        (path, param.name)
        for path, _, param in PARAMETERS
        if coercion.fast_runtime_param(param.type_descriptor) is None
    ]
    assert slow == []


def test_the_typer_internals_the_hook_relies_on_are_there() -> None:
    """Fails loudly when a Typer release moves what ``wistia_sync.cli.coercion`` hooks into."""
    major, minor = (int(part) for part in importlib.metadata.version("typer").split(".")[:2])
    assert (major, minor) == (0, 29), "re-check wistia_sync/cli/coercion.py against this Typer"
    assert coercion.SLOT_PRESENT
    assert coercion.install() is True
    assert _TyperParameter.get_runtime_param is coercion.fast_get_runtime_param
    assert coercion.TYPER_GET_RUNTIME_PARAM is not coercion.fast_get_runtime_param
    # Typer consults the slot: a parameter whose slot is filled is coerced by what it holds.
    _, command, param = next(entry for entry in PARAMETERS if entry[2].name == "limit")
    param.process_value(Context(command), "5")
    assert isinstance(getattr(param, coercion.TYPER_SLOT), coercion.FastRuntimeParam)


# -- whole command lines, both ways --------------------------------------------------------------


@contextmanager
def typer_own_coercion() -> Iterator[None]:
    original = coercion.TYPER_GET_RUNTIME_PARAM
    assert original is not None
    _TyperParameter.get_runtime_param = original  # type: ignore[method-assign]
    try:
        yield
    finally:
        coercion.install()


def invoke_both_ways(
    args: list[str], env: dict[str, str], input: str | None = None
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    def once() -> tuple[int, str, str]:
        result = runner.invoke(app, args, env=env, input=input)
        return result.exit_code, result.stdout, result.stderr

    ours = once()
    with typer_own_coercion():
        typers = once()
    return ours, typers


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    db_path = tmp_path / "wistia.db"
    open_database(db_path, create=True).close()
    return {
        config.DB_ENV: str(db_path),
        config.OUTPUT_ENV: str(tmp_path / "out"),
        config.ACTOR_ENV: "alice",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["site", "--page-size", "abc"],
        ["site", "--page-size", "0"],
        ["site", "--page-size", "1001"],
        ["site", "--page-size", " 50"],
        ["log", "--limit", "99999999999999999999"],
        ["log", "--limit", "1_0", "--json"],
        ["log", "--limit", "007", "--json"],
        ["log", "--limit"],
        ["log", "--video", "a\udcffb", "--json"],
        ["verify", "--base-url", "http://127.0.0.1:9/", "--timeout", "1e400"],
        ["verify", "--base-url", "http://127.0.0.1:9/", "--timeout", "nan"],
        ["webhook", "serve", "--port", "0"],
        ["webhook", "serve", "--max-body", "lots"],
        ["tag", "rename", "only-one"],
        ["tag", "add"],
        ["tag", "list", "--json"],
        ["visibility", "hide"],
        ["videos", "list", "--limit", "+3", "--json"],
        ["sync", "--token-file", "."],
        ["publish", "--purge-budget", "-1"],
        ["status", "--no-such-option"],
    ],
    ids=" ".join,
)
def test_command_lines_give_what_typer_gives(args: list[str], env: dict[str, str]) -> None:
    ours, typers = invoke_both_ways(args, env)
    assert ours == typers


def test_env_values_coerce_as_typer_does(env: dict[str, str]) -> None:
    for value in ("abc", "0", "10"):
        ours, typers = invoke_both_ways(
            ["sync", "--demo", "--quiet"], {**env, "WISTIA_SYNC_RATE_LIMIT": value}
        )
        assert ours == typers


def test_dash_reads_ids_from_standard_input_both_ways(env: dict[str, str]) -> None:
    ours, typers = invoke_both_ways(
        ["visibility", "hide", "-", "--no-publish"], env, input="\ufeffnosuchvid1\n"
    )
    assert ours == typers
    assert ours[0] == 2
    assert "nosuchvid1" in ours[2]


def invoke_all(lines: list[list[str]], env: dict[str, str]) -> list[tuple[int, str, str]]:
    done = []
    for args in lines:
        result = runner.invoke(app, args, env=env, input="welcome001\nsetup00002\n")
        # A file-list shard is named by its content, which holds the manifest's sha256, and the
        # manifest its publish time: two runs a second apart name their shards differently.
        stdout = SHARD_NAME.sub("files/<shard>.json", result.stdout)
        done.append((result.exit_code, stdout, result.stderr))
    return done


SHARD_NAME = re.compile(r"files/[0-9a-f]{32}\.json")


def test_editor_commands_change_and_publish_the_same_both_ways(tmp_path: Path) -> None:
    """Same output, same database rows, same files, whichever coercion parsed the line."""
    results = []
    for way in ("ours", "typers"):
        db_path, out = tmp_path / way / "wistia.db", tmp_path / way / "out"
        db_path.parent.mkdir()
        db = open_database(db_path, create=True)
        add_video(db, "welcome001")
        add_video(db, "setup00002")
        db.close()
        env = {config.DB_ENV: str(db_path), config.OUTPUT_ENV: str(out), config.ACTOR_ENV: "al"}
        lines = [
            ["tag", "add", "welcome001", "Launch", "--db", str(db_path)],
            ["tag", "add", "--tag", "Batch", "-", "--output", str(out)],
            ["visibility", "hide", "setup00002", "--json"],
            ["log", "--limit", "2", "--json"],
        ]

        if way == "ours":
            outputs = invoke_all(lines, env)
        else:
            with typer_own_coercion():
                outputs = invoke_all(lines, env)
        db = open_database(db_path, create=True)
        rows = db.execute(
            "SELECT hashed_id, visibility, (SELECT group_concat(t.name) FROM video_tags vt "
            "JOIN tags t ON t.id = vt.tag_id WHERE vt.hashed_id = v.hashed_id) FROM videos v "
            "ORDER BY hashed_id"
        ).fetchall()
        db.close()
        files = sorted(
            SHARD_NAME.sub("files/<shard>.json", p.relative_to(out).as_posix())
            for p in out.rglob("*.json")
        )
        results.append((outputs, rows, files))
    ours, typers = results
    assert all(code == 0 for code, _, _ in ours[0]), ours[0]
    assert ours[1:] == typers[1:]
    # The log's timestamps differ between the two runs; everything else must not.
    assert [o[:1] + o[2:] for o in ours[0]] == [t[:1] + t[2:] for t in typers[0]]
    assert [o[1] for o in ours[0][:3]] == [t[1] for t in typers[0][:3]]
