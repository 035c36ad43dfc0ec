"""Issue 20: every caption and chapter string from Wistia is untrusted. Cue text loses markup,
control and bidirectional characters; sizes are capped; timestamps are validated; drafts and
garbage are dropped; what is published is re-rendered WebVTT that a real parser reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import webvtt
from sqlite_utils import Database

from tests.captions.support import captioned_fake, captions_of, chapters_of, ready_videos, sync
from wistia_sync.contract.vtt import render_vtt
from wistia_sync.demo.extras import caption_item, srt
from wistia_sync.store.db import open_database
from wistia_sync.wistia.captions import (
    MAX_CAPTION_BYTES,
    MAX_CUE_CHARS,
    MAX_CUES,
    Notes,
    read_captions,
    read_chapters,
)


def cues(text: str) -> list[tuple[int, int, str]]:
    (caption,) = read_captions([caption_item("eng", text)], Notes())
    return [(c.start_ms, c.end_ms, c.text) for c in caption.cues]


def parsed(vtt: bytes) -> list[tuple[str, str, str]]:
    return [(c.start, c.end, c.text) for c in webvtt.from_string(vtt.decode("utf-8"))]


HOSTILE_CUES = {
    "markup": (
        "<script>alert(1)</script><i>Hi</i> <font color=red>there</font>",
        "alert(1)Hi there",
    ),
    "entities": ("&lt;b&gt;bold&lt;/b&gt; &amp; co", "bold & co"),
    "ass override": (r"{\an8}Top line", "Top line"),
    "controls": ("bell\x07 escape\x1b[31m nul\x00", "bell escape[31m nul"),
    "bidi": ("\u202egpj.exe\u2066x\u2069", "gpj.exex"),
    "arrow": ("a --> b", "a --> b"),
    "blank lines": ("one\n \n\ntwo", "one"),  # a blank line ends the cue in SRT
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_CUES))
def test_cue_text_is_plain_text_and_renders_as_valid_webvtt(kind: str) -> None:
    raw, expected = HOSTILE_CUES[kind]
    (cue,) = cues(f"1\n00:00:01,000 --> 00:00:02,500\n{raw}\n")[:1]
    assert cue == (1000, 2500, expected)
    vtt = render_vtt([cue])
    assert parsed(vtt) == [("00:00:01.000", "00:00:02.500", _escaped(expected))]
    assert b"<" not in vtt and b"\x1b" not in vtt and "\u202e".encode() not in vtt


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    "timing",
    [
        "00:00:05,000 --> 00:00:01,000",  # ends before it starts
        "00:00:05,000 --> 00:00:05,000",  # empty
        "00:61:00,000 --> 00:62:00,000",  # minutes out of range
        "49:00:00,000 --> 49:00:01,000",  # past 48 hours
        "1:2:3 --> 4:5:6",
        "00:00:01,000 -> 00:00:02,000",
        "garbage",
        "",
    ],
)
def test_a_cue_with_a_bad_timing_is_dropped_and_the_others_kept(timing: str) -> None:
    text = f"1\n{timing}\nbad\n\n2\n00:00:03,000 --> 00:00:04,000\ngood\n"
    notes = Notes()
    (caption,) = read_captions([caption_item("eng", text)], notes)
    assert [c.text for c in caption.cues] == ["good"]
    assert any("dropped" in line for line in notes.lines)


def test_cues_are_sorted_by_start_and_indexes_need_not_be_numbers() -> None:
    text = (
        "b\n00:00:09,000 --> 00:00:10,000\nsecond\n\n"
        "\ufeffa\r\n00:00:01.000 --> 00:00:02.000 align:start\r\nfirst\r\n"
    )
    assert [c[2] for c in cues(text)] == ["first", "second"]


def test_sizes_are_capped() -> None:
    long_cue = "x" * (MAX_CUE_CHARS * 3)
    (cue,) = cues(f"00:00:01,000 --> 00:00:02,000\n{long_cue}\n")
    assert len(cue[2]) == MAX_CUE_CHARS
    many = srt([f"line {i}" for i in range(MAX_CUES + 5)], every_ms=1000)
    notes = Notes()
    (caption,) = read_captions([caption_item("eng", many)], notes)
    assert len(caption.cues) == MAX_CUES and any("more than" in n for n in notes.lines)
    huge = srt(["y" * 400] * (MAX_CAPTION_BYTES // 400 + 10))
    notes = Notes()
    kept = read_captions([caption_item("eng", huge), caption_item("fra", srt(["ok"]))], notes)
    assert [c.lang for c in kept] == ["fra"]
    assert any("larger than" in n for n in notes.lines)


@pytest.mark.parametrize(
    "item",
    [
        {"language": "../../etc/passwd", "text": srt(["x"]), "is_draft": False, "id": "1"},
        {"language": "<b>", "text": srt(["x"]), "is_draft": False, "id": "1"},
        {"language": 5, "text": srt(["x"]), "is_draft": False, "id": "1"},
        {"language": "ENG", "text": srt(["x"]), "is_draft": False, "id": "1"},
        {"language": "eng", "text": None, "is_draft": False, "id": "1"},
        {"language": "eng", "text": ["x"], "is_draft": False, "id": "1"},
        {"language": "eng", "text": srt(["x"]), "is_draft": True, "id": "1"},
        {"language": "eng", "text": srt(["x"]), "is_draft": None, "id": "1"},
        {"language": "eng", "text": "no cue at all", "is_draft": False, "id": "1"},
        "a string",
        None,
        [1, 2],
    ],
)
def test_a_caption_that_is_not_a_finished_caption_is_not_kept(item: Any) -> None:
    assert read_captions([item], Notes()) == ()


def test_a_label_is_plain_text_and_falls_back_to_the_language() -> None:
    item = {**caption_item("fra", srt(["x"])), "native_name": "<b>Fran\u202eçais</b>\x07"}
    assert read_captions([item], Notes())[0].label == "Français"
    item = {**caption_item("zh-Hant", srt(["x"])), "native_name": None, "english_name": 3}
    assert read_captions([item], Notes())[0].label == "zh-Hant"


def chapters(entries: Any, **chapters_fields: Any) -> list[tuple[str, float]]:
    raw = {"plugin": {"chapters": {"on": "true", "chapterList": entries, **chapters_fields}}}
    return [(c.title, c.start) for c in read_chapters(raw, Notes())]


def test_chapters_are_read_from_strings_sorted_and_deleted_ones_dropped() -> None:
    entries = [
        {"id": "2", "title": "Second", "time": "90.5", "deleted": "false"},
        {"id": "1", "title": "First", "time": "0", "deleted": "false"},
        {"id": "3", "title": "Gone", "time": "10", "deleted": "true"},
        {"id": "4", "title": "Gone too", "time": "20", "deleted": True},
        {"id": "5", "title": "Numbers", "time": 30, "deleted": False},
        {"id": "6", "title": "Maybe", "time": "40", "deleted": "perhaps"},  # not a clear false
    ]
    assert chapters(entries) == [("First", 0.0), ("Numbers", 30.0), ("Second", 90.5)]


@pytest.mark.parametrize("time", ["abc", "-5", "1e309", "NaN", "inf", "", None, [], True, 10**12])
def test_a_chapter_without_a_valid_time_is_dropped(time: Any) -> None:
    assert chapters([{"title": "Bad", "time": time}, {"title": "Good", "time": "1"}]) == [
        ("Good", 1.0)
    ]


def test_chapter_titles_are_plain_text_and_a_chapter_without_one_is_dropped() -> None:
    entries = [
        {"title": "<img src=x onerror=alert(1)>Intro\u202e\x00", "time": "1"},
        {"title": "   ", "time": "2"},
        {"title": None, "time": "3"},
        {"title": "x" * 1000, "time": "4"},
    ]
    found = chapters(entries)
    assert found[0] == ("Intro", 1.0) and len(found) == 2 and len(found[1][0]) == 200


@pytest.mark.parametrize(
    "customizations",
    [
        {},
        {"plugin": None},
        {"plugin": {"chapters": "on"}},
        {"plugin": {"chapters": {"on": "true", "chapterList": "1,2,3"}}},
        {"plugin": {"chapters": {"on": "false", "chapterList": [{"title": "A", "time": "1"}]}}},
        {"plugin": {"chapters": {"on": "maybe", "chapterList": [{"title": "A", "time": "1"}]}}},
        {"plugin": {"chapters": {"chapterList": ["a", 1, None]}}},
    ],
)
def test_garbage_customizations_give_no_chapters(customizations: Any) -> None:
    assert read_chapters(customizations, Notes()) == ()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.mark.parametrize(
    "answer",
    [b'{"not": "a list"}', b'"text"', b"[1, 2", b"null"],
)
def test_an_answer_that_is_not_captions_is_that_media_s_failure(
    db: Database, answer: bytes
) -> None:
    fake = captioned_fake()
    broken, other = ready_videos(fake)[:2]
    fake.set_captions(other, [caption_item("eng", srt(["Fine."]))])

    def wrap(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(f"/medias/{broken}/captions"):
            return httpx.Response(200, content=answer)
        return None

    summary, _ = sync(db, fake, wrap)
    if answer == b"null":  # read as "no captions": nothing to fail on
        assert summary.media_failures == 0
    else:
        assert summary.media_failures == 1
        assert db.execute(
            "SELECT error IS NOT NULL FROM caption_sync WHERE hashed_id = ?", [broken]
        ).fetchone() == (1,)
    assert captions_of(db, other) == {"eng": [[0, 3800, "Fine."]]}


def test_a_hostile_account_stores_only_clean_text(db: Database) -> None:
    fake = captioned_fake()
    video = ready_videos(fake)[0]
    hostile = srt(["<script>x</script>\u202eevil\x1b", "fine"])
    fake.set_captions(video, [caption_item("eng", hostile), caption_item("../x", hostile)])
    fake.set_customizations(
        video, {"plugin": {"chapters": {"chapterList": [{"title": "<b>T</b>", "time": "2"}]}}}
    )
    sync(db, fake)
    assert captions_of(db, video) == {"eng": [[0, 3800, "xevil"], [4000, 7800, "fine"]]}
    assert chapters_of(db, video) == [["T", 2.0]]
