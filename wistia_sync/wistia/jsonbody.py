"""Parsing Wistia's answers as JSON, with their nesting bounded, per record for a list.

The bound is the parser's own: Python's ``json`` refuses a document nested deeper than the
interpreter's recursion limit (about 1,000 levels) with ``RecursionError``, at no cost to the
answers that are not. What this module adds is its scope. A list answer (a page of media) that
is too deep is split into its elements, and only the elements too deep to parse are replaced by
a ``TooDeep`` placeholder, which ``records.read_media`` rejects: one hostile record no longer costs
its whole page. Any other answer too deep to parse raises ``NestedTooDeeply``.

Splitting scans the text for brackets outside strings, with a counter, never recursion; it runs
only for an answer the parser refused, so the common case costs nothing more.

An answer is first decoded by msgspec, about twice as fast as ``json`` on a page of media,
into a type that admits only what ``json`` returns the same for: documents nested at most
``FAST_DEPTH`` levels (far below the recursion limit, whatever the caller's stack depth), with
no ``NaN``/``Infinity``, lone surrogates, byte-order marks or UTF-16/32. Anything else it
refuses, and ``json`` decides exactly as before.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

MAX_KEPT_CHARS = 20_000  # how much of a too-deep record's text is kept for a person to read
# Arrays and objects nested in one another that the fast decoder accepts: a page of media needs
# 4. (Building the decoder costs about twice as much for each level more: 4 ms for 8.)
FAST_DEPTH = 8

# A JSON string (escapes included), or one of the characters that shape a document.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')
_HASHED_ID_KEY = re.compile(r'"(?:hashed_id|hashedId)"\s*:\s*("(?:[^"\\]|\\.)*")')


def _nested_json_type(levels: int) -> Any:
    """JSON values nested at most ``levels`` arrays or objects deep, as msgspec types."""
    value: Any = None | bool | int | float | str
    for _ in range(levels):
        value = None | bool | int | float | str | list[value] | dict[str, value]
    return value


@functools.cache
def _fast_decoder() -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(_nested_json_type(FAST_DEPTH))


class NestedTooDeeply(ValueError):
    """A JSON answer nested deeper than the parser accepts."""


@dataclass(frozen=True)
class TooDeep:
    """An element of a list answer nested too deeply to parse: its top-level hashed id (when it
    has one, so its media is recognised), and the start of its text."""

    hashed_id: str | None
    text: str


def parse_answer(content: bytes) -> Any:
    """``content`` as JSON. ``ValueError`` if it is not JSON; ``NestedTooDeeply`` if it is nested
    too deeply, unless it is a list, whose too-deep elements become ``TooDeep``."""
    try:
        return _fast_decoder().decode(content)
    except (msgspec.DecodeError, ValueError):
        pass  # not for the fast path: json decides
    try:
        return json.loads(content)
    except RecursionError:
        pass
    text = content.decode(json.detect_encoding(content), "surrogatepass")
    elements = _array_elements(text)
    if elements is None:
        raise NestedTooDeeply("is nested too deeply to read (about 1,000 levels or more)")
    return [_parse_element(element) for element in elements]


def _parse_element(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        return TooDeep(_top_level_hashed_id(text), text.strip()[:MAX_KEPT_CHARS])


def _array_elements(text: str) -> list[str] | None:
    """The text of each element of the JSON array ``text``, or None if it is not one."""
    depth = 0
    start = 0
    elements: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            if depth == 0:
                if token != "[" or text[: match.start()].strip():
                    return None
                start = match.end()
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                if text[match.end() :].strip():
                    return None
                last = text[start : match.start()]
                return [*elements, last] if elements or last.strip() else []
            if depth < 0:
                return None
        elif depth == 1:  # a comma between two elements
            elements.append(text[start : match.start()])
            start = match.end()
    return None


def _top_level_hashed_id(text: str) -> str | None:
    """The ``hashed_id`` (or ``hashedId``) string of the object ``text``, if it has one."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            if depth == 1 and (key := _HASHED_ID_KEY.match(text, match.start())):
                try:
                    value = json.loads(key.group(1))
                except ValueError:
                    return None
                return value if isinstance(value, str) else None
        elif token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
    return None
