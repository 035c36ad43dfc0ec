"""Render an nginx server block that serves the published folder with the cache policy's headers.

Every value that reaches the config is checked against a strict pattern first: a path or name
with a quote, brace, semicolon or newline could otherwise inject nginx directives.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from wistia_sync import __version__
from wistia_sync.contract.cache_policy import NOT_FOUND_CACHE_SECONDS, CachePolicy
from wistia_sync.contract.layout import PUBLISHED_PATTERN
from wistia_sync.errors import ConfigError

TEMPLATE_NAME = "nginx.conf.j2"
_LISTEN = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?|[0-9]{1,5}")
_SERVER_NAME = re.compile(r"[A-Za-z0-9._*-]{1,253}(?: [A-Za-z0-9._*-]{1,253}){0,9}")
_PREFIX = re.compile(r"/(?:[A-Za-z0-9_-]{1,100}/){0,8}")
_ROOT = re.compile(r"/[A-Za-z0-9/_.+@,=-]{0,4000}")
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class NginxSite:
    root: Path
    policy: CachePolicy
    listen: str = "127.0.0.1:8080"
    server_name: str = "_"
    prefix: str = "/"
    cors_origin: str = "*"


def render_nginx_config(site: NginxSite) -> str:
    """The config text; a :class:`ConfigError` names the first unusable value."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    root = str(site.root.resolve()).rstrip("/") or "/"
    _require(_LISTEN, site.listen, "--listen", "host:port, e.g. 127.0.0.1:8080")
    _require(_SERVER_NAME, site.server_name, "--server-name", "host names separated by spaces")
    _require(_PREFIX, site.prefix, "--path-prefix", "a path like /videos/ (starts and ends with /)")
    _require(_ROOT, root, "the output folder", "a path of letters, digits and / _ . + @ , = -")
    _require(_ORIGIN, site.cors_origin, "--cors-origin", "* or an origin like https://example.com")
    environment = Environment(
        loader=PackageLoader("wistia_sync", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # nginx syntax, not HTML: every value is pattern-checked above
    )
    return environment.get_template(TEMPLATE_NAME).render(
        version=__version__,
        site=site_key(site, root),
        published=PUBLISHED_PATTERN,
        root=root,
        alias=site.prefix != "/",
        listen=site.listen,
        server_name=site.server_name,
        prefix=site.prefix,
        prefix_regex=re.escape(site.prefix),
        cors_origin=site.cors_origin,
        immutable=site.policy.immutable,
        entry=site.policy.entry,
        not_found_seconds=NOT_FOUND_CACHE_SECONDS,
    )


def site_key(site: NginxSite, root: str) -> str:
    """A short name for this site's map variables, the same each time the same config is made.

    nginx's map variables are global: two configs naming theirs alike in one nginx would share
    them, and the one read last would set every site's headers.
    """
    policy = site.policy
    identity = [root, site.listen, site.server_name, site.prefix, site.cors_origin]
    identity += [policy.immutable, policy.entry]
    return hashlib.sha256("\n".join(identity).encode()).hexdigest()[:12]


def _require(pattern: re.Pattern[str], value: str, name: str, expected: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(f"invalid {name} {value[:200]!r}: expected {expected}")
