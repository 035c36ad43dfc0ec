"""The lock files beside the database: a bounded wait for a delivery to the same target."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from wistia_sync.errors import LockHeld
from wistia_sync.store.lock import deliver_lock_path, hold_lock


def test_a_bounded_wait_gives_up_with_lock_held_after_its_timeout(tmp_path: Path) -> None:
    path = deliver_lock_path(tmp_path / "wistia.db", "s3://bucket/site/")
    assert path.parent == tmp_path and path.name.startswith("wistia.db.deliver-")
    assert path != deliver_lock_path(tmp_path / "wistia.db", "s3://bucket/other/")
    with hold_lock(path, wait=False):
        started = time.monotonic()
        with (
            pytest.raises(LockHeld, match=r"gave up after waiting 0\.3 s"),
            hold_lock(path, wait=True, timeout=0.3),
        ):
            pass
        assert 0.3 <= time.monotonic() - started < 5
    with hold_lock(path, wait=True, timeout=0.3):  # free again: taken at once
        pass
