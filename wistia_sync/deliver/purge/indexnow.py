"""IndexNow as a provider of the purge registry: a publish's changed and removed watch URLs go
to an IndexNow endpoint after each delivery, with the purges' monthly budget, owed items and
deadline (``purger.purge_changed``), keyed ``indexnow:<endpoint host>``.

Its items are watch-page URLs (``https://example.com/videos/intro``), not output paths. The key
is the site's (``site --indexnow`` makes one), published as ``<key>.txt`` at the output's root:
the site must serve that folder at its origin's root (or the key file there), since a key file
covers only URLs under its own folder. 200 and 202 are success; anything else, and any transport
error, leaves every URL of the call owed for the next delivery.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from wistia_sync.deliver.purge.kinds import INDEXNOW_KIND as KIND
from wistia_sync.deliver.purge.planner import ProviderLimits, PurgeItem
from wistia_sync.deliver.purge.providers import HTTP_TIMEOUT_SECONDS, PurgeFailed, _within
from wistia_sync.errors import ConfigError

MAX_URLS_PER_POST = 10_000  # IndexNow's limit


class IndexNow:
    kind: ClassVar[str] = KIND
    syntax: ClassVar[tuple[str, ...]] = ("indexnow:ENDPOINT_URL",)
    limits = ProviderLimits(
        max_items_per_call=MAX_URLS_PER_POST, collapse_at=MAX_URLS_PER_POST + 1,
        supports_prefixes=False,
    )  # fmt: skip

    def __init__(self, endpoint: str, key: str, key_location: str, host: str) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(f"invalid IndexNow endpoint {endpoint[:200]!r}")
        self.endpoint, self.key, self.key_location, self.host = endpoint, key, key_location, host
        self.spec = f"{KIND}:{endpoint}"

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        """One POST of these URLs (at most 10,000)."""
        if any(item.is_prefix for item in items):  # the budget could not cover every URL
            raise PurgeFailed("the monthly IndexNow budget cannot cover every changed URL")
        import httpx

        body = {
            "host": self.host,
            "key": self.key,
            "keyLocation": self.key_location,
            "urlList": [item.value for item in items],
        }
        try:
            response = httpx.post(
                self.endpoint,
                json=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=_within(HTTP_TIMEOUT_SECONDS, timeout),
            )
        except httpx.HTTPError as error:
            raise PurgeFailed(f"IndexNow could not be reached ({type(error).__name__})") from None
        if response.status_code not in (200, 202):
            raise PurgeFailed(f"IndexNow refused the URLs (HTTP {response.status_code})")
