"""Where a full crawl's wall time goes, from the requests' timestamps, for one or two trees.

    python benchmarks/crawl_timeline.py [--before /tmp/before] [--tree NAME=/tmp/other]
        [--media 10000] [--latency-ms 50] [--repeat 3] [--trace]

Runs ``python -m wistia_sync sync --full --stats-budget 0 --captions-budget 0`` from each tree
(alternately, ``--repeat`` times) against one fake Wistia over real HTTP on 127.0.0.1, and reads
the fake server's log (each request's arrival and answer, on the same monotonic clock as the
process's start and exit). It prints, per tree, medians of: the process's start to its first request
(interpreter, imports, opening and migrating the database, building the client); the list
requests' span; the requests in flight on average over that span and the share of it with
none in flight; the last answer to the process's exit (the tail: the last pages stored,
deletion checks, the final transaction, exit); the naive sequential loop and the 600-a-minute
bound measured in the same run; and CPU seconds from ``wait4``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sync import TOKEN, fresh_crawl_environment, naive_crawl, rate_limit_bound

from tests.support.fakewistia.server import FakeWistiaServer, ServerLogEntry
from wistia_sync.demo import FakeWistia, generate_catalog


@dataclass
class Timeline:
    wall: float
    cpu: float
    requests: int
    first_request: float  # seconds from the process's start
    list_span: float  # first list request's arrival to the last list answer
    in_flight: float  # requests in flight on average over the list span
    idle_share: float  # share of the list span with no request in flight
    last_answer: float  # seconds from the process's start
    tail: float  # last answer to exit
    trace: list[str]  # each request: its arrival and answer, from the process's start


def _trace(log: list[ServerLogEntry], latency: float, started: float) -> list[str]:
    lines = []
    for e in log:
        what = e.path.rsplit("/", 1)[-1]
        if e.param("page") is not None:
            what += f" archived={e.param('archived')} page={e.param('page')}"
        lines.append(f"{e.arrived - started:8.3f} {e.answered + latency - started:8.3f} {what}")
    return lines


def run(tree: Path, server: FakeWistiaServer, folder: Path) -> Timeline:
    env = fresh_crawl_environment(server.url, folder)
    # Play counts and captions are requests a video, not a page: left out of a crawl's figures.
    command = [
        *(sys.executable, "-m", "wistia_sync", "sync", "--full"),
        *("--stats-budget", "0", "--captions-budget", "0"),
    ]
    before = len(server.log)
    with tempfile.TemporaryFile() as error:
        started = time.monotonic()
        process = subprocess.Popen(
            [*command, "--quiet"], env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=error
        )
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.monotonic()
        if os.waitstatus_to_exitcode(status) != 0:
            error.seek(0)
            raise SystemExit(f"the crawl from {tree} failed: {error.read().decode().strip()}")
    log = server.log[before:]
    return _timeline(log, server.latency, started, ended, usage.ru_utime + usage.ru_stime)


def _timeline(
    log: list[ServerLogEntry], latency: float, started: float, ended: float, cpu: float
) -> Timeline:
    # The log's ``answered`` is when the answer was ready; it leaves ``latency`` later.
    lists = [e for e in log if e.path.endswith("/medias") and e.param("page") is not None]
    first = min(e.arrived for e in lists)
    last = max(e.answered for e in lists) + latency
    span = last - first
    # Requests in flight over the span: a sweep over arrivals (+1) and answers (-1).
    events = sorted([(e.arrived, 1) for e in lists] + [(e.answered + latency, -1) for e in lists])
    area = idle = 0.0
    level = 0
    previous = first
    for moment, step in events:
        area += level * (moment - previous)
        if level == 0:
            idle += moment - previous
        level += step
        previous = moment
    return Timeline(
        wall=ended - started,
        cpu=cpu,
        requests=len(log),
        first_request=min(e.arrived for e in log) - started,
        list_span=span,
        in_flight=area / span if span else 0.0,
        idle_share=idle / span if span else 0.0,
        last_answer=max(e.answered for e in log) + latency - started,
        tail=ended - max(e.answered for e in log) - latency,
        trace=_trace(log, latency, started),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="a tree holding wistia_sync/ to compare with")
    parser.add_argument(
        "--tree", action="append", default=[], metavar="NAME=PATH", help="another tree to run"
    )
    parser.add_argument("--media", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trace", action="store_true", help="print the last run's requests")
    arguments = parser.parse_args()
    latency = arguments.latency_ms / 1000
    trees: dict[str, Path] = {}
    if arguments.before is not None:
        trees["before"] = arguments.before.resolve()
    for named in arguments.tree:
        name, _, path = named.partition("=")
        trees[name] = Path(path).resolve()
    trees["after"] = ROOT
    for tree in trees.values():
        compileall.compile_dir(tree / "wistia_sync", quiet=1)
    load_before = os.getloadavg()[0]
    timelines: dict[str, list[Timeline]] = {name: [] for name in trees}
    naive: list[float] = []
    api = FakeWistia(*generate_catalog(arguments.media, seed=1), token=TOKEN)
    with tempfile.TemporaryDirectory() as scratch, FakeWistiaServer(api, latency=latency) as server:
        for _ in range(arguments.repeat):
            naive.append(naive_crawl(server.url)[0])
            for name, tree in trees.items():
                timelines[name].append(run(tree, server, Path(scratch)))
    load_after = os.getloadavg()[0]
    naive_seconds = statistics.median(naive)
    print(
        f"{arguments.media:,} media, {arguments.latency_ms:g} ms latency, medians of "
        f"{arguments.repeat}; {os.cpu_count()} cores, Python {sys.version.split()[0]}, load "
        f"average {load_before:.1f} at start, {load_after:.1f} at the end; naive loop "
        f"{naive_seconds:.3f} s"
    )
    print()
    names = list(trees)
    print("| figure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows: dict[str, list[float]] = {}
    for name in names:
        runs = timelines[name]
        requests = runs[0].requests
        values = {
            "requests": float(requests),
            "wall (s)": statistics.median(t.wall for t in runs),
            "CPU (s)": statistics.median(t.cpu for t in runs),
            "start to first request (s)": statistics.median(t.first_request for t in runs),
            "list requests' span (s)": statistics.median(t.list_span for t in runs),
            "requests in flight, mean over the span": statistics.median(t.in_flight for t in runs),
            "share of the span with none in flight": statistics.median(t.idle_share for t in runs),
            "last answer to exit (s)": statistics.median(t.tail for t in runs),
            "wall / naive loop": statistics.median(t.wall for t in runs) / naive_seconds,
        }
        if requests > 600:
            bound = rate_limit_bound(requests, latency)
            values["wall / the 600-a-minute bound"] = values["wall (s)"] / bound
        for figure, value in values.items():
            rows.setdefault(figure, []).append(value)
    for figure, values in rows.items():
        print(f"| {figure} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    if arguments.trace:
        for name in names:
            print(f"\n{name}: arrival, answer (s from the process's start), request")
            print("\n".join(timelines[name][-1].trace))


if __name__ == "__main__":
    main()
