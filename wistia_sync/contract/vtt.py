"""The WebVTT files the publisher writes: cues in, bytes out, always valid.

Cue text reaches here already plain (``wistia.captions.clean_text``); this escapes what WebVTT
gives a meaning to (``&``, ``<``, ``>``, and ``-->``, which would end the cue's text), so every
file parses as WebVTT and a player shows the text as text, never as markup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

# Part of every digest: a change to how cues are rendered must give files new names.
RENDERING = "webvtt-1"
Cue = Sequence[Any]  # [start_ms, end_ms, text] as stored (milliseconds, plain text)


def timestamp(milliseconds: int) -> str:
    """``HH:MM:SS.mmm`` (hours at least two digits, as WebVTT allows more)."""
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _escaped(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [line for line in text.split("\n") if line.strip()]
    return "\n".join(lines)


def render_vtt(cues: Iterable[Cue]) -> bytes:
    """A WebVTT file of ``cues`` (start and end in milliseconds, start < end), in order."""
    parts = ["WEBVTT\n"]
    for start, end, text in cues:
        body = _escaped(str(text))
        if body:
            parts.append(f"\n{timestamp(int(start))} --> {timestamp(int(end))}\n{body}\n")
    return "".join(parts).encode("utf-8", "replace")


def transcript(cues: Iterable[Cue]) -> str:
    """The captions as plain text: each cue's lines joined by spaces, one cue a line."""
    return "\n".join(" ".join(str(cue[2]).split("\n")) for cue in cues)


def cues_digest(cues_json: str) -> str:
    """The sha256 (hex) naming the WebVTT file of these stored cues: the file is a function of
    them and of ``RENDERING``, so equal digests mean equal bytes, without rendering the file."""
    return hashlib.sha256(f"{RENDERING}\n{cues_json}".encode("utf-8", "replace")).hexdigest()
