"""A static HTML watch page per video (``site --watch-pages``), for crawlers and readers alike.

Rendered with jinja2, autoescaped: every text from Wistia is escaped as text or attribute, and
the JSON-LD inside ``<script>`` holds no ``<``, ``>`` or ``&`` at all (``script_json``), so a
name holding ``</script>`` stays inside its string. The player (Wistia's iframe embed, which needs
no script on this page) comes first, above the fold; then the name, the description, the
chapters and the transcript as text.

A rebuild renders thousands of pages that differ only in their values, so the template is
rendered once per page *shape* (whether it has a description and a transcript, how many
chapters) with a marker in place of each value: a skeleton. Each page is then the skeleton's
text with its values escaped exactly as jinja2's autoescape escapes them
(``markupsafe.escape``) put back between its pieces: the same bytes as rendering the template
for that page, at a tenth of the cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from wistia_sync.contract.seo_text import replaced, script_json, shorten
from wistia_sync.publish.build import encode

if TYPE_CHECKING:
    from jinja2 import Template

MAX_TRANSCRIPT = 200_000  # characters of transcript a page shows
DEFAULT_SIZE = (1280, 720)
# markupsafe's escapes, "&" first
_HTML_ESCAPES = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"), ("'", "&#39;"), ('"', "&#34;"))
_HTML_SPECIAL = re.compile("[&<>'\"]")
_MARK = "\x00"  # around a value's name in a skeleton: no template text holds one

# (has a description, number of chapters, has a transcript)
_Shape = tuple[bool, int, bool]


class WatchPage(NamedTuple):
    """What one video's page shows, unescaped."""

    title: str
    url: str  # the page's own (canonical)
    description: str
    thumbnail_url: str
    embed_url: str
    size: tuple[int, int] | None  # the video's width and height, when known
    chapters: list[tuple[str, str, int]]  # (name, URL, start second)
    transcript: str
    jsonld: str  # the VideoObject's JSON text


PageRenderer = Callable[[WatchPage], bytes]


def watch_page_template() -> Template:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("wistia_sync", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("watch.html.j2")


def page_context(page: WatchPage) -> dict[str, Any]:
    """The template's variables for one video's page."""
    from markupsafe import Markup

    context: dict[str, Any] = _page_values(page)
    context["jsonld"] = Markup(script_json(page.jsonld))
    context["chapters"] = [
        {"name": name, "url": url, "at": _clock(start)} for name, url, start in page.chapters
    ]
    return context


def _page_values(page: WatchPage) -> dict[str, str | int]:
    """The page's values but the JSON-LD and the chapters, unescaped."""
    width, height = page.size or DEFAULT_SIZE
    return {
        "lang": "en",
        "title": page.title,
        "url": page.url,
        "description": page.description,
        "thumbnail_url": page.thumbnail_url,
        "embed_url": page.embed_url,
        "width": width,
        "height": height,
        "transcript": shorten(page.transcript, MAX_TRANSCRIPT),
    }


def watch_page_renderer() -> PageRenderer:
    """A function rendering one page (the template is loaded once a publish, and rendered once
    a page shape)."""
    template = watch_page_template()
    skeletons: dict[_Shape, _Skeleton] = {}

    def render(page: WatchPage) -> bytes:
        raw = _page_values(page)
        values = {name: _escaped(value) for name, value in raw.items()}
        values["jsonld"] = script_json(page.jsonld)  # safe inside <script> as it is: not escaped
        for index, (name, url, start) in enumerate(page.chapters):
            values[f"c{index}_name"] = _escaped(name)
            values[f"c{index}_url"] = _escaped(url)
            values[f"c{index}_at"] = _clock(start)
        shape = (bool(raw["description"]), len(page.chapters), bool(raw["transcript"]))
        skeleton = skeletons.get(shape)
        if skeleton is None:
            skeleton = skeletons[shape] = _skeleton(template, shape)
        return encode(skeleton.fill(values))

    return render


def _escaped(value: str | int) -> str:
    """``markupsafe.escape(value)`` as text (what autoescape writes), without making a
    ``Markup`` of every value: a string's five characters replaced."""
    if type(value) is int:
        return str(value)
    text = str(value)
    if _HTML_SPECIAL.search(text) is None:  # most names and URLs: nothing to escape
        return text
    return replaced(text, _HTML_ESCAPES)


class _Skeleton:
    """A page's text cut at its values: its pieces with a slot for each value between them."""

    __slots__ = ("pieces", "slots")

    def __init__(self, texts: list[str], names: list[str]) -> None:
        texts, last = texts[:-1], texts[-1]
        self.pieces = [
            piece for text, name in zip(texts, names, strict=True) for piece in (text, name)
        ]
        self.pieces.append(last)
        self.slots = [(2 * index + 1, name) for index, name in enumerate(names)]

    def fill(self, values: dict[str, str]) -> str:
        pieces = self.pieces.copy()
        for slot, name in self.slots:
            pieces[slot] = values[name]
        return "".join(pieces)


def _skeleton(template: Template, shape: _Shape) -> _Skeleton:
    """The page of ``shape`` rendered with a marker in place of each value, cut at them."""
    from markupsafe import Markup

    has_description, chapter_count, has_transcript = shape

    def mark(name: str, present: bool = True) -> Markup:
        return Markup(f"{_MARK}{name}{_MARK}" if present else "")

    names = ("lang", "title", "url", "thumbnail_url", "embed_url", "width", "height", "jsonld")
    context: dict[str, Any] = {name: mark(name) for name in names}
    context["description"] = mark("description", has_description)
    context["transcript"] = mark("transcript", has_transcript)
    context["chapters"] = [
        {field: mark(f"c{index}_{field}") for field in ("name", "url", "at")}
        for index in range(chapter_count)
    ]
    pieces = template.render(**context).rstrip("\n").split(_MARK)
    # Even pieces are the template's text, odd ones name a value.
    return _Skeleton(pieces[0::2], pieces[1::2])


def _clock(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
