"""What a client without the secret can do to ``webhook serve``: idle connections and noise.

    python benchmarks/bench_webhook_limits.py [--idle 1100] [--hold 16] [--descriptors 1024]

Starts a fake Wistia on 127.0.0.1, primes a database and output folder (500 media), starts
``wistia-sync webhook serve`` with ``ulimit -n`` set to ``--descriptors`` (soft and hard, so
raising the soft limit at start gains nothing: the common case), then for ``--hold`` seconds:

- an attacker holds ``--idle`` connections that never send a byte (re-opening each one the server
  closes, as a determined one would);
- every 0.5 s, ``GET /healthz`` and a signed delivery (a ``media.updated``) are timed (5 s
  timeout each, counted as failures past it);
- at the start, a signed ``media.deleted`` for a published video: when (if) its file left the
  output, and its state in the inbox at the end;
- 20 deliveries with a wrong signature and 20 garbage requests a second, for the log.

Prints the machine, then a Markdown table. Runs against whatever ``wistia_sync`` is importable,
so the same script measures an older checkout (``PYTHONPATH=that/checkout``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):  # else the checkout PYTHONPATH names is measured
    sys.path.insert(0, str(ROOT))

import httpx
from bench_webhooks import SECRET, TOKEN, free_port, prime_site, serve_environment

from tests.support.fakewistia.server import FakeWistiaServer
from tests.support.fakewistia.webhooks import ACCOUNT_ID, WebhookSender, media_event
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.store.db import open_database

PROBE_EVERY = 0.5
PROBE_TIMEOUT = 5.0


class Attacker(threading.Thread):
    """Holds ``count`` idle connections open until stopped, re-opening those the server closes."""

    def __init__(self, port: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.count = count
        self.stop = threading.Event()
        self.reopened = 0
        self.failed_connects = 0
        self.peak_open = 0

    def _connect(self) -> socket.socket | None:
        try:
            return socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            self.failed_connects += 1
            return None

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        for _ in range(self.count):
            if (connection := self._connect()) is not None:
                selector.register(connection, selectors.EVENT_READ)
        while not self.stop.is_set():
            self.peak_open = max(self.peak_open, len(selector.get_map()))
            for key, _ in selector.select(timeout=0.2):
                connection = key.fileobj
                assert isinstance(connection, socket.socket)
                selector.unregister(connection)
                connection.close()  # the server closed it (or sent something): open another
                if (fresh := self._connect()) is not None:
                    self.reopened += 1
                    selector.register(fresh, selectors.EVENT_READ)
            while len(selector.get_map()) < self.count and not self.stop.is_set():
                if (fresh := self._connect()) is None:
                    break
                selector.register(fresh, selectors.EVENT_READ)
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


def timed(call: Callable[[], httpx.Response]) -> float | None:
    started = time.perf_counter()
    try:
        ok = call().status_code == 200
    except httpx.HTTPError:
        ok = False
    return time.perf_counter() - started if ok else None


def noise(port: int, url: str, stop: threading.Event) -> None:
    with WebhookSender(url, SECRET.encode(), timeout=PROBE_TIMEOUT) as stranger:
        while not stop.is_set():
            for _ in range(20):
                with contextlib.suppress(httpx.HTTPError):
                    stranger.send_body(b'{"events": []}', signature="0" * 64)
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as garbage:
                        garbage.sendall(b"\x16\x03\x01 not HTTP\r\n\r\n")
                except OSError:
                    pass
            stop.wait(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--hold", type=float, default=16.0)
    parser.add_argument("--descriptors", type=int, default=1024)
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < arguments.idle + 300:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, arguments.idle + 300), hard))

    api = FakeWistia(*generate_catalog(500, seed=3), token=TOKEN)
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api) as server:
        db_path, output = prime_site(api, server, folder)
        log_path = Path(folder, "log")
        published = sorted(p.stem for p in (output / "videos").glob("*.json"))
        deleted, updated = published[0], published[1:]

        port = free_port()
        env = serve_environment(server, db_path, output)

        def limit() -> None:
            limits = (arguments.descriptors, arguments.descriptors)
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)

        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "wistia_sync", "webhook", "serve", "--port", str(port),
                 "--account-id", ACCOUNT_ID],
                env=env, stdout=subprocess.DEVNULL, stderr=log_file, preexec_fn=limit,
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while timed(lambda: httpx.get(base + "/healthz", timeout=1)) is None:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            attacker = Attacker(port, arguments.idle)
            attacker.start()
            while attacker.peak_open < arguments.idle * 0.9 and attacker.is_alive():
                time.sleep(0.05)
            stop_noise = threading.Event()
            threading.Thread(
                target=noise, args=(port, base + "/webhooks/wistia", stop_noise), daemon=True
            ).start()
            health: list[float | None] = []
            deliveries: list[float | None] = []
            api.delete(deleted)
            started = time.monotonic()
            deletion_sent = timed(
                lambda: WebhookSender(base + "/webhooks/wistia", SECRET.encode(), timeout=5).send(
                    [media_event("media.deleted", deleted)]
                )
            )
            deletion_seconds = None
            with WebhookSender(base + "/webhooks/wistia", SECRET.encode(), timeout=5) as wistia:
                n = 0
                while time.monotonic() - started < arguments.hold:
                    health.append(
                        timed(lambda: httpx.get(base + "/healthz", timeout=PROBE_TIMEOUT))
                    )
                    hashed_id = updated[n % len(updated)]
                    deliveries.append(
                        timed(lambda h=hashed_id: wistia.send([media_event("media.updated", h)]))
                    )
                    n += 1
                    gone = not (output / "videos" / f"{deleted}.json").exists()
                    if deletion_seconds is None and gone:
                        deletion_seconds = time.monotonic() - started
                    time.sleep(PROBE_EVERY)
            stop_noise.set()
            attacker.stop.set()
            attacker.join(timeout=30)
            log_bytes = log_path.stat().st_size
            alive = process.poll() is None
        finally:
            process.terminate()
            process.wait(timeout=60)
        db = open_database(db_path)
        state = db.execute(
            "SELECT state FROM webhook_events WHERE hashed_id = ? AND type = 'media.deleted'",
            [deleted],
        ).fetchone()
        db.conn.close()

    def summary(samples: list[float | None]) -> str:
        good = sorted(s for s in samples if s is not None)
        failed = len(samples) - len(good)
        if not good:
            return f"all {failed} failed"
        p95 = good[max(0, round(0.95 * len(good)) - 1)]
        return (
            f"p50 {statistics.median(good) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {good[-1] * 1000:.0f} ms; {failed} of {len(samples)} failed"
        )

    print(f"Machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; server ulimit -n "
          f"{arguments.descriptors}; {arguments.idle} idle connections for "
          f"{arguments.hold:.0f} s\n")  # fmt: skip
    print("| measure | figure |")
    print("|---|---|")
    print(f"| `GET /healthz` every {PROBE_EVERY} s | {summary(health)} |")
    print(f"| signed delivery every {PROBE_EVERY} s | {summary(deliveries)} |")
    print(f"| signed `media.deleted` answered | {'yes' if deletion_sent else 'no'} |")
    shown = f"{deletion_seconds:.1f} s" if deletion_seconds is not None else "not within the hold"
    print(f"| deleted video's file removed after | {shown} |")
    print(f"| its event's state at the end | {state[0] if state else 'not stored'} |")
    print(f"| idle connections the server closed (re-opened) | {attacker.reopened:,} |")
    print(f"| attacker's connects that failed | {attacker.failed_connects:,} |")
    print(f"| server log after {arguments.hold:.0f} s | {log_bytes:,} bytes |")
    print(f"| server still running | {'yes' if alive else 'no'} |")
    print(json.dumps({"log_bytes": log_bytes, "reopened": attacker.reopened}), file=sys.stderr)


if __name__ == "__main__":
    main()
