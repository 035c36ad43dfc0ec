"""The public site's URLs (issue 22): its origin and the watch-page URL template, set once with
``wistia-sync site --origin … --watch-url …``, stored with the other site settings.

Without an origin and a template nothing for search engines is published (no sitemaps, no
JSON-LD, no watch pages): their URLs would be guesses. Setting, changing or clearing them asks
the next publish to rebuild, which writes or removes those files (O(files), once).

The template is a path on the origin (``/videos/{slug}``) holding ``{slug}`` exactly once and,
optionally, ``{hashed_id}`` once; nothing else in braces, no fragment, nothing a URL cannot hold
as it is. Bad input is refused before anything is stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypedDict, Unpack
from urllib.parse import urlsplit

from wistia_sync.errors import UsageError
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import FULL_REBUILD_KEY, get_state, set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

ORIGIN_KEY = "site_seo_origin"
WATCH_URL_KEY = "site_seo_watch_url"
WATCH_PAGES_KEY = "site_seo_watch_pages"  # "1": a static HTML watch page per video
INDEXNOW_ENDPOINT_KEY = "site_seo_indexnow_endpoint"
INDEXNOW_KEY_KEY = "site_seo_indexnow_key"  # public by design: it is served as a file
INDEXNOW_BUDGET_KEY = "site_seo_indexnow_budget"  # URLs a calendar month (UTC); none: no limit
PLACEHOLDERS = ("slug", "hashed_id")
MAX_TEMPLATE_LENGTH = 200
# What a template may hold besides its placeholders: RFC 3986's path and query characters.
_TEMPLATE_TEXT = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")
_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


class SeoSettings:
    # A plain class, not a dataclass: every editor command reads these (and imports nothing).
    __slots__ = (
        "indexnow_budget",
        "indexnow_endpoint",
        "indexnow_key",
        "origin",
        "watch_pages",
        "watch_url",
    )

    def __init__(
        self,
        *,
        origin: str,
        watch_url: str,
        watch_pages: bool,
        indexnow_endpoint: str | None,
        indexnow_key: str | None,
        indexnow_budget: int | None = None,
    ) -> None:
        self.origin = origin  # https://example.com, no trailing slash
        self.watch_url = watch_url  # /videos/{slug}
        self.watch_pages = watch_pages
        self.indexnow_endpoint = indexnow_endpoint
        self.indexnow_key = indexnow_key
        self.indexnow_budget = indexnow_budget

    def watch_page_url(self, slug: str, hashed_id: str) -> str:
        return self.origin + self.watch_url.format(slug=slug, hashed_id=hashed_id)

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc


def seo_settings(db: Database) -> SeoSettings | None:
    """The stored settings, or None when the site publishes nothing for search engines."""
    rows = dict(
        db.execute(
            "SELECT key, value FROM sync_state WHERE key IN (?, ?, ?, ?, ?, ?)",
            [
                ORIGIN_KEY,
                WATCH_URL_KEY,
                WATCH_PAGES_KEY,
                INDEXNOW_ENDPOINT_KEY,
                INDEXNOW_KEY_KEY,
                INDEXNOW_BUDGET_KEY,
            ],
        ).fetchall()
    )
    origin, template = rows.get(ORIGIN_KEY), rows.get(WATCH_URL_KEY)
    if not origin or not template:
        return None
    return SeoSettings(
        origin=origin,
        watch_url=template,
        watch_pages=rows.get(WATCH_PAGES_KEY) == "1",
        indexnow_endpoint=rows.get(INDEXNOW_ENDPOINT_KEY) or None,
        indexnow_key=rows.get(INDEXNOW_KEY_KEY) or None,
        indexnow_budget=int(rows[INDEXNOW_BUDGET_KEY]) if rows.get(INDEXNOW_BUDGET_KEY) else None,
    )


def shown_seo_settings(db: Database) -> dict[str, object]:
    """What ``site`` shows of them."""
    return {
        "origin": get_state(db, ORIGIN_KEY) or None,
        "watch_url": get_state(db, WATCH_URL_KEY) or None,
        "watch_pages": get_state(db, WATCH_PAGES_KEY) == "1",
        "indexnow": get_state(db, INDEXNOW_ENDPOINT_KEY) or None,
        "indexnow_budget": int(budget) if (budget := get_state(db, INDEXNOW_BUDGET_KEY)) else None,
    }


def check_origin(text: str) -> str:
    """``https://host[:port]`` (or http), lowercase, without path, query or credentials."""
    value = text.strip()
    if any(char.isspace() or not char.isprintable() for char in value):
        raise UsageError("--origin must not hold spaces or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise UsageError(f"--origin is not a URL: {error}") from None
    if parts.scheme not in ("https", "http"):
        raise UsageError("--origin must start with https:// (or http://)")
    if parts.username is not None or parts.password is not None:
        raise UsageError("--origin must not hold credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in value:
        raise UsageError("--origin must be only scheme and host (no path, query or fragment)")
    host = (parts.hostname or "").lower()
    if not _HOST.fullmatch(host) or len(host) > 253:
        raise UsageError("--origin must name a host (letters, digits, dots and dashes)")
    return f"{parts.scheme}://{host}" + ("" if port is None else f":{port}")


def check_watch_url(text: str) -> str:
    """A path template with ``{slug}`` once and at most ``{hashed_id}`` once besides."""
    template = text.strip()
    if not template.startswith("/") or template.startswith("//"):
        raise UsageError("--watch-url must be a path on the origin starting with one /")
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise UsageError(f"--watch-url must be at most {MAX_TEMPLATE_LENGTH} characters")
    import string

    names: list[str] = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            if not _TEMPLATE_TEXT.fullmatch(literal):
                raise UsageError(
                    "--watch-url may hold only URL path and query characters besides "
                    "{slug} and {hashed_id}"
                )
            if name is not None:
                if name not in PLACEHOLDERS or spec or conversion:
                    raise UsageError(
                        f"--watch-url: unknown placeholder {{{name}}} (use {{slug}} and "
                        "optionally {hashed_id})"
                    )
                names.append(name)
    except ValueError:
        raise UsageError("--watch-url has an unmatched { or }") from None
    if names.count("slug") != 1 or names.count("hashed_id") > 1:
        raise UsageError("--watch-url must hold {slug} exactly once ({hashed_id} at most once)")
    return template


def check_indexnow_endpoint(text: str) -> str:
    value = text.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise UsageError(
            "--indexnow must be an https:// URL (e.g. https://api.indexnow.org/indexnow)"
        )
    if any(char.isspace() or not char.isprintable() for char in value) or parts.fragment:
        raise UsageError("--indexnow must be a plain URL")
    return value


class SeoInput(TypedDict, total=False):
    """The settings ``site`` takes for search engines, as given (None or absent: unchanged)."""

    origin: str | None
    watch_url: str | None
    watch_pages: bool | None
    indexnow: str | None
    indexnow_budget: str | None


def change_seo_settings(db: Database, **given: Unpack[SeoInput]) -> None:
    """Check every given value first (bad input changes nothing), then store them; ``''``
    clears the origin, the template or IndexNow. A change that alters what is published asks
    the next publish for a rebuild."""
    values = check_seo_input(db, **given)
    with write_transaction(db):
        changed = [key for key, value in values.items() if (get_state(db, key) or "") != value]
        for key in changed:
            set_state(db, key, values[key])
        if INDEXNOW_BUDGET_KEY in changed:
            changed.remove(INDEXNOW_BUDGET_KEY)  # no file shows it
        if values.get(INDEXNOW_ENDPOINT_KEY) and not get_state(db, INDEXNOW_KEY_KEY):
            import secrets

            set_state(db, INDEXNOW_KEY_KEY, secrets.token_hex(16))  # served as <key>.txt
            changed.append(INDEXNOW_KEY_KEY)
        if changed:
            set_state(db, FULL_REBUILD_KEY, "1")  # files for search engines come, change or go


def check_seo_input(db: Database, **given: Unpack[SeoInput]) -> dict[str, str]:
    """The values to store, by key, once every one is checked (a ``UsageError`` otherwise)."""
    origin, watch_url = given.get("origin"), given.get("watch_url")
    watch_pages, indexnow = given.get("watch_pages"), given.get("indexnow")
    indexnow_budget = given.get("indexnow_budget")
    values: dict[str, str] = {}
    if origin is not None:
        values[ORIGIN_KEY] = check_origin(origin) if origin.strip() else ""
    if watch_url is not None:
        values[WATCH_URL_KEY] = check_watch_url(watch_url) if watch_url.strip() else ""
    if watch_pages is not None:
        values[WATCH_PAGES_KEY] = "1" if watch_pages else "0"
    if indexnow is not None:
        values[INDEXNOW_ENDPOINT_KEY] = (
            check_indexnow_endpoint(indexnow) if indexnow.strip() else ""
        )
    if indexnow_budget is not None:
        budget = indexnow_budget.strip()
        if budget and not (budget.isascii() and budget.isdigit() and len(budget) < 10):
            raise UsageError(
                "--indexnow-budget must be a whole number of URLs a month ('' clears it)"
            )
        values[INDEXNOW_BUDGET_KEY] = str(int(budget)) if budget else ""
    # One without the other would publish nothing: refused rather than stored.
    after = {key: values.get(key, get_state(db, key) or "") for key in (ORIGIN_KEY, WATCH_URL_KEY)}
    if bool(after[ORIGIN_KEY]) != bool(after[WATCH_URL_KEY]):
        raise UsageError("set --origin and --watch-url together (or clear both with '')")
    return values
