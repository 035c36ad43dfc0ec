"""A watch page filled into its shape's skeleton is, byte for byte, the template rendered for it."""

from __future__ import annotations

import pytest

from wistia_sync.publish.build import dumps, encode
from wistia_sync.publish.watch_page import (
    WatchPage,
    page_context,
    watch_page_renderer,
    watch_page_template,
)

HOSTILE = "</script><script>alert(\"x\")</script> & 'q' <!-- \u2028 {{ title }} \x00 %s {0}"


def watch_page(
    name: str, description: str, clips: int, size: tuple[int, int] | None, transcript: str
) -> WatchPage:
    url = f"https://example.com/videos/{name}?a=1&b=<2>"
    chapters = [(f"{name} part {n}", f"{url}&t={n}", n * 3700) for n in range(clips)]
    return WatchPage(
        title=name,
        url=url,
        description=description,
        thumbnail_url='https://embed.wistia.com/t.jpg?x="1"&y=2',
        embed_url="https://fast.wistia.net/embed/iframe/abc",
        size=size,
        chapters=chapters,
        transcript=transcript,
        jsonld=dumps({"@type": "VideoObject", "name": name, "description": description}),
    )


@pytest.mark.parametrize("description", ["", "Plain words", HOSTILE])
@pytest.mark.parametrize("clips", [0, 1, 3])
@pytest.mark.parametrize("transcript", ["", HOSTILE * 3, "word " * 50_000])
@pytest.mark.parametrize("size", [None, (640, 360)])
def test_each_page_is_the_template_rendered_for_it(
    description: str, clips: int, transcript: str, size: tuple[int, int] | None
) -> None:
    render = watch_page_renderer()
    template = watch_page_template()
    for name in ("Tour", HOSTILE, "Ünïcödé \u2013 ✓"):
        page = watch_page(name, description, clips, size, transcript)
        expected = encode(template.render(**page_context(page)).rstrip("\n"))
        assert render(page) == expected


def test_values_are_escaped_and_the_json_ld_cannot_close_its_script() -> None:
    page = watch_page_renderer()(watch_page(HOSTILE, HOSTILE, 1, None, HOSTILE)).decode()
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;x&#34;)" in page
