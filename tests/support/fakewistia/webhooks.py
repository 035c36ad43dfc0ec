"""Wistia's side of webhooks: deliveries shaped and signed as Wistia sends them."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

from wistia_sync.webhooks.signature import SIGNATURE_HEADER, sign

ACCOUNT_ID = "a1b2c3"
USER_AGENT = "Wistia-Webhooks/1.0"


def media_event(
    event_type: str, hashed_id: str, *, account_id: str = ACCOUNT_ID, name: str = "A video"
) -> dict[str, Any]:
    """One event as Wistia documents it; ``media.deleted`` carries only the media id, and
    ``media.transcript_updated`` the media id and the transcript's id."""
    media: dict[str, Any] = {"id": hashed_id}
    if event_type == "media.transcript_updated":  # the docs: it carries the transcript's id
        return {
            "uuid": str(uuid.uuid4()),
            "type": event_type,
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "payload": {"media": media, "transcript": {"id": f"t{hashed_id}"}},
            "metadata": {"account_id": account_id},
        }
    if event_type != "media.deleted":
        media |= {
            "name": name,
            "url": f"https://example.wistia.com/medias/{hashed_id}",
            "duration": 12.5,
            "thumbnail": {"url": f"https://embed-ssl.wistia.com/deliveries/{hashed_id}.jpg"},
        }
    return {
        "uuid": str(uuid.uuid4()),
        "type": event_type,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "payload": {"media": media},
        "metadata": {"account_id": account_id},
    }


def delivery_body(events: Iterable[dict[str, Any]], hook_uuid: str = "hook-1") -> bytes:
    return json.dumps({"hook": {"uuid": hook_uuid}, "events": list(events)}).encode()


class WebhookSender:
    """POSTs deliveries to a receiver, signed with ``secret`` like Wistia's."""

    _counter = itertools.count()

    def __init__(self, url: str, secret: bytes, *, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self._http = httpx.Client(timeout=timeout)

    def send_body(self, body: bytes, *, signature: str | None = "sign") -> httpx.Response:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if signature == "sign":
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        elif signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return self._http.post(self.url, content=body, headers=headers)

    def send(self, events: Iterable[dict[str, Any]]) -> httpx.Response:
        return self.send_body(delivery_body(events))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
