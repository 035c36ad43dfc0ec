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
schema export and tests only, never by a publish).
"""

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
"""The v1 name of ``publish_site``, kept so existing scripts keep working."""

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
