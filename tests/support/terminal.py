"""Run a command in a real pseudo-terminal and read the screen a person would see.

The command's stdin, stdout and stderr are the slave side of a pty sized by ``TIOCSWINSZ``, so it
meets what a terminal user's process meets: ``isatty()`` true, a window size, and whatever it
draws (colours, progress bars, cursor hiding) interpreted by a VT100 emulator (pyte), not
matched as raw bytes.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyte

# A bound against a hang, not a timing assertion: a command that has not finished by then is a
# failure whatever the machine's load.
HANG_LIMIT_SECONDS = 120


@dataclass(frozen=True)
class TerminalRun:
    exit_code: int
    raw: bytes
    lines: list[str]  # the screen's non-empty lines, trailing spaces dropped
    cursor_hidden: bool
    columns: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def logical_lines(self) -> list[str]:
        """The lines as printed: a screen line filling every column is taken as wrapped onto
        the next (a line exactly as wide as the terminal is joined too: good enough here)."""
        joined: list[str] = []
        continued = False
        for line in self.lines:
            if continued:
                joined[-1] += line
            else:
                joined.append(line)
            continued = len(line) == self.columns
        return joined


def run_in_terminal(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    columns: int = 80,
    rows: int = 24,
) -> TerminalRun:
    """Run ``argv`` with a pty of ``columns`` x ``rows`` as its terminal; what it left on screen.

    The emulated screen is taller than the window (nothing the command prints scrolls away), but
    the command is told the window's real size.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**env, "TERM": "xterm-256color"},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
    finally:
        os.close(slave)
    raw = bytearray()
    deadline = time.monotonic() + HANG_LIMIT_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the slave side has closed it
                break
            if not chunk:
                break
            raw.extend(chunk)
        else:
            process.kill()
            raise AssertionError(f"{argv} still running after {HANG_LIMIT_SECONDS} s")
        exit_code = process.wait(timeout=HANG_LIMIT_SECONDS)
    finally:
        os.close(master)
    screen = pyte.Screen(columns, 2000)
    stream = pyte.ByteStream(screen)
    # A pty turns "\n" into "\r\n" (onlcr), as a real terminal shows it.
    stream.feed(bytes(raw))
    lines = [line.rstrip() for line in screen.display]
    return TerminalRun(
        exit_code=exit_code,
        raw=bytes(raw),
        lines=[line for line in lines if line],
        cursor_hidden=screen.cursor.hidden,
        columns=columns,
    )
