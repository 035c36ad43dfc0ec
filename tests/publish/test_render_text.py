"""A video's published JSON text is exactly what the encoder makes of the video object.

``render_video`` writes the text out rather than encoding a dict (a rebuild renders every video);
this checks it against the dict, in the contract's key order, through ``build.dumps``, for any
text (bidirectional controls, lone surrogates, quotes, control characters, non-BMP) and any
number the database may hold.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wistia_sync.publish.build import (
    ALL_VIDEOS_TITLE,
    BIDI_CONTROLS,
    TagOrder,
    VideoRow,
    dumps,
    published_text,
    render_video,
    render_video_tagged,
)
from wistia_sync.wistia.urls import EMBED_URL, HLS_URL

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*BIDI_CONTROLS, '"', "\\", "\n", "\x00", "\x1f", "\ud800", "😀", "/"]),
    ),
    max_size=30,
)
numbers = st.one_of(
    st.none(), st.integers(min_value=-5, max_value=10**18), st.booleans(), st.floats()
)
durations = st.one_of(st.none(), st.floats(), st.integers(min_value=-5, max_value=10**6))
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)


def reference(row: VideoRow, tags: list[tuple[str, str]]) -> str:
    """The video object as a dict, encoded: what the text must equal."""
    safe_tags = sorted(
        {(published_text(name), slug) for name, slug in tags},
        key=lambda tag: (tag[0].casefold(), tag[0], tag[1]),
    )
    duration = row.duration
    if duration is not None and (not math.isfinite(duration) or duration < 0):
        duration = None
    width, height = row.width, row.height
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        width = height = None
    folder = None
    if row.folder_hashed_id is not None and row.folder_name is not None:
        folder = {"hashed_id": row.folder_hashed_id, "name": published_text(row.folder_name)}
    video: dict[str, Any] = {
        "hashed_id": row.hashed_id,
        "name": published_text(row.name),
        "description": published_text(row.description),
        "duration": None if duration is None else float(duration),
        "width": width,
        "height": height,
        "created": row.created,
        "updated": row.updated,
        "thumbnail_url": None if row.thumbnail_url is None else published_text(row.thumbnail_url),
        "embed_url": EMBED_URL.format(hashed_id=row.hashed_id),
        "hls_url": HLS_URL.format(hashed_id=row.hashed_id),
        "folder": folder,
        "tags": [{"name": name, "slug": slug} for name, slug in safe_tags],
        "plays": None if row.plays is None or row.plays < 0 else row.plays,
    }
    return dumps(video)


@settings(max_examples=300, deadline=None)
@given(
    name=texts,
    description=texts,
    thumbnail=st.one_of(st.none(), texts),
    folder_name=st.one_of(st.none(), texts),
    duration=durations,
    width=numbers,
    height=numbers,
    plays=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**18), st.booleans()),
    tags=st.lists(st.tuples(texts, slugs), max_size=4),
)
def test_the_written_out_text_is_the_encoded_video_object(
    name: str,
    description: str,
    thumbnail: str | None,
    folder_name: str | None,
    duration: float | None,
    width: Any,
    height: Any,
    plays: int | None,
    tags: list[tuple[str, str]],
) -> None:
    row = VideoRow(
        hashed_id="abc123XYZ",
        name=name,
        description=description,
        duration=duration,
        created="2026-01-02T03:04:05Z",
        updated="2026-02-03T04:05:06Z",
        thumbnail_url=thumbnail,
        plays=plays,
        folder_hashed_id=None if folder_name is None else "fold01",
        folder_name=folder_name,
        width=width,
        height=height,
    )
    video = render_video(row, tags)
    assert video is not None
    assert video.json == reference(row, tags)
    assert video.title("videos.json") == ALL_VIDEOS_TITLE


@settings(max_examples=200, deadline=None)
@given(
    catalog=st.dictionaries(slugs, texts, max_size=8),  # slug -> name: slugs are unique
    picks=st.lists(st.integers(min_value=0, max_value=20), max_size=10),
    unsafe=st.booleans(),
)
def test_a_rebuild_s_tag_order_lists_a_video_s_tags_as_rendering_them_does(
    catalog: dict[str, str], picks: list[int], unsafe: bool
) -> None:
    """A rebuild ranks every tag once (``TagOrder``) and gives each video its tag ids' ranks:
    the same tags, deduplicated (a tag from two sources) and in the same order, as
    ``render_video`` makes of the video's (name, slug) pairs; an unsafe slug is left out."""
    tags = [(tag_id, name, slug) for tag_id, (slug, name) in enumerate(catalog.items())]
    if unsafe:
        tags.append((len(tags), "Unsafe", "../up"))
    row = VideoRow("abc123XYZ", "n", "", None, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z",
                   None, None, None, None)  # fmt: skip
    chosen = [tags[pick % len(tags)] for pick in picks] if tags else []
    order = TagOrder(tags)
    ranks = {order.rank[tag_id] for tag_id, _, _ in chosen if tag_id in order.rank}
    by_rank = render_video_tagged(row, order.of(ranks))
    by_pairs = render_video(row, [(name, slug) for _, name, slug in chosen])
    assert by_rank is not None and by_pairs is not None
    assert by_rank.json == by_pairs.json
    assert by_rank.playlists == by_pairs.playlists
