"""The preview page (``index.html``): a gallery of the published playlists, for people.

Rendered with jinja2 from ``templates/preview.html.j2``. The page holds no data at all: its
script reads ``manifest.json``, the indexes and the playlists from the same folder at run time,
exactly as a frontend would, so it can only ever show what the JSON publishes. Its Content
Security Policy allows only its own inline script and style (by hash), images over https, and
requests to its own origin.
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files

from wistia_sync import __version__

PREVIEW_PATH = "index.html"
DEFAULT_TITLE = "Video library"


def render_preview_page(title: str = DEFAULT_TITLE) -> bytes:
    """The bytes of ``index.html``; the same arguments always give the same bytes."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    templates = files("wistia_sync") / "templates"
    script = (templates / "preview.js").read_text(encoding="utf-8")
    style = (templates / "preview.css").read_text(encoding="utf-8")
    environment = Environment(
        loader=PackageLoader("wistia_sync", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    from markupsafe import Markup

    page = environment.get_template("preview.html.j2").render(
        title=title,
        version=__version__,
        # Package files, not data: inserted verbatim (and hashed for the CSP as inserted).
        script=Markup(script),
        style=Markup(style),
        script_hash=_csp_hash(script),
        style_hash=_csp_hash(style),
    )
    return page.encode("utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
