"""Measure what users wait for, against a fake Wistia over real HTTP on 127.0.0.1.

    python benchmarks/bench_sync.py [--media 10000] [--latency-ms 50] [--crawl-only]

The fake server (``tests/support/fakewistia/``) answers after ``--latency-ms``, as a distant API
would.
In one run, and so on one machine load, it measures:

- a naive sequential page loop over one keep-alive connection (what the peers wystia and
  wistiapy do: ask for a page, parse it, ask for the next), beside our full crawl
  (``sync --full --stats-budget 0``, a CLI process, storing included), with request counts and
  the crawl's peak memory;
- the rate-limit bound: the least time 600 requests a minute allow for the crawl's requests;
- an incremental run with nothing changed, and ``run`` after 50 videos changed in Wistia
  (process start to published output);
- start-up: ``--help`` and ``--version`` against the bare interpreter, and ``tag add`` end to end
  on a 1,000-video database (medians of several runs).

Each figure is printed with its target and its ratio to it (below 1.00 meets the target).
Request counts are exact; times depend on the machine and its load (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fakewistia.server import FakeWistiaServer
from wistia_sync.demo import FakeWistia, generate_catalog

TOKEN = "bench-token"


def fresh_crawl_environment(
    server_url: str, folder: Path, tree: Path | None = None
) -> dict[str, str]:
    """The environment of a crawl into ``folder``'s database, removed first (none of the
    caller's WISTIA settings; ``tree``: the source tree to run, on ``PYTHONPATH``)."""
    for stale in folder.glob("wistia.db*"):
        stale.unlink()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WISTIA")},
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_API_URL": server_url,
        "WISTIA_SYNC_DB": str(folder / "wistia.db"),
        "WISTIA_SYNC_OUTPUT": str(folder / "output"),
    }
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


PER_PAGE = 100
RATE_LIMIT = 600  # requests a minute (Wistia's, and the client's default budget)
STARTUP_RUNS = 21
TAG_ADD_RUNS = 11
TAG_ADD_CATALOG = 1_000
TIME = "/usr/bin/time"  # GNU time (Debian's package "time"), for a child's peak memory


@dataclass
class Figure:
    what: str
    value: float  # seconds, MB or requests
    unit: str
    target: float | None = None
    target_text: str = ""
    requests: int | None = None

    def row(self) -> str:
        value = f"{self.value:,.0f}" if self.unit == "requests" else f"{self.value:.3f}"
        if self.unit == "MB":
            value = f"{self.value:.0f}"
        ratio = "" if not self.target else f"{self.value / self.target:.2f}"
        requests = "" if self.requests is None else f"{self.requests:,}"
        return f"| {self.what} | {requests} | {value} {self.unit} | {self.target_text} | {ratio} |"


def wistia_sync_command() -> list[str]:
    """The installed entry point next to this interpreter (what users run), else ``-m``."""
    script = Path(sys.executable).with_name("wistia-sync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wistia_sync"]


def run_cli(args: Sequence[str], env: dict[str, str]) -> tuple[float, str, float, float]:
    """Run the CLI once: (wall seconds, stdout, its peak resident memory in MB, CPU seconds).

    The peak comes from GNU time, the CLI's own parent: a child forked from this process
    (which holds the whole fake catalog) would report this process's size, kept across exec.
    """
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is missing: install GNU time (apt-get install time)")
    with tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%M %U %S", "-o", peak.name, *wistia_sync_command(), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"wistia-sync {' '.join(args)} failed: {done.stderr.strip()}")
        kilobytes, user, system = peak.read().split()[-3:]
    return elapsed, done.stdout.strip(), int(kilobytes) / 1024, float(user) + float(system)


def median_seconds(command: Sequence[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def naive_crawl(base_url: str) -> tuple[float, int]:
    """The peers' loop: one keep-alive connection, page after page, until a short page."""
    started = time.perf_counter()
    requests = 0
    with httpx.Client(
        base_url=base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        for archived in ("false", "true"):
            page = 1
            while True:
                params = {
                    "archived": archived,
                    "page": page,
                    "per_page": PER_PAGE,
                    "sort_by": "created",
                    "sort_direction": 1,
                }
                response = client.get("medias", params=params)
                requests += 1
                response.raise_for_status()
                if len(response.json()) < PER_PAGE:
                    break
                page += 1
    return time.perf_counter() - started, requests


def rate_limit_bound(requests: int, latency: float) -> float:
    """The least time a sliding window of 600 a minute allows for ``requests`` requests:
    request k leaves no sooner than a minute after request k - 600, then one round trip."""
    return 60.0 * ((requests - 1) // RATE_LIMIT) + latency


def environment(server: FakeWistiaServer, folder: str) -> dict[str, str]:
    return {
        **os.environ,
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_API_URL": server.url,
        "WISTIA_SYNC_DB": f"{folder}/wistia.db",
        "WISTIA_SYNC_OUTPUT": f"{folder}/output",
    }


def crawl_figures(
    media_count: int, latency: float, figures: list[Figure], *, crawl_only: bool
) -> None:
    media, stats = generate_catalog(media_count, seed=1)
    api = FakeWistia(media, stats, token=TOKEN)
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api, latency=latency) as server:
        env = environment(server, folder)
        naive_seconds, naive_requests = naive_crawl(server.url)
        before = len(server.log)
        seconds, output, peak_mb, cpu = run_cli(
            ["sync", "--full", "--stats-budget", "0", "--json"], env
        )
        crawl_requests = len(server.log) - before
        summary = json.loads(output)
        figures.append(
            Figure("naive sequential page loop", naive_seconds, "s", None, "", naive_requests)
        )
        figures.append(
            Figure(
                f"full crawl, `sync --full --stats-budget 0` ({summary['seconds']:.2f} s in the "
                f"sync itself; {cpu:.2f} s of CPU)",
                seconds,
                "s",
                0.3 * naive_seconds,
                "≤ 0.3 x naive (issue 19)",
                crawl_requests,
            )
        )
        passes = 2
        figures.append(
            Figure(
                "full crawl requests",
                crawl_requests,
                "requests",
                naive_requests + 3 * passes,
                f"≤ naive + 3 a pass ({naive_requests + 3 * passes})",
            )
        )
        figures.append(Figure("full crawl peak memory", peak_mb, "MB", 120, "≤ 120 MB"))
        if crawl_requests > RATE_LIMIT:
            bound = rate_limit_bound(crawl_requests, latency)
            figures.append(
                Figure(
                    f"full crawl vs the rate-limit bound ({bound:.1f} s for its requests)",
                    seconds,
                    "s",
                    1.05 * bound,
                    "within 5 % of the bound (issue 19)",
                    crawl_requests,
                )
            )

        if crawl_only:
            return
        processing = api_processing(api)
        # The generated catalog stamps hundreds of media with one `updated`, inside the 10-minute
        # overlap behind the watermark: incremental runs read past them until edits move the
        # watermark (docs/benchmarks.md). So: warm up, edit 50 videos, then measure.
        run_cli(["run", "--stats-budget", "0", "--quiet"], env)
        for item in api.media()[:50]:
            api.update(item["hashed_id"], name=item["name"] + " (edited)")
        before = len(server.log)
        seconds, output, _, cpu = run_cli(["run", "--stats-budget", "0", "--json"], env)
        figures.append(
            Figure(
                "`run` after 50 videos changed: start to published output "
                f"(sync {json.loads(output)['seconds']:.2f} s of it; {cpu:.2f} s of CPU)",
                seconds,
                "s",
                1.0,
                "≤ 1 s",
                len(server.log) - before,
            )
        )
        before = len(server.log)
        run_cli(["sync", "--stats-budget", "0", "--quiet"], env)
        incremental_requests = len(server.log) - before
        expected = 2 + math.ceil(processing / 100)
        figures.append(
            Figure(
                f"incremental, nothing changed ({processing} media processing)",
                incremental_requests,
                "requests",
                expected,
                f"2 + 1 per 100 processing ({expected})",
            )
        )


def api_processing(api: FakeWistia) -> int:
    return sum(1 for m in api.media() if m["status"] != "ready" and not m["archived"])


def startup_figures(figures: list[Figure]) -> None:
    env = dict(os.environ)
    bare = median_seconds([sys.executable, "-c", "pass"], env, STARTUP_RUNS)
    figures.append(Figure("bare interpreter (`python -c pass`)", bare, "s"))
    for flag in ("--help", "--version"):
        seconds = median_seconds([*wistia_sync_command(), flag], env, STARTUP_RUNS)
        figures.append(
            Figure(
                f"`wistia-sync {flag}` ({seconds / bare:.1f} x bare)",
                seconds,
                "s",
                0.12,
                "≤ 0.12 s",
            )
        )
    media, stats = generate_catalog(TAG_ADD_CATALOG, seed=2)
    api = FakeWistia(media, stats, token=TOKEN)
    with tempfile.TemporaryDirectory() as folder, FakeWistiaServer(api) as server:
        env = environment(server, folder)
        run_cli(["run", "--stats-budget", "0", "--quiet"], env)
        video = media[0]["hashed_id"]
        times = []
        for n in range(TAG_ADD_RUNS):
            seconds, *_ = run_cli(["tag", "add", video, f"bench-{n}"], env)
            times.append(seconds)
        figures.append(
            Figure(
                f"`tag add` end to end, {TAG_ADD_CATALOG:,} videos (republish included)",
                statistics.median(times),
                "s",
                0.2,
                "≤ 0.2 s",
            )
        )


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--crawl-only",
        action="store_true",
        help="Only the crawl figures (no incremental run, publish or start-up): for 100k.",
    )
    arguments = parser.parse_args()
    latency = arguments.latency_ms / 1000

    print(f"{arguments.media:,} media, {arguments.latency_ms:g} ms latency; {machine()}\n")
    figures: list[Figure] = []
    crawl_figures(arguments.media, latency, figures, crawl_only=arguments.crawl_only)
    if not arguments.crawl_only:
        startup_figures(figures)
    print("| what | requests | measured | target | ratio |")
    print("|---|---:|---:|---|---:|")
    for figure in figures:
        print(figure.row())


if __name__ == "__main__":
    main()
