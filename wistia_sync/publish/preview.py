"""The preview page (``index.html``): a gallery of the published playlists, for people.

Rendered with jinja2 from ``templates/preview.html.j2``. The page holds no data at all: its
script reads ``manifest.json``, the indexes and the playlists from the same folder at run time,
exactly as a frontend would, so it can only ever show what the JSON publishes. Its Content
Security Policy allows only its own inline script and style (by hash), images over https, and
requests to its own origin.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from wistia_sync import __version__

DEFAULT_TITLE = "Video library"
TEMPLATE_NAME = "preview.html.j2"
_SOURCES = (TEMPLATE_NAME, "preview.js", "preview.css")
# Every page this package renders starts its generator tag so (earlier versions' pages too).
GENERATOR_MARK = b'<meta name="generator" content="wistia-sync '
_HEAD_BYTES = 4096  # the generator tag is in the head, well within this
# The package's own folder of templates: every publish reads it (``preview_key``), and finding it
# through importlib.resources would cost every publish ~5 ms of start-up to import.
TEMPLATES = Path(__file__).parent.parent / "templates"


def render_preview_page(title: str = DEFAULT_TITLE) -> bytes:
    """The bytes of ``index.html``; the same arguments always give the same bytes."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    script = (TEMPLATES / "preview.js").read_text(encoding="utf-8")
    style = (TEMPLATES / "preview.css").read_text(encoding="utf-8")
    environment = Environment(
        loader=PackageLoader("wistia_sync", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    from markupsafe import Markup

    page = environment.get_template(TEMPLATE_NAME).render(
        title=title,
        version=__version__,
        key=preview_key(title),
        # Package files, not data: inserted verbatim (and hashed for the CSP as inserted).
        script=Markup(script),
        style=Markup(style),
        script_hash=_csp_hash(script),
        style_hash=_csp_hash(style),
    )
    return page.encode("utf-8")


def _csp_hash(text: str) -> str:
    import base64  # only when the page is rendered: every publish imports this module

    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def preview_key(title: str) -> str:
    """What the page's bytes depend on (package version, template files, title), hashed.

    Written into the page's generator tag, so a publish can tell a current page from the bytes
    on disk without importing jinja2 or rendering anything.
    """
    digest = hashlib.sha256(__version__.encode("utf-8") + b"\0" + title.encode("utf-8"))
    for name in _SOURCES:
        digest.update(b"\0" + (TEMPLATES / name).read_bytes())
    return digest.hexdigest()[:32]


def is_preview_page(content: bytes) -> bool:
    """Whether ``content`` is a preview page this package rendered (any version, any title)."""
    return GENERATOR_MARK in content[:_HEAD_BYTES]


def is_current_preview_page(content: bytes, title: str) -> bool:
    """Whether ``content`` is the page this version renders for ``title`` (from its key)."""
    return f' preview {preview_key(title)}"'.encode() in content[:_HEAD_BYTES]
