"""Run the reliability suite and write docs/reliability.md from what it measured.

    .venv/bin/python scripts/reliability_report.py            # the CI-sized runs (about 3 min)
    .venv/bin/python scripts/reliability_report.py --soak     # the longer variants

Each scenario test appends one JSON line per thing it injected to the file named by
``WISTIA_SYNC_RELIABILITY_LOG`` (what, how many times, how many runs and files it checked, how
many editor changes were lost and output files invalid, what held). This script runs pytest on
``tests/reliability`` with that variable set, then turns the lines into the table of
docs/reliability.md, so every figure in it comes from a real run. It exits non-zero if a test
failed or any editor change was lost or any output file was invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
LEDGER_ENV = "WISTIA_SYNC_RELIABILITY_LOG"
FIELDS = ("times", "runs", "files_checked", "lost_changes", "invalid_files")

INTRO = """\
# Reliability: what was injected, and what held

Cron runs `wistia-sync run` unattended against a remote API, editors change the database at the
same time, and the files it writes are public. This page is the record of the suite in
`tests/reliability/` that tries to break those promises: it runs the real CLI in subprocesses,
exactly as cron does (configured through `WISTIA_API_URL`, `WISTIA_API_TOKEN`, `WISTIA_SYNC_DB`
and `WISTIA_SYNC_OUTPUT`), against a fake Wistia server on 127.0.0.1 that injects faults, changes
the catalog mid-crawl, and logs every request with its arrival time. Scenario 12 delivers to a
real S3-compatible store (SeaweedFS) through a fault-injecting proxy
(`tests/support/faultproxy.py`: 503 SlowDown, dropped or delayed requests chosen by path) and
counts a file as checked for each bucket object and output file it compared.

Regenerate it (the same runs CI makes, about three minutes on 2 cores; add `--soak` for the
longer variants: more kills, seeds and rounds, a minute of concurrency):

    .venv/bin/python scripts/reliability_report.py

Every figure below was counted by the tests during that run; none is written by hand.

- **Times**: how many times the fault was injected (faulted requests as the server decided them,
  kills that landed, commands run on a malformed database, …).
- **Runs**: CLI processes run in that scenario and checked afterwards.
- **Files checked**: output files read and checked (valid UTF-8 JSON, the strict schema, links
  that lead to existing files, files.json's sha256 and size once a publish completed); for the
  readers' scenario, the pages fetched over HTTP.
- **Lost editor changes** and **invalid output files** must be zero: any other figure fails the
  suite.
"""

# (defect, fix, test that proves it): found by this suite, fixed with it.
DEFECTS = (
    (
        "A `run` killed (or failed) after committing its sync but before publishing left the "
        "output behind the database for good: the next `run` found nothing new to sync, so it "
        "did not publish. The same after a failed publish (full disk, read-only folder) and "
        "after editor commands run with `--no-publish`.",
        "Migration `m002_content_version`: triggers count every change to published columns in "
        "the same transaction; a publish records the version it read; `run` also publishes "
        "when the output is behind.",
        "`test_kill.py::test_a_run_killed_after_its_sync_publishes_on_the_next_run`, "
        "`test_disk.py::test_a_read_only_output_folder_fails_clearly_changes_no_file_and_recovers`",
    ),
    (
        "The stats of a video deleted in Wistia since the last full crawl answer 404, which "
        "failed every incremental run until the next full crawl (so no watermark moved).",
        "`get_stats` answers `NoStats` for 404 as for 400; the sync records it on the video, "
        "and the next full crawl confirms the deletion.",
        "`test_catalog_changes.py::test_a_video_deleted_between_full_crawls_does_not_fail_the_"
        "stats_of_an_incremental_run`",
    ),
    (
        "A database damaged in a page only some statements read (an index, `sync_runs`, "
        "`published_files`) was opened and written to by `run` and editor commands, some of "
        "which exited 0.",
        "`run` and `sync` open the database with `PRAGMA quick_check` before anything that "
        "writes (about 5 ms per 1,000 videos) and refuse a damaged file untouched; editor "
        "commands (issue 9: no whole-file scan on their path) check the header and schema on "
        "open and roll back, with one clear line, any change that runs into damage.",
        "`test_malformed.py::test_damage_only_some_statements_read_is_refused_before_any_write`, "
        "`test_malformed.py::test_an_editor_command_meeting_damage_says_so_and_changes_nothing`",
    ),
    (
        "A full disk or a read-only output folder surfaced as `unexpected OSError …`, and an "
        "editor was not told that the change itself was kept.",
        "Publishing turns `OSError` into one line naming the folder and the cause; editors read "
        "`…, but publishing failed: …; run wistia-sync publish to catch up`.",
        "`test_disk.py`",
    ),
    (
        'An error quoting an argument that looks like terminal markup (`tag add "[/bold]" x`) '
        "crashed with a traceback, or lost part of the message.",
        "The error line is escaped before it is printed.",
        "`test_security.py::test_hostile_names_give_safe_files_and_valid_json_that_keeps_them_"
        "exactly`",
    ),
    (
        "An error body echoing the `Authorization` header (400/401/403/404/422) put the token "
        "unredacted in `sync_runs.error`, `status`, `status --json` and `--debug` tracebacks.",
        "The client scrubs the token from every quoted body, and every error is redacted when "
        "it is created (`errors.WistiaSyncError`), whatever path stores or prints it.",
        "`test_untrusted.py::test_an_echoed_authorization_header_is_stored_and_printed_nowhere`, "
        "`test_untrusted_client.py`",
    ),
    (
        "One bad media record (lone surrogate, NUL or newline in `hashed_id`, `id` 10**30, "
        "`created` in year 9999, `name: null`) failed every run; a missing `status`/`archived` "
        "meant ready/active; `run` then skipped its republish, so archived and deleted videos "
        "stayed public.",
        "Records are validated one by one (`models.read_media`): unstorable ones are "
        "quarantined in `rejected_media` (migration `m003_rejected_media`), the rest stored "
        "repaired; unknown state is never published; `run` republishes after any failure.",
        "`test_untrusted.py::test_bad_records_never_keep_the_site_stale`, "
        "`test_untrusted_records.py`, `test_untrusted_cli.py::test_any_failure_of_run_still_"
        "republishes_when_the_output_is_behind`",
    ),
    (
        "A stats answer of one media (403 'not on your plan', 422, `plays: 7.5`, a body that is "
        "not stats) aborted the whole run, so no deletion or watermark committed.",
        "`get_stats` returns `NoStats` for conditions of one media; the run records it on the "
        "media and goes on.",
        "`test_untrusted_records.py::test_a_failure_in_one_media_stats_is_recorded_and_never_"
        "aborts_the_run`",
    ),
    (
        "A server trickling a byte every 50 ms held a request for ever (the timeout was per "
        "read); a huge body was read whole into memory; a far-future `updated` pinned the "
        "watermark; a hashed id could steer a request path.",
        "A total deadline per answer, a size cap (`WISTIA_SYNC_MAX_RESPONSE_BYTES`), watermarks "
        "clamped to the server's `Date` + 5 min, hashed ids validated and percent-encoded.",
        "`test_untrusted.py::test_a_hostile_server_cannot_hold_a_run`, `test_untrusted_client.py`",
    ),
    (
        "Local mistakes surfaced as `unexpected …` or 'Wistia is unavailable' after five "
        "attempts: `--db` in a missing folder, a busy database, an SQLite file of another "
        "application (migrated!), a token with a BOM, `--api-url`/`--api-version` with CR/LF, "
        "huge numbers, non-UTF-8 arguments.",
        "Each is one line and exit 2 (busy: 75) before anything is touched; the foreign file is "
        "refused unchanged.",
        "`test_untrusted_cli.py`, "
        "`test_untrusted.py::test_a_read_only_database_folder_is_one_clear_line_and_changes_"
        "nothing`",
    ),
    (
        "A misspelt `--db` made `status`, `videos`, `tag`, `publish` (and every other command) "
        "create an empty database and exit 0; `publish --db typo.db` with `WISTIA_SYNC_OUTPUT` at"
        " the live folder wrote an empty catalog over the site; a 0-byte database file was taken "
        "for a new one, so `run` republished hidden videos and dropped editors' tags; `run --db "
        "<missing folder>/w.db` was `unexpected FileNotFoundError`, exit 1.",
        "Only `sync` and `run` create a database (`open_database(create=True)`), built beside its"
        " path and linked into place whole, only where no file exists; other commands open with "
        "SQLite's `mode=rw`; a missing, 0-byte or table-less file is one line, exit 2, for every "
        "command; `run` checks the path before making its lock file.",
        "`test_database_paths.py` (every command with `--db`, found by walking the CLI)",
    ),
    (
        "A publish could take the whole site down: another site's or an empty database, a wrong "
        "`--output`, Wistia wrongly archiving most media.",
        "The mass-unpublish guard (`publish/guard.py`): more than half of what the output holds "
        "and more than 10 videos stops every publishing path, exit 1, unless "
        "`--allow-mass-unpublish`; editors' hides never count.",
        "`test_mass_unpublish.py`",
    ),
    (
        "A full disk under the database read `unexpected OSError` (the lock file), `disk I/O "
        "error` (SQLite's -wal/-shm), and a database that could not be created whole was left "
        "half-made.",
        "The lock file and SQLite's I/O errors with under 1 MiB free say `no space left on the "
        "disk holding PATH`; creation leaves nothing behind.",
        "`test_database_full_disk.py` (a real tmpfs, `PRAGMA max_page_count`, an injected ENOSPC)",
    ),
    (
        "`site --grace 600` stored 25 days: a bare number meant hours in `--grace`, "
        "`--takedown-grace`, `--full-every`, seconds elsewhere.",
        "One parser, `config.parse_duration`: `600s`, `10m`, `24h`, `7d`, a bare number in "
        "seconds, `DURATION` in `--help`, errors naming the option and its range.",
        "`test_durations.py`",
    ),
    (
        "Names from Wistia reached editors' terminals with raw ESC/OSC and bidi-override "
        "characters; `Café` and `Cafe\\u0301` were two tags; `--quiet` did not silence "
        "per-record warnings; `status` assumed a 24 h `--full-every`.",
        "Terminal text is escaped; tag names are NFC; warnings are one line, none with "
        "`--quiet`; `status --full-every`.",
        "`test_untrusted_cli.py`",
    ),
    (
        "`run --demo` at a real terminal (the README's first command) failed with `TypeError: "
        "'_ConsoleOnFirstUse' object does not support the context manager protocol`: the database "
        "and site were left empty and the cursor hidden. Only a terminal reached that code.",
        "Rich's progress display is given a real `Console`, built on first use by a cached "
        "function (no stand-in); the README's walkthrough runs in an 80-column pseudo-terminal in "
        "the suite.",
        "`test_terminal.py` (pty + VT100 emulator: exit codes, screen, cursor)",
    ),
    (
        "A password-protected media (Wistia's `protected`) was published with its name, "
        "description, thumbnail, embed and HLS URLs.",
        "Migration `m008_protected_media` stores it; `catalog/rules.py` is the one definition of "
        "published, read by the publisher, `videos list/show` and `status`.",
        "`test_privacy.py`, the random-mix scenario above",
    ),
    (
        "A page retired earlier (by an edit to another video, or a page-size re-cut) kept its 24 h"
        " grace when a video on it was later hidden, archived or deleted; and a re-cut carried out"
        " by the same publish as a hide kept the re-cut's pages for 24 h.",
        "Each page's videos are recorded (`publish_pages`); every page no longer listed that"
        " holds a video leaving the site goes after the takedown grace.",
        "`test_privacy.py`, "
        "`test_security.py::test_unpublished_videos_never_appear_in_any_output_file_over_random_mixes`"
        " (now with re-cuts and no takedown grace)",
    ),
    (
        "`--db output/wistia.db` was accepted and the generated nginx config served the database "
        "(hidden videos, the change log); `gzip_static` served stale `.json.gz` files the "
        "publisher never updated; two configs in one nginx shared map names; same-size rewrites "
        "within a second kept nginx's ETag (a 304 with the old body).",
        "A database, lock or journal inside the output folder is refused (exit 2) for every "
        "command; nginx serves only the paths a publish writes; no `gzip_static`; map names per "
        "site; each publish stamps its files at least a second after the last.",
        "`test_output_placement.py`, `serving/test_nginx_config.py`, "
        "`serving/test_etag_revalidation.py`",
    ),
    (
        "An RTL override (U+202E) in a folder name was published; fullwidth and Latin spellings of"
        " one tag were two playlists.",
        "Bidi controls are stripped from every published string; tag identity is NFKC (m008 merges"
        " the tags it told apart, each merge logged); cross-script confusables stay apart.",
        "`test_privacy.py`, `docs/lookalikes.md`",
    ),
    (
        "One media whose stats or deletion check failed on every attempt aborted every run (it "
        "stayed first in line), and a failing deletion check kept the full crawl from completing.",
        "Migration `m009_media_failures`: per-media failures back off (30 min doubling to 24 h), "
        "the run goes on; a check that failed never deletes; five in a row still fail the run.",
        "`test_faults.py::test_a_media_whose_stats_always_fail_is_backed_off_while_every_run_succeeds`,"
        " "
        "`::test_a_deletion_check_failing_on_every_attempt_keeps_the_media_and_the_full_crawl_completes`",
    ),
    (
        "One record nested 5,000 levels deep blocked its whole page; a deep error body crashed the"
        " run with `RecursionError`; an archive whose `updated` went backwards stayed published "
        "until the next full crawl.",
        "Too-deep elements are rejected alone (`jsonbody.py`); other deep answers are a clear "
        "error; the archived pass counts what it holds and reads the whole archive when Wistia has"
        " more.",
        "`test_untrusted_cli.py`, "
        "`test_catalog_changes.py::test_an_archive_whose_updated_went_backwards_leaves_the_site_at_the_next_incremental_run`",
    ),
    (
        "A `media.deleted` arriving while Wistia failed was marked failed and never retried; "
        "`--account-id 22570` (the Data API's number) silently ignored every event; a secret file "
        "with a BOM was accepted and then every delivery got 401; two unprintable uuids could "
        "collide; the worker published new videos with `plays: null`.",
        "Failed events are retried for about 5 h with backoff; reported deletions are confirmed by"
        " the next `run` (m010); the hashed account id is required; the secret file is checked "
        "like the token file; odd uuids are stored hashed; the worker has a small stats budget.",
        "`test_webhooks.py`",
    ),
    (
        "`webhook serve` had no request deadline and no connection cap: 1,100 connections that "
        "never sent a byte exhausted a `ulimit -n` of 1024, after which `/healthz` and signed "
        "deliveries timed out and asyncio logged a traceback per failed `accept()` (15 MB in 16 s "
        "here).",
        "uvicorn's h11 protocol, subclassed (`webhooks/guard.py`): a request must arrive whole "
        "within `--request-timeout` (10 s); past `--max-connections` (500, lowered to fit the "
        "open-files limit, raised to its hard limit at start) the longest-waiting connection "
        "without a request is closed; at most 64 connections are accepted at a time; repeated log "
        "lines bounded (`webhooks/logs.py`).",
        "`test_webhooks.py::test_idle_connections_cannot_starve_the_server`, "
        "`::test_a_request_sent_too_slowly_is_cut_off`, `::test_strangers_cannot_grow_the_log`",
    ),
    (
        "Under a soak of idle connections re-opened as fast as they were closed, the cap closed "
        "Wistia's own kept-alive connection (its next delivery was reset).",
        "The cap closes connections that never sent a request before ones kept alive after an "
        "answer.",
        "`test_webhooks.py::test_idle_connections_cannot_starve_the_server` with `--soak`",
    ),
    (
        "An event stored with a `received_at` ahead of the clock (the clock stepped back since) "
        "was held back by the debounce until the clock caught up.",
        "Debounce and backoff run on a monotonic clock; the burst window is when the worker was "
        "notified.",
        "`test_webhooks.py::test_a_clock_stepped_back_does_not_hold_events_back`",
    ),
    (
        "`webhook serve` logged every request it made to Wistia (`HTTP Request: …`) without "
        "`--debug`.",
        "Only our own INFO lines and everyone's warnings are logged.",
        "`test_webhooks.py::test_the_log_has_no_http_client_lines_without_debug`",
    ),
    (
        "A delivery that failed (503 on `manifest.json`), was killed or raced another editor "
        "left part of its publish in the bucket and the old `files.json`; the next deliveries "
        "diffed against that list and uploaded nothing, so a hidden video stayed in the bucket "
        "for good, with stray file-list shards; an unreadable remote list skipped removals; "
        "`tags.json` was uploaded beside (not after) a new tag's refused playlist.",
        "Migration `m011_delivery_intents`: a delivery records what it will change before its "
        "first upload and settles it once `files.json` is in place, and the next re-sends it; a "
        "listing of the bucket (ETags) replaces a missing or unreadable list, on `deliver "
        "--reconcile` and daily from `run`; a lock per target; uploads in link order "
        "(`contract/layout.py`'s `delivery_phase`).",
        "`tests/deliver/test_convergence.py` (scenario 12: real processes, a fault-injecting "
        "proxy in front of SeaweedFS)",
    ),
    (
        "A `publish` killed after renaming a video's new caption file or new search files into "
        "place, but before its final commit, left them recorded nowhere: no `files.json` listed"
        " them, hiding the video later did not remove them, and only the sweep took them after "
        "the grace (a hidden video's transcript and new title readable meanwhile by anyone who "
        "held the entry files).",
        "Caption and search files are recorded (expiring) in the transaction that already "
        "recorded new pages before their rename (`publish/site.py` `_place_batch`); the harness"
        " allows exactly the files `files.json` still lists in grace.",
        "`tests/publish/test_interrupted_publish_links.py` (a kill at each of 42 output-folder "
        "operations, plain and `--force`), `tests/reliability/test_harness_grace.py`",
    ),
    (
        "A hidden video whose unique word started a term shard's range stayed in "
        "`search/index.json`: an edit that kept the shard's range kept its recorded start key.",
        "A range starts at its first remaining posting; a rebuild cuts the same shards.",
        "`tests/search/test_search_index.py::test_a_hidden_video_whose_term_starts_a_shard_leaves_the_entry`",
    ),
    (
        "`kill -9` of a publish, aimed a fixed 0.1 to 0.5 s after it took its lock, missed most "
        "publishes on a quiet machine once publishes got faster (CI failed: 5 of 9 killed).",
        "Kills are aimed inside how long this machine's publishes held the lock "
        "(`tests/reliability/test_kill.py`).",
        "`tests/reliability/test_seo_files.py`, `test_kill.py`",
    ),
)


def defects_section() -> str:
    lines = [
        "## Defects this suite found, each fixed with the test that proves it",
        "",
        "| Defect | Fix | Test |",
        "|---|---|---|",
    ]
    lines += [f"| {defect} | {fix} | {test} |" for defect, fix, test in DEFECTS]
    return "\n".join(lines) + "\n"


def run_suite(extra: list[str], ledger: Path) -> tuple[int, str, float]:
    env = {**os.environ, LEDGER_ENV: str(ledger)}
    command = [
        sys.executable, "-m", "pytest", "tests/reliability", "tests/deliver/test_convergence.py",
        "-q", "-p", "no:cacheprovider",
    ]  # fmt: skip
    started = time.monotonic()
    completed = subprocess.run(
        [*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    sys.stdout.write(completed.stdout[-3000:])
    sys.stderr.write(completed.stderr[-3000:])
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "pytest printed nothing"
    return completed.returncode, summary, elapsed


def read_ledger(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def aggregate(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (scenario, injected), in the order first seen; counts summed."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        key = (record["scenario"], record["injected"])
        row = rows.setdefault(key, {"scenario": key[0], "injected": key[1], "held": Counter()})
        for name in FIELDS:
            row[name] = row.get(name, 0) + int(record[name])
        row["held"][record["held"]] += 1
    return sorted(rows.values(), key=lambda row: _scenario_number(row["scenario"]))


def _scenario_number(scenario: str) -> int:
    match = re.match(r"(\d+)", scenario)
    return int(match[1]) if match else 99


def held_text(held: Counter[str]) -> str:
    if len(held) == 1:
        return next(iter(held))
    total = sum(held.values())
    return "; ".join(f"{text} ({count} of {total} trials)" for text, count in held.most_common())


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    rows: list[dict[str, Any]], summary: str, elapsed: float, soak: bool, returncode: int
) -> str:
    lines = [INTRO]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    variant = "soak variant (`--soak`)" if soak else "CI variant"
    lines.append(
        f"Last run: {when}, {variant}, on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}: pytest said **{summary}** "
        f"({elapsed:.0f} s).\n"
    )
    lines.append(
        "| Scenario | What was injected | Times | Runs | Files checked | Lost editor changes "
        "| Invalid output files | What held |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        lines.append(
            f"| {cell(row['scenario'])} | {cell(row['injected'])} | {row['times']:,} "
            f"| {row['runs']:,} | {row['files_checked']:,} | **{row['lost_changes']}** "
            f"| **{row['invalid_files']}** | {cell(held_text(row['held']))} |"
        )
    totals = {name: sum(row[name] for row in rows) for name in FIELDS}
    lines.append(
        f"| **all** | **{len(rows)} kinds of injection** | **{totals['times']:,}** "
        f"| **{totals['runs']:,}** | **{totals['files_checked']:,}** "
        f"| **{totals['lost_changes']}** | **{totals['invalid_files']}** | "
        f"{'every scenario held' if returncode == 0 else 'SOME SCENARIO FAILED: see pytest'} |"
    )
    lines.append("")
    lines.append(defects_section())
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak", action="store_true", help="run the longer variants")
    parser.add_argument("--output", type=Path, default=DOC, help="where to write the report")
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="reliability-") as scratch:
        ledger = Path(scratch) / "ledger.jsonl"
        returncode, summary, elapsed = run_suite(
            [*extra, *(["--soak"] if args.soak else [])], ledger
        )
        rows = aggregate(read_ledger(ledger))
    if not rows:
        print("no test recorded anything: docs/reliability.md left as it was", file=sys.stderr)
        return returncode or 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(rows, summary, elapsed, args.soak, returncode), encoding="utf-8")
    lost = sum(row["lost_changes"] for row in rows)
    invalid = sum(row["invalid_files"] for row in rows)
    print(
        f"wrote {args.output.relative_to(ROOT)}: {len(rows)} rows, {lost} lost, {invalid} invalid"
    )
    return returncode or int(bool(lost or invalid))


if __name__ == "__main__":
    sys.exit(main())
