"""Scenario 4: the output folder fills up, or turns read-only, during a publish.

The publish fails with one clear line; every file in the folder is still complete (its old bytes
or its new ones, never a part), no temp file is left, and once there is room again the next
``run`` publishes what the database holds, although its own sync finds nothing new.

A small tmpfs mounted on the output folder makes the disk really fill up (this needs root, which
CI has); the same failure is also simulated in-process, by making ``fsync`` fail with ENOSPC, so
the property is checked on any machine.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import MakeScene
from tests.reliability.harness import (
    EditorBook,
    Ledger,
    failure_problems,
    fresh_publish,
    output_differences,
    output_files,
    output_problems,
    published_ids,
    tmpfs,
)

SCENARIO = "4. disk full / read-only output"


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def copy_keeping_mtimes(source: Path, target: Path) -> None:
    """Copy the published files into ``target`` with their mtimes, which the publish recorded."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(exist_ok=True)
            shutil.copystat(path, destination)
        else:
            shutil.copy2(path, destination)


def used_kib(where: Path) -> int:
    info = os.statvfs(where)
    return (info.f_blocks - info.f_bfree) * info.f_frsize // 1024


def old_or_new_problems(before: dict[str, bytes], out: Path, new: dict[str, bytes]) -> list[str]:
    """Files that are neither what they were nor what the publish meant to write."""
    problems = []
    for path, data in output_files(out).items():
        if data != before.get(path) and data != new.get(path) and path != "manifest.json":
            problems.append(f"{path} is neither its old nor its new content")
    return problems


def test_a_full_disk_during_publish_fails_clearly_keeps_every_file_whole_and_recovers(
    scene: MakeScene, ledger: Ledger
) -> None:
    api, ws = (s := scene(160, 91)).api, s.ws
    ws.output.rename(ws.root / "output.before")
    before = output_files(ws.root / "output.before")
    with tmpfs(ws.output, 4096) as mount:
        copy_keeping_mtimes(ws.root / "output.before", mount)
        remount(mount, f"size={used_kib(mount) + 700}k")  # room for a few new files, not all
        for media in api.media()[:80]:
            api.update(media["hashed_id"], description="<p>" + "long description " * 200 + "</p>")
        full = ws.cli("run", "--stats-budget", "0")
        problems = [f"full disk: {p}" for p in failure_problems(full)]
        if "No space left on device" not in full.stderr or "unexpected" in full.stderr:
            problems.append(f"the error does not say the disk is full: {full.stderr!r}")
        during = output_problems(ws.output, converged=True)
        intended = fresh_publish(ws.db, ws.root / "fresh")
        problems += old_or_new_problems(before, ws.output, intended)
        changed = sum(1 for p, d in output_files(ws.output).items() if before.get(p) != d)
        remount(mount, "size=16m")
        after = ws.cli("run", "--stats-budget", "0")
        if after.returncode != 0:
            problems.append(f"the run after freeing space failed: {after.describe()}")
        converged = output_problems(ws.output, converged=True)
        problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
    # A publish stages its whole batch before it renames anything (publish v2), so a disk that
    # fills while staging leaves every file as it was; a manifest or files.json older than the
    # files would be tolerated, but with nothing replaced it does not even arise.
    broken = [p for p in during.problems if not p.startswith("files.json: wrong ")]
    invalid = len(broken) + converged.invalid
    ledger.record(
        SCENARIO,
        "disk full (tmpfs) during the publish of `run`",
        times=1,
        runs=2,
        files_checked=during.files + converged.files,
        lost_changes=0,
        invalid_files=invalid,
        held=f"one clear error line; {changed} files replaced (the batch is staged whole before "
        "any rename), every file kept its old bytes; the next run published everything",
    )
    assert changed == 0, "a file was replaced before the whole batch was staged"
    assert not broken, broken
    assert not converged.problems, converged.problems
    assert not problems, "\n".join(problems)


def test_a_read_only_output_folder_fails_clearly_changes_no_file_and_recovers(
    scene: MakeScene, ledger: Ledger
) -> None:
    ws = scene(160, 92).ws
    ws.output.rename(ws.root / "output.before")
    before = output_files(ws.root / "output.before")
    book = EditorBook(ws.db)
    with tmpfs(ws.output, 16384) as mount:
        copy_keeping_mtimes(ws.root / "output.before", mount)
        remount(mount, "ro")
        video = published_ids(ws.db)[0]
        hide = ws.cli("visibility", "hide", video)
        book.expect_visibility(video, "hidden")
        run = ws.cli("run", "--stats-budget", "0")
        problems = []
        for result in (hide, run):
            problems += [f"{' '.join(result.args)}: {p}" for p in failure_problems(result)]
            if "Read-only file system" not in result.stderr or "unexpected" in result.stderr:
                problems.append(f"does not say the folder is read-only: {result.stderr!r}")
        if "hid 1 video, but publishing failed" not in hide.stderr:
            problems.append(f"the editor is not told the change was kept: {hide.stderr!r}")
        if output_files(ws.output) != before:
            problems.append("a file changed in the read-only folder")
        lost = book.lost()
        remount(mount, "rw")
        after = ws.cli("run", "--stats-budget", "0")
        if after.returncode != 0:
            problems.append(f"the run after the folder became writable failed: {after.describe()}")
        converged = output_problems(ws.output, converged=True)
        problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
        lost += book.lost() + book.unpublished_in_output(ws.output)
    ledger.record(
        SCENARIO,
        "read-only output folder (editor command, then `run`)",
        times=2,
        runs=3,
        files_checked=converged.files,
        lost_changes=len(lost),
        invalid_files=converged.invalid,
        held="one clear error line each; no file changed; the editor's change was kept and "
        "published by the next run",
    )
    assert not lost, lost
    assert not converged.problems, converged.problems
    assert not problems, "\n".join(problems)


def test_enospc_at_any_fsync_of_a_publish_keeps_every_file_whole_in_process(
    scene: MakeScene, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same property without a mount: ``fsync``/``fdatasync`` fails with ENOSPC at the Nth
    call, for N across the whole publish, and each time the folder holds only complete files, no
    temp file, and the next publish converges. (Every batch takes the per-file ``fdatasync``
    path here, so that each flush is a call that can fail.)"""
    from wistia_sync.errors import WistiaSyncError
    from wistia_sync.job import publish_and_deliver as publish
    from wistia_sync.publish import output
    from wistia_sync.store.db import open_database

    monkeypatch.setattr(output, "SYNCFS_BATCH", 10**9)

    ws = scene(120, 93).ws
    db = open_database(ws.db, create=True)
    real_fsync, real_fdatasync = os.fsync, os.fdatasync
    failures = files_checked = invalid = 0
    problems: list[str] = []
    for attempt, fail_at in enumerate((1, 2, 4, 9, 20, 45, 80)):
        db.execute(
            "UPDATE videos SET name = name || ' +' WHERE hashed_id IN "
            "(SELECT hashed_id FROM videos ORDER BY hashed_id LIMIT ?)",
            [10 + attempt * 15],
        )
        before = output_files(ws.output)
        calls = 0

        def failing(real: Any, fail_at: int = fail_at) -> Any:
            def flush(fd: int) -> None:
                nonlocal calls
                calls += 1
                if calls == fail_at:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                real(fd)

            return flush

        monkeypatch.setattr(os, "fsync", failing(real_fsync))
        monkeypatch.setattr(os, "fdatasync", failing(real_fdatasync))
        try:
            publish(db, ws.output)
        except WistiaSyncError as error:
            failures += 1
            if "No space left on device" not in str(error):
                problems.append(f"fsync #{fail_at}: unclear error {error}")
        else:
            problems.append(f"fsync #{fail_at}: the publish did not fail ({calls} fsyncs)")
        monkeypatch.setattr(os, "fsync", real_fsync)
        monkeypatch.setattr(os, "fdatasync", real_fdatasync)
        intended = fresh_publish(ws.db, ws.root / "fresh")
        problems += [
            f"fsync #{fail_at}: {p}" for p in old_or_new_problems(before, ws.output, intended)
        ]
        during = output_problems(ws.output, converged=False)
        problems += [f"fsync #{fail_at}: {p}" for p in during.problems]
        if any(name.startswith(".") for name in output_files(ws.output)):  # temp dir included
            problems.append(f"fsync #{fail_at}: a temp file was left behind")
        publish(db, ws.output)
        converged = output_problems(ws.output, converged=True)
        problems += [f"fsync #{fail_at} then publish: {p}" for p in converged.problems]
        problems += output_differences(ws.output, fresh_publish(ws.db, ws.root / "fresh"))
        files_checked += during.files + converged.files
        invalid += during.invalid + converged.invalid
    db.conn.close()
    ledger.record(
        SCENARIO,
        "ENOSPC from fsync at the Nth write of a publish (in-process, N = 1 … 80)",
        times=failures,
        runs=2 * failures,
        files_checked=files_checked,
        lost_changes=0,
        invalid_files=invalid,
        held="clear error; every file old or new, no temp file left; the next publish converged",
    )
    assert failures == 7, problems
    assert not problems, "\n".join(problems[:20])
