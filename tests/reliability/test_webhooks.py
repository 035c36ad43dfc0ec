"""Scenario 11: Wistia's webhooks against a real ``wistia-sync webhook serve`` process.

A signed event reaches the published files within seconds; a delivery that got a 200 is never
lost, even when the server is ``kill -9``-ed at random moments of a burst; bad signatures,
oversized bodies, malformed JSON and replayed deliveries change nothing.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from tests.fakewistia.webhooks import ACCOUNT_ID, WebhookSender, delivery_body, media_event
from tests.reliability.conftest import MakeScene
from tests.reliability.harness import Ledger, Workspace, kill_hard
from wistia_sync.webhooks.app import HEALTH_PATH, WEBHOOK_PATH

SCENARIO = "11. webhooks"
SECRET = "whsec-" + "Xy9" * 5
SERVE_TIMEOUT_SECONDS = 20.0  # a served process must answer /healthz within this
APPLY_TIMEOUT_SECONDS = 30.0  # an acknowledged event must be applied within this


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def webhook_server(ws: Workspace, *extra: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``webhook serve`` on a free port of 127.0.0.1; yields the process and its base URL."""
    port = free_port()
    process = ws.start(
        "webhook", "serve", "--port", str(port), "--debounce", "0.2", "--max-delay", "1",
        "--account-id", ACCOUNT_ID, *extra,
        env={"WISTIA_SYNC_WEBHOOK_SECRET": SECRET},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base), SERVE_TIMEOUT_SECONDS, process)
        yield process, base
    finally:
        kill_hard(process)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + HEALTH_PATH, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(
    condition: Callable[[], bool], timeout: float, process: subprocess.Popen[str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"the server exited {process.returncode}: {stderr[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(0.05)


def video_name(ws: Workspace, hashed_id: str) -> str | None:
    try:
        return str(
            json.loads((ws.output / "videos" / f"{hashed_id}.json").read_bytes())["video"]["name"]
        )
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def inbox(ws: Workspace) -> dict[str, str]:
    from wistia_sync.db import open_database

    db = open_database(ws.db, create=True)
    try:
        return {row[0]: row[1] for row in db.execute("SELECT uuid, state FROM webhook_events")}
    finally:
        db.conn.close()


def unapplied(states: dict[str, str], uuids: set[str]) -> list[str]:
    return [uuid for uuid in uuids if states.get(uuid) != "applied"]


def test_signed_events_reach_the_published_files(scene: MakeScene, ledger: Ledger) -> None:
    s = scene(150, 31)
    renamed, archived, deleted = (m["hashed_id"] for m in s.api.media()[:3])
    assert video_name(s.ws, renamed) is not None
    with (
        webhook_server(s.ws) as (process, base),
        WebhookSender(base + WEBHOOK_PATH, SECRET.encode()) as wistia,
    ):
        s.api.update(renamed, name="Renamed a moment ago")
        s.api.archive(archived)
        s.api.delete(deleted)
        started = time.monotonic()
        response = wistia.send(
            [
                media_event("media.updated", renamed),
                media_event("media.updated", archived),
                media_event("media.deleted", deleted),
            ]
        )
        assert response.status_code == 200
        wait_for(
            lambda: (
                video_name(s.ws, renamed) == "Renamed a moment ago"
                and video_name(s.ws, archived) is None
                and video_name(s.ws, deleted) is None
            ),
            APPLY_TIMEOUT_SECONDS,
            process,
        )
        seconds = time.monotonic() - started
        process.terminate()  # graceful: uvicorn finishes, then re-raises SIGTERM to exit by it
        assert process.wait(timeout=30) in (0, -15)
    ledger.record(
        SCENARIO,
        "signed media.updated (rename, archive) and media.deleted over real HTTP",
        times=3,
        runs=1,
        files_checked=3,
        lost_changes=0,
        invalid_files=0,
        held=f"all three published within {seconds:.1f} s; SIGTERM shuts down cleanly",
    )


def test_bad_deliveries_change_nothing(scene: MakeScene, ledger: Ledger) -> None:
    s = scene(60, 32)
    target = s.api.media()[0]["hashed_id"]
    s.api.update(target, name="Must not be applied")
    good = delivery_body([media_event("media.updated", target)])
    bad = {
        "no signature": (good, None),
        "wrong signature": (good, "0" * 64),
        "signature of other bytes": (good + b" ", "sign-original"),
        "oversized body": (delivery_body([media_event("media.updated", target)] * 6000), "sign"),
        "malformed JSON": (b'{"events": [', "sign"),
        "not a delivery": (b'{"hook": {}}', "sign"),
    }
    statuses = {}
    with (
        webhook_server(s.ws) as (_, base),
        WebhookSender(base + WEBHOOK_PATH, SECRET.encode()) as wistia,
    ):
        for name, (body, signature) in bad.items():
            if signature == "sign-original":
                from wistia_sync.webhooks.signature import sign

                signature = sign(SECRET.encode(), good)
            statuses[name] = wistia.send_body(body, signature=signature).status_code
        time.sleep(1.5)  # longer than the debounce window: anything stored would be applied
    assert statuses == {
        "no signature": 401,
        "wrong signature": 401,
        "signature of other bytes": 401,
        "oversized body": 413,
        "malformed JSON": 400,
        "not a delivery": 400,
    }
    assert inbox(s.ws) == {}
    assert video_name(s.ws, target) != "Must not be applied"
    ledger.record(
        SCENARIO,
        "bad signatures, oversized and malformed bodies",
        times=len(bad),
        runs=1,
        files_checked=1,
        lost_changes=0,
        invalid_files=0,
        held="401/413/400, nothing stored, nothing published",
    )


def test_every_acknowledged_event_survives_kill_9(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    s = scene(200, 33)
    rng = random.Random(33)
    published = [m["hashed_id"] for m in s.api.media() if video_name(s.ws, m["hashed_id"])]
    targets = published[:60]
    acknowledged: set[str] = set()
    expected_names: dict[str, str] = {}
    rounds = 8 if soak else 3
    kills = 0
    for round_number in range(rounds):
        with (
            webhook_server(s.ws) as (process, base),
            WebhookSender(base + WEBHOOK_PATH, SECRET.encode(), timeout=2) as wistia,
        ):
            stop = threading.Event()

            def burst(stop: threading.Event = stop, round_number: int = round_number) -> None:
                n = 0
                while not stop.is_set():
                    hashed_id = rng.choice(targets)
                    name = f"round {round_number} change {n}"
                    s.api.update(hashed_id, name=name)
                    # Until an event about this change is acknowledged, either name may show.
                    expected_names.pop(hashed_id, None)
                    events = [media_event("media.updated", hashed_id) for _ in range(3)]
                    try:
                        if wistia.send(events).status_code == 200:
                            acknowledged.update(event["uuid"] for event in events)
                            expected_names[hashed_id] = name
                    except httpx.TransportError:
                        return  # killed mid-request: Wistia would resend; not acknowledged
                    n += 1

            sender = threading.Thread(target=burst)
            sender.start()
            time.sleep(rng.uniform(0.3, 1.5))
            kill_hard(process)
            kills += 1
            stop.set()
            sender.join(timeout=30)
    # After the last kill, a fresh server must apply everything that was acknowledged.
    with webhook_server(s.ws) as (process, _):
        wait_for(
            lambda: not unapplied(inbox(s.ws), acknowledged),
            APPLY_TIMEOUT_SECONDS,
            process,
        )
        wait_for(
            lambda: all(video_name(s.ws, h) == name for h, name in expected_names.items()),
            APPLY_TIMEOUT_SECONDS,
            process,
        )
    lost = unapplied(inbox(s.ws), acknowledged)
    ledger.record(
        SCENARIO,
        f"kill -9 of webhook serve during bursts ({len(acknowledged)} acknowledged events)",
        times=kills,
        runs=kills + 1,
        files_checked=len(expected_names),
        lost_changes=len(lost),
        invalid_files=0,
        held="every event answered 200 was applied after restart; files show Wistia's state",
    )
    assert len(acknowledged) > 20, "too few events were sent: the test proves little"
    assert not lost
