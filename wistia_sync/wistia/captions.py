"""Reading a media's captions and chapters from Wistia, as untrusted input.

``GET /medias/{id}/captions`` answers a list of captions, each with an SRT ``text``; ``GET
/medias/{id}/customizations`` answers the player's settings, chapters among them, every value a
string (docs/wistia-api.md). Nothing in either is passed through: captions are parsed by a small
strict SRT reader (``read_srt``) into cues whose text is stripped of markup, control and
bidirectional characters, capped in length and count, with validated timestamps; chapters are
read into (title, start seconds), deleted ones dropped. What was repaired or refused is noted
(``notes``), so a sync can report it on the media.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_CAPTION_BYTES = 1_000_000  # UTF-8 bytes of one language's SRT: about 10 hours of speech
MAX_CUES = 10_000  # cues in one language
MAX_CUE_CHARS = 500  # characters of one cue's text
MAX_LANGUAGES = 50  # captions kept per media
MAX_LABEL_CHARS = 100
MAX_CHAPTERS = 500
MAX_CHAPTER_TITLE_CHARS = 200
MAX_MEDIA_MILLISECONDS = 48 * 3600 * 1000  # a cue or chapter later than 48 hours is not one

# ISO 639-2 (three letters), or the extended IETF forms the spec mentions (``zh-Hant``).
LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,2}")
_TIMING = re.compile(
    r"(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{3})[ \t]+-->[ \t]+"
    r"(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{3})"
    r"(?:[ \t].*)?"
)
# Markup a caption may carry: HTML-like tags (<i>, <font color=…>, <c.yellow>, <00:01.000>) and
# SubStation override blocks ({\an8}). Stripped, never interpreted.
_MARKUP = re.compile(r"<[^<>\n]{0,200}>|\{\\[^{}\n]{0,200}\}")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # plain text, lines separated by "\n", never empty


@dataclass(frozen=True)
class Caption:
    lang: str
    label: str
    wistia_id: str | None
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float  # seconds


@dataclass
class Notes:
    """What reading one media's answers repaired or refused, one line each."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if len(self.lines) < 20:
            self.lines.append(line)


def clean_text(value: str, limit: int) -> str:
    """``value`` as plain, single-direction, printable text: markup and entities resolved into
    characters, control/format/bidi characters dropped, NFC, spaces collapsed, at most ``limit``
    characters. Newlines survive (a cue may have two lines); empty lines do not."""
    text = _MARKUP.sub("", value)
    text = html.unescape(text)
    text = _MARKUP.sub("", text)  # "&lt;b&gt;" unescaped is markup too
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in text:
        if char == "\n":
            kept.append(char)
        elif char in _BIDI or unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            continue
        elif unicodedata.category(char) in ("Zl", "Zp"):
            kept.append("\n")
        else:
            kept.append(char)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(kept).split("\n")]
    joined = "\n".join(line for line in lines if line)
    return joined[:limit].rstrip()


def read_srt(text: str, notes: Notes, lang: str) -> tuple[Cue, ...]:
    """The cues of an SRT file, in start order; bad blocks are dropped (and noted), not fatal.

    A block is an optional index line, a timing line ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` and text
    lines up to a blank line. A timing that is malformed, ends before it starts or lies past
    ``MAX_MEDIA_MILLISECONDS`` drops its block; so does a cue left with no text.
    """
    blocks = re.split(
        r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip("\ufeff\n")
    )
    cues: list[Cue] = []
    dropped = 0
    for block in blocks:
        lines = block.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        if not _TIMING.fullmatch(lines[0].strip()) and len(lines) > 1:
            lines = lines[1:]  # the cue's index (or any label): not published
        timing = _TIMING.fullmatch(lines[0].strip())
        if timing is None:
            dropped += 1
            continue
        start, end = _milliseconds(timing.groups()[:4]), _milliseconds(timing.groups()[4:])
        body = clean_text("\n".join(lines[1:]), MAX_CUE_CHARS)
        if end <= start or end > MAX_MEDIA_MILLISECONDS or not body:
            dropped += 1
            continue
        if len(cues) == MAX_CUES:
            notes.add(f"{lang}: more than {MAX_CUES} cues, the rest dropped")
            break
        cues.append(Cue(start, end, body))
    if dropped:
        notes.add(f"{lang}: {dropped} cue(s) with a bad timing or no text dropped")
    cues.sort(key=lambda cue: (cue.start_ms, cue.end_ms))
    return tuple(cues)


def read_captions(raw: object, notes: Notes) -> tuple[Caption, ...]:
    """The published-eligible captions of one media's ``/captions`` answer, sorted by language.

    Drafts are never kept: only ``is_draft`` exactly ``false`` is a finished caption. A language
    that is not a language code, a ``text`` that is not a string, or one larger than
    ``MAX_CAPTION_BYTES`` is refused (noted); one language twice keeps the one with more cues.
    Raises ``ValueError`` when the answer is not a list at all.
    """
    if not isinstance(raw, list):
        raise ValueError(f"the captions answer is {_kind(raw)}, not a list")
    kept: dict[str, Caption] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            notes.add(f"a caption that is {_kind(item)}, not an object, ignored")
            continue
        if item.get("is_draft") is not False:
            continue
        lang = item.get("language")
        if not isinstance(lang, str) or not LANGUAGE.fullmatch(lang):
            notes.add(f"a caption with language {_preview(lang)} ignored")
            continue
        text = item.get("text")
        if not isinstance(text, str):
            continue
        if (
            len(text) > MAX_CAPTION_BYTES
            or len(text.encode("utf-8", "replace")) > MAX_CAPTION_BYTES
        ):
            notes.add(f"{lang}: captions larger than {MAX_CAPTION_BYTES} bytes ignored")
            continue
        cues = read_srt(text, notes, lang)
        if not cues:
            notes.add(f"{lang}: captions without one readable cue ignored")
            continue
        label = ""
        for key in ("native_name", "english_name"):
            name = item.get(key)
            if isinstance(name, str) and (
                label := clean_text(name, MAX_LABEL_CHARS).replace("\n", " ")
            ):
                break
        wistia_id = item.get("id")
        caption = Caption(
            lang,
            label or lang,
            clean_text(wistia_id, 100) or None if isinstance(wistia_id, str) else None,
            cues,
        )
        previous = kept.get(lang)
        if previous is None or len(cues) > len(previous.cues):
            kept[lang] = caption
    if len(kept) > MAX_LANGUAGES:
        notes.add(f"more than {MAX_LANGUAGES} caption languages, the rest ignored")
    return tuple(kept[lang] for lang in sorted(kept)[:MAX_LANGUAGES])


def read_chapters(raw: object, notes: Notes) -> tuple[Chapter, ...]:
    """The chapters in one media's ``/customizations`` answer, by start then title.

    They are ``plugin.chapters.chapterList``; every value may be a string (the spec types them
    so). An entry whose ``deleted`` is true (``"true"``, ``true``, ``"1"``) is not a chapter; nor
    is one without a title or a start from 0 to ``MAX_MEDIA_MILLISECONDS``. A plugin switched
    off (``on`` false, or unreadable) shows none; a missing ``on`` is on. Raises ``ValueError``
    when the answer is not an object.
    """
    if not isinstance(raw, Mapping):
        raise ValueError(f"the customizations answer is {_kind(raw)}, not an object")
    plugin = raw.get("plugin")
    chapters = plugin.get("chapters") if isinstance(plugin, Mapping) else None
    if chapters is None:
        return ()
    if not isinstance(chapters, Mapping):
        notes.add(f"chapters that are {_kind(chapters)}, not an object, ignored")
        return ()
    if _truthy(chapters.get("on"), default=True) is not True:  # off, or unreadable
        return ()
    entries = chapters.get("chapterList")
    if not isinstance(entries, list):
        if entries is not None:
            notes.add(f"a chapter list that is {_kind(entries)} ignored")
        return ()
    found: list[Chapter] = []
    dropped = 0
    for entry in entries:
        if not isinstance(entry, Mapping):
            dropped += 1
            continue
        if _truthy(entry.get("deleted"), default=False) is not False:
            continue
        start = _seconds(entry.get("time"))
        title = entry.get("title")
        title = (
            clean_text(title, MAX_CHAPTER_TITLE_CHARS).replace("\n", " ")
            if isinstance(title, str)
            else ""
        )
        if start is None or not title:
            dropped += 1
            continue
        found.append(Chapter(title, start))
    if dropped:
        notes.add(f"{dropped} chapter(s) without a title or a valid time ignored")
    if len(found) > MAX_CHAPTERS:
        notes.add(f"more than {MAX_CHAPTERS} chapters, the rest ignored")
    found.sort(key=lambda chapter: (chapter.start, chapter.title))
    return tuple(found[:MAX_CHAPTERS])


def _milliseconds(parts: tuple[str | Any, ...]) -> int:
    hours, minutes, seconds, millis = (int(part) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _truthy(value: object, *, default: bool) -> bool | None:
    """A boolean spelled as Wistia's customizations spell them; None for anything else."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "1": True, "false": False, "0": False, "": default}.get(
            value.strip().lower()
        )
    return None


def _seconds(value: object) -> float | None:
    """A chapter's time: seconds as a number or a decimal string, rounded to milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d{1,9}(?:\.\d{1,9})?\s*", value):
            return None
        value = float(value)
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    millis = round(value * 1000)
    if millis < 0 or millis > MAX_MEDIA_MILLISECONDS:
        return None
    return millis / 1000


def _kind(value: object) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def _preview(value: object) -> str:
    return repr(clean_text(str(value), 20)) if isinstance(value, str) else _kind(value)
