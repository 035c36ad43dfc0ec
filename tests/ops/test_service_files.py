"""The systemd units in contrib/systemd/ parse cleanly (``systemd-analyze verify``, where it is
installed), and ``status`` warns when no run has succeeded for a few run intervals."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import cli

UNITS = Path(__file__).resolve().parents[2] / "contrib" / "systemd"
NAMES = ("wistia-sync-run.service", "wistia-sync-run.timer", "wistia-sync-webhook.service")


def test_the_units_verify_without_a_warning(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The units name /srv/wistia-sync/.venv; verify checks ExecStart exists: point it here.
    here = str(Path(sys.executable).parent / "wistia-sync")
    for name in NAMES:
        text = (UNITS / name).read_text().replace("/srv/wistia-sync/.venv/bin/wistia-sync", here)
        (tmp_path / name).write_text(text)
    checked = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in NAMES)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == ""  # unknown keys and bad values are only warnings


def test_the_timer_catches_up_and_the_services_are_sandboxed() -> None:
    timer = (UNITS / "wistia-sync-run.timer").read_text()
    assert "Persistent=true" in timer
    for name in ("wistia-sync-run.service", "wistia-sync-webhook.service"):
        unit = (UNITS / name).read_text()
        for setting in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"):
            assert setting in unit, (name, setting)
        assert "ReadWritePaths=/srv/wistia-sync " in unit
    assert "Restart=on-failure" in (UNITS / "wistia-sync-webhook.service").read_text()


def test_status_warns_when_no_run_succeeded_for_three_intervals(site: Path) -> None:
    assert "may be stale" not in cli("status", "--db", str(site)).stdout
    conn = sqlite3.connect(site)
    conn.execute("UPDATE sync_runs SET finished_at = '2020-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    warned = cli("status", "--db", str(site), "--run-every", "10m")
    assert warned.returncode == 0
    assert "more than 3 run intervals (30 min) ago: the published files may be stale" in (
        warned.stdout
    )
    assert "may be stale" not in cli("status", "--db", str(site), "--run-every", "1000d").stdout
