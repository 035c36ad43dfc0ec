"""Handing memory a rebuild freed back to the system, so it does not count in the peak twice.

A rebuild lets go of every video's JSON text once its file is planned. Texts are larger than
Python's small objects, so they come from the C allocator's heap, while what the rebuild goes on
allocating (an entry a file) comes from Python's own arenas: the freed texts stay resident and
the new objects add to them. ``release`` returns the heap's free pages (glibc's ``malloc_trim``;
a no-op where there is none). It costs about a millisecond: call it every many thousand texts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes  # a rebuild only: an editor's publish never frees enough to call this

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
