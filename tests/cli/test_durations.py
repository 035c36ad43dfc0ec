"""One duration syntax everywhere: ``600s``, ``10m``, ``24h``, ``7d``; a bare number is seconds.

``site --grace 600`` stored 25 days (a bare number meant hours there, and in ``--takedown-grace``
and ``--full-every``) while every other time was in seconds.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli import all_commands
from wistia_sync.cli.app import app
from wistia_sync.publish.settings import read_site_settings
from wistia_sync.store.db import open_database, write_transaction
from wistia_sync.store.state import GRACE_KEY, set_state
from wistia_sync.store.timestamps import parse_timestamp

# Every option that is a length of time, on one command that takes it.
DURATION_OPTIONS = {
    "--full-every": ["status"],
    "--grace": ["site"],
    "--takedown-grace": ["site"],
    "--verify-wait": ["run", "--demo"],
    "--debounce": ["webhook", "serve"],
    "--max-delay": ["webhook", "serve"],
    "--timeout": ["verify", "--base-url", "http://127.0.0.1:9/"],
    "--wait": ["verify", "--base-url", "http://127.0.0.1:9/"],
}


def every_option() -> list[tuple[str, Any]]:
    import typer.main
    from typer._click.core import Context

    found = []
    for path in all_commands():
        command: Any = typer.main.get_command(app)
        for name in path:
            command = command.get_command(Context(command), name)
        for param in command.params:
            found += [(" ".join(path), param) for opt in param.opts if opt.startswith("--")][:1]
    return found


def test_every_duration_option_takes_a_duration_and_says_so() -> None:
    """Found by name or by a help text speaking of time, on every command."""
    time_words = re.compile(r"\b(seconds?|how long|waits?|delay|old|grace)\b", re.IGNORECASE)
    for command, param in every_option():
        if getattr(param, "is_flag", False):
            continue
        speaks_of_time = bool(time_words.search(param.help or ""))
        if param.opts[0] in DURATION_OPTIONS or speaks_of_time:
            assert param.metavar == "DURATION", f"{command} {param.opts[0]}"
            help_text = CliRunner().invoke(app, [*command.split(), "--help"]).stdout
            assert f"{param.opts[0]} DURATION" in help_text


def db_with_demo(tmp_path: Path) -> Path:
    db = tmp_path / "wistia.db"
    result = CliRunner().invoke(app, ["sync", "--demo", "--quiet", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("600", 600),
        ("600s", 600),
        ("10m", 600),
        ("1.5h", 5400),
        ("24h", 86400),
        ("7d", 604800),
        (" 10 M ", 600),
        ("0", 0),
    ],
)
@pytest.mark.parametrize("option", ["--grace", "--takedown-grace"])
def test_site_graces_read_one_syntax_and_a_bare_number_is_seconds(
    tmp_path: Path, option: str, text: str, seconds: int
) -> None:
    db = db_with_demo(tmp_path)
    result = CliRunner().invoke(app, ["site", option, text, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[option.removeprefix("--").replace("-", "_") + "_seconds"] == (
        seconds
    )


def test_status_full_every_bare_number_is_seconds(tmp_path: Path) -> None:
    db = db_with_demo(tmp_path)

    def next_full(every: str) -> Any:
        result = CliRunner().invoke(
            app, ["status", "--json", "--full-every", every, "--db", str(db)]
        )
        assert result.exit_code == 0, result.output
        return parse_timestamp(json.loads(result.stdout)["next_full_crawl"])

    assert (
        next_full("600") == next_full("10m") == next_full("24h") - timedelta(hours=24, seconds=-600)
    )


@pytest.mark.parametrize("value", ["ten", "-5s", "10 minutes", "1e400", "nan", "5w", "", "1h30m"])
@pytest.mark.parametrize("option", sorted(DURATION_OPTIONS))
def test_a_bad_duration_is_one_line_exit_2_naming_the_option(
    tmp_path: Path, option: str, value: str
) -> None:
    db = db_with_demo(tmp_path)
    before = read_site_settings(open_database(db))
    command = DURATION_OPTIONS[option]
    result = CliRunner().invoke(
        app,
        [*command, option, value, "--db", str(db)],
        env={"WISTIA_SYNC_WEBHOOK_SECRET": "s3cret", "WISTIA_SYNC_OUTPUT": str(tmp_path / "o")},
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "600s, 10m, 24h" in lines[0], lines
    assert read_site_settings(open_database(db)) == before
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("option", "value", "limit"),
    [("--debounce", "2m", "1m"), ("--max-delay", "1h", "10m"), ("--timeout", "0.01s", "0.1s")],
)
def test_a_duration_out_of_range_says_the_range(option: str, value: str, limit: str) -> None:
    command = DURATION_OPTIONS[option]
    result = CliRunner().invoke(
        app, [*command, option, value], env={"WISTIA_SYNC_WEBHOOK_SECRET": "s3cret"}
    )
    assert result.exit_code == 2, result.output
    assert "out of range" in result.stderr and limit in result.stderr


def test_environment_durations_take_the_same_syntax(tmp_path: Path) -> None:
    db = db_with_demo(tmp_path)
    for value in ("30", "30s", "0.5m"):
        result = CliRunner().invoke(
            app, ["status", "--db", str(db)], env={"WISTIA_SYNC_BUSY_TIMEOUT": value}
        )
        assert result.exit_code == 0, (value, result.output)
    for value in ("soon", "0", "-1"):
        result = CliRunner().invoke(
            app, ["status", "--db", str(db)], env={"WISTIA_SYNC_BUSY_TIMEOUT": value}
        )
        assert result.exit_code == 2, (value, result.output)
        assert "WISTIA_SYNC_BUSY_TIMEOUT" in result.stderr


def test_a_grace_stored_by_an_older_version_keeps_its_meaning(tmp_path: Path) -> None:
    """Settings were always stored in seconds: a ``--grace 600`` an older version read as 600
    hours is still 25 days (what it has meant since), and ``site`` shows it as such."""
    db = open_database(db_with_demo(tmp_path))
    with write_transaction(db):
        set_state(db, GRACE_KEY, str(600 * 3600))
    assert read_site_settings(db)["grace_seconds"] == 600 * 3600
    shown = CliRunner().invoke(app, ["site", "--db", db_path(db)])
    assert "grace seconds: 2160000" in shown.stdout


def db_path(db: Any) -> str:
    return str(db.execute("PRAGMA database_list").fetchone()[2])
