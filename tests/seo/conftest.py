"""The search-engine files' tests publish as the publisher's own tests do: the same ``db``,
``out`` and ``publish`` fixtures (``tests/publish/test_publish.py``), not a copy of them."""

from __future__ import annotations

from tests.publish.test_publish import Publish, db, out, publish

__all__ = ["Publish", "db", "out", "publish"]
