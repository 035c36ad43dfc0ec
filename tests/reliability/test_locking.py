"""Scenario 6: overlapping runs. Cron starts a run while the last one still works.

The second run exits at once with code 75 (EX_TEMPFAIL) and a notice saying since when the lock
is held, having sent no request to Wistia; after a ``kill -9`` of the first, the kernel has
released its lock and the next run proceeds: no stale lock, whatever the lock file still says.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from typing import Any

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import (
    Ledger,
    fresh_publish,
    kill_hard,
    output_differences,
    output_problems,
    published_ids,
)
from tests.support.fakewistia.server import FaultPlan, slow
from wistia_sync.store.lock import run_lock_path

SCENARIO = "6. overlapping runs"


class RequestCounter:
    def __init__(self) -> None:
        self.count = 0
        self.first = threading.Event()

    def on_request(self, n: int, request: Any, api: Any) -> None:
        self.count += 1
        self.first.set()


def test_second_run_exits_75_at_once_without_a_request_and_a_killed_run_leaves_no_lock(
    scene: MakeScene, ledger: Ledger
) -> None:
    api, server, ws = (s := scene(120, 31)).api, s.server, s.ws
    changed = published_ids(ws.db)[0]
    api.update(changed, name="Changed while the first run hangs")
    counter = RequestCounter()
    # The first run hangs on its first request: the server stalls 30 s (unless stopped), and
    # this run's client waits up to 60 s for an answer.
    server.faults = FaultPlan(on_request=counter.on_request).at(1, slow(30))
    first = ws.start("run", env={"WISTIA_SYNC_HTTP_TIMEOUT": "60"})
    try:
        assert counter.first.wait(30), "the first run never reached Wistia"
        second = ws.cli("run")
        requests_during_second = counter.count
        # The first run is still stalled on its first request (30 s): a second run that waited
        # for the lock could only have returned after it ended.
        first_still_running = first.poll() is None
    finally:
        kill_hard(first)
    server.faults = FaultPlan()
    third = ws.cli("run")
    check = output_problems(ws.output, converged=True)
    differences = output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    ledger.record(
        SCENARIO,
        "a second `run` while one holds the lock, then kill -9 of the first",
        times=1,
        runs=3,
        files_checked=check.files,
        lost_changes=0,
        invalid_files=check.invalid,
        held=f"the second exited 75 in {second.seconds:.2f} s with no request sent; "
        "the run after the kill proceeded and converged",
    )
    assert second.returncode == 75, second.describe()
    assert requests_during_second == 1, "the second run talked to Wistia"
    assert first_still_running, "the second run waited for the first to finish"
    assert re.search(rf"\(pid {first.pid}\) holds .*run\.lock since \d{{4}}-", second.stderr)
    assert "Traceback" not in second.output
    assert third.returncode == 0, third.describe()
    assert "Changed while the first run hangs" in (ws.output / f"videos/{changed}.json").read_text()
    assert not check.problems, check.problems
    assert not differences, differences


def test_a_lock_held_for_over_an_hour_is_reported_as_a_stuck_run(
    scene: MakeScene, ledger: Ledger
) -> None:
    server, ws = (s := scene(120, 31)).server, s.ws
    lock = run_lock_path(ws.db)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"4242 2020-01-01T00:00:00+00:00\n")
        second = ws.cli("run")
    finally:
        os.close(fd)
    ledger.record(
        SCENARIO,
        "a run lock held for years (stuck run)",
        times=1,
        runs=1,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="exit 75 with a louder warning naming the stuck pid; no request sent",
    )
    assert second.returncode == 75, second.describe()
    assert "WARNING: a run may be stuck" in second.stderr and "pid 4242" in second.stderr
    assert not server.log, "a locked-out run talked to Wistia"
