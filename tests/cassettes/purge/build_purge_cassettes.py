"""Writes the purge cassettes from the providers' documented request and response shapes.

Cloudflare: POST {api}/zones/{zone_id}/purge_cache, Authorization: Bearer <token>, JSON body
``{"files": [url, …]}`` (at most 100 a call), ``{"prefixes": […]}`` or ``{"tags": […]}``; the answer
is ``{"success": true, "errors": [], "messages": [], "result": {"id": "<zone id>"}}``, or
``success: false`` with ``errors: [{"code", "message"}]``.
Fastly: POST {api}/service/{service_id}/purge, ``Fastly-Key: <token>``, ``Surrogate-Key: k1 k2 …``
(at most 256 keys), ``Fastly-Soft-Purge: 1``; the answer maps each key to a purge id.
No token is written: requests carry a placeholder, and the tests match on what is purged.

Run from the repository root: python tests/cassettes/purge/build_purge_cassettes.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
CLOUDFLARE = "https://api.cloudflare.com/client/v4"
FASTLY = "https://api.fastly.com"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
SERVICE = "SU1Z0isxPaozGVKXdv0eY"
BASE = "https://cdn.example.com/site/"


def interaction(
    uri: str, body: Any, headers: dict[str, str], status: int, answer: Any
) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "uri": uri,
            "body": None if body is None else json.dumps(body),
            "headers": {name: [value] for name, value in headers.items()},
        },
        "response": {
            "status": {"code": status, "message": "OK" if status == 200 else "Forbidden"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": json.dumps(answer)},
        },
    }


def cloudflare(body: Any, status: int = 200) -> dict[str, Any]:
    if status == 200:
        answer = {"success": True, "errors": [], "messages": [], "result": {"id": ZONE}}
    else:
        answer = {
            "success": False,
            "errors": [{"code": 10000, "message": "Authentication error"}],
            "messages": [],
            "result": None,
        }
    headers = {"Content-Type": "application/json", "Authorization": "Bearer <token>"}
    return interaction(f"{CLOUDFLARE}/zones/{ZONE}/purge_cache", body, headers, status, answer)


def fastly(keys: list[str]) -> dict[str, Any]:
    headers = {
        "Fastly-Key": "<token>",
        "Surrogate-Key": " ".join(keys),
        "Fastly-Soft-Purge": "1",
        "Accept": "application/json",
    }
    answer = {key: f"108-1391560174-{index:06d}" for index, key in enumerate(keys)}
    return interaction(f"{FASTLY}/service/{SERVICE}/purge", None, headers, 200, answer)


def write(name: str, interactions: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump({"version": 1, "interactions": interactions}, sort_keys=False)
    (HERE / name).write_text(text)


def main() -> None:
    changed = ["videos.json", "tags/onboarding.json", "videos/abc123.json"]
    write("cloudflare_files.yaml", [cloudflare({"files": [BASE + path for path in changed]})])
    many = [f"videos/v{i:03d}.json" for i in range(150)]
    write(
        "cloudflare_batches.yaml",
        [
            cloudflare({"files": [BASE + path for path in many[:100]]}),
            cloudflare({"files": [BASE + path for path in many[100:]]}),
        ],
    )
    write(
        "cloudflare_tags.yaml",
        [cloudflare({"tags": ["all", "tag-onboarding", "video-abc123"]})],
    )
    write("cloudflare_refused.yaml", [cloudflare({"files": [BASE + "videos.json"]}, 403)])
    write("fastly_keys.yaml", [fastly(["all", "tag-onboarding", "video-abc123"])])
    keys = [f"video-v{i:03d}" for i in range(300)]
    write("fastly_batches.yaml", [fastly(keys[:256]), fastly(keys[256:])])


if __name__ == "__main__":
    main()
