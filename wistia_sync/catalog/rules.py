"""The one definition of a published video, and of every reason a video is not published.

A video is published when no exclusion below applies to it. The publisher selects with
``PUBLISHED_VIDEO_CONDITION``; ``videos list``/``videos show`` read each exclusion's column
(``exclusion_columns``) to say why a video is missing, and ``status`` counts them with
``exclusion_sql``: all three read these same SQL fragments, so they cannot disagree.

Each fragment is over ``videos`` aliased ``v`` and never NULL (``IS NOT`` instead of ``!=``), so
a column holding an unexpected NULL keeps the video out rather than slipping through.
"""

from __future__ import annotations

from typing import Literal

Visibility = Literal["public", "hidden"]
"""An editor's choice for a video: only a ``public`` one can be published."""


class Exclusion:
    """One reason a video is kept out of every published file."""

    __slots__ = ("name", "sql")

    def __init__(self, name: str, sql: str) -> None:
        self.name = name  # the key in ``status`` counts and in JSON reasons
        self.sql = sql  # true for a video this keeps out


EXCLUSIONS = (
    Exclusion("deleted", "v.deleted_at IS NOT NULL"),
    Exclusion("not_video", "v.type IS NOT 'Video'"),
    Exclusion("not_ready", "v.status IS NOT 'ready'"),
    Exclusion("archived", "v.archived IS NOT 0"),
    Exclusion("protected", "v.protected IS NOT 0"),
    Exclusion("hidden", "v.visibility IS NOT 'public'"),
)
EXCLUSION_NAMES = tuple(exclusion.name for exclusion in EXCLUSIONS)
_BY_NAME = {exclusion.name: exclusion for exclusion in EXCLUSIONS}

PUBLISHED_VIDEO_CONDITION = "NOT (" + " OR ".join(f"({e.sql})" for e in EXCLUSIONS) + ")"
"""SQL ``WHERE`` fragment over ``videos`` aliased ``v``: the one definition of a published video."""


def exclusion_columns() -> str:
    """``(sql) AS excluded_<name>, …`` over ``videos v``, in ``EXCLUSIONS`` order."""
    return ", ".join(f"({e.sql}) AS excluded_{e.name}" for e in EXCLUSIONS)


def exclusion_sql(name: str) -> str:
    return _BY_NAME[name].sql


def exclusions_applying(flags: tuple[object, ...]) -> tuple[str, ...]:
    """The names of the exclusions whose ``exclusion_columns`` value in ``flags`` is true."""
    return tuple(name for name, flag in zip(EXCLUSION_NAMES, flags, strict=True) if flag)
