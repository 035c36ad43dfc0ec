"""One process run to exit and measured: wall seconds, and CPU seconds and peak memory from wait4.

CPU seconds (user + system) barely move with the load of a shared machine; wall seconds do. The
output goes to temp files, not pipes, so a process printing more than a pipe holds never blocks
while it is being waited for.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, process start to exit
    cpu: float  # user + system seconds of the process
    peak_mb: float  # its peak resident memory (ru_maxrss)
    stdout: str


def run_measured(args: list[str], env: dict[str, str], cwd: Path | None = None) -> Measured:
    """Run ``args`` to exit and measure it; a process that fails stops the benchmark."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as error:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=error, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        error.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {error.read().strip()}")
        return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read())
