"""An editor command or a no-op publish answered before Typer runs without the cycle collector
and ends its process at once (``os._exit``, no interpreter teardown) once its output is flushed
and nothing is left open: with the exit code, output, database and files a normal exit leaves. A
process with anything left to finish (an atexit handler, a thread, a file still open) exits
normally; a command handed to Typer runs with the collector."""

from __future__ import annotations

import gc
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.catalog.test_editing_subprocess import environment, run_cli, small_catalog
from wistia_sync.cli.entry import main
from wistia_sync.cli.shortlived import collector_paused
from wistia_sync.publish.idle import NOOP_SUMMARY

__all__ = ["small_catalog"]  # the fixture, shared

ENDED_AT_ONCE = "ended at once"
# The installed script's code path, with os._exit saying when it is taken.
PROBE = """
import os, sys
real_exit = os._exit
def exit_and_say(code):
    os.write(2, b"ended at once\\n")
    real_exit(code)
os._exit = exit_and_say
{setup}
sys.argv[0] = "wistia-sync"
from wistia_sync.cli.entry import script
script()
"""


def run_script(
    arguments: list[str], db: Path, out: Path, setup: str = ""
) -> subprocess.CompletedProcess[str]:
    """``wistia-sync ARGUMENTS`` run as the installed script runs it, its output buffered as it
    is by default when not a terminal (no PYTHONUNBUFFERED)."""
    env = environment(db, out)
    del env["PYTHONUNBUFFERED"]
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup), *arguments],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def visibility(db: Path, hashed_id: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT visibility FROM videos WHERE hashed_id = ?", [hashed_id])
        return str(row.fetchone()[0])


def published(small_catalog: tuple[Path, Path]) -> tuple[Path, Path]:
    db, out = small_catalog
    assert run_cli(["publish"], environment(db, out)).returncode == 0
    return db, out


def test_an_edit_ends_at_once_with_its_line_its_change_kept_and_the_database_closed(
    small_catalog: tuple[Path, Path],
) -> None:
    db, out = published(small_catalog)
    assert (out / "videos/welcome001.json").exists()

    done = run_script(["visibility", "hide", "welcome001"], db, out)

    assert done.returncode == 0
    assert done.stdout.startswith("hid 1 video; published ") and done.stdout.endswith("\n")
    assert done.stderr == f"{ENDED_AT_ONCE}\n"
    # Closed before the end: the last connection checkpointed and removed the WAL.
    assert not Path(f"{db}-wal").exists()
    assert visibility(db, "welcome001") == "hidden"
    assert not (out / "videos/welcome001.json").exists()
    # The publish committed what it wrote: the next one has nothing to do.
    assert run_cli(["publish"], environment(db, out)).stdout == f"{NOOP_SUMMARY}\n"


def test_json_output_is_flushed_whole_before_the_end(small_catalog: tuple[Path, Path]) -> None:
    db, out = published(small_catalog)

    done = run_script(["tag", "add", "welcome001", "Launch", "--json"], db, out)

    assert (done.returncode, done.stderr) == (0, f"{ENDED_AT_ONCE}\n")
    assert json.loads(done.stdout)["changed"] == 1
    assert (out / "tags/launch.json").exists()


def test_output_still_buffered_at_the_end_is_written(small_catalog: tuple[Path, Path]) -> None:
    db, out = published(small_catalog)
    setup = "sys.stdout.write('buffered, never flushed by the command')"

    done = run_script(["visibility", "hide", "welcome001", "--quiet"], db, out, setup=setup)

    assert (done.returncode, done.stderr) == (0, f"{ENDED_AT_ONCE}\n")
    assert done.stdout == "buffered, never flushed by the command"


def test_a_failed_edit_ends_at_once_with_its_exit_code_and_its_line(
    small_catalog: tuple[Path, Path],
) -> None:
    db, out = published(small_catalog)

    done = run_script(["visibility", "hide", "nosuchvid0"], db, out)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith('error: unknown video "nosuchvid0"')
    assert done.stderr.endswith(f"\n{ENDED_AT_ONCE}\n")
    assert not Path(f"{db}-wal").exists()


def test_a_publish_with_nothing_to_do_ends_at_once(small_catalog: tuple[Path, Path]) -> None:
    db, out = published(small_catalog)

    done = run_script(["publish"], db, out)

    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{NOOP_SUMMARY}\n",
        ENDED_AT_ONCE + "\n",
    )


# Run at the end of the command's work: what it leaves for the end of the process.
LEAVING = """
import wistia_sync.cli.editor as editor
finish_change = editor.finish_change
def finish_change_and_leave(*arguments, **options):
    finish_change(*arguments, **options)
    {leave}
editor.finish_change = finish_change_and_leave
"""
LEFT_TO_FINISH = {
    "an atexit handler": (
        "import atexit; atexit.register(lambda: print('handler ran'))",
        lambda done, path: "handler ran\n" in done.stdout,
    ),
    "a thread still running": (
        "import threading, time; "
        "threading.Thread(target=lambda: (time.sleep(1), print('thread done'))).start()",
        lambda done, path: "thread done\n" in done.stdout,
    ),
    "a file left open with unwritten data": (
        "global left_open; left_open = open(os.environ['LEFT_OPEN'], 'w'); left_open.write('kept')",
        lambda done, path: path.read_text() == "kept",
    ),
}


@pytest.mark.parametrize("left", LEFT_TO_FINISH)
def test_a_process_with_anything_left_to_finish_exits_normally(
    small_catalog: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, left: str
) -> None:
    db, out = published(small_catalog)
    leave, finished = LEFT_TO_FINISH[left]
    left_open = tmp_path / "left-open.txt"
    monkeypatch.setenv("LEFT_OPEN", str(left_open))

    done = run_script(
        ["visibility", "hide", "welcome001"], db, out, setup=LEAVING.format(leave=leave)
    )

    assert done.returncode == 0
    assert done.stdout.startswith("hid 1 video; published ")
    assert ENDED_AT_ONCE not in done.stderr
    assert finished(done, left_open)
    assert visibility(db, "welcome001") == "hidden"


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("line", "answered_here"),
    [(["visibility", "hide", "welcome001"], True), (["tag", "rename", "A", "B"], False)],
)
def test_a_command_answered_here_runs_without_the_collector_and_typer_with_it(
    monkeypatch: pytest.MonkeyPatch, line: list[str], answered_here: bool
) -> None:
    import wistia_sync.cli.app
    import wistia_sync.cli.quickedit

    collector_on: dict[str, bool] = {}

    def quick_edit(arguments: list[str]) -> int | None:
        collector_on["quick"] = gc.isenabled()
        return 0 if answered_here else None

    def typer_command() -> None:
        collector_on["typer"] = gc.isenabled()

    monkeypatch.setattr(wistia_sync.cli.quickedit, "run_quick_edit", quick_edit)
    monkeypatch.setattr(wistia_sync.cli.app, "main", typer_command)
    monkeypatch.setattr(sys, "argv", ["wistia-sync", *line])

    main()

    expected = {"quick": False} if answered_here else {"quick": False, "typer": True}
    assert collector_on == expected
    assert gc.isenabled()
