"""wistia-sync: mirror a Wistia account into SQLite and publish static JSON playlists.

The names in ``__all__`` are the library's documented API (docs/python-api.md): a script can sync,
edit, publish and deliver without the CLI. They are imported on first use, so ``import
wistia_sync`` costs nothing the CLI's start-up does not already pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it
_API = {
    # the database
    "open_database": "wistia_sync.store.db",
    # what Wistia says
    "ClientSettings": "wistia_sync.wistia.client",
    "WistiaClient": "wistia_sync.wistia.client",
    # syncing
    "SyncOptions": "wistia_sync.sync.summary",
    "SyncSummary": "wistia_sync.sync.summary",
    "sync_account": "wistia_sync.sync.account",
    "refresh_media": "wistia_sync.sync.media",
    # reading and editing the catalog
    "VideoFilter": "wistia_sync.catalog.videos",
    "list_videos": "wistia_sync.catalog.videos",
    "show_video": "wistia_sync.catalog.videos",
    "add_tags": "wistia_sync.catalog.editing",
    "remove_tags": "wistia_sync.catalog.editing",
    "rename_tag": "wistia_sync.catalog.editing",
    "delete_tag": "wistia_sync.catalog.editing",
    "set_visibility": "wistia_sync.catalog.editing",
    "read_change_log": "wistia_sync.catalog.changelog",
    # publishing, delivering, checking
    "publish_and_deliver": "wistia_sync.job",
    "run_job": "wistia_sync.job",
    "DeliverySettings": "wistia_sync.deliver.delivery",
    "deliver": "wistia_sync.deliver.delivery",
    "verify_site": "wistia_sync.deliver.verify",
    # errors
    "WistiaSyncError": "wistia_sync.errors",
}

__all__ = [
    "ClientSettings",
    "DeliverySettings",
    "SyncOptions",
    "SyncSummary",
    "VideoFilter",
    "WistiaClient",
    "WistiaSyncError",
    "__version__",
    "add_tags",
    "delete_tag",
    "deliver",
    "list_videos",
    "open_database",
    "publish_and_deliver",
    "read_change_log",
    "refresh_media",
    "remove_tags",
    "rename_tag",
    "run_job",
    "set_visibility",
    "show_video",
    "sync_account",
    "verify_site",
]

if TYPE_CHECKING:
    from wistia_sync.catalog.changelog import read_change_log
    from wistia_sync.catalog.editing import (
        add_tags,
        delete_tag,
        remove_tags,
        rename_tag,
        set_visibility,
    )
    from wistia_sync.catalog.videos import VideoFilter, list_videos, show_video
    from wistia_sync.deliver.delivery import DeliverySettings, deliver
    from wistia_sync.deliver.verify import verify_site
    from wistia_sync.errors import WistiaSyncError
    from wistia_sync.job import publish_and_deliver, run_job
    from wistia_sync.store.db import open_database
    from wistia_sync.sync.account import sync_account
    from wistia_sync.sync.media import refresh_media
    from wistia_sync.sync.summary import SyncOptions, SyncSummary
    from wistia_sync.wistia.client import ClientSettings, WistiaClient


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'wistia_sync' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
