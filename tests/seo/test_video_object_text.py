"""A video's JSON-LD text is exactly what the encoder makes of its VideoObject.

``video_object_text`` writes the JSON out rather than encoding a dict (a rebuild writes one a
video); this checks it against the VideoObject as a dict, in its key order, through
``build.dumps``, for any text (quotes, control characters, lone surrogates, non-BMP), any
number the database may hold and any chapters.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wistia_sync.contract.seo_text import iso_duration
from wistia_sync.publish.build import dumps
from wistia_sync.publish.seo_files import SeoVideo, chapter_clips, video_object_text
from wistia_sync.wistia.urls import EMBED_URL

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "\n", "\x00", "\x1f", "\ud800", "😀", "/", " ", "\u2028"]),
    ),
    max_size=30,
)
positive = st.one_of(st.none(), st.integers(min_value=1, max_value=10**9))
seconds = st.floats(min_value=0, max_value=10**6, allow_nan=False)


def reference(video: SeoVideo, chapters: list[tuple[str, float]]) -> str:
    """The VideoObject as a dict (schema.org, as Google reads it), encoded."""
    url = video.url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "@id": url + "#video",
        "name": video.name.strip() or video.slug,
        "thumbnailUrl": [video.thumbnail_url],
        "uploadDate": video.created,
        "url": url,
        "embedUrl": EMBED_URL.format(hashed_id=video.hashed_id),
    }
    if video.summary:
        data["description"] = video.summary
    if video.duration is not None and video.duration >= 0.5:
        data["duration"] = iso_duration(video.duration)
    if video.width and video.height:
        data["width"], data["height"] = video.width, video.height
    if video.plays is not None:
        data["interactionStatistic"] = {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": video.plays,
        }
    end_of_video = math.floor(video.duration) if video.duration is not None else None
    inside = [
        (title, math.floor(start))
        for title, start in chapters
        if end_of_video is None or math.floor(start) < end_of_video
    ]
    clips = []
    for index, (title, start) in enumerate(inside):
        end = inside[index + 1][1] if index + 1 < len(inside) else end_of_video
        if end is None or end <= start:
            continue
        joiner = "&" if "?" in url else "?"
        clips.append(
            {
                "@type": "Clip",
                "name": title.strip() or f"Part {index + 1}",
                "startOffset": start,
                "endOffset": end,
                "url": f"{url}{joiner}t={start}",
            }
        )
    if clips:
        data["hasPart"] = clips
    return dumps(data)


@settings(max_examples=400, deadline=None)
@given(
    name=texts,
    summary=texts,
    url=st.one_of(texts, st.just('https://example.com/videos/a?b=<c>&d="e"')),
    thumbnail=texts,
    duration=st.one_of(st.none(), seconds),
    width=positive,
    height=positive,
    plays=st.one_of(st.none(), st.integers(min_value=0, max_value=10**18)),
    chapters=st.lists(st.tuples(texts, seconds), max_size=5),
)
def test_the_written_out_json_ld_is_the_encoded_video_object(
    name: str,
    summary: str,
    url: str,
    thumbnail: str,
    duration: float | None,
    width: int | None,
    height: int | None,
    plays: int | None,
    chapters: list[tuple[str, float]],
) -> None:
    chapters = sorted(chapters, key=lambda mark: mark[1])
    video = SeoVideo(
        seq=1,
        slug="a-slug",
        hashed_id="abc123XYZ",
        url=url,
        name=name,
        description=summary,
        duration=duration,
        created="2026-01-02T03:04:05Z",
        updated="2026-02-03T04:05:06Z",
        thumbnail_url=thumbnail,
        plays=plays,
        width=width,
        height=height,
        summary=summary,
    )
    text = video_object_text(video, chapter_clips(url, chapters, duration))
    assert text == reference(video, chapters)
