"""Text as search engines get it: plain text from Wistia's HTML descriptions, XML-safe text,
ISO 8601 durations, and JSON safe inside an HTML ``<script>`` element.

Every byte here comes from Wistia or an editor, so every function assumes hostile input.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Characters XML 1.0 cannot hold, escaped or not: dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCRIPT_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                  ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))  # fmt: skip
# What ``xml_text`` changes: a text holding none of these is XML-safe as it is.
_NOT_XML_SAFE = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        elif tag in ("p", "br", "li", "div"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str | None, limit: int) -> str:
    """The visible text of an HTML fragment, whitespace collapsed, at most ``limit`` characters
    (cut at a word where one is near)."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:  # no markup, no reference: the parser keeps it all
        return shorten(_collapsed(html[: limit * 8]), limit)
    parser = _TextOnly()
    parser.feed(html[: limit * 8])  # markup aside, more than ``limit`` characters are not kept
    parser.close()
    return shorten(_collapsed("".join(parser.parts)), limit)


def _collapsed(text: str) -> str:
    """Runs of whitespace as one space, none at the ends: ``re.sub(r"\\s+", " ", text).strip()``
    (the same characters: both are ``str.isspace``), several times faster."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def xml_text(text: str) -> str:
    """Text for an XML element or a double-quoted attribute."""
    if _NOT_XML_SAFE.search(text) is None:
        return text
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def iso_duration(seconds: float) -> str:
    """``PT4M50S`` (whole seconds, rounded; at least one second)."""
    total = max(1, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        "PT"
        + (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{secs}S" if secs or total < 60 else "")
    )


def script_json(text: str) -> str:
    """JSON text made safe inside ``<script>``: no ``<``, ``>`` or ``&`` at all (so neither
    ``</script>`` nor ``<!--`` can appear), and no line separators; still the same JSON."""
    return replaced(text, _SCRIPT_UNSAFE)


def replaced(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """``text`` with each pair's first string replaced by its second, in order: one pass in C a
    pair, several times faster than ``str.translate`` with a table for a few characters."""
    for old, new in pairs:
        text = text.replace(old, new)
    return text
