"""Issue 20's figures: what captions and chapters cost in requests, and event → published .vtt.

    python benchmarks/bench_captions.py [--media 10000] [--latency-media 1000]
                                        [--latency-ms 50] [--trials 20]

1. Requests (in-process fake, ``--media`` media, 30% of videos captioned in 1 to 3 languages and
   20% with chapters, as ``demo.extras.generate_extras`` draws them): a full crawl with a
   captions budget covering every video, then an incremental run with nothing changed. Beside
   it, in the same run, the baselines: the minimum the 2026-05 API allows (two requests a
   video: ``/medias/{id}/captions`` and ``/medias/{id}/customizations``), and what listing the
   account's captions with ``GET /captions`` costs (pages of 100), which cannot replace the
   per-video requests since its items name no media. CPU seconds of the full crawl with and
   without captions (``--captions-budget 0``), alternating, are the caption phase's own cost.
2. Latency (a fake Wistia over HTTP, every answer delayed ``--latency-ms``, ``--latency-media``
   media, ``wistia-sync webhook serve`` with its defaults: debounce 0.5 s, captions budget 20):
   changes one published video's captions, sends the signed ``media.transcript_updated``, and
   times until the video's published file links a ``.vtt`` holding the new text.

Prints Markdown tables: each figure with its baseline or target and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):  # else the checkout PYTHONPATH names is measured
    sys.path.insert(0, str(ROOT))

import httpx

from benchmarks.bench_webhooks import (
    SECRET,
    TOKEN,
    _healthy,
    free_port,
    serve_environment,
    wait_until,
)
from tests.support.fakewistia.server import FakeWistiaServer, FaultPlan
from tests.support.fakewistia.webhooks import ACCOUNT_ID, WebhookSender, media_event
from wistia_sync.demo import FakeWistia, generate_catalog
from wistia_sync.demo.extras import caption_item, generate_extras, srt
from wistia_sync.publish import publish_site
from wistia_sync.store.db import open_database
from wistia_sync.store.lock import publish_lock_path
from wistia_sync.sync.account import sync_account
from wistia_sync.sync.summary import SyncOptions
from wistia_sync.wistia.client import ClientSettings, WistiaClient

LATENCY_TARGET_P95 = 2.0
REQUESTS_TARGET = 1.2  # at most this times the minimum
CAPTION_PATHS = ("/captions", "/customizations")


def account(count: int) -> FakeWistia:
    media, stats = generate_catalog(count, seed=1)
    captions, customizations = generate_extras(media, seed=1)
    return FakeWistia(media, stats, token=TOKEN, captions=captions, customizations=customizations)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def crawl(api: FakeWistia, folder: str, budget: int) -> tuple[int, int, float]:
    """A full crawl, then an incremental one: (caption requests of each, CPU s of the full)."""
    db = open_database(Path(folder, f"w{budget}.db"), create=True)
    client = WistiaClient(ClientSettings(token=TOKEN, rate_limit=10**9), transport=api.transport())
    counts = []
    with client:
        for full in (True, False):
            before = len(api.request_log)
            started = cpu_seconds()
            sync_account(db, client, SyncOptions(full=full, stats_budget=0, captions_budget=budget))
            spent = cpu_seconds() - started
            asked = api.request_log[before:]
            counts.append(sum(r.path.endswith(CAPTION_PATHS) for r in asked))
            if full:
                full_cpu = spent
    db.conn.close()
    return counts[0], counts[1], full_cpu


def listing_pages(api: FakeWistia) -> int:
    """Requests ``GET /captions`` takes to list every caption of the account, 100 a page."""
    pages = 0
    with httpx.Client(transport=api.transport(), base_url="https://api.wistia.com/modern") as http:
        while True:
            pages += 1
            answer = http.get(
                "/captions",
                params={"page": pages, "per_page": 100},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ).json()
            if len(answer) < 100:
                return pages


def requests_table(count: int) -> None:
    api = account(count)
    eligible = sum(
        1
        for m in api.media()
        if m["type"] == "Video" and m["status"] == "ready" and not m["archived"]
        and not m["protected"]
    )  # fmt: skip
    captioned = sum(1 for m in api.media() if _has(api, m["hashed_id"], "captions"))
    full_requests = incremental_requests = 0
    cpu: dict[int, list[float]] = {0: [], count * 2: []}
    with tempfile.TemporaryDirectory() as folder:
        # Alternating, each on a fresh account and database: without captions, with, again.
        for trial, budget in enumerate((0, count * 2, 0, count * 2)):
            sub = Path(folder, str(trial))
            sub.mkdir()
            full, incremental, spent = crawl(account(count), str(sub), budget)
            cpu[budget].append(spent)
            if budget:
                full_requests, incremental_requests = full, incremental
    pages = listing_pages(api)
    minimum = 2 * eligible
    print(f"Requests: {count:,} media, {eligible:,} eligible videos, {captioned:,} captioned\n")
    print("| measure | requests | baseline | ratio |")
    print("|---|---|---|---|")
    ratio = full_requests / minimum
    print(f"| full crawl: captions + customizations | {full_requests:,} | minimum {minimum:,} "
          f"(2 a video) | {ratio:.2f} (target ≤ {REQUESTS_TARGET}) |")  # fmt: skip
    print(f"| incremental, nothing changed | {incremental_requests} | 0 | |")
    print(f"| `GET /captions` listing the account (100 a page; names no media) | {pages:,} | "
          f"{captioned:,} captioned videos | cannot attribute: not used |")  # fmt: skip
    with_captions = statistics.median(cpu[count * 2])
    without = statistics.median(cpu[0])
    print(
        f"| CPU of the full crawl with / without captions (median of 2) | "
        f"{with_captions:.2f} s / {without:.2f} s | | {with_captions / without:.2f} |\n"
    )


def _has(api: FakeWistia, hashed_id: str, kind: str) -> bool:
    request = httpx.Request(
        "GET",
        f"https://api.wistia.com/modern/medias/{hashed_id}/{kind}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return bool(api.handle(request).json())


def latency_table(count: int, latency_ms: float, trials: int) -> None:
    api = account(count)
    rng = random.Random(2)
    latency = latency_ms / 1000
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api) as server:
        db_path, output = Path(folder, "wistia.db"), Path(folder, "output")
        db = open_database(db_path, create=True)
        with WistiaClient(ClientSettings(token=TOKEN, api_url=server.url, rate_limit=10**9)) as c:
            sync_account(db, c, SyncOptions(full=True, stats_budget=0, captions_budget=count * 2))
        publish_site(db, output, lock_path=publish_lock_path(db_path))
        db.conn.close()
        published = [p.stem for p in (output / "videos").glob("*.json")]
        server.faults = FaultPlan(on_request=lambda n, request, fake: time.sleep(latency))
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "wistia_sync", "webhook", "serve", "--port", str(port),
             "--account-id", ACCOUNT_ID],
            env=serve_environment(server, db_path, output),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        latencies = []
        try:
            wait_until(lambda: _healthy(base), timeout=30)
            with WebhookSender(base + "/webhooks/wistia", SECRET.encode()) as wistia:
                for trial in range(trials):
                    hashed_id = rng.choice(published)
                    line = f"Caption of trial {trial}"
                    api.set_captions(hashed_id, [caption_item("eng", srt([line]))])
                    started = time.perf_counter()
                    wistia.send([media_event("media.transcript_updated", hashed_id)])
                    wait_until(lambda h=hashed_id, t=line: _vtt_says(output, h, t))
                    latencies.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait(timeout=60)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
    print(f"Latency: {count:,} media, {latency_ms:.0f} ms a request, debounce 0.5 s\n")
    print("| measure | figure | target | ratio to target |")
    print("|---|---|---|---|")
    print(f"| media.transcript_updated → published .vtt, p50 ({trials} trials) | {p50:.2f} s | | |")
    print(f"| media.transcript_updated → published .vtt, p95 | {p95:.2f} s | "
          f"≤ {LATENCY_TARGET_P95} s | {p95 / LATENCY_TARGET_P95:.2f} |")  # fmt: skip


def _vtt_says(output: Path, hashed_id: str, text: str) -> bool:
    try:
        video = json.loads((output / "videos" / f"{hashed_id}.json").read_bytes())["video"]
        return any(text in (output / c["url"]).read_text("utf-8") for c in video["captions"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--latency-media", type=int, default=1_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--trials", type=int, default=20)
    arguments = parser.parse_args()
    load = os.getloadavg()
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")  # fmt: skip
    requests_table(arguments.media)
    latency_table(arguments.latency_media, arguments.latency_ms, arguments.trials)


if __name__ == "__main__":
    main()
