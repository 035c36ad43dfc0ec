"""``X-Wistia-Signature``: the hex HMAC-SHA256 of the raw request body, keyed with the secret."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Wistia-Signature"


def sign(secret: bytes, body: bytes) -> str:
    """The signature Wistia sends with ``body``."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of the raw ``body``, compared in constant time."""
    if not header:
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("utf-8"))
