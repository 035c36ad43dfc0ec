"""The built-in demo catalog and the fake Wistia account that serves it.

``demo_transport()`` answers the client's requests in-process from a fixed, realistic catalog
(no token, no network). ``FakeWistia`` is imported lazily: it needs httpx, which commands that
never talk to Wistia should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wistia_sync.demo.catalog import demo_catalog, demo_transport, generate_catalog

if TYPE_CHECKING:
    from wistia_sync.demo.api import FakeWistia

__all__ = ["FakeWistia", "demo_catalog", "demo_transport", "generate_catalog"]


def __getattr__(name: str) -> Any:
    if name == "FakeWistia":
        from wistia_sync.demo.api import FakeWistia

        return FakeWistia
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
