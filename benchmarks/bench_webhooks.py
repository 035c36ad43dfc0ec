"""Measure webhook → published latency and what a burst costs, against a fake Wistia over HTTP.

    python benchmarks/bench_webhooks.py [--media 10000] [--latency-ms 50] [--trials 20]

Starts a fake Wistia account on 127.0.0.1 (every answer delayed by ``--latency-ms``), primes a
database and output folder with a full sync and publish, starts ``wistia-sync webhook serve``
(default debounce 0.5 s, at most 3 s), then:

- latency: renames one published video in the fake account, sends the signed ``media.updated``
  Wistia would, and times until the video's published file shows the new name (``--trials``
  times, one after another);
- burst: changes 200 media and sends 1,000 signed events about them (10 a delivery, as fast as
  the receiver answers), then counts the requests the worker sent Wistia and its republishes.

Prints a Markdown table with each target and the measured figure's ratio to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):  # else the checkout PYTHONPATH names is measured
    sys.path.insert(0, str(ROOT))

import httpx

from tests.support.fakewistia.server import LIST, SHOW, FakeWistiaServer, FaultPlan
from tests.support.fakewistia.webhooks import ACCOUNT_ID, WebhookSender, media_event
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient

TOKEN = "bench-token"
SECRET = "bench-webhook-secret"
BURST_EVENTS = 1000
BURST_MEDIA = 200
EVENTS_PER_DELIVERY = 10
LATENCY_TARGET_P95 = 2.0
BURST_LIST_TARGET = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prime_site(api: FakeWistia, server: FakeWistiaServer, folder: str) -> tuple[Path, Path]:
    """A database that synced ``api`` in full and the site it published: (database, output)."""
    db_path, output = Path(folder, "wistia.db"), Path(folder, "output")
    db = open_database(db_path, create=True)
    with WistiaClient(ClientSettings(token=TOKEN, api_url=server.url)) as client:
        sync_account(db, client, SyncOptions(full=True, stats_budget=0))
    publish_site(db, output, lock_path=publish_lock_path(db_path))
    db.conn.close()
    return db_path, output


def serve_environment(server: FakeWistiaServer, db_path: Path, output: Path) -> dict[str, str]:
    """What ``webhook serve`` runs with: the fake Wistia, the database, the site, the secret."""
    return {
        **os.environ,
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_API_URL": server.url,
        "WISTIA_SYNC_DB": str(db_path),
        "WISTIA_SYNC_OUTPUT": str(output),
        "WISTIA_SYNC_WEBHOOK_SECRET": SECRET,
    }


def wait_until(condition: Callable[[], bool], timeout: float = 120.0, poll: float = 0.01) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"timed out after {timeout} s")
        time.sleep(poll)
    return time.perf_counter() - started


def video_name(output: Path, hashed_id: str) -> str | None:
    try:
        return json.loads((output / "videos" / f"{hashed_id}.json").read_bytes())["video"]["name"]
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def inbox_counts(db_path: Path) -> dict[str, int]:
    db = open_database(db_path)
    try:
        return dict(db.execute("SELECT state, count(*) FROM webhook_events GROUP BY state"))
    finally:
        db.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--trials", type=int, default=20)
    arguments = parser.parse_args()
    latency = arguments.latency_ms / 1000

    media, stats = generate_catalog(arguments.media, seed=1)
    api = FakeWistia(media, stats, token=TOKEN)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api) as server:
        db_path, output = prime_site(api, server, folder)
        published = [m["hashed_id"] for m in api.media() if video_name(output, m["hashed_id"])]
        server.faults = FaultPlan(on_request=lambda n, request, fake: time.sleep(latency))

        port = free_port()
        env = serve_environment(server, db_path, output)
        process = subprocess.Popen(
            [sys.executable, "-m", "wistia_sync", "webhook", "serve", "--port", str(port),
             "--account-id", ACCOUNT_ID],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _healthy(base), timeout=30)
            with WebhookSender(base + "/webhooks/wistia", SECRET.encode()) as wistia:
                latencies = []
                for trial in range(arguments.trials):
                    hashed_id = rng.choice(published)
                    name = f"Renamed for trial {trial}"
                    api.update(hashed_id, name=name)
                    started = time.perf_counter()
                    wistia.send([media_event("media.updated", hashed_id)])
                    wait_until(lambda h=hashed_id, n=name: video_name(output, h) == n)
                    latencies.append(time.perf_counter() - started)

                lists_before = len(server.requests(LIST))
                shows_before = len(server.requests(SHOW))
                runs_before = _targeted_runs(db_path)
                targets = rng.sample(published, BURST_MEDIA)
                for hashed_id in targets:
                    api.update(hashed_id, name=f"Burst name of {hashed_id}")
                events = [media_event("media.updated", targets[n % BURST_MEDIA])
                          for n in range(BURST_EVENTS)]  # fmt: skip
                started = time.perf_counter()
                for start in range(0, BURST_EVENTS, EVENTS_PER_DELIVERY):
                    response = wistia.send(events[start : start + EVENTS_PER_DELIVERY])
                    response.raise_for_status()
                sending = time.perf_counter() - started
                wait_until(lambda: inbox_counts(db_path).get("pending", 0) == 0, poll=0.05)
                burst_seconds = time.perf_counter() - started
                lost = sum(1 for h in targets if video_name(output, h) != f"Burst name of {h}")
                burst_lists = len(server.requests(LIST)) - lists_before
                burst_shows = len(server.requests(SHOW)) - shows_before
                republishes = _targeted_runs(db_path) - runs_before
        finally:
            process.terminate()
            process.wait(timeout=60)

    cuts = statistics.quantiles(latencies, n=20, method="inclusive")
    p50, p95 = statistics.median(latencies), cuts[18]
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; {arguments.media:,} media, {arguments.latency_ms:.0f} ms "
          f"latency, debounce 0.5 s (max 3 s)\n")  # fmt: skip
    print("| measure | figure | target | ratio to target |")
    print("|---|---|---|---|")
    print(f"| signed event → video file published, p50 ({len(latencies)} trials) | "
          f"{p50:.2f} s | | |")  # fmt: skip
    print(f"| signed event → video file published, p95 | {p95:.2f} s | ≤ {LATENCY_TARGET_P95} s "
          f"| {p95 / LATENCY_TARGET_P95:.2f} |")  # fmt: skip
    print(
        f"| burst: {BURST_EVENTS:,} events over {BURST_MEDIA} media, list requests | "
        f"{burst_lists} | ≤ {BURST_LIST_TARGET} | {burst_lists / BURST_LIST_TARGET:.2f} |"
    )
    print(f"| burst: confirmations (GET /medias/{{id}}) | {burst_shows} | 0 (none deleted) | |")
    print(f"| burst: republishes (one per debounce window) | {republishes} | | |")
    print(f"| burst: events lost | {lost} | 0 | |")
    print(f"| burst: sending 100 deliveries / all applied | {sending:.2f} s / {burst_seconds:.2f} s"
          " | | |")  # fmt: skip


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _targeted_runs(db_path: Path) -> int:
    db = open_database(db_path)
    try:
        return int(
            db.execute("SELECT count(*) FROM sync_runs WHERE mode = 'targeted'").fetchone()[0]
        )
    finally:
        db.conn.close()


if __name__ == "__main__":
    main()
