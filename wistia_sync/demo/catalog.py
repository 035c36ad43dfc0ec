"""The built-in demo catalog and synthetic catalogs of any size, as Wistia would return them.

Every media is a dict in the modern (2026-05) JSON shape of ``GET /medias`` without ``cursor``
(the fake adds it to list items); stats are the camelCase ``stats`` object of
``GET /medias/{hashed_id}/stats``, keyed by hashed id, for videos only.

Both catalogs are deterministic: a fixed seed and fixed timestamps in 2025-2026, never the
current time, so a demo sync publishes the same files on every machine.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

Media = dict[str, Any]
Stats = dict[str, int]

DEMO_SEED = 2026
THUMBNAIL_SIZE = (640, 360)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_DELIVERIES = "https://embed-ssl.wistia.com/deliveries/"
_FIRST_UPLOAD = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_LAST_UPLOAD = datetime(2026, 4, 24, 17, 0, tzinfo=UTC)
_LAST_EDIT = datetime(2026, 4, 30, 18, 0, tzinfo=UTC)


class Folder(NamedTuple):
    id: int
    name: str
    hashed_id: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "hashed_id": self.hashed_id}


DEMO_FOLDERS = (
    Folder(22570, "Marketing", "4d23503f70"),
    Folder(22581, "Onboarding", "k8q2m5x7pd"),
    Folder(23014, "Product Tours", "r3v9c1n6tz"),
    Folder(23977, "Webinars", "w7h4j2b8se"),
    Folder(24410, "Customer Stories", "c5y1f8g3ua"),
)

# "onboarding" and "Onboarding" both occur, on different media: tags compare case-insensitively.
DEMO_TAGS = (
    "onboarding",
    "Onboarding",
    "2025",
    "2026",
    "featured",
    "how-to",
    "Product Tour",
    "webinar",
    "customer story",
    "Café",
    "Q1 launch",
)


class _Spec(NamedTuple):
    """One hand-written demo media: what a person chose; ids and times come from the seed."""

    folder: str | None
    name: str
    description: str
    tags: tuple[str, ...]
    seconds: tuple[float, float]  # duration range (pages for a PdfDocument)
    type: str = "Video"
    status: str = "ready"
    archived: bool = False
    protected: bool = False
    created: str | None = None  # pinned upload time where the name implies one


_MK, _ON, _PT, _WB, _CS = (f.name for f in DEMO_FOLDERS)
_SHORT, _CLIP, _TOUR, _TALK, _STORY = (12, 35), (45, 150), (90, 420), (1800, 3900), (120, 330)

# fmt: off
_DEMO_SPECS = (
    # Marketing
    _Spec(_MK, "Spring 2026 Brand Film", "<p>Our 90-second brand film for the spring campaign.</p>",
          ("2026", "featured"), (88, 92), created="2026-03-02T15:04:05+00:00"),
    _Spec(_MK, "Homepage Hero Loop", "", (), _SHORT),
    _Spec(_MK, "Q1 Launch Teaser", "A first look at everything shipping this quarter.",
          ("Q1 launch", "2026"), _CLIP),
    _Spec(_MK, "Behind the Scenes: Studio Day",
          "<p>Cameras, lights and far too much coffee &#9749;</p>", ("Café",), _CLIP),
    _Spec(_MK, "Pricing Page Explainer",
          "Why our plans are priced per seat, explained in two minutes.", (), (110, 130)),
    _Spec(_MK, "Holiday Campaign 2025", "<p>Retired after the holidays.</p>", ("2025",), _CLIP,
          archived=True, created="2025-11-20T16:45:00+00:00"),
    _Spec(_MK, "Social Cutdown \N{EN DASH} 15s", "", ("featured",), (15, 15.2)),
    _Spec(_MK, "Social Cutdown \N{EN DASH} 30s", "", (), (30, 30.2)),
    _Spec(_MK, "Brand Guidelines", "<p>Logo, colour and type rules for partners.</p>",
          ("2026",), (24, 24), type="PdfDocument"),
    _Spec(_MK, "Trade Show Booth Loop", "Silent loop for the booth screens.", (), _CLIP),
    # Onboarding
    _Spec(_ON, "Welcome to Acme", "<p>Start here: a warm welcome from the team.</p>",
          ("onboarding", "featured"), _CLIP),
    _Spec(_ON, "Setting Up Your Workspace", "Name it, pick a colour, invite nobody yet.",
          ("onboarding", "how-to"), _TOUR),
    _Spec(_ON, "Inviting Your Team", "Roles, seats and the invite link.",
          ("onboarding", "how-to"), _TOUR),
    _Spec(_ON, "Connecting Your Calendar", "Google and Outlook, both directions.",
          ("onboarding",), _TOUR),
    _Spec(_ON, "Your First Project",
          "<p>From a blank board to a shared plan in <strong>five minutes</strong>.</p>",
          ("Onboarding",), _TOUR),
    _Spec(_ON, "Notifications & Email Digests", "Turn the noise down without missing a thing.",
          ("how-to",), _TOUR),
    _Spec(_ON, "Keyboard Shortcuts in 3 Minutes", "", ("how-to",), (175, 185)),
    _Spec(_ON, "Admin Console Basics", "Users, billing and audit logs for workspace admins.",
          ("onboarding", "2026"), _TOUR, status="processing", created="2026-04-30T17:41:12+00:00"),
    _Spec(_ON, "Single Sign-On Setup", "SAML with Okta, Azure AD and Google Workspace.",
          ("how-to",), _TOUR, protected=True),
    _Spec(_ON, "Onboarding Checklist Cover", "", ("onboarding",), (0, 0), type="Image"),
    # Product Tours
    _Spec(_PT, "Product Tour 2026", "<p>Quarterly walkthrough of the whole product.</p>",
          ("Product Tour", "2026", "featured"), (180, 195)),
    _Spec(_PT, "Dashboards Tour", "Build a dashboard from scratch.", ("Product Tour",), _TOUR),
    _Spec(_PT, "Reports & Exports Tour", "Scheduled reports, CSV and PDF exports.",
          ("Product Tour",), _TOUR),
    _Spec(_PT, "Mobile App Tour", "iOS and Android, side by side.",
          ("Product Tour", "2025"), _TOUR),
    _Spec(_PT, "Integrations Tour: Slack and Teams", "", ("Product Tour",), _TOUR),
    _Spec(_PT, "Automations Tour", "<p>Rules, triggers and <em>when this, then that</em>.</p>",
          ("Product Tour", "how-to"), _TOUR),
    _Spec(_PT, "Permissions Deep Dive", "Who can see what, and why.", (), _TOUR),
    _Spec(_PT, "API Quickstart for Developers", "Tokens, pagination and webhooks.",
          ("how-to",), _TOUR),
    _Spec(_PT, "Roadmap Preview (raw upload)", "", (), _TOUR, status="failed"),
    # Webinars
    _Spec(_WB, "Webinar: Scaling Support Teams", "Recorded live with 400 attendees.",
          ("webinar", "2025"), _TALK),
    _Spec(_WB, "Webinar: Security Q&A", "<p>SOC 2, encryption and data residency.</p>",
          ("webinar",), _TALK),
    _Spec(_WB, "Webinar: What's New in 2026", "", ("webinar", "2026"), _TALK),
    _Spec(_WB, "Webinar: Reporting Masterclass", "Advanced filters and formulas.",
          ("webinar", "how-to"), _TALK),
    _Spec(_WB, "Webinar: Customer Panel", "Three customers, one hour, no script.",
          ("webinar", "customer story"), _TALK),
    _Spec(_WB, "Webinar: Year in Review 2025", "", ("webinar", "2025"), _TALK),
    _Spec(_WB, "Webinar: Hybrid Work Playbook", "<p>Rituals for teams split across offices.</p>",
          ("webinar",), _TALK),
    _Spec(_WB, "Webinar: Ask Me Anything with the CEO", "", ("webinar",), _TALK),
    _Spec(_WB, "Webinar: Migration Office Hours", "Moving from spreadsheets, step by step.",
          ("webinar", "how-to"), _TALK),
    # Customer Stories
    _Spec(_CS, "How Northwind Cut Onboarding Time in Half", "<p>A 30-person ops team, six "
          "weeks, one shared board.</p>", ("customer story", "featured"), _STORY),
    _Spec(_CS, "Café Lumière: Scheduling 40 Shops", "Shift planning for a coffee chain.",
          ("customer story", "Café"), _STORY),
    _Spec(_CS, "Globex Goes Remote", "", ("customer story",), _STORY),
    _Spec(_CS, "Initech's Support Team", "Ticket volume down 30 %.",
          ("customer story", "2025"), _STORY),
    _Spec(_CS, "Umbrella Health: HIPAA Workflows", "<p>Compliance without the paperwork.</p>",
          ("customer story",), _STORY),
    _Spec(_CS, "Stark Logistics Case Study", "Fleet planning across 12 depots.",
          ("customer story", "2026"), _STORY),
    _Spec(_CS, "Customer Story Montage 2025", "", ("customer story", "2025"), _CLIP),
    _Spec(_CS, "Hooli: From Spreadsheets to Dashboards", "A data team's migration story.",
          ("customer story",), _STORY),
    # No folder
    _Spec(None, "Untitled Upload", "", (), _SHORT),
    _Spec(None, "CEO Message to Customers", "<p>Thank you for a wonderful year.</p>",
          ("featured",), (95, 140)),
)
# fmt: on

# Two media uploaded in the same second: sorting by created must fall back to the numeric id.
_SAME_UPLOAD = ("Social Cutdown \N{EN DASH} 15s", "Social Cutdown \N{EN DASH} 30s")
_NEVER_PLAYED = "Untitled Upload"
_NO_STATS: Stats = {
    "pageLoads": 0,
    "visitors": 0,
    "percentOfVisitorsClickingPlay": 0,
    "plays": 0,
    "averagePercentWatched": 0,
}


def demo_catalog() -> tuple[list[Media], dict[str, Stats]]:
    """The built-in demo account: 48 media in 5 folders (and 2 outside any), stats by hashed id.

    It holds one archived video, one video still ``processing`` (progress 0.4), one ``failed``
    video, one ``Image``, one ``PdfDocument``, and tags that differ only in case on different
    media ("onboarding"/"Onboarding"). Fresh dicts on every call; callers may mutate them.
    """
    rng = random.Random(DEMO_SEED)
    folders = {f.name: f for f in DEMO_FOLDERS}
    span = (_LAST_UPLOAD - _FIRST_UPLOAD).total_seconds()
    created_at = {}
    for spec in _DEMO_SPECS:
        drawn = _FIRST_UPLOAD + timedelta(seconds=int(rng.random() * span))
        created_at[spec.name] = datetime.fromisoformat(spec.created) if spec.created else drawn
    created_at[_SAME_UPLOAD[1]] = created_at[_SAME_UPLOAD[0]]
    # Wistia's numeric ids grow with upload time.
    upload_order = sorted(_DEMO_SPECS, key=lambda s: created_at[s.name])
    ids = {}
    next_id = 131_044_207
    for spec in upload_order:
        ids[spec.name] = next_id
        next_id += rng.randint(3, 40_000)
    hashed_ids = _unique_hashed_ids(rng, len(_DEMO_SPECS))

    media: list[Media] = []
    stats: dict[str, Stats] = {}
    for spec, hashed_id in zip(_DEMO_SPECS, hashed_ids, strict=True):
        created = created_at[spec.name]
        if spec.status == "processing":
            updated = created + timedelta(minutes=rng.randint(2, 9))
        else:
            updated = min(created + timedelta(hours=rng.randint(0, 24 * 60)), _LAST_EDIT)
        low, high = spec.seconds
        item = _media(
            rng,
            id=ids[spec.name],
            hashed_id=hashed_id,
            name=spec.name,
            type=spec.type,
            status=spec.status,
            created=created,
            updated=updated,
            duration=round(rng.uniform(low, high), 3),
            description=spec.description,
            folder=folders[spec.folder].as_json() if spec.folder else None,
            tags=spec.tags,
            archived=spec.archived,
            protected=spec.protected,
        )
        media.append(item)
        if spec.type == "Video":
            played = spec.status == "ready" and spec.name != _NEVER_PLAYED
            stats[hashed_id] = (
                _stats(rng, popular="featured" in spec.tags) if played else dict(_NO_STATS)
            )
    return media, stats


_WORDS_A = ("Quick", "Advanced", "Live", "Annual", "Weekly", "Hands-on", "Remote", "Field")
_WORDS_B = ("Demo", "Interview", "Walkthrough", "Recap", "Tutorial", "Keynote", "Update", "Q&A")
_FOLDER_NAMES = (
    *(f.name for f in DEMO_FOLDERS),
    *("Sales", "Support", "Engineering", "Events", "Training", "Partners", "Internal"),
)


def generate_catalog(
    count: int, *, seed: int = 0, folders: int = 10
) -> tuple[list[Media], dict[str, Stats]]:
    """A synthetic account of ``count`` media in ``folders`` folders, for load and soak tests.

    Mostly ready videos, with about 2 % archived, 1 % processing, 0.5 % failed, 3 % outside any
    folder and a few images, PDFs and audio files. Same arguments, same catalog.
    """
    if count < 0 or folders < 1:
        raise ValueError("count must be >= 0 and folders >= 1")
    rng = random.Random(seed)
    folder_objs = [
        Folder(30_000 + 17 * i, _folder_name(i), h).as_json()
        for i, h in enumerate(_unique_hashed_ids(rng, folders))
    ]
    hashed_ids = _unique_hashed_ids(rng, count)
    step = (_LAST_UPLOAD - _FIRST_UPLOAD).total_seconds() / max(count, 1)
    media: list[Media] = []
    stats: dict[str, Stats] = {}
    next_id = 150_000_000
    for i, hashed_id in enumerate(hashed_ids):
        roll = rng.random()
        kind, status = "Video", "ready"
        if roll < 0.01:
            status = "processing"
        elif roll < 0.015:
            status = "failed"
        elif roll < 0.025:
            kind = "Image"
        elif roll < 0.03:
            kind = "PdfDocument"
        elif roll < 0.035:
            kind = "Audio"
        created = _FIRST_UPLOAD + timedelta(seconds=int(i * step + rng.random() * step * 0.9))
        updated = min(created + timedelta(hours=int(rng.random() * 2000)), _LAST_EDIT)
        next_id += 1 + int(rng.random() * 500)
        tags = rng.sample(DEMO_TAGS, int(rng.random() * 4))
        item = _media(
            rng,
            id=next_id,
            hashed_id=hashed_id,
            name=f"{rng.choice(_WORDS_A)} {rng.choice(_WORDS_B)} #{i + 1}",
            type=kind,
            status=status,
            created=created,
            updated=updated,
            duration=24.0 if kind == "PdfDocument" else round(20 + rng.random() * 1800, 3),
            description="" if i % 3 else f"<p>Synthetic media number {i + 1}.</p>",
            folder=None if rng.random() < 0.03 else rng.choice(folder_objs),
            tags=tags,
            archived=rng.random() < 0.02,
            protected=False,
        )
        media.append(item)
        if kind == "Video":
            stats[hashed_id] = _stats(rng, popular=False)
    return media, stats


# -- building blocks -------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """Wistia's timestamp format: ISO 8601 in UTC with a numeric offset, whole seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _folder_name(index: int) -> str:
    base = _FOLDER_NAMES[index % len(_FOLDER_NAMES)]
    return base if index < len(_FOLDER_NAMES) else f"{base} {index // len(_FOLDER_NAMES) + 1}"


def _unique_hashed_ids(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    while len(result) < count:
        candidate = "".join(rng.choices(_ALPHABET, k=10))
        if candidate not in seen:
            seen.add(candidate)
            result.append(candidate)
    return result


def _delivery(rng: random.Random, extension: str) -> str:
    return f"{_DELIVERIES}{rng.getrandbits(160):040x}.{extension}"


def _media(
    rng: random.Random,
    *,
    id: int,
    hashed_id: str,
    name: str,
    type: str,
    status: str,
    created: datetime,
    updated: datetime,
    duration: float,
    description: str,
    folder: dict[str, Any] | None,
    tags: tuple[str, ...] | list[str],
    archived: bool,
    protected: bool,
) -> Media:
    width, height = THUMBNAIL_SIZE
    thumbnail_url = f"{_delivery(rng, 'jpg')}?image_crop_resized={width}x{height}"
    return {
        "id": id,
        "hashed_id": hashed_id,
        "name": name,
        "type": type,
        "archived": archived,
        "created": iso(created),
        "updated": iso(updated),
        "duration": None if status == "failed" or type == "Image" else duration,
        "description": description,
        "progress": {"processing": 0.4, "failed": 0.0}.get(status, 1.0),
        "status": status,
        "section": None,
        "thumbnail": {"url": thumbnail_url, "width": width, "height": height},
        "protected": protected,
        "folder": folder,
        "subfolder": None,
        "assets": _assets(rng, type, status, duration),
        "tags": [{"name": tag} for tag in tags],
    }


def _asset(
    rng: random.Random, kind: str, width: int | None, height: int | None, size: int, content: str
) -> dict[str, Any]:
    extension = "jpg" if content.startswith("image/") and kind != "OriginalFile" else "bin"
    return {
        "url": _delivery(rng, extension),
        "width": width,
        "height": height,
        "file_size": size,
        "content_type": content,
        "type": kind,
    }


SHORT_CLIP_SECONDS = 45.0


def _assets(rng: random.Random, kind: str, status: str, duration: float) -> list[dict[str, Any]]:
    if kind == "Image":
        return [
            _asset(rng, "OriginalFile", 2400, 1350, rng.randint(400_000, 3_000_000), "image/png")
        ]
    if kind == "PdfDocument":
        size = rng.randint(1_000_000, 9_000_000)
        return [_asset(rng, "OriginalFile", None, None, size, "application/pdf")]
    if kind == "Audio":
        size = int(duration * 16_000)
        return [
            _asset(rng, "OriginalFile", None, None, size, "audio/mpeg"),
            _asset(rng, "Mp3AudioFile", None, None, size, "audio/mpeg"),
        ]

    # Short clips are shot upright for phones (a player must size itself to 9:16), the rest 16:9.
    def shape(long: int, short: int) -> tuple[int, int]:
        return (short, long) if duration < SHORT_CLIP_SECONDS else (long, short)

    original = _asset(
        rng, "OriginalFile", *shape(1920, 1080), int(duration * 1_100_000), "video/mp4"
    )
    if status != "ready":  # transcodes and stills appear once processing succeeds
        return [original]
    return [
        original,
        _asset(rng, "HdMp4VideoFile", *shape(1280, 720), int(duration * 450_000), "video/mp4"),
        _asset(rng, "Mp4VideoFile", *shape(640, 360), int(duration * 120_000), "video/mp4"),
        _asset(
            rng, "StillImageFile", *shape(1920, 1080), rng.randint(150_000, 600_000), "image/jpeg"
        ),
    ]


def _stats(rng: random.Random, *, popular: bool) -> Stats:
    visitors = int(10 ** rng.uniform(2.6 if popular else 1.2, 4.2 if popular else 3.4))
    clicking = rng.randint(18, 74)
    plays = max(1, int(visitors * clicking / 100 * rng.uniform(1.0, 1.6)))
    return {
        "pageLoads": int(visitors * rng.uniform(1.1, 1.9)),
        "visitors": visitors,
        "percentOfVisitorsClickingPlay": clicking,
        "plays": plays,
        "averagePercentWatched": rng.randint(22, 91),
    }
