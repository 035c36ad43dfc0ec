"""Publish the database as static JSON files: the files are the cache the CDN serves (contract v2).

Modules, in the order a publish uses them (every path, pattern and cache class they use is
written once, in ``wistia_sync.contract.layout``):

- ``settings``: the site's publishing settings; ``guard``: the mass-unpublish guard;
- ``snapshot``: reading the database (pending changes, rows, the publisher's state);
- ``build``: pure rendering, rows to bytes; ``buckets``: stable pages that split and merge;
- ``plan``: what to write, retire and remove; ``preview_page``/``preview``: ``index.html``;
- ``output``: the output folder (batched durable writes, symlink refusal); ``state``: the records;
- ``shards``: the sharded file list (``files.json``); ``sweep``: orphans of interrupted publishes;
- ``site``: ``publish_site``, the one entry point.

The pydantic models behind the JSON Schemas are ``wistia_sync.contract.schemas`` (imported by
schema export and tests only, never by a publish). ``idle`` tells a publish with nothing to do
without importing the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module that defines it. Imported on first use, like ``wistia_sync``'s own API: a
# module of this package (``idle``, ``settings``) is then imported without the publisher.
_API = {
    "EMBED_URL": "wistia_sync.wistia.urls",
    "HLS_URL": "wistia_sync.wistia.urls",
    "PUBLISHED_VIDEO_CONDITION": "wistia_sync.catalog.rules",
    "SCHEMA_VERSION": "wistia_sync.publish.build",
    "PublishResult": "wistia_sync.publish.site",
    "cache_class": "wistia_sync.contract.layout",
    "output_is_stale": "wistia_sync.publish.site",
    "publish_due": "wistia_sync.publish.site",
    "publish_site": "wistia_sync.publish.site",
    "sweep_output": "wistia_sync.publish.site",
}
# The v1 name of ``publish_site``, kept so existing scripts keep working.
_ALIASES = {"publish_playlists": "publish_site"}

if TYPE_CHECKING:
    from wistia_sync.catalog.rules import PUBLISHED_VIDEO_CONDITION
    from wistia_sync.contract.layout import cache_class
    from wistia_sync.publish.build import SCHEMA_VERSION
    from wistia_sync.publish.site import (
        PublishResult,
        output_is_stale,
        publish_due,
        publish_site,
        sweep_output,
    )
    from wistia_sync.wistia.urls import EMBED_URL, HLS_URL

    publish_playlists = publish_site

__all__ = [
    "EMBED_URL",
    "HLS_URL",
    "PUBLISHED_VIDEO_CONDITION",
    "SCHEMA_VERSION",
    "PublishResult",
    "cache_class",
    "output_is_stale",
    "publish_due",
    "publish_playlists",
    "publish_site",
    "sweep_output",
]


def __getattr__(name: str) -> Any:
    target = _ALIASES.get(name, name)
    module = _API.get(target)
    if module is None:
        raise AttributeError(f"module 'wistia_sync.publish' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), target)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
