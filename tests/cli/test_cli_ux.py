"""Issue 16, section 6: what the CLI tells a user when a request or an argument is wrong.

The commands run in subprocesses against the fake Wistia on 127.0.0.1 (see
``tests/cli/test_untrusted_cli.py`` for the helpers).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.test_untrusted_cli import run
from tests.support.fakewistia import FakeWistiaServer, FaultPlan
from tests.support.fakewistia.server import unauthorized


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


# -- videos list at a terminal --------------------------------------------------------------------


def at_terminal(tmp_path: Path, *args: str, columns: int = 80) -> tuple[int, str]:
    """``wistia-sync ARGS`` with stdout and stderr on a pseudo-terminal ``columns`` wide, as an
    editor runs it; what the terminal received, escape sequences removed."""
    import fcntl
    import os
    import pty
    import re
    import struct
    import subprocess
    import termios

    from tests.cli.test_untrusted_cli import CLEAN_ENV
    from tests.reliability.harness import cli_command

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in CLEAN_ENV.items() if k not in ("COLUMNS", "LINES")}
    env |= {"WISTIA_SYNC_DB": str(tmp_path / "wistia.db"), "TERM": "xterm-256color"}
    with subprocess.Popen(
        [*cli_command(), *args], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        env=env, cwd=tmp_path,
    ) as process:  # fmt: skip
        os.close(terminal)
        received = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            received += chunk
        code = process.wait(timeout=60)
    os.close(controller)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", received.decode("utf-8", "replace"))
    return code, text.replace("\r\n", "\n")


def long_catalog(db_path: Path, count: int) -> list[str]:
    """``count`` videos with long names, folders and tags, newest first by hashed id."""
    from tests.support.factories import add_folder, add_video, tag_video
    from wistia_sync.store.db import open_database

    db = open_database(db_path, create=True)
    add_folder(db, "fold1", "Customer onboarding and training material, second edition")
    ids = []
    for number in range(count):
        hashed_id = f"{number:04d}abcdefgh"  # 12 characters, as long as the longest ids
        created = f"2026-01-01T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z"
        name = f"A rather long video name number {number} about product setup"
        add_video(db, hashed_id, name=name, folder_hashed_id="fold1", created=created)
        for tag in ("onboarding-for-new-customers", "product-setup"):
            tag_video(db, hashed_id, tag)
        ids.append(hashed_id)
    db.conn.close()
    return ids[::-1]


def test_videos_list_at_80_columns_shows_every_id_whole(tmp_path: Path) -> None:
    ids = long_catalog(tmp_path / "wistia.db", 3)
    code, screen = at_terminal(tmp_path, "videos", "list")
    assert code == 0, screen
    for hashed_id in ids:
        assert re.search(rf"(?<![0-9a-z]){hashed_id}(?![0-9a-z])", screen), screen
    lines = screen.splitlines()
    assert all(len(line) <= 80 for line in lines), screen
    rows = [line for line in lines if any(hashed_id in line for hashed_id in ids)]
    assert len(rows) == 3  # one line a video: the long names end in "…" instead of wrapping
    assert "…" in rows[0]


def test_videos_list_at_a_terminal_shows_the_newest_50_and_says_how_to_see_more(
    tmp_path: Path,
) -> None:
    ids = long_catalog(tmp_path / "wistia.db", 120)

    def listed(screen: str) -> list[str]:
        return [i for line in screen.splitlines() for i in ids if f" {i} " in line]

    code, screen = at_terminal(tmp_path, "videos", "list")
    assert code == 0
    assert listed(screen) == ids[:50]
    assert (
        "showing the newest 50 of 120 videos: --limit N for more, --all for every one, "
        "--search/--tag/--folder to narrow"
    ) in " ".join(screen.split())

    code, screen = at_terminal(tmp_path, "videos", "list", "--all")
    assert (code, listed(screen)) == (0, ids)
    assert "showing" not in screen
    code, screen = at_terminal(tmp_path, "videos", "list", "--limit", "60")
    assert (code, listed(screen)) == (0, ids[:60])
    assert "showing" not in screen

    piped = run(tmp_path, "videos", "list")  # scripts get every match, as before
    assert [line.split("\t")[0] for line in piped.stdout.splitlines()] == ids
    assert piped.stderr == ""
    assert len(json.loads(run(tmp_path, "videos", "list", "--json").stdout)) == 120
    both = run(tmp_path, "videos", "list", "--all", "--limit", "3")
    assert (both.returncode, both.one_clear_line()) == (
        2, "error: --all lists every video; it cannot be given with --limit"
    )  # fmt: skip
