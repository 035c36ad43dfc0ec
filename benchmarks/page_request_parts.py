"""What fetching and decoding one list page costs outside the store, single-threaded, on this tree.

    python benchmarks/page_request_parts.py [--pages 200] [--repeat 3]

A fake Wistia (``tests/support/fakewistia/``, 3,000 demo media) runs in a separate process, so
only this process's CPU (``time.process_time``) is counted. For a page of 100 media it reports,
as CPU milliseconds a page (the least of ``--repeat`` rounds, parts alternating):

- ``client``: ``WistiaClient.list_media_page`` (our request path, its parse included);
- ``httpx``: the naive loop's request, ``httpx.Client.get(...).content`` on one connection;
- ``parse``: ``jsonbody.parse_answer`` of the page's bytes (msgspec, generic JSON types);
- ``typed decode``: msgspec decoding the same bytes straight into a ``Struct`` of the fields
  ``records.read_media`` uses (unknown fields skipped): what the issue's typed decode would cost,
  before any of the validation ``records.py`` does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wistia_sync.wistia.client import ClientSettings, WistiaClient
from wistia_sync.wistia.jsonbody import FAST_DEPTH, _nested_json_type, parse_answer

SERVE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog
server = FakeWistiaServer(FakeWistia(*generate_catalog(3000, seed=1), token="t")).start()
print(server.url, flush=True)
sys.stdin.read()  # until the benchmark closes it
"""

Json = _nested_json_type(FAST_DEPTH - 1)


class TypedMedia(msgspec.Struct):
    """The fields ``records.read_media`` reads, as JSON values (``protected``: missing is not
    null)."""

    hashed_id: Json = None
    hashedId: Json = None
    id: Json = None
    name: Json = None
    description: Json = None
    type: Json = None
    status: Json = None
    archived: Json = None
    created: Json = None
    updated: Json = None
    duration: Json = None
    thumbnail: Json = None
    folder: Json = None
    project: Json = None
    tags: Json = None
    assets: Json = None
    protected: Any = msgspec.UNSET


def least_ms(step: Callable[[], object], pages: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(pages):
            step()
        best = min(best, (time.process_time() - started) / pages)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ROOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().decode().strip()
        client = WistiaClient(ClientSettings(token="t", api_url=url))
        plain = httpx.Client(base_url=url + "/", headers={"Authorization": "Bearer t"})
        params = {"archived": "false", "per_page": 100, "sort_by": "created", "sort_direction": 1}
        content = plain.get("medias", params={**params, "page": 1}).content
        typed = msgspec.json.Decoder(list[TypedMedia])
        pages = iter(range(10**9))

        def ours() -> object:
            page = 1 + next(pages) % 25
            return client.list_media_page(
                archived=False, sort_by="created", descending=False, page=page
            )

        def naive() -> object:
            return plain.get("medias", params={**params, "page": 1 + next(pages) % 25}).content

        parts: dict[str, Callable[[], object]] = {
            "client": ours,
            "httpx": naive,
            "parse": lambda: parse_answer(content),
            "typed decode": lambda: typed.decode(content),
        }
        for step in parts.values():
            step()  # warm: connections open, decoders built
        figures = {name: least_ms(step, args.pages, args.repeat) for name, step in parts.items()}
        client.close()
        plain.close()
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    print(f"a page of 100 media ({len(content):,} bytes), CPU ms a page, least of {args.repeat}")
    for name, milliseconds in figures.items():
        print(f"{name:>13}: {milliseconds:.3f}")


if __name__ == "__main__":
    main()
