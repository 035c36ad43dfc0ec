"""An in-memory Wistia account that answers the Data API reads wistia-sync makes.

``FakeWistia.handle`` turns an ``httpx.Request`` into the ``httpx.Response`` Wistia's modern API
would give (as the project's Wistia API reference describes it: List Media, Show Media, media
stats, error bodies), so it serves the demo catalog in-process through ``httpx.MockTransport``
and, wrapped in a real HTTP server, the tests.

Where the reference leaves behaviour open, the fake picks one and says so here:

- ``archived`` omitted lists archived and active media together (``true``/``false`` filter).
- ``per_page`` above 100 is clamped to 100; ``page`` or ``per_page`` below 1 or not an integer,
  an unknown ``sort_by``, a ``sort_direction`` other than 1/0 or an ``archived`` other than
  true/false/1/0 answer 400 (Wistia's 400 body), so a client bug shows up instead of being guessed.
- With no ``sort_by`` the list is sorted by ``created``. Ties sort by numeric ``id``; a descending
  list is exactly the ascending one reversed (ties by ``id`` descending too). ``name`` sorts
  case-insensitively. ``position`` is the order media were added to the account.
- ``tags[]`` keeps media carrying every listed tag, compared case-insensitively (an assumption:
  the reference does not say). ``name``, ``type`` and ``folder_id`` are exact matches.
- Cursor pagination (``cursor[...]``) is not implemented: 400 rather than a silently wrong page.
- Other query parameters are ignored, as most web frameworks do; ``description_format`` too
  (descriptions stay HTML).
- Anything but ``GET`` on the three media routes, and any other path, answers 404 JSON.
- Stats of a media that is not a ``Video`` (``Audio`` included) answer 400.
- Changing play counts does not change a media's ``updated``; every other mutation does.
- Captions (``GET /medias/{id}/captions``, ``GET /captions``) and customizations (``GET
  /medias/{id}/customizations``): changing them leaves ``updated`` alone too (the reference does
  not say it moves; ``media.transcript_updated`` is how a change is told). ``/captions`` items
  carry no media id (the 2026-05 schema lists none); its ``per_page`` defaults to 10, at most 100,
  like List Media, and ``media_id`` narrows it to one media (404 for an unknown one). A media
  without customizations answers ``{}``.
- ``GET /account`` answers the 2026-05 account summary; its ``media_count`` counts every media the
  account holds, archived ones included (the reference says "the total number of medias in this
  account" and does not say whether archived media count).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from wistia_sync.demo.catalog import THUMBNAIL_SIZE, demo_catalog, iso

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
SORT_FIELDS = ("name", "created", "updated", "position")
STATS_KEYS = (
    "pageLoads",
    "visitors",
    "percentOfVisitorsClickingPlay",
    "plays",
    "averagePercentWatched",
)
# The key set of a 2026-05 media object, in Wistia's order (list items add "cursor").
MEDIA_KEYS = (
    "id", "hashed_id", "name", "type", "archived", "created", "updated", "duration",
    "description", "progress", "status", "section", "thumbnail", "protected", "folder",
    "subfolder", "assets", "tags",
)  # fmt: skip
_READ_ONLY_KEYS = frozenset({"id", "hashed_id"})
_TICK = timedelta(minutes=1)

_STATS_PATH = re.compile(r"(?:^|/)medias/([^/]+)/stats(?:\.json)?/?$")
_SHOW_PATH = re.compile(r"(?:^|/)medias/([^/]+?)(?:\.json)?/?$")
_LIST_PATH = re.compile(r"(?:^|/)medias(?:\.json)?/?$")
_CAPTIONS_PATH = re.compile(r"(?:^|/)medias/([^/]+)/captions(?:\.json)?/?$")
_CUSTOMIZATIONS_PATH = re.compile(r"(?:^|/)medias/([^/]+)/customizations(?:\.json)?/?$")
_ACCOUNT_CAPTIONS_PATH = re.compile(r"(?:^|/)captions(?:\.json)?/?$")
_ACCOUNT_PATH = re.compile(r"(?:^|/)account(?:\.json)?/?$")
ACCOUNT_ID = 4_242_001

Json = Any


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered: what was asked, what it said and when (time.monotonic)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    status: int
    time: float

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        return next((value for key, value in self.params if key == name), None)


@dataclass
class _Entry:
    media: dict[str, Any]
    created: datetime
    updated: datetime
    position: int


class _BadRequest(Exception):
    def __init__(self, error: str, detail: str) -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


class _TickingClock:
    """The default clock: starts a minute after the newest timestamp, a minute a call.

    Deterministic (the same mutations give the same ``updated`` values on every run) and always
    later than anything in the catalog, like a real "now".
    """

    def __init__(self, start: datetime) -> None:
        self._next = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self._next
            self._next += _TICK
            return now


class FakeWistia:
    """A thread-safe Wistia account in memory: media, their stats, and who asked for what.

    ``media`` are media objects in the modern JSON shape (missing keys get Wistia's defaults);
    ``stats`` maps a hashed id to its ``stats`` object (videos without one have zero counts).
    With ``token`` set, requests must carry ``Authorization: Bearer <token>``. ``clock`` supplies
    the time mutations stamp on ``updated``; by default a deterministic clock ticking one minute
    a call from just after the newest timestamp in the catalog.
    """

    def __init__(
        self,
        media: list[dict[str, Any]],
        stats: dict[str, dict[str, Any]] | None = None,
        *,
        token: str | None = None,
        clock: Callable[[], datetime] | None = None,
        captions: Mapping[str, Any] | None = None,
        customizations: Mapping[str, Any] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._captions: dict[str, Any] = {}
        self._customizations: dict[str, Any] = {}
        self._token = token
        self._entries: dict[str, _Entry] = {}
        self._stats: dict[str, dict[str, int]] = {}
        self._gone: set[str] = set()  # deleted hashed ids: never reused, never listed
        self._ids: set[int] = set()
        self._max_id = 131_000_000
        self._positions = 0
        self._version = 0
        self._sorted: dict[str, tuple[int, list[_Entry]]] = {}
        self._requests = 0
        self.request_log: list[RequestRecord] = []
        newest = datetime(2026, 1, 1, tzinfo=UTC)
        for item in media:
            if "created" not in item or "updated" not in item:
                raise ValueError(f"media {item.get('hashed_id')!r} lacks created/updated")
            entry = self._insert(_complete(item, now=item["created"], next_id=self._next_id()))
            newest = max(newest, entry.created, entry.updated)
        for hashed_id, values in (stats or {}).items():
            if hashed_id not in self._entries:
                raise ValueError(f"stats for unknown media {hashed_id!r}")
            self._stats[hashed_id] = _complete_stats(values)
        self._clock: Callable[[], datetime] = clock or _TickingClock(newest + _TICK)
        for hashed_id, items in (captions or {}).items():
            self.set_captions(hashed_id, items)
        for hashed_id, values in (customizations or {}).items():
            self.set_customizations(hashed_id, values)

    # -- HTTP ---------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Wistia would; usable as ``httpx.MockTransport(fake.handle)``."""
        with self._lock:
            status, body = self._route(request)
            self._requests += 1
            request_id = str(uuid.UUID(int=self._requests))
            self.request_log.append(
                RequestRecord(
                    method=request.method,
                    path=request.url.path,
                    params=tuple(request.url.params.multi_items()),
                    status=status,
                    time=time.monotonic(),
                )
            )
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return httpx.Response(
            status,
            content=content,
            headers={"Content-Type": "application/json", "X-Request-Id": request_id},
        )

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answering from this account, in-process."""
        return httpx.MockTransport(self.handle)

    def _route(self, request: httpx.Request) -> tuple[int, Json]:
        if self._token is not None and not self._authorized(request):
            return 401, {"code": "unauthorized_credentials", "error": "Invalid credentials."}
        path = request.url.path
        if request.method == "GET":
            try:
                if match := _STATS_PATH.search(path):
                    return self._show_stats(match.group(1))
                if match := _CAPTIONS_PATH.search(path):
                    return self._media_captions(match.group(1))
                if match := _CUSTOMIZATIONS_PATH.search(path):
                    return self._media_customizations(match.group(1))
                if _ACCOUNT_CAPTIONS_PATH.search(path):
                    return self._account_captions(request.url.params)
                if _ACCOUNT_PATH.search(path):
                    return 200, self._account()
                if match := _SHOW_PATH.search(path):
                    return self._show_media(match.group(1))
                if _LIST_PATH.search(path):
                    return 200, self._list_media(request.url.params)
            except _BadRequest as error:
                return 400, {"error": error.error, "errors": [error.detail]}
        return 404, {"error": f"No route matches {request.method} {path}."}

    def _authorized(self, request: httpx.Request) -> bool:
        header: str = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        return scheme.lower() == "bearer" and credentials.strip() == self._token

    def _show_media(self, hashed_id: str) -> tuple[int, Json]:
        entry = self._entries.get(hashed_id)
        if entry is None:
            return _not_found(hashed_id)
        return 200, entry.media

    def _show_stats(self, hashed_id: str) -> tuple[int, Json]:
        entry = self._entries.get(hashed_id)
        if entry is None:
            return _not_found(hashed_id)
        media = entry.media
        if media["type"] != "Video":
            return 400, {
                "error": "Stats are only available for videos.",
                "errors": [f"Media {hashed_id} is of type {media['type']}, not Video."],
            }
        stats = self._stats.get(hashed_id) or _complete_stats({})
        return 200, {
            "id": media["id"],
            "hashed_id": hashed_id,
            "name": media["name"],
            "stats": dict(stats),
        }

    def _media_captions(self, hashed_id: str) -> tuple[int, Json]:
        if hashed_id not in self._entries:
            return _not_found(hashed_id)
        return 200, _copy_value(self._captions.get(hashed_id, []))

    def _media_customizations(self, hashed_id: str) -> tuple[int, Json]:
        if hashed_id not in self._entries:
            return _not_found(hashed_id)
        return 200, _copy_value(self._customizations.get(hashed_id, {}))

    def _account(self) -> Json:
        media = [entry.media for entry in self._entries.values()]
        folders = {m["folder"].get("hashed_id") for m in media if isinstance(m.get("folder"), dict)}
        return {
            "id": ACCOUNT_ID,
            "name": "Demo account",
            "url": "https://demo.wistia.com",
            "media_count": len(media),
            "video_limit": None,
            "folder_count": len(folders),
            "channel_count": 0,
        }

    def _account_captions(self, params: httpx.QueryParams) -> tuple[int, Json]:
        page = _int_param(params, "page", 1)
        per_page = min(_int_param(params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        media_id = params.get("media_id")
        if media_id is not None and media_id not in self._entries:
            return _not_found(media_id)
        owners = [media_id] if media_id is not None else sorted(self._captions)
        items = [
            {**_copy(item), "cursor": None}
            for owner in owners
            if owner in self._entries and isinstance(self._captions.get(owner), list)
            for item in self._captions[owner]
            if isinstance(item, dict)
        ]
        return 200, items[(page - 1) * per_page : page * per_page]

    def _list_media(self, params: httpx.QueryParams) -> list[Json]:
        if any(key.startswith("cursor") for key in params):
            raise _BadRequest(
                "Cursor pagination is not supported by this fake.",
                "use page and per_page instead of cursor[enabled]/cursor[after]/cursor[before]",
            )
        page = _int_param(params, "page", 1)
        per_page = min(_int_param(params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        sort_by = params.get("sort_by", "created")
        if sort_by not in SORT_FIELDS:
            raise _BadRequest(
                "Invalid sort_by.", f"sort_by must be one of {', '.join(SORT_FIELDS)}"
            )
        direction = params.get("sort_direction", "1")
        if direction not in ("0", "1"):
            raise _BadRequest("Invalid sort_direction.", "sort_direction must be 1 or 0")
        archived = _bool_param(params, "archived")
        wanted_ids = set(params.get_list("hashed_ids[]"))
        wanted_tags = {tag.casefold() for tag in params.get_list("tags[]")}
        exact = {key: params[key] for key in ("name", "type") if key in params}
        folder_id = params.get("folder_id")

        start, stop = (page - 1) * per_page, page * per_page
        if not (wanted_ids or wanted_tags or exact or folder_id is not None):
            # The sync's own listing: a slice of a cached index, so page 1,000 of a 100k
            # catalog costs what page 1 does (a benchmark must time the client, not the fake).
            listed = self._listed_entries(sort_by, archived)
            if direction == "0":
                chosen = listed[max(0, len(listed) - stop) : max(0, len(listed) - start)][::-1]
            else:
                chosen = listed[start:stop]
            return [{**entry.media, "cursor": None} for entry in chosen]
        ordered = self._sorted_entries(sort_by)
        if direction == "0":
            ordered = ordered[::-1]
        found = 0
        page_items: list[Json] = []
        for entry in ordered:
            media = entry.media
            if archived is not None and media["archived"] != archived:
                continue
            if wanted_ids and media["hashed_id"] not in wanted_ids:
                continue
            if any(media[key] != value for key, value in exact.items()):
                continue
            if folder_id is not None and (media["folder"] or {}).get("hashed_id") != folder_id:
                continue
            if wanted_tags and not wanted_tags <= {t["name"].casefold() for t in media["tags"]}:
                continue
            if start <= found < stop:
                page_items.append({**media, "cursor": None})
            found += 1
            if found >= stop:
                break
        return page_items

    def _listed_entries(self, sort_by: str, archived: bool | None) -> list[_Entry]:
        key = f"{sort_by}:{archived}"
        cached = self._sorted.get(key)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        ordered = self._sorted_entries(sort_by)
        listed = [e for e in ordered if archived is None or e.media["archived"] == archived]
        self._sorted[key] = (self._version, listed)
        return listed

    def _sorted_entries(self, sort_by: str) -> list[_Entry]:
        cached = self._sorted.get(sort_by)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        entries = list(self._entries.values())
        if sort_by == "name":
            entries.sort(key=lambda e: (e.media["name"].casefold(), e.media["id"]))
        elif sort_by == "updated":
            entries.sort(key=lambda e: (e.updated, e.media["id"]))
        elif sort_by == "position":
            entries.sort(key=lambda e: (e.position, e.media["id"]))
        else:
            entries.sort(key=lambda e: (e.created, e.media["id"]))
        self._sorted[sort_by] = (self._version, entries)
        return entries

    # -- catalog mutations (what people do in Wistia's UI while a sync runs) --------------------

    def add(self, media: dict[str, Any], *, stats: Mapping[str, Any] | None = None) -> None:
        """Upload a media: ``hashed_id`` is required; missing keys get defaults, ``id`` the next
        free one, ``created`` (when absent) and ``updated`` the clock's time."""
        with self._lock:
            if "hashed_id" not in media:
                raise ValueError("a media needs a hashed_id")
            now = iso(self._clock())
            item = {**media, "updated": now}
            self._insert(_complete(item, now=now, next_id=self._next_id()))
            if stats is not None:
                self._stats[item["hashed_id"]] = _complete_stats(stats)
            self._version += 1

    def update(self, hashed_id: str, **fields: Any) -> None:
        """Change fields of a media (``tags`` may be plain strings); ``updated`` becomes the
        clock's time unless given."""
        with self._lock:
            entry = self._live(hashed_id)
            unknown = set(fields) - set(MEDIA_KEYS)
            if unknown or _READ_ONLY_KEYS & set(fields):
                raise TypeError(
                    f"cannot update {sorted(unknown | (_READ_ONLY_KEYS & set(fields)))}"
                )
            if "tags" in fields:
                fields["tags"] = _tags(fields["tags"])
            fields.setdefault("updated", self._clock())
            entry.media.update(_copy(fields))
            entry.created = _parse_time(entry.media["created"])
            entry.updated = _parse_time(entry.media["updated"])
            self._version += 1

    def archive(self, hashed_id: str) -> None:
        """Archive a media (Wistia's archive keeps it listed with ``archived: true``)."""
        self.update(hashed_id, archived=True)

    def delete(self, hashed_id: str) -> None:
        """Delete a media: it leaves every list, and show/stats answer 404 from now on."""
        with self._lock:
            self._live(hashed_id)
            del self._entries[hashed_id]
            self._stats.pop(hashed_id, None)
            self._gone.add(hashed_id)
            self._version += 1

    def set_plays(self, hashed_id: str, plays: int) -> None:
        """Set a video's play count. Like Wistia, this leaves the media's ``updated`` alone."""
        with self._lock:
            entry = self._live(hashed_id)
            if entry.media["type"] != "Video":
                raise ValueError(f"{hashed_id} is a {entry.media['type']}: only videos have plays")
            stats = self._stats.setdefault(hashed_id, _complete_stats({}))
            stats["plays"] = plays

    def set_captions(self, hashed_id: str, captions: Any) -> None:
        """Replace a media's captions: items of ``/medias/{id}/captions`` (``language``, ``text``
        in SRT, ``is_draft``, names, ``id``), or anything a test wants Wistia to answer.
        Leaves ``updated`` alone."""
        with self._lock:
            self._live(hashed_id)
            self._captions[hashed_id] = _copy_value(captions)

    def set_customizations(self, hashed_id: str, customizations: Any) -> None:
        """Replace a media's customizations (chapters are ``plugin.chapters``). Leaves
        ``updated`` alone."""
        with self._lock:
            self._live(hashed_id)
            self._customizations[hashed_id] = _copy_value(customizations)

    # -- reading the account (for tests) -----------------------------------------------------

    def media(self) -> list[dict[str, Any]]:
        """A deep copy of every live (not deleted) media, archived ones included, by id."""
        with self._lock:
            items = sorted((e.media for e in self._entries.values()), key=lambda m: m["id"])
            return [_copy(item) for item in items]

    def get(self, hashed_id: str) -> dict[str, Any] | None:
        """A deep copy of one live media, or None."""
        with self._lock:
            entry = self._entries.get(hashed_id)
            return None if entry is None else _copy(entry.media)

    def stats_for(self, hashed_id: str) -> dict[str, int] | None:
        """A copy of a live video's stats object, or None."""
        with self._lock:
            entry = self._entries.get(hashed_id)
            if entry is None or entry.media["type"] != "Video":
                return None
            return dict(self._stats.get(hashed_id) or _complete_stats({}))

    # -- internals -------------------------------------------------------------------------

    def _live(self, hashed_id: str) -> _Entry:
        entry = self._entries.get(hashed_id)
        if entry is None:
            raise KeyError(f"no live media {hashed_id!r}")
        return entry

    def _next_id(self) -> int:
        return self._max_id + 1

    def _insert(self, media: dict[str, Any]) -> _Entry:
        hashed_id = media["hashed_id"]
        if hashed_id in self._entries or hashed_id in self._gone:
            raise ValueError(f"hashed_id {hashed_id!r} is already taken")
        if media["id"] in self._ids:
            raise ValueError(f"id {media['id']} is already taken")
        self._positions += 1
        entry = _Entry(
            media=media,
            created=_parse_time(media["created"]),
            updated=_parse_time(media["updated"]),
            position=self._positions,
        )
        self._entries[hashed_id] = entry
        self._ids.add(media["id"])
        self._max_id = max(self._max_id, media["id"])
        return entry


def demo_transport() -> httpx.MockTransport:
    """An httpx transport answering from the demo catalog, in-process: no token, no network."""
    from wistia_sync.demo.extras import demo_extras

    media, stats = demo_catalog()
    captions, customizations = demo_extras(media)
    return FakeWistia(media, stats, captions=captions, customizations=customizations).transport()


def _not_found(hashed_id: str) -> tuple[int, Json]:
    return 404, {"error": f"Media with ID '{hashed_id}' not found."}


def _int_param(params: httpx.QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise _BadRequest(f"Invalid {name}.", f"{name} must be a positive integer, got {raw!r}")
    return value


def _bool_param(params: httpx.QueryParams, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    value = {"true": True, "1": True, "false": False, "0": False}.get(raw.lower())
    if value is None:
        raise _BadRequest(f"Invalid {name}.", f"{name} must be true or false, got {raw!r}")
    return value


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tags(tags: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": tag} if isinstance(tag, str) else dict(tag) for tag in tags]


def _complete(media: Mapping[str, Any], *, now: str, next_id: int) -> dict[str, Any]:
    """A deep copy of ``media`` with every key of the modern shape, in Wistia's order."""
    unknown = set(media) - set(MEDIA_KEYS) - {"cursor"}
    if unknown:
        raise ValueError(f"not keys of a Wistia media: {sorted(unknown)}")
    if all(key in media for key in MEDIA_KEYS):
        complete = {key: media[key] for key in MEDIA_KEYS}
    else:
        defaults = _defaults(media["hashed_id"], now=now, next_id=next_id)
        complete = {key: media.get(key, defaults[key]) for key in MEDIA_KEYS}
    complete["tags"] = _tags(complete["tags"] or [])
    return _copy(complete)


def _defaults(hashed_id: str, *, now: str, next_id: int) -> dict[str, Any]:
    width, height = THUMBNAIL_SIZE
    return {
        "id": next_id,
        "hashed_id": hashed_id,
        "name": "",
        "type": "Video",
        "archived": False,
        "created": now,
        "updated": now,
        "duration": 60.0,
        "description": "",
        "progress": 1.0,
        "status": "ready",
        "section": None,
        "thumbnail": {
            "url": f"https://embed-ssl.wistia.com/deliveries/{hashed_id}.jpg"
            f"?image_crop_resized={width}x{height}",
            "width": width,
            "height": height,
        },
        "protected": False,
        "folder": None,
        "subfolder": None,
        "assets": [],
        "tags": [],
    }


def _copy(media: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a media (or any JSON object), datetimes turned into Wistia's timestamps:
    nothing is shared with the caller."""
    return {key: _copy_value(value) for key, value in media.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_value(item) for item in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def _complete_stats(values: Mapping[str, Any]) -> dict[str, int]:
    unknown = set(values) - set(STATS_KEYS)
    if unknown:
        raise ValueError(f"not keys of Wistia media stats: {sorted(unknown)}")
    return {key: int(values.get(key, 0)) for key in STATS_KEYS}
