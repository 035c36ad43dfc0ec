"""Delivery settings belong to the site (issue 18, guarantees 3 and 4): every process delivers
the same way, owed purges are keyed by provider and zone, and a takedown whose delivery or purge
failed (or ran out of time) exits 3 with the work owed, retried by the next process that
delivers, and shown by ``status`` with its age."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.factories import add_folder, add_video, tag_video
from tests.support.purging import purge_recorder, purged, set_recorder_exit
from tests.support.seaweed import SeaweedS3
from wistia_sync.cli.app import app
from wistia_sync.deliver.purge.purger import pending_paths
from wistia_sync.store.db import open_database

runner = CliRunner()
BASE = "https://cdn.example.com/site/"
# Generous bounds: the machine is shared. A deadline of 2 s must not become 120 s or 301 s.
DEADLINE = 2
MARGIN = 25


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A small catalog, published once, with no delivery variable in the environment."""
    db_path, out = tmp_path / "wistia.db", tmp_path / "output"
    db = open_database(db_path, create=True)
    add_folder(db, "fold0onbrd", "Onboarding")
    add_video(db, "welcome001", name="Welcome to Acme", folder_hashed_id="fold0onbrd")
    add_video(db, "setup00002", name="Setting Up", created="2024-02-01T00:00:00Z")
    tag_video(db, "welcome001", "Onboarding")
    db.close()
    for name in list(os.environ):
        if name.startswith("WISTIA_SYNC_") or name == "AWS_ENDPOINT_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("WISTIA_SYNC_DB", str(db_path))
    monkeypatch.setenv("WISTIA_SYNC_OUTPUT", str(out))
    assert runner.invoke(app, ["publish", "-q"]).exit_code == 0
    return db_path, out


def site_settings() -> dict[str, Any]:
    result = runner.invoke(app, ["site", "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def status_json() -> dict[str, Any]:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# -- the site stores the delivery ---------------------------------------------------------------


def test_site_stores_shows_and_clears_the_delivery_settings(site: tuple[Path, Path]) -> None:
    result = runner.invoke(
        app,
        ["site", "--target", "s3://my-bucket/site", "--purge", "cloudflare:zone123",
         "--base-url", BASE, "--purge-budget", "900", "--s3-endpoint-url", "https://s3.example.net",
         "--cache-control-entry", "public, max-age=30", "--purge-deadline", "15s",
         "--upload-deadline", "2m"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "target: s3://my-bucket/site/" in result.stdout
    settings = site_settings()
    assert settings["target"] == "s3://my-bucket/site/"
    assert settings["purge"] == "cloudflare:zone123"
    assert (settings["purge_budget"], settings["base_url"]) == (900, BASE)
    assert settings["cache_control_entry"] == "public, max-age=30"
    assert (settings["purge_deadline_seconds"], settings["upload_deadline_seconds"]) == (15, 120)

    # '' clears a setting (a deadline goes back to its default); the others stay.
    cleared = runner.invoke(
        app, ["site", "--target", "", "--cache-control-entry", "", "--upload-deadline", ""]
    )
    assert cleared.exit_code == 0, cleared.output
    settings = site_settings()
    assert settings["target"] is None and settings["cache_control_entry"] is None
    assert settings["upload_deadline_seconds"] == 60 and settings["purge"] == "cloudflare:zone123"


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "ftp://x/y"],
        ["--target", "s3://Bad_Bucket/"],
        ["--purge", "akamai:123"],
        ["--purge", "cloudflare:zone"],  # by URL, and no base URL stored
        ["--purge", "fastly:bad id"],
        ["--base-url", "javascript:alert(1)"],
        ["--purge-budget", "-1"],
        ["--purge-deadline", "0s"],
        ["--upload-deadline", "2h"],
        ["--cache-control-entry", "public; evil"],
        ["--s3-endpoint-url", "not a url"],
    ],
)
def test_bad_delivery_settings_are_one_line_exit_2_and_change_nothing(
    site: tuple[Path, Path], args: list[str]
) -> None:
    before = site_settings()
    result = runner.invoke(app, ["site", "--page-size", "7", *args])
    assert result.exit_code == 2, result.output
    assert len(error_lines(result.stderr)) == 1 and "Traceback" not in result.output
    assert site_settings() == before


@pytest.mark.parametrize(
    "bad", [["--grace", "soon"], ["--preview-title", ""], ["--takedown-grace", "400d"]]
)
def test_a_bad_publishing_setting_stores_no_delivery_setting_either(
    site: tuple[Path, Path], bad: list[str]
) -> None:
    before = site_settings()
    result = runner.invoke(app, ["site", "--target", "s3://my-bucket/site", *bad])
    assert result.exit_code == 2, result.output
    assert site_settings() == before


def test_secrets_are_never_stored(site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    db_path, _ = site
    token = "cloudflare-secret-token-0123456789"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", token)
    monkeypatch.setenv("WISTIA_SYNC_TARGET", "s3://from-the-shell/")  # never stored by `site`
    result = runner.invoke(app, ["site", "--purge", "cloudflare:zone123:tags"])
    assert result.exit_code == 0, result.output
    assert site_settings()["target"] is None
    for path in db_path.parent.glob("wistia.db*"):
        assert token.encode() not in path.read_bytes()


# -- every process delivers the site's way -------------------------------------------------------


def test_an_editor_with_an_empty_environment_purges_the_site_way(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    """Before: an editor whose shell lacked WISTIA_SYNC_PURGE hid a video without a purge, and
    cron's next `run --purge` said "nothing to purge"."""
    spec, out = purge_recorder(tmp_path)
    assert runner.invoke(app, ["site", "--purge", spec, "--base-url", BASE]).exit_code == 0

    hide = runner.invoke(app, ["visibility", "hide", "setup00002"])
    assert hide.exit_code == 0, hide.output
    assert hide.stderr == ""
    assert BASE + "videos/setup00002.json" in purged(out)
    assert BASE + "videos.json" in purged(out)


def test_a_purge_the_editor_could_not_send_is_owed_and_sent_by_the_next_run(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, out = purge_recorder(tmp_path, exit_code=1)
    assert runner.invoke(app, ["site", "--purge", spec, "--base-url", BASE]).exit_code == 0

    hide = runner.invoke(app, ["visibility", "hide", "setup00002"])
    assert hide.exit_code == 3, hide.output
    assert hide.stdout.startswith("hid 1 video; published ")  # the change and publish stand
    [line] = error_lines(hide.stderr)
    assert "hid 1 video (kept); published locally, but the purge via command is owed" in line
    assert "next run" in line
    db = open_database(site[0])
    assert "videos/setup00002.json" in pending_paths(db, "command")
    [owed] = status_json()["purges"]
    assert owed["provider"] == "command" and owed["pending"] >= 2
    assert owed["oldest_pending_age_seconds"] is not None
    text = runner.invoke(app, ["status"]).stdout
    assert "purges command:" in text and "paths owed since" in text and "ago" in text
    assert spec.partition(":")[2] not in text  # the kind, never the command line

    set_recorder_exit(tmp_path, 0)
    run = runner.invoke(app, ["run", "--demo", "-q"])  # cron: no --purge, the site's
    assert run.exit_code == 0, run.output
    assert BASE + "videos/setup00002.json" in purged(out)
    assert pending_paths(db, "command") == []


def test_fixing_the_purge_commands_arguments_keeps_what_is_owed(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    """Before: owed paths were keyed by the exact --purge string, so this stranded them."""
    failing = f"command:{sys.executable} -c 'import sys; sys.exit(1)'"
    assert runner.invoke(app, ["site", "--purge", failing]).exit_code == 0
    assert runner.invoke(app, ["visibility", "hide", "setup00002"]).exit_code == 3

    spec, out = purge_recorder(tmp_path)
    assert runner.invoke(app, ["site", "--purge", spec]).exit_code == 0
    show = runner.invoke(app, ["tag", "add", "welcome001", "Launch"])
    assert show.exit_code == 0, show.output
    assert "/videos/setup00002.json" in purged(out)  # owed by the old command, sent by the new
    assert pending_paths(open_database(site[0]), "command") == []


def test_an_option_the_site_lacks_works_once_with_a_notice(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, out = purge_recorder(tmp_path)
    assert runner.invoke(app, ["visibility", "hide", "setup00002", "--no-publish"]).exit_code == 0
    result = runner.invoke(app, ["publish", "--purge", spec])
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stderr.splitlines() if line.startswith("notice:")]
    assert len(notices) == 1 and "wistia-sync site --purge" in notices[0]
    assert purged(out)


def test_an_option_or_variable_differing_from_the_site_is_refused_before_any_change(
    site: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = purge_recorder(tmp_path)
    assert runner.invoke(app, ["site", "--purge", spec]).exit_code == 0
    other = "command:/usr/bin/true"
    for command in (["publish", "--purge", other], ["deliver", "--purge", other]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        [line] = error_lines(result.stderr)
        assert "differs from the site's" in line

    monkeypatch.setenv("WISTIA_SYNC_PURGE", other)
    hide = runner.invoke(app, ["visibility", "hide", "setup00002"])
    assert hide.exit_code == 2, hide.output
    assert "WISTIA_SYNC_PURGE" in hide.stderr
    visibility = open_database(site[0]).execute(
        "SELECT visibility FROM videos WHERE hashed_id = 'setup00002'"
    )
    assert visibility.fetchone() == ("public",)  # nothing changed

    monkeypatch.setenv("WISTIA_SYNC_PURGE", spec)  # the same as the site's: fine, no notice
    hide = runner.invoke(app, ["visibility", "hide", "setup00002"])
    assert hide.exit_code == 0, hide.output
    assert hide.stderr == ""


def test_owed_purges_are_rekeyed_by_provider_and_zone_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "wistia.db"
    db = open_database(path, create=True)
    db.execute("DROP TABLE delivery_owed")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm012_site_delivery'")
    rows = [
        ("command:/usr/bin/purge --old", "videos.json", "2026-01-02T00:00:00Z", 2),
        ("command:/usr/bin/purge --new", "videos.json", "2026-01-01T00:00:00Z", 1),
        ("command:/usr/bin/purge --new", "tags.json", "2026-01-03T00:00:00Z", 1),
        ("cloudflare:zone1:tags", "videos.json", "2026-01-04T00:00:00Z", 1),
        ("cloudflare:zone1", "tags.json", "2026-01-05T00:00:00Z", 4),
    ]
    for provider, owed_path, since, attempts in rows:
        db.execute(
            "INSERT INTO purge_pending (provider, path, first_failed_at, last_error, attempts) "
            "VALUES (?, ?, ?, 'x', ?)",
            [provider, owed_path, since, attempts],
        )
    db.execute(
        "INSERT INTO purge_spend (month, provider, paths, calls) VALUES "
        "('2026-01', 'command:a', 3, 1), ('2026-01', 'command:b', 4, 2)"
    )
    db.conn.commit()
    db.conn.close()

    upgraded = open_database(path)
    assert upgraded.execute(
        "SELECT provider, path, first_failed_at, attempts FROM purge_pending ORDER BY 1, 2"
    ).fetchall() == [
        ("cloudflare:zone1", "tags.json", "2026-01-05T00:00:00Z", 4),
        ("cloudflare:zone1", "videos.json", "2026-01-04T00:00:00Z", 1),
        ("command", "tags.json", "2026-01-03T00:00:00Z", 1),
        ("command", "videos.json", "2026-01-01T00:00:00Z", 2),
    ]
    assert upgraded.execute("SELECT month, provider, paths, calls FROM purge_spend").fetchall() == [
        ("2026-01", "command", 7, 3)
    ]
    assert upgraded.execute("SELECT count(*) FROM delivery_owed").fetchone() == (0,)


# -- deadlines: a hanging purge command, a silent store ------------------------------------------


def sleeping_purge(tmp_path: Path) -> str:
    """A purge command that writes its pid to ``hang.pid`` beside it, then hangs."""
    script = tmp_path / "hang.py"
    script.write_text(
        "import os, pathlib, sys, time\n"
        "sys.stdin.read()\n"
        f"pathlib.Path({str(tmp_path / 'hang.pid')!r}).write_text(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    return f"command:{sys.executable} {script}"


def still_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) has stopped running.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def run_process(args: list[str], env: dict[str, str]) -> tuple[Any, float]:
    import subprocess

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wistia_sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, time.monotonic() - started


def process_environment(db_path: Path, out: Path) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("WISTIA", "AWS_"))
    }
    env.update({"WISTIA_SYNC_DB": str(db_path), "WISTIA_SYNC_OUTPUT": str(out)})
    return env


def test_a_hanging_purge_command_holds_a_hide_only_until_the_purge_deadline(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    """Before: the hide waited for the command's 120 s timeout, then exited 0."""
    db_path, out = site
    settings = ["site", "--purge", sleeping_purge(tmp_path), "--purge-deadline", f"{DEADLINE}s"]
    assert runner.invoke(app, settings).exit_code == 0

    result, took = run_process(["visibility", "hide", "setup00002"], process_environment(*site))
    assert result.returncode == 3, result.stderr
    assert took < DEADLINE + MARGIN
    [line] = error_lines(result.stderr)
    assert "hid 1 video (kept)" in line and f"purge deadline of {DEADLINE} s" in line
    assert not (out / "videos/setup00002.json").exists()  # the local publish stands
    assert "videos/setup00002.json" in pending_paths(open_database(db_path), "command")
    # The hung command was ended with the hide, not left running detached.
    assert not still_running(int((tmp_path / "hang.pid").read_text()))


@pytest.fixture
def silent_store() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stopping.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(5)
        for connection in held:
            connection.close()
        server.close()


def test_a_silent_store_holds_a_hide_only_until_the_upload_deadline(
    site: tuple[Path, Path], silent_store: str
) -> None:
    """Before: the hide waited 4 attempts of a 60 s read timeout (301 s), then exited 1."""
    pytest.importorskip("boto3")
    _, out = site
    settings = ["site", "--target", "s3://silent-bucket/site", "--s3-endpoint-url", silent_store,
                "--upload-deadline", f"{DEADLINE}s"]  # fmt: skip
    assert runner.invoke(app, settings).exit_code == 0
    env = process_environment(*site) | {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    result, took = run_process(["visibility", "hide", "setup00002"], env)
    assert result.returncode == 3, result.stderr
    assert took < DEADLINE + MARGIN
    [line] = error_lines(result.stderr)
    assert "hid 1 video (kept)" in line and "the delivery is owed" in line
    assert not (out / "videos/setup00002.json").exists()
    [owed] = status_json()["deliveries_owed"]
    assert owed["target"] == "s3://silent-bucket/site/" and owed["age_seconds"] is not None
    text = runner.invoke(app, ["status"]).stdout
    assert "delivery to s3://silent-bucket/site/ owed since" in text


def test_status_shows_what_an_interrupted_delivery_left_owed(site: tuple[Path, Path]) -> None:
    """A delivery killed mid-way records no failure, only its dirty set: ``status`` said
    nothing of it, though the next delivery has paths to re-send."""
    from wistia_sync.deliver.intents import DatabaseJournal

    db_path, _ = site
    DatabaseJournal(open_database(db_path), "s3://b/site/").intend(["tags.json", "videos.json"])

    [owed] = status_json()["deliveries_owed"]
    assert owed["target"] == "s3://b/site/"
    assert (owed["attempts"], owed["paths"], owed["last_error"]) == (0, 2, None)
    assert owed["age_seconds"] is not None
    text = runner.invoke(app, ["status"]).stdout
    assert "delivery to s3://b/site/ owed since" in text
    assert "a delivery was interrupted, 2 paths), retried by the next process" in text


# -- S3: a failed delivery is owed and converges -------------------------------------------------


def bucket_keys(seaweed: SeaweedS3, bucket: str) -> set[str]:
    from tests.deliver.conftest import s3_objects
    from wistia_sync.deliver.s3 import make_s3_client

    objects = s3_objects(make_s3_client(seaweed.endpoint_url), bucket, "site/")
    return {key.removeprefix("site/") for key in objects}


def test_a_failed_delivery_exits_3_and_the_next_editor_delivers_it(
    site: tuple[Path, Path], s3_env: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wistia_sync.deliver.s3 import make_s3_client

    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the site's endpoint, not the shell's
    name = "owed-bucket"
    site_args = ["site", "--target", f"s3://{name}/site", "--s3-endpoint-url", s3_env.endpoint_url]
    assert runner.invoke(app, site_args).exit_code == 0

    hide = runner.invoke(app, ["visibility", "hide", "setup00002"])  # no bucket yet
    assert hide.exit_code == 3, hide.output
    assert f"the bucket {name} does not exist" in hide.stderr
    assert status_json()["deliveries_owed"][0]["attempts"] == 1

    make_s3_client(s3_env.endpoint_url).create_bucket(Bucket=name)
    tag = runner.invoke(app, ["tag", "add", "welcome001", "Launch"])
    assert tag.exit_code == 0, tag.output
    assert "videos/setup00002.json" not in bucket_keys(s3_env, name)
    assert "videos/welcome001.json" in bucket_keys(s3_env, name)
    assert status_json()["deliveries_owed"] == []


def test_the_webhook_worker_keeps_a_batch_owed_until_it_is_delivered(
    tmp_path: Path, s3_env: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the retry found nothing to publish and marked the events applied, leaving the
    archived video in the bucket until cron."""
    from tests.support.fakewistia.webhooks import ACCOUNT_ID, delivery_body, media_event
    from tests.sync.test_sync import TOKEN, client_for
    from wistia_sync.cli.commands.webhook import publish_when_due
    from wistia_sync.deliver.s3 import make_s3_client
    from wistia_sync.demo import FakeWistia, generate_catalog
    from wistia_sync.errors import DeliveryOwed
    from wistia_sync.sync.account import sync_account
    from wistia_sync.sync.summary import SyncOptions
    from wistia_sync.webhooks.inbox import inbox_status, parse_delivery, store_events
    from wistia_sync.webhooks.server import refresh_then_publish
    from wistia_sync.webhooks.worker import InboxWorker

    for name in ("WISTIA_SYNC_TARGET", "WISTIA_SYNC_PURGE"):
        monkeypatch.delenv(name, raising=False)
    db_path, out = tmp_path / "wistia.db", tmp_path / "output"
    fake = FakeWistia(*generate_catalog(20, seed=3), token=TOKEN)
    db = open_database(db_path, create=True)
    with client_for(fake) as client:
        sync_account(db, client, SyncOptions(stats_budget=0))
    name = "worker-bucket"
    make_s3_client(s3_env.endpoint_url).create_bucket(Bucket=name)
    site_args = ["site", "--db", str(db_path), "--target", f"s3://{name}/site"]
    assert runner.invoke(app, site_args).exit_code == 0
    publish = runner.invoke(app, ["publish", "--db", str(db_path), "--output", str(out)])
    assert publish.exit_code == 0, publish.output
    video = next(key for key in bucket_keys(s3_env, name) if key.startswith("videos/"))
    hashed_id = video.removeprefix("videos/").removesuffix(".json")

    fake.archive(hashed_id)
    store_events(
        db,
        parse_delivery(delivery_body([media_event("media.updated", hashed_id)])),
        account_id=ACCOUNT_ID,
    )
    apply = refresh_then_publish(client_for(fake), SyncOptions(), publish_when_due(out))
    worker = InboxWorker(lambda: open_database(db_path), apply)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")  # the store refuses
    with pytest.raises(DeliveryOwed):
        worker.apply_pending()
    assert not (out / video).exists()  # published locally
    status = inbox_status(db)
    assert status is not None and status["pending"] == 1  # the event stays owed

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_env.secret_key)
    assert video in bucket_keys(s3_env, name)  # still in the bucket
    assert worker.apply_pending() == 1  # nothing left to publish: the retry delivers
    assert video not in bucket_keys(s3_env, name)
    status = inbox_status(db)
    assert status is not None and (status["pending"], status["applied"]) == (0, 1)
    assert db.execute("SELECT count(*) FROM delivery_owed").fetchone() == (0,)


def test_verify_checks_the_sites_base_url_unless_given_one(site: tuple[Path, Path]) -> None:
    assert runner.invoke(app, ["site", "--base-url", "http://127.0.0.1:9/site/"]).exit_code == 0
    result = runner.invoke(app, ["verify", "--timeout", "2s"])
    assert result.exit_code == 1
    assert "could not reach http://127.0.0.1:9/site/" in result.stderr
    other = runner.invoke(app, ["verify", "--timeout", "2s", "--base-url", "http://127.0.0.1:9/o/"])
    assert other.exit_code == 1  # another URL (an origin beside the CDN) may be checked
    assert "could not reach http://127.0.0.1:9/o/" in other.stderr
