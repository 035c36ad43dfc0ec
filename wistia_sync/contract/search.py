"""The search index's contract: how text becomes terms, and what each field weighs.

The JavaScript client (``templates/search.js``) applies the same folding and tokenising to a
query, so a word typed finds the word indexed: NFKD, combining marks dropped, lower-cased, then
runs of letters and digits; a run of Han or kana is cut into single characters (no word
breaker is small enough to ship, and one character a term keeps CJK findable: every character
typed is required). Everything here reads untrusted text: each field is read up to a bound,
each term is cut to ``MAX_TERM_LENGTH`` and a video contributes at most
``MAX_TERMS_PER_VIDEO`` terms, its own fields first (name, tags, folder, description) and its
transcripts last.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

# A posting's mask: the fields the term is found in. Ranking weighs the best one.
FIELD_NAME = 16
FIELD_TAG = 8
FIELD_FOLDER = 4
FIELD_DESCRIPTION = 2
FIELD_TRANSCRIPT = 1
FIELD_WEIGHTS = {
    "name": FIELD_NAME,
    "tag": FIELD_TAG,
    "folder": FIELD_FOLDER,
    "description": FIELD_DESCRIPTION,
    "transcript": FIELD_TRANSCRIPT,
}
# Filters are terms of their own, never matched by a typed word (tokens never hold a "#").
TAG_FILTER_PREFIX = "#t:"
FOLDER_FILTER_PREFIX = "#f:"

MAX_TERM_LENGTH = 24
MAX_TERMS_PER_VIDEO = 400
MAX_FIELD_CHARS = {"name": 1_000, "description": 20_000, "transcript": 200_000}
MAX_TAG_CHARS = 200
MAX_TAGS = 100

_TOKEN = re.compile(r"[^\W_]+")
_CJK_CHARACTER = r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
_MARKUP = re.compile(r"<[^>]{0,2000}>")
# What lower-casing leaves apart that case folding joins (final sigma, sharp s).
_SPECIAL_LOWER = str.maketrans({"\u00df": "ss", "\u03c2": "\u03c3"})


def fold(text: str) -> str:
    """Accents and case folded: ``Café`` and ``CAFE`` are both ``cafe``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return bare.lower().translate(_SPECIAL_LOWER)


def tokens(text: str) -> list[str]:
    """The terms of ``text`` in order (repeats kept), each cut to ``MAX_TERM_LENGTH``."""
    found = []
    for token in _TOKEN.findall(fold(text)):
        if not token.isascii() and _cjk().search(token):
            found += [part for part in _cjk().split(token) if part]
        else:
            found.append(token)
    return [token[:MAX_TERM_LENGTH] for token in found]


@cache
def _cjk() -> re.Pattern[str]:
    """Han and kana, one character a group (compiled when a token first holds a non-ASCII
    character: its ranges take milliseconds to compile, an editor command's budget)."""
    return re.compile(_CJK_CHARACTER)


def plain_text(markup: str) -> str:
    """A description as text: tags dropped, entities decoded."""
    text = _MARKUP.sub(" ", markup)
    if "&" not in text:
        return text  # no entity: ``html`` (milliseconds to import) is not needed
    from html import unescape

    return unescape(text)


def tag_filter(slug: str) -> str:
    return TAG_FILTER_PREFIX + slug


def folder_filter(hashed_id: str) -> str:
    return FOLDER_FILTER_PREFIX + hashed_id


def video_terms(
    *,
    name: str,
    tags: Iterable[str],
    folder: str | None,
    description: str,
    transcripts: Iterable[str],
) -> dict[str, int]:
    """Each term of a video with the mask of the fields it is found in, bounded."""
    terms: dict[str, int] = {}

    def add(text: str, field: int) -> None:
        for term in tokens(text):
            if term in terms:
                terms[term] |= field
            elif len(terms) < MAX_TERMS_PER_VIDEO:
                terms[term] = field

    add(name[: MAX_FIELD_CHARS["name"]], FIELD_NAME)
    for tag in list(tags)[:MAX_TAGS]:
        add(tag[:MAX_TAG_CHARS], FIELD_TAG)
    if folder is not None:
        add(folder[: MAX_FIELD_CHARS["name"]], FIELD_FOLDER)
    add(plain_text(description[: MAX_FIELD_CHARS["description"]]), FIELD_DESCRIPTION)
    budget = MAX_FIELD_CHARS["transcript"]
    for transcript in transcripts:
        add(transcript[:budget], FIELD_TRANSCRIPT)
        budget -= len(transcript)
        if budget <= 0:
            break
    return terms
