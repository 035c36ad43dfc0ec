"""Captions and customizations (chapters) for the demo catalog and for generated catalogs.

Both in the shapes Wistia's 2026-05 API answers (``/medias/{id}/captions`` items; the
``/medias/{id}/customizations`` object, every value a string), keyed by hashed id, so
``FakeWistia(media, stats, captions=…, customizations=…)`` serves them. Deterministic: the same
catalog always gets the same captions.
"""

from __future__ import annotations

import random
from typing import Any

Media = dict[str, Any]
Extras = tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]

LANGUAGES = (
    ("eng", "English", "English"),
    ("fra", "French", "Français"),
    ("spa", "Spanish", "Español"),
    ("deu", "German", "Deutsch"),
    ("jpn", "Japanese", "日本語"),
)
_LINES = {
    "eng": ("Welcome, and thanks for watching.", "Let's start with the basics.",
            "Here is where you will find it.", "That's all for now: see you next time."),
    "fra": ("Bienvenue, et merci de regarder.", "Commençons par l'essentiel.",
            "C'est ici que vous le trouverez.", "C'est tout pour aujourd'hui : à bientôt."),
    "spa": ("Bienvenidos, y gracias por mirar.", "Empecemos por lo básico.",
            "Aquí es donde lo encontrará.", "Eso es todo por ahora: hasta la próxima."),
    "deu": ("Willkommen und danke fürs Zuschauen.", "Fangen wir mit den Grundlagen an.",
            "Hier finden Sie es.", "Das war's für heute: bis zum nächsten Mal."),
    "jpn": ("ご視聴ありがとうございます。", "まずは基本から始めましょう。",
            "ここで見つけられます。", "今回は以上です。またお会いしましょう。"),
}  # fmt: skip
_CHAPTER_TITLES = ("Introduction", "Getting started", "A closer look", "Tips", "Wrap-up")
# Demo videos with captions (languages) and chapters, by name.
_DEMO_CAPTIONS = {
    "Welcome to Acme": ("eng", "fra", "spa"),
    "Automations Tour": ("eng", "deu"),
    "Keyboard Shortcuts in 3 Minutes": ("eng",),
    "Spring 2026 Brand Film": ("eng", "jpn"),
}
_DEMO_DRAFTS = {"Automations Tour": "fra"}  # a caption still in draft: never published
_DEMO_CHAPTERS = ("Welcome to Acme", "Automations Tour", "Your First Project")


def srt_timestamp(milliseconds: int) -> str:
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def srt(lines: list[str], *, every_ms: int = 4000) -> str:
    """An SRT file showing each line for ``every_ms``, one after another."""
    blocks = []
    for index, line in enumerate(lines):
        start, end = index * every_ms, (index + 1) * every_ms - 200
        blocks.append(f"{index + 1}\n{srt_timestamp(start)} --> {srt_timestamp(end)}\n{line}\n")
    return "\n".join(blocks)


def caption_item(
    lang: str, text: str | None, *, is_draft: bool = False, caption_id: str = "c0"
) -> dict[str, Any]:
    """One item of ``/medias/{id}/captions`` as Wistia shapes it."""
    english, native = next(((e, n) for code, e, n in LANGUAGES if code == lang), (lang, lang))
    return {
        "english_name": english,
        "native_name": native,
        "language": lang,
        "text": text,
        "is_draft": is_draft,
        "id": caption_id,
    }


def chapters_customization(
    chapters: list[tuple[str, float]], *, deleted: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A customizations object holding these chapters (and deleted ones), values as strings."""
    entries = [
        {"id": str(index), "title": title, "time": f"{start:g}", "deleted": "false"}
        for index, (title, start) in enumerate(chapters, start=1)
    ]
    entries += [
        {"id": f"d{index}", "title": title, "time": "1", "deleted": "true"}
        for index, title in enumerate(deleted, start=1)
    ]
    return {"playerColor": "54bbff", "plugin": {"chapters": {"on": "true", "chapterList": entries}}}


def _captions_for(hashed_id: str, languages: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        caption_item(lang, srt(list(_LINES[lang])), caption_id=f"{hashed_id}{lang}")
        for lang in languages
    ]


def _chapters_for(duration: float, count: int) -> dict[str, Any]:
    step = max(duration, 10.0) / count
    chapters = [
        (_CHAPTER_TITLES[i % len(_CHAPTER_TITLES)], round(i * step, 1)) for i in range(count)
    ]
    return chapters_customization(chapters, deleted=("Outtakes",))


def demo_extras(media: list[Media]) -> Extras:
    """The demo's captions (a draft among them) and chapters (a deleted one among them)."""
    by_name = {item["name"]: item for item in media}
    captions: dict[str, list[dict[str, Any]]] = {}
    for name, languages in _DEMO_CAPTIONS.items():
        hashed_id = by_name[name]["hashed_id"]
        captions[hashed_id] = _captions_for(hashed_id, languages)
        if name in _DEMO_DRAFTS:
            lang = _DEMO_DRAFTS[name]
            captions[hashed_id].append(
                caption_item(lang, srt(list(_LINES[lang])), is_draft=True, caption_id="draft")
            )
    customizations = {
        by_name[name]["hashed_id"]: _chapters_for(float(by_name[name]["duration"] or 60), 3)
        for name in _DEMO_CHAPTERS
    }
    return captions, customizations


def generate_extras(
    media: list[Media], *, seed: int = 20, captioned: float = 0.3, chaptered: float = 0.2
) -> Extras:
    """Captions on a share ``captioned`` of the videos (1 to 3 languages each) and chapters on a
    share ``chaptered`` (2 to 5 each), drawn with ``seed``."""
    rng = random.Random(seed)
    captions: dict[str, list[dict[str, Any]]] = {}
    customizations: dict[str, dict[str, Any]] = {}
    for item in media:
        if item.get("type") != "Video":
            continue
        hashed_id = item["hashed_id"]
        if rng.random() < captioned:
            languages = tuple(code for code, _, _ in rng.sample(LANGUAGES, rng.randint(1, 3)))
            captions[hashed_id] = _captions_for(hashed_id, languages)
        if rng.random() < chaptered:
            customizations[hashed_id] = _chapters_for(
                float(item.get("duration") or 60), rng.randint(2, 5)
            )
    return captions, customizations
