"""Scenario 11: Wistia's webhooks against a real ``wistia-sync webhook serve`` process.

A signed event reaches the published files within seconds; a delivery that got a 200 is never
lost, even when the server is ``kill -9``-ed at random moments of a burst; bad signatures,
oversized bodies, malformed JSON and replayed deliveries change nothing.
"""

from __future__ import annotations

import itertools
import json
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import Ledger, Workspace, kill_hard
from tests.support.fakewistia.webhooks import ACCOUNT_ID, WebhookSender, delivery_body, media_event
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
            raise AssertionError(
                f"the server exited {process.returncode}: {(stderr or '')[-2000:]}"
            )
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
    from wistia_sync.store.db import open_database

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


# -- an internet-facing server ------------------------------------------------------------------

IDLE_CONNECTIONS = 1100  # more than a common `ulimit -n` of 1024
SERVER_DESCRIPTORS = 1024
LOG_BYTES_BOUND = 64 * 1024


@contextmanager
def logged_server(
    ws: Workspace, *extra: str, descriptors: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """``webhook serve`` on 127.0.0.1 with its stderr in a file (a pipe nobody reads would block
    a chatty server); ``descriptors`` sets its ``ulimit -n``, soft and hard."""
    import resource

    from tests.reliability.harness import cli_command

    def limit() -> None:
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    port = free_port()
    log_path = ws.root / f"serve-{port}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [*cli_command(), "webhook", "serve", "--port", str(port), "--debounce", "0.2",
             "--max-delay", "1", "--account-id", ACCOUNT_ID, *extra],
            env=ws.env({"WISTIA_SYNC_WEBHOOK_SECRET": SECRET}), cwd=ws.root,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file, text=True,
            preexec_fn=limit,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base), SERVE_TIMEOUT_SECONDS, process)
        yield process, base, log_path
    finally:
        kill_hard(process)


def open_idle_connections(base: str, count: int) -> list[socket.socket]:
    """``count`` connections that send nothing, as a client without the secret can hold."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        if hard != resource.RLIM_INFINITY and hard < count + 200:
            pytest.skip(f"this test needs {count + 200} open files; ulimit -Hn is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 200, hard))
    port = int(base.rsplit(":", 1)[1])
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def published(ws: Workspace, hashed_id: str) -> bool:
    return (ws.output / "videos" / f"{hashed_id}.json").exists()


def reopen_closed(idle: list[socket.socket], base: str) -> int:
    """Replace idle connections the server closed by new ones (100 at most); return how many."""
    import selectors

    port = int(base.rsplit(":", 1)[1])
    with selectors.DefaultSelector() as selector:  # epoll: descriptors past 1024 too
        for connection in idle:
            selector.register(connection, selectors.EVENT_READ)
        closed = [key.fileobj for key, _ in selector.select(timeout=0.5)][:100]
    for connection in closed:
        assert isinstance(connection, socket.socket)
        idle.remove(connection)
        connection.close()
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    return len(closed)


def test_idle_connections_cannot_starve_the_server(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    s = scene(60, 34)
    deleted = next(m["hashed_id"] for m in s.api.media() if published(s.ws, m["hashed_id"]))
    soak_seconds = 30.0 if soak else 0.0  # the soak: an attacker re-opening what is closed
    reopened = 0
    answers = []
    with logged_server(s.ws, descriptors=SERVER_DESCRIPTORS) as (process, base, log_path):
        idle = open_idle_connections(base, IDLE_CONNECTIONS)
        try:
            health = httpx.get(base + HEALTH_PATH, timeout=10)
            s.api.delete(deleted)
            with WebhookSender(base + WEBHOOK_PATH, SECRET.encode()) as wistia:
                answer = wistia.send([media_event("media.deleted", deleted)])
                wait_for(lambda: not published(s.ws, deleted), APPLY_TIMEOUT_SECONDS, process)
                soak_until = time.monotonic() + soak_seconds
                for n in itertools.count():
                    if time.monotonic() > soak_until:
                        break
                    reopened += reopen_closed(idle, base)
                    target = s.api.media()[n % 10]["hashed_id"]
                    answers.append(wistia.send([media_event("media.updated", target)]))
                    answers.append(httpx.get(base + HEALTH_PATH, timeout=10))
        finally:
            for connection in idle:
                connection.close()
        assert health.status_code == 200
        assert answer.status_code == 200
        assert all(response.status_code == 200 for response in answers)
        wait_for(lambda: set(inbox(s.ws).values()) == {"applied"}, APPLY_TIMEOUT_SECONDS, process)
        log = log_path.read_text()
    assert len(log.encode()) < LOG_BYTES_BOUND
    assert "Traceback" not in log, log[:3000]
    ledger.record(
        SCENARIO,
        f"{IDLE_CONNECTIONS} idle connections against ulimit -n {SERVER_DESCRIPTORS}",
        times=1,
        runs=1,
        files_checked=1,
        lost_changes=0,
        invalid_files=0,
        held="/healthz and a signed media.deleted answered 200, the deletion published; "
        f"{len(answers)} more answered 200 while {reopened} closed ones were re-opened; "
        f"log {len(log.encode())} bytes",
    )


def test_strangers_cannot_grow_the_log(scene: MakeScene, ledger: Ledger) -> None:
    s = scene(30, 35)
    with (
        logged_server(s.ws) as (_, base, log_path),
        WebhookSender(base + WEBHOOK_PATH, SECRET.encode()) as stranger,
    ):
        body = delivery_body([media_event("media.updated", s.api.media()[0]["hashed_id"])])
        for _ in range(300):
            assert stranger.send_body(body, signature="0" * 64).status_code == 401
        port = int(base.rsplit(":", 1)[1])
        for _ in range(100):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as garbage:
                garbage.sendall(b"\x16\x03\x01 not HTTP at all\r\n\r\n")
                garbage.recv(1024)
    lines = log_path.read_text().splitlines()
    assert 0 < sum("missing or wrong X-Wistia-Signature" in line for line in lines) <= 5
    assert 0 < sum("Invalid HTTP request" in line for line in lines) <= 5
    assert len(lines) <= 20
    ledger.record(
        SCENARIO,
        "300 wrong-signature deliveries and 100 garbage requests from a stranger",
        times=400,
        runs=1,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held=f"all refused; the log grew by {len(lines)} lines (each kind at most 5 a minute)",
    )


def test_a_request_sent_too_slowly_is_cut_off(scene: MakeScene, ledger: Ledger) -> None:
    s = scene(30, 36)
    body = delivery_body([media_event("media.updated", s.api.media()[0]["hashed_id"])])
    with logged_server(s.ws, "--request-timeout", "1") as (process, base, _):
        port = int(base.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port), timeout=20)
        headers_only = socket.create_connection(("127.0.0.1", port), timeout=20)
        headers_only.sendall(b"POST /webhooks/wistia HTTP/1.1\r\nHost: x\r\n")  # and no more
        half_body = socket.create_connection(("127.0.0.1", port), timeout=20)
        half_body.sendall(
            b"POST /webhooks/wistia HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        for connection in (silent, headers_only, half_body):
            with connection:
                assert connection.recv(1024) == b""  # closed by the server, not by the timeout
        assert process.poll() is None
        assert httpx.get(base + HEALTH_PATH, timeout=10).status_code == 200
    assert inbox(s.ws) == {}
    ledger.record(
        SCENARIO,
        "connections sending nothing, headers only, half a body (--request-timeout 1)",
        times=3,
        runs=1,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="each closed by the server; nothing stored; /healthz still answered",
    )


def test_the_log_has_no_http_client_lines_without_debug(scene: MakeScene) -> None:
    s = scene(30, 37)
    target = s.api.media()[0]["hashed_id"]
    s.api.update(target, name="Renamed for the log")
    with (
        logged_server(s.ws) as (process, base, log_path),
        WebhookSender(base + WEBHOOK_PATH, SECRET.encode()) as wistia,
    ):
        assert wistia.send([media_event("media.updated", target)]).status_code == 200
        wait_for(lambda: video_name(s.ws, target) == "Renamed for the log", 30, process)
    log = log_path.read_text()
    assert "HTTP Request:" not in log
    assert "listening on" in log


def test_a_clock_stepped_back_does_not_hold_events_back(scene: MakeScene, ledger: Ledger) -> None:
    from tests.support.fakewistia.webhooks import delivery_body as body_of
    from wistia_sync.store.db import open_database
    from wistia_sync.webhooks.inbox import parse_delivery, store_events

    s = scene(30, 38)
    target = s.api.media()[0]["hashed_id"]
    s.api.update(target, name="Stored before the clock stepped back")
    db = open_database(s.ws.db)
    try:  # stored an hour "later" than the clock now says: NTP stepped it back since
        events = parse_delivery(body_of([media_event("media.updated", target)]))
        store_events(db, events, account_id=ACCOUNT_ID, received_at=time.time() + 3600)
    finally:
        db.conn.close()
    with logged_server(s.ws) as (process, _, _):
        wait_for(lambda: set(inbox(s.ws).values()) == {"applied"}, APPLY_TIMEOUT_SECONDS, process)
    assert video_name(s.ws, target) == "Stored before the clock stepped back"
    ledger.record(
        SCENARIO,
        "an event stored an hour ahead of the clock (the clock stepped back since)",
        times=1,
        runs=1,
        files_checked=1,
        lost_changes=0,
        invalid_files=0,
        held="applied and published at once (debounce on a monotonic clock)",
    )
