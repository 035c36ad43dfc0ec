"""Reading Wistia's media and stats records, one at a time, as untrusted input.

A page is a list of records, and one bad record must not cost the others: ``read_media`` turns one
raw JSON value into a ``WistiaMedia`` that is safe to store and to publish, or raises
``RecordRejected`` with the reason. What it repairs it notes (``Notes``), so a sync can warn once
per run instead of once per video. The rules, and the API facts behind them (docs/wistia-api.md):

- Only ``folder`` is required by the spec. A record without a usable ``hashed_id`` cannot be
  stored; one with neither ``created`` nor ``updated`` cannot be placed in any listing.
- A missing ``status`` is stored as ``unknown`` and a missing ``archived`` falls back to what the
  listing pass asked for (``archived=true/false``), else to archived: either way a media whose
  publish-relevant state is unknown is not published.
- Text is valid UTF-8 (lone surrogates become U+FFFD) and capped in length; a thumbnail that is
  not an ``https:``/``http:`` URL is dropped; numbers out of range become null (SQLite holds
  64-bit integers; a duration must be a finite, non-negative number of seconds).
- ``protected`` true (a password or other authentication to view) is stored and never
  published; false or null (the spec: "null if the media is not protected") is not protected;
  a missing or non-boolean value is treated as protected.
- A media's width and height (so a player can size itself) are its ``OriginalFile`` asset's,
  else those of its largest ``…VideoFile`` asset; only whole numbers from 1 to
  ``MAX_DIMENSION`` count, and both or neither are kept.
- Both spellings the API reference notes are accepted (``hashed_id``/``hashedId``,
  ``folder``/``project``); unknown fields are ignored.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

import msgspec

from wistia_sync.wistia.jsonbody import TooDeep

if TYPE_CHECKING:
    from pydantic import TypeAdapter

# Wistia's hashed ids are 10 lowercase alphanumerics in every example; accept any short
# alphanumeric, which is all a URL path segment or a file name may safely carry.
HASHED_ID = re.compile(r"[A-Za-z0-9]{1,64}")
MAX_NAME_LENGTH = 1_000
MAX_DESCRIPTION_LENGTH = 20_000
MAX_FOLDER_NAME_LENGTH = 1_000
MAX_TAG_NAME_LENGTH = 100  # as for editors' tags (tags.MAX_TAG_LENGTH)
MAX_TYPE_LENGTH = 64
MAX_URL_LENGTH = 2_048
MAX_SQLITE_INTEGER = 2**63 - 1
MAX_DURATION_SECONDS = 10_000_000.0  # about 115 days: anything longer is not a duration
MAX_DIMENSION = 65_535  # pixels: what video containers and codecs can carry
UNKNOWN_STATUS = "unknown"
UNKNOWN_TYPE = "UnknownType"
MAX_REJECTED_RAW_CHARS = 20_000  # how much of a rejected record is kept for a person to read

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", flags=re.IGNORECASE)
# The shape Wistia sends: parsed by ``datetime.fromisoformat``, which agrees with pydantic on it
# and is several times faster; anything else goes through pydantic's parser.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
_MISSING = object()


class RecordRejected(Exception):
    """A record that cannot be stored safely; ``hashed_id`` when it had a usable one."""

    def __init__(self, reason: str, hashed_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hashed_id = hashed_id


Notes = Counter[str]  # what was repaired in a record, by kind: summed into a run's warnings


# Frozen msgspec structs rather than frozen dataclasses: the same fields, equality, hashing and
# immutability, built in about 1 µs instead of 6 (a dataclass sets each field of a frozen
# instance through ``object.__setattr__``): 0.5 ms of a page of 100 media.
class WistiaFolder(msgspec.Struct, frozen=True):
    hashed_id: str
    id: int | None
    name: str


class WistiaMedia(msgspec.Struct, frozen=True):
    hashed_id: str
    id: int | None
    name: str
    description: str
    type: str
    status: str
    archived: bool
    created: datetime
    updated: datetime | None  # None: Wistia gave none (it then moves no watermark)
    duration: float | None
    thumbnail_url: str | None
    folder: WistiaFolder | None
    tags: tuple[str, ...] = ()
    width: int | None = None  # pixels, from the assets (with height, or both None)
    height: int | None = None
    protected: bool = False  # a password or other authentication to view: never published


@dataclass(frozen=True)
class WistiaStats:
    plays: int | None


def safe_text(value: str) -> str:
    """``value`` as valid Unicode text: lone surrogates (unencodable in UTF-8) become U+FFFD."""
    if value.isascii():  # (a flag of the string: no surrogates, the common case)
        return value
    return _SURROGATES.sub("\ufffd", value)


def is_hashed_id(value: object) -> bool:
    return isinstance(value, str) and HASHED_ID.fullmatch(value) is not None


def record_hashed_id(raw: object) -> str | None:
    """The usable hashed id of a raw media record (``hashed_id`` or ``hashedId``), if any."""
    if isinstance(raw, TooDeep):
        return raw.hashed_id if is_hashed_id(raw.hashed_id) else None
    if not isinstance(raw, Mapping):
        return None
    value = _first(raw, "hashed_id", "hashedId")
    return value if is_hashed_id(value) else None


def read_media(raw: object, notes: Notes, *, archived_hint: bool | None = None) -> WistiaMedia:
    """One media record, repaired where that is safe (noted in ``notes``), else rejected.

    ``archived_hint`` is the ``archived`` filter of the listing that returned the record.
    """
    if type(raw) is not dict:
        if isinstance(raw, TooDeep):
            raise RecordRejected(
                "nested too deeply to read (about 1,000 levels or more)", record_hashed_id(raw)
            )
        if not isinstance(raw, Mapping):
            raise RecordRejected(f"not a JSON object but {_json_kind(raw)}")
    hashed_id = _first(raw, "hashed_id", "hashedId")
    if not is_hashed_id(hashed_id):
        raise RecordRejected(f"unusable hashed_id {_preview(hashed_id)}")
    assert isinstance(hashed_id, str)
    try:
        created = _timestamp(raw.get("created"), "created")
        updated = _timestamp(raw.get("updated"), "updated")
    except RecordRejected as error:
        raise RecordRejected(error.reason, hashed_id) from None
    if created is None and updated is None:
        raise RecordRejected("neither created nor updated is given", hashed_id)
    width, height = _dimensions(raw.get("assets"), notes)
    return WistiaMedia(
        hashed_id=hashed_id,
        id=_integer(raw.get("id"), "id", notes),
        name=_text(raw.get("name"), "name", MAX_NAME_LENGTH, notes),
        description=_text(raw.get("description"), "description", MAX_DESCRIPTION_LENGTH, notes),
        type=_text(raw.get("type"), "type", MAX_TYPE_LENGTH, notes) or UNKNOWN_TYPE,
        status=_status(raw.get("status"), notes),
        archived=_archived(raw.get("archived"), archived_hint, notes),
        created=created or updated,  # type: ignore[arg-type]  # one of them is set
        updated=updated,
        duration=_duration(raw.get("duration"), notes),
        thumbnail_url=_thumbnail(raw.get("thumbnail"), notes),
        folder=_folder(_first(raw, "folder", "project"), notes),
        tags=_tags(raw.get("tags"), notes),
        width=width,
        height=height,
        protected=_protected(raw, notes),
    )


class ReadResult(msgspec.Struct, frozen=True):
    """What ``read_records`` made of one raw record: the media, or why it was rejected, and
    what was repaired in it (None: nothing)."""

    media: WistiaMedia | None
    rejected: RecordRejected | None = None
    notes: Notes | None = None


def read_records(
    records: Sequence[object], *, archived_hint: bool | None = None
) -> tuple[ReadResult, ...]:
    """``read_media`` of each record of a page, one result each, in order: a bad record costs
    only itself."""
    results: list[ReadResult] = []
    notes: Notes = Counter()
    for raw in records:
        try:
            media = read_media(raw, notes, archived_hint=archived_hint)
        except RecordRejected as error:
            results.append(ReadResult(None, error, Counter(notes) if notes else None))
        else:
            results.append(ReadResult(media, None, Counter(notes) if notes else None))
        notes.clear()
    return tuple(results)


def read_stats(raw: object) -> WistiaStats:
    """A media stats answer; ``ValueError`` when its play count is not a count."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"the stats answer is {_json_kind(raw)}, not an object")
    stats = raw.get("stats")
    if stats is None:
        return WistiaStats(plays=None)
    if not isinstance(stats, Mapping):
        raise ValueError(f"stats is {_json_kind(stats)}, not an object")
    plays = stats.get("plays")
    if plays is None:
        return WistiaStats(plays=None)
    if isinstance(plays, float) and plays.is_integer():
        plays = int(plays)
    if isinstance(plays, bool) or not isinstance(plays, int):
        raise ValueError(f"plays is {_preview(plays)}, not a whole number")
    if not 0 <= plays <= MAX_SQLITE_INTEGER:
        raise ValueError(f"plays is {_preview(plays)}, out of range")
    return WistiaStats(plays=plays)


# -- fields --------------------------------------------------------------------------------------


def _first(raw: Mapping[str, Any], key: str, other: str) -> Any:
    value = raw.get(key)
    return raw.get(other) if value is None else value


def _text(value: object, name: str, limit: int, notes: Notes) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        notes[f"{name} not text (stored empty)"] += 1
        return ""
    text = safe_text(value)
    if text != value:
        notes["invalid UTF-16 in text replaced with U+FFFD"] += 1
    if len(text) > limit:
        notes[f"{name} longer than {limit:,} characters (truncated)"] += 1
        text = text[:limit]
    return text


def _integer(value: object, name: str, notes: Notes) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_SQLITE_INTEGER
    ):
        notes[f"{name} out of range (stored as null)"] += 1
        return None
    return value


def _duration(value: object, notes: Notes) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_DURATION_SECONDS
    ):
        notes["duration out of range (stored as null)"] += 1
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _timestamp(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{name} is {_json_kind(value)}, not a timestamp")
    if _RFC3339.fullmatch(value):
        try:
            return datetime.fromisoformat(value).astimezone(UTC)
        except (ValueError, OverflowError):
            pass  # pydantic decides
    from pydantic import ValidationError

    try:
        moment = _pydantic_datetime().validate_python(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValidationError, ValueError, OverflowError):
        raise RecordRejected(f"{name} {_preview(value)} is not a usable timestamp") from None


@functools.cache
def _pydantic_datetime() -> TypeAdapter[datetime]:
    """pydantic's datetime parser, imported and built (about 0.1 s) only for a timestamp that is
    not in the shape Wistia sends: a crawl of well-formed records never needs it."""
    from pydantic import TypeAdapter

    return TypeAdapter(datetime)


def _status(value: object, notes: Notes) -> str:
    if isinstance(value, str) and value.strip():
        return safe_text(value)[:MAX_TYPE_LENGTH]
    notes["status missing (not published)"] += 1
    return UNKNOWN_STATUS


def _archived(value: object, hint: bool | None, notes: Notes) -> bool:
    if isinstance(value, bool):
        return value
    if hint is not None:
        return hint
    notes["archived missing (treated as archived: not published)"] += 1
    return True


def _protected(raw: Mapping[str, Any], notes: Notes) -> bool:
    """The spec: ``true`` when the media needs a password or other authentication to view,
    ``false`` or null when not. A missing or other value is not known to be public."""
    value = raw.get("protected", _MISSING)
    if value is None or value is False:
        return False
    if value is not True:
        kind = "missing" if value is _MISSING else "not a boolean"
        notes[f"protected {kind} (treated as protected: not published)"] += 1
    return True


def _thumbnail(value: object, notes: Notes) -> str | None:
    url = value.get("url") if _is_mapping(value) else None
    if url is None:
        return None
    if (
        not isinstance(url, str)
        or len(url) > MAX_URL_LENGTH
        or not _HTTP_URL.fullmatch(url)
        or safe_text(url) != url
    ):
        notes["thumbnail not an http(s) URL (not published)"] += 1
        return None
    return url


def _folder(value: object, notes: Notes) -> WistiaFolder | None:
    if value is None:
        return None
    hashed_id = _first(value, "hashed_id", "hashedId") if _is_mapping(value) else None
    if not _is_mapping(value) or not is_hashed_id(hashed_id):
        notes["folder unusable (stored without folder)"] += 1
        return None
    return WistiaFolder(
        hashed_id=str(hashed_id),
        id=_integer(value.get("id"), "folder id", notes),
        name=_text(value.get("name"), "folder name", MAX_FOLDER_NAME_LENGTH, notes),
    )


def _dimensions(assets: object, notes: Notes) -> tuple[int | None, int | None]:
    """The media's (width, height): its original file's, else its largest video file's."""
    if assets is None:
        return None, None
    if not isinstance(assets, list):
        notes["assets not a list (no width and height)"] += 1
        return None, None
    best: tuple[int, int] | None = None
    for asset in assets:
        if not _is_mapping(asset):
            continue
        kind = asset.get("type")
        if not isinstance(kind, str) or not (kind == "OriginalFile" or kind.endswith("VideoFile")):
            continue
        width, height = asset.get("width"), asset.get("height")
        if width is None or height is None:
            continue  # the reference: each can be null
        size = _pixels(width), _pixels(height)
        if size[0] is None or size[1] is None:
            notes["asset width or height out of range (ignored)"] += 1
            continue
        if kind == "OriginalFile":
            return size
        if best is None or size[0] * size[1] > best[0] * best[1]:
            best = (size[0], size[1])
    return best if best is not None else (None, None)


def _pixels(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DIMENSION:
        return None
    return value


def _tags(value: object, notes: Notes) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        notes["tags not a list (ignored)"] += 1
        return ()
    names: list[str] = []
    for tag in value:
        name = tag.get("name") if _is_mapping(tag) else None
        cleaned = wistia_tag_name(name) if isinstance(name, str) else ""
        if not cleaned:
            notes["unusable tag dropped"] += 1
            continue
        if len(cleaned) > MAX_TAG_NAME_LENGTH:
            notes[f"tag longer than {MAX_TAG_NAME_LENGTH} characters (truncated)"] += 1
            cleaned = cleaned[:MAX_TAG_NAME_LENGTH].strip()
        names.append(cleaned)
    return tuple(names)


def wistia_tag_name(name: str) -> str:
    """A tag name from Wistia as editors may write one: NFC, with no control, format (bidi
    override, zero-width) or unpaired surrogate characters, trimmed."""
    if name.isascii() and name.isprintable():
        return name.strip()  # already NFC, no control or format characters: the common case
    text = unicodedata.normalize("NFC", safe_text(name))
    return "".join(char for char in text if not unicodedata.category(char).startswith("C")).strip()


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, without the abstract-class check for a plain dict."""
    return type(value) is dict or isinstance(value, Mapping)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _preview(value: object) -> str:
    """A short, printable rendering of an untrusted value for a reason text."""
    try:
        text = ascii(value)
    except RecursionError:
        return f"{_json_kind(value)} nested too deeply to show"
    return text if len(text) <= 60 else text[:57] + "..."
