"""Issue 8, sections 1 and 4: configuration and local-environment mistakes are one clear line
and the right exit code, changing nothing; untrusted text reaches no terminal raw.

The commands run in subprocesses as cron and editors run them, against the fake Wistia on
127.0.0.1 (the demo account, token ``test-token-123``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reliability.harness import cli_command
from tests.support.fakewistia import (
    LIST,
    STATS,
    FakeWistiaServer,
    FaultPlan,
    answer,
    rewrite_body,
    rewrite_records,
    server_error,
)
from tests.support.fakewistia.plugin import FAKE_TOKEN
from wistia_sync.cli.app import app

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA_")}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    def one_clear_line(self) -> str:
        """The one error line a failure must print (and no traceback)."""
        assert "Traceback" not in self.stdout + self.stderr, self.stderr
        assert len(self.errors) == 1, (self.stdout, self.stderr)
        assert "unexpected" not in self.errors[0], self.errors[0]
        return self.errors[0]


def _env(
    tmp_path: Path, server: FakeWistiaServer | None, env: Mapping[str, str] | None
) -> dict[str, str]:
    full_env = {
        "WISTIA_SYNC_DB": str(tmp_path / "wistia.db"),
        "WISTIA_SYNC_OUTPUT": str(tmp_path / "output"),
        "WISTIA_SYNC_HTTP_TIMEOUT": "2",
        "WISTIA_SYNC_HTTP_BACKOFF": "0.01",
        "COLUMNS": "200",
    }
    if server is not None:
        full_env |= {"WISTIA_API_URL": server.url, "WISTIA_API_TOKEN": FAKE_TOKEN}
    return full_env | dict(env or {})


def run(
    tmp_path: Path,
    *args: str | bytes,
    server: FakeWistiaServer | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
) -> Run:
    """``wistia-sync ARGS`` in a subprocess, as cron runs it."""
    command: Sequence[str | bytes] = [*cli_command(), *args]
    done = subprocess.run(
        command,
        env={**CLEAN_ENV, **_env(tmp_path, server, env)},
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        timeout=120,
    )
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def invoke(
    tmp_path: Path,
    *args: str,
    server: FakeWistiaServer | None = None,
    env: Mapping[str, str] | None = None,
) -> Run:
    """The same in-process (faster), for what needs no real process (argv bytes, stdin)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("WISTIA_")}
    result = CliRunner().invoke(app, list(args), env={**unset, **_env(tmp_path, server, env)})
    return Run(result.exit_code, result.stdout, result.stderr)


# -- the token ------------------------------------------------------------------------------------


def test_a_token_file_readable_by_others_is_warned_about(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    token = tmp_path / "token"
    token.write_text(FAKE_TOKEN + "\n")
    token.chmod(0o644)
    shared = run(tmp_path, "sync", "--token-file", str(token), "--quiet", server=fake_server)
    assert shared.returncode == 0, shared.stderr
    assert shared.stderr.splitlines() == [
        f"warning: the token file {token} is accessible by others (mode 0644); "
        f"run chmod 600 {token}"
    ]
    token.chmod(0o600)
    private = run(tmp_path, "sync", "--token-file", str(token), "--quiet", server=fake_server)
    assert private.returncode == 0 and private.stderr == ""


@pytest.mark.parametrize(
    "content", [b"\xef\xbb\xbf" + FAKE_TOKEN.encode(), "t\u00f6ken-\u201c1\u201d".encode()]
)
def test_a_token_with_a_bom_or_non_ascii_bytes_is_a_configuration_error(
    tmp_path: Path, fake_server: FakeWistiaServer, content: bytes
) -> None:
    token = tmp_path / "token"
    token.write_bytes(content)
    token.chmod(0o600)
    from_file = run(tmp_path, "run", "--token-file", str(token), server=fake_server)
    from_env = run(tmp_path, "sync", server=fake_server, env={"WISTIA_API_TOKEN": content.decode()})
    for result in (from_file, from_env):
        assert result.returncode == 2
        assert "API token" in result.one_clear_line() or "token file" in result.one_clear_line()
    assert fake_server.log == []


# -- configuration and arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--api-url", "http://127.0.0.1:9/modern\r\nX-Evil: 1"),
        ("--api-url", "api.wistia.com/modern"),
        ("--api-url", "ftp://api.wistia.com/modern"),
        ("--api-url", "https://api.wistia.com:99999/modern"),
        ("--api-version", "2026-05\r\nX-Evil: 1"),
        ("--api-version", "2026-05 "),
        ("--full-every", "99999999999999d"),
        ("--full-every", "1e400"),
        ("--stats-budget", "99999999999999999999"),
        ("--rate-limit", "99999999999999999999"),
    ],
    ids=lambda a: " ".join(a).encode("unicode_escape").decode(),
)
def test_a_configuration_mistake_is_exit_2_and_never_wistia_is_unavailable(
    tmp_path: Path, fake_server: FakeWistiaServer, args: tuple[str, str]
) -> None:
    result = invoke(tmp_path, "run", *args, server=fake_server)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "unavailable" not in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_server.log == []


@pytest.mark.parametrize(
    "args",
    [
        ("videos", "list", "--limit", "99999999999999999999"),
        ("log", "--limit", "99999999999999999999"),
        ("status", "--full-every", "99999999999999d"),
    ],
)
def test_out_of_range_numbers_are_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = invoke(tmp_path, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


def test_a_non_utf8_argument_is_exit_2_and_changes_nothing(tmp_path: Path) -> None:
    assert run(tmp_path, "sync", "--demo", "--quiet").returncode == 0
    before = (tmp_path / "wistia.db").read_bytes()
    result = run(tmp_path, "tag", "add", "--tag", b"caf\xe9", "2uj5nqq36y", "--no-publish")
    assert result.returncode == 2
    assert "not valid UTF-8" in result.one_clear_line()
    assert (tmp_path / "wistia.db").read_bytes() == before


def test_ids_on_standard_input_may_start_with_a_bom(tmp_path: Path) -> None:
    assert run(tmp_path, "sync", "--demo", "--quiet").returncode == 0
    listed = run(tmp_path, "videos", "list", "--limit", "2").stdout.splitlines()
    ids = [line.split("\t")[0] for line in listed]
    piped = ("\ufeff" + "\n".join(ids) + "\n").encode()
    result = run(tmp_path, "tag", "add", "--tag", "From Windows", "-", "--no-publish", stdin=piped)
    assert result.returncode == 0, result.stderr
    tagged = run(tmp_path, "videos", "list", "--tag", "From Windows").stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in tagged) == sorted(ids)


# -- the local environment ----------------------------------------------------------------------


def test_a_database_in_a_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "wistia.db"
    for args in (("sync", "--demo"), ("status",), ("videos", "list")):
        result = invoke(tmp_path, *args, "--db", str(missing))
        assert result.returncode == 2
        line = result.one_clear_line()
        assert str(missing.parent) in line and "does not exist" in line
    assert not (tmp_path / "no").exists()


def test_a_database_kept_busy_is_one_clear_line(tmp_path: Path) -> None:
    assert run(tmp_path, "sync", "--demo", "--quiet").returncode == 0
    holder = sqlite3.connect(tmp_path / "wistia.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run(
            tmp_path,
            "visibility",
            "hide",
            "2uj5nqq36y",
            "--no-publish",
            env={"WISTIA_SYNC_BUSY_TIMEOUT": "0.3"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75
    line = result.one_clear_line()
    assert "wistia.db is busy" in line and "try again" in line


def test_an_sqlite_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "crm.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO customers (name) VALUES ('Ada')")
    connection.commit()
    connection.close()
    before = other.read_bytes()
    for args in (("sync", "--demo"), ("status",), ("tag", "list"), ("publish",)):
        result = invoke(tmp_path, *args, "--db", str(other))
        assert result.returncode != 0
        assert "another application" in result.one_clear_line()
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()


# -- what reaches a terminal ---------------------------------------------------------------------

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"


def test_text_from_wistia_reaches_no_output_with_raw_control_characters(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    fake_server.faults = FaultPlan().starting_at(
        1,
        rewrite_records(
            lambda item: {
                **item,
                "name": f"{item['name']}{ESCAPES}",
                "tags": [{"name": "tag\x1b[31m"}],
            }
        ),
    )
    assert run(tmp_path, "sync", "--quiet", server=fake_server).returncode == 0
    video = run(tmp_path, "videos", "list", "--limit", "1").stdout.split("\t")[0]
    fake_server.faults = FaultPlan().starting_at(1, server_error(500))
    outputs = [
        run(tmp_path, "videos", "list"),
        run(tmp_path, "videos", "show", video),
        run(tmp_path, "tag", "list"),
        run(tmp_path, "visibility", "list"),
        run(tmp_path, "status"),
        run(tmp_path, "sync", server=fake_server),  # fails: its error line is checked too
        run(tmp_path, "videos", "show", f"x{ESCAPES}"),
    ]
    for result in outputs:
        text = result.stdout + result.stderr
        assert not any(char in text for char in "\x1b\x07\x9b\u202e"), ascii(text[:300])
    assert "\\x1b]0;pwned\\x07" in outputs[1].stdout  # shown escaped, not dropped


# -- quiet, status ------------------------------------------------------------------------------


def test_quiet_keeps_per_record_warnings_out_of_cron_mail(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    fake_server.faults = FaultPlan().starting_at(
        1, rewrite_records(lambda item: {**item, "thumbnail": {"url": "javascript:x"}})
    )
    loud = run(tmp_path, "run", "--full", server=fake_server)
    assert loud.returncode == 0
    warnings = [line for line in loud.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "thumbnail not an http(s) URL" in warnings[0]
    quiet = run(tmp_path, "run", "--full", "--quiet", server=fake_server)
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""
    status = run(tmp_path, "status")
    assert "thumbnail not an http(s) URL" in status.stdout


def test_status_shows_rejected_media_and_honours_full_every(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    victim = fake_server.api.media()[0]["hashed_id"]
    fake_server.faults = FaultPlan().starting_at(
        1,
        rewrite_records(
            lambda item: (
                {**item, "created": "9999-12-31T23:00:00-05:00"}
                if item["hashed_id"] == victim
                else item
            )
        ),
    )
    assert run(tmp_path, "sync", "--quiet", server=fake_server).returncode == 0
    status = run(tmp_path, "status", "--json").stdout
    report = json.loads(status)
    assert report["counts"]["rejected"] == 1
    assert report["rejected_media"][0]["hashed_id"] == victim
    last_full = report["last_full_crawl"]
    six_hours = json.loads(run(tmp_path, "status", "--json", "--full-every", "6h").stdout)
    assert six_hours["next_full_crawl"][:13] == _plus_hours(last_full, 6)[:13]
    text = run(tmp_path, "status").stdout
    assert f"rejected {victim}" in text and "created" in text


def _plus_hours(timestamp: str, hours: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_any_failure_of_run_still_republishes_when_the_output_is_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke(tmp_path, "run", "--demo", "--quiet").returncode == 0
    video = "2uj5nqq36y"
    assert (tmp_path / "output" / "videos" / f"{video}.json").exists()
    assert invoke(tmp_path, "visibility", "hide", video, "--no-publish").returncode == 0

    def broken_sync(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr("wistia_sync.sync.account.sync_account", broken_sync)
    result = invoke(tmp_path, "run", "--demo")
    assert result.returncode == 1
    (line,) = result.errors  # a bug is reported as one (unexpected) line, after the republish
    assert "unexpected RuntimeError: a bug nobody foresaw" in line
    assert not (tmp_path / "output" / "videos" / f"{video}.json").exists()
    assert "republished from the last good database" in result.stdout


def test_editor_tag_names_are_nfc_so_both_spellings_are_one_tag(tmp_path: Path) -> None:
    assert invoke(tmp_path, "sync", "--demo", "--quiet").returncode == 0
    first, second = (
        "2uj5nqq36y",
        invoke(tmp_path, "videos", "list", "--limit", "2").stdout.split("\n")[1].split("\t")[0],
    )
    for video, name in ((first, "Ne\u0301e"), (second, "N\u00e9e")):
        result = invoke(tmp_path, "tag", "add", "--tag", name, video, "--no-publish")
        assert result.returncode == 0, result.stderr
    tags = [line.split("\t")[0] for line in invoke(tmp_path, "tag", "list").stdout.splitlines()]
    assert tags.count("N\u00e9e") == 1 and "Ne\u0301e" not in tags


# -- nesting depth --------------------------------------------------------------------------------

DEEP = 5_000


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _with_deep_record(victim: str) -> Callable[[bytes], bytes]:
    """A listing body in which ``victim``'s record carries a field nested ``DEEP`` levels deep
    (bytes: ``json.dumps`` itself cannot write it)."""

    def change(body: bytes) -> bytes:
        records = json.loads(body)
        parts = [json.dumps(record).encode() for record in records]
        for index, record in enumerate(records):
            if record.get("hashed_id") == victim:
                parts[index] = parts[index][:-1] + b', "extra": ' + _deep(DEEP) + b"}"
        return b"[" + b", ".join(parts) + b"]"

    return change


def test_one_record_nested_5000_levels_deep_is_rejected_alone_and_its_page_stored(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    assert run(tmp_path, "sync", "--quiet", server=fake_server).returncode == 0
    victim = fake_server.api.media()[3]["hashed_id"]
    fake_server.api.update(victim, name="Renamed while deep")
    fake_server.faults = FaultPlan().starting_at(
        1, rewrite_body(_with_deep_record(victim)), path=LIST
    )
    result = run(tmp_path, "sync", "--full", "--json", server=fake_server)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    live = len(fake_server.api.media())
    assert summary["rejected"] == 1 and summary["deleted"] == 0
    assert summary["unchanged"] == live - 1  # every other record of its page was stored
    with sqlite3.connect(tmp_path / "wistia.db") as conn:
        name, deleted_at = conn.execute(
            "SELECT name, deleted_at FROM videos WHERE hashed_id = ?", [victim]
        ).fetchone()
        reason, raw = conn.execute(
            "SELECT reason, raw FROM rejected_media WHERE hashed_id = ?", [victim]
        ).fetchone()
    assert deleted_at is None and name != "Renamed while deep"  # its last good row is kept
    assert "nested too deeply" in reason and f'"hashed_id": "{victim}"' in raw
    fake_server.faults = FaultPlan()
    assert run(tmp_path, "sync", "--full", "--quiet", server=fake_server).returncode == 0
    with sqlite3.connect(tmp_path / "wistia.db") as conn:
        assert conn.execute("SELECT name FROM videos WHERE hashed_id = ?", [victim]).fetchone() == (
            "Renamed while deep",
        )
        assert conn.execute("SELECT count(*) FROM rejected_media").fetchone() == (0,)


@pytest.mark.parametrize("status", [200, 400, 404])
def test_a_stats_answer_nested_5000_levels_deep_is_recorded_on_its_media(
    tmp_path: Path, fake_server: FakeWistiaServer, status: int
) -> None:
    body = b'{"error": ' + _deep(DEEP) + b"}"
    fake_server.faults = FaultPlan().at(1, answer(status, body), path=STATS)
    result = run(tmp_path, "sync", "--json", server=fake_server)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "wistia.db") as conn:
        errors = [row[0] for row in conn.execute("SELECT stats_error FROM videos") if row[0]]
    assert len(errors) == 1
    if status == 200:
        assert "nested too deeply" in errors[0]


def test_a_token_rejection_nested_5000_levels_deep_is_one_clear_line(
    tmp_path: Path, fake_server: FakeWistiaServer
) -> None:
    fake_server.faults = FaultPlan().at(1, answer(401, b'{"error": ' + _deep(DEEP) + b"}"))
    result = run(tmp_path, "sync", server=fake_server)
    assert result.returncode == 1
    assert result.one_clear_line() == (
        "error: Wistia rejected the API token; check WISTIA_API_TOKEN"
    )
