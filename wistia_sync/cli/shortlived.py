"""A command answered before Typer is a short-lived process: no cyclic garbage collection while
it runs, and an end without interpreter teardown once it is done with everything.

An editor command allocates a few hundred thousand objects and leaves almost no reference cycles
(an edit at 100k: about 400 objects collected by the cycle collector over some 40 collections
that each walk the young objects, ~3-4 ms of CPU). ``collector_paused`` turns the collector off
for such a command and back on if the command is handed to Typer after all; memory is still freed
by reference counting as usual.

An interpreter that exits normally tears every module down and frees its heap, object by object:
about 15 ms of CPU after an editor command (``benchmarks/editor_phases.py``), spent on nothing
anyone sees once the command has closed its database and files. ``end_process`` flushes standard
output and error, then ends with ``os._exit`` if nothing is left that a normal exit would still
finish: no ``atexit`` handler, no other thread, and the same file descriptors open as when the
process started (a file, database, lock or temporary file left open would show as one more). In
every other case, and where the process's descriptors (``/proc/self/fd``) cannot be listed, it
exits normally. Either way the exit code is ``code``.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

Descriptors = frozenset[str]
_DESCRIPTORS = Path("/proc/self/fd")


def open_descriptors() -> Descriptors | None:
    """The file descriptors open now (the listing's own among them: the lowest free number);
    None where the system does not list them."""
    try:
        return frozenset(entry.name for entry in _DESCRIPTORS.iterdir())
    except OSError:
        return None


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (it is back on after, unless it was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def end_process(code: int, *, descriptors_at_start: Descriptors) -> NoReturn:
    """End the process with ``code``: at once if nothing is left to finish, else normally."""
    if _nothing_left_to_finish(descriptors_at_start):
        os._exit(code)
    sys.exit(code)


def _nothing_left_to_finish(descriptors_at_start: Descriptors) -> bool:
    """True when a normal exit would do nothing but tear the interpreter down."""
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False  # a normal exit meets the same failure and reports it as Python does
    if atexit._ncallbacks():
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    return open_descriptors() == descriptors_at_start
