"""A static HTML watch page per video (``site --watch-pages``), for crawlers and readers alike.

Rendered with jinja2, autoescaped: every text from Wistia is escaped as text or attribute, and
the JSON-LD inside ``<script>`` holds no ``<``, ``>`` or ``&`` at all (``script_json``), so a
name holding ``</script>`` stays inside its string. The player (Wistia's iframe embed, which needs
no script on this page) comes first, above the fold; then the name, the description, the
chapters and the transcript as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wistia_sync.contract.seo_text import script_json, shorten
from wistia_sync.publish.build import encode

MAX_TRANSCRIPT = 200_000  # characters of transcript a page shows
DEFAULT_SIZE = (1280, 720)

# (the VideoObject, its JSON text, the video's width and height or None, the transcript)
# -> the page
PageRenderer = Callable[[dict[str, Any], str, tuple[int, int] | None, str], bytes]


def watch_page_renderer() -> PageRenderer:
    """A function rendering one page (the template is loaded once a publish)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("wistia_sync", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    template = environment.get_template("watch.html.j2")

    def render(
        data: dict[str, Any], text: str, size: tuple[int, int] | None, transcript: str
    ) -> bytes:
        from markupsafe import Markup

        width, height = size or DEFAULT_SIZE
        chapters = [
            {"name": clip["name"], "url": clip["url"], "at": _clock(clip["startOffset"])}
            for clip in data.get("hasPart", [])
        ]
        page = template.render(
            lang="en",
            title=data["name"],
            url=data["url"],
            description=data.get("description", ""),
            thumbnail_url=data["thumbnailUrl"][0],
            embed_url=data["embedUrl"],
            width=width,
            height=height,
            jsonld=Markup(script_json(text)),
            chapters=chapters,
            transcript=shorten(transcript, MAX_TRANSCRIPT),
        )
        return encode(page.rstrip("\n"))

    return render


def _clock(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
