"""VideoObject JSON-LD and static watch pages (issue 22), read with extruct as crawlers do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import all_bytes, turn_on, watch_url
from tests.support.factories import add_video
from wistia_sync.contract.seo_text import iso_duration

GOOGLE_REQUIRED = ("name", "thumbnailUrl", "uploadDate")
CLIP_REQUIRED = ("name", "startOffset", "url")
HOSTILE = '</script><script>alert(1)</script> & "quotes" <!-- \u2028'


def add_chapters(db: Database, hashed_id: str, chapters: list[list[Any]]) -> None:
    db.execute(
        "INSERT INTO caption_sync (hashed_id, chapters) VALUES (?, ?)",
        [hashed_id, json.dumps(chapters)],
    )


def add_transcript(db: Database, hashed_id: str, lang: str, text: str) -> None:
    db.execute(
        "INSERT INTO video_captions (hashed_id, lang, label, cues, digest, transcript) "
        "VALUES (?, ?, ?, '[]', ?, ?)",
        [hashed_id, lang, lang, "0" * 64, text],
    )


def extracted(page: Path, url: str) -> dict[str, Any]:
    import extruct  # type: ignore[import-untyped]

    return dict(
        extruct.extract(
            page.read_text(encoding="utf-8"), base_url=url, syntaxes=["json-ld", "opengraph"]
        )
    )


def page_of(db: Database, out: Path, hashed_id: str) -> Path:
    (slug,) = db.execute("SELECT slug FROM video_slugs WHERE hashed_id = ?", [hashed_id]).fetchone()
    return out / "watch" / f"{slug}.html"


def test_the_watch_page_carries_a_videoobject_google_accepts(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "v1", name="Tour", description="<p>All <b>of</b> it</p>", duration=290.1,
              plays=136, created="2026-03-22T06:02:40Z")  # fmt: skip
    add_chapters(db, "v1", [["Intro", 0], ["Middle", 96.7], ["End", 193.4], ["Past", 400]])
    add_transcript(db, "v1", "deu", "Hallo")
    add_transcript(db, "v1", "eng", "Hello there, general viewer")
    turn_on(db)
    publish()

    url = watch_url(db, "v1")
    data = extracted(page_of(db, out, "v1"), url)
    (video,) = data["json-ld"]
    assert video["@type"] == "VideoObject"
    for name in GOOGLE_REQUIRED:
        assert video[name], name
    assert video["uploadDate"] == "2026-03-22T06:02:40Z"
    assert video["duration"] == "PT4M50S"
    assert video["embedUrl"] == "https://fast.wistia.net/embed/iframe/v1"
    assert video["description"] == "All of it"
    assert video["interactionStatistic"]["userInteractionCount"] == 136
    assert video["interactionStatistic"]["interactionType"]["@type"] == "WatchAction"
    clips = video["hasPart"]
    assert [(c["name"], c["startOffset"], c["endOffset"]) for c in clips] == [
        ("Intro", 0, 96),
        ("Middle", 96, 193),
        ("End", 193, 290),
    ]  # "Past" starts after the end: left out
    for clip in clips:
        assert all(clip[name] != "" for name in CLIP_REQUIRED)
        assert clip["url"] == f"{url}?t={clip['startOffset']}"
    assert json.loads((out / "ld" / "v1.json").read_text()) == video  # the same object
    og = dict(data["opengraph"][0]["properties"])
    assert og["og:url"] == url and og["og:title"] == "Tour"
    html = page_of(db, out, "v1").read_text()
    assert f'<link rel="canonical" href="{url}">' in html
    assert '<iframe id="player" src="https://fast.wistia.net/embed/iframe/v1"' in html
    assert html.index("<iframe") < html.index("<h1>")  # the player first, above the fold
    assert "Hello there, general viewer" in html and "Hallo" not in html  # English preferred


def test_hostile_names_stay_text_and_never_leave_the_json_ld(
    db: Database, out: Path, publish: Publish
) -> None:
    add_video(db, "x1", name=HOSTILE, description=HOSTILE)
    add_chapters(db, "x1", [[HOSTILE, 0], ["Two", 10]])
    add_transcript(db, "x1", "eng", HOSTILE)
    turn_on(db)
    publish()

    page = page_of(db, out, "x1")
    html = page.read_text()
    assert html.count("</script>") == 1  # only the JSON-LD's own end
    assert "<script>alert(1)" not in html
    (video,) = extracted(page, watch_url(db, "x1"))["json-ld"]
    assert video["name"] == HOSTILE.strip()
    assert video["hasPart"][0]["name"] == HOSTILE.strip()


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(290.106, "PT4M50S"), (0.6, "PT1S"), (59.4, "PT59S"), (3600, "PT1H"), (3661, "PT1H1M1S")],
)
def test_iso_8601_durations(seconds: float, expected: str) -> None:
    assert iso_duration(seconds) == expected


@pytest.mark.parametrize("change", ["hide", "archive", "delete", "protect"])
def test_a_video_no_longer_published_leaves_every_file_for_search_engines(
    db: Database, out: Path, publish: Publish, change: str
) -> None:
    add_video(db, "keep1", name="Kept video")
    add_video(db, "gone1", name="Secret launch plan")
    add_chapters(db, "gone1", [["Secret chapter", 0], ["More", 5]])
    turn_on(db)
    publish()
    assert b"secret-launch-plan" in all_bytes(out)

    sql = {
        "hide": "UPDATE videos SET visibility = 'hidden'",
        "archive": "UPDATE videos SET archived = 1",
        "delete": "UPDATE videos SET deleted_at = '2025-01-01T00:00:00Z'",
        "protect": "UPDATE videos SET protected = 1",
    }[change]
    db.execute(f"{sql} WHERE hashed_id = 'gone1'")
    result = publish()

    assert "ld/gone1.json" in result.removed
    assert "watch/secret-launch-plan.html" in result.removed
    everything = all_bytes(out)
    for leak in (b"gone1", b"Secret launch plan", b"secret-launch-plan", b"Secret chapter"):
        assert leak not in everything, leak
    assert b"kept-video" in everything


@pytest.mark.parametrize(
    "text",
    ["Plain words", "  spaced\n\tout\r\n words  ", "quotes \" ' and > alone", "x" * 3000,
     ("word " * 600).strip(), "\u2028 line\u2029separators \x0b", ""],
)  # fmt: skip
def test_a_description_without_markup_reads_as_the_html_parser_reads_it(text: str) -> None:
    from wistia_sync.contract.seo_text import plain_text

    # A span adds nothing to the text, but takes the parser's path.
    assert plain_text(text, 2048) == plain_text(f"<span>{text}</span>", 2048)


def test_a_description_collapses_every_unicode_space_as_a_regex_would() -> None:
    import re
    import sys

    from wistia_sync.contract.seo_text import plain_text

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)))
    text = f"{spaces}a{spaces}b\u200b c{spaces[::-1]}d{spaces}"
    expected = re.sub(r"\s+", " ", text).strip()
    assert expected == "a b\u200b c d"  # (a zero-width space is not a space)
    assert plain_text(text, 2048) == expected == plain_text(f"<p>{text}</p>", 2048)


@pytest.mark.parametrize(
    "text", ["plain", 'a & b < c > d "e"', "ctl\x00\x08\x0b\x1f\ufffe\uffff\ud800 end", "é ✓"]
)
def test_xml_text_escapes_markup_and_drops_what_xml_cannot_hold(text: str) -> None:
    import xml.etree.ElementTree as ElementTree

    from wistia_sync.contract.seo_text import xml_text

    element = ElementTree.fromstring(f'<a b="{xml_text(text)}">{xml_text(text)}</a>')
    kept = "".join(
        c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
    )
    assert element.text == kept and element.get("b") == kept
