"""The reference oracle: ``wistia_sync.wistia.jsonbody.parse_answer`` as it was before issue 19
(``json`` alone), kept verbatim but for its classes, which are the package's.

Parsing Wistia's answers as JSON, with their nesting bounded, per record for a list.

The bound is the parser's own: Python's ``json`` refuses a document nested deeper than the
interpreter's recursion limit (about 1,000 levels) with ``RecursionError``, at no cost to the
answers that are not. What this module adds is its scope. A list answer (a page of media) that
is too deep is split into its elements, and only the elements too deep to parse are replaced by
a ``TooDeep`` placeholder, which ``records.read_media`` rejects: one hostile record no longer costs
its whole page. Any other answer too deep to parse raises ``NestedTooDeeply``.

Splitting scans the text for brackets outside strings, with a counter, never recursion; it runs
only for an answer the parser refused, so the common case costs nothing more.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wistia_sync.wistia.jsonbody import NestedTooDeeply, TooDeep

MAX_KEPT_CHARS = 20_000  # how much of a too-deep record's text is kept for a person to read

# A JSON string (escapes included), or one of the characters that shape a document.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')
_HASHED_ID_KEY = re.compile(r'"(?:hashed_id|hashedId)"\s*:\s*("(?:[^"\\]|\\.)*")')


def parse_answer(content: bytes) -> Any:
    """``content`` as JSON. ``ValueError`` if it is not JSON; ``NestedTooDeeply`` if it is nested
    too deeply, unless it is a list, whose too-deep elements become ``TooDeep``."""
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
