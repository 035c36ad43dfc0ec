"""Synthesized output folders in the shape of contract v2, with the ``files.json`` delivery reads.

Until the v2 publisher lands, delivery is tested against folders written here: entry files at
stable paths, content-addressed immutable ``pages/<hash>.json``, ``manifest.json`` and
``files.json`` written last, every video object carrying its ``hashed_id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wistia_sync.publish.preview import render_preview_page
from wistia_sync.publish.settings import DEFAULT_PREVIEW_TITLE


@dataclass(frozen=True)
class SampleVideo:
    hashed_id: str
    name: str
    tags: tuple[str, ...] = ()
    folder: str | None = None


DEFAULT_VIDEOS = (
    SampleVideo("abc123", "Welcome", ("onboarding",), "fold1"),
    SampleVideo("def456", "Tour", ("onboarding", "tour"), "fold1"),
    SampleVideo("ghi789", "Pricing", ("tour",), None),
    SampleVideo("jkl012", "Careers", (), "fold2"),
)


def encode(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def cache_class(path: str) -> str:
    return "immutable" if path.startswith("pages/") else "entry"


def write_site(root: Path, files: dict[str, bytes], generation: str = "gen-1") -> dict[str, Any]:
    """Write ``files`` (path → bytes) under ``root``, then files.json; return its content.

    Files the previous call wrote and ``files`` no longer holds are removed, as a publish does.
    """
    root.mkdir(parents=True, exist_ok=True)
    previous = root / "files.json"
    if previous.exists():
        for path in json.loads(previous.read_bytes())["files"]:
            if path not in files:
                (root / path).unlink(missing_ok=True)
    for path, body in sorted(files.items(), key=lambda item: item[0] == "manifest.json"):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    listing = {
        "schema_version": 2,
        "generation": generation,
        "files": {
            path: {
                "sha256": hashlib.sha256(body).hexdigest(),
                "bytes": len(body),
                "cache": cache_class(path),
            }
            for path, body in sorted(files.items())
        },
    }
    previous.write_bytes(encode(listing))
    return listing


def site_files(
    videos: Iterable[SampleVideo] = DEFAULT_VIDEOS, generation: str = "gen-1", page_size: int = 2
) -> dict[str, bytes]:
    """The files of a small v2-shaped site showing ``videos``."""
    videos = list(videos)
    files: dict[str, bytes] = {}

    def video_object(video: SampleVideo) -> dict[str, Any]:
        folder = None if video.folder is None else {"hashed_id": video.folder, "name": video.folder}
        return {
            "hashed_id": video.hashed_id,
            "name": video.name,
            "tags": [{"name": tag, "slug": tag} for tag in video.tags],
            "folder": folder,
            "duration": 60.5,
            "thumbnail_url": f"https://embed-ssl.wistia.com/deliveries/{video.hashed_id}.jpg",
            "embed_url": f"https://fast.wistia.net/embed/iframe/{video.hashed_id}",
        }

    def playlist(path: str, kind: str, key: str | None, members: list[SampleVideo]) -> None:
        buckets = [members[i : i + page_size] for i in range(0, len(members), page_size)] or [[]]
        up = "../" * path.count("/")  # links are relative to the file holding them
        pages = []
        for bucket in buckets[1:]:
            body = encode({"schema_version": 2, "videos": [video_object(v) for v in bucket]})
            page = f"pages/{hashlib.sha256(body).hexdigest()[:32]}.json"
            files[page] = body
            pages.append({"url": up + page, "count": len(bucket)})
        files[path] = encode(
            {
                "schema_version": 2,
                "kind": kind,
                "key": key,
                "title": key or "All videos",
                "count": len(members),
                "pages": pages,
                "videos": [video_object(v) for v in buckets[0]],
            }
        )

    playlist("videos.json", "all", None, videos)
    tags = sorted({tag for video in videos for tag in video.tags})
    for tag in tags:
        playlist(f"tags/{tag}.json", "tag", tag, [v for v in videos if tag in v.tags])
    folders = sorted({video.folder for video in videos if video.folder})
    for folder in folders:
        playlist(
            f"folders/{folder}.json", "folder", folder, [v for v in videos if v.folder == folder]
        )
    for video in videos:
        files[f"videos/{video.hashed_id}.json"] = encode(
            {"schema_version": 2, "video": video_object(video)}
        )
    files["tags.json"] = encode(
        {
            "schema_version": 2,
            "tags": [
                {"name": t.title(), "slug": t, "count": 1, "url": f"tags/{t}.json"} for t in tags
            ],
        }
    )
    files["folders.json"] = encode(
        {
            "schema_version": 2,
            "folders": [
                {"hashed_id": f, "name": f"Folder {f}", "count": 1, "url": f"folders/{f}.json"}
                for f in folders
            ],
        }
    )
    files["index.html"] = render_preview_page(DEFAULT_PREVIEW_TITLE)  # as the publisher does
    files["manifest.json"] = encode(
        {
            "schema_version": 2,
            "generation": generation,
            "counts": {"videos": len(videos), "tags": len(tags), "folders": len(folders)},
            "videos": "videos.json",
            "tags": "tags.json",
            "folders": "folders.json",
            "files": "files.json",
        }
    )
    return files


def publish_sample(
    root: Path, videos: Iterable[SampleVideo] = DEFAULT_VIDEOS, generation: str = "gen-1"
) -> dict[str, Any]:
    """Write a sample site under ``root`` as a publish would; return its files.json content."""
    return write_site(root, site_files(videos, generation), generation)


def changed_entry_paths(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Entry paths whose bytes changed or that were removed between two files.json contents."""
    old, new = before["files"], after["files"]
    return sorted(
        path
        for path in set(old) | set(new)
        if cache_class(path) == "entry"
        and old.get(path, {}).get("sha256") != new.get(path, {}).get("sha256")
    )
