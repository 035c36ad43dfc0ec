"""Issue 16, section 6: what the CLI tells a user when a request or an argument is wrong.

The commands run in subprocesses against the fake Wistia on 127.0.0.1 (see
``tests/test_untrusted_cli.py`` for the helpers).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakewistia import FakeWistiaServer, FaultPlan
from tests.fakewistia.server import unauthorized
from tests.test_untrusted_cli import run


def test_a_401_for_a_missing_permission_names_the_permission_not_the_token(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    fake_server.faults = FaultPlan().starting_at(
        1, unauthorized("unauthorized_scope", "Insufficient permissions.")
    )
    result = run(tmp_path, "sync", server=fake_server)
    assert result.returncode == 1
    line = result.one_clear_line()
    assert "lacks the permission 'Read all folder and media data'" in line, line
    assert "Insufficient permissions." in line
    assert "rejected the API token" not in line and "WISTIA_API_TOKEN" not in line


def test_sync_media_naming_a_media_wistia_does_not_have_fails_naming_it(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    assert run(tmp_path, "sync", "--quiet", server=fake_server).returncode == 0
    real = fake_server.api.media()[0]["hashed_id"]

    alone = run(tmp_path, "sync", "--media", "nope", server=fake_server)
    assert alone.returncode == 2
    assert alone.one_clear_line() == "error: Wistia has no media nope"

    mixed = run(tmp_path, "sync", "--media", f"{real},nope", "--json", server=fake_server)
    assert mixed.returncode == 1  # not "nothing was changed": the real one was refreshed
    assert mixed.one_clear_line() == "error: Wistia has no media nope (1 other media refreshed)"
    summary = json.loads(mixed.stdout)
    assert summary["not_found"] == ["nope"] and summary["deleted"] == 0

    assert run(tmp_path, "sync", "--media", real, "--quiet", server=fake_server).returncode == 0


def test_usage_errors_are_one_line_naming_the_help_to_read(tmp_path: Path) -> None:
    cases = [
        (("sync", "--bogus"), "No such option: --bogus (see 'wistia-sync sync --help')"),
        (("--bogus",), "No such option: --bogus (see 'wistia-sync --help')"),
        (("syncx",), "No such command 'syncx'. Did you mean 'sync'? (see 'wistia-sync --help')"),
        (("tag", "add"), "Missing argument 'VIDEO|TAG' (see 'wistia-sync tag add --help')"),
        (
            ("videos", "list", "--limit", "0"),
            "Invalid value for '--limit' / '-n': Input should be greater than or equal to 1 "
            "(see 'wistia-sync videos list --help')",
        ),
    ]
    for args, message in cases:
        result = run(tmp_path, *args)
        assert (result.returncode, result.stdout) == (2, ""), args
        assert result.stderr.splitlines() == [f"error: {message}"], args


def test_a_group_without_its_command_still_shows_its_help(tmp_path: Path) -> None:
    result = run(tmp_path, "videos")
    assert result.returncode == 2
    assert "Usage: wistia-sync videos [OPTIONS] COMMAND" in result.stdout + result.stderr
    assert "error:" not in result.stderr
