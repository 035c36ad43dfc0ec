"""Scenario 1: every fault the network and Wistia can produce, alone and mixed at a steady rate.

Each case runs ``wistia-sync run`` (what cron calls) in a subprocess against a fake account that
changed since the last run, with editors' changes already made, and a fault plan. Whatever the
fault, the run either completes with the exact catalog, or fails with one clear line having
deleted nothing, kept both watermarks, lost no editor change and left the output valid. Then a
run without faults converges: the database mirrors the account and the output is exactly what a
fresh publish of the database gives.

One media's own request failing on every attempt (its stats, the check confirming its deletion)
is the exception: the run completes, keeps that media, backs off from asking again, and the
first run after the backoff with Wistia answering converges.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.conftest import MakeScene, Scene
from tests.reliability.harness import (
    EditorBook,
    Ledger,
    Workspace,
    connect,
    deleted_ids,
    edit_some,
    failure_problems,
    fresh_publish,
    max_updated,
    mirror_problems,
    mutate_account,
    output_differences,
    output_problems,
    state,
    watermarks,
    wrongly_deleted,
)
from tests.support.fakewistia.server import (
    ANY,
    LIST,
    SHOW,
    STATS,
    FakeWistiaServer,
    Fault,
    FaultPlan,
    drop_connection,
    empty_first_page,
    invalid_json,
    rate_limited,
    server_error,
    slow,
    steady_rate,
    timeout,
    truncated_json,
    unauthorized,
)
from wistia_sync.demo.api import FakeWistia

SCENARIO = "1. faults"
CATALOG_SIZE = 230  # three pages of active media, so faults can hit a crawl half-way
CATALOG_SEED = 5
STATS_BUDGET = "12"


@dataclass(frozen=True)
class Case:
    """One fault plan and what the run must do under it."""

    name: str  # what was injected, as the report shows it
    plan: FaultPlan
    completes: bool  # True: the run must complete with the exact catalog; False: must fail
    message: str = ""  # for a failing run: a regex its error line must match
    full: bool = True  # a full crawl (listing, deletion checks, stats) or an incremental run
    retry_after: float | None = None  # the Retry-After sent, to check the client waited it
    either: bool = False  # the run may complete or fail (random faults): both are checked


def _plan(*rules: tuple[int, Fault, str, int]) -> FaultPlan:
    plan = FaultPlan()
    for n, fault, path, times in rules:
        plan.at(n, fault, path=path, times=times)
    return plan


def single_fault_cases() -> list[Case]:
    return [
        Case(
            "HTTP 429 + Retry-After: 1 (2nd listing page)",
            _plan((2, rate_limited(429, retry_after=1), LIST, 1)),
            completes=True,
            retry_after=1.0,
        ),
        Case(
            "HTTP 503 + Retry-After: 1 (stats)",
            _plan((3, rate_limited(503, retry_after=1), STATS, 1)),
            completes=True,
            retry_after=1.0,
        ),
        Case(
            "HTTP 500 twice (1st listing page)",
            _plan((1, server_error(500), LIST, 2)),
            completes=True,
        ),
        Case("HTTP 502 (deletion check)", _plan((1, server_error(502), SHOW, 1)), completes=True),
        Case("slow answers, 0.2 s (listing)", _plan((1, slow(0.2), LIST, 3)), completes=True),
        Case("timeouts twice (stats)", _plan((1, timeout(1.0), STATS, 2)), completes=True),
        Case(
            "dropped connection (listing)", _plan((3, drop_connection(), LIST, 1)), completes=True
        ),
        Case("truncated JSON (listing)", _plan((2, truncated_json(), LIST, 1)), completes=True),
        Case("invalid JSON (deletion check)", _plan((1, invalid_json(), SHOW, 1)), completes=True),
        Case(
            "empty first page (full crawl)",
            _plan((1, empty_first_page(), LIST, 1)),
            completes=False,
            message=r"missing from Wistia's listing; nothing was deleted",
        ),
        Case(
            "HTTP 401 mid-crawl (token revoked)",
            FaultPlan().starting_at(3, unauthorized()),
            completes=False,
            message=r"Wistia rejected the API token \(unauthorized_credentials",
        ),
        Case(
            # Every listing request from the 2nd on: pages are fetched several at once, so five
            # consecutive faulty requests would be spread over several pages.
            "HTTP 429 on all 5 attempts (listing)",
            FaultPlan().starting_at(2, rate_limited(429, retry_after=0.1), path=LIST),
            completes=False,
            message=r"Wistia is unavailable: 5 attempts at GET /medias failed \(last: HTTP 429\)",
            retry_after=0.1,
        ),
        Case(
            "Retry-After: 600 (longer than a cron run may wait)",
            _plan((2, rate_limited(503, retry_after=600), LIST, 1)),
            completes=False,
            message=r"Wistia asked us to wait 600 s \(HTTP 503\); giving up for this run",
        ),
        Case(
            "timeouts on every attempt (stats)",
            FaultPlan().starting_at(2, timeout(1.0), path=STATS),
            completes=False,
            message=r"Wistia is unavailable: 5 attempts at GET /medias/\w+/stats failed "
            r"\(last: timed out",
        ),
        Case(
            "dropped connections on all 5 attempts (incremental listing)",
            _plan((1, drop_connection(), LIST, 5)),
            completes=False,
            message=r"Wistia is unavailable: 5 attempts .* \(last: connection failed",
            full=False,
        ),
        Case(
            "truncated JSON on all 5 attempts (incremental listing)",
            _plan((1, truncated_json(), LIST, 5)),
            completes=False,
            message=r"Wistia is unavailable: 5 attempts",
            full=False,
        ),
    ]


RETRYABLE: tuple[Fault, ...] = (
    rate_limited(429, retry_after=0.2),
    rate_limited(503, retry_after=0.2),
    server_error(500),
    server_error(503),
    slow(0.1),
    timeout(1.0),
    drop_connection(),
    truncated_json(),
    invalid_json(),
)


def mixed_cases(seeds: int) -> list[Case]:
    cases = []
    for seed in range(seeds):
        cases.append(
            Case(
                "every retryable fault mixed into 15 % of requests",
                steady_rate(0.15, RETRYABLE, seed=seed, path=ANY),
                completes=True,
                retry_after=0.2,
            )
        )
        cases.append(
            Case(
                "every retryable fault mixed into 35 % of requests",
                steady_rate(0.35, RETRYABLE, seed=100 + seed, path=ANY),
                completes=False,
                message=r"Wistia is unavailable: 5 attempts",
                retry_after=0.2,
                either=True,
            )
        )
    return cases


def retry_after_violations(server: FakeWistiaServer, retry_after: float) -> list[str]:
    """Retries of a rate-limited request that came sooner than its ``Retry-After`` allowed."""
    log = server.log
    problems = []
    for index, entry in enumerate(log):
        if entry.fault != "rate_limited":
            continue
        retry = next(
            (
                later
                for later in log[index + 1 :]
                if later.path == entry.path and later.params == entry.params
            ),
            None,
        )
        if retry is None:
            continue  # the run gave up, or was told to wait longer than it may
        waited = retry.arrived - entry.answered
        if waited < retry_after - 0.02:
            problems.append(f"{entry.path} retried after {waited:.3f} s < {retry_after} s")
    return problems


def run_case(case: Case, scene: MakeScene, ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    api, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    book = EditorBook(ws.db)
    edit_some(book, ws, rng)
    mutate_account(api, rng)
    before_marks, before_deleted = watermarks(ws.db), deleted_ids(ws.db)

    server.faults = case.plan
    args = ["run", "--stats-budget", STATS_BUDGET, *(["--full"] if case.full else [])]
    faulty = ws.cli(*args)
    injected = sum(case.plan.injected.values())
    problems: list[str] = []
    completed = faulty.returncode == 0
    if completed:
        if case.full:
            problems += mirror_problems(ws.db, api)
            marks = watermarks(ws.db)
            for key, value in max_updated(api).items():
                if marks.get(key, "") < value:
                    problems.append(f"{key} is {marks.get(key)} after a full crawl, not {value}")
    else:
        problems += failure_problems(faulty)
        if case.message and not re.search(case.message, faulty.stderr):
            problems.append(f"error line does not match {case.message!r}: {faulty.stderr!r}")
        if watermarks(ws.db) != before_marks:
            problems.append(f"watermarks moved: {before_marks} -> {watermarks(ws.db)}")
        if deleted_ids(ws.db) != before_deleted:
            problems.append("a failed run deleted media")
    if case.completes and not completed:
        problems.append("the run failed although every fault was retryable")
    if not case.completes and not case.either and completed:
        problems.append("the run completed although the fault should have stopped it")
    if case.retry_after is not None:
        problems += retry_after_violations(server, case.retry_after)
    problems += [f"wrongly deleted {h}" for h in wrongly_deleted(ws.db, api)]
    checks = [output_problems(ws.output, converged=True)]
    lost = book.lost() + book.unpublished_in_output(ws.output)
    runs = 1
    if not completed or not case.full:
        server.faults = FaultPlan()
        after = ws.cli("run", "--full", "--stats-budget", STATS_BUDGET)
        runs += 1
        if after.returncode != 0:
            problems.append(f"the next run failed: {after.describe()}")
        problems += mirror_problems(ws.db, api)
        checks.append(output_problems(ws.output, converged=True))
        lost += book.lost() + book.unpublished_in_output(ws.output)
    problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))

    held = "completed with the exact catalog" if completed else "failed with one clear line"
    ledger.record(
        SCENARIO,
        case.name,
        times=injected,
        runs=runs,
        files_checked=sum(check.files for check in checks),
        lost_changes=len(lost),
        invalid_files=sum(check.invalid for check in checks),
        held=f"{held}; nothing wrongly deleted, watermarks kept, output converged",
        test=f"seed {seed}",
    )
    assert injected > 0, "the fault plan injected nothing: this case proves nothing"
    assert not lost, lost
    for check in checks:
        assert not check.problems, check.problems
    assert not problems, f"{problems}\n{faulty.describe()}"


def astuple_scene(scene: Scene) -> tuple[FakeWistia, FakeWistiaServer, Workspace]:
    return scene.api, scene.server, scene.ws


@pytest.mark.parametrize("case", single_fault_cases(), ids=lambda case: case.name)
def test_single_fault_completes_exactly_or_fails_clearly_and_next_run_converges(
    case: Case, scene: MakeScene, ledger: Ledger
) -> None:
    run_case(case, scene, ledger, seed=sum(map(ord, case.name)))


def test_faults_mixed_at_a_steady_rate_lose_nothing_and_converge(
    scene: MakeScene, ledger: Ledger, soak: bool
) -> None:
    for index, case in enumerate(mixed_cases(8 if soak else 2)):
        run_case(case, scene, ledger, seed=1000 + index)


def test_empty_first_page_of_an_incremental_run_keeps_that_pass_watermark(
    scene: MakeScene, ledger: Ledger
) -> None:
    """An empty page 1 looks like "nothing changed": the pass must not advance its watermark,
    so the next run still sees the changes it hid."""
    rng = random.Random(7)
    api, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    before = watermarks(ws.db)
    mutate_account(api, rng)
    plan = server.faults = FaultPlan().at(1, empty_first_page(), path=LIST)
    faulty = ws.cli("run", "--stats-budget", STATS_BUDGET)
    assert faulty.returncode == 0, faulty.describe()
    assert watermarks(ws.db)["watermark:active"] == before["watermark:active"]
    server.faults = FaultPlan()
    after = ws.cli("run", "--stats-budget", STATS_BUDGET)
    assert after.returncode == 0, after.describe()
    problems = mirror_problems(ws.db, api, deletions=False)
    check = output_problems(ws.output, converged=True)
    problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    ledger.record(
        SCENARIO,
        "empty first page (incremental run)",
        times=sum(plan.injected.values()),
        runs=2,
        files_checked=check.files,
        lost_changes=0,
        invalid_files=check.invalid,
        held="watermark kept; the next incremental run picked up every change",
    )
    assert sum(plan.injected.values()) == 1
    assert not check.problems, check.problems
    assert not problems, problems


@pytest.mark.parametrize("variable", ["WISTIA_SYNC_HTTP_TIMEOUT", "WISTIA_SYNC_HTTP_BACKOFF"])
def test_http_tuning_variables_refuse_what_is_not_a_positive_number(
    variable: str, scene: MakeScene
) -> None:
    server, ws = (s := scene(CATALOG_SIZE, CATALOG_SEED)).server, s.ws
    result = ws.cli("run", env={variable: "-1"})
    assert result.returncode == 2, result.describe()
    assert not failure_problems(result), result.describe()
    assert f"{variable} must be a positive number of seconds" in result.stderr
    assert not server.log


# -- one media failing on every attempt -----------------------------------------------------------


def _warnings(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def _media_failures(ws: Workspace) -> dict[str, Any]:
    result = ws.cli("status", "--json")
    assert result.returncode == 0, result.describe()
    failures: dict[str, Any] = json.loads(result.stdout)["media_failures"]
    return failures


def _time_passes_until_retries_are_due(ws: Workspace) -> None:
    """What the backoff waits for (hours), without waiting: every retry falls due now."""
    with connect(ws.db) as conn:
        conn.execute("UPDATE media_failures SET retry_at = '2000-01-01T00:00:00Z'")
        conn.commit()


def _stalest_video(ws: Workspace) -> str:
    """The video whose stats the next run asks for first."""
    with connect(ws.db) as conn:
        row = conn.execute(
            "SELECT hashed_id FROM videos WHERE type = 'Video' AND status = 'ready' "
            "AND archived = 0 AND deleted_at IS NULL "
            "ORDER BY plays_fetched_at IS NOT NULL, plays_fetched_at, hashed_id LIMIT 1"
        ).fetchone()
    return str(row[0])


def test_a_media_whose_stats_always_fail_is_backed_off_while_every_run_succeeds(
    scene: MakeScene, ledger: Ledger
) -> None:
    api, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    victim = _stalest_video(ws)
    victim_stats = rf"/medias/{victim}/stats$"
    api.set_plays(victim, 4321)
    server.faults = plan = FaultPlan().starting_at(1, server_error(500), path=victim_stats)

    first = ws.cli("run", "--stats-budget", STATS_BUDGET)
    assert first.returncode == 0, first.describe()
    assert len(server.requests(victim_stats)) == 5  # every attempt, then on with the run
    others = [e for e in server.requests(STATS) if not re.search(victim_stats, e.path)]
    assert len(others) == int(STATS_BUDGET) - 1 and all(e.status == 200 for e in others)
    (warning,) = _warnings(first)
    assert "stats failed on every attempt (retried later, with a backoff): 1" in warning
    failing = _media_failures(ws)
    assert failing["stats"] == 1 and failing["deletion_checks"] == 0
    assert failing["next_retry"]["hashed_id"] == victim
    assert failing["next_retry"]["retry_at"] > state(ws.db)["last_full_crawl"]
    assert "HTTP 500" in failing["next_retry"]["error"]
    text = ws.cli("status").stdout
    assert "backing off: 1 media whose requests failed on every attempt (1 stats); " in text
    assert f"next retry {victim} (stats, 1 failure) at " in text

    # Backing off: the next run does not ask again, and is not stopped by it.
    asked = len(server.requests(victim_stats))
    second = ws.cli("run", "--stats-budget", STATS_BUDGET)
    assert second.returncode == 0, second.describe()
    assert len(server.requests(victim_stats)) == asked
    assert not _warnings(second)

    # Once the retry is due and Wistia answers, the failure is cleared and the plays stored.
    _time_passes_until_retries_are_due(ws)
    server.faults = FaultPlan()
    third = ws.cli("run", "--stats-budget", STATS_BUDGET)
    assert third.returncode == 0, third.describe()
    assert len(server.requests(victim_stats)) == asked + 1
    assert _media_failures(ws)["media"] == 0
    with connect(ws.db) as conn:
        plays = conn.execute("SELECT plays FROM videos WHERE hashed_id = ?", [victim]).fetchone()
    assert plays[0] == 4321
    ledger.record(
        SCENARIO,
        "one media's stats HTTP 500 on every attempt, every run",
        times=sum(plan.injected.values()),
        runs=3,
        files_checked=0,
        lost_changes=0,
        invalid_files=0,
        held="each run completed; the media backed off, then was fetched when due",
    )


def test_a_deletion_check_failing_on_every_attempt_keeps_the_media_and_the_full_crawl_completes(
    scene: MakeScene, ledger: Ledger
) -> None:
    api, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    gone = sorted(m["hashed_id"] for m in api.media())[7]
    api.delete(gone)
    check = rf"/medias/{gone}$"
    last_full = state(ws.db)["last_full_crawl"]
    server.faults = plan = FaultPlan().starting_at(1, server_error(500), path=check)

    first = ws.cli("run", "--full", "--stats-budget", "0")
    assert first.returncode == 0, first.describe()
    assert len(server.requests(check)) == 5
    assert gone not in deleted_ids(ws.db)  # never deleted on a check that did not confirm it
    assert state(ws.db)["last_full_crawl"] > last_full  # the full crawl completed
    assert not mirror_problems(ws.db, api, deletions=False)
    (warning,) = _warnings(first)
    assert "deletion check failed on every attempt (media kept" in warning
    assert _media_failures(ws)["deletion_checks"] == 1

    asked = len(server.requests(check))
    second = ws.cli("run", "--stats-budget", "0")  # incremental: the check is backing off
    assert second.returncode == 0, second.describe()
    assert len(server.requests(check)) == asked

    # Due, and Wistia answers 404: an incremental run confirms the deletion.
    _time_passes_until_retries_are_due(ws)
    server.faults = FaultPlan()
    third = ws.cli("run", "--stats-budget", "0")
    assert third.returncode == 0, third.describe()
    assert [e.status for e in server.requests(check)][asked:] == [404]
    assert gone in deleted_ids(ws.db)
    assert not mirror_problems(ws.db, api)
    assert _media_failures(ws)["media"] == 0
    check_output = output_problems(ws.output, converged=True)
    assert not check_output.problems, check_output.problems
    assert not output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    ledger.record(
        SCENARIO,
        "one deletion check HTTP 500 on every attempt (full crawl)",
        times=sum(plan.injected.values()),
        runs=3,
        files_checked=check_output.files,
        lost_changes=0,
        invalid_files=check_output.invalid,
        held="the media was kept, the full crawl completed, the next due check deleted it",
    )


def test_many_deletion_checks_failing_never_make_every_full_crawl_fail(scene: MakeScene) -> None:
    """Six missing media whose checks always fail: once they are due again, the full crawl
    retries at most MAX_RETRIES_A_RUN of them, last, so they never look like an outage (all six
    in a row made every due full crawl fail, and the full-crawl time stopped advancing)."""
    api, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    gone = sorted(m["hashed_id"] for m in api.media())[:6]
    for hashed_id in gone:
        api.delete(hashed_id)
    check = rf"/medias/({'|'.join(gone)})$"
    server.faults = FaultPlan().starting_at(1, server_error(500), path=check)

    ws.cli("run", "--full", "--stats-budget", "0")  # five in a row: taken for an outage
    _time_passes_until_retries_are_due(ws)
    due = ws.cli("run", "--full", "--stats-budget", "0")

    assert due.returncode == 0, due.describe()
    assert not set(gone) & deleted_ids(ws.db)  # never deleted on an unconfirmed check


def test_a_quiet_run_reports_a_media_only_once_its_failure_persists(scene: MakeScene) -> None:
    """cron runs --quiet: one failed retry is not worth a mail, a third in a row is."""
    _, server, ws = astuple_scene(scene(CATALOG_SIZE, CATALOG_SEED))
    victim = _stalest_video(ws)
    server.faults = FaultPlan().starting_at(1, server_error(500), path=rf"/medias/{victim}/stats$")
    quiet_run = ("run", "--quiet", "--stats-budget", STATS_BUDGET)
    for _ in range(2):
        result = ws.cli(*quiet_run)
        assert result.returncode == 0 and result.stdout == result.stderr == "", result.describe()
        _time_passes_until_retries_are_due(ws)
    third = ws.cli(*quiet_run)
    assert third.returncode == 0 and third.stdout == "", third.describe()
    assert third.stderr == (
        "warning: 1 media failed on every attempt 3 runs in a row or more, each retried later "
        "with a longer backoff (see `wistia-sync status`)\n"
    )
    assert _media_failures(ws)["next_retry"]["failures"] == 3
