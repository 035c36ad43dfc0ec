"""A watch page filled into its shape's skeleton is, byte for byte, the template rendered for it."""

from __future__ import annotations

from typing import Any

import pytest

from wistia_sync.publish.build import dumps, encode
from wistia_sync.publish.watch_page import page_context, watch_page_renderer, watch_page_template

HOSTILE = "</script><script>alert(\"x\")</script> & 'q' <!-- \u2028 {{ title }} \x00 %s {0}"


def video_object(name: str, description: str, clips: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "VideoObject",
        "name": name,
        "url": f"https://example.com/videos/{name}?a=1&b=<2>",
        "thumbnailUrl": ['https://embed.wistia.com/t.jpg?x="1"&y=2'],
        "embedUrl": "https://fast.wistia.net/embed/iframe/abc",
    }
    if description:
        data["description"] = description
    if clips:
        data["hasPart"] = [
            {"name": f"{name} part {n}", "url": f"{data['url']}&t={n}", "startOffset": n * 3700}
            for n in range(clips)
        ]
    return data


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
        data = video_object(name, description, clips)
        text = dumps(data)
        context = page_context(data, text, size, transcript)
        expected = encode(template.render(**context).rstrip("\n"))
        assert render(data, text, size, transcript) == expected


def test_values_are_escaped_and_the_json_ld_cannot_close_its_script() -> None:
    data = video_object(HOSTILE, HOSTILE, 1)
    page = watch_page_renderer()(data, dumps(data), None, HOSTILE).decode()
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;x&#34;)" in page
