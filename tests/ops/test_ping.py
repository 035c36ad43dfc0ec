"""``run --ping-url``: start, success and failure pings, received by a local stand-in monitor."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.ops.conftest import cli
from tests.ops.monitor import running_monitor
from tests.support.nginxserver import free_port
from wistia_sync.errors import LockHeld
from wistia_sync.ops.ping import BODY_LIMIT, Pinger
from wistia_sync.ops.watch import watched_run
from wistia_sync.store.lock import hold_lock, run_lock_path


def test_a_run_pings_start_then_success_with_its_summary(site: Path) -> None:
    with running_monitor() as monitor:
        ran = cli("run", "--demo", "-q", "--db", str(site), "--output", str(site.parent / "out"),
                  "--ping-url", monitor.url)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    start, success = monitor.pings
    assert start.path == "/ping/check-key/start" and success.path == "/ping/check-key"
    assert start.run_id == success.run_id and uuid.UUID(start.run_id or "")
    summary = json.loads(success.body)
    assert summary["mode"] and "publish" in summary and "requests" in summary


def test_a_failed_run_pings_its_exit_code_with_the_error(site: Path, tmp_path: Path) -> None:
    empty = tmp_path / "token"
    empty.write_text("")
    with running_monitor() as monitor:
        ran = cli("run", "-q", "--db", str(site), "--output", str(site.parent / "out"),
                  "--token-file", str(empty), "--ping-url", monitor.url)  # fmt: skip
    assert ran.returncode != 0
    start, failure = monitor.pings
    assert start.path.endswith("/start")
    assert failure.path == f"/ping/check-key/{ran.returncode}"
    assert failure.run_id == start.run_id
    assert ran.stderr.strip().removeprefix("error: ") in failure.body.decode()


def test_the_site_stores_the_url_and_an_empty_option_pings_nothing(site: Path) -> None:
    out = str(site.parent / "out")
    with running_monitor() as monitor:
        stored = cli("site", "--db", str(site), "--ping-url", monitor.url)
        assert stored.returncode == 0, stored.stderr
        assert "ping url: http://127.0.0.1/…" in stored.stdout  # the key is not shown
        assert cli("run", "--demo", "-q", "--db", str(site), "--output", out).returncode == 0
        assert [ping.path for ping in monitor.pings] == ["/ping/check-key/start", "/ping/check-key"]
        silent = cli("run", "--demo", "-q", "--db", str(site), "--output", out, "--ping-url", "")
        assert silent.returncode == 0 and len(monitor.pings) == 2


def test_a_run_refused_by_the_lock_pings_nothing(site: Path) -> None:
    with running_monitor() as monitor, hold_lock(run_lock_path(site), wait=False):
        ran = cli("run", "--demo", "-q", "--db", str(site), "--output", str(site.parent / "out"),
                  "--ping-url", monitor.url)  # fmt: skip
    assert ran.returncode == 75
    assert monitor.pings == []


def test_an_unreachable_or_failing_monitor_never_fails_the_run(site: Path) -> None:
    out = str(site.parent / "out")
    nobody = f"http://127.0.0.1:{free_port()}/check"
    ran = cli("run", "--demo", "-q", "--db", str(site), "--output", out, "--ping-url", nobody)
    assert ran.returncode == 0
    assert "ping http://127.0.0.1/…/start failed (the run goes on)" in ran.stderr
    assert "check" not in ran.stderr  # the URL's key is never printed
    with running_monitor() as monitor:
        monitor.status = 503
        ran = cli("run", "--demo", "-q", "--db", str(site), "--output", out,
                  "--ping-url", monitor.url)  # fmt: skip
    assert ran.returncode == 0
    assert len(monitor.pings) == 4  # each ping tried twice, no more
    assert "HTTP 503" in ran.stderr


def test_a_bad_ping_url_is_refused_before_the_run(site: Path) -> None:
    before = site.read_bytes()
    for bad in ("ftp://example.com/x", "not a url", "https://hc-ping.com/x?y=1"):
        ran = cli("run", "--demo", "--db", str(site), "--ping-url", bad)
        assert ran.returncode == 2 and "--ping-url must be" in ran.stderr
        stored = cli("site", "--db", str(site), "--ping-url", bad)
        assert stored.returncode == 2
    assert site.read_bytes() == before


def test_the_body_is_cut_to_the_limit() -> None:
    with running_monitor() as monitor:
        Pinger(monitor.url).finish(0, "é" * BODY_LIMIT)
    (ping,) = monitor.pings
    assert len(ping.body) <= BODY_LIMIT and ping.body.endswith(b"...")
    ping.body.decode("utf-8")  # never cut inside a character


def test_a_started_run_reports_its_end_even_when_a_later_lock_times_out(tmp_path: Path) -> None:
    """The run lock refused: nothing said. A delivery's lock timing out after the start ping:
    the monitor must hear the end, or it waits for a run that is over."""
    with running_monitor() as monitor:
        refused = Pinger(monitor.url)
        with pytest.raises(LockHeld), watched_run(refused, None, tmp_path / "none.db"):
            raise LockHeld("another wistia-sync holds the run lock")
        assert monitor.pings == []
        started = Pinger(monitor.url)
        with pytest.raises(LockHeld), watched_run(started, None, tmp_path / "none.db"):
            started.start()
            raise LockHeld("another delivery held the target's lock")
    assert [ping.path for ping in monitor.pings] == ["/ping/check-key/start", "/ping/check-key/75"]
    assert b"another delivery" in monitor.pings[1].body
