"""The built-in demo catalog and the fake Wistia account that serves it.

``catalog`` makes the data (the fixed demo catalog, synthetic ones of any size); ``api`` serves it
as Wistia would: ``FakeWistia``, and ``demo_transport()``, which answers the client's requests
in-process from the demo catalog (no token, no network). Both are imported lazily: they need
httpx, which commands that never talk to Wistia should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wistia_sync.demo.catalog import demo_catalog, generate_catalog

if TYPE_CHECKING:
    from wistia_sync.demo.api import FakeWistia, demo_transport

__all__ = ["FakeWistia", "demo_catalog", "demo_transport", "generate_catalog"]


def __getattr__(name: str) -> Any:
    if name in ("FakeWistia", "demo_transport"):
        from wistia_sync.demo import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
