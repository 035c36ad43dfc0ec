"""``run --metrics-file`` and the webhook server's ``/metrics``: parsed with prometheus_client's
own parser."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tests.ops.conftest import cli
from wistia_sync.cli.commands.webhook import render_metrics
from wistia_sync.store.db import open_database
from wistia_sync.webhooks.app import METRICS_PATH, ReceiverSettings, create_app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_run_writes_a_textfile_the_collector_can_read(site: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    assert cli("backup", str(backups), "--db", str(site)).returncode == 0
    metrics = tmp_path / "textfile" / "wistia_sync.prom"
    metrics.parent.mkdir()
    ran = cli("run", "--demo", "-q", "--db", str(site), "--output", str(tmp_path / "out"),
              "--metrics-file", str(metrics))  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert [p.name for p in metrics.parent.iterdir()] == ["wistia_sync.prom"]  # no temp file left
    found = samples(metrics.read_text())
    assert found[("wistia_sync_run_exit_code", ())] == 0
    assert found[("wistia_sync_run_duration_seconds", ())] > 0
    assert found[("wistia_sync_last_success_timestamp_seconds", ())] > 1.7e9
    assert found[("wistia_sync_run_requests", ())] > 0
    assert found[("wistia_sync_videos", (("state", "published"),))] > 0
    assert ("wistia_sync_videos", (("state", "hidden"),)) in found
    assert ("wistia_sync_videos", (("state", "rejected"),)) in found
    assert found[("wistia_sync_deliveries_owed", ())] == 0
    assert 0 <= found[("wistia_sync_backup_age_seconds", ())] < 3600


def test_a_failed_run_still_writes_its_exit_code(site: Path, tmp_path: Path) -> None:
    empty = tmp_path / "token"
    empty.write_text("")
    metrics = tmp_path / "wistia_sync.prom"
    ran = cli("run", "-q", "--db", str(site), "--output", str(tmp_path / "out"),
              "--token-file", str(empty), "--metrics-file", str(metrics))  # fmt: skip
    assert ran.returncode != 0
    found = samples(metrics.read_text())
    assert found[("wistia_sync_run_exit_code", ())] == ran.returncode
    # The last success is the fixture's run, not this one.
    assert ("wistia_sync_last_success_timestamp_seconds", ()) in found


def test_a_metrics_file_the_collector_would_ignore_is_refused(site: Path, tmp_path: Path) -> None:
    for bad in (tmp_path / "metrics.txt", tmp_path / "missing" / "x.prom"):
        ran = cli("run", "--demo", "--db", str(site), "--metrics-file", str(bad))
        assert ran.returncode == 2 and "--metrics-file must be" in ran.stderr
        assert not bad.exists()


def test_the_webhook_server_serves_the_same_metrics(site: Path) -> None:
    settings = ReceiverSettings(secret=b"s" * 32, metrics=render_metrics)
    with TestClient(create_app(settings, lambda: open_database(site))) as client:
        response = client.get(METRICS_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("wistia_sync_videos", (("state", "published"),))] > 0
    assert ("wistia_sync_last_success_timestamp_seconds", ()) in found
    without = ReceiverSettings(secret=b"s" * 32)
    with TestClient(create_app(without, lambda: open_database(site))) as client:
        assert client.get(METRICS_PATH).status_code == 404
