"""Checking a published ``index.html``: exactly the template's output, so it can hold nothing
but its title (the page reads every video from the JSON at run time)."""

from __future__ import annotations

import html
import re

from wistia_sync.publish.preview import render_preview_page

_TITLE = re.compile(rb"<title>(.*?)</title>", re.DOTALL)


def preview_page_problem(content: bytes) -> str:
    """What is wrong with ``content`` as the preview page ("" when it is the template's output
    for the title it shows)."""
    match = _TITLE.search(content)
    if match is None:
        return "no <title>: not the preview page"
    title = html.unescape(match[1].decode("utf-8", errors="replace"))
    if content != render_preview_page(title):
        return f"not the template's output for the title {title!r}"
    return ""
